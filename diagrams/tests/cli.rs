//! The `diagrams` binary: outputs and errors.

use std::process::Command;

fn diagrams(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_diagrams"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn export_writes_each_format() {
    let (code, dot, _) = diagrams(&["export", "--format", "dot"]);
    assert_eq!(code, 0);
    assert!(dot.starts_with("digraph tcp {"));
    let (_, mermaid, _) = diagrams(&["export", "--format", "mermaid", "--view", "full"]);
    assert!(mermaid.starts_with("stateDiagram-v2"));
    let out = std::env::temp_dir().join(format!("tcpfsm-classic-{}.svg", std::process::id()));
    let (code, stdout, _) = diagrams(&["export", "-o", out.to_str().unwrap()]);
    assert_eq!((code, stdout.as_str()), (0, ""));
    let svg = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    assert!(svg.contains("<svg") && svg.contains("TIME-WAIT"));
}

#[test]
fn errors_are_clear_and_exit_2() {
    let (code, _, err) = diagrams(&["export", "--profile", "rfc9999"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown profile `rfc9999`"), "{err}");
    let (code, _, err) = diagrams(&["sequence", "/nonexistent/report.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("reading /nonexistent/report.json"), "{err}");
    let (code, _, err) = diagrams(&["export", "--format", "png"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'png'"), "{err}");
}
