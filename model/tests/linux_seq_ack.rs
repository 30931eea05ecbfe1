//! The `linux` profile's acceptance tests for a segment's sequence number and ACK field,
//! as the kernel's: an old ACK is refused below SND.UNA - min(MAX.SND.WND, bytes
//! acknowledged) (`old_ack_within_bytes_acked`, `tcp_ack()`), a FIN takes one from the
//! window offered (`fin_takes_window`), the sequence test's left edge is the RCV.NXT of
//! our last ACK (`acceptable_to_rcv_wup`, `tcp_sequence()`), and a FIN alone may lie at
//! the right edge. And, with the out-of-order queue, a held FIN whose number in-order text
//! covers is dropped (Linux `tcp_ofo_queue()`).

mod common;

use common::*;
use model::endpoint::Env;
use model::{Config, Event, Input, Outcome, Segment, State, Table, Tcb, UserCall};

fn at(now: u64) -> Env {
    Env { now, iss: ISS_A }
}

/// ESTABLISHED by a passive open (ISS 100, the peer's 300), nothing sent yet.
fn passive(t: &Table, cfg: &Config) -> Tcb {
    let mut b = Tcb::new();
    b.step(t, cfg, Input::Call(UserCall::PassiveOpen), at(0));
    arrive(t, cfg, &mut b, seg(S, ISS_B, 0), 0);
    arrive(t, cfg, &mut b, seg(A, ISS_B + 1, ISS_A + 1), 0);
    assert_eq!(b.state, State::Established);
    b
}

/// ESTABLISHED by an active open (ISS 100, the peer's 300), nothing sent yet.
fn active(t: &Table, cfg: &Config) -> Tcb {
    let mut a = Tcb::new();
    a.step(t, cfg, Input::Call(UserCall::ActiveOpen), at(0));
    arrive(t, cfg, &mut a, seg(S | A, ISS_B, ISS_A + 1), 0);
    assert_eq!(a.state, State::Established);
    a
}

fn text(flags: model::Flags, seq: u32, ack: u32, len: u32) -> Segment {
    Segment {
        len,
        ..seg(flags, seq, ack)
    }
}

fn acks(out: &Outcome) -> Vec<u32> {
    out.segments.iter().map(|s| s.ack).collect()
}

#[test]
fn an_old_ack_on_text_right_after_a_passive_handshake_is_too_old_under_linux() {
    // SEG.ACK = ISS, one below SND.UNA: Linux has acknowledged no byte of ours yet
    // (bytes_acked = 0), so the ACK is too old: a challenge ACK, the text dropped.
    let old = text(A, ISS_B + 1, ISS_A, 7);
    let (t, cfg) = linux();
    let mut b = passive(&t, &cfg);
    let out = arrive(&t, &cfg, &mut b, old, 100);
    assert_eq!(out.event, Event::AckUnacceptable);
    assert_eq!(out.accepted, 0);
    assert_eq!(acks(&out), [ISS_B + 1]);
    // RFC 5961 §5.2 bounds by MAX.SND.WND alone: a duplicate, the text taken.
    let (t, cfg) = (Table::rfc9293(), common::cfg());
    let mut b = passive(&t, &cfg);
    let out = arrive(&t, &cfg, &mut b, old, 100);
    assert_eq!(out.event, Event::Ack);
    assert_eq!(out.accepted, 7);
}

#[test]
fn an_old_ack_after_an_active_handshake_is_a_duplicate_under_linux() {
    // An active open's SYN counts as acknowledged (bytes_acked = 1): SEG.ACK = ISS is in.
    let (t, cfg) = linux();
    let mut a = active(&t, &cfg);
    let out = arrive(&t, &cfg, &mut a, text(A, ISS_B + 1, ISS_A, 7), 100);
    assert_eq!(out.event, Event::Ack);
    assert_eq!(out.accepted, 7);
}

#[test]
fn a_fin_takes_one_from_the_window_offered_under_linux() {
    let fin = seg(F | A, ISS_B + 1, ISS_A + 1);
    for (name, t, cfg, taken) in [
        ("linux", linux().0, linux().1, 1),
        ("rfc9293", Table::rfc9293(), common::cfg(), 0),
    ] {
        let mut b = passive(&t, &cfg);
        let wnd = b.rcv_wnd;
        let out = arrive(&t, &cfg, &mut b, fin, 100);
        assert_eq!(b.state, State::CloseWait, "{name}");
        assert_eq!(b.rcv_wnd, wnd - taken, "{name}");
        // The ACK of the FIN, at once or delayed, offers that window.
        let out = if out.segments.is_empty() {
            let due = b.timers.delayed_ack.expect("a delayed ACK");
            b.step(
                &t,
                &cfg,
                Input::Timeout(model::table::Timer::DelayedAck),
                at(due),
            )
        } else {
            out
        };
        assert_eq!(out.segments[0].wnd, wnd - taken, "{name}");
    }
}

#[test]
fn a_fin_ending_at_rcv_nxt_has_its_ack_checked_under_linux() {
    // After the peer's text, its FIN numbered just before RCV.NXT (end_seq = RCV.NXT =
    // rcv_wup) with an ACK of nothing we sent: Linux's tcp_sequence() lets it in and
    // tcp_ack() refuses it (a challenge ACK, rate-limited as such).
    let (t, cfg) = linux();
    let mut b = passive(&t, &cfg);
    arrive(&t, &cfg, &mut b, text(A, ISS_B + 1, ISS_A + 1, 5), 100);
    let nxt = b.rcv_nxt;
    let old_fin = seg(F | A, nxt - 1, ISS_A + 9);
    let out = arrive(&t, &cfg, &mut b, old_fin, 1_000);
    assert_eq!(out.event, Event::AckUnacceptable);
    assert_eq!(b.state, State::Established);
    // With a good ACK it is a duplicate: answered at once, nothing taken.
    let out = arrive(&t, &cfg, &mut b, seg(F | A, nxt - 1, ISS_A + 1), 2_000);
    assert_eq!(out.event, Event::Unacceptable);
    assert_eq!(acks(&out), [nxt]);
    // RFC 9293 §3.10.7.4: no part of it at RCV.NXT or after, unacceptable either way.
    let (t, cfg) = (Table::rfc9293(), common::cfg());
    let mut b = passive(&t, &cfg);
    arrive(&t, &cfg, &mut b, text(A, ISS_B + 1, ISS_A + 1, 5), 100);
    let out = arrive(&t, &cfg, &mut b, seg(F | A, nxt - 1, ISS_A + 9), 1_000);
    assert_eq!(out.event, Event::Unacceptable);
}

#[test]
fn a_fin_alone_at_the_right_edge_is_acceptable_with_text_unread_under_linux() {
    let (t, cfg) = linux();
    let mut b = passive(&t, &cfg);
    let out = arrive(&t, &cfg, &mut b, text(A, ISS_B + 1, ISS_A + 1, 5), 100);
    let edge = out
        .segments
        .last()
        .map(|s| s.ack + s.wnd)
        .unwrap_or(b.rcv_nxt + b.rcv_wnd);
    // Its ACK field is read: here one of nothing sent, refused.
    let out = arrive(&t, &cfg, &mut b, seg(F | A, edge, ISS_A + 9), 200);
    assert_eq!(out.event, Event::AckUnacceptable);
    // With text at the edge it is outside the window while text waits to be read.
    let out = arrive(&t, &cfg, &mut b, text(F | A, edge, ISS_A + 9, 3), 300);
    assert_eq!(out.event, Event::Unacceptable);
}

#[test]
fn a_held_fin_covered_by_text_in_order_is_dropped() {
    let cfg = Config {
        hold_out_of_order: true,
        ..common::cfg()
    };
    let t = Table::rfc9293();
    let mut b = passive(&t, &cfg);
    // A FIN one beyond RCV.NXT is held ...
    arrive(&t, &cfg, &mut b, seg(F | A, ISS_B + 2, ISS_A + 1), 10);
    assert_eq!(b.ooo.fin, Some(ISS_B + 2));
    // ... then text from RCV.NXT covers its number: the text is taken, the FIN dropped.
    let out = arrive(&t, &cfg, &mut b, text(A, ISS_B + 1, ISS_A + 1, 5), 20);
    assert_eq!(out.event, Event::Ack);
    assert_eq!(out.accepted, 5);
    assert_eq!(b.rcv_nxt, ISS_B + 6);
    assert!(!b.fin_received);
    assert_eq!(b.ooo.fin, None);
    assert_eq!(b.state, State::Established);
    // Text that ends just before the FIN's number leaves it in sequence.
    let mut b = passive(&t, &cfg);
    arrive(&t, &cfg, &mut b, seg(F | A, ISS_B + 6, ISS_A + 1), 10);
    let out = arrive(&t, &cfg, &mut b, text(A, ISS_B + 1, ISS_A + 1, 5), 20);
    assert_eq!(out.event, Event::Fin);
    assert_eq!(b.state, State::CloseWait);
}
