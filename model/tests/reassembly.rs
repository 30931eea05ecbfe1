//! The out-of-order queue (RFC 9293 §3.10.7.4, SHLD-31) and the SACK blocks that report
//! it (RFC 2018 §4), with D-SACK (RFC 2883) where configured: receiver side only.

use model::endpoint::Env;
use model::table::{Event, State};
use model::{
    Config, Flags, Input, Outcome, SackBlocks, Segment, SynOptions, Table, Tcb, TcpOptions,
    UserCall,
};

const SACK_ONLY: SynOptions = SynOptions {
    sack_permitted: true,
    ..SynOptions::MSS_ONLY
};

fn table() -> Table {
    Table::from_spec("rfc9293").unwrap()
}

fn cfg(syn_options: SynOptions) -> Config {
    Config {
        rcv_buf: 1000,
        syn_options,
        hold_out_of_order: true,
        ..Config::default()
    }
}

fn at(now: u64) -> Env {
    Env { now, iss: 100 }
}

/// The peer's options on every segment: timestamps when `c` offers them.
fn peer_opts(c: &Config) -> TcpOptions {
    TcpOptions {
        timestamps: c.syn_options.timestamps.then_some((1000, 0)),
        ..TcpOptions::NONE
    }
}

/// ESTABLISHED by an active open; the peer's ISN is 300 (RCV.NXT 301), SACK-permitted
/// (and timestamps) on its SYN,ACK as far as ours offered them.
fn established(c: &Config) -> Tcb {
    let t = table();
    let mut a = Tcb::new();
    a.step(&t, c, Input::Call(UserCall::ActiveOpen), at(0));
    let opts = TcpOptions {
        sack_permitted: true,
        ..peer_opts(c)
    };
    let synack = Segment {
        opts,
        ..Segment::control(Flags::SYN | Flags::ACK, 300, 101, 10_000)
    };
    a.step(&t, c, Input::Segment(synack), at(1));
    assert_eq!(a.state, State::Established);
    assert_eq!(a.rcv_nxt, 301);
    a
}

/// `len` bytes of text at `seq` (plus `extra` flags), acknowledging our SYN.
fn text(c: &Config, a: &mut Tcb, seq: u32, len: u32, extra: Flags) -> Outcome {
    let s = Segment {
        len,
        opts: peer_opts(c),
        ..Segment::control(Flags::ACK | extra, seq, 101, 10_000)
    };
    a.step(&table(), c, Input::Segment(s), at(2))
}

/// The one segment sent, an ACK: its acknowledgment number and SACK blocks.
fn ack_of(out: &Outcome) -> (u32, Vec<(u32, u32)>) {
    assert_eq!(out.segments.len(), 1, "{out:?}");
    let s = out.segments[0];
    assert!(s.flags.ack());
    (s.ack, s.opts.sack.as_slice().to_vec())
}

#[test]
fn text_after_a_gap_is_held_and_delivered_when_the_gap_fills_in_any_order() {
    let c = cfg(SACK_ONLY);
    // Four segments of 10 bytes, 301..341; every order of them.
    let orders = [
        [0, 1, 2, 3],
        [3, 2, 1, 0],
        [1, 3, 2, 0],
        [2, 0, 3, 1],
        [1, 0, 3, 2],
        [3, 1, 0, 2],
    ];
    for order in orders {
        let mut a = established(&c);
        let mut accepted = 0;
        for i in order {
            let out = text(&c, &mut a, 301 + 10 * i, 10, Flags::NONE);
            accepted += out.accepted;
            // Every segment is acknowledged at once, in order or not.
            let (ack, _) = ack_of(&out);
            assert_eq!(ack, a.rcv_nxt);
        }
        assert_eq!(
            (a.rcv_nxt, a.recv_queue, accepted),
            (341, 40, 40),
            "{order:?}"
        );
        assert!(a.ooo.held.is_empty() && a.ooo.sacks.is_empty());
    }
}

#[test]
fn an_out_of_order_segment_is_acknowledged_at_once_and_its_ack_field_read() {
    let c = cfg(SACK_ONLY);
    let mut a = established(&c);
    let out = text(&c, &mut a, 311, 10, Flags::PSH);
    assert_eq!(out.event, Event::Ack);
    assert_eq!(out.accepted, 0);
    assert_eq!(ack_of(&out), (301, vec![(311, 321)]));
    assert_eq!(a.ooo.held, vec![(311, 321)]);
    // The gap fills: everything up to 321 is taken, and the ACK carries no SACK.
    let out = text(&c, &mut a, 301, 10, Flags::NONE);
    assert_eq!(out.accepted, 20);
    assert_eq!(ack_of(&out), (321, vec![]));
}

#[test]
fn out_of_order_text_is_acknowledged_at_once_even_with_delayed_acks() {
    // RFC 5681 §4.2; Linux __tcp_ack_snd_check(): out-of-order data, ACK now.
    let c = Config {
        delayed_ack: Some(40),
        ..cfg(SACK_ONLY)
    };
    let mut a = established(&c);
    // First text: quick-ACK mode; use the quick ACKs up.
    a.ack.quick = 0;
    a.ack.ato_on = true;
    a.ack.pingpong = true;
    let out = text(&c, &mut a, 311, 10, Flags::NONE);
    assert_eq!(ack_of(&out), (301, vec![(311, 321)]));
    // The segment that fills the gap is acknowledged at once too.
    let out = text(&c, &mut a, 301, 10, Flags::NONE);
    assert_eq!(ack_of(&out), (321, vec![]));
}

#[test]
fn the_queue_is_bounded_by_the_receive_window() {
    let c = Config {
        rcv_buf: 100,
        ..cfg(SACK_ONLY)
    };
    let mut a = established(&c);
    // 391..421 reaches past the window's right edge (401): only 391..401 is held.
    let out = text(&c, &mut a, 391, 30, Flags::NONE);
    assert_eq!(ack_of(&out), (301, vec![(391, 401)]));
    assert_eq!(a.ooo.held, vec![(391, 401)]);
    // Beyond the window: unacceptable, nothing held.
    let out = text(&c, &mut a, 401, 10, Flags::NONE);
    assert_eq!(out.event, Event::Unacceptable);
    assert_eq!(a.ooo.held, vec![(391, 401)]);
    // The gap fills: the window is full.
    let out = text(&c, &mut a, 301, 90, Flags::NONE);
    assert_eq!(out.accepted, 100);
    assert_eq!((a.rcv_nxt, a.rcv_wnd, a.recv_queue), (401, 0, 100));
}

#[test]
fn a_fin_after_a_gap_is_processed_only_when_the_gap_fills() {
    let c = cfg(SACK_ONLY);
    let mut a = established(&c);
    let out = text(&c, &mut a, 311, 10, Flags::FIN);
    assert_eq!(out.event, Event::Ack);
    assert_eq!(a.state, State::Established);
    assert!(!a.fin_received);
    // The block covers the FIN's sequence number, as Linux's end_seq does.
    assert_eq!(ack_of(&out), (301, vec![(311, 322)]));
    let out = text(&c, &mut a, 301, 10, Flags::NONE);
    assert_eq!(out.event, Event::Fin);
    assert_eq!(a.state, State::CloseWait);
    assert!(a.fin_received);
    assert_eq!((a.rcv_nxt, a.recv_queue), (322, 20));
    assert_eq!(ack_of(&out), (322, vec![]));
}

#[test]
fn a_fin_after_a_gap_whose_text_overflows_the_window_is_not_held() {
    let c = Config {
        rcv_buf: 100,
        ..cfg(SACK_ONLY)
    };
    let mut a = established(&c);
    text(&c, &mut a, 391, 20, Flags::FIN);
    assert_eq!((a.ooo.held.clone(), a.ooo.fin), (vec![(391, 401)], None));
    let out = text(&c, &mut a, 301, 90, Flags::NONE);
    assert_eq!(out.event, Event::Ack);
    assert_eq!((a.state, a.rcv_nxt), (State::Established, 401));
}

#[test]
fn duplicate_and_overlapping_segments_are_held_once() {
    let c = cfg(SACK_ONLY);
    let mut a = established(&c);
    text(&c, &mut a, 311, 10, Flags::NONE);
    text(&c, &mut a, 311, 10, Flags::NONE);
    assert_eq!(a.ooo.held, vec![(311, 321)]);
    let out = text(&c, &mut a, 315, 16, Flags::NONE);
    assert_eq!(ack_of(&out), (301, vec![(311, 331)]));
    assert_eq!(a.ooo.held, vec![(311, 331)]);
    // In order and overlapping what is held: every byte counted once.
    let out = text(&c, &mut a, 301, 15, Flags::NONE);
    assert_eq!(out.accepted, 30);
    assert_eq!((a.rcv_nxt, a.recv_queue), (331, 30));
    // A segment entirely below RCV.NXT is still unacceptable.
    let out = text(&c, &mut a, 311, 10, Flags::NONE);
    assert_eq!(out.event, Event::Unacceptable);
    assert_eq!(ack_of(&out), (331, vec![]));
}

#[test]
fn sack_blocks_put_the_latest_segment_first_and_keep_four_without_timestamps() {
    let c = cfg(SACK_ONLY);
    let mut a = established(&c);
    for (i, seq) in [311, 331, 351, 371, 391].into_iter().enumerate() {
        let out = text(&c, &mut a, seq, 10, Flags::NONE);
        let (_, blocks) = ack_of(&out);
        assert_eq!(blocks[0], (seq, seq + 10));
        assert_eq!(blocks.len(), (i + 1).min(4));
    }
    assert_eq!(
        a.ooo.sacks,
        vec![(391, 401), (371, 381), (351, 361), (331, 341)]
    );
    // 321..331 joins 311..321 (forgotten) and 331..341: one block, first.
    let out = text(&c, &mut a, 321, 10, Flags::NONE);
    assert_eq!(
        ack_of(&out).1,
        vec![(321, 341), (391, 401), (371, 381), (351, 361)]
    );
    // A segment the first block already covers moves nothing.
    let out = text(&c, &mut a, 371, 10, Flags::NONE);
    assert_eq!(
        ack_of(&out).1,
        vec![(371, 381), (321, 341), (391, 401), (351, 361)]
    );
    // RCV.NXT passes 311..341: its block goes.
    let out = text(&c, &mut a, 301, 10, Flags::NONE);
    assert_eq!(
        ack_of(&out),
        (341, vec![(371, 381), (391, 401), (351, 361)])
    );
}

#[test]
fn with_timestamps_three_sack_blocks_fit() {
    // (40 - 12 - 4) / 8 = 3: Linux tcp_established_options().
    let c = cfg(SynOptions::LINUX);
    let mut a = established(&c);
    assert!(a.opts.ts_ok && a.opts.sack_ok);
    for seq in [311, 331, 351, 371] {
        text(&c, &mut a, seq, 10, Flags::NONE);
    }
    let out = text(&c, &mut a, 391, 10, Flags::NONE);
    let s = out.segments[0];
    assert!(s.opts.timestamps.is_some());
    assert_eq!(s.opts.sack.as_slice(), [(391, 401), (371, 381), (351, 361)]);
    assert_eq!(
        s.opts.to_string(),
        "TS val 2 ecr 1000,sack 391:401 371:381 351:361"
    );
}

#[test]
fn without_sack_negotiated_out_of_order_text_is_held_but_not_reported() {
    let c = cfg(SynOptions::MSS_ONLY);
    let mut a = established(&c);
    assert!(!a.opts.sack_ok);
    let out = text(&c, &mut a, 311, 10, Flags::NONE);
    assert_eq!(ack_of(&out), (301, vec![]));
    assert_eq!(a.ooo.held, vec![(311, 321)]);
    let out = text(&c, &mut a, 301, 10, Flags::NONE);
    assert_eq!(out.accepted, 20);
}

#[test]
fn without_holding_out_of_order_text_is_answered_and_dropped() {
    // The default, the model checker's: RFC 9293 allows either.
    let c = Config {
        hold_out_of_order: false,
        ..cfg(SACK_ONLY)
    };
    let mut a = established(&c);
    let out = text(&c, &mut a, 311, 10, Flags::NONE);
    assert_eq!(out.event, Event::Unacceptable);
    assert_eq!(ack_of(&out), (301, vec![]));
    assert!(a.ooo.held.is_empty());
}

#[test]
fn d_sack_reports_a_duplicate_segment_first_once() {
    let c = Config {
        dsack: true,
        ..cfg(SACK_ONLY)
    };
    let mut a = established(&c);
    text(&c, &mut a, 301, 10, Flags::NONE);
    text(&c, &mut a, 331, 10, Flags::NONE);
    // Entirely below RCV.NXT (Linux tcp_send_dupack()).
    let out = text(&c, &mut a, 301, 10, Flags::NONE);
    assert_eq!(out.event, Event::Unacceptable);
    assert_eq!(ack_of(&out), (311, vec![(301, 311), (331, 341)]));
    // Sent once.
    let out = text(&c, &mut a, 351, 10, Flags::NONE);
    assert_eq!(ack_of(&out).1, vec![(351, 361), (331, 341)]);
    // A duplicate of held text (tcp_data_queue_ofo()): the D-SACK block, then its
    // block moved first.
    let out = text(&c, &mut a, 331, 10, Flags::NONE);
    assert_eq!(ack_of(&out).1, vec![(331, 341), (331, 341), (351, 361)]);
    // Partly below RCV.NXT (tcp_data_queue(): "partial packet"): the old part.
    let out = text(&c, &mut a, 306, 10, Flags::NONE);
    assert_eq!(out.accepted, 5);
    assert_eq!(
        ack_of(&out),
        (316, vec![(306, 311), (331, 341), (351, 361)])
    );
    // Filling a gap with text that overlaps what is held (tcp_ofo_queue()).
    let out = text(&c, &mut a, 316, 20, Flags::NONE);
    assert_eq!(ack_of(&out), (341, vec![(331, 336), (351, 361)]));
}

#[test]
fn d_sack_is_off_by_default() {
    // RFC 2883 is an extension: RFC 9293's profile sends no D-SACK.
    let c = cfg(SACK_ONLY);
    let mut a = established(&c);
    text(&c, &mut a, 301, 10, Flags::NONE);
    let out = text(&c, &mut a, 301, 10, Flags::NONE);
    assert_eq!(ack_of(&out), (311, vec![]));
}

#[test]
fn a_retransmitted_fin_is_reported_in_a_d_sack_block() {
    // Linux: a FIN below RCV.NXT goes to tcp_data_queue() (it ends at RCV.WUP), whose
    // tcp_dsack_set() reports its sequence number.
    let c = Config {
        dsack: true,
        ..cfg(SACK_ONLY)
    };
    let mut a = established(&c);
    text(&c, &mut a, 301, 0, Flags::FIN);
    assert_eq!(a.state, State::CloseWait);
    let out = text(&c, &mut a, 301, 0, Flags::FIN);
    assert_eq!(out.event, Event::FinRetransmit);
    assert_eq!(ack_of(&out), (302, vec![(301, 302)]));
}

#[test]
fn in_syn_received_out_of_order_text_is_held_and_its_ack_read() {
    // Linux tcp_check_req() makes the connection, which queues the text out of order.
    let c = cfg(SACK_ONLY);
    let t = table();
    let mut a = Tcb::new();
    a.step(&t, &c, Input::Call(UserCall::PassiveOpen), at(0));
    let syn = Segment {
        opts: TcpOptions {
            sack_permitted: true,
            ..TcpOptions::NONE
        },
        ..Segment::control(Flags::SYN, 300, 0, 10_000)
    };
    a.step(&t, &c, Input::Segment(syn), at(1));
    assert_eq!(a.state, State::SynReceived);
    let out = text(&c, &mut a, 311, 10, Flags::NONE);
    assert_eq!(out.event, Event::AckOfSyn);
    assert_eq!(a.state, State::Established);
    assert_eq!(ack_of(&out), (301, vec![(311, 321)]));
    let out = text(&c, &mut a, 301, 10, Flags::NONE);
    assert_eq!((out.accepted, a.rcv_nxt), (20, 321));
}

#[test]
fn sack_blocks_print_in_packetdrill_notation() {
    let s = SackBlocks::new(&[(1, 11), (21, 31)]);
    let o = TcpOptions {
        sack: s,
        ..TcpOptions::NONE
    };
    assert_eq!(o.to_string(), "sack 1:11 21:31");
    assert_eq!(SackBlocks::new(&[(0, 1); 6]).as_slice().len(), 4);
}

#[test]
fn an_in_order_fin_ends_the_stream_and_drops_text_held_past_it() {
    // Held: 311..340 and a FIN at 340. Then text 301..310 with a FIN at 311: that FIN is
    // in sequence, so the stream ends there (§3.10.7.4's eighth step); what was held
    // lies past it and is never taken (Linux tcp_fin() purges the queue).
    let c = cfg(SACK_ONLY);
    let mut a = established(&c);
    text(&c, &mut a, 311, 29, Flags::FIN);
    assert_eq!(a.rcv_nxt, 301);
    let out = text(&c, &mut a, 301, 10, Flags::FIN);
    assert_eq!(a.state, State::CloseWait);
    assert!(a.fin_received);
    assert_eq!((a.rcv_nxt, a.recv_queue), (312, 10));
    assert_eq!(ack_of(&out), (312, vec![]));
}
