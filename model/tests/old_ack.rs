//! An old ACK on text in a synchronized state (RFC 9293 §3.10.7.4 fifth step: "If the ACK
//! is a duplicate (SEG.ACK =< SND.UNA), it can be ignored", then the text is processed;
//! RFC 5961 §5.2: acceptable while SND.UNA - MAX.SND.WND =< SEG.ACK), in the real 32-bit
//! sequence space. Linux's `tcp_ack()` takes it likewise (`old_ack`), but no further back
//! than the bytes the peer has acknowledged (`old_ack_within_bytes_acked`).

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

/// ESTABLISHED by a passive open (ISS 100, the peer's 300), nothing of ours sent but the
/// SYN,ACK: SND.UNA = 101.
fn passively_established(t: &Table, cfg: &model::Config) -> Tcb {
    let mut b = Tcb::new();
    let env = model::endpoint::Env { now: 0, iss: ISS_A };
    b.step(t, cfg, Input::Call(UserCall::PassiveOpen), env);
    b.step(t, cfg, Input::Segment(seg(S, ISS_B, 0)), env);
    b.step(t, cfg, Input::Segment(seg(A, ISS_B + 1, ISS_A + 1)), env);
    assert_eq!(b.state, State::Established);
    b
}

#[test]
fn under_linux_an_old_ack_goes_back_no_further_than_the_bytes_acknowledged() {
    // Linux tcp_ack(): snd_una - min(max_window, bytes_acked); a passive child has
    // bytes_acked 0, so SEG.ACK = ISS (SND.UNA - 1) is too old: a challenge ACK.
    let (t, cfg) = linux();
    let mut b = passively_established(&t, &cfg);
    let before = b.rcv_nxt;
    let out = arrive(
        &t,
        &cfg,
        &mut b,
        Segment {
            len: 5,
            ..seg(A, before, ISS_A)
        },
        0,
    );
    assert_eq!(out.event, Event::AckUnacceptable);
    assert_eq!(out.accepted, 0);
    assert_eq!(b.rcv_nxt, before);
    assert_eq!(out.segments.len(), 1, "{out:?}");
    assert_eq!(out.segments[0].ack, before);
    // An active open counts its SYN (tcp_snd_una_update()): SND.UNA - 1 is a duplicate.
    let mut a = Tcb::new();
    let env = model::endpoint::Env { now: 0, iss: ISS_A };
    a.step(&t, &cfg, Input::Call(UserCall::ActiveOpen), env);
    a.step(&t, &cfg, Input::Segment(seg(S | A, ISS_B, ISS_A + 1)), env);
    let out = arrive(
        &t,
        &cfg,
        &mut a,
        Segment {
            len: 5,
            ..seg(A, ISS_B + 1, ISS_A)
        },
        0,
    );
    assert_eq!(out.event, Event::Ack);
    assert_eq!(out.accepted, 5);
    // ... but not two back.
    let out = arrive(
        &t,
        &cfg,
        &mut a,
        Segment {
            len: 5,
            ..seg(A, ISS_B + 6, ISS_A - 1)
        },
        0,
    );
    assert_eq!(out.event, Event::AckUnacceptable);
}

#[test]
fn under_rfc9293_an_old_ack_within_max_snd_wnd_is_a_duplicate_before_any_byte_is_acked() {
    let t = Table::rfc9293();
    let mut b = passively_established(&t, &cfg());
    let before = b.rcv_nxt;
    let out = step(&t, &mut b, text(before, ISS_A, 5));
    assert_eq!(out.event, Event::Ack);
    assert_eq!(out.accepted, 5);
}
