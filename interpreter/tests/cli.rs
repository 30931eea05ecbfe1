//! The `interpreter` binary: exit codes, output formats, and the REPL on a pipe.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/scripts")
        .join(name)
}

#[track_caller]
fn interpreter(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_interpreter"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut pipe = child.stdin.take().unwrap();
    // The interpreter may exit before it reads (a bad option): a closed pipe is fine.
    let _ = pipe.write_all(stdin.unwrap_or("").as_bytes());
    drop(pipe);
    child.wait_with_output().unwrap()
}

#[track_caller]
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
    assert_eq!(fired + unfired, 289, "every row of the RFC 9293 table");
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

/// Waits for `child` at most `secs` seconds; kills it and fails the test after that.
#[track_caller]
fn wait_within(mut child: std::process::Child, secs: u64, what: &str) -> Output {
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > std::time::Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn an_empty_script_is_bad_input() {
    for (name, source) in [
        ("empty.pkt", ""),
        ("comment.pkt", "// nothing but a comment\n\n"),
        ("options.pkt", "--tolerance_usecs=10000\n"),
    ] {
        let f = temp(name, source);
        let out = interpreter(&["run", f.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = text(&out.stderr);
        assert!(
            err.contains("the script has no statements"),
            "{name}: {err}"
        );
        assert!(text(&out.stdout).contains("BAD SCRIPT at 1:1"), "{name}");
    }
}

#[test]
fn empty_profile_names_and_a_zero_msl_are_refused() {
    let f = corpus("closed-port.pkt");
    for (args, message) in [
        (vec!["--profile", ""], "no profile given"),
        (
            vec!["--profile", "rfc1337,,"],
            "empty profile name in `rfc1337,,`",
        ),
        (vec!["--profile", ",rfc1337"], "empty profile name"),
        (vec!["--msl", "0"], "must be at least 1 second"),
    ] {
        let mut all = vec!["run"];
        all.extend(&args);
        all.push(f.to_str().unwrap());
        let out = interpreter(&all, None);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        // The REPL refuses them the same way, and so do a script's own lines.
        let mut repl = args.clone();
        repl.insert(0, "repl");
        assert_eq!(interpreter(&repl, Some("state\n")).status.code(), Some(2));
    }
    let s = temp(
        "msl0.pkt",
        "--msl_secs=0\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
    );
    let out = interpreter(&["run", s.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("must be at least 1 second"));
    assert!(model::Table::from_spec("").is_err() && model::Table::from_spec("rfc1337,,").is_err());
}

/// miette's renderer panics on a column past 65,535: the error is shown abridged.
#[test]
fn an_error_past_column_65535_is_shown_without_a_panic() {
    let long = temp("long.pkt", &format!("0{}@\n", " ".repeat(65_536)));
    let good = corpus("closed-port.pkt");
    let out = interpreter(
        &["run", long.to_str().unwrap(), good.to_str().unwrap()],
        None,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("long.pkt:1:65538]"), "{err}");
    assert!(err.contains("[65457 characters]"), "{err}");
    assert!(err.lines().all(|l| l.chars().count() < 300), "{err}");
    // The later script still ran.
    assert!(text(&out.stdout).contains("closed-port.pkt (profile"));
    // JSON still gets its one document, with both runs.
    let out = interpreter(
        &[
            "run",
            "--format",
            "json",
            long.to_str().unwrap(),
            good.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(v["runs"].as_array().unwrap().len(), 2);
    assert_eq!(v["runs"][0]["column"], 65_538);
    // The REPL says so and goes on.
    let out = interpreter(&[], Some(&format!("load {}\nstate\n", long.display())));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains(":1:65538]"), "{stdout}");
    assert!(stdout.trim_end().ends_with("CLOSED"), "{stdout}");
}

/// `interpreter run many-failing/*.pkt 2>&1 | head -1`: the reader is gone, the interpreter
/// stops writing quietly (no panic, exit 101) and still exits with the worst code.
#[test]
fn a_closed_stdout_and_stderr_are_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("tcpfsm-cli-{}-failing", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for i in 0..200 {
        let f = dir.join(format!("f{i}.pkt"));
        std::fs::write(
            &f,
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n+0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 9\n",
        )
        .unwrap();
        files.push(f.display().to_string());
    }
    let mut args = vec!["run".to_string()];
    args.extend(files);
    let mut child = Command::new(env!("CARGO_BIN_EXE_interpreter"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read a line of each, then close both pipes, as `| head -1` does.
    let mut first = [0u8; 1];
    use std::io::Read;
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    child.stderr.take().unwrap().read_exact(&mut first).unwrap();
    let out = wait_within(child, 60, "interpreter run with closed pipes");
    assert_eq!(out.status.code(), Some(1), "{:?}", out.status);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `yes state | interpreter | head -1`: once stdout is gone the REPL stops reading.
#[test]
fn the_repl_stops_when_its_stdout_closes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_interpreter"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    stdin.write_all(b"state\n").unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert_eq!(line, "CLOSED\n");
    drop(stdout);
    // Keep feeding lines: the REPL must exit, which closes its stdin (EPIPE here).
    let start = std::time::Instant::now();
    let lines = "state\n".repeat(1000);
    while stdin.write_all(lines.as_bytes()).is_ok() {
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the REPL kept reading for 20 s after its stdout closed");
        }
    }
    drop(stdin);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// `/dev/zero` as a script, to `load`, or on stdin is refused at 16 MiB, with the limit.
#[test]
fn endless_input_is_refused_at_the_limit() {
    let spawn = |args: &[&str], stdin: Stdio| {
        Command::new(env!("CARGO_BIN_EXE_interpreter"))
            .args(args)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let out = wait_within(
        spawn(&["run", "/dev/zero"], Stdio::null()),
        30,
        "run /dev/zero",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("/dev/zero: larger than the 16 MiB limit for a script"),
        "{err}"
    );
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let out = wait_within(
        spawn(&[], Stdio::from(zero)),
        30,
        "the REPL reading /dev/zero",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("stdin:1: a line longer than the 16 MiB limit"),
        "{err}"
    );
    let mut child = spawn(&[], Stdio::piped());
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"load /dev/zero\nstate\n")
        .unwrap();
    let out = wait_within(child, 30, "load /dev/zero");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("error: /dev/zero: larger than the 16 MiB limit for a script"),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with("CLOSED"), "{stdout}");
}

/// `session::place` counted lines from the start for every statement: 40,000 statements
/// took 12.7 s (release). Now twice the statements take about twice the time.
#[test]
fn a_long_script_runs_in_linear_time() {
    let script = |n: usize| {
        let mut s = String::from("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
        s.push_str(&"+0 state CLOSED\n".repeat(n));
        s
    };
    let time = |n: usize| {
        let f = temp(&format!("long-{n}.pkt"), &script(n));
        let start = std::time::Instant::now();
        let out = interpreter(&["run", "--format", "summary", f.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        start.elapsed().as_secs_f64()
    };
    let (small, large) = (time(10_000), time(40_000));
    eprintln!("10,000 statements: {small:.2} s; 40,000: {large:.2} s");
    // Quadratic would be 16 times; allow for a busy machine.
    assert!(large < 3.0, "40,000 statements took {large:.2} s");
}

#[test]
fn strict_fails_a_segment_sent_after_the_last_expected_line() {
    let f = temp(
        "unread.pkt",
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n+0 < S 0:0(0) win 1000\n",
    );
    let out = interpreter(&["run", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("not checked, as packetdrill"));
    let out = interpreter(&["run", "--strict", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no `>` line expects"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn define_chooses_the_ifdef_branches() {
    let f = temp(
        "ifdef.pkt",
        "#ifdef FREEBSD\n0 state LISTEN\n#else\n0 state CLOSED\n#endif\n",
    );
    let out = interpreter(&["run", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = interpreter(&["run", "--define", "FREEBSD", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
}

#[test]
fn the_freebsd_profile_takes_the_freebsd_branch_and_keeps_user_defines() {
    let f = temp(
        "ifdef-platform.pkt",
        "#ifdef linux\n0 state LISTEN\n#endif\n\
         #ifdef __FreeBSD__\n0 state SYN_SENT\n#endif\n\
         #ifdef EXTRA\n0 state ESTABLISHED\n#endif\n0 state CLOSED\n",
    );
    let path = f.to_str().unwrap();
    // By default the script is read as packetdrill on Linux reads it: `linux` is defined.
    let out = interpreter(&["run", path], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("LISTEN"),
        "{}",
        text(&out.stdout)
    );
    // Under freebsd, `linux` is not defined and `__FreeBSD__` is.
    let out = interpreter(&["run", "--profile", "freebsd", path], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("SYN_SENT"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        !text(&out.stdout).contains("LISTEN"),
        "{}",
        text(&out.stdout)
    );
    // A --define survives the profile, before or after it.
    for args in [
        ["--define", "EXTRA", "--profile", "freebsd"],
        ["--profile", "freebsd", "--define", "EXTRA"],
    ] {
        let mut argv = vec!["run"];
        argv.extend(args);
        argv.push(path);
        let out = interpreter(&argv, None);
        assert!(
            text(&out.stdout).contains("SYN_SENT"),
            "{args:?}: {}",
            text(&out.stdout)
        );
    }
    // With neither platform nor the define's branch: the script's last line holds.
    let plain = temp(
        "ifdef-none.pkt",
        "#ifdef __FreeBSD__\n0 state SYN_SENT\n#endif\n0 state CLOSED\n",
    );
    let out = interpreter(&["run", plain.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

/// FreeBSD's own test suite writes FreeBSD's expectations under `#ifdef FreeBSD` (and
/// the RFC's under `#ifdef STANDARD`): the freebsd profile keeps that branch, the others
/// do not.
#[test]
fn the_freebsd_profile_keeps_the_freebsd_suites_ifdef_freebsd_branch() {
    let f = temp(
        "ifdef-freebsd-suite.pkt",
        "#ifdef FreeBSD\n0 state SYN_SENT\n#endif\n0 state CLOSED\n",
    );
    let path = f.to_str().unwrap();
    let out = interpreter(&["run", "--profile", "freebsd", path], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("SYN_SENT"),
        "{}",
        text(&out.stdout)
    );
    let out = interpreter(&["run", "--profile", "linux", path], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn a_struct_linger_is_read_in_both_spellings_and_a_wrong_one_is_a_bad_script() {
    let script = |linger: &str| {
        format!(
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
             +0 bind(3, ..., ...) = 0\n\
             +0 listen(3, 1) = 0\n\
             +0 < S 0:0(0) win 1000 <mss 1000>\n\
             +0 > S. 0:0(0) ack 1 <...>\n\
             +0 < . 1:1(0) ack 1 win 1000\n\
             +0 accept(3, ..., ...) = 4\n\
             +0 setsockopt(4, SOL_SOCKET, SO_LINGER, {linger}, 8) = 0\n\
             +0 close(4) = 0\n\
             +0 > R 1:1(0)\n"
        )
    };
    // Linger on with a zero timeout: close() is an ABORT and sends <SEQ=SND.NXT><CTL=RST>
    // (RFC 9293 §3.10.5), whichever spelling.
    for linger in ["{onoff=1, linger=0}", "{l_onoff=1, l_linger=0}"] {
        let f = temp("linger.pkt", &script(linger));
        let out = interpreter(&["run", f.to_str().unwrap()], None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{linger}: {}",
            text(&out.stdout)
        );
    }
    // Linger off: close() sends a FIN, so the RST line fails.
    let f = temp("linger-off.pkt", &script("{onoff=0, linger=0}"));
    let out = interpreter(&["run", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    for (linger, column, why) in [
        (
            "{onof=1, linger=0}",
            47,
            "`onof` is not a field of struct linger",
        ),
        ("{onoff=1}", 41, "needs both fields"),
        ("{onoff=1, linger=x}", 58, "`linger` takes an integer"),
        ("0", 41, "takes a struct linger"),
    ] {
        let f = temp("linger-bad.pkt", &script(linger));
        let out = interpreter(&["run", f.to_str().unwrap()], None);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{linger}: {}",
            text(&out.stdout)
        );
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(all.contains(why), "{linger}: {all}");
        assert!(all.contains(&format!("8:{column}")), "{linger}: {all}");
    }
}

#[test]
fn a_reset_in_last_ack_is_reported_and_close_wait_reports_as_each_os_does() {
    // The peer closes, we close (LAST-ACK), its RST arrives; or it resets in CLOSE-WAIT.
    // (Under linux the ACK of the FIN is delayed: a tick with no ATO yet.)
    let script = |close: bool, errno: &str| {
        format!(
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
             +0 bind(3, ..., ...) = 0\n\
             +0 listen(3, 1) = 0\n\
             +0 < S 0:0(0) win 1000 <mss 1000>\n\
             +0 > S. 0:0(0) ack 1 <...>\n\
             +0 < . 1:1(0) ack 1 win 1000\n\
             +0 accept(3, ..., ...) = 4\n\
             +0 < F. 1:1(0) ack 1 win 1000\n\
             +0~+.01 > . 1:1(0) ack 2\n\
             {}\
             +.01 < R 2:2(0) win 0\n\
             +0 getsockopt(4, SOL_SOCKET, SO_ERROR, [{errno}], [4]) = 0\n",
            if close {
                "+.01 shutdown(4, SHUT_WR) = 0\n+0 > F. 1:1(0) ack 2\n"
            } else {
                ""
            }
        )
    };
    for (profile, close, errno) in [
        // RFC 9293 signals nothing in LAST-ACK; both kernels' sockets say ECONNRESET.
        ("rfc9293", true, "ECONNRESET"),
        ("linux", true, "ECONNRESET"),
        ("freebsd", true, "ECONNRESET"),
        // In CLOSE-WAIT Linux's tcp_reset() says EPIPE, FreeBSD's tcp_input() ECONNRESET.
        ("linux", false, "EPIPE"),
        ("freebsd", false, "ECONNRESET"),
    ] {
        let f = temp("reset-report.pkt", &script(close, errno));
        let out = interpreter(&["run", "--profile", profile, f.to_str().unwrap()], None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{profile} {close}: {}",
            text(&out.stdout)
        );
        let other = if errno == "EPIPE" {
            "ECONNRESET"
        } else {
            "EPIPE"
        };
        let f = temp("reset-report-wrong.pkt", &script(close, other));
        let out = interpreter(&["run", "--profile", profile, f.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(1), "{profile} {close}");
    }
}

#[test]
fn define_takes_a_value_as_packetdrills_dash_d_and_only_the_name_counts() {
    let f = temp(
        "ifdef-value.pkt",
        "#ifdef CODE\n0 state LISTEN\n#else\n0 state CLOSED\n#endif\n",
    );
    let out = interpreter(
        &[
            "run",
            "--define",
            "CODE=host_unreachable",
            f.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let out = interpreter(&["run", "--define", "=x", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("needs a name"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn ip_version_and_mtu_set_the_mss_our_syn_offers_and_the_largest_text_sent() {
    // The text per segment: the peer's MSS (1460) or our link's, whichever is smaller.
    let script = |options: &str, mss: u32| {
        let text = mss.min(1460);
        format!(
            "{options}0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
             +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n\
             +0 connect(3, ..., ...) = -1 EINPROGRESS\n\
             +0 > S 0:0(0) <mss {mss},nop,wscale 6,sackOK,TS val 1 ecr 0>\n\
             +0 < S. 0:0(0) ack 1 win 65535 <mss 1460>\n\
             +0 > . 1:1(0) ack 1\n\
             +0 write(3, ..., 3000) = 3000\n\
             +0 > . 1:{}({text}) ack 1\n",
            1 + text
        )
    };
    for (options, mss) in [
        ("", 1460),
        ("--ip_version=ipv4\n", 1460),
        ("--ip_version=ipv4-mapped-ipv6\n", 1460),
        ("--ip_version=ipv6\n", 1440),
        ("--mtu=1280\n--ip_version=ipv6\n", 1220),
        ("--ip_version=ipv6\n--mtu=9000\n", 8940),
    ] {
        let f = temp("ipv.pkt", &script(options, mss));
        let out = interpreter(&["run", "--profile", "freebsd", f.to_str().unwrap()], None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{options}: {}",
            text(&out.stdout)
        );
        // Any other MSS fails.
        let f = temp("ipv-wrong.pkt", &script(options, mss - 20));
        let out = interpreter(&["run", "--profile", "freebsd", f.to_str().unwrap()], None);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{options}: {}",
            text(&out.stdout)
        );
    }
    for bad in ["--ip_version=ipv5\n", "--mtu=60\n"] {
        let f = temp("ipv-bad.pkt", &script(bad, 1460));
        let out = interpreter(&["run", f.to_str().unwrap()], None);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out.stdout));
    }
}

#[test]
fn syn_options_and_wscale_on_the_command_line_set_what_our_syn_offers() {
    let f = temp(
        "wscale.pkt",
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n\
         +0 < S 0:0(0) win 1000 <mss 1000,sackOK,wscale 7>\n\
         +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>\n",
    );
    let out = interpreter(&["run", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let out = interpreter(
        &[
            "run",
            "--syn-options",
            "linux",
            "--wscale",
            "8",
            f.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = interpreter(&["run", "--syn-options", "all", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("mss, linux, freebsd or none"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_corpus_tool_prints_a_table_per_folder_with_out_of_scope_counted_apart() {
    let root = std::env::temp_dir().join(format!("tcpfsm-corpus-tool-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let write = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "close/pass.pkt",
        "`../common/defaults.sh`\n0 state CLOSED\n",
    );
    write("close/fail.pkt", "0 state LISTEN\n");
    write("close/bad.pkt", "0 frobnicate(3) = 0\n");
    write(
        "close/tfo.pkt",
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
         +0 sendto(3, ..., 10, MSG_FASTOPEN, ..., ...) = 10\n",
    );
    write("sack/x.pkt", "0 state CLOSED\n");
    write("sack/y.pkt", "0 < udp (10)\n");
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/packetdrill-corpus.sh");
    let out = Command::new("bash")
        .arg(&tool)
        .arg(&root)
        .arg("-v")
        .env("INTERPRETER", env!("CARGO_BIN_EXE_interpreter"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let row = |name: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row {name}: {stdout}"))
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    // folder: total pass fail bad out-of-scope
    assert_eq!(row("close"), "4 1 1 1 1", "{stdout}");
    assert_eq!(row("sack"), "2 0 0 1 1", "{stdout}");
    assert_eq!(row("total"), "6 1 1 2 2", "{stdout}");
    assert!(stdout.contains("close/bad.pkt BAD SCRIPT 1:3"), "{stdout}");
    assert!(
        stdout.contains("close/tfo.pkt OUT OF SCOPE (fastopen)"),
        "{stdout}"
    );
    assert!(stdout.contains("connection mgmt"), "{stdout}");
    let _ = std::fs::remove_dir_all(&root);
    // Not a directory: exit 2.
    let out = Command::new("bash")
        .arg(&tool)
        .arg(root.join("missing"))
        .env("INTERPRETER", env!("CARGO_BIN_EXE_interpreter"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
