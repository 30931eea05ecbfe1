//! A simultaneous open's SYN-RECEIVED under the `linux` profile, as Linux 6.18 runs it: a
//! full socket in `TCP_SYN_RECV` (`tcp_rcv_synsent_state_process()`'s crossed SYN), not
//! a request socket. `tcp_sequence()` passes a segment ending at RCV.NXT, `tcp_ack()`
//! takes SEG.ACK = SND.UNA and resets anything outside SND.UNA..SND.NXT, the SYN,ACK
//! retransmissions count to `tcp_syn_retries` (`simultaneous_open_full_socket`); the
//! SYN,ACK is the SYN sent again, and our window scale stays in force
//! (`simultaneous_open_resends_syn`).

mod common;

use common::*;
use model::endpoint::Env;
use model::profile::Param;
use model::table::Timer;
use model::{Config, Event, Flags, Input, Origin, Outcome, State, Table, Tcb, UserCall};

fn at(now: u64) -> Env {
    Env { now, iss: ISS_A }
}

/// Every segment sent: flags, SEQ, ACK.
fn sent(out: &Outcome) -> Vec<(Flags, u32, u32)> {
    out.segments
        .iter()
        .map(|s| (s.flags, s.seq, s.ack))
        .collect()
}

/// Our SYN out, the peer's SYN (ISS 300) in, our SYN,ACK out.
fn simultaneous_syn_received(t: &Table, cfg: &Config) -> Tcb {
    let mut a = Tcb::new();
    a.step(t, cfg, Input::Call(UserCall::ActiveOpen), at(0));
    let out = arrive(t, cfg, &mut a, seg(S, ISS_B, 0), 100);
    assert_eq!(sent(&out), [(S | A, ISS_A, ISS_B + 1)]);
    assert_eq!((a.state, a.origin), (State::SynReceived, Origin::Active));
    a
}

/// The `linux` profile with one parameter set otherwise.
fn linux_with(p: Param) -> (Table, Config) {
    let (t, mut cfg) = linux();
    p.apply(&mut cfg, 1);
    (t, cfg)
}

#[test]
fn under_linux_an_ack_of_nothing_establishes_a_simultaneous_open() {
    let (t, cfg) = linux();
    let mut a = simultaneous_syn_received(&t, &cfg);
    // SEG.ACK = SND.UNA = ISS: our SYN is not acknowledged.
    let out = arrive(&t, &cfg, &mut a, seg(A, ISS_B + 1, ISS_A), 200);
    assert_eq!(out.event, Event::AckOfSyn);
    assert!(out.segments.is_empty(), "{out:?}");
    assert_eq!(a.state, State::Established);
    assert_eq!((a.snd_una, a.snd_nxt), (ISS_A, ISS_A + 1));
    // The SYN,ACK goes again on the SYN's timer, in ESTABLISHED.
    let (timer, due) = a.next_timer().expect("the SYN's timer runs on");
    assert_eq!(timer, Timer::Retransmit);
    let out = a.step(&t, &cfg, Input::Timeout(timer), at(due));
    assert_eq!(sent(&out), [(S | A, ISS_A, ISS_B + 1)]);
    assert_eq!(a.state, State::Established);
}

#[test]
fn rfc9293_resets_an_ack_of_nothing_in_a_simultaneous_syn_received() {
    let (t, cfg) = linux_with(Param::SimultaneousOpenFullSocket(false));
    let mut a = simultaneous_syn_received(&t, &cfg);
    let out = arrive(&t, &cfg, &mut a, seg(A, ISS_B + 1, ISS_A), 200);
    assert_eq!(out.event, Event::AckUnacceptable);
    assert_eq!(sent(&out), [(R, ISS_A, 0)]);
    assert_eq!(a.state, State::SynReceived);
}

#[test]
fn under_linux_a_fin_ending_at_rcv_nxt_with_a_bad_ack_resets_a_simultaneous_syn_received() {
    let (t, cfg) = linux();
    for ack in [ISS_A + 2, ISS_A - 1] {
        let mut a = simultaneous_syn_received(&t, &cfg);
        // The FIN takes the sequence number of the peer's SYN: it ends at RCV.NXT.
        let out = arrive(&t, &cfg, &mut a, seg(F | A, ISS_B, ack), 200);
        assert_eq!(out.event, Event::AckUnacceptable, "ack {ack}");
        assert_eq!(sent(&out), [(R, ack, 0)]);
        assert_eq!(a.state, State::SynReceived);
    }
    // RFC 9293: the segment is old, answered with an ACK.
    let (t, cfg) = linux_with(Param::SimultaneousOpenFullSocket(false));
    let mut a = simultaneous_syn_received(&t, &cfg);
    let out = arrive(&t, &cfg, &mut a, seg(F | A, ISS_B, ISS_A + 2), 200);
    assert_eq!(out.event, Event::Unacceptable);
    assert_eq!(sent(&out), [(A, ISS_A + 1, ISS_B + 1)]);
}

#[test]
fn under_linux_text_ending_at_rcv_nxt_establishes_a_simultaneous_open_and_is_acked_at_once() {
    let (t, cfg) = linux();
    let mut a = simultaneous_syn_received(&t, &cfg);
    let mut s = seg(A | Flags::PSH, ISS_B - 9, ISS_A + 1);
    s.len = 10;
    let out = arrive(&t, &cfg, &mut a, s, 200);
    assert_eq!(out.event, Event::AckOfSyn);
    assert_eq!(out.accepted, 0);
    assert_eq!(sent(&out), [(A, ISS_A + 1, ISS_B + 1)]);
    assert_eq!(
        (a.state, a.snd_una, a.rcv_nxt),
        (State::Established, ISS_A + 1, ISS_B + 1)
    );
}

#[test]
fn under_linux_the_request_socket_keeps_rfc9293s_ack_test() {
    // A passive SYN-RECEIVED (Linux's request socket, tcp_check_req()) still refuses
    // SEG.ACK = SND.UNA.
    let (t, cfg) = linux();
    let mut b = Tcb::new();
    b.step(&t, &cfg, Input::Call(UserCall::PassiveOpen), at(0));
    let out = b.step(&t, &cfg, Input::Segment(seg(S, ISS_B, 0)), at(100));
    let iss = out.segments[0].seq;
    assert_eq!((b.state, b.origin), (State::SynReceived, Origin::Passive));
    let out = arrive(&t, &cfg, &mut b, seg(A, ISS_B + 1, iss), 200);
    assert_eq!(out.event, Event::AckUnacceptable);
    assert_eq!(sent(&out), [(R, iss, 0)]);
}

#[test]
fn under_linux_a_simultaneous_syn_received_retransmits_to_syn_retries() {
    let (t, mut cfg) = linux();
    Param::SynRetries(3).apply(&mut cfg, 1);
    Param::SynackRetries(1).apply(&mut cfg, 1);
    let mut a = simultaneous_syn_received(&t, &cfg);
    let mut resent = 0;
    loop {
        let (timer, due) = a.next_timer().expect("a timer");
        let out = a.step(&t, &cfg, Input::Timeout(timer), at(due));
        if out.event == Event::UserTimeout {
            break;
        }
        assert_eq!(sent(&out), [(S | A, ISS_A, ISS_B + 1)]);
        resent += 1;
    }
    assert_eq!((resent, a.state), (3, State::Closed));
    // The request socket's count without the parameter.
    let (t, mut cfg) = linux_with(Param::SimultaneousOpenFullSocket(false));
    Param::SynRetries(3).apply(&mut cfg, 1);
    Param::SynackRetries(1).apply(&mut cfg, 1);
    let mut a = simultaneous_syn_received(&t, &cfg);
    let (timer, due) = a.next_timer().unwrap();
    a.step(&t, &cfg, Input::Timeout(timer), at(due));
    let (timer, due) = a.next_timer().unwrap();
    let out = a.step(&t, &cfg, Input::Timeout(timer), at(due));
    assert_eq!((out.event, a.state), (Event::UserTimeout, State::Closed));
}

#[test]
fn under_linux_a_simultaneous_open_keeps_our_window_scale_and_offers_the_syns_options() {
    let (t, cfg) = linux();
    let mut a = Tcb::new();
    a.step(&t, &cfg, Input::Call(UserCall::ActiveOpen), at(0));
    // The peer's SYN offers no window scale.
    let out = arrive(&t, &cfg, &mut a, seg(S, ISS_B, 0), 100);
    let synack = out.segments[0];
    assert_eq!(synack.opts.wscale, Some(7));
    assert!(synack.opts.sack_permitted && synack.opts.timestamps.is_some());
    assert!(!a.opts.wscale_on && a.opts.snd_shift == 0);
    assert_eq!(a.opts.rcv_shift, 7);
    let wnd = a.rcv_wnd;
    let out = arrive(&t, &cfg, &mut a, seg(S | A, ISS_B, ISS_A + 1), 200);
    assert_eq!(sent(&out), [(A, ISS_A + 1, ISS_B + 1)]);
    // Shifted by 7, rounded up (scaled_window_rounds_up).
    assert_eq!(out.segments[0].wnd, wnd.div_ceil(128));
    // RFC 7323 §2.2: unscaled, and the SYN,ACK offers only what was agreed.
    let (t, cfg) = linux_with(Param::SimultaneousOpenResendsSyn(false));
    let mut a = Tcb::new();
    a.step(&t, &cfg, Input::Call(UserCall::ActiveOpen), at(0));
    let out = arrive(&t, &cfg, &mut a, seg(S, ISS_B, 0), 100);
    assert_eq!(out.segments[0].opts.wscale, None);
    let out = arrive(&t, &cfg, &mut a, seg(S | A, ISS_B, ISS_A + 1), 200);
    assert_eq!(out.segments[0].wnd, a.rcv_wnd);
}
