//! The `linux` profile where the corpus found Linux departing from RFC 9293: the initial
//! window and scale (`tcp_rmem`, `tcp_select_initial_window()`), text on a SYN dropped
//! (`syn_text_dropped`), the ACK of a simultaneous open's SYN,ACK (`tcp_data_queue()`),
//! and a FIN riding on the last queued text (`fin_on_last_segment`, `tcp_send_fin()`).

mod common;

use common::{A, ISS_A, ISS_B, S};
use model::endpoint::Env;
use model::profile::{configure, linux_rcv_wscale};
use model::{
    Config, Flags, Input, Outcome, Profile, Segment, State, Table, Tcb, TcpOptions, UserCall,
};

/// The `linux` table and parameters over the defaults, 1 tick = 1 ms.
fn linux() -> (Table, Config) {
    let cfg = configure(Config::default(), &[Profile::named("linux").unwrap()], 1);
    (Table::from_spec("linux").unwrap(), cfg)
}

fn step(t: &Table, cfg: &Config, tcb: &mut Tcb, input: Input) -> Outcome {
    tcb.step(t, cfg, input, Env { now: 0, iss: ISS_A })
}

fn seg(flags: Flags, seq: u32, ack: u32, len: u32) -> Segment {
    let mut s = Segment::control(flags, seq, ack, 65_535);
    s.len = len;
    s
}

/// An active open the peer's SYN,ACK has established.
fn established_active(t: &Table, cfg: &Config) -> Tcb {
    let mut a = Tcb::new();
    step(t, cfg, &mut a, Input::Call(UserCall::ActiveOpen));
    step(
        t,
        cfg,
        &mut a,
        Input::Segment(seg(S | A, ISS_B, ISS_A + 1, 0)),
    );
    a
}

#[test]
fn linux_offers_65535_rounded_down_to_the_mss_and_scale_7() {
    let (t, cfg) = linux();
    let mut a = Tcb::new();
    let out = step(&t, &cfg, &mut a, Input::Call(UserCall::ActiveOpen));
    // 44 x 1460, timestamps offered or not (tcp_connect_init()).
    assert_eq!(out.segments[0].wnd, 64_240);
    assert_eq!(out.segments[0].opts.wscale, Some(7));
    // A passive open that agrees to timestamps: 45 x 1448 (tcp_openreq_init_rwin()).
    let mut b = Tcb::new();
    step(&t, &cfg, &mut b, Input::Call(UserCall::PassiveOpen));
    let mut syn = seg(S, ISS_B, 0, 0);
    syn.opts = TcpOptions {
        timestamps: Some((5, 0)),
        ..TcpOptions::default()
    };
    let out = step(&t, &cfg, &mut b, Input::Segment(syn));
    assert_eq!(out.segments[0].wnd, 65_160);
    // RFC 9293's profile offers its buffer.
    let mut c = Tcb::new();
    let out = step(
        &Table::rfc9293(),
        &Config::default(),
        &mut c,
        Input::Call(UserCall::ActiveOpen),
    );
    assert_eq!(out.segments[0].wnd, 65_535);
}

#[test]
fn the_scale_comes_from_the_largest_buffer_as_tcp_select_initial_window() {
    assert_eq!(linux_rcv_wscale(65_536, 6_291_456, 212_992), 7);
    // This host's own tcp_rmem[2] (32 MiB), which the live runner pins away: 10.
    assert_eq!(linux_rcv_wscale(65_536, 33_554_432, 4_194_304), 10);
    assert_eq!(linux_rcv_wscale(65_536, 0, 0), 1);
    // TCP_MAX_WSCALE.
    assert_eq!(linux_rcv_wscale(u32::MAX, 0, 0), 14);
}

#[test]
fn linux_drops_text_on_a_syn_and_on_a_syn_ack() {
    let (t, cfg) = linux();
    // A listener: the ACK of our SYN,ACK delivers nothing.
    let mut b = Tcb::new();
    step(&t, &cfg, &mut b, Input::Call(UserCall::PassiveOpen));
    step(&t, &cfg, &mut b, Input::Segment(seg(S, ISS_B, 0, 3)));
    let out = step(
        &t,
        &cfg,
        &mut b,
        Input::Segment(seg(A, ISS_B + 1, ISS_A + 1, 0)),
    );
    assert_eq!(
        (b.state, out.accepted, b.rcv_nxt),
        (State::Established, 0, ISS_B + 1)
    );
    // SYN-SENT: the ACK acknowledges the SYN alone.
    let mut a = Tcb::new();
    step(&t, &cfg, &mut a, Input::Call(UserCall::ActiveOpen));
    let out = step(
        &t,
        &cfg,
        &mut a,
        Input::Segment(seg(S | A, ISS_B, ISS_A + 1, 3)),
    );
    assert_eq!(a.state, State::Established);
    assert_eq!(out.accepted, 0);
    assert_eq!(out.segments.len(), 1);
    assert_eq!((out.segments[0].flags, out.segments[0].ack), (A, ISS_B + 1));
}

#[test]
fn linux_acknowledges_the_syn_ack_of_a_simultaneous_open() {
    let (t, cfg) = linux();
    let mut a = Tcb::new();
    step(&t, &cfg, &mut a, Input::Call(UserCall::ActiveOpen));
    step(&t, &cfg, &mut a, Input::Segment(seg(S, ISS_B, 0, 0)));
    assert_eq!(a.state, State::SynReceived);
    let out = step(
        &t,
        &cfg,
        &mut a,
        Input::Segment(seg(S | A, ISS_B, ISS_A + 1, 0)),
    );
    assert_eq!(a.state, State::Established);
    assert_eq!(out.segments.len(), 1, "{out:?}");
    assert_eq!((out.segments[0].flags, out.segments[0].ack), (A, ISS_B + 1));
    // A bare ACK of our SYN there makes the connection silently, as before.
    let mut a = Tcb::new();
    step(&t, &cfg, &mut a, Input::Call(UserCall::ActiveOpen));
    step(&t, &cfg, &mut a, Input::Segment(seg(S, ISS_B, 0, 0)));
    let out = step(
        &t,
        &cfg,
        &mut a,
        Input::Segment(seg(A, ISS_B + 1, ISS_A + 1, 0)),
    );
    assert_eq!((a.state, out.segments.len()), (State::Established, 0));
}

#[test]
fn linux_sets_fin_on_the_last_queued_segment() {
    let (t, cfg) = linux();
    let mut b = Tcb::new();
    step(&t, &cfg, &mut b, Input::Call(UserCall::PassiveOpen));
    let mut syn = seg(S, ISS_B, 0, 0);
    syn.wnd = 1_000;
    step(&t, &cfg, &mut b, Input::Segment(syn));
    let mut ack = seg(A, ISS_B + 1, ISS_A + 1, 0);
    ack.wnd = 1_000;
    step(&t, &cfg, &mut b, Input::Segment(ack));
    step(&t, &cfg, &mut b, Input::Call(UserCall::Send(1_500)));
    step(&t, &cfg, &mut b, Input::Call(UserCall::Close));
    ack.ack = ISS_A + 1 + 1_000;
    let out = step(&t, &cfg, &mut b, Input::Segment(ack));
    assert_eq!(out.segments.len(), 1, "{out:?}");
    let s = out.segments[0];
    assert!(s.flags.fin(), "{s:?}");
    assert_eq!((s.seq, s.len), (ISS_A + 1_001, 500));
    assert_eq!(b.snd_nxt, ISS_A + 1 + 1_500 + 1);
    assert_eq!(b.state, State::FinWait1);
}

#[test]
fn linux_takes_a_segment_at_the_right_edge_of_its_window() {
    use model::Event;
    let (t, cfg) = linux();
    // An active open, established: RCV.NXT = 301, RCV.WND = 64240.
    let mut a = established_active(&t, &cfg);
    let edge = ISS_B + 1 + a.rcv_wnd;
    let rst = seg(Flags::RST, edge, 0, 0);
    // tcp_sequence(): not after the edge, so in the window: a challenge ACK.
    assert_eq!(a.classify(&cfg, &Input::Segment(rst)), Event::RstInWindow);
    let beyond = seg(Flags::RST, edge + 1, 0, 0);
    assert_eq!(
        a.classify(&cfg, &Input::Segment(beyond)),
        Event::RstOutOfWindow
    );
    // RFC 9293's test: the edge is outside.
    let rfc = Config {
        right_edge_acceptable: false,
        ..cfg
    };
    assert_eq!(
        a.classify(&rfc, &Input::Segment(rst)),
        Event::RstOutOfWindow
    );
    // A request socket (passive SYN-RECEIVED) takes only a segment of no length there.
    let mut b = Tcb::new();
    step(&t, &cfg, &mut b, Input::Call(UserCall::PassiveOpen));
    step(&t, &cfg, &mut b, Input::Segment(seg(S, ISS_B, 0, 0)));
    let edge = ISS_B + 1 + b.rcv_wnd;
    let rst = seg(Flags::RST, edge, 0, 0);
    assert_eq!(b.classify(&cfg, &Input::Segment(rst)), Event::RstInWindow);
    let text = seg(Flags::NONE, edge, 0, 5);
    assert_eq!(b.classify(&cfg, &Input::Segment(text)), Event::Unacceptable);
}

#[test]
fn under_linux_text_at_the_right_edge_is_dropped_with_an_ack() {
    use model::Event;
    let (t, cfg) = linux();
    let a = established_active(&t, &cfg);
    let edge = ISS_B + 1 + a.rcv_wnd;
    // tcp_sequence() takes it, tcp_data_queue() finds it out of the window: an ACK at
    // once, nothing queued.
    for s in [
        seg(A, edge, ISS_A + 1, 10),
        seg(A | Flags::FIN, edge, ISS_A + 1, 0),
    ] {
        assert_eq!(
            a.clone().classify(&cfg, &Input::Segment(s)),
            Event::Unacceptable
        );
        let mut b = a.clone();
        let out = step(&t, &cfg, &mut b, Input::Segment(s));
        assert_eq!(out.accepted, 0);
        assert_eq!(b.rcv_nxt, ISS_B + 1);
        assert_eq!(out.segments.len(), 1, "{out:?}");
        assert_eq!(out.segments[0].ack, ISS_B + 1);
    }
    // A bare ACK there is read and not answered.
    let bare = seg(A, edge, ISS_A + 1, 0);
    assert_eq!(a.clone().classify(&cfg, &Input::Segment(bare)), Event::Ack);
}
