//! The `linux` and `freebsd` profiles: every change cites its source, and the endpoint
//! parameters they set behave as their kernels do.

mod common;

use common::*;
use model::profile::{Param, configure, settings};
use model::{Config, Event, Flags, Input, PROFILES, Profile, State, Table, Tcb, UserCall};

fn os(name: &str) -> &'static Profile {
    Profile::named(name).unwrap()
}

#[test]
fn every_row_and_parameter_of_linux_and_freebsd_names_its_source() {
    for name in ["linux", "freebsd"] {
        let p = os(name);
        assert!(!p.broken);
        let t = Table::from_spec(name).unwrap();
        let k = PROFILES.iter().position(|q| q.name == name).unwrap() as u16;
        for (id, row) in t.numbered().filter(|(id, _)| id.0 >= 1000) {
            assert_eq!(id.0 / 1000, k, "{name}: row {id} in its own block");
            assert!(
                row.rfc.starts_with(if name == "linux" {
                    "Linux "
                } else {
                    "FreeBSD "
                }),
                "{name} row {id}: {}",
                row.rfc
            );
        }
        assert!(!p.params.is_empty());
        for s in p.params {
            assert!(!s.source.is_empty(), "{name}: {}", s.param.name());
        }
    }
}

#[test]
fn a_later_profile_parameter_wins() {
    let both = settings(&[os("linux"), os("freebsd")]);
    let tw = |n: &str| {
        both.iter()
            .find(|(_, s)| s.param.name() == n)
            .map(|(p, _)| *p)
    };
    assert_eq!(tw("msl"), Some("freebsd"));
    // Linux's TIME-WAIT length stays: FreeBSD sets the MSL, not TIME-WAIT.
    assert_eq!(tw("time_wait"), Some("linux"));
    let cfg = configure(Config::default(), &[os("freebsd")], 1);
    assert_eq!(cfg.msl, 30_000);
    assert_eq!(cfg.time_wait, None);
    assert_eq!(cfg.max_retransmits, 12);
    assert_eq!(Param::describe("time_wait", &cfg, 1), "2 MSL (60 s)");
}

/// B in LAST-ACK (peer's FIN at 1, our FIN at ISS_B+1 outstanding), under `cfg`.
fn last_ack(table: &Table, cfg: &Config) -> Tcb {
    let mut b = Tcb::new();
    let env = |iss| model::endpoint::Env { now: 0, iss };
    let go = |b: &mut Tcb, i: Input| b.step(table, cfg, i, env(ISS_B));
    go(&mut b, Input::Call(UserCall::PassiveOpen));
    go(&mut b, Input::Segment(seg(Flags::SYN, ISS_A, 0)));
    go(
        &mut b,
        Input::Segment(seg(Flags::ACK, ISS_A + 1, ISS_B + 1)),
    );
    go(
        &mut b,
        Input::Segment(seg(Flags::FIN | Flags::ACK, ISS_A + 1, ISS_B + 1)),
    );
    go(&mut b, Input::Call(UserCall::Close));
    assert_eq!(b.state, State::LastAck);
    b
}

#[test]
fn a_retransmitted_fin_that_acks_our_fin_closes_last_ack_under_linux_and_freebsd() {
    // The peer's FIN again (SEG.SEQ = RCV.NXT - 1), now acknowledging our FIN.
    let refin = seg(Flags::FIN | Flags::ACK, ISS_A + 1, ISS_B + 2);
    for name in ["linux", "freebsd"] {
        let t = Table::from_spec(name).unwrap();
        let cfg = configure(cfg(), &[os(name)], 1);
        let mut b = last_ack(&t, &cfg);
        let out = b.step(&t, &cfg, Input::Segment(refin), Default::default());
        assert_eq!(out.event, Event::AckOfFin, "{name}");
        assert_eq!(b.state, State::Closed, "{name}");
        assert!(out.segments.is_empty(), "{name}: tcp_done() sends nothing");
    }
    // RFC 9293: the first step drops it after an ACK, unread.
    let t = Table::rfc9293();
    let mut b = last_ack(&t, &cfg());
    let out = b.step(&t, &cfg(), Input::Segment(refin), Default::default());
    assert_eq!(out.event, Event::FinRetransmit);
    assert_eq!(b.state, State::LastAck);
    assert_eq!(out.segments.len(), 1);
}

#[test]
fn freebsd_repeats_its_unacknowledged_fin_on_every_ack_from_last_ack() {
    // A segment outside the window in LAST-ACK is answered with an ACK (§3.10.7.4 first
    // step). FreeBSD's tcp_output() sends it as the FIN again, at the FIN's number.
    let outside = seg(Flags::ACK, ISS_A + 1 + 70_000, ISS_B + 1);
    for (name, flags, seq) in [
        ("rfc9293", Flags::ACK, ISS_B + 2),
        ("linux", Flags::ACK, ISS_B + 2),
        ("freebsd", Flags::FIN | Flags::ACK, ISS_B + 1),
    ] {
        let t = Table::from_spec(name).unwrap();
        let cfg = configure(cfg(), &[os(name)], 1);
        let mut b = last_ack(&t, &cfg);
        let out = b.step(&t, &cfg, Input::Segment(outside), Default::default());
        assert_eq!(b.state, State::LastAck, "{name}");
        assert_eq!(out.segments.len(), 1, "{name}");
        let s = out.segments[0];
        assert_eq!((s.flags, s.seq, s.ack), (flags, seq, ISS_A + 2), "{name}");
        // Once the FIN is acknowledged, nothing repeats it.
        let ack = seg(Flags::ACK, ISS_A + 2, ISS_B + 2);
        b.step(&t, &cfg, Input::Segment(ack), Default::default());
        assert_eq!(b.state, State::Closed, "{name}");
    }
}

#[test]
fn psh_goes_on_the_segment_that_empties_the_queue_or_fills_the_window_and_every_one_under_linux() {
    // 2500 bytes queued, MSS 1000, a window of 1500: two segments now, the rest later.
    for (name, pushes) in [
        ("rfc9293", [false, true]),
        // Every segment under linux, as packetdrill sees its TSO/GSO packets.
        ("linux", [true, true]),
        ("freebsd", [false, false]),
    ] {
        let t = Table::from_spec(name).unwrap();
        let cfg = Config {
            mss: 1_000,
            ..configure(cfg(), &[os(name)], 1)
        };
        let mut a = Tcb::new();
        let env = |iss| model::endpoint::Env { now: 0, iss };
        a.step(&t, &cfg, Input::Call(UserCall::ActiveOpen), env(ISS_A));
        let mut synack = seg(Flags::SYN | Flags::ACK, ISS_B, ISS_A + 1);
        synack.wnd = 1_500;
        a.step(&t, &cfg, Input::Segment(synack), env(0));
        let out = a.step(&t, &cfg, Input::Call(UserCall::Send(2_500)), env(0));
        let text: Vec<(u32, bool)> = out
            .segments
            .iter()
            .map(|s| (s.len, s.flags.contains(Flags::PSH)))
            .collect();
        assert_eq!(text, vec![(1_000, pushes[0]), (500, pushes[1])], "{name}");
        // The ACK of both opens the window for the last 1000 bytes: the queue's end.
        let mut ack = seg(Flags::ACK, ISS_B + 1, ISS_A + 1 + 1_500);
        ack.wnd = 1_500;
        let out = a.step(&t, &cfg, Input::Segment(ack), env(0));
        assert_eq!(out.segments.len(), 1, "{name}");
        assert_eq!(out.segments[0].len, 1_000, "{name}");
        assert!(out.segments[0].flags.contains(Flags::PSH), "{name}");
    }
}

#[test]
fn linux_gives_up_a_syn_after_its_own_retry_count() {
    let t = Table::from_spec("linux").unwrap();
    let cfg = Config {
        syn_retries: Some(1),
        max_retransmits: 5,
        ..cfg()
    };
    let mut a = Tcb::new();
    let env = model::endpoint::Env { now: 0, iss: ISS_A };
    a.step(&t, &cfg, Input::Call(UserCall::ActiveOpen), env);
    let timeout = Input::Timeout(model::table::Timer::Retransmit);
    assert_eq!(
        a.step(&t, &cfg, timeout, env).event,
        Event::RetransmitTimeout
    );
    assert_eq!(a.step(&t, &cfg, timeout, env).event, Event::UserTimeout);
    assert_eq!(a.state, State::Closed);
}

/// Under `linux` (1 tick = 1 ms, a 64 KiB buffer): an endpoint ESTABLISHED by an active
/// open, no text received yet.
fn linux_established() -> (Table, Config, Tcb) {
    let t = Table::from_spec("linux").unwrap();
    let cfg = configure(
        Config {
            rcv_buf: 65_535,
            ..cfg()
        },
        &[os("linux")],
        1,
    );
    let mut a = Tcb::new();
    let env = model::endpoint::Env { now: 0, iss: ISS_A };
    a.step(&t, &cfg, Input::Call(UserCall::ActiveOpen), env);
    a.step(&t, &cfg, Input::Segment(seg(S | A, ISS_B, ISS_A + 1)), env);
    assert_eq!(a.state, State::Established);
    (t, cfg, a)
}

/// `len` bytes of text at `seq` from the peer, at `now` ms.
fn text_at(t: &Table, cfg: &Config, a: &mut Tcb, seq: u32, len: u32, now: u64) -> model::Outcome {
    let s = model::Segment {
        len,
        ..seg(A | Flags::PSH, seq, ISS_A + 1)
    };
    a.step(
        t,
        cfg,
        Input::Segment(s),
        model::endpoint::Env { now, iss: 0 },
    )
}

fn fire(t: &Table, cfg: &Config, a: &mut Tcb, now: u64) -> model::Outcome {
    let (timer, due) = a.next_timer().expect("a timer runs");
    assert_eq!(timer, model::table::Timer::DelayedAck);
    assert!(due <= now, "due at {due}, fired at {now}");
    a.step(
        t,
        cfg,
        Input::Timeout(timer),
        model::endpoint::Env { now, iss: 0 },
    )
}

#[test]
fn rfc9293_acknowledges_every_segment_at_once() {
    let t = Table::rfc9293();
    let mut a = reach(&t, State::Established, model::Origin::Active);
    for i in 0..20 {
        let out = text_at(&t, &cfg(), &mut a, ISS_B + 1 + 10 * i, 10, u64::from(i));
        assert_eq!(sent(&out), ".", "segment {i}");
        assert_eq!(a.timers.delayed_ack, None);
    }
}

#[test]
fn linux_acks_the_first_sixteen_segments_at_once_then_delays_by_40_ms() {
    let (t, cfg, mut a) = linux_established();
    let mut seq = ISS_B + 1;
    // Quick-ACK mode (tcp_incr_quickack(): RCV.WND / (2 × 536) > 16, so 16 quick ACKs).
    for i in 0..16 {
        let out = text_at(&t, &cfg, &mut a, seq, 10, i);
        assert_eq!(sent(&out), ".", "quick ACK {i}");
        seq += 10;
    }
    let out = text_at(&t, &cfg, &mut a, seq, 10, 16);
    assert_eq!(sent(&out), "", "delayed");
    assert_eq!(a.timers.delayed_ack, Some(16 + 40), "TCP_DELACK_MIN");
    // The timer is a table event: row 278, ESTABLISHED's delayed-ACK timeout.
    let out = fire(&t, &cfg, &mut a, 56);
    assert_eq!(out.event, Event::DelayedAckTimeout);
    assert_eq!(out.row, model::RowId(278));
    assert_eq!(out.segments[0].ack, seq + 10);
    assert_eq!(a.timers.delayed_ack, None);
}

#[test]
fn linux_acks_at_once_when_more_than_one_full_segment_is_unacknowledged() {
    let (t, cfg, mut a) = linux_established();
    a.ack.quick = 0;
    a.ack.ato_on = true;
    // 600 bytes: the estimate of the peer's segment size becomes 600; one segment waits.
    let out = text_at(&t, &cfg, &mut a, ISS_B + 1, 600, 0);
    assert_eq!(sent(&out), "");
    assert_eq!(a.ack.rcv_mss, 600);
    // The second full segment: more than one unacknowledged (RFC 1122 §4.2.3.2).
    let out = text_at(&t, &cfg, &mut a, ISS_B + 601, 600, 5);
    assert_eq!(sent(&out), ".");
    assert_eq!(out.segments[0].ack, ISS_B + 1201);
    assert_eq!(a.timers.delayed_ack, None);
}

#[test]
fn linux_sends_the_pending_ack_on_the_data_it_sends() {
    let (t, cfg, mut a) = linux_established();
    a.ack.quick = 0;
    a.ack.ato_on = true;
    text_at(&t, &cfg, &mut a, ISS_B + 1, 10, 0);
    assert!(a.timers.delayed_ack.is_some());
    let env = model::endpoint::Env { now: 5, iss: 0 };
    let out = a.step(&t, &cfg, Input::Call(UserCall::Send(5)), env);
    assert_eq!(sent(&out), "P.");
    assert_eq!(out.segments[0].ack, ISS_B + 11, "piggy-backed");
    assert_eq!(a.timers.delayed_ack, None, "tcp_event_ack_sent()");
}

#[test]
fn linux_delays_the_ack_of_a_fin_in_established_by_the_ato() {
    let fin = |seq| seg(F | A, seq, ISS_A + 1);
    // No text yet: tcp_fin() schedules the ACK, whose ATO is still 0: the timer is armed
    // for now, so it fires at the next tick (4 ms at HZ=250), after anything else that
    // arrives at this instant.
    let (t, cfg, mut a) = linux_established();
    let env = |now| model::endpoint::Env { now, iss: 0 };
    let out = a.step(&t, &cfg, Input::Segment(fin(ISS_B + 1)), env(3));
    assert_eq!((out.to, sent(&out).as_str()), (State::CloseWait, ""));
    assert_eq!(a.timers.delayed_ack, Some(7));
    let out = fire(&t, &cfg, &mut a, 7);
    assert_eq!(
        out.row,
        model::RowId(281),
        "CLOSE-WAIT's delayed-ACK timeout"
    );
    assert_eq!(out.segments[0].ack, ISS_B + 2);
    // After text: interactive mode ends quick-ACK mode, and the ACK waits 40 ms.
    let (t, cfg, mut a) = linux_established();
    assert_eq!(sent(&text_at(&t, &cfg, &mut a, ISS_B + 1, 10, 0)), ".");
    let out = a.step(&t, &cfg, Input::Segment(fin(ISS_B + 11)), env(10));
    assert_eq!(sent(&out), "");
    assert_eq!(a.timers.delayed_ack, Some(50));
    // In FIN-WAIT-2 tcp_fin() calls tcp_send_ack(): at once.
    let mut c = reach(&t, State::FinWait2, model::Origin::Active);
    let peer_fin = segment_for(&c, Event::Fin).unwrap();
    let out = c.step(&t, &cfg, Input::Segment(peer_fin), env(10));
    assert_eq!((out.to, sent(&out).as_str()), (State::TimeWait, "."));
}

#[test]
fn linux_returns_to_quick_acks_on_a_duplicate() {
    let (t, cfg, mut a) = linux_established();
    a.ack.quick = 0;
    a.ack.ato_on = true;
    text_at(&t, &cfg, &mut a, ISS_B + 1, 10, 0);
    fire(&t, &cfg, &mut a, 40);
    // The same text again: our ACK was lost (tcp_send_dupack() ->
    // tcp_enter_quickack_mode()); the next text is ACKed at once.
    let dup = text_at(&t, &cfg, &mut a, ISS_B + 1, 10, 50);
    assert_eq!((dup.event, sent(&dup).as_str()), (Event::Unacceptable, "."));
    assert_eq!(sent(&text_at(&t, &cfg, &mut a, ISS_B + 11, 10, 60)), ".");
}

#[test]
fn linux_acks_a_short_segment_when_the_read_empties_the_buffer() {
    let (t, cfg, mut a) = linux_established();
    a.ack.quick = 0;
    a.ack.ato_on = true;
    // A short segment (under the estimate of the peer's segment size): the ACK waits ...
    assert_eq!(sent(&text_at(&t, &cfg, &mut a, ISS_B + 1, 10, 0)), "");
    assert_eq!(a.ack.pushed, 1);
    // ... until the user reads it all (tcp_cleanup_rbuf(): ICSK_ACK_PUSHED, buffer empty).
    let env = model::endpoint::Env { now: 5, iss: 0 };
    let out = a.step(&t, &cfg, Input::Call(UserCall::Receive(100)), env);
    assert_eq!((out.delivered, sent(&out).as_str()), (10, "."));
    assert_eq!(out.segments[0].ack, ISS_B + 11);
    assert_eq!(a.timers.delayed_ack, None);
}

/// Under `freebsd` (1 tick = 1 ms) with a send MSS of `mss`: the receive buffer is
/// net.inet.tcp.recvspace, 65,536 bytes.
fn freebsd_cfg(mss: u32) -> (Table, Config) {
    let t = Table::from_spec("freebsd").unwrap();
    let cfg = configure(
        Config {
            mss,
            ..Config::default()
        },
        &[os("freebsd")],
        1,
    );
    assert_eq!(cfg.rcv_buf, 65_536);
    (t, cfg)
}

fn at(t: &Table, cfg: &Config, tcb: &mut Tcb, input: Input) -> model::Outcome {
    tcb.step(t, cfg, input, model::endpoint::Env { now: 0, iss: ISS_A })
}

#[test]
fn freebsd_rounds_its_receive_buffer_up_to_a_multiple_of_the_mss_on_the_peers_syn() {
    let (t, cfg) = freebsd_cfg(1_460);
    let mut a = Tcb::new();
    let syn = at(&t, &cfg, &mut a, Input::Call(UserCall::ActiveOpen));
    // 65,536 bytes free, but a SYN's window field carries at most 65,535.
    assert_eq!((a.rcv_wnd, syn.segments[0].wnd), (65_536, 65_535));
    let out = at(
        &t,
        &cfg,
        &mut a,
        Input::Segment(seg(S | A, ISS_B, ISS_A + 1)),
    );
    // tcp_mss(): roundup(65536, 1460) = 45 × 1460; the field still says 65,535.
    assert_eq!(a.rcv_buffer(), 65_700);
    assert_eq!((a.rcv_wnd, out.segments[0].wnd), (65_700, 65_535));
    // RCV.WND is the buffer: a RST at RCV.NXT + 65,699 is in the window, one at
    // RCV.NXT + 65,700 is not.
    let rst = |off: u32| seg(R, ISS_B + 1 + off, 0);
    assert_eq!(
        a.classify(&cfg, &Input::Segment(rst(65_699))),
        Event::RstInWindow
    );
    assert_eq!(
        a.classify(&cfg, &Input::Segment(rst(65_700))),
        Event::RstOutOfWindow
    );
}

#[test]
fn freebsd_keeps_the_syn_ack_window_until_the_handshake_completes_then_rounds_by_the_mss() {
    let (t, cfg) = freebsd_cfg(1_440);
    let mut b = Tcb::new();
    at(&t, &cfg, &mut b, Input::Call(UserCall::PassiveOpen));
    let synack = at(&t, &cfg, &mut b, Input::Segment(seg(S, ISS_B, 0)));
    // syncache_add(): sc_wnd = min(65536, TCP_MAXWIN), the window of the SYN,ACK.
    assert_eq!((b.rcv_wnd, synack.segments[0].wnd), (65_535, 65_535));
    assert_eq!(
        b.classify(&cfg, &Input::Segment(seg(R, ISS_B + 1 + 65_535, 0))),
        Event::RstOutOfWindow
    );
    // The ACK of our SYN,ACK makes the socket: 66,240 = 46 × 1440, less the text it
    // carries.
    let ack = model::Segment {
        len: 100,
        ..seg(A, ISS_B + 1, ISS_A + 1)
    };
    at(&t, &cfg, &mut b, Input::Segment(ack));
    assert_eq!(b.state, State::Established);
    assert_eq!((b.rcv_buffer(), b.rcv_wnd), (66_240, 66_140));
}

#[test]
fn freebsd_rounds_a_scaled_window_up_to_the_scale_unit() {
    let (t, cfg) = freebsd_cfg(1_460);
    // Every ACK at once, to read its window.
    let cfg = Config {
        delayed_ack: None,
        ..cfg
    };
    let rfc = Config {
        scaled_window_rounds_up: false,
        ..cfg
    };
    for (cfg, wnd) in [(cfg, 1_027), (rfc, 1_026)] {
        let mut a = Tcb::new();
        at(&t, &cfg, &mut a, Input::Call(UserCall::ActiveOpen));
        let synack = model::Segment {
            opts: model::TcpOptions {
                wscale: Some(0),
                ..model::TcpOptions::NONE
            },
            ..seg(S | A, ISS_B, ISS_A + 1)
        };
        at(&t, &cfg, &mut a, Input::Segment(synack));
        assert_eq!(a.opts.rcv_shift, 6);
        let text = model::Segment {
            len: 10,
            ..seg(A, ISS_B + 1, ISS_A + 1)
        };
        let out = at(&t, &cfg, &mut a, Input::Segment(text));
        // 65,690 bytes free: 1026.4 units of 64.
        assert_eq!(a.rcv_wnd, 65_690);
        let ack = out.segments.last().expect("an ACK");
        assert_eq!(ack.wnd, wnd, "rounds up: {}", cfg.scaled_window_rounds_up);
    }
}

#[test]
fn an_unscaled_window_field_carries_at_most_65535() {
    let t = Table::rfc9293();
    let cfg = Config {
        rcv_buf: 1 << 20,
        ..Config::default()
    };
    let mut a = Tcb::new();
    let syn = at(&t, &cfg, &mut a, Input::Call(UserCall::ActiveOpen));
    assert_eq!(syn.segments[0].wnd, 65_535);
    let out = at(
        &t,
        &cfg,
        &mut a,
        Input::Segment(seg(S | A, ISS_B, ISS_A + 1)),
    );
    assert_eq!((a.rcv_wnd, out.segments[0].wnd), (1 << 20, 65_535));
}

/// Under `freebsd` (1 tick = 1 ms): an endpoint ESTABLISHED by an active open.
fn freebsd_established() -> (Table, Config, Tcb) {
    let (t, cfg) = freebsd_cfg(1_460);
    let mut a = Tcb::new();
    at(&t, &cfg, &mut a, Input::Call(UserCall::ActiveOpen));
    at(
        &t,
        &cfg,
        &mut a,
        Input::Segment(seg(S | A, ISS_B, ISS_A + 1)),
    );
    assert_eq!(a.state, State::Established);
    (t, cfg, a)
}

#[test]
fn freebsd_delays_the_ack_of_one_segment_by_40_ms_and_acks_the_second_at_once() {
    let (t, cfg, mut a) = freebsd_established();
    // No quick-ACK mode: even the first text waits (DELAY_ACK(): no timer running).
    assert_eq!(sent(&text_at(&t, &cfg, &mut a, ISS_B + 1, 10, 0)), "");
    assert_eq!(a.timers.delayed_ack, Some(40));
    let out = fire(&t, &cfg, &mut a, 40);
    assert_eq!(
        (sent(&out).as_str(), out.segments[0].ack),
        (".", ISS_B + 11)
    );
    // Two segments: the second finds the timer running and is ACKed at once.
    assert_eq!(sent(&text_at(&t, &cfg, &mut a, ISS_B + 11, 10, 100)), "");
    let out = text_at(&t, &cfg, &mut a, ISS_B + 21, 10, 110);
    assert_eq!(
        (sent(&out).as_str(), out.segments[0].ack),
        (".", ISS_B + 31)
    );
    assert_eq!(a.timers.delayed_ack, None);
}

#[test]
fn freebsd_acks_at_once_a_segment_over_the_mss_out_of_order_text_and_a_fin() {
    let (t, cfg, mut a) = freebsd_established();
    // Longer than t_maxseg: not DELAY_ACK().
    assert_eq!(sent(&text_at(&t, &cfg, &mut a, ISS_B + 1, 1_461, 0)), ".");
    let (t, cfg, mut a) = freebsd_established();
    let mut cfg = cfg;
    cfg.hold_out_of_order = true;
    // Beyond RCV.NXT (tcp_reass()): TF_ACKNOW.
    assert_eq!(sent(&text_at(&t, &cfg, &mut a, ISS_B + 11, 10, 0)), ".");
    let (t, cfg, mut a) = freebsd_established();
    let fin = at(
        &t,
        &cfg,
        &mut a,
        Input::Segment(seg(F | A, ISS_B + 1, ISS_A + 1)),
    );
    assert_eq!((sent(&fin).as_str(), a.state), (".", State::CloseWait));
}

#[test]
fn freebsd_reports_a_duplicate_in_a_dsack_block() {
    let (t, cfg) = freebsd_cfg(1_460);
    let cfg = Config {
        hold_out_of_order: true,
        ..cfg
    };
    let mut a = Tcb::new();
    at(&t, &cfg, &mut a, Input::Call(UserCall::ActiveOpen));
    let synack = model::Segment {
        opts: model::TcpOptions {
            sack_permitted: true,
            ..model::TcpOptions::NONE
        },
        ..seg(S | A, ISS_B, ISS_A + 1)
    };
    at(&t, &cfg, &mut a, Input::Segment(synack));
    assert!(a.opts.sack_ok);
    text_at(&t, &cfg, &mut a, ISS_B + 1, 10, 0);
    // The same text again: ACKed at once, the duplicate reported first (RFC 2883).
    let dup = text_at(&t, &cfg, &mut a, ISS_B + 1, 10, 10);
    assert_eq!(sent(&dup), ".");
    assert_eq!(
        dup.segments[0].opts.sack,
        model::SackBlocks::new(&[(ISS_B + 1, ISS_B + 11)])
    );
    // Old text and new: the new text alone would wait, but the D-SACK block goes at
    // once (tcp_do_segment(): TF_ACKNOW after tcp_update_sack_list()).
    let part = text_at(&t, &cfg, &mut a, ISS_B + 1, 20, 20);
    assert_eq!(
        (sent(&part).as_str(), part.segments[0].ack),
        (".", ISS_B + 21)
    );
    assert_eq!(
        part.segments[0].opts.sack,
        model::SackBlocks::new(&[(ISS_B + 1, ISS_B + 11)])
    );
}

/// A (ISS 100) in TIME-WAIT under `freebsd` (RCV.NXT = ISS_B + 2, SND.NXT =
/// ISS_A + 2), with the profile's parameters over the harness's [`cfg`].
fn freebsd_time_wait() -> (Table, Config, Tcb) {
    let t = Table::from_spec("freebsd").unwrap();
    let cfg = configure(cfg(), &[os("freebsd")], 1);
    assert!(cfg.time_wait_acks_all);
    let a = reach(&t, State::TimeWait, model::Origin::Active);
    assert_eq!((a.rcv_nxt, a.snd_nxt), (ISS_B + 2, ISS_A + 2));
    (t, cfg, a)
}

#[test]
fn freebsd_acknowledges_every_segment_in_time_wait_but_a_pure_duplicate_ack() {
    let (t, cfg, a) = freebsd_time_wait();
    let ack = (A, ISS_A + 2, ISS_B + 2);
    let mut text = seg(A, ISS_B + 2, ISS_A + 2);
    text.len = 10;
    for (what, s, event, answer) in [
        (
            "a pure duplicate ACK",
            seg(A, ISS_B + 2, ISS_A + 2),
            Event::Ack,
            None,
        ),
        (
            "an ACK in the window",
            seg(A, ISS_B + 3, ISS_A + 2),
            Event::Unacceptable,
            Some(ack),
        ),
        (
            "an ACK below RCV.NXT",
            seg(A, ISS_B + 1, ISS_A + 2),
            Event::Unacceptable,
            Some(ack),
        ),
        (
            "an old ACK field",
            seg(A, ISS_B + 2, ISS_A + 1),
            Event::Unacceptable,
            Some(ack),
        ),
        ("text at RCV.NXT", text, Event::Unacceptable, Some(ack)),
        (
            "a SYN,ACK",
            seg(S | A, ISS_B + 2, ISS_A + 2),
            Event::Unacceptable,
            Some(ack),
        ),
        (
            "a FIN without ACK",
            seg(F, ISS_B + 1, 0),
            Event::NoAck,
            None,
        ),
        ("a SYN at RCV.NXT", seg(S, ISS_B + 2, 0), Event::NoAck, None),
        (
            "a SYN below RCV.NXT",
            seg(S, ISS_B + 1, 0),
            Event::NoAck,
            None,
        ),
        (
            "a RST at RCV.NXT",
            seg(R, ISS_B + 2, 0),
            Event::RstExact,
            None,
        ),
    ] {
        let mut b = a.clone();
        let out = b.step(&t, &cfg, Input::Segment(s), Default::default());
        assert_eq!(out.event, event, "{what}");
        assert_eq!(b.state, State::TimeWait, "{what}");
        let sent: Vec<_> = out
            .segments
            .iter()
            .map(|s| (s.flags, s.seq, s.ack))
            .collect();
        assert_eq!(sent, answer.into_iter().collect::<Vec<_>>(), "{what}");
    }
    // RFC 9293 ignores the acceptable ACK in the window (§3.10.7.4, TIME-WAIT).
    let t9293 = Table::rfc9293();
    let mut b = reach(&t9293, State::TimeWait, model::Origin::Active);
    let out = b.step(
        &t9293,
        &common::cfg(),
        Input::Segment(seg(A, ISS_B + 3, ISS_A + 2)),
        Default::default(),
    );
    assert_eq!((out.event, out.segments.len()), (Event::Ack, 0));
}

#[test]
fn freebsd_restarts_time_wait_on_a_retransmitted_fin_only() {
    let (t, cfg, a) = freebsd_time_wait();
    let now = 5;
    let env = model::endpoint::Env { now, iss: ISS_A };
    let deadline = |b: &Tcb| b.next_timer().map(|(_, d)| d);
    let before = deadline(&a);
    // The peer's FIN again: acknowledged, and 2MSL restarts from now (tcp_tw_2msl_reset()).
    let mut b = a.clone();
    let out = b.step(
        &t,
        &cfg,
        Input::Segment(seg(F | A, ISS_B + 1, ISS_A + 2)),
        env,
    );
    assert_eq!((out.event, out.segments.len()), (Event::FinRetransmit, 1));
    assert_eq!(deadline(&b), Some(now + u64::from(2 * cfg.msl)));
    // Any other segment is acknowledged; the timer runs on.
    let mut b = a.clone();
    let out = b.step(&t, &cfg, Input::Segment(seg(A, ISS_B + 3, ISS_A + 2)), env);
    assert_eq!(out.segments.len(), 1);
    assert_eq!(deadline(&b), before);
}

#[test]
fn freebsd_backs_a_syn_off_from_the_initial_rto_plus_200_ms_of_slop_up_to_64_s() {
    // tcp_timer_rexmt(): tcp_rexmit_initial × tcp_backoff[t_rxtshift] + rexmit_slop
    // (TCPT_RANGESET()), at most TCPTV_REXMTMAX; the first timeout is 1 s flat.
    let gaps = [1_000, 2_200, 4_200, 8_200, 16_200, 32_200, 64_000, 64_000];
    for rtt in [None, Some(model::rtt::Estimator::Rfc6298)] {
        let t = Table::from_spec("freebsd").unwrap();
        let mut cfg = configure(Config::default(), &[os("freebsd")], 1);
        cfg.rtt = rtt;
        assert_eq!(cfg.rto_slop, 200);
        let mut a = Tcb::new();
        let env = |now| model::endpoint::Env { now, iss: ISS_A };
        a.step(&t, &cfg, Input::Call(UserCall::ActiveOpen), env(0));
        let mut now = 0;
        for gap in gaps {
            let (_, at) = a.next_timer().unwrap();
            assert_eq!(at - now, gap, "{rtt:?}");
            now = at;
            let out = a.step(
                &t,
                &cfg,
                Input::Timeout(model::table::Timer::Retransmit),
                env(now),
            );
            assert_eq!(out.segments[0].flags, Flags::SYN, "{rtt:?}");
        }
    }
    // RFC 9293 (RFC 6298 §5.5): the RTO doubles, no slop.
    let t = Table::rfc9293();
    let cfg = Config {
        rto: 1_000,
        rto_max: 64_000,
        ..Config::default()
    };
    let mut a = Tcb::new();
    a.step(
        &t,
        &cfg,
        Input::Call(UserCall::ActiveOpen),
        Default::default(),
    );
    let (_, first) = a.next_timer().unwrap();
    a.step(
        &t,
        &cfg,
        Input::Timeout(model::table::Timer::Retransmit),
        model::endpoint::Env { now: first, iss: 0 },
    );
    assert_eq!(a.next_timer().unwrap().1 - first, 2_000);
}

#[test]
fn freebsd_sends_a_challenge_ack_without_the_fin_from_last_ack() {
    // tcp_send_challenge_ack() -> tcp_respond(TH_ACK): never the FIN again, unlike the ACKs
    // tcp_output() sends there (ack_carries_fin).
    let t = Table::from_spec("freebsd").unwrap();
    let cfg = configure(cfg(), &[os("freebsd")], 1);
    for s in [seg(S, ISS_A + 2, 0), seg(R, ISS_A + 3, 0)] {
        let mut b = last_ack(&t, &cfg);
        let out = b.step(&t, &cfg, Input::Segment(s), Default::default());
        assert_eq!(b.state, State::LastAck);
        let sent: Vec<_> = out
            .segments
            .iter()
            .map(|s| (s.flags, s.seq, s.ack))
            .collect();
        assert_eq!(sent, vec![(A, ISS_B + 2, ISS_A + 2)], "{s:?}");
    }
}

/// LAST-ACK's receive window under `cfg`: RCV.NXT + it is the first number beyond it.
fn b_window(t: &Table, cfg: &Config) -> u32 {
    last_ack(t, cfg).rcv_wnd
}

#[test]
fn freebsd_answers_a_syn_outside_the_window_of_last_ack_with_a_bare_challenge_ack() {
    // tcp_do_segment(): the SYN check and tcp_send_challenge_ack() come before the
    // segment is trimmed to the window, so a SYN below RCV.NXT (the peer's old SYN) or
    // beyond the window is challenged as one inside: no FIN on it (syn_challenge_first).
    let t = Table::from_spec("freebsd").unwrap();
    let cfg = configure(cfg(), &[os("freebsd")], 1);
    assert!(cfg.syn_challenge_first);
    for seq in [ISS_A + 1, ISS_A + 2 + b_window(&t, &cfg)] {
        let mut b = last_ack(&t, &cfg);
        let out = b.step(&t, &cfg, Input::Segment(seg(S, seq, 0)), Default::default());
        assert_eq!(out.event, Event::Unacceptable, "{seq}");
        assert_eq!(b.state, State::LastAck, "{seq}");
        let sent: Vec<_> = out
            .segments
            .iter()
            .map(|s| (s.flags, s.seq, s.ack))
            .collect();
        assert_eq!(sent, vec![(A, ISS_B + 2, ISS_A + 2)], "{seq}");
    }
    // Any other unacceptable segment still gets tcp_output()'s ACK, with the FIN.
    let mut b = last_ack(&t, &cfg);
    let out = b.step(
        &t,
        &cfg,
        Input::Segment(seg(A, ISS_A + 1, ISS_B + 1)),
        Default::default(),
    );
    assert_eq!(out.segments[0].flags, Flags::FIN | A);
}

#[test]
fn with_drop_synfin_a_syn_fin_is_dropped_in_every_state_even_at_a_closed_port() {
    // tcp_input(): V_drop_synfin drops it before the connection lookup.
    let t = Table::from_spec("freebsd").unwrap();
    let mut cfg = configure(cfg(), &[os("freebsd")], 1);
    assert!(!cfg.drop_synfin, "net.inet.tcp.drop_synfin defaults to 0");
    Param::DropSynfin(true).apply(&mut cfg, 1);
    let synfin = seg(S | Flags::FIN, ISS_A, 0);
    // A closed port: no RST.
    let mut c = Tcb::new();
    let out = c.step(&t, &cfg, Input::Segment(synfin), Default::default());
    assert!(out.segments.is_empty());
    // A listener: no SYN,ACK, still listening.
    let mut l = Tcb::new();
    l.step(
        &t,
        &cfg,
        Input::Call(UserCall::PassiveOpen),
        Default::default(),
    );
    let out = l.step(&t, &cfg, Input::Segment(synfin), Default::default());
    assert!(out.segments.is_empty());
    assert_eq!(l.state, State::Listen);
    // LAST-ACK: no challenge ACK.
    let mut b = last_ack(&t, &cfg);
    let out = b.step(
        &t,
        &cfg,
        Input::Segment(seg(S | Flags::FIN, ISS_A + 1, 0)),
        Default::default(),
    );
    assert!(out.segments.is_empty());
    assert_eq!(b.state, State::LastAck);
}
