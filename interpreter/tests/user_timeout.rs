//! `setsockopt(TCP_USER_TIMEOUT)` sets the connection's user timeout (RFC 9293 §3.9.1,
//! RFC 5482), an input of the endpoint (`Config::user_timeout`): text unacknowledged for
//! longer aborts the connection with `ETIMEDOUT` and nothing sent. And Linux's answer to
//! text after close(), a reset as from a closed port (`abort_on_data_reply`).
//! `tests/scripts/linux/user-timeout-aborts.pkt` and
//! `tests/scripts/linux/text-after-close-answered-as-closed-port.pkt` show both against
//! the kernel.

mod common;

use common::assert_passes;

/// Asserts the script fails.
#[track_caller]
fn assert_fails(script: &str) {
    common::assert_fails(script, false);
}

/// A connection accepted at 0.1 s (SRTT 100 ms), `setup` run on the listener first.
fn accepted(profile: &str, setup: &str) -> String {
    format!(
        "--profile={profile}\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n{setup}\
         +0 listen(3, 1) = 0\n+0 < S 0:0(0) win 65535 <mss 1460>\n+0 > S. 0:0(0) ack 1 <...>\n\
         +.1 < . 1:1(0) ack 1 win 65535\n+0 accept(3, ..., ...) = 4\n"
    )
}

#[test]
fn under_linux_the_user_timeout_aborts_one_timeout_after_the_first_retransmission() {
    // RTO 300 ms, then 600; the clock starts at the first retransmission (0.4 s), and
    // the next RTO is clamped to 1.4 s: ETIMEDOUT, nothing sent, then a closed port.
    let s = accepted(
        "linux",
        "+0 setsockopt(3, SOL_TCP, TCP_USER_TIMEOUT, [1000], 4) = 0\n",
    ) + "+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1\n\
         +.3 > P. 1:11(10) ack 1\n+0...1.0 read(4, ..., 10) = -1 ETIMEDOUT (Connection timed out)\n\
         +.6 > P. 1:11(10) ack 1\n+.5 state CLOSED\n\
         +0 < . 1:1(0) ack 11 win 65535\n+0 > R 11:11(0)\n";
    assert_passes(&s);
}

#[test]
fn without_a_user_timeout_the_connection_keeps_retransmitting() {
    let s = accepted("linux", "")
        + "+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1\n\
         +.3 > P. 1:11(10) ack 1\n+.6 > P. 1:11(10) ack 1\n+1.2 > P. 1:11(10) ack 1\n\
         +0 state ESTABLISHED\n";
    assert_passes(&s);
}

#[test]
fn under_rfc9293_the_user_timeout_counts_from_the_first_transmission() {
    // Text at 0.1 s, RTO 1 s: retransmitted at 1.1 s, aborted at 0.1 + 1.5 s.
    let s = accepted(
        "rfc9293",
        "+0 setsockopt(3, SOL_TCP, TCP_USER_TIMEOUT, [1500], 4) = 0\n",
    ) + "+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1\n\
         +0...1.5 read(4, ..., 10) = -1 ETIMEDOUT (Connection timed out)\n\
         +1 > P. 1:11(10) ack 1\n+.5 state CLOSED\n";
    assert_passes(&s);
}

#[test]
fn an_accepted_connection_inherits_its_listeners_user_timeout() {
    let s = accepted(
        "linux",
        "+0 setsockopt(3, SOL_TCP, TCP_USER_TIMEOUT, [2500], 4) = 0\n",
    ) + "+0 getsockopt(4, SOL_TCP, TCP_USER_TIMEOUT, [2500], [4]) = 0\n";
    assert_passes(&s);
    let s = accepted(
        "linux",
        "+0 setsockopt(3, SOL_TCP, TCP_USER_TIMEOUT, [2500], 4) = 0\n",
    ) + "+0 getsockopt(4, SOL_TCP, TCP_USER_TIMEOUT, [1000], [4]) = 0\n";
    assert_fails(&s);
}

#[test]
fn a_negative_user_timeout_is_einval_and_zero_clears_it() {
    let s = accepted(
        "linux",
        "+0 setsockopt(3, SOL_TCP, TCP_USER_TIMEOUT, [-1], 4) = -1 EINVAL (Invalid argument)\n\
         +0 setsockopt(3, SOL_TCP, TCP_USER_TIMEOUT, [500], 4) = 0\n\
         +0 setsockopt(3, SOL_TCP, TCP_USER_TIMEOUT, [0], 4) = 0\n",
    ) + "+0 getsockopt(4, SOL_TCP, TCP_USER_TIMEOUT, [0], [4]) = 0\n";
    assert_passes(&s);
}

#[test]
fn under_linux_text_after_close_is_answered_as_at_a_closed_port() {
    // tcp_reset() without a word, then tcp_v4_send_reset(): <SEQ=SEG.ACK><CTL=RST>.
    let s = accepted("linux", "")
        + "+0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n+.05 < . 1:11(10) ack 1 win 65535\n\
           +0 > R 1:1(0)\n+0 state CLOSED\n";
    assert_passes(&s);
}

#[test]
fn under_rfc9293_text_after_close_is_answered_by_abort() {
    // RFC 9293 §3.6.1 SHLD-2 with §3.10.5's ABORT: <SEQ=SND.NXT><CTL=RST>.
    let s = accepted("rfc9293", "")
        + "+0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n+.05 < . 1:11(10) ack 1 win 65535\n\
           +0 > R 2:2(0)\n+0 state CLOSED\n";
    assert_passes(&s);
}

/// A connection accepted under `profile` whose peer's FIN is in (CLOSE-WAIT), then text
/// on the FIN's number that goes past it.
fn text_past_fin(profile: &str) -> String {
    accepted(profile, "")
        + "+.1 < F. 1:1(0) ack 1 win 65535\n+0~+.05 > . 1:1(0) ack 2\n+.05 state CLOSE_WAIT\n\
           +.1 < P. 1:11(10) ack 1 win 65535\n"
}

#[test]
fn under_linux_text_past_the_peers_fin_resets_close_wait() {
    // tcp_rcv_state_process(): before(seq, rcv_nxt) falls through to "RFC 1122 says we
    // MUST send a reset"; tcp_reset() leaves EPIPE for CLOSE-WAIT.
    let s = text_past_fin("linux")
        + "+0 > R 1:1(0)\n+0 state CLOSED\n+0 write(4, ..., 10) = -1 EPIPE\n";
    assert_passes(&s);
}

#[test]
fn under_rfc9293_text_past_the_peers_fin_is_ignored() {
    // §3.10.7.4's seventh step: text in CLOSE-WAIT "should not occur" and is ignored:
    // no reset, the connection stays.
    let s = text_past_fin("rfc9293") + "+0 state CLOSE_WAIT\n";
    assert_fails(&(s.clone() + "+0 > R 1:1(0)\n"));
    let run = interpreter::run::run_source("t.pkt", &s, &Default::default()).unwrap();
    assert!(
        matches!(run.verdict, interpreter::run::Verdict::Pass),
        "{}",
        interpreter::run::transcript(&run)
    );
}
