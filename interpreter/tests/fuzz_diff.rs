//! `interpreter fuzz-diff`: the generator (without privileges) and the command (root and
//! /dev/net/tun: skipped loudly without them, failing under `TCPFSM_REQUIRE_TOOLS=1`).

#[path = "../../tests/src/tools.rs"]
mod tools;

use interpreter::diff::{Did, Difference};
use interpreter::fuzz::{Rng, draw, explain, write};
use interpreter::session::Options;

#[track_caller]
fn kernel_available(test: &str) -> bool {
    let why = interpreter::live::check_privileges().err().map(|e| {
        format!("no network namespace and tun device ({e}); run as root with /dev/net/tun")
    });
    tools::decide(test, why.as_deref(), tools::required())
}

#[test]
fn the_same_seed_draws_the_same_scripts_and_another_seed_others() {
    let opts = Options::default();
    let a = draw(&mut Rng::new(7), 10, &opts).expect("draws");
    let b = draw(&mut Rng::new(7), 10, &opts).expect("draws");
    let c = draw(&mut Rng::new(8), 10, &opts).expect("draws");
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn the_model_passes_every_script_it_writes() {
    let opts = Options::default();
    for seed in 0..100 {
        let drawn = draw(&mut Rng::new(seed), 10, &opts).expect("draws");
        let w = write(&drawn, &opts).expect("writes");
        assert!(w.model_passes, "seed {seed}:\n{}", w.text);
        assert!(w.text.contains(" state "), "{}", w.text);
    }
}

#[test]
fn fuzz_diff_runs_the_models_scripts_on_the_kernel_and_saves_each_disagreement() {
    if !kernel_available(
        "fuzz_diff_runs_the_models_scripts_on_the_kernel_and_saves_each_disagreement",
    ) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("tcpfsm-fuzz-diff-test-{}", std::process::id()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_interpreter"))
        .args([
            "fuzz-diff",
            "--count",
            "2",
            "--seed",
            "3",
            "--max-steps",
            "4",
            "--out",
        ])
        .arg(&dir)
        .output()
        .expect("runs the interpreter");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("2 script(s), seed 3:"), "{stdout}");
    let saved = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    let differ = stdout.lines().filter(|l| l.contains("DIFFER")).count();
    assert_eq!(saved, differ, "{stdout}");
    assert_eq!(code == Some(1), differ > 0, "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// CI's bounded differential run: every difference the kernel shows falls in a class the
/// README explains (`fuzz::explain`), and the model passes every script it writes.
#[test]
fn a_bounded_fuzz_diff_run_finds_no_unexplained_difference() {
    if !kernel_available("a_bounded_fuzz_diff_run_finds_no_unexplained_difference") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("tcpfsm-fuzz-bounded-{}", std::process::id()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_interpreter"))
        .args([
            "fuzz-diff",
            "--count",
            "15",
            "--seed",
            "5",
            "--max-steps",
            "4",
            "--out",
        ])
        .arg(&dir)
        .output()
        .expect("runs the interpreter");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" 0 unexplained)"), "{stdout}");
    assert!(stdout.contains(" 0 generator defect(s)"), "{stdout}");
    assert!(!stdout.contains("[unexplained]"), "{stdout}");
}

fn difference(statement: &str, model: &str, kernel: &str, rows: &[&str]) -> Difference {
    let did = |d: &str| Did {
        verdict: "fail".to_string(),
        did: d.to_string(),
    };
    Difference {
        line: 1,
        column: 1,
        statement: statement.to_string(),
        model: did(model),
        kernel: did(kernel),
        rows: rows.iter().map(|r| r.to_string()).collect(),
    }
}

#[test]
fn explain_names_the_class_of_each_known_difference_and_none_for_others() {
    let cases = [
        (
            difference(
                "0.1 > . 1:1(0) ack 1",
                "sent . 1:1(0) ack 1 win 65535",
                "the endpoint sent nothing: no segment",
                &[],
            ),
            Some("ack-delayed-or-rate-limited"),
        ),
        (
            difference(
                "3.000000~3.258000 > S 0:0(0)",
                "sent S 0:0(0)",
                "the segment was sent at 2.05, expected at 3.000~3.258: S 0:0(0)",
                &[],
            ),
            Some("retransmission-timing"),
        ),
        (
            difference(
                "1.000000~1.131750 > S 0:0(0)",
                "sent S 0:0(0)",
                "the segment was sent at 0.026, expected at 1.000~1.131750: S 0:0(0)",
                &[],
            ),
            Some("syn-resent-after-bad-ack"),
        ),
        (
            difference(
                "0.120000 > R. 0:0(0) ack 0",
                "sent R. 0:0(0) ack 0",
                "the segment was sent at 0.1267, expected at 0.120: R. 0:0(0) ack 0",
                &[],
            ),
            Some("real-time-jitter"),
        ),
        (
            difference(
                "0.110000 > . 1:1(0) ack 1001",
                "sent . 1:1(0) ack 1001",
                "the segment sent differs: flags: R 4294967295:4294967295(0) win 0",
                &["row 303 [unacceptable] SYN-RECEIVED (stays)"],
            ),
            Some("syn-received-ack-checked-first"),
        ),
        (
            difference(
                "0.110000 state CLOSED",
                "in CLOSED",
                "the endpoint is in another state: SYN-RECEIVED",
                &[],
            ),
            Some("request-outlives-listener"),
        ),
        (
            difference(
                "0.1 write(3, ..., 10) = 10",
                "returned 10",
                "the system call returned something else: -1 EAGAIN",
                &[],
            ),
            None,
        ),
        (
            difference(
                "0.5 > P. 1:11(10) ack 1",
                "sent P. 1:11(10) ack 1",
                "the segment was sent at 0.6, expected at 0.5: P. 1:11(10) ack 1",
                &[],
            ),
            None,
        ),
    ];
    for (d, class) in cases {
        assert_eq!(explain(&d), class, "{d:?}");
    }
}
