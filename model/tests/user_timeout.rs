//! The user timeout (RFC 9293 §3.9.1 USER TIMEOUT, RFC 5482; Linux's `TCP_USER_TIMEOUT`)
//! as an endpoint input (`Config::user_timeout`), driven through `Tcb::step`: when it
//! passes with text unacknowledged the connection is aborted (§3.10.8: the user is told,
//! the TCB deleted, nothing sent); it replaces the retransmission count in the
//! synchronized states; the retransmission timer is clamped to it. RFC 5482 counts it
//! from when the oldest unacknowledged text went out; Linux from the first
//! retransmission (`user_timeout_from_retransmit`).

use model::endpoint::Env;
use model::table::Timer;
use model::{Config, Event, Flags, Input, Segment, Signal, State, Table, Tcb, UserCall};

const ISS: u32 = 1_000;
const PEER: u32 = 5_000;

fn at(now: u64) -> Env {
    Env { now, iss: ISS }
}

/// RFC 9293's parameters, 1 tick = 1 ms (a fixed RTO of 1 s, doubled per retry), with
/// this user timeout.
fn rfc(user_timeout: u32) -> Config {
    Config {
        user_timeout: Some(user_timeout),
        ..Config::default()
    }
}

/// The `linux` profile's parameters (1 tick = 1 ms), with this user timeout.
fn linux(user_timeout: u32) -> Config {
    let p = model::Profile::named("linux").unwrap();
    Config {
        user_timeout: Some(user_timeout),
        ..model::profile::configure(Config::default(), &[p], 1)
    }
}

/// A passive open made at `ack_at` (the SYN at 0; no options, so no tail loss probe),
/// then `n` bytes written at `ack_at`.
fn established_with_text(cfg: &Config, ack_at: u64, n: u32) -> Tcb {
    let table = Table::rfc9293();
    let mut t = Tcb::new();
    t.step(&table, cfg, Input::Call(UserCall::PassiveOpen), at(0));
    let syn = Segment::control(Flags::SYN, PEER, 0, 65_535);
    t.step(&table, cfg, Input::Segment(syn), at(0));
    let ack = Segment::control(Flags::ACK, PEER + 1, ISS + 1, 65_535);
    t.step(&table, cfg, Input::Segment(ack), at(ack_at));
    assert_eq!(t.state, State::Established);
    let out = t.step(&table, cfg, Input::Call(UserCall::Send(n)), at(ack_at));
    assert_eq!(out.segments.len(), 1);
    t
}

/// Fires the retransmission timer at its deadline; returns the time and the outcome.
fn fire(cfg: &Config, t: &mut Tcb) -> (u64, model::Outcome) {
    let now = t.timers.retransmit.expect("the retransmission timer runs");
    let out = t.step(
        &Table::rfc9293(),
        cfg,
        Input::Timeout(Timer::Retransmit),
        at(now),
    );
    (now, out)
}

#[test]
fn rfc_user_timeout_aborts_when_text_stays_unacknowledged_from_its_first_transmission() {
    // Sent at 100; the RTO fires at 1100 (retransmission), then would at 3100: clamped
    // to 100 + 1500.
    let cfg = rfc(1_500);
    let mut t = established_with_text(&cfg, 100, 10);
    let (when, out) = fire(&cfg, &mut t);
    assert_eq!(
        (when, out.event, out.segments.len()),
        (1_100, Event::RetransmitTimeout, 1)
    );
    let (when, out) = fire(&cfg, &mut t);
    assert_eq!(when, 1_600);
    assert_eq!(out.event, Event::UserTimeout);
    assert!(out.segments.is_empty(), "§3.10.8: nothing is sent");
    assert_eq!(out.signals, vec![Signal::TimedOut]);
    assert_eq!(t.state, State::Closed);
}

#[test]
fn rfc_user_timeout_shorter_than_the_rto_fires_before_any_retransmission() {
    let cfg = rfc(400);
    let mut t = established_with_text(&cfg, 100, 10);
    assert_eq!(t.timers.retransmit, Some(500), "clamped to 100 + 400");
    let (_, out) = fire(&cfg, &mut t);
    assert_eq!(out.event, Event::UserTimeout);
    assert!(out.segments.is_empty());
}

#[test]
fn linux_user_timeout_counts_from_the_first_retransmission_and_clamps_the_rto() {
    // SRTT 100 ms: RTO 300 ms, then 600 ms. The first retransmission at 400 starts the
    // clock; the next RTO (1.2 s after 1000) is clamped to 400 + 1000.
    let cfg = linux(1_000);
    let mut t = established_with_text(&cfg, 100, 10);
    assert_eq!(
        t.timers.retransmit,
        Some(400),
        "not clamped before a retransmission"
    );
    let (when, out) = fire(&cfg, &mut t);
    assert_eq!((when, out.event), (400, Event::RetransmitTimeout));
    let (when, out) = fire(&cfg, &mut t);
    assert_eq!((when, out.event), (1_000, Event::RetransmitTimeout));
    assert_eq!(t.timers.retransmit, Some(1_400));
    let (_, out) = fire(&cfg, &mut t);
    assert_eq!(out.event, Event::UserTimeout);
    assert!(out.segments.is_empty(), "tcp_write_err(): no RST");
    assert_eq!(out.signals, vec![Signal::TimedOut]);
    assert_eq!(t.state, State::Closed);
}

#[test]
fn user_timeout_replaces_the_retransmission_count_once_synchronized() {
    // R2 of 2 retransmissions would end it at the third timeout (7100); the user timeout
    // of 10 s keeps it going until 100 + 10000.
    let cfg = Config {
        max_retransmits: 2,
        ..rfc(10_000)
    };
    let mut t = established_with_text(&cfg, 100, 10);
    let events: Vec<(u64, Event)> = (0..4)
        .map(|_| {
            let (when, out) = fire(&cfg, &mut t);
            (when, out.event)
        })
        .collect();
    assert_eq!(
        events,
        vec![
            (1_100, Event::RetransmitTimeout),
            (3_100, Event::RetransmitTimeout),
            (7_100, Event::RetransmitTimeout),
            (10_100, Event::UserTimeout),
        ]
    );
    // Without it the count decides, as before.
    let cfg = Config {
        user_timeout: None,
        ..cfg
    };
    let mut t = established_with_text(&cfg, 100, 10);
    fire(&cfg, &mut t);
    fire(&cfg, &mut t);
    let (when, out) = fire(&cfg, &mut t);
    assert_eq!((when, out.event), (7_100, Event::UserTimeout));
}

#[test]
fn an_ack_of_new_text_restarts_the_user_timeout() {
    // RFC: 20 bytes at 100, 10 of them acknowledged at 900: the clock restarts there.
    let cfg = rfc(1_500);
    let mut t = established_with_text(&cfg, 100, 20);
    let ack = Segment::control(Flags::ACK, PEER + 1, ISS + 11, 65_535);
    t.step(&Table::rfc9293(), &cfg, Input::Segment(ack), at(900));
    assert_eq!(t.user_clock.since, Some(900));
    // Linux: the clock stops until the next retransmission.
    let cfg = linux(1_500);
    let mut t = established_with_text(&cfg, 100, 20);
    fire(&cfg, &mut t);
    assert_eq!(t.user_clock.since, Some(400));
    t.step(&Table::rfc9293(), &cfg, Input::Segment(ack), at(500));
    assert_eq!(t.user_clock.since, None);
    let (when, _) = fire(&cfg, &mut t);
    assert_eq!(t.user_clock.since, Some(when));
}

#[test]
fn everything_acknowledged_stops_the_user_timeout() {
    let cfg = rfc(1_500);
    let mut t = established_with_text(&cfg, 100, 10);
    let ack = Segment::control(Flags::ACK, PEER + 1, ISS + 11, 65_535);
    t.step(&Table::rfc9293(), &cfg, Input::Segment(ack), at(200));
    assert_eq!(t.user_clock.since, None);
    assert_eq!(t.timers.retransmit, None);
}

#[test]
fn the_user_clock_is_not_part_of_the_checkers_state() {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let cfg = rfc(1_500);
    let a = established_with_text(&cfg, 100, 10);
    let mut b = a.clone();
    b.user_clock.since = None;
    let h = |t: &Tcb| {
        let mut s = DefaultHasher::new();
        t.hash(&mut s);
        s.finish()
    };
    assert_eq!(h(&a), h(&b));
}

#[test]
fn linux_user_timeout_in_syn_sent_counts_from_the_first_syn() {
    // tcp_connect() sets retrans_stamp: SYNs at 0, 1 and 2 s (linear timeouts), then the
    // timer is clamped to 2.5 s and the connect times out there.
    let cfg = linux(2_500);
    let table = Table::rfc9293();
    let mut t = Tcb::new();
    let env = Env { now: 0, iss: 77 };
    t.step(&table, &cfg, Input::Call(UserCall::ActiveOpen), env);
    assert_eq!(t.user_clock.since, Some(0));
    let events: Vec<(u64, Event)> = (0..3)
        .map(|_| {
            let (when, out) = fire(&cfg, &mut t);
            (when, out.event)
        })
        .collect();
    assert_eq!(
        events,
        vec![
            (1_000, Event::RetransmitTimeout),
            (2_000, Event::RetransmitTimeout),
            (2_500, Event::UserTimeout),
        ]
    );
}

#[test]
fn linux_user_timeout_leaves_a_passive_syn_received_to_its_syn_ack_retries() {
    // A request socket's SYN,ACK timer knows no user timeout (reqsk_timer_handler()).
    let cfg = linux(500);
    let table = Table::rfc9293();
    let mut t = Tcb::new();
    t.step(&table, &cfg, Input::Call(UserCall::PassiveOpen), at(0));
    let syn = Segment::control(Flags::SYN, PEER, 0, 65_535);
    t.step(&table, &cfg, Input::Segment(syn), at(0));
    for _ in 0..3 {
        let (_, out) = fire(&cfg, &mut t);
        assert_eq!(out.event, Event::RetransmitTimeout);
        assert_eq!(t.user_clock.since, None);
    }
    assert_eq!(t.state, State::SynReceived);
}
