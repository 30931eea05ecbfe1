//! `sysctl` set-up lines before a script's first statement are read as configuration,
//! never executed (FreeBSD `net.inet.tcp.insecure_rst`, Linux `net.ipv4.tcp_*`).

use std::path::PathBuf;
use std::process::{Command, Output};

fn temp(name: &str, text: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("tcpfsm-sysctl-{}-{name}", std::process::id()));
    std::fs::write(&p, text).unwrap();
    p
}

fn run(name: &str, script: &str, args: &[&str]) -> (Output, String) {
    let f = temp(name, script);
    let out = Command::new(env!("CARGO_BIN_EXE_interpreter"))
        .arg("run")
        .arg(&f)
        .args(args)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&f);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out, text)
}

/// A passive open to ESTABLISHED, then an in-window RST (not at RCV.NXT).
const OPEN_THEN_RST: &str = "\
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <...>
+0 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
+0 < R 100:100(0) win 65535
";

/// RFC 5961 §3.2: a challenge ACK, the connection stays.
const CHALLENGE_ACK: &str = "+0 > . 1:1(0) ack 1 <...>\n";
/// RFC 793 §3.9: the connection is reset.
const RESET: &str = "+0 read(4, ..., 100) = -1 ECONNRESET (Connection reset by peer)\n";

#[test]
fn freebsd_answers_an_in_window_rst_with_a_challenge_ack_without_set_up() {
    let (out, text) = run(
        "secure.pkt",
        &format!("{OPEN_THEN_RST}{CHALLENGE_ACK}"),
        &["--profile", "freebsd"],
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    let (out, text) = run(
        "secure-reset.pkt",
        &format!("{OPEN_THEN_RST}{RESET}"),
        &["--profile", "freebsd"],
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
}

#[test]
fn insecure_rst_set_up_makes_an_in_window_rst_reset_under_freebsd() {
    let script = format!(
        " 0.00 `sysctl -w net.inet.tcp.insecure_rst=1`\n{OPEN_THEN_RST}{RESET}+0 `sysctl -w net.inet.tcp.insecure_rst=0`\n"
    );
    let (out, text) = run("insecure.pkt", &script, &["--profile", "freebsd"]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("sysctl net.inet.tcp.insecure_rst=1 read as set-up: profile rfc793-rst added (rfc793-rst,freebsd); nothing executed"),
        "{text}"
    );
    // The clean-up after the first statement is skipped as any command.
    assert!(
        text.contains("shell command skipped: scripts are data"),
        "{text}"
    );
    // Without the set-up line the same expectation fails: the line is what changed it.
    let script = format!("{OPEN_THEN_RST}{RESET}");
    let (out, _) = run("insecure-without.pkt", &script, &["--profile", "freebsd"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn set_up_after_the_first_statement_is_not_read() {
    let mut script = String::from(OPEN_THEN_RST);
    script.insert_str(
        script.find('\n').unwrap() + 1,
        "+0 `sysctl -w net.inet.tcp.insecure_rst=1`\n",
    );
    let (out, text) = run(
        "late.pkt",
        &format!("{script}{CHALLENGE_ACK}"),
        &["--profile", "freebsd"],
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("read as set-up"), "{text}");
}

#[test]
fn a_command_with_anything_but_sysctl_is_skipped_whole_and_never_run() {
    let marker = std::env::temp_dir().join(format!(
        "tcpfsm-sysctl-should-not-exist-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&marker);
    let script = format!(
        "0 `sysctl -w net.inet.tcp.insecure_rst=1; touch {}`\n{OPEN_THEN_RST}{CHALLENGE_ACK}",
        marker.display()
    );
    let (out, text) = run("touch.pkt", &script, &["--profile", "freebsd"]);
    // Not read: the in-window RST still gets its challenge ACK.
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("shell command skipped: scripts are data, nothing in them is executed"),
        "{text}"
    );
    assert!(!marker.exists(), "the command ran");
}

#[test]
fn a_malformed_sysctl_is_a_notice_with_its_place_not_a_failure() {
    let script = format!(
        "// set-up\n0 `sysctl -w net.inet.tcp.insecure_rst=`\n{OPEN_THEN_RST}{CHALLENGE_ACK}"
    );
    let (out, text) = run("malformed.pkt", &script, &["--profile", "freebsd"]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // Line 2, column 40: where the value should be, after `=`.
    assert!(
        text.contains("not read as set-up: 2:40: `net.inet.tcp.insecure_rst=`"),
        "{text}"
    );
}

#[test]
fn unknown_sysctls_keep_the_skip_notice() {
    let script =
        format!("0 `sysctl -w kern.ipc.maxsockbuf=2097152`\n{OPEN_THEN_RST}{CHALLENGE_ACK}");
    let (out, text) = run("unknown.pkt", &script, &["--profile", "freebsd"]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("read as set-up"), "{text}");
}

#[test]
fn linux_timestamps_off_removes_ts_from_our_syn() {
    let script = "\
0 `sysctl -q net.ipv4.tcp_timestamps=0`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <mss 1460,sackOK,nop,nop,nop,wscale 7>
";
    let (out, text) = run("ts.pkt", script, &["--profile", "linux"]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("our SYN offers mss 1460, sackOK, wscale 7"),
        "{text}"
    );
}

/// A listener takes a SYN,FIN, then a SYN a second later.
const LISTEN_THEN_SYN_FIN: &str = "\
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < SF 0:0(0) win 65535 <mss 1460>
+1 < S 10:10(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 11 <...>
";

#[test]
fn drop_synfin_set_up_makes_freebsd_drop_a_syn_fin_before_the_listener_sees_it() {
    // A later profile change (insecure_syn) keeps it: the line is set-up, not profile data.
    let script = format!(
        " 0.00 `sysctl -w net.inet.tcp.drop_synfin=1`\n+0 `sysctl -w net.inet.tcp.insecure_syn=1`\n{LISTEN_THEN_SYN_FIN}"
    );
    let (out, text) = run("drop-synfin.pkt", &script, &["--profile", "freebsd"]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("sysctl net.inet.tcp.drop_synfin=1 read as set-up: drop_synfin set to true"),
        "{text}"
    );
    // Without it (FreeBSD's default, 0) the SYN,FIN opens: its SYN,ACK comes first.
    let (out, _) = run(
        "drop-synfin-without.pkt",
        LISTEN_THEN_SYN_FIN,
        &["--profile", "freebsd"],
    );
    assert_eq!(out.status.code(), Some(1));
}
