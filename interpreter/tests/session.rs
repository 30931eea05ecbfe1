//! Running scripts: timing, expectations and the verdicts they lead to.

use interpreter::run::{Verdict, run_source};
use interpreter::session::Options;

const LISTEN: &str = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n";

/// These tests run strict: a segment sent after the last `>` line fails.
#[track_caller]
fn verdict(script: &str) -> Verdict {
    let strict = Options {
        strict: true,
        ..Options::default()
    };
    run_source("t.pkt", script, &strict).unwrap().verdict
}

#[track_caller]
fn failure(script: &str) -> (usize, String, Option<String>) {
    match verdict(script) {
        Verdict::Fail { failure } => (failure.line, failure.message, failure.actual),
        other => panic!("expected a failed expectation, got {other:?}"),
    }
}

#[track_caller]
fn bad(script: &str) -> (usize, usize, String) {
    match verdict(script) {
        Verdict::BadScript {
            line,
            column,
            message,
        } => (line, column, message),
        other => panic!("expected a bad script, got {other:?}"),
    }
}

#[test]
fn a_segment_sent_at_another_time_fails() {
    let s = format!("{LISTEN}+0 < S 0:0(0) win 1000\n+.1 > S. 0:0(0) ack 1\n");
    let (line, msg, _) = failure(&s);
    assert_eq!(line, 4);
    assert!(msg.contains("sent at 0.000"), "{msg}");
    // Within the tolerance (4 ms) it passes; a range or `*` accepts it too.
    let ok = format!("{LISTEN}+0 < S 0:0(0) win 1000\n+.003 > S. 0:0(0) ack 1\n");
    assert!(matches!(verdict(&ok), Verdict::Pass));
    let ok = format!("{LISTEN}+0 < S 0:0(0) win 1000\n* > S. 0:0(0) ack 1\n");
    assert!(matches!(verdict(&ok), Verdict::Pass));
}

#[test]
fn a_retransmission_is_expected_at_its_rto() {
    let s = format!(
        "{LISTEN}+0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1\n+1 > S. 0:0(0) ack 1\n+2 > S. 0:0(0) ack 1\n+4 > S. 0:0(0) ack 1\n"
    );
    assert!(matches!(verdict(&s), Verdict::Pass));
    // `*` waits for the next one, whenever the timer says.
    let s = format!(
        "{LISTEN}+0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1\n* > S. 0:0(0) ack 1\n+2 > S. 0:0(0) ack 1\n"
    );
    assert!(matches!(verdict(&s), Verdict::Pass));
    let s =
        format!("{LISTEN}+0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1\n+.5 > S. 0:0(0) ack 1\n");
    let (_, msg, _) = failure(&s);
    assert!(msg.contains("sent nothing"), "{msg}");
}

#[test]
fn a_segment_nobody_expects_fails_at_the_end() {
    let s = format!("{LISTEN}+0 < S 0:0(0) win 1000\n");
    let (_, msg, actual) = failure(&s);
    assert!(msg.contains("no `>` line expects"), "{msg}");
    assert_eq!(
        actual.as_deref(),
        Some("S. 0:0(0) ack 1 win 65535 <mss 1460>")
    );
}

#[test]
fn a_mismatch_names_the_field() {
    for (line, field) in [
        ("+0 > S 0:0(0)", "flags"),
        ("+0 > S. 0:0(0) ack 2", "acknowledgment"),
        ("+0 > S. 0:0(0) ack 1 win 10", "window"),
        ("+0 > S. 0:1(1) ack 1", "length"),
    ] {
        let s = format!("{LISTEN}+0 < S 0:0(0) win 1000\n{line}\n");
        let (_, msg, _) = failure(&s);
        assert!(msg.contains(field), "{line}: {msg}");
    }
    let s = format!(
        "{LISTEN}+0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1\n+0 < . 1:1(0) ack 1 win 100\n+0 accept(3, ..., ...) = 4\n+0 write(4, ..., 5) = 5\n+0 > P. 2:7(5) ack 1\n"
    );
    let (line, msg, _) = failure(&s);
    assert_eq!(line, 8);
    assert!(msg.contains("sequence number"), "{msg}");
}

#[test]
fn a_blocking_call_returns_when_the_script_says() {
    let s = format!(
        "{LISTEN}+0...0.5 accept(3, ..., ...) = 4\n+.5 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1\n+0 < . 1:1(0) ack 1 win 1000\n"
    );
    assert!(matches!(verdict(&s), Verdict::Pass));
    // It returns at 0.5, not 0.2.
    let s = format!(
        "{LISTEN}+0...0.2 accept(3, ..., ...) = 4\n+.5 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1\n+0 < . 1:1(0) ack 1 win 1000\n"
    );
    let (line, msg, _) = failure(&s);
    assert_eq!(line, 3);
    assert!(msg.contains("had not returned"), "{msg}");
    // Without `...` a blocking socket would block.
    let (_, msg, _) = failure(&format!("{LISTEN}+0 accept(3, ..., ...) = 4\n"));
    assert!(msg.contains("would block"), "{msg}");
    // Still blocked at the end.
    let (_, msg, _) = failure(&format!("{LISTEN}+0...1 accept(3, ..., ...) = 4\n"));
    assert!(msg.contains("still blocked"), "{msg}");
}

#[test]
fn a_wrong_result_fails() {
    let (line, msg, actual) = failure(&format!(
        "{LISTEN}+0 accept(3, ..., ...) = -1 EAGAIN\n+0 fcntl(3, F_GETFL) = 0x2\n"
    ));
    assert_eq!(line, 3);
    assert!(
        msg.contains("would block") || msg.contains("returned"),
        "{msg}"
    );
    let _ = actual;
    // fds are labels: a descriptor already taken is not given again.
    let (_, _, actual) = failure(
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
    );
    assert_eq!(actual.as_deref(), Some("4"));
    let (_, _, actual) =
        failure("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 read(3, ..., 1) = 0\n");
    assert_eq!(actual.as_deref(), Some("-1 ENOTCONN"));
}

#[test]
fn script_errors_found_while_running_are_bad_scripts() {
    let (line, _, msg) = bad("1 state CLOSED\n0.5 state CLOSED\n");
    assert_eq!(line, 2);
    assert!(msg.contains("backwards"), "{msg}");
    let (line, column, msg) = bad("--bogus=1\n0 state CLOSED\n");
    assert_eq!((line, column), (1, 1));
    assert!(msg.contains("unknown option --bogus"), "{msg}");
    let (_, _, msg) = bad("--profile=rfc9999\n0 state CLOSED\n");
    assert!(msg.contains("rfc9999"), "{msg}");
    let (_, _, msg) = bad("0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n");
    assert!(msg.contains("SOCK_STREAM"), "{msg}");
    let (_, _, msg) = bad("0 fcntl(3, F_DUPFD, 0) = 4\n");
    assert!(msg.contains("fcntl"), "{msg}");
}

#[test]
fn shell_commands_are_never_run() {
    let marker = std::env::temp_dir().join(format!("tcpfsm-never-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let s = format!(
        "0 `touch {}`\n+0 %{{ import os; os.system('touch {}') }}%\n",
        marker.display(),
        marker.display()
    );
    let r = run_source("t.pkt", &s, &Options::default()).unwrap();
    assert!(matches!(r.verdict, Verdict::Pass));
    assert!(!marker.exists());
    assert!(
        r.transcript
            .iter()
            .all(|e| e.notice.as_deref().is_some_and(|n| n.contains("skipped")))
    );
}

#[test]
fn script_options_change_the_endpoint() {
    // --retries=0: the first expiry of the retransmission timer is the user timeout.
    let s = "--retries=0\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0...1 connect(3, ..., ...) = -1 ETIMEDOUT\n+0 > S 0:0(0)\n";
    assert!(matches!(verdict(s), Verdict::Pass));
    // --tolerance_usecs widens the timing tolerance.
    let s = format!(
        "--tolerance_usecs=200000\n{LISTEN}+0 < S 0:0(0) win 1000\n+.1 > S. 0:0(0) ack 1\n"
    );
    assert!(matches!(verdict(&s), Verdict::Pass));
    // --rcv_buf is the window offered.
    let s =
        format!("--rcv_buf=1000\n{LISTEN}+0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1 win 1000\n");
    assert!(matches!(verdict(&s), Verdict::Pass));
}

#[test]
fn sequence_numbers_are_relative_to_the_scripted_isn() {
    // The endpoint's ISN is whatever the ISN clock says; `> S. 100:100(0)` calls it 100.
    let s = format!(
        "{LISTEN}+0 < S 0:0(0) win 1000\n+0 > S. 100:100(0) ack 1\n+0 < . 1:1(0) ack 101 win 1000\n+0 accept(3, ..., ...) = 4\n+0 write(4, ..., 3) = 3\n+0 > P. 101:104(3) ack 1\n"
    );
    assert!(matches!(verdict(&s), Verdict::Pass));
    for iss in [0, 7, u32::MAX - 1] {
        let opts = Options {
            iss,
            ..Options::default()
        };
        let s = format!(
            "{LISTEN}+0 < S 4294967295:4294967295(0) win 1000\n+0 > S. 0:0(0) ack 0\n+0 < . 0:0(0) ack 1 win 1000\n+0 state ESTABLISHED\n"
        );
        let r = run_source("t.pkt", &s, &opts).unwrap();
        assert!(
            matches!(r.verdict, Verdict::Pass),
            "iss {iss}: {:?}",
            r.verdict
        );
    }
}

#[test]
fn outbound_options_are_compared_when_listed() {
    // Listed and equal (the MSS option only, RFC 9293's default): passes.
    let s = format!("{LISTEN}+0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1 <mss 1460>\n");
    assert!(matches!(verdict(&s), Verdict::Pass));
    // `<...>`, or no list: not compared.
    let s = format!("{LISTEN}+0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1 <...>\n");
    assert!(matches!(verdict(&s), Verdict::Pass));
    // Window scale not offered by us: a SYN,ACK expected with it fails on the options.
    let s = format!(
        "{LISTEN}+0 < S 0:0(0) win 1000 <mss 1000,nop,wscale 7>\n\
         +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 7>\n"
    );
    let (_, msg, actual) = failure(&s);
    assert!(msg.contains("TCP options"), "{msg}");
    assert_eq!(
        actual.as_deref(),
        Some("S. 0:0(0) ack 1 win 65535 <mss 1460>")
    );
    // A malformed option value is a bad script, not a panic.
    let s = format!("{LISTEN}+0 < S 0:0(0) win 1000 <wscale 300>\n");
    assert!(!matches!(verdict(&s), Verdict::Pass));
    let s = format!("{LISTEN}+0 < S 0:0(0) win 1000 <TS val x ecr 0>\n");
    assert!(!matches!(verdict(&s), Verdict::Pass));
}

#[test]
fn negotiated_options_come_from_syn_options() {
    let s = format!(
        "--syn_options=linux\n{LISTEN}+0 < S 0:0(0) win 1000 <mss 1000,sackOK,TS val 7 ecr 0,nop,wscale 2>\n\
         +0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 0 ecr 7,nop,wscale 7>\n"
    );
    assert!(matches!(verdict(&s), Verdict::Pass), "{:?}", verdict(&s));
}

#[test]
fn a_read_after_a_refused_connect_is_enotconn_under_rfc9293_and_end_of_file_under_linux() {
    let refused = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
                   +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n\
                   +0 connect(3, ..., ...) = -1 EINPROGRESS\n\
                   +0 > S 0:0(0) <...>\n\
                   +.1 < R. 0:0(0) ack 1 win 65535\n\
                   +0 read(3, ..., 10) = -1 ECONNREFUSED\n";
    // RFC 9293 §3.10.3: RECEIVE in CLOSED, "connection does not exist".
    let (_, _, actual) = failure(&format!("{refused}+0 read(3, ..., 10) = 0\n"));
    assert_eq!(actual.as_deref(), Some("-1 ENOTCONN"));
    // Linux: tcp_done() set SHUTDOWN_MASK (read_after_reset_eof).
    let linux = format!("--profile=linux\n{refused}+0 read(3, ..., 10) = 0\n");
    assert!(matches!(verdict(&linux), Verdict::Pass), "{linux}");
    // A socket that never tried to connect still says ENOTCONN under Linux.
    let (_, _, actual) = failure(
        "--profile=linux\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 read(3, ..., 1) = 0\n",
    );
    assert_eq!(actual.as_deref(), Some("-1 ENOTCONN"));
}
