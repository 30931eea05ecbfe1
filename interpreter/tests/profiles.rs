//! `--profile linux` and `--profile freebsd` bring their endpoint parameters (SYN options,
//! TIME-WAIT, retries, ...) and rows (ABORT's RST,ACK); a script's own `--name=value`
//! lines and the command line's options still win.

use interpreter::run::{Verdict, run_source};
use interpreter::session::Options;

/// Runs strict (a segment after the last `>` line fails), as the corpus tests do.
fn verdict(script: &str) -> Verdict {
    let strict = Options {
        strict: true,
        ..Options::default()
    };
    run_source("t.pkt", script, &strict).unwrap().verdict
}

fn passes(script: &str) -> bool {
    matches!(verdict(script), Verdict::Pass)
}

const LISTEN: &str =
    "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n";

/// Passive open to ESTABLISHED, with no options on the peer's SYN.
fn established(profile: &str) -> String {
    format!(
        "--profile={profile}\n{LISTEN}+0 < S 0:0(0) win 65535\n+0 > S. 0:0(0) ack 1\n\
         +.1 < . 1:1(0) ack 1 win 65535\n+0 accept(3, ..., ...) = 4\n"
    )
}

#[test]
fn the_syn_ack_carries_linux_options_under_linux_and_freebsd_options_under_freebsd() {
    let syn = "+.1 < S 0:0(0) win 65535 <mss 1000,sackOK,TS val 100 ecr 0,nop,wscale 2>\n";
    let linux = "+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100000 ecr 100,nop,wscale 7>\n";
    let freebsd = "+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 6,sackOK,TS val 100000 ecr 100>\n";
    let mss_only = "+0 > S. 0:0(0) ack 1 <mss 1460>\n";
    let script =
        |profile: &str, expect: &str| format!("--profile={profile}\n{LISTEN}{syn}{expect}");
    assert!(passes(&script("linux", linux)));
    assert!(passes(&script("freebsd", freebsd)));
    assert!(passes(&script("rfc9293", mss_only)));
    // RFC 9293's endpoint offers the MSS only: Linux's SYN,ACK is not what it sends.
    assert!(!passes(&script("rfc9293", linux)));
    assert!(!passes(&script("linux", mss_only)));
}

#[test]
fn abort_sends_rst_ack_under_linux_and_a_bare_rst_under_rfc9293() {
    let abort = "+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0\n\
                 +0 close(4) = 0\n";
    let linux = format!("{}{abort}+0 > R. 1:1(0) ack 1\n", established("linux"));
    assert!(passes(&linux), "{:?}", verdict(&linux));
    let freebsd = format!("{}{abort}+0 > R. 1:1(0) ack 1\n", established("freebsd"));
    assert!(passes(&freebsd), "{:?}", verdict(&freebsd));
    let rfc = format!("{}{abort}+0 > R 1:1(0)\n", established("rfc9293"));
    assert!(passes(&rfc), "{:?}", verdict(&rfc));
    let wrong = format!("{}{abort}+0 > R 1:1(0)\n", established("linux"));
    assert!(!passes(&wrong));
}

#[test]
fn close_with_unread_data_resets_under_linux_and_sends_a_fin_under_freebsd() {
    let unread = "+0 < P. 1:11(10) ack 1 win 65535\n+0 > . 1:1(0) ack 11\n+0 close(4) = 0\n";
    let linux = format!("{}{unread}+0 > R. 1:1(0) ack 11\n", established("linux"));
    assert!(passes(&linux), "{:?}", verdict(&linux));
    // FreeBSD delays the ACK of the text (DELAY_ACK()): the FIN carries it.
    let freebsd = format!(
        "{}+0 < P. 1:11(10) ack 1 win 65535\n+0 close(4) = 0\n+0 > F. 1:1(0) ack 11\n",
        established("freebsd")
    );
    assert!(passes(&freebsd), "{:?}", verdict(&freebsd));
}

/// An active close into TIME-WAIT, then the state `wait` seconds later.
fn time_wait(options: &str, wait: u32, state: &str) -> String {
    format!(
        "{options}{LISTEN}+0 < S 0:0(0) win 65535\n+0 > S. 0:0(0) ack 1\n\
         +.1 < . 1:1(0) ack 1 win 65535\n+0 accept(3, ..., ...) = 4\n+0 close(4) = 0\n\
         +0 > F. 1:1(0) ack 1\n+.1 < F. 1:1(0) ack 2 win 65535\n+0 > . 2:2(0) ack 2\n\
         +0 state TIME_WAIT\n+{wait} state {state}\n"
    )
}

#[test]
fn time_wait_lasts_60_s_under_linux_and_freebsd_and_240_s_under_rfc9293() {
    for profile in ["linux", "freebsd"] {
        let p = format!("--profile={profile}\n");
        assert!(passes(&time_wait(&p, 59, "TIME_WAIT")), "{profile}");
        assert!(passes(&time_wait(&p, 61, "CLOSED")), "{profile}");
    }
    assert!(passes(&time_wait("", 239, "TIME_WAIT")));
    assert!(passes(&time_wait("", 241, "CLOSED")));
}

#[test]
fn a_script_line_wins_over_the_profile_whichever_comes_first() {
    // --msl_secs=10: TIME-WAIT is 2 MSL = 20 s, not Linux's 60 s.
    for options in [
        "--profile=linux\n--msl_secs=10\n",
        "--msl_secs=10\n--profile=linux\n",
    ] {
        assert!(passes(&time_wait(options, 21, "CLOSED")), "{options}");
    }
    // --syn_options=mss: the SYN,ACK carries the MSS only, under Linux too.
    let s = format!(
        "--syn_options=mss\n--profile=linux\n{LISTEN}+0 < S 0:0(0) win 65535 <mss 1000,sackOK,TS val 1 ecr 0,nop,wscale 2>\n\
         +0 > S. 0:0(0) ack 1 <mss 1460>\n"
    );
    assert!(passes(&s), "{:?}", verdict(&s));
}

#[test]
fn command_line_options_win_over_a_script_profile_line() {
    // As `interpreter run --msl 10 --retries 3` sets them, then the script's --profile.
    let mut o = Options::default();
    o.set("msl_secs", "10").unwrap();
    o.set("retries", "3").unwrap();
    o.set("profile", "linux").unwrap();
    assert_eq!(o.config.msl, 10_000_000);
    assert_eq!(o.config.time_wait, None, "2 MSL, as --msl says");
    assert_eq!(o.config.max_retransmits, 3);
    // What the user did not set comes from the profile.
    assert_eq!(o.config.syn_options, model::SynOptions::LINUX);
    assert_eq!(o.config.rto_max, 120_000_000);
    assert_eq!(o.config.syn_retries, Some(6));
    // Back to RFC 9293: the profile's parameters go, the user's stay.
    o.set("profile", "rfc9293").unwrap();
    assert_eq!(o.config.syn_options, model::SynOptions::MSS_ONLY);
    assert_eq!(o.config.syn_retries, None);
    assert_eq!(o.config.msl, 10_000_000);
}

#[test]
fn a_linux_connect_gives_up_after_ten_syn_retransmissions() {
    // tcp_syn_retries = 6 plus tcp_syn_linear_timeouts = 4 (tcp_write_timeout()): five
    // SYNs 1 s apart, then the RTO doubles (tcp_retransmit_timer()): 2, 4, 8, 16, 32 s;
    // the last retransmission at 67 s, and 64 s later the connection gives up (131 s).
    let s = "--profile=linux\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
             +0...131 connect(3, ..., ...) = -1 ETIMEDOUT (Connection timed out)\n\
             +0 > S 0:0(0)\n+1 > S 0:0(0)\n+1 > S 0:0(0)\n+1 > S 0:0(0)\n+1 > S 0:0(0)\n\
             +1 > S 0:0(0)\n+2 > S 0:0(0)\n+4 > S 0:0(0)\n+8 > S 0:0(0)\n+16 > S 0:0(0)\n\
             +32 > S 0:0(0)\n+64 state CLOSED\n";
    // The SYN carries Linux's options; the `>` lines above list none, so they are not
    // compared.
    assert!(passes(s), "{:?}", verdict(s));
}

#[test]
fn freebsd_retransmits_its_syn_after_1_s_then_doubles_the_initial_rto_and_adds_200_ms() {
    // tcp_timer_rexmt(): t_rxtcur = tcp_rexmit_initial × tcp_backoff[t_rxtshift] plus
    // net.inet.tcp.rexmit_slop (TCPT_RANGESET()), at most TCPTV_REXMTMAX; the first
    // timeout is the initial RTO alone.
    let s = "--profile=freebsd\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
             +0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n\
             +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n\
             +0 > S 0:0(0)\n+1 > S 0:0(0)\n+2.2 > S 0:0(0)\n+4.2 > S 0:0(0)\n\
             +8.2 > S 0:0(0)\n+16.2 > S 0:0(0)\n+32.2 > S 0:0(0)\n+64 > S 0:0(0)\n\
             +64 > S 0:0(0)\n+0 close(3) = 0\n";
    assert!(passes(s), "{:?}", verdict(s));
    // Without the slop (the second SYN 2 s after the first) FreeBSD's timing fails.
    let exact = s.replace("+2.2 > S", "+2 > S");
    assert!(!passes(&exact));
}

/// FreeBSD in TIME-WAIT after an active close (RCV.NXT = 2, SND.NXT = 2), then `then`.
fn freebsd_time_wait(then: &str) -> String {
    format!(
        "{}+0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n+.1 < F. 1:1(0) ack 2 win 65535\n\
         +0 > . 2:2(0) ack 2\n{then}+0 state TIME_WAIT\n",
        established("freebsd")
    )
}

#[test]
fn freebsd_acks_every_segment_in_time_wait_but_a_pure_duplicate_ack_and_one_without_ack() {
    // tcp_twcheck(): an ACK in the window (acceptable, RFC 9293 would ignore it) is
    // acknowledged ...
    let in_window = freebsd_time_wait("+.1 < . 3:3(0) ack 2 win 65535\n+0 > . 2:2(0) ack 2\n");
    assert!(passes(&in_window), "{:?}", verdict(&in_window));
    // ... a pure duplicate ACK (SEG.SEQ = RCV.NXT, SEG.ACK = SND.NXT, no text) is not ...
    let duplicate = freebsd_time_wait("+.1 < . 2:2(0) ack 2 win 65535\n");
    assert!(passes(&duplicate), "{:?}", verdict(&duplicate));
    // ... and neither is a FIN without ACK, even one below the window; the ACK after it is.
    let fin = freebsd_time_wait(
        "+.1 < F 1:1(0) win 65535\n+.1 < . 1:1(0) ack 2 win 65535\n+0 > . 2:2(0) ack 2\n",
    );
    assert!(passes(&fin), "{:?}", verdict(&fin));
    // RFC 9293 ignores the ACK in the window.
    let rfc = in_window.replace("--profile=freebsd\n", "");
    assert!(!passes(&rfc));
}
