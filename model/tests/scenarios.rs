//! End-to-end scenarios: two endpoints wired by hand, segment by segment, following the
//! seed's walkthrough and RFC 9293's figures (§3.5 Figures 6–12).

mod common;

use common::Side::{A, B};
use common::*;
use model::{Profile, Signal, State, Table, UserCall};

fn wire() -> Wire {
    Wire::new(Table::rfc9293())
}

fn wire_with(profile: &str) -> Wire {
    Wire::new(Table::with_profiles(&[Profile::named(profile).unwrap()]).unwrap())
}

/// A opens actively, B passively; returns once both are ESTABLISHED.
fn handshake(w: &mut Wire) {
    w.call(B, UserCall::PassiveOpen);
    w.call(A, UserCall::ActiveOpen);
    w.deliver(B); // SYN
    w.deliver(A); // SYN,ACK
    w.deliver(B); // ACK
    assert_eq!(
        w.states(),
        (State::Established, State::Established),
        "{:#?}",
        w.log
    );
}

/// A closes first and B's ACK arrives: A in FIN-WAIT-2, B in CLOSE-WAIT.
fn a_half_closes(w: &mut Wire) {
    w.call(A, UserCall::Close);
    w.deliver(B);
    w.deliver(A);
}

/// From ESTABLISHED: A closes, then B; A's last ACK is still in flight to B.
fn close_until_a_in_time_wait(w: &mut Wire) {
    a_half_closes(w);
    w.call(B, UserCall::Close);
    assert_eq!(w.deliver(A).to, State::TimeWait);
}

#[test]
fn three_way_handshake_synchronizes_both_sequence_numbers() {
    let mut w = wire();
    w.call(B, UserCall::PassiveOpen);
    let o = w.call(A, UserCall::ActiveOpen);
    assert_eq!((o.to, sent(&o)), (State::SynSent, "S".into()));
    assert_eq!(w.to_b[0].seq, ISS_A);
    let o = w.deliver(B);
    assert_eq!((o.to, sent(&o)), (State::SynReceived, "S.".into()));
    assert_eq!((w.to_a[0].seq, w.to_a[0].ack), (ISS_B, ISS_A + 1));
    let o = w.deliver(A);
    assert_eq!((o.to, sent(&o)), (State::Established, ".".into()));
    assert_eq!(o.signals, vec![Signal::Established]);
    assert_eq!((w.to_b[0].seq, w.to_b[0].ack), (ISS_A + 1, ISS_B + 1));
    let o = w.deliver(B);
    assert_eq!((o.to, sent(&o)), (State::Established, "".into()));
    assert_eq!((w.a.irs, w.b.irs), (ISS_B, ISS_A));
    assert_eq!((w.a.snd_una, w.b.snd_una), (ISS_A + 1, ISS_B + 1));
}

#[test]
fn active_close_then_passive_close_ends_in_time_wait_then_closed() {
    let mut w = wire();
    handshake(&mut w);
    let o = w.call(A, UserCall::Close);
    assert_eq!((o.to, sent(&o)), (State::FinWait1, "F.".into()));
    let o = w.deliver(B);
    assert_eq!((o.to, sent(&o)), (State::CloseWait, ".".into()));
    assert_eq!(o.signals, vec![Signal::Closing]);
    assert_eq!(
        w.to_a[0].ack,
        ISS_A + 2,
        "a FIN consumes one sequence number"
    );
    assert_eq!(w.deliver(A).to, State::FinWait2);
    let o = w.call(B, UserCall::Close);
    assert_eq!((o.to, sent(&o)), (State::LastAck, "F.".into()));
    let o = w.deliver(A);
    assert_eq!((o.to, sent(&o)), (State::TimeWait, ".".into()));
    assert_eq!(w.deliver(B).to, State::Closed);
    let tw = w.timers(A).time_wait.expect("2MSL timer running");
    assert_eq!(tw, w.now + 2 * w.cfg.msl as u64);
    assert_eq!(
        w.timers(A).retransmit,
        None,
        "TIME-WAIT turns off the other timers"
    );
    let o = w.fire(A);
    assert_eq!(o.to, State::Closed);
    assert_eq!(w.now, tw);
}

#[test]
fn half_close_lets_the_passive_closer_keep_sending() {
    let mut w = wire();
    handshake(&mut w);
    w.call(A, UserCall::Shutdown);
    w.deliver(B);
    w.deliver(A);
    assert_eq!(w.states(), (State::FinWait2, State::CloseWait));
    let o = w.call(B, UserCall::Send(5));
    assert_eq!(sent(&o), "P.");
    let o = w.deliver(A);
    assert_eq!(
        (o.to, o.accepted, sent(&o)),
        (State::FinWait2, 5, ".".into())
    );
    let o = w.call(A, UserCall::Receive(100));
    assert_eq!(o.delivered, 5);
    w.deliver(B);
    assert_eq!(w.b.snd_una, w.b.snd_nxt, "B's data is acknowledged");
}

#[test]
fn simultaneous_open_passes_through_syn_received_on_both_sides() {
    let mut w = wire();
    w.call(A, UserCall::ActiveOpen);
    w.call(B, UserCall::ActiveOpen);
    let oa = w.deliver(A);
    let ob = w.deliver(B);
    assert_eq!((oa.to, sent(&oa)), (State::SynReceived, "S.".into()));
    assert_eq!((ob.to, sent(&ob)), (State::SynReceived, "S.".into()));
    // RFC 9293 Figure 7: each SYN,ACK completes the other's open, with nothing more sent.
    let oa = w.deliver(A);
    assert_eq!(
        (oa.event, oa.to, sent(&oa)),
        (model::Event::AckOfSyn, State::Established, "".into())
    );
    let ob = w.deliver(B);
    assert_eq!(
        (ob.event, ob.to, sent(&ob)),
        (model::Event::AckOfSyn, State::Established, "".into())
    );
    assert!(w.to_a.is_empty() && w.to_b.is_empty());
    assert_eq!((w.a.irs, w.b.irs), (ISS_B, ISS_A));
}

#[test]
fn simultaneous_close_goes_through_closing_into_time_wait() {
    let mut w = wire();
    handshake(&mut w);
    w.call(A, UserCall::Close);
    w.call(B, UserCall::Close);
    let oa = w.deliver(A);
    let ob = w.deliver(B);
    assert_eq!((oa.to, sent(&oa)), (State::Closing, ".".into()));
    assert_eq!((ob.to, sent(&ob)), (State::Closing, ".".into()));
    assert_eq!(w.deliver(A).to, State::TimeWait);
    assert_eq!(w.deliver(B).to, State::TimeWait);
    assert_eq!(w.fire(A).to, State::Closed);
    assert_eq!(w.fire(B).to, State::Closed);
}

#[test]
fn fin_with_ack_of_our_fin_goes_from_fin_wait_1_straight_to_time_wait() {
    let mut w = wire();
    handshake(&mut w);
    w.call(A, UserCall::Close);
    // B's ACK of A's FIN is lost, but B closes at once: its FIN also acknowledges A's FIN.
    w.deliver(B);
    w.drop(A);
    w.call(B, UserCall::Close);
    let o = w.deliver(A);
    assert_eq!(o.from, State::FinWait1);
    assert_eq!((o.to, sent(&o)), (State::TimeWait, ".".into()));
    assert_eq!(o.event, model::Event::FinAckOfFin);
    assert_eq!(w.deliver(B).to, State::Closed);
}

#[test]
fn time_wait_reacknowledges_a_retransmitted_fin_and_restarts_2msl() {
    let mut w = wire();
    handshake(&mut w);
    close_until_a_in_time_wait(&mut w);
    assert_eq!(w.a.state, State::TimeWait);
    w.drop(B); // A's last ACK is lost
    let first = w.timers(A).time_wait.unwrap();
    let o = w.fire(B); // B retransmits its FIN
    assert_eq!(sent(&o), "F.");
    w.now += 3;
    let o = w.deliver(A);
    assert_eq!(
        (o.event, o.to, sent(&o)),
        (model::Event::FinRetransmit, State::TimeWait, ".".into())
    );
    assert_eq!(w.timers(A).time_wait, Some(w.now + 2 * w.cfg.msl as u64));
    assert!(w.timers(A).time_wait.unwrap() > first);
    assert_eq!(w.deliver(B).to, State::Closed);
}

#[test]
fn rst_returns_a_passively_opened_syn_received_to_listen() {
    let mut w = wire();
    w.call(B, UserCall::PassiveOpen);
    w.call(A, UserCall::ActiveOpen);
    w.deliver(B);
    w.call(A, UserCall::Abort); // SYN-SENT aborts silently...
    let syn_ack = w.drop(A);
    w.a = model::Tcb::new();
    w.inject(A, syn_ack);
    let o = w.deliver(A); // ...and, CLOSED, answers the SYN,ACK with RST
    assert_eq!(sent(&o), "R");
    let o = w.deliver(B);
    assert_eq!((o.from, o.to), (State::SynReceived, State::Listen));
    assert!(
        o.signals.is_empty(),
        "a listener is not told of the half-open attempt"
    );
}

#[test]
fn rst_in_syn_received_after_simultaneous_open_refuses_the_connection() {
    let mut w = wire();
    w.call(A, UserCall::ActiveOpen);
    w.call(B, UserCall::ActiveOpen);
    w.deliver(A);
    let rst = model::Segment::control(model::Flags::RST, w.a.rcv_nxt, 0, 0);
    w.inject(A, rst);
    w.to_a.rotate_left(1);
    let o = w.deliver(A);
    assert_eq!((o.from, o.to), (State::SynReceived, State::Closed));
    assert_eq!(o.signals, vec![Signal::Refused]);
}

/// RFC 9293 Figure 8: recovery from an old duplicate SYN.
#[test]
fn old_duplicate_syn_is_rejected_by_rst_and_the_real_syn_connects() {
    let mut w = wire();
    w.call(B, UserCall::PassiveOpen);
    w.call(A, UserCall::ActiveOpen); // SYN seq=100, delayed
    let real_syn = w.drop(B);
    w.inject(B, seg(S, 90, 0)); // the old duplicate
    let o = w.deliver(B);
    assert_eq!((o.to, w.to_a[0].ack), (State::SynReceived, 91));
    let o = w.deliver(A);
    assert_eq!(o.event, model::Event::AckUnacceptable);
    assert_eq!(
        (o.to, o.segments[0].seq, sent(&o)),
        (State::SynSent, 91, "R".into())
    );
    let o = w.deliver(B);
    assert_eq!((o.from, o.to), (State::SynReceived, State::Listen));
    w.inject(B, real_syn);
    handshake_tail(&mut w);
}

fn handshake_tail(w: &mut Wire) {
    assert_eq!(w.deliver(B).to, State::SynReceived);
    assert_eq!(w.deliver(A).to, State::Established);
    assert_eq!(w.deliver(B).to, State::Established);
}

/// The same old SYN opens a false connection when the listener skips the third segment.
#[test]
fn two_way_handshake_mutant_lets_an_old_duplicate_syn_open_a_connection() {
    let mut w = wire_with("two-way-handshake");
    w.call(B, UserCall::PassiveOpen);
    w.inject(B, seg(S, 90, 0));
    let o = w.deliver(B);
    assert_eq!(o.to, State::Established, "nobody asked for this connection");
    assert_eq!(o.signals, vec![Signal::Established]);
}

/// RFC 9293 Figure 9: A crashed; B still thinks it is connected.
#[test]
fn half_open_connection_is_discovered_when_the_crashed_side_reconnects() {
    let mut w = wire();
    handshake(&mut w);
    w.a = model::Tcb::new(); // A crashes and forgets
    w.call(A, UserCall::ActiveOpen);
    w.to_b[0].seq = 400; // a new ISS after the reboot
    w.a.iss = 400;
    w.a.snd_una = 400;
    w.a.snd_nxt = 401;
    let o = w.deliver(B);
    assert_eq!(
        (o.to, sent(&o)),
        (State::Established, ".".into()),
        "challenge ACK"
    );
    let o = w.deliver(A);
    assert_eq!(o.event, model::Event::AckUnacceptable);
    assert_eq!((o.to, sent(&o)), (State::SynSent, "R".into()));
    let o = w.deliver(B);
    assert_eq!(
        (o.to, o.signals.clone()),
        (State::Closed, vec![Signal::Reset])
    );
}

/// RFC 9293 Figure 10: B crashed; A sends data and is reset.
#[test]
fn half_open_connection_is_discovered_when_the_survivor_sends() {
    let mut w = wire();
    handshake(&mut w);
    w.b = model::Tcb::new();
    w.call(A, UserCall::Send(10));
    let o = w.deliver(B);
    assert_eq!((o.to, sent(&o)), (State::Closed, "R".into()));
    assert_eq!(
        o.segments[0].seq,
        ISS_B + 1,
        "the RST takes its sequence number from SEG.ACK"
    );
    let o = w.deliver(A);
    assert_eq!(
        (o.to, o.signals.clone()),
        (State::Closed, vec![Signal::Reset])
    );
}

#[test]
fn in_window_rst_draws_a_challenge_ack_but_rfc793_resets() {
    let mut w = wire();
    handshake(&mut w);
    w.inject(A, seg(R, ISS_B + 5, 0));
    let o = w.deliver(A);
    assert_eq!((o.to, sent(&o)), (State::Established, ".".into()));
    let mut w = wire_with("rfc793");
    handshake(&mut w);
    w.inject(A, seg(R, ISS_B + 5, 0));
    assert_eq!(w.deliver(A).to, State::Closed);
}

#[test]
fn time_wait_is_assassinated_by_rst_unless_rfc1337() {
    for (profile, survives) in [("rfc9293", false), ("rfc1337", true)] {
        let mut w = wire_with(profile);
        handshake(&mut w);
        close_until_a_in_time_wait(&mut w);
        w.inject(A, seg(R, w.a.rcv_nxt, 0));
        let o = w.deliver(A);
        assert_eq!(o.to == State::TimeWait, survives, "{profile}");
    }
}

#[test]
fn lost_fin_is_retransmitted_until_the_user_timeout() {
    let mut w = wire();
    handshake(&mut w);
    w.call(A, UserCall::Close);
    let mut rtos = Vec::new();
    for _ in 0..w.cfg.max_retransmits {
        w.drop(B);
        let before = w.now;
        let o = w.fire(A);
        rtos.push(w.now - before);
        assert_eq!(sent(&o), "F.");
    }
    assert_eq!(rtos, vec![3, 6, 12], "RFC 6298 §5.5 doubles the RTO");
    w.drop(B);
    let o = w.fire(A);
    assert_eq!((o.event, o.to), (model::Event::UserTimeout, State::Closed));
    assert_eq!(o.signals, vec![Signal::TimedOut]);
}

/// RFC 1122 §4.2.3.5 lets an application set R2 to infinity: the FIN is retransmitted
/// for ever, and the retry count stops at the RTO's bound (so a state stays finite).
#[test]
fn with_an_infinite_r2_a_lost_fin_is_retransmitted_for_ever_at_the_rto_bound() {
    let mut w = wire();
    w.cfg.max_retransmits = model::Config::R2_INFINITE;
    handshake(&mut w);
    w.call(A, UserCall::Close);
    let mut rtos = Vec::new();
    for _ in 0..40 {
        w.drop(B);
        let before = w.now;
        let o = w.fire(A);
        rtos.push(w.now - before);
        assert_eq!((sent(&o).as_str(), o.to), ("F.", State::FinWait1));
    }
    let bound = u64::from(w.cfg.rto_max);
    assert!(rtos.iter().all(|&r| r <= bound), "{rtos:?}");
    assert_eq!(rtos[39], bound, "backed off to the bound: {rtos:?}");
    assert!(w.a.retries < 40, "the count stops growing: {}", w.a.retries);
}

#[test]
fn no_fin_retransmit_mutant_leaves_the_peer_in_fin_wait_2_forever() {
    let mut w = wire_with("no-fin-retransmit");
    handshake(&mut w);
    a_half_closes(&mut w);
    w.call(B, UserCall::Close);
    w.drop(A); // B's FIN is lost
    let o = w.fire(B);
    assert!(o.segments.is_empty());
    assert_eq!(w.b.next_timer(), None, "nothing will ever fire again");
    assert_eq!(w.states(), (State::FinWait2, State::LastAck));
}

#[test]
fn fin_wait_2_timeout_profile_closes_an_abandoned_fin_wait_2() {
    let mut w = wire_with("fin-wait-2-timeout");
    handshake(&mut w);
    a_half_closes(&mut w);
    assert_eq!(w.a.state, State::FinWait2);
    let o = w.fire(A);
    assert_eq!(
        (o.event, o.to),
        (model::Event::FinWait2Timeout, State::Closed)
    );
    let mut w = wire();
    handshake(&mut w);
    a_half_closes(&mut w);
    assert_eq!(w.a.next_timer(), None, "RFC 9293 has no FIN-WAIT-2 timer");
}

#[test]
fn time_wait_mutants_shorten_or_skip_time_wait() {
    let mut w = wire_with("no-time-wait");
    handshake(&mut w);
    a_half_closes(&mut w);
    w.call(B, UserCall::Close);
    assert_eq!(w.deliver(A).to, State::Closed);
    let mut w = wire_with("short-time-wait");
    handshake(&mut w);
    a_half_closes(&mut w);
    w.call(B, UserCall::Close);
    assert_eq!(w.deliver(A).to, State::TimeWait);
    assert_eq!(w.timers(A).time_wait, Some(w.now + w.cfg.msl as u64));
}

#[test]
fn data_flows_within_the_peers_window_and_the_rest_waits_for_acks() {
    let mut w = wire();
    w.b.rcv_wnd = 0; // overwritten below by B's own open
    w.cfg.rcv_buf = 150;
    handshake(&mut w);
    let o = w.call(A, UserCall::Send(400));
    let lens: Vec<u32> = o.segments.iter().map(|s| s.len).collect();
    assert_eq!(lens, vec![100, 50], "MSS 100, window 150");
    w.deliver(B);
    w.deliver(B);
    assert_eq!(w.b.rcv_wnd, 0);
    let o = w.deliver(A);
    assert!(o.segments.is_empty(), "window closed: nothing more goes");
    w.deliver(A);
    let o = w.call(B, UserCall::Receive(1000));
    assert_eq!((o.delivered, sent(&o)), (150, ".".into()), "window update");
    let o = w.deliver(A);
    assert_eq!(o.segments.iter().map(|s| s.len).sum::<u32>(), 150);
}

#[test]
fn a_whole_connection_works_in_a_sequence_space_of_eight_across_the_wrap() {
    let mut w = wire();
    w.cfg.space = model::SeqSpace::new(8).unwrap();
    w.cfg.rcv_buf = 2;
    w.iss = (7, 6);
    handshake(&mut w);
    assert_eq!((w.a.snd_nxt, w.a.rcv_nxt), (0, 7), "7 + 1 wraps to 0");
    w.call(A, UserCall::Send(1));
    assert_eq!(w.deliver(B).accepted, 1);
    w.deliver(A);
    a_half_closes(&mut w);
    w.call(B, UserCall::Close);
    assert_eq!(w.deliver(A).to, State::TimeWait);
    assert_eq!(w.deliver(B).to, State::Closed);
    assert_eq!(w.fire(A).to, State::Closed);
}
