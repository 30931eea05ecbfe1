//! `interpreter fuzz-diff`: the generator (without privileges) and the command (root and
//! /dev/net/tun: skipped loudly without them, failing under `TCPFSM_REQUIRE_TOOLS=1`).

#[path = "../../tests/src/tools.rs"]
mod tools;

use interpreter::diff::{Did, Difference, Line};
use interpreter::fuzz::{Rng, draw, explain, write};
use interpreter::session::Options;
use interpreter::transcript::{Departure, Field, Seen};
use model::{Flags, State};

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

/// The outcome of each case, from `fuzz-diff`'s lines: `agree`, or where the two differ
/// and the class (not the kernel's words: its times and TSvals are real).
fn outcomes(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.starts_with("case "))
        .map(|l| {
            let (case, rest) = l.split_once(": ").unwrap_or((l, ""));
            let class = rest
                .rsplit_once(" [")
                .and_then(|(_, c)| c.split_once(']'))
                .map_or("", |(c, _)| c);
            // Not the line: minimizing runs the kernel again, and real time can keep a
            // statement in one run that another cuts.
            if rest == "agree" {
                format!("{case}: agree")
            } else {
                format!("{case}: differ [{class}]")
            }
        })
        .collect()
}

fn fuzz_diff(args: &[&str], dir: &std::path::Path) -> (Option<i32>, String, String) {
    let started = std::time::Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_interpreter"))
        .arg("fuzz-diff")
        .args(args)
        .arg("--out")
        .arg(dir)
        .output()
        .expect("runs the interpreter");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    eprintln!(
        "fuzz-diff {}: {:.1} s",
        args.join(" "),
        started.elapsed().as_secs_f64()
    );
    (out.status.code(), stdout, stderr)
}

/// `--jobs` changes how long a run takes, not what it finds: the same cases, in the same
/// order, agreeing or differing in the same class, the same disagreements saved under the
/// same names. (A kernel's segment a few milliseconds late is the machine's, not the
/// run's: such cases are left out.)
#[test]
fn fuzz_diff_finds_the_same_with_one_job_and_with_four() {
    if !kernel_available("fuzz_diff_finds_the_same_with_one_job_and_with_four") {
        return;
    }
    let base = std::env::temp_dir().join(format!("tcpfsm-fuzz-jobs-{}", std::process::id()));
    let args = ["--count", "8", "--seed", "21", "--max-steps", "5"];
    let mut runs = Vec::new();
    for jobs in ["1", "4"] {
        let dir = base.join(jobs);
        let mut a = args.to_vec();
        a.extend(["--jobs", jobs]);
        let (code, stdout, stderr) = fuzz_diff(&a, &dir);
        assert!(matches!(code, Some(0 | 1)), "{stdout}{stderr}");
        let mut saved: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .collect()
            })
            .unwrap_or_default();
        saved.sort();
        runs.push((outcomes(&stdout), saved, stdout));
    }
    let _ = std::fs::remove_dir_all(&base);
    let (one, four) = (&runs[0], &runs[1]);
    assert_eq!(one.0.len(), 8, "{}", one.2);
    assert_eq!(four.0.len(), 8, "{}", four.2);
    let jittered: Vec<usize> = (0..8)
        .filter(|&i| {
            one.0[i].contains("[real-time-jitter]") || four.0[i].contains("[real-time-jitter]")
        })
        .collect();
    for i in (0..8).filter(|i| !jittered.contains(i)) {
        assert_eq!(one.0[i], four.0[i], "\n{}\n{}", one.2, four.2);
    }
    let keep = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .filter(|n| {
                !jittered
                    .iter()
                    .any(|i| n.ends_with(&format!("-case{i}.pkt")))
            })
            .cloned()
            .collect()
    };
    assert_eq!(keep(&one.1), keep(&four.1), "\n{}\n{}", one.2, four.2);
}

/// CI's bounded differential run (issue 13): 200 scripts, 16 at once. Every difference
/// the kernel shows falls in a class the README explains (`fuzz::explain`), and the
/// model passes every script it writes.
#[test]
fn a_bounded_fuzz_diff_run_finds_no_unexplained_difference() {
    if !kernel_available("a_bounded_fuzz_diff_run_finds_no_unexplained_difference") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("tcpfsm-fuzz-bounded-{}", std::process::id()));
    let (code, stdout, stderr) = fuzz_diff(
        &[
            "--count",
            "200",
            "--seed",
            "5",
            "--max-steps",
            "6",
            "--jobs",
            "16",
        ],
        &dir,
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(matches!(code, Some(0 | 1)), "{stdout}{stderr}");
    assert!(stdout.contains("200 script(s), seed 5:"), "{stdout}");
    assert!(stdout.contains(" 0 unexplained)"), "{stdout}");
    assert!(stdout.contains(" 0 generator defect(s)"), "{stdout}");
    assert!(!stdout.contains("[unexplained]"), "{stdout}");
}

fn seen(flags: Flags) -> Option<Seen> {
    Some(Seen {
        flags,
        seq: 0,
        ack: 0,
        len: 0,
    })
}

fn difference(line: Line, kernel: Departure, sent: Option<Seen>, states: &[State]) -> Difference {
    let did = |departure: Option<Departure>, sent: Option<Seen>| Did {
        verdict: "fail".to_string(),
        did: String::new(),
        departure,
        sent,
    };
    Difference {
        line: 1,
        column: 1,
        statement: String::new(),
        model: did(None, None),
        kernel: did(Some(kernel), sent),
        rows: Vec::new(),
        line_kind: line,
        row_states: states.to_vec(),
    }
}

fn outbound(flags: Flags, range: bool) -> Line {
    Line::Outbound { flags, range }
}

fn mistimed(sent: u64, earliest: u64, latest: u64) -> Departure {
    Departure::Mistimed {
        sent,
        earliest,
        latest,
    }
}

#[test]
fn explain_names_the_class_of_each_known_difference_and_none_for_others() {
    let (syn, ack, rst) = (Flags::SYN, Flags::ACK, Flags::RST);
    let cases = [
        (
            // An ACK due at once that the kernel never sends: the linux profile
            // rate-limits out-of-window ACKs as Linux does, so this is no class.
            difference(outbound(ack, false), Departure::NothingSent, None, &[]),
            None,
        ),
        (
            // An ACK the model delays within a range, not sent by then.
            difference(outbound(ack, true), Departure::NothingSent, None, &[]),
            Some("ack-delayed"),
        ),
        (
            // An ACK the kernel sends 200 ms later than the model.
            difference(
                outbound(ack, false),
                mistimed(310_000, 110_000, 110_000),
                seen(ack),
                &[],
            ),
            Some("ack-delayed"),
        ),
        (
            // One 6 ms late, after a late injection: real time.
            difference(
                outbound(ack, false),
                mistimed(115_926, 110_000, 110_000),
                seen(ack),
                &[],
            ),
            Some("real-time-jitter"),
        ),
        (
            difference(
                outbound(syn, true),
                mistimed(2_050_000, 3_000_000, 3_258_000),
                seen(syn),
                &[],
            ),
            Some("retransmission-timing"),
        ),
        (
            difference(
                outbound(syn, true),
                mistimed(26_000, 1_000_000, 1_131_750),
                seen(syn),
                &[],
            ),
            // A SYN well before the RTO: the `linux` profile resends it itself 8 ms after
            // a bad ACK (syn_retransmit_after_bad_ack), so this is a timer it times otherwise.
            Some("retransmission-timing"),
        ),
        (
            difference(
                outbound(rst | ack, false),
                mistimed(126_700, 120_000, 120_000),
                seen(rst | ack),
                &[],
            ),
            Some("real-time-jitter"),
        ),
        (
            difference(
                outbound(ack, false),
                Departure::SegmentDiffers(Field::Flags),
                seen(rst),
                &[State::SynReceived],
            ),
            None,
        ),
        (
            difference(
                Line::Assert(State::Listen),
                Departure::OtherState(State::SynReceived),
                None,
                &[],
            ),
            None,
        ),
        (
            // ESTABLISHED where the kernel stays in SYN-RECEIVED after the peer's SYN,ACK
            // again: the `linux` profile finds it outside the window too.
            difference(
                Line::Assert(State::Established),
                Departure::OtherState(State::SynReceived),
                None,
                &[State::SynReceived],
            ),
            None,
        ),
        (
            // The SYN,ACK again for the peer's SYN again, rate-limited by the kernel: the
            // linux profile rate-limits it too, so this is no class.
            difference(
                outbound(syn | ack, false),
                Departure::NothingSent,
                None,
                &[State::SynReceived],
            ),
            None,
        ),
        (
            // An ACK where the kernel sends its SYN,ACK: the `linux` profile resends it
            // for the peer's SYN again, so this is no class any more.
            difference(
                outbound(ack, false),
                Departure::SegmentDiffers(Field::Flags),
                seen(syn | ack),
                &[State::SynReceived],
            ),
            None,
        ),
        (
            // CLOSED where the kernel still has the request: the `linux` profile keeps a
            // request past its listener's close (request_outlives_listener), so this is
            // no class any more.
            difference(
                Line::Assert(State::Closed),
                Departure::OtherState(State::SynReceived),
                None,
                &[],
            ),
            None,
        ),
        (
            // CLOSED where the kernel shows the listener: the live `state` reads a
            // connection closed in the accept queue as CLOSED, so no class any more.
            difference(
                Line::Assert(State::Closed),
                Departure::OtherState(State::Listen),
                None,
                &[State::Established],
            ),
            None,
        ),
        (
            difference(
                Line::Call,
                Departure::CallResult {
                    expected: 10,
                    actual: -1,
                },
                None,
                &[],
            ),
            None,
        ),
        (
            difference(
                Line::Call,
                Departure::CallResult {
                    expected: -1,
                    actual: 4,
                },
                None,
                &[State::SynReceived],
            ),
            // A call that fails in SYN-RECEIVED and succeeds on Linux: the linux profile
            // reads the ACK of text beyond RCV.NXT (hold_out_of_order): no class.
            None,
        ),
        (
            difference(
                outbound(Flags::PSH | ack, false),
                Departure::NothingSent,
                None,
                &[State::Established],
            ),
            // Nagle's algorithm is the linux profile's (nagle): no class.
            None,
        ),
        (
            difference(
                outbound(Flags::FIN | ack, false),
                Departure::NothingSent,
                None,
                &[State::SynReceived],
            ),
            // The `linux` profile defers a shutdown in SYN-RECEIVED (tcp_shutdown()) and
            // holds a FIN behind a SYN,ACK sent after a loss (tcp_cwnd_test()): no class.
            None,
        ),
        (
            difference(
                outbound(Flags::FIN | ack, false),
                Departure::NothingSent,
                None,
                &[State::Established],
            ),
            // The loss window after an RTO is the linux profile's (loss_window): no class.
            None,
        ),
        (
            // accept() handing out a connection reset in the queue: the `linux` profile
            // does it too (reset_child_accepted), so no class any more.
            difference(
                Line::Call,
                Departure::CallResult {
                    expected: -1,
                    actual: 4,
                },
                None,
                &[State::CloseWait],
            ),
            None,
        ),
        (
            // A read after a refused connect's error: the `linux` profile returns 0 too
            // (read_after_reset_eof), so no class any more.
            difference(
                Line::Call,
                Departure::CallResult {
                    expected: -1,
                    actual: 0,
                },
                None,
                &[State::SynSent],
            ),
            None,
        ),
        (
            // CLOSE-WAIT where the kernel was reset by a RST at RCV.NXT-1: the `linux`
            // profile resets too (rst_before_fin_resets), so no class any more.
            difference(
                Line::Assert(State::CloseWait),
                Departure::OtherState(State::Closed),
                None,
                &[State::CloseWait],
            ),
            None,
        ),
        (
            difference(
                outbound(Flags::PSH | ack, false),
                mistimed(600_000, 500_000, 500_000),
                seen(Flags::PSH | ack),
                &[],
            ),
            None,
        ),
    ];
    for (d, class) in cases {
        assert_eq!(explain(&d), class, "{d:?}");
    }
}

/// The engine says how a run departed, typed: what `diff` and the classifier read.
#[test]
fn a_failure_carries_its_departure_and_the_segment_sent() {
    let script = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
                  +0 listen(3, 1) = 0\n\
                  +0.1 < S 0:0(0) win 65535 <mss 1460>\n\
                  +0 > R. 0:0(0) ack 1\n";
    let run = interpreter::run::run_source("t.pkt", script, &Options::default()).expect("runs");
    let interpreter::run::Verdict::Fail { failure } = run.verdict else {
        panic!("{:?}", run.verdict);
    };
    assert_eq!(
        failure.how.departure,
        Departure::SegmentDiffers(Field::Flags)
    );
    assert_eq!(
        failure.how.sent.map(|s| s.flags),
        Some(Flags::SYN | Flags::ACK)
    );
    let script = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 state LISTEN\n";
    let run = interpreter::run::run_source("t.pkt", script, &Options::default()).expect("runs");
    let interpreter::run::Verdict::Fail { failure } = run.verdict else {
        panic!("{:?}", run.verdict);
    };
    assert_eq!(failure.how.departure, Departure::OtherState(State::Closed));
}
