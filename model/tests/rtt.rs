//! The endpoint's RTO with round trips measured (`Config::rtt`, as the interpreter runs
//! it) and without (the checker's fixed RTO), driven through `Tcb::step`. The estimator's
//! arithmetic has its own unit tests in `model::rtt`.

use model::endpoint::Env;
use model::rtt::{Estimator, SynFallback};
use model::table::Timer;
use model::{Config, Flags, Input, Segment, State, Table, Tcb, TcpOptions, UserCall};

const ISS: u32 = 1_000;
const PEER: u32 = 5_000;

/// 1 tick = 1 ms, RFC 6298's parameters.
fn measured(estimator: Estimator) -> Config {
    Config {
        rtt: Some(estimator),
        ..Config::default()
    }
}

/// The `linux` profile's parameters (1 tick = 1 ms).
fn linux() -> Config {
    let linux = model::Profile::named("linux").unwrap();
    model::profile::configure(measured(Estimator::Rfc6298), &[linux], 1)
}

fn at(now: u64) -> Env {
    Env { now, iss: ISS }
}

fn seg(flags: Flags, seq: u32, ack: u32) -> Input {
    Input::Segment(Segment::control(flags, seq, ack, 65_535))
}

fn with_ts(input: Input, val: u32, ecr: u32) -> Input {
    let Input::Segment(mut s) = input else {
        unreachable!()
    };
    s.opts = TcpOptions {
        timestamps: Some((val, ecr)),
        ..s.opts
    };
    Input::Segment(s)
}

/// A passive open: the SYN at 0, our SYN,ACK at 0 (and again at each of `resend`), the
/// ACK at `ack_at`.
fn passive(cfg: &Config, resend: &[u64], ack: Input, ack_at: u64) -> Tcb {
    let table = Table::rfc9293();
    let mut t = Tcb::new();
    t.step(&table, cfg, Input::Call(UserCall::PassiveOpen), at(0));
    let mut syn = Segment::control(Flags::SYN, PEER, 0, 65_535);
    if cfg.syn_options.timestamps {
        syn.opts.timestamps = Some((1, 0));
    }
    t.step(&table, cfg, Input::Segment(syn), at(0));
    for &now in resend {
        t.step(&table, cfg, Input::Timeout(Timer::Retransmit), at(now));
    }
    t.step(&table, cfg, ack, at(ack_at));
    assert_eq!(t.state, State::Established);
    t
}

/// The retransmission deadline of text written at `now`.
fn rto_of_text(cfg: &Config, t: &mut Tcb, now: u64) -> u64 {
    t.step(
        &Table::rfc9293(),
        cfg,
        Input::Call(UserCall::Send(10)),
        at(now),
    );
    t.timers.retransmit.expect("armed") - now
}

#[test]
fn without_measurement_the_rto_is_the_fixed_one_whatever_the_round_trip() {
    let cfg = Config::default();
    let mut t = passive(&cfg, &[], seg(Flags::ACK, PEER + 1, ISS + 1), 700);
    assert_eq!(rto_of_text(&cfg, &mut t, 700), 1_000);
    assert_eq!(t.rtt.srtt(), None, "nothing measured");
    assert!(t.rtt.sent.is_empty(), "nothing timed");
}

#[test]
fn the_handshake_round_trip_sets_the_rto() {
    // RFC 6298 (2.2): 700 ms gives 700 + 4 x 350 = 2.1 s.
    let cfg = measured(Estimator::Rfc6298);
    let mut t = passive(&cfg, &[], seg(Flags::ACK, PEER + 1, ISS + 1), 700);
    assert_eq!(t.rtt.srtt(), Some(700));
    assert_eq!(rto_of_text(&cfg, &mut t, 700), 2_100);
    // Linux: 700 + max(1400, 200) = 2.1 s too.
    let cfg = linux();
    let mut t = passive(&cfg, &[], seg(Flags::ACK, PEER + 1, ISS + 1), 700);
    assert_eq!(rto_of_text(&cfg, &mut t, 700), 2_100);
}

#[test]
fn karn_no_sample_from_a_retransmitted_syn_ack_and_rfc6298_falls_back_to_3_s() {
    let cfg = measured(Estimator::Rfc6298);
    let mut t = passive(&cfg, &[1_000], seg(Flags::ACK, PEER + 1, ISS + 1), 1_100);
    assert_eq!(t.rtt.srtt(), None);
    assert_eq!(rto_of_text(&cfg, &mut t, 1_100), 3_000, "RFC 6298 §5.7");
    // Without §5.7, the backed-off RTO stays (2 s).
    let cfg = Config {
        syn_fallback: SynFallback::Off,
        ..cfg
    };
    let mut t = passive(&cfg, &[1_000], seg(Flags::ACK, PEER + 1, ISS + 1), 1_100);
    assert_eq!(rto_of_text(&cfg, &mut t, 1_100), 2_000);
}

#[test]
fn a_timestamp_echo_gives_the_sample_karn_forbids() {
    // The SYN,ACK sent at 0 and again at 1000 (TSval = the time); the ACK at 1100 echoes
    // 1000: 100 ms, unambiguous (RFC 7323 §4).
    let cfg = linux();
    let ack = with_ts(seg(Flags::ACK, PEER + 1, ISS + 1), 2, 1_000);
    let mut t = passive(&cfg, &[1_000], ack, 1_100);
    assert_eq!(t.rtt.srtt(), Some(100));
    // Linux: 100 + max(200, 200) = 300 ms.
    assert_eq!(rto_of_text(&cfg, &mut t, 1_100), 300);
    // Under RFC 6298, §5.7 still applies: the SYN was retransmitted, so 3 s.
    let cfg = Config {
        rtt: Some(Estimator::Rfc6298),
        syn_fallback: SynFallback::SynRetransmitted,
        ..cfg
    };
    let ack = with_ts(seg(Flags::ACK, PEER + 1, ISS + 1), 2, 1_000);
    let mut t = passive(&cfg, &[1_000], ack, 1_100);
    assert_eq!(t.rtt.srtt(), Some(100));
    assert_eq!(rto_of_text(&cfg, &mut t, 1_100), 3_000);
}

#[test]
fn an_echo_older_than_the_segment_is_not_a_sample() {
    // TSecr 5 predates the SYN,ACK's send time: not an echo of it.
    let cfg = Config {
        syn_fallback: SynFallback::Off,
        ..linux()
    };
    let ack = with_ts(seg(Flags::ACK, PEER + 1, ISS + 1), 2, u32::MAX - 5);
    let t = passive(&cfg, &[1_000], ack, 1_100);
    assert_eq!(t.rtt.srtt(), None);
}

#[test]
fn a_timeout_backs_the_rto_off_and_a_new_sample_ends_the_backoff() {
    let table = Table::rfc9293();
    let cfg = measured(Estimator::Rfc6298);
    let mut t = passive(&cfg, &[], seg(Flags::ACK, PEER + 1, ISS + 1), 500);
    assert_eq!(rto_of_text(&cfg, &mut t, 500), 1_500);
    t.step(&table, &cfg, Input::Timeout(Timer::Retransmit), at(2_000));
    assert_eq!(t.timers.retransmit, Some(5_000), "backed off: 3 s");
    // The ACK of the retransmitted text: no sample, still 3 s.
    t.step(&table, &cfg, seg(Flags::ACK, PEER + 1, ISS + 11), at(2_100));
    assert_eq!(rto_of_text(&cfg, &mut t, 2_100), 3_000);
    // Text sent once, acknowledged after 300 ms: SRTT 475, RTTVAR 237.5: 1.425 s.
    t.step(&table, &cfg, seg(Flags::ACK, PEER + 1, ISS + 21), at(2_400));
    assert_eq!(rto_of_text(&cfg, &mut t, 2_400), 1_425);
}

#[test]
fn linux_syn_retransmissions_do_not_back_off_until_the_linear_timeouts_are_spent() {
    let table = Table::rfc9293();
    let cfg = linux();
    let mut t = Tcb::new();
    t.step(&table, &cfg, Input::Call(UserCall::ActiveOpen), at(0));
    let mut now = 0;
    let mut gaps = Vec::new();
    while let Some(deadline) = t.timers.retransmit {
        gaps.push(deadline - now);
        now = deadline;
        t.step(&table, &cfg, Input::Timeout(Timer::Retransmit), at(now));
    }
    assert_eq!(
        gaps,
        [
            1_000, 1_000, 1_000, 1_000, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000
        ]
    );
    assert_eq!(
        t.state,
        State::Closed,
        "10 retransmissions, then the user timeout"
    );
}

#[test]
fn a_tail_loss_probe_needs_sack_and_is_no_counted_retransmission() {
    let table = Table::rfc9293();
    let cfg = linux();
    let mut t = passive(&cfg, &[], seg(Flags::ACK, PEER + 1, ISS + 1), 400);
    // No SACK negotiated (the peer's SYN offered none): the RTO, 1.2 s.
    assert_eq!(rto_of_text(&cfg, &mut t, 400), 1_200);
    assert!(!t.rtt.probe);
    // With SACK: a probe at 2 x 400 + 200 ms.
    let mut t = passive(&cfg, &[], seg(Flags::ACK, PEER + 1, ISS + 1), 400);
    t.opts.sack_ok = true;
    assert_eq!(rto_of_text(&cfg, &mut t, 400), 1_000);
    assert!(t.rtt.probe);
    let out = t.step(&table, &cfg, Input::Timeout(Timer::Retransmit), at(1_400));
    assert_eq!(out.segments.len(), 1, "the probe");
    assert_eq!((out.segments[0].seq, out.segments[0].len), (ISS + 1, 10));
    assert_eq!(t.retries, 0, "not counted against R2");
    assert_eq!(
        t.timers.retransmit,
        Some(2_600),
        "the RTO from the probe, not backed off"
    );
    // The RTO then backs off, and no probe follows in recovery.
    t.step(&table, &cfg, Input::Timeout(Timer::Retransmit), at(2_600));
    assert_eq!((t.retries, t.timers.retransmit), (1, Some(5_000)));
    assert!(!t.rtt.probe);
}
