//! The `linux` profile's send and ACK timing: Nagle's algorithm in Minshall's variant
//! (`nagle`: Linux `tcp_nagle_test()`, `tcp_minshall_check()`), and the ATO that quick-ACK
//! mode sets (`tcp_enter_quickack_mode()`) and a delayed ACK waits out.

mod common;

use common::*;
use model::endpoint::Env;
use model::{Config, Flags, Input, Outcome, Segment, State, Table, Tcb, UserCall};

const P: Flags = Flags::PSH;

/// An active open of the `linux` profile (MSS 100 here), ESTABLISHED at time 0.
fn established(cfg: &Config, t: &Table) -> Tcb {
    let mut a = Tcb::new();
    let env = Env { now: 0, iss: ISS_A };
    a.step(t, cfg, Input::Call(UserCall::ActiveOpen), env);
    a.step(t, cfg, Input::Segment(seg(S | A, ISS_B, ISS_A + 1)), env);
    assert_eq!(a.state, State::Established);
    a
}

fn send(t: &Table, cfg: &Config, a: &mut Tcb, n: u32, now: u64) -> Outcome {
    a.step(t, cfg, Input::Call(UserCall::Send(n)), Env { now, iss: 0 })
}

/// (SEG.SEQ, SEG.LEN) of each segment sent.
fn texts(o: &Outcome) -> Vec<(u32, u32)> {
    o.segments.iter().map(|s| (s.seq, s.len)).collect()
}

#[test]
fn linux_holds_a_short_segment_while_an_earlier_short_one_is_unacknowledged() {
    let (t, cfg) = linux();
    assert!(cfg.nagle);
    let mut a = established(&cfg, &t);
    assert_eq!(texts(&send(&t, &cfg, &mut a, 10, 1)), [(ISS_A + 1, 10)]);
    // The second short write waits: 10 bytes in flight were a short segment.
    assert_eq!(texts(&send(&t, &cfg, &mut a, 30, 2)), []);
    assert_eq!(texts(&send(&t, &cfg, &mut a, 20, 3)), []);
    assert_eq!(a.send_queue, 50);
    // The ACK of the short segment lets the held text go, as one segment.
    let out = arrive(&t, &cfg, &mut a, seg(A, ISS_B + 1, ISS_A + 11), 10);
    assert_eq!(texts(&out), [(ISS_A + 11, 50)]);
    assert!(out.segments[0].flags.contains(P));
}

#[test]
fn linux_sends_full_segments_and_holds_only_the_short_tail() {
    let (t, cfg) = linux();
    let mut a = established(&cfg, &t);
    send(&t, &cfg, &mut a, 10, 1);
    // Two full segments go whatever is in flight; the 30 bytes after them wait.
    let out = send(&t, &cfg, &mut a, 230, 2);
    assert_eq!(texts(&out), [(ISS_A + 11, 100), (ISS_A + 111, 100)]);
    assert_eq!(a.send_queue, 30);
    // An ACK that leaves the short segment unacknowledged releases nothing.
    let out = arrive(&t, &cfg, &mut a, seg(A, ISS_B + 1, ISS_A + 1), 5);
    assert_eq!(texts(&out), []);
}

#[test]
fn linux_sends_a_short_segment_when_the_last_short_one_is_acknowledged() {
    // Minshall's variant: a full segment in flight does not hold a short one.
    let (t, cfg) = linux();
    let mut a = established(&cfg, &t);
    assert_eq!(texts(&send(&t, &cfg, &mut a, 100, 1)), [(ISS_A + 1, 100)]);
    assert_eq!(texts(&send(&t, &cfg, &mut a, 10, 2)), [(ISS_A + 101, 10)]);
}

#[test]
fn a_fin_on_the_held_tail_sends_it() {
    // tcp_nagle_test(): no Nagle for the skb that carries the FIN.
    let (t, cfg) = linux();
    let mut a = established(&cfg, &t);
    send(&t, &cfg, &mut a, 10, 1);
    send(&t, &cfg, &mut a, 30, 2);
    let out = a.step(
        &t,
        &cfg,
        Input::Call(UserCall::Close),
        Env { now: 3, iss: 0 },
    );
    assert_eq!(texts(&out), [(ISS_A + 11, 30)]);
    assert!(out.segments[0].flags.fin());
    assert_eq!(out.to, State::FinWait1);
}

#[test]
fn without_nagle_every_write_goes_at_once() {
    // RFC 9293's default here, and the linux profile with TCP_NODELAY.
    let (t, cfg) = linux();
    let cfg = Config {
        nagle: false,
        ..cfg
    };
    let mut a = established(&cfg, &t);
    send(&t, &cfg, &mut a, 10, 1);
    assert_eq!(texts(&send(&t, &cfg, &mut a, 30, 2)), [(ISS_A + 11, 30)]);
    assert!(!Config::default().nagle);
}

#[test]
fn a_tail_loss_probe_sends_the_held_text() {
    // tcp_send_loss_probe(): new text first, with TCP_NAGLE_OFF.
    let (t, cfg) = linux();
    let mut a = Tcb::new();
    let env = |now| Env { now, iss: ISS_A };
    a.step(&t, &cfg, Input::Call(UserCall::ActiveOpen), env(0));
    let mut synack = seg(S | A, ISS_B, ISS_A + 1);
    synack.opts.sack_permitted = true;
    a.step(&t, &cfg, Input::Segment(synack), env(100));
    assert!(a.opts.sack_ok);
    send(&t, &cfg, &mut a, 10, 100);
    assert_eq!(texts(&send(&t, &cfg, &mut a, 30, 100)), []);
    let (timer, due) = a.next_timer().expect("the probe timer");
    assert_eq!(timer, model::table::Timer::Retransmit);
    let out = a.step(&t, &cfg, Input::Timeout(timer), env(due));
    assert_eq!(texts(&out), [(ISS_A + 11, 30)]);
    assert_eq!(a.send_queue, 0);
}

#[test]
fn a_duplicate_fin_sets_the_ato_so_the_next_fin_waits_for_it() {
    // tcp_send_dupack(): a segment below RCV.NXT whose end_seq counts a FIN enters
    // quick-ACK mode, which sets the ATO to TCP_ATO_MIN; the FIN then in order makes the
    // connection interactive (tcp_fin()) and its ACK waits the ATO, 40 ms, not a tick.
    let (t, cfg) = linux();
    let mut a = established(&cfg, &t);
    let out = arrive(&t, &cfg, &mut a, seg(F | A, ISS_B - 1, ISS_A + 1), 10);
    assert_eq!(sent(&out), ".");
    assert!(a.ack.ato_on);
    let out = arrive(&t, &cfg, &mut a, seg(F | A, ISS_B + 1, ISS_A + 1), 20);
    assert_eq!((out.to, sent(&out).as_str()), (State::CloseWait, ""));
    assert_eq!(a.timers.delayed_ack, Some(60));
}

#[test]
fn a_bare_ack_beyond_rcv_nxt_does_not_take_a_held_fin() {
    // The gap before a FIN held out of order is not filled by a segment that starts
    // after RCV.NXT (here at the window's right edge, acceptable under linux): the FIN
    // stays held, the connection ESTABLISHED.
    let (t, cfg) = linux();
    let cfg = Config {
        hold_out_of_order: true,
        ..cfg
    };
    let mut a = established(&cfg, &t);
    let held = Segment {
        len: 13,
        ..seg(F | A | P, ISS_B + 2, ISS_A + 1)
    };
    arrive(&t, &cfg, &mut a, held, 10);
    assert_eq!(a.state, State::Established);
    let edge = ISS_B + 1 + a.rcv_wnd;
    let out = arrive(&t, &cfg, &mut a, seg(A, edge, ISS_A + 1), 20);
    assert_eq!(out.to, State::Established);
    assert!(!a.fin_received);
}

#[test]
fn after_a_retransmission_timeout_new_text_and_a_fin_wait_for_an_ack() {
    // Linux's loss window (tcp_enter_loss(): one segment, the one the timer resends).
    let (t, cfg) = linux();
    assert!(cfg.loss_window);
    let mut a = established(&cfg, &t);
    send(&t, &cfg, &mut a, 100, 1);
    let (timer, due) = a.next_timer().expect("the RTO");
    let out = a.step(&t, &cfg, Input::Timeout(timer), Env { now: due, iss: 0 });
    assert_eq!(texts(&out), [(ISS_A + 1, 100)]);
    // A full segment written now waits, and so does the FIN of a close.
    assert_eq!(texts(&send(&t, &cfg, &mut a, 100, due + 1)), []);
    let out = a.step(
        &t,
        &cfg,
        Input::Call(UserCall::Close),
        Env {
            now: due + 2,
            iss: 0,
        },
    );
    assert_eq!(sent(&out), "");
    // The ACK of the resent text lets both go, the FIN on the text.
    let out = arrive(&t, &cfg, &mut a, seg(A, ISS_B + 1, ISS_A + 101), due + 10);
    assert_eq!(texts(&out), [(ISS_A + 101, 100)]);
    assert!(out.segments[0].flags.fin());
    // Without the loss window the text goes at once.
    let cfg = Config {
        loss_window: false,
        ..cfg
    };
    let mut a = established(&cfg, &t);
    send(&t, &cfg, &mut a, 100, 1);
    let (timer, due) = a.next_timer().expect("the RTO");
    a.step(&t, &cfg, Input::Timeout(timer), Env { now: due, iss: 0 });
    assert_eq!(
        texts(&send(&t, &cfg, &mut a, 100, due + 1)),
        [(ISS_A + 101, 100)]
    );
}
