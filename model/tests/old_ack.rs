//! An old ACK on text in a synchronized state (RFC 9293 §3.10.7.4 fifth step: "If the ACK
//! is a duplicate (SEG.ACK =< SND.UNA), it can be ignored", then the text is processed;
//! RFC 5961 §5.2: acceptable while SND.UNA - MAX.SND.WND =< SEG.ACK), in the real 32-bit
//! sequence space. Linux's `tcp_ack()` takes it likewise (`old_ack`).

mod common;

use common::*;
use model::{Event, Input, Segment, State, Table, Tcb, UserCall};

/// ESTABLISHED by an active open (ISS 100, the peer's 300, its window 1000), with 10
/// bytes of ours acknowledged so SND.UNA = 111.
fn established(t: &Table) -> Tcb {
    let mut a = Tcb::new();
    call(t, &mut a, UserCall::ActiveOpen);
    step(t, &mut a, Input::Segment(seg(S | A, ISS_B, ISS_A + 1)));
    assert_eq!(a.state, State::Established);
    call(t, &mut a, UserCall::Send(10));
    step(t, &mut a, Input::Segment(seg(A, ISS_B + 1, ISS_A + 11)));
    assert_eq!(a.snd_una, ISS_A + 11);
    a
}

fn text(seq: u32, ack: u32, len: u32) -> Input {
    Input::Segment(Segment {
        len,
        ..seg(A, seq, ack)
    })
}

#[test]
fn text_with_an_old_ack_within_max_snd_wnd_is_accepted() {
    let t = Table::rfc9293();
    let mut a = established(&t);
    assert_eq!(a.max_snd_wnd, 1000);
    for old in [ISS_A + 10, ISS_A + 1] {
        let before = a.rcv_nxt;
        let out = step(&t, &mut a, text(before, old, 5));
        assert_eq!(out.event, Event::Ack, "SEG.ACK {old}");
        assert_eq!(out.accepted, 5);
        assert_eq!(a.rcv_nxt, before + 5);
        assert_eq!(a.snd_una, ISS_A + 11, "SND.UNA does not go back");
        assert_eq!(out.segments.last().map(|s| s.ack), Some(a.rcv_nxt));
    }
}

#[test]
fn text_with_an_ack_older_than_max_snd_wnd_is_refused() {
    // RFC 5961 §5.2: below SND.UNA - MAX.SND.WND, a challenge ACK and the segment dropped.
    let t = Table::rfc9293();
    let mut a = established(&t);
    let before = a.rcv_nxt;
    let out = step(&t, &mut a, text(before, (ISS_A + 11).wrapping_sub(1001), 5));
    assert_eq!(out.event, Event::AckUnacceptable);
    assert_eq!(out.accepted, 0);
    assert_eq!(a.rcv_nxt, before);
}
