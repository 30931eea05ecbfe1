//! TCP options in the endpoint: window scale and timestamps (RFC 7323), SACK-permitted
//! (RFC 2018), negotiated only when both SYNs carry them.

use model::endpoint::Env;
use model::{Config, Flags, Input, Segment, SynOptions, Table, Tcb, TcpOptions, UserCall};

fn table() -> Table {
    Table::from_spec("rfc9293").unwrap()
}

fn cfg(syn_options: SynOptions) -> Config {
    Config {
        rcv_buf: 1 << 20,
        syn_options,
        ..Config::default()
    }
}

fn at(now: u64) -> Env {
    Env { now, iss: 100 }
}

fn seg(flags: Flags, seq: u32, ack: u32, wnd: u32, opts: TcpOptions) -> Input {
    Input::Segment(Segment {
        opts,
        ..Segment::control(flags, seq, ack, wnd)
    })
}

fn ws(shift: u8) -> TcpOptions {
    TcpOptions {
        wscale: Some(shift),
        ..TcpOptions::NONE
    }
}

/// A passive endpoint that took `syn` and sent its SYN,ACK (returned).
fn passive(c: &Config, syn: TcpOptions) -> (Tcb, Segment) {
    let t = table();
    let mut tcb = Tcb::new();
    tcb.step(&t, c, Input::Call(UserCall::PassiveOpen), at(0));
    let out = tcb.step(&t, c, seg(Flags::SYN, 300, 0, 1000, syn), at(1));
    assert_eq!(out.segments.len(), 1);
    (tcb, out.segments[0])
}

#[test]
fn window_scale_is_used_only_when_both_syns_carry_it() {
    let ours = SynOptions {
        wscale: Some(7),
        ..SynOptions::MSS_ONLY
    };
    // The peer's SYN has no window scale: our SYN,ACK offers none, both shifts are 0.
    let (tcb, synack) = passive(&cfg(ours), TcpOptions::NONE);
    assert_eq!(synack.opts.wscale, None);
    assert_eq!((tcb.opts.snd_shift, tcb.opts.rcv_shift), (0, 0));
    // We offer none: the peer's is ignored.
    let (tcb, synack) = passive(&cfg(SynOptions::MSS_ONLY), ws(3));
    assert_eq!(synack.opts.wscale, None);
    assert_eq!((tcb.opts.snd_shift, tcb.opts.rcv_shift), (0, 0));
    // Both: each side's shift is its own SYN's.
    let (tcb, synack) = passive(&cfg(ours), ws(3));
    assert_eq!(synack.opts.wscale, Some(7));
    assert_eq!((tcb.opts.snd_shift, tcb.opts.rcv_shift), (3, 7));
    // Active: our SYN offers it; the SYN,ACK's decides.
    let t = table();
    let c = cfg(ours);
    let mut a = Tcb::new();
    let out = a.step(&t, &c, Input::Call(UserCall::ActiveOpen), at(0));
    assert_eq!(out.segments[0].opts.wscale, Some(7));
    a.step(
        &t,
        &c,
        seg(Flags::SYN | Flags::ACK, 300, 101, 1000, ws(2)),
        at(1),
    );
    assert_eq!((a.opts.snd_shift, a.opts.rcv_shift), (2, 7));
    let mut b = Tcb::new();
    b.step(&t, &c, Input::Call(UserCall::ActiveOpen), at(0));
    b.step(
        &t,
        &c,
        seg(Flags::SYN | Flags::ACK, 300, 101, 1000, TcpOptions::NONE),
        at(1),
    );
    assert_eq!((b.opts.snd_shift, b.opts.rcv_shift), (0, 0));
}

#[test]
fn a_scaled_window_is_shifted_before_use() {
    let ours = SynOptions {
        wscale: Some(7),
        ..SynOptions::MSS_ONLY
    };
    let c = cfg(ours);
    let (mut tcb, synack) = passive(&c, ws(2));
    // The SYN's and the SYN,ACK's windows are never scaled.
    assert_eq!(tcb.snd_wnd, 1000);
    assert_eq!(
        synack.wnd, 65_535,
        "our SYN,ACK: 2^20 capped at the 16-bit field"
    );
    // The ACK of our SYN: its window is shifted by the peer's 2.
    let out = tcb.step(
        &table(),
        &c,
        seg(Flags::ACK, 301, 101, 500, TcpOptions::NONE),
        at(2),
    );
    assert_eq!(tcb.state, model::table::State::Established, "{out:?}");
    assert_eq!(tcb.snd_wnd, 2000);
    // Text: our ACK advertises RCV.WND >> 7; RCV.WND itself is unscaled.
    let data = Input::Segment(Segment {
        len: 10,
        ..Segment::control(Flags::ACK | Flags::PSH, 301, 101, 500)
    });
    let out = tcb.step(&table(), &c, data, at(3));
    assert_eq!(tcb.rcv_wnd, (1 << 20) - 10);
    assert_eq!(out.segments[0].wnd, ((1 << 20) - 10) >> 7);
    // A segment at the far end of RCV.WND (beyond 65535) is acceptable.
    let far = Segment::control(Flags::ACK, 311 + 100_000, 101, 500);
    assert!(tcb.acceptable(c.space, &far));
}

#[test]
fn timestamps_echo_ts_recent() {
    let t = table();
    let c = cfg(SynOptions::LINUX);
    let ts = |val, ecr| TcpOptions {
        timestamps: Some((val, ecr)),
        ..TcpOptions::NONE
    };
    let mut a = Tcb::new();
    let out = a.step(&t, &c, Input::Call(UserCall::ActiveOpen), at(5));
    assert_eq!(
        out.segments[0].opts.timestamps,
        Some((5, 0)),
        "the SYN: TSecr 0"
    );
    let out = a.step(
        &t,
        &c,
        seg(Flags::SYN | Flags::ACK, 300, 101, 1000, ts(100, 5)),
        at(7),
    );
    assert!(a.opts.ts_ok);
    assert_eq!(out.segments[0].opts.timestamps, Some((7, 100)));
    // In-order text at Last.ACK.sent: TS.Recent takes its TSval.
    let text = |seq, val| {
        Input::Segment(Segment {
            len: 10,
            opts: ts(val, 7),
            ..Segment::control(Flags::ACK | Flags::PSH, seq, 101, 1000)
        })
    };
    let out = a.step(&t, &c, text(301, 200), at(9));
    assert_eq!(out.segments[0].opts.timestamps, Some((9, 200)));
    // An older TSval does not move TS.Recent back.
    a.step(&t, &c, text(311, 150), at(10));
    assert_eq!(a.opts.ts_recent, 200);
    // Nor does a segment starting beyond Last.ACK.sent (RFC 7323 §4.3).
    let last = a.opts.last_ack_sent;
    a.step(&t, &c, text(last + 50, 400), at(11));
    assert_eq!(a.opts.ts_recent, 200);
    // ABORT's RST carries one too (RFC 7323 §3.2: "SHOULD be sent in an <RST> segment").
    let out = a.step(&t, &c, Input::Call(UserCall::Abort), at(12));
    assert_eq!(out.segments[0].opts.timestamps, Some((12, 200)));
}

#[test]
fn timestamps_need_both_syns() {
    let t = table();
    let c = cfg(SynOptions::LINUX);
    let mut a = Tcb::new();
    a.step(&t, &c, Input::Call(UserCall::ActiveOpen), at(5));
    let out = a.step(
        &t,
        &c,
        seg(Flags::SYN | Flags::ACK, 300, 101, 1000, TcpOptions::NONE),
        at(7),
    );
    assert!(!a.opts.ts_ok);
    assert!(out.segments[0].opts.is_empty());
}

#[test]
fn sack_permitted_is_negotiated_only_when_both_syns_carry_it() {
    let sack = TcpOptions {
        sack_permitted: true,
        ..TcpOptions::NONE
    };
    let (tcb, synack) = passive(&cfg(SynOptions::LINUX), sack);
    assert!(tcb.opts.sack_ok && synack.opts.sack_permitted);
    let (tcb, synack) = passive(&cfg(SynOptions::MSS_ONLY), sack);
    assert!(!tcb.opts.sack_ok && !synack.opts.sack_permitted);
    let (tcb, _) = passive(&cfg(SynOptions::LINUX), TcpOptions::NONE);
    assert!(!tcb.opts.sack_ok);
}

#[test]
fn by_default_a_syn_carries_the_mss_only() {
    let t = table();
    let c = Config::default();
    let mut a = Tcb::new();
    let out = a.step(&t, &c, Input::Call(UserCall::ActiveOpen), at(0));
    assert_eq!(
        out.segments[0].opts,
        TcpOptions {
            mss: Some(1460),
            ..TcpOptions::NONE
        }
    );
    assert_eq!(out.segments[0].opts.to_string(), "mss 1460");
}

#[test]
fn paws_answers_an_old_timestamp_with_an_ack_and_drops_it() {
    let t = table();
    let c = cfg(SynOptions::LINUX);
    let ts = |val| TcpOptions {
        timestamps: Some((val, 7)),
        ..TcpOptions::NONE
    };
    let mut a = Tcb::new();
    a.step(&t, &c, Input::Call(UserCall::ActiveOpen), at(5));
    a.step(
        &t,
        &c,
        seg(Flags::SYN | Flags::ACK, 300, 101, 1000, ts(100)),
        at(7),
    );
    let old = Input::Segment(Segment {
        len: 10,
        opts: ts(99),
        ..Segment::control(Flags::ACK | Flags::PSH, 301, 101, 1000)
    });
    let out = a.step(&t, &c, old, at(9));
    assert_eq!(out.event, model::table::Event::Unacceptable);
    assert_eq!(out.accepted, 0);
    assert_eq!(out.segments.len(), 1);
    assert_eq!(out.segments[0].opts.timestamps, Some((9, 100)));
    // A RST is exempt; without timestamps PAWS is off.
    let rst = seg(Flags::RST, 301, 0, 0, ts(99));
    assert_ne!(
        a.clone().step(&t, &c, rst, at(10)).event,
        model::table::Event::Unacceptable
    );
}

/// An active endpoint with timestamps negotiated (TS.Recent 100, Last.ACK.sent 301),
/// under `c`, with the peer's window `wnd`.
fn ts_established(c: &Config, wnd: u32) -> Tcb {
    let t = table();
    let mut a = Tcb::new();
    a.step(&t, c, Input::Call(UserCall::ActiveOpen), at(5));
    a.step(
        &t,
        c,
        seg(Flags::SYN | Flags::ACK, 300, 101, wnd, ts(100, 5)),
        at(7),
    );
    assert!(a.opts.ts_ok);
    a
}

fn ts(val: u32, ecr: u32) -> TcpOptions {
    TcpOptions {
        timestamps: Some((val, ecr)),
        ..TcpOptions::NONE
    }
}

#[test]
fn with_timestamps_a_full_segment_carries_the_mss_less_the_option() {
    // RFC 9293 §3.7.1: the effective send MSS excludes the TCP options; the timestamp
    // option takes 12 bytes of every segment (Linux's mss_cache: 1448 for 1460).
    let t = table();
    let c = Config {
        mss: 1000,
        ..cfg(SynOptions::LINUX)
    };
    let mut a = ts_established(&c, 60_000);
    assert_eq!(a.eff_mss(&c), 988);
    let out = a.step(&t, &c, Input::Call(UserCall::Send(2000)), at(8));
    let lens: Vec<u32> = out.segments.iter().map(|s| s.len).collect();
    assert_eq!(lens, [988, 988, 24]);
    // Without timestamps the whole MSS carries text.
    let c = Config {
        mss: 1000,
        ..cfg(SynOptions::MSS_ONLY)
    };
    let mut b = Tcb::new();
    b.step(&t, &c, Input::Call(UserCall::ActiveOpen), at(0));
    b.step(
        &t,
        &c,
        seg(Flags::SYN | Flags::ACK, 300, 101, 60_000, TcpOptions::NONE),
        at(1),
    );
    assert_eq!(b.eff_mss(&c), 1000);
}

#[test]
fn a_segment_without_a_timestamp_is_dropped_silently_unless_linux() {
    let t = table();
    let text = Input::Segment(Segment {
        len: 10,
        ..Segment::control(Flags::ACK | Flags::PSH, 301, 101, 1000)
    });
    // RFC 7323 §3.2: "a TCP SHOULD silently drop the segment".
    let c = cfg(SynOptions::LINUX);
    let mut a = ts_established(&c, 1000);
    let out = a.step(&t, &c, text, at(9));
    assert_eq!(out.event, model::table::Event::NoAck);
    assert_eq!((out.accepted, out.segments.len()), (0, 0));
    // Linux processes it: tcp_paws_discard() only when saw_tstamp.
    let c = Config {
        accept_without_ts: true,
        ..c
    };
    let mut a = ts_established(&c, 1000);
    let out = a.step(&t, &c, text, at(9));
    assert_eq!(out.accepted, 10);
    assert_eq!(
        out.segments[0].opts.timestamps,
        Some((9, 100)),
        "TS.Recent kept"
    );
}

#[test]
fn ts_recent_waits_for_an_acceptable_ack_under_linux() {
    // A FIN whose ACK acknowledges unsent data, with a far newer TSval: RFC 7323 §4.3
    // records its TSval before the ACK is checked, so the next in-order segment, with an
    // older TSval, fails PAWS; Linux records it only after tcp_ack() accepts the ACK.
    let t = table();
    let bad = seg(Flags::FIN | Flags::ACK, 301, 9999, 1000, ts(200_000, 5));
    let text = Input::Segment(Segment {
        len: 10,
        opts: ts(201, 5),
        ..Segment::control(Flags::ACK | Flags::PSH, 301, 101, 1000)
    });
    let c = cfg(SynOptions::LINUX);
    let mut a = ts_established(&c, 1000);
    a.step(&t, &c, bad, at(8));
    assert_eq!(a.opts.ts_recent, 200_000);
    let out = a.step(&t, &c, text, at(9));
    assert_eq!(out.event, model::table::Event::Unacceptable, "PAWS");
    let c = Config {
        ts_recent_after_ack: true,
        ..c
    };
    let mut a = ts_established(&c, 1000);
    let out = a.step(&t, &c, bad, at(8));
    assert_eq!(
        out.segments[0].opts.timestamps,
        Some((8, 100)),
        "challenge ACK"
    );
    assert_eq!(a.opts.ts_recent, 100);
    let out = a.step(&t, &c, text, at(9));
    assert_eq!(out.accepted, 10);
    assert_eq!(a.opts.ts_recent, 201);
}
