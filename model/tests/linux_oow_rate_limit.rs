//! The `linux` profile's limit on out-of-window ACKs (`oow_ack_rate_limit`, Linux
//! `__tcp_oow_rate_limited()` with `net.ipv4.tcp_invalid_ratelimit` = 500 ms): challenge
//! ACKs, ACKs for a bad ACK field and ACKs for empty unacceptable segments share one
//! per-connection clock; and CLOSE-WAIT, CLOSING and LAST-ACK ignore a FIN again at
//! RCV.NXT without an ACK (`tcp_rcv_state_process()`'s step 7).

mod common;

use common::*;
use model::endpoint::Env;
use model::{Event, Flags, Input, Origin, Outcome, Segment, State, Table, Tcb};

/// How many segments went, and the event.
fn sent(out: &Outcome) -> (Event, usize) {
    (out.event, out.segments.len())
}

fn with_text(mut s: Segment, len: u32) -> Segment {
    s.len = len;
    s
}

/// Our ESTABLISHED (opened actively) under `t`: RCV.NXT = 301, SND.NXT = 101.
fn established(t: &Table) -> Tcb {
    reach(t, State::Established, Origin::Active)
}

#[test]
fn linux_sends_one_challenge_ack_per_500_ms_and_rfc9293_every_one() {
    let (t, cfg) = linux();
    let mut b = established(&t);
    let rst_in_window = seg(R, ISS_B + 5, 0);
    let syn = seg(S, ISS_B + 1, 0);
    assert_eq!(
        sent(&arrive(&t, &cfg, &mut b, rst_in_window, 1_000)),
        (Event::RstInWindow, 1)
    );
    // Within 500 ms of it: skipped, RST or SYN alike.
    assert_eq!(sent(&arrive(&t, &cfg, &mut b, syn, 1_100)), (Event::Syn, 0));
    assert_eq!(
        sent(&arrive(&t, &cfg, &mut b, rst_in_window, 1_499)),
        (Event::RstInWindow, 0)
    );
    // A skipped one does not restart the clock: 500 ms after the last one sent, another.
    assert_eq!(sent(&arrive(&t, &cfg, &mut b, syn, 1_500)), (Event::Syn, 1));
    assert_eq!(sent(&arrive(&t, &cfg, &mut b, syn, 1_501)), (Event::Syn, 0));
    // RFC 9293 (RFC 5961 §7 leaves throttling to the implementation): every one.
    let t = Table::rfc9293();
    let cfg = common::cfg();
    let mut b = established(&t);
    assert_eq!(
        sent(&arrive(&t, &cfg, &mut b, rst_in_window, 1_000)),
        (Event::RstInWindow, 1)
    );
    assert_eq!(sent(&arrive(&t, &cfg, &mut b, syn, 1_100)), (Event::Syn, 1));
}

#[test]
fn linux_limits_the_ack_for_a_bad_ack_field_whatever_the_segment_carries() {
    let (t, cfg) = linux();
    let mut b = established(&t);
    // SEG.ACK beyond SND.NXT, with text: tcp_ack() -> tcp_send_challenge_ack().
    let unsent = with_text(seg(A, ISS_B + 1, ISS_A + 50), 10);
    let out = arrive(&t, &cfg, &mut b, unsent, 1_000);
    assert_eq!(sent(&out), (Event::AckUnacceptable, 1));
    assert_eq!(
        (out.segments[0].flags, out.segments[0].ack),
        (Flags::ACK, ISS_B + 1)
    );
    let out = arrive(&t, &cfg, &mut b, unsent, 1_200);
    assert_eq!(sent(&out), (Event::AckUnacceptable, 0));
    // The same clock as a challenge ACK.
    assert_eq!(
        sent(&arrive(&t, &cfg, &mut b, seg(S, ISS_B + 1, 0), 1_300)),
        (Event::Syn, 0)
    );
}

#[test]
fn linux_limits_the_ack_for_an_unacceptable_segment_only_when_it_is_empty_or_a_syn() {
    let (t, cfg) = linux();
    let mut b = established(&t);
    let old_empty = seg(A, ISS_B - 100, ISS_A + 1);
    let old_text = with_text(seg(A, ISS_B - 100, ISS_A + 1), 10);
    let old_fin = seg(F | A, ISS_B - 100, ISS_A + 1);
    assert_eq!(
        sent(&arrive(&t, &cfg, &mut b, old_empty, 1_000)),
        (Event::Unacceptable, 1)
    );
    assert_eq!(
        sent(&arrive(&t, &cfg, &mut b, old_empty, 1_010)),
        (Event::Unacceptable, 0)
    );
    // Text or a FIN: tcp_oow_rate_limited() lets the duplicate ACK go, and the clock
    // keeps its time.
    assert_eq!(
        sent(&arrive(&t, &cfg, &mut b, old_text, 1_020)),
        (Event::Unacceptable, 1)
    );
    assert_eq!(
        sent(&arrive(&t, &cfg, &mut b, old_fin, 1_030)),
        (Event::Unacceptable, 1)
    );
    assert_eq!(
        sent(&arrive(&t, &cfg, &mut b, old_empty, 1_499)),
        (Event::Unacceptable, 0)
    );
    assert_eq!(
        sent(&arrive(&t, &cfg, &mut b, old_empty, 1_500)),
        (Event::Unacceptable, 1)
    );
}

#[test]
fn a_request_sock_and_the_socket_it_becomes_keep_separate_clocks_under_linux() {
    let (t, cfg) = linux();
    let mut b = Tcb::new();
    b.step(
        &t,
        &cfg,
        Input::Call(model::UserCall::PassiveOpen),
        Env { now: 0, iss: ISS_A },
    );
    arrive(&t, &cfg, &mut b, seg(S, ISS_B, 0), 0);
    assert_eq!(b.state, State::SynReceived);
    // An empty segment beyond the window: the request sock's ACK (tcp_check_req()).
    let beyond = seg(A, ISS_B + 90_000, ISS_A + 1);
    assert_eq!(
        sent(&arrive(&t, &cfg, &mut b, beyond, 1_000)),
        (Event::Unacceptable, 1)
    );
    assert_eq!(
        sent(&arrive(&t, &cfg, &mut b, beyond, 1_010)),
        (Event::Unacceptable, 0)
    );
    // The handshake completes: the child's clock starts afresh
    // (tcp_create_openreq_child()).
    arrive(&t, &cfg, &mut b, seg(A, ISS_B + 1, ISS_A + 1), 1_020);
    assert_eq!(b.state, State::Established);
    assert_eq!(
        sent(&arrive(&t, &cfg, &mut b, seg(S, ISS_B + 1, 0), 1_030)),
        (Event::Syn, 1)
    );
}

#[test]
fn close_wait_ignores_a_fin_with_text_at_rcv_nxt_without_an_ack_under_linux() {
    let (t, cfg) = linux();
    let mut b = reach(&t, State::CloseWait, Origin::Active);
    // RCV.NXT is past the peer's FIN (302): more text and a FIN there.
    let again = with_text(seg(F | A, ISS_B + 2, ISS_A + 1), 20);
    let out = arrive(&t, &cfg, &mut b, again, 1_000);
    assert_eq!(sent(&out), (Event::Fin, 0));
    assert_eq!(b.state, State::CloseWait);
    assert_eq!(b.rcv_nxt, ISS_B + 2, "the text and FIN are not taken");
    // RFC 9293 answers it with an ACK.
    let t = Table::rfc9293();
    let mut b = reach(&t, State::CloseWait, Origin::Active);
    let out = arrive(&t, &common::cfg(), &mut b, again, 1_000);
    assert_eq!(sent(&out), (Event::Fin, 1));
}

#[test]
fn close_wait_reads_only_the_ack_of_text_beyond_rcv_nxt_under_linux() {
    let (t, cfg) = linux();
    let mut b = reach(&t, State::CloseWait, Origin::Active);
    // A FIN one beyond RCV.NXT (302), inside the window.
    let beyond = seg(F | A, ISS_B + 3, ISS_A + 1);
    let out = arrive(&t, &cfg, &mut b, beyond, 1_000);
    assert_eq!(sent(&out), (Event::Ack, 0));
    assert_eq!((b.state, b.rcv_nxt), (State::CloseWait, ISS_B + 2));
    // Its ACK is still checked first: one of unsent data draws the (limited) ACK.
    let bad = seg(F | A, ISS_B + 3, ISS_A + 50);
    let out = arrive(&t, &cfg, &mut b, bad, 1_010);
    assert_eq!(sent(&out), (Event::AckUnacceptable, 1));
    // RFC 9293 answers it as unacceptable.
    let t = Table::rfc9293();
    let mut b = reach(&t, State::CloseWait, Origin::Active);
    let out = arrive(&t, &common::cfg(), &mut b, beyond, 1_000);
    assert_eq!(sent(&out), (Event::Unacceptable, 1));
}

#[test]
fn closing_ends_on_a_fin_that_acknowledges_ours_without_an_ack_under_linux() {
    let (t, cfg) = linux();
    let mut b = reach(&t, State::Closing, Origin::Active);
    // RCV.NXT = 302, SND.NXT = 102: a FIN at RCV.NXT acknowledging ours.
    let out = arrive(&t, &cfg, &mut b, seg(F | A, ISS_B + 2, ISS_A + 2), 1_000);
    assert_eq!(sent(&out), (Event::FinAckOfFin, 0));
    assert_eq!(b.state, State::TimeWait);
}
