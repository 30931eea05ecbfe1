//! The `linux` profile's handshake order, as the kernel's: a passively opened SYN-RECEIVED
//! (Linux's request socket, `tcp_check_req()`) checks the ACK before the sequence number
//! (`syn_received_ack_first`), and SYN-SENT resends its SYN at once after answering a bad
//! ACK (`syn_retransmit_after_bad_ack`, `tcp_rcv_synsent_state_process()`).

mod common;

use common::*;
use model::endpoint::Env;
use model::profile::Param;
use model::table::Timer;
use model::{Config, Event, Flags, Input, Origin, Outcome, State, Table, Tcb};

fn at(now: u64) -> Env {
    Env { now, iss: ISS_A }
}

/// A passively opened SYN-RECEIVED (ISS 100, the peer's ISS 300) under `t` and `cfg`.
fn passive_syn_received(t: &Table, cfg: &Config) -> Tcb {
    let mut b = Tcb::new();
    b.step(t, cfg, Input::Call(model::UserCall::PassiveOpen), at(0));
    arrive(t, cfg, &mut b, seg(S, ISS_B, 0), 0);
    assert_eq!((b.state, b.origin), (State::SynReceived, Origin::Passive));
    b
}

/// The one segment sent: flags, SEQ, ACK.
fn only(out: &Outcome) -> (Flags, u32, u32) {
    assert_eq!(out.segments.len(), 1, "{out:?}");
    let s = out.segments[0];
    (s.flags, s.seq, s.ack)
}

#[test]
fn a_bad_ack_beyond_the_window_of_a_passive_syn_received_is_reset_and_the_request_kept_under_linux()
{
    // An ACK of something never sent, its sequence number far beyond the window.
    let beyond = seg(A, ISS_B + 1 + 90_000, ISS_A + 5_000);
    let (t, cfg) = linux();
    let mut b = passive_syn_received(&t, &cfg);
    let out = arrive(&t, &cfg, &mut b, beyond, 10);
    assert_eq!(out.event, Event::AckUnacceptable);
    assert_eq!(only(&out), (R, ISS_A + 5_000, 0), "<SEQ=SEG.ACK><CTL=RST>");
    assert_eq!(b.state, State::SynReceived);
    // The handshake still completes.
    let out = arrive(&t, &cfg, &mut b, seg(A, ISS_B + 1, ISS_A + 1), 20);
    assert_eq!(out.event, Event::AckOfSyn);
    assert_eq!(b.state, State::Established);
    // RFC 9293 §3.10.7.4 checks the sequence number first: an ACK, nothing reset.
    let (t, cfg) = (Table::rfc9293(), common::cfg());
    let mut b = passive_syn_received(&t, &cfg);
    let out = arrive(&t, &cfg, &mut b, beyond, 10);
    assert_eq!(out.event, Event::Unacceptable);
    assert_eq!(only(&out), (A, ISS_A + 1, ISS_B + 1));
}

#[test]
fn a_syn_ack_with_a_bad_ack_in_a_passive_syn_received_is_reset_and_the_request_kept_under_linux() {
    let synack = seg(S | A, ISS_B + 1, ISS_A + 7_000);
    let (t, cfg) = linux();
    let mut b = passive_syn_received(&t, &cfg);
    let out = arrive(&t, &cfg, &mut b, synack, 10);
    assert_eq!(out.event, Event::AckUnacceptable);
    assert_eq!(only(&out), (R, ISS_A + 7_000, 0));
    assert_eq!(b.state, State::SynReceived);
    // With the ACK of our SYN it reaches the SYN check: reset, the request dropped (row
    // 9016, tcp_check_req(): embryonic_reset).
    let out = arrive(&t, &cfg, &mut b, seg(S | A, ISS_B + 1, ISS_A + 1), 20);
    assert_eq!(out.event, Event::Syn);
    assert_eq!(out.row, model::RowId(9016));
    assert_eq!(only(&out), (R, ISS_A + 1, 0));
    assert_eq!(b.state, State::Listen);
}

#[test]
fn a_rst_in_a_passive_syn_received_is_judged_by_its_sequence_number_whatever_its_ack_under_linux() {
    let (t, cfg) = linux();
    // At RCV.NXT: the request dropped, nothing sent.
    let mut b = passive_syn_received(&t, &cfg);
    let out = arrive(&t, &cfg, &mut b, seg(R | A, ISS_B + 1, ISS_A + 9_000), 10);
    assert_eq!(out.event, Event::RstExact);
    assert!(out.segments.is_empty());
    assert_eq!(b.state, State::Listen);
    // Elsewhere in the window: a challenge ACK (RFC 5961 §3.2), the request kept.
    let mut b = passive_syn_received(&t, &cfg);
    let out = arrive(&t, &cfg, &mut b, seg(R | A, ISS_B + 2, ISS_A + 9_000), 10);
    assert_eq!(out.event, Event::RstInWindow);
    assert_eq!(only(&out), (A, ISS_A + 1, ISS_B + 1));
    assert_eq!(b.state, State::SynReceived);
    // Outside it: dropped.
    let out = arrive(&t, &cfg, &mut b, seg(R | A, ISS_B, ISS_A + 9_000), 20);
    assert_eq!(out.event, Event::RstOutOfWindow);
    assert!(out.segments.is_empty());
    assert_eq!(b.state, State::SynReceived);
}

#[test]
fn a_simultaneous_open_checks_the_sequence_number_first_under_linux() {
    // A full socket in TCP_SYN_RECV (tcp_rcv_state_process()): the ACK check is not the
    // request socket's, so a segment beyond the window gets an ACK.
    let (t, cfg) = linux();
    let mut a = Tcb::new();
    a.step(&t, &cfg, Input::Call(model::UserCall::ActiveOpen), at(0));
    arrive(&t, &cfg, &mut a, seg(S, ISS_B, 0), 0);
    assert_eq!((a.state, a.origin), (State::SynReceived, Origin::Active));
    let out = arrive(
        &t,
        &cfg,
        &mut a,
        seg(A, ISS_B + 1 + 90_000, ISS_A + 5_000),
        10,
    );
    assert_eq!(out.event, Event::Unacceptable);
    assert_eq!(only(&out).0, A);
}

#[test]
fn the_ack_first_order_is_the_linux_profile_parameter_and_the_checker_honours_it() {
    let (_, cfg) = linux();
    assert!(cfg.syn_received_ack_first);
    assert!(!Config::default().syn_received_ack_first);
    let p = Param::SynReceivedAckFirst(true);
    assert!(p.checker_honours() && !p.is_timing());
    assert_eq!(Param::describe("syn_received_ack_first", &cfg, 1), "true");
}

/// SYN-SENT at time 0 under `t`, `cfg`: our SYN out, its timer at one RTO.
fn syn_sent(t: &Table, cfg: &Config) -> Tcb {
    let mut a = Tcb::new();
    a.step(t, cfg, Input::Call(model::UserCall::ActiveOpen), at(0));
    assert_eq!(a.state, State::SynSent);
    a
}

fn fire(t: &Table, cfg: &Config, a: &mut Tcb) -> (u64, Outcome) {
    let (timer, due) = a.next_timer().expect("a timer runs");
    assert_eq!(timer, Timer::Retransmit);
    (due, a.step(t, cfg, Input::Timeout(timer), at(due)))
}

#[test]
fn under_linux_syn_sent_resends_its_syn_8_ms_after_answering_a_bad_ack() {
    let (t, cfg) = linux();
    assert_eq!(cfg.syn_retransmit_after_bad_ack, Some(8), "TCP_TIMEOUT_MIN");
    let mut a = syn_sent(&t, &cfg);
    assert_eq!(a.timers.retransmit, Some(1_000));
    let out = arrive(&t, &cfg, &mut a, seg(S | A, ISS_B, ISS_A + 4_000), 100);
    assert_eq!(out.event, Event::AckUnacceptable);
    assert_eq!(only(&out), (R, ISS_A + 4_000, 0));
    assert_eq!(a.timers.retransmit, Some(108));
    // The timer's firing is a retransmission like any other: the SYN again, counted, and
    // the next one RTO later (linear in SYN-SENT: tcp_syn_linear_timeouts).
    let (due, out) = fire(&t, &cfg, &mut a);
    assert_eq!(due, 108);
    assert_eq!(out.event, Event::RetransmitTimeout);
    assert_eq!(only(&out), (S, ISS_A, 0));
    assert_eq!(a.retries, 1);
    assert_eq!(a.timers.retransmit, Some(1_108));
}

#[test]
fn under_linux_a_bad_ack_after_a_retransmitted_syn_leaves_the_timer_alone() {
    // tcp_rcv_synsent_state_process(): only while icsk_retransmits == 0.
    let (t, cfg) = linux();
    let mut a = syn_sent(&t, &cfg);
    fire(&t, &cfg, &mut a);
    let due = a.timers.retransmit;
    let out = arrive(&t, &cfg, &mut a, seg(A, ISS_B, ISS_A + 5_000), 1_100);
    assert_eq!(only(&out).0, R);
    assert_eq!(a.timers.retransmit, due);
}

#[test]
fn under_linux_a_rst_with_a_bad_ack_brings_the_syn_forward_and_one_without_ack_does_not() {
    let (t, cfg) = linux();
    // RST,ACK acknowledging something else: dropped (§3.10.7.3), but the timer moves.
    let mut a = syn_sent(&t, &cfg);
    let out = arrive(&t, &cfg, &mut a, seg(R | A, ISS_B, ISS_A + 4_000), 100);
    assert_eq!(out.event, Event::RstOutOfWindow);
    assert!(out.segments.is_empty());
    assert_eq!(a.timers.retransmit, Some(108));
    // A RST without ACK: dropped, the timer as it was.
    let mut a = syn_sent(&t, &cfg);
    arrive(&t, &cfg, &mut a, seg(R, ISS_B, 0), 100);
    assert_eq!(a.timers.retransmit, Some(1_000));
    // An acceptable ACK completes the handshake as ever.
    let mut a = syn_sent(&t, &cfg);
    arrive(&t, &cfg, &mut a, seg(S | A, ISS_B, ISS_A + 1), 100);
    assert_eq!(a.state, State::Established);
}

#[test]
fn rfc9293_lets_the_rto_run_after_a_bad_ack_in_syn_sent() {
    let t = Table::rfc9293();
    let mut a = syn_sent(&t, &cfg());
    let before = a.timers.retransmit;
    let out = arrive(&t, &cfg(), &mut a, seg(S | A, ISS_B, ISS_A + 4_000), 1);
    assert_eq!(only(&out), (R, ISS_A + 4_000, 0));
    assert_eq!(a.timers.retransmit, before);
    let p = Param::SynRetransmitAfterBadAck(Some(8));
    assert!(p.is_timing() && !p.checker_honours());
}

#[test]
fn under_linux_the_peers_syn_again_in_a_passive_syn_received_gets_our_syn_ack_again() {
    let (t, cfg) = linux();
    let mut b = passive_syn_received(&t, &cfg);
    assert_eq!(b.timers.retransmit, Some(1_000));
    let out = arrive(&t, &cfg, &mut b, seg(S, ISS_B, 0), 500);
    assert_eq!(out.event, Event::Unacceptable);
    assert_eq!(out.row, model::RowId(9022));
    assert_eq!(only(&out), (S | A, ISS_A, ISS_B + 1));
    assert_eq!(b.state, State::SynReceived);
    // The request's timer restarts from now (mod_timer_pending()); no retry is counted.
    assert_eq!(b.timers.retransmit, Some(1_500));
    assert_eq!(b.retries, 0);
    // Any other unacceptable segment still gets an ACK: 500 ms on, past the limit on
    // out-of-window ACKs the SYN,ACK counted against (oow_ack_rate_limit).
    let out = arrive(
        &t,
        &cfg,
        &mut b,
        seg(A, ISS_B + 1 + 90_000, ISS_A + 1),
        1_000,
    );
    assert_eq!(only(&out), (A, ISS_A + 1, ISS_B + 1));
    // So does the SYN again in a simultaneous open (a full socket: row 9023), and under
    // RFC 9293 (§3.10.7.4's first step).
    let mut a = Tcb::new();
    a.step(&t, &cfg, Input::Call(model::UserCall::ActiveOpen), at(0));
    arrive(&t, &cfg, &mut a, seg(S, ISS_B, 0), 0);
    let out = arrive(&t, &cfg, &mut a, seg(S, ISS_B, 0), 10);
    assert_eq!(out.row, model::RowId(9023));
    assert_eq!(only(&out).0, A);
    let (t, cfg) = (Table::rfc9293(), common::cfg());
    let mut b = passive_syn_received(&t, &cfg);
    let out = arrive(&t, &cfg, &mut b, seg(S, ISS_B, 0), 1);
    assert_eq!(only(&out), (A, ISS_A + 1, ISS_B + 1));
}

#[test]
fn under_linux_a_syn_again_with_an_ack_is_not_a_retransmitted_syn() {
    // tcp_check_req()'s test is flg == TCP_FLAG_SYN: with ACK it is the ACK check's.
    let (t, cfg) = linux();
    let mut b = passive_syn_received(&t, &cfg);
    let out = arrive(&t, &cfg, &mut b, seg(S | A, ISS_B, ISS_A), 10);
    assert_eq!(out.event, Event::AckUnacceptable);
    assert_eq!(only(&out), (R, ISS_A, 0));
}

#[test]
fn under_linux_the_peers_syn_ack_again_lies_outside_a_passive_syn_received_window() {
    // SEG.SEQ = IRS with the ACK of our SYN: tcp_check_req()'s tcp_in_window() tests the
    // whole segment, SYN included, and it ends at RCV.NXT.
    let again = seg(S | A, ISS_B, ISS_A + 1);
    let (t, cfg) = linux();
    assert!(cfg.syn_received_window_untrimmed);
    let mut b = passive_syn_received(&t, &cfg);
    let out = arrive(&t, &cfg, &mut b, again, 10);
    assert_eq!(out.event, Event::Unacceptable);
    assert_eq!(only(&out), (A, ISS_A + 1, ISS_B + 1));
    assert_eq!(b.state, State::SynReceived);
    // RFC 9293 trims the old SYN and reads the ACK (Figure 7, §3.10.7.4).
    let (t, cfg) = (Table::rfc9293(), common::cfg());
    let mut b = passive_syn_received(&t, &cfg);
    let out = arrive(&t, &cfg, &mut b, again, 10);
    assert_eq!(out.event, Event::AckOfSyn);
    assert_eq!(b.state, State::Established);
    // So does a simultaneous open under linux: Figure 7's SYN,ACK is its ACK of our SYN.
    let (t, cfg) = linux();
    let mut a = Tcb::new();
    a.step(&t, &cfg, Input::Call(model::UserCall::ActiveOpen), at(0));
    arrive(&t, &cfg, &mut a, seg(S, ISS_B, 0), 0);
    let out = arrive(&t, &cfg, &mut a, again, 10);
    assert_eq!(out.event, Event::AckOfSyn);
    assert_eq!(a.state, State::Established);
    let p = Param::SynReceivedWindowUntrimmed(true);
    assert!(p.checker_honours() && !p.is_timing());
}
