//! The `interpreter` binary: exit codes, output formats, and the REPL on a pipe.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/scripts")
        .join(name)
}

fn interpreter(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_interpreter"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn temp(name: &str, text: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("tcpfsm-cli-{}-{name}", std::process::id()));
    std::fs::write(&p, text).unwrap();
    p
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn passing_scripts_exit_0_with_a_transcript() {
    let f = corpus("active-close.pkt");
    let out = interpreter(&["run", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("ESTABLISHED -> FIN-WAIT-1"), "{stdout}");
    assert!(stdout.contains("TIME-WAIT -> CLOSED"), "{stdout}");
    assert!(stdout.trim_end().ends_with("PASS"));
}

#[test]
fn a_failed_expectation_exits_1_and_points_at_it() {
    let f = temp(
        "fail.pkt",
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n+0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 9\n",
    );
    let out = interpreter(&["run", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains(":4:20]"), "{err}");
    assert!(err.contains("expected: S. 0:0(0) ack 9"), "{err}");
    assert!(err.contains("actual:   S. 0:0(0) ack 1 win 65535"), "{err}");
    assert!(err.contains("SYN-RECEIVED"), "{err}");
}

#[test]
fn a_bad_script_exits_2_with_a_caret() {
    let f = temp(
        "bad.pkt",
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0 win 1000\n",
    );
    let out = interpreter(&["run", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains(":2:"), "{err}");
    assert!(err.contains('┬') || err.contains('^'), "{err}");
    let out = interpreter(&["run", "/nonexistent/script.pkt"], None);
    assert_eq!(out.status.code(), Some(2));
    let f = temp("bin.pkt", "\u{0}\u{ff}");
    let bytes = std::fs::read(&f).unwrap();
    std::fs::write(&f, [&bytes[..], &[0xff, 0xfe]].concat()).unwrap();
    let out = interpreter(&["run", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let out = interpreter(
        &[
            "run",
            "--profile",
            "nope",
            corpus("active-close.pkt").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_worst_result_decides_the_exit_code() {
    let good = corpus("closed-port.pkt");
    let fail = temp("fail2.pkt", "0 state LISTEN\n");
    let out = interpreter(
        &["run", good.to_str().unwrap(), fail.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn json_output_is_one_document_with_every_run() {
    let a = corpus("handshake-active.pkt");
    let b = corpus("passive-close.pkt");
    let out = interpreter(
        &[
            "run",
            "--format",
            "json",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["format"], "tcpfsm-transcript");
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["result"], "pass");
    let steps: Vec<&serde_json::Value> = runs[1]["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["steps"].as_array().unwrap())
        .collect();
    assert!(
        steps
            .iter()
            .any(|s| s["from"] == "LAST_ACK" && s["to"] == "CLOSED")
    );
}

#[test]
fn coverage_lists_fired_rows_and_reasons() {
    let f = corpus("handshake-passive.pkt");
    let out = interpreter(&["run", "--coverage", f.to_str().unwrap()], None);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("coverage: "), "{stdout}");
    assert!(stdout.contains("LISTEN       83 syn"), "{stdout}");
    assert!(
        stdout.contains("possible, but no script makes it happen"),
        "{stdout}"
    );
    assert!(
        stdout.contains("no segment classifies as this event"),
        "{stdout}"
    );
}

#[test]
fn the_repl_reads_a_pipe_and_reports_the_worst_code() {
    let out = interpreter(
        &[],
        Some(
            "socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\nlisten(3, 1) = 0\n< S 0:0(0) win 1000\n> S. 0:0(0) ack 1\nstate\ntcb\n",
        ),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("LISTEN -> SYN-RECEIVED"), "{stdout}");
    assert!(stdout.contains("SND.NXT=1"), "{stdout}");
    let out = interpreter(&[], Some("state ESTABLISHED\n"));
    assert_eq!(out.status.code(), Some(1));
    let out = interpreter(&[], Some("frobnicate\n"));
    assert_eq!(out.status.code(), Some(2));
    let out = interpreter(
        &["--pair"],
        Some("a listen\nb connect\ndeliver 1\ndeliver 2\ndeliver 3\nstate\n"),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("A: ESTABLISHED  B: ESTABLISHED"),
        "{stdout}"
    );
}

#[test]
fn coverage_goes_into_the_json_document() {
    let f = corpus("active-close.pkt");
    let out = interpreter(
        &["run", "--format", "json", "--coverage", f.to_str().unwrap()],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let cov = &v["coverage"][0];
    assert_eq!(cov["profile"], "rfc9293");
    let fired = cov["fired"].as_array().unwrap().len();
    let unfired = cov["unfired"].as_array().unwrap().len();
    assert_eq!(fired + unfired, 278);
    assert!(
        cov["unfired"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["reason"] == "unclassifiable")
    );
}

#[test]
fn summary_is_a_line_per_script() {
    let good = corpus("closed-port.pkt");
    let fail = temp("fail3.pkt", "0 state LISTEN\n");
    let out = interpreter(
        &[
            "run",
            "--format",
            "summary",
            good.to_str().unwrap(),
            fail.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("PASS ") && lines[0].ends_with("closed-port.pkt"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("FAIL 1:9 the endpoint is in another state"),
        "{stdout}"
    );
}

#[test]
fn endpoint_options_are_checked_like_script_lines() {
    let f = corpus("closed-port.pkt");
    let out = interpreter(&["run", "--msl", "5000", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("MSL must be below 2148"),
        "{}",
        text(&out.stderr)
    );
    // Before the command works too, and the REPL subcommand takes them.
    let out = interpreter(
        &[
            "--profile",
            "rfc793",
            "run",
            "--format",
            "summary",
            f.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let out = interpreter(
        &["repl", "--retries", "0"],
        Some(
            "socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0...1 connect(3, ..., ...) = -1 ETIMEDOUT\n> S 0:0(0)\n+1 state CLOSED\n",
        ),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}
