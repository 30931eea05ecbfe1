//! Closing a simultaneous open's SYN-RECEIVED under the `linux` profile, as Linux 6.18
//! does: `shutdown(SHUT_WR)` is queued until the SYN is acknowledged (`tcp_shutdown()`
//! skips TCP_SYN_RECV; `tcp_rcv_state_process()` calls it on entering ESTABLISHED: RFC
//! 9293 §3.10.4's "queue for processing after entering ESTABLISHED state"), and close()'s
//! FIN waits behind the SYN,ACK after a retransmission timeout
//! (`fin_held_after_handshake_loss`: `tcp_enter_loss()`, `tcp_cwnd_test()`).

mod common;

use common::*;
use model::endpoint::Env;
use model::profile::Param;
use model::table::Timer;
use model::{Config, Event, Flags, Input, Outcome, State, Table, Tcb, UserCall};

fn at(now: u64) -> Env {
    Env { now, iss: ISS_A }
}

fn user(t: &Table, cfg: &Config, tcb: &mut Tcb, c: UserCall, now: u64) -> Outcome {
    tcb.step(t, cfg, Input::Call(c), at(now))
}

/// Every segment sent: flags, SEQ, ACK.
fn sent(out: &Outcome) -> Vec<(Flags, u32, u32)> {
    out.segments
        .iter()
        .map(|s| (s.flags, s.seq, s.ack))
        .collect()
}

/// A simultaneous open: our SYN out, the peer's SYN in, our SYN,ACK out (ISS 100, the
/// peer's 300). With `lost`, our SYN was first retransmitted by its timer.
fn simultaneous_syn_received(t: &Table, cfg: &Config, lost: bool) -> Tcb {
    let mut a = Tcb::new();
    user(t, cfg, &mut a, UserCall::ActiveOpen, 0);
    if lost {
        let (timer, due) = a.next_timer().expect("the SYN's timer");
        assert_eq!(timer, Timer::Retransmit);
        let out = a.step(t, cfg, Input::Timeout(timer), at(due));
        assert_eq!(sent(&out), [(S, ISS_A, 0)]);
    }
    let out = arrive(t, cfg, &mut a, seg(S, ISS_B, 0), 1_100);
    assert_eq!(sent(&out), [(S | A, ISS_A, ISS_B + 1)]);
    assert_eq!(a.state, State::SynReceived);
    a
}

#[test]
fn under_linux_shutdown_in_a_simultaneous_syn_received_waits_for_the_ack_of_our_syn() {
    let (t, cfg) = linux();
    let mut a = simultaneous_syn_received(&t, &cfg, false);
    let out = user(&t, &cfg, &mut a, UserCall::Shutdown, 1_110);
    assert!(out.segments.is_empty(), "{out:?}");
    assert_eq!((out.to, a.state), (State::SynReceived, State::SynReceived));
    assert!(a.close_deferred && !a.fin_queued);
    // A second shutdown changes nothing.
    let out = user(&t, &cfg, &mut a, UserCall::Shutdown, 1_120);
    assert!(out.segments.is_empty() && out.error.is_none());
    // The SYN,ACK goes again on its timer, without a FIN.
    let (_, due) = a.next_timer().unwrap();
    let out = a.step(&t, &cfg, Input::Timeout(Timer::Retransmit), at(due));
    assert_eq!(sent(&out), [(S | A, ISS_A, ISS_B + 1)]);
    assert_eq!(a.state, State::SynReceived);
    // The ACK of our SYN: ESTABLISHED, then the queued CLOSE: the FIN, FIN-WAIT-1.
    let out = arrive(&t, &cfg, &mut a, seg(A, ISS_B + 1, ISS_A + 1), 3_000);
    assert_eq!(out.from, State::SynReceived);
    assert_eq!(sent(&out), [(F | A, ISS_A + 1, ISS_B + 1)]);
    assert_eq!((out.to, a.state), (State::FinWait1, State::FinWait1));
    assert!(!a.close_deferred && a.fin_sent);
}

#[test]
fn under_linux_the_deferred_fin_goes_before_the_peers_fin_on_the_same_segment() {
    let (t, cfg) = linux();
    let mut a = simultaneous_syn_received(&t, &cfg, false);
    user(&t, &cfg, &mut a, UserCall::Shutdown, 1_110);
    let out = arrive(&t, &cfg, &mut a, seg(F | A, ISS_B + 1, ISS_A + 1), 1_200);
    // Our FIN acknowledges the SYN only; the peer's FIN is then taken in FIN-WAIT-1.
    assert_eq!(
        sent(&out),
        [(F | A, ISS_A + 1, ISS_B + 1), (A, ISS_A + 2, ISS_B + 2)]
    );
    assert_eq!(out.event, Event::Fin);
    assert_eq!((out.from, out.to), (State::SynReceived, State::Closing));
    assert_eq!(a.state, State::Closing);
}

#[test]
fn under_linux_close_in_a_simultaneous_syn_received_still_sends_its_fin() {
    // __tcp_close() -> tcp_close_state(): FIN-WAIT-1 and the FIN at once.
    let (t, cfg) = linux();
    let mut a = simultaneous_syn_received(&t, &cfg, false);
    let out = user(&t, &cfg, &mut a, UserCall::Close, 1_110);
    assert_eq!(sent(&out), [(F | A, ISS_A + 1, ISS_B + 1)]);
    assert_eq!(a.state, State::FinWait1);
    // And after a deferred shutdown, close() sends it too.
    let mut a = simultaneous_syn_received(&t, &cfg, false);
    user(&t, &cfg, &mut a, UserCall::Shutdown, 1_110);
    let out = user(&t, &cfg, &mut a, UserCall::Close, 1_120);
    assert_eq!(sent(&out), [(F | A, ISS_A + 1, ISS_B + 1)]);
    assert_eq!(a.state, State::FinWait1);
    assert!(!a.close_deferred);
}

#[test]
fn under_linux_close_after_a_handshake_loss_holds_the_fin_until_the_syn_is_acknowledged() {
    let (t, cfg) = linux();
    assert!(cfg.fin_held_after_handshake_loss);
    let mut a = simultaneous_syn_received(&t, &cfg, true);
    let out = user(&t, &cfg, &mut a, UserCall::Close, 1_110);
    assert!(out.segments.is_empty(), "{out:?}");
    assert_eq!(a.state, State::FinWait1);
    // The SYN,ACK alone goes again.
    let (_, due) = a.next_timer().unwrap();
    let out = a.step(&t, &cfg, Input::Timeout(Timer::Retransmit), at(due));
    assert_eq!(sent(&out), [(S | A, ISS_A, ISS_B + 1)]);
    // Its ACK lets the FIN go.
    let out = arrive(&t, &cfg, &mut a, seg(A, ISS_B + 1, ISS_A + 1), due + 10);
    assert_eq!(sent(&out), [(F | A, ISS_A + 1, ISS_B + 1)]);
    assert_eq!(a.state, State::FinWait1);
}

#[test]
fn rfc9293_closes_a_simultaneous_syn_received_at_once() {
    // §3.10.4: nothing queued, so the FIN goes and FIN-WAIT-1, for shutdown as for close,
    // after a loss too.
    let t = Table::rfc9293();
    let c = cfg();
    for call in [UserCall::Shutdown, UserCall::Close] {
        let mut a = simultaneous_syn_received(&t, &c, true);
        let out = user(&t, &c, &mut a, call, 1_110);
        assert_eq!(sent(&out), [(F | A, ISS_A + 1, ISS_B + 1)], "{call:?}");
        assert_eq!(a.state, State::FinWait1);
    }
    let p = Param::FinHeldAfterHandshakeLoss(true);
    assert!(!p.is_timing() && p.checker_honours());
}
