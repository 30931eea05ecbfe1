//! A RST numbered just before RCV.NXT once the peer's FIN is in, under the `linux`
//! profile (`rst_before_fin_resets`): Linux's `tcp_validate_incoming()` ->
//! `tcp_reset_check()` takes it in CLOSE-WAIT, CLOSING and LAST-ACK as one at RCV.NXT;
//! RFC 9293 §3.10.7.4 drops it (outside the window).

mod common;

use common::*;
use model::{Event, Input, Origin, Signal, State, Table, Tcb};

/// The state reached through the linux table (the same steps the RFC's table takes).
fn reached(t: &Table, state: State) -> Tcb {
    let tcb = reach(t, state, Origin::Active);
    assert_eq!(tcb.state, state);
    assert!(tcb.fin_received);
    tcb
}

#[test]
fn under_linux_a_rst_at_the_peers_fin_resets_close_wait_closing_and_last_ack() {
    let (t, cfg) = linux();
    for state in [State::CloseWait, State::Closing, State::LastAck] {
        let mut tcb = reached(&t, state);
        let rst = seg(R, tcb.rcv_nxt.wrapping_sub(1), 0);
        assert_eq!(
            tcb.classify(&cfg, &Input::Segment(rst)),
            Event::RstExact,
            "{state}"
        );
        let out = arrive(&t, &cfg, &mut tcb, rst, 0);
        assert_eq!(tcb.state, State::Closed, "{state}");
        assert!(out.segments.is_empty(), "{state}: {out:?}");
        // CLOSE-WAIT tells the user (tcp_reset(): EPIPE there).
        assert_eq!(
            out.signals.contains(&Signal::Reset),
            state == State::CloseWait,
            "{state}"
        );
    }
}

#[test]
fn under_rfc9293_a_rst_at_the_peers_fin_is_outside_the_window_and_dropped() {
    let t = Table::rfc9293();
    let c = cfg();
    for state in [State::CloseWait, State::Closing, State::LastAck] {
        let mut tcb = reached(&t, state);
        let rst = seg(R, tcb.rcv_nxt.wrapping_sub(1), 0);
        assert_eq!(
            tcb.classify(&c, &Input::Segment(rst)),
            Event::RstOutOfWindow
        );
        let out = arrive(&t, &c, &mut tcb, rst, 0);
        assert_eq!(tcb.state, state);
        assert!(out.segments.is_empty(), "{out:?}");
    }
}

#[test]
fn under_linux_a_rst_before_the_fin_elsewhere_is_judged_as_before() {
    let (t, cfg) = linux();
    // Two before RCV.NXT: still outside the window, dropped.
    let tcb = reached(&t, State::CloseWait);
    let rst = seg(R, tcb.rcv_nxt.wrapping_sub(2), 0);
    assert_eq!(
        tcb.clone().classify(&cfg, &Input::Segment(rst)),
        Event::RstOutOfWindow
    );
    // ESTABLISHED has no FIN in: RCV.NXT-1 is outside the window.
    let est = reach(&t, State::Established, Origin::Active);
    let rst = seg(R, est.rcv_nxt.wrapping_sub(1), 0);
    assert_eq!(
        est.clone().classify(&cfg, &Input::Segment(rst)),
        Event::RstOutOfWindow
    );
    // FIN-WAIT-2 neither (tcp_reset_check() names only the three states).
    let fw2 = reach(&t, State::FinWait2, Origin::Active);
    let rst = seg(R, fw2.rcv_nxt.wrapping_sub(1), 0);
    assert_eq!(
        fw2.clone().classify(&cfg, &Input::Segment(rst)),
        Event::RstOutOfWindow
    );
}
