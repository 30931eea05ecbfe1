//! What happens to a listener's connections that were never accepted, under the socket
//! layer's two Linux parameters: a request (SYN-RECEIVED) outlives its listener's close()
//! until its SYN,ACK timer or its next segment (`request_outlives_listener`), and a
//! connection reset before accept() stays in the accept queue for it
//! (`reset_child_accepted`). Under RFC 9293 neither: CLOSE of the listener aborts the
//! request at once, and a reset connection is gone. `tests/scripts/linux/request-*.pkt`
//! and `reset-child-*.pkt` show the same against the kernel.

use interpreter::run::{Verdict, run_source, transcript};
use interpreter::session::Options;

/// Runs strict (a segment no `>` line expects fails).
#[track_caller]
fn assert_passes(script: &str) {
    let strict = Options {
        strict: true,
        ..Options::default()
    };
    let run = run_source("t.pkt", script, &strict).unwrap();
    assert!(matches!(run.verdict, Verdict::Pass), "{}", transcript(&run));
}

/// A non-blocking listener that has answered the peer's SYN (ISN 1000) at 0.1 s.
fn syn_received(profile: &str) -> String {
    format!(
        "--profile={profile}\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
         +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 listen(3, 1) = 0\n\
         +.1 < S 1000:1000(0) win 65535 <mss 1460>\n+0 > S. 0:0(0) ack 1001 <...>\n"
    )
}

#[test]
fn under_linux_a_request_outlives_its_listener_until_its_syn_ack_timer() {
    // The SYN,ACK's timer would fire at 1.1 s: the request goes then, nothing sent.
    let s = syn_received("linux")
        + "+.1 close(3) = 0\n+0 state SYN_RECEIVED\n+.8 state SYN_RECEIVED\n\
           +.2 state CLOSED\n+5 state CLOSED\n";
    assert_passes(&s);
}

#[test]
fn under_linux_a_request_outlives_its_listener_past_retransmissions_until_the_next() {
    // SYN,ACK again at 1.1 and 3.1 s; the listener closes at 4 s; the next timer (7.1 s)
    // drops the request.
    let s = syn_received("linux")
        + "+1 > S. 0:0(0) ack 1001 <...>\n+2 > S. 0:0(0) ack 1001 <...>\n\
           +.9 close(3) = 0\n+3 state SYN_RECEIVED\n+.2 state CLOSED\n";
    assert_passes(&s);
}

#[test]
fn under_linux_a_segment_for_a_request_whose_listener_closed_meets_a_closed_port() {
    let s = syn_received("linux")
        + "+.1 shutdown(3, SHUT_RD) = 0\n+0 state SYN_RECEIVED\n\
           +.1 < . 1001:1001(0) ack 1 win 65535\n+0 > R 1:1(0)\n+0 state CLOSED\n";
    assert_passes(&s);
}

#[test]
fn under_linux_a_rst_for_a_request_whose_listener_closed_is_dropped_silently() {
    let s = syn_received("linux")
        + "+.1 close(3) = 0\n+.1 < R 1001:1001(0) win 65535\n+0 state CLOSED\n+2 state CLOSED\n";
    assert_passes(&s);
}

#[test]
fn under_rfc9293_closing_the_listener_resets_its_request_at_once() {
    let s = syn_received("rfc9293") + "+.1 close(3) = 0\n+0 > R 1:1(0)\n+0 state CLOSED\n";
    assert_passes(&s);
}

#[test]
fn under_linux_a_connection_reset_before_accept_is_accepted_with_its_error() {
    let s = syn_received("linux")
        + "+.1 < . 1001:1001(0) ack 1 win 65535\n+.1 < R 1001:1001(0) win 65535\n\
           +0 state CLOSED\n+0 accept(3, ..., ...) = 4\n\
           +0 write(4, ..., 10) = -1 ECONNRESET (Connection reset by peer)\n\
           +0 write(4, ..., 10) = -1 EPIPE (Broken pipe)\n+0 read(4, ..., 100) = 0\n\
           +0 accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)\n";
    assert_passes(&s);
}

#[test]
fn under_linux_a_listener_with_a_reset_connection_queued_polls_readable() {
    let s = syn_received("linux")
        + "+.1 < . 1001:1001(0) ack 1 win 65535\n+.1 < R 1001:1001(0) win 65535\n\
           +0 poll([{fd=3, events=POLLIN, revents=POLLIN}], 1, 0) = 1\n";
    assert_passes(&s);
}

#[test]
fn under_linux_closing_the_listener_discards_a_reset_connection_without_a_word() {
    let s = syn_received("linux")
        + "+.1 < . 1001:1001(0) ack 1 win 65535\n+.1 < R 1001:1001(0) win 65535\n\
           +.1 close(3) = 0\n+0 state CLOSED\n";
    assert_passes(&s);
}

#[test]
fn under_rfc9293_a_connection_reset_before_accept_is_gone() {
    let s = syn_received("rfc9293")
        + "+.1 < . 1001:1001(0) ack 1 win 65535\n+.1 < R 1001:1001(0) win 65535\n\
           +0 state CLOSED\n\
           +0 accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)\n";
    assert_passes(&s);
}
