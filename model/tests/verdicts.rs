//! What TIME-WAIT can promise, and under which assumptions: the default configuration
//! (every guard in force) satisfies every property; removing any one guard, or using any
//! mutant profile, yields a shortest counterexample.

use model::check::explore::{Exploration, Limits, PathStep, Verdict, describe_step, explore};
use model::check::{Guard, Options, Sys, System};
use model::table::State;

fn run(opts: Options) -> Exploration {
    explore(&System::new(opts).unwrap(), Limits::default(), true)
}

fn verdict<'a>(r: &'a Exploration, name: &str) -> &'a Verdict {
    &r.properties
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name}"))
        .verdict
}

fn counterexample<'a>(r: &'a Exploration, name: &str) -> &'a [PathStep] {
    match verdict(r, name) {
        Verdict::Fails { path } | Verdict::Lasso { path, .. } => path,
        v => panic!("{name} should fail, got {v:?}"),
    }
}

fn without(guards: &[Guard]) -> Options {
    Options {
        without: guards.to_vec(),
        ..Options::default()
    }
}

#[test]
fn with_every_guard_every_property_holds_or_is_reached() {
    let r = run(Options::default());
    assert!(r.complete);
    for p in &r.properties {
        assert!(p.verdict.passed(), "{}: {:?}", p.name, p.verdict);
    }
}

#[test]
fn removing_any_one_safety_guard_lets_a_stale_segment_in() {
    for g in [
        Guard::TimeWait,
        Guard::FullTimeWait,
        Guard::IsnClock,
        Guard::Rfc1337,
        Guard::QuietTime,
    ] {
        let r = run(without(&[g]));
        let path = counterexample(&r, "no-stale-segment-accepted");
        let last = path.last().unwrap();
        assert!(last.stale, "{g:?}: the last step delivers an old segment");
        let before = &path[path.len() - 2];
        let (was, is) = match last.segment.unwrap().0 {
            model::check::Side::A => (before.a, last.a),
            model::check::Side::B => (before.b, last.b),
        };
        assert_ne!(was, is, "{g:?}: and it changes the receiver's state");
    }
}

#[test]
fn without_a_fin_wait_2_timer_a_side_whose_peer_vanished_waits_forever() {
    let r = run(without(&[Guard::FinWait2Timeout]));
    let path = counterexample(&r, "eventually-settled");
    let end = path.last().unwrap();
    assert!(
        end.a == State::FinWait2 || end.b == State::FinWait2,
        "stuck in FIN-WAIT-2: {end:?}"
    );
    assert!(matches!(
        verdict(&r, "no-stale-segment-accepted"),
        Verdict::Holds
    ));
}

#[test]
fn each_mutant_profile_is_refuted_by_the_default_configuration() {
    for (profile, property) in [
        ("no-time-wait", "no-stale-segment-accepted"),
        ("short-time-wait", "no-stale-segment-accepted"),
        ("rst-in-time-wait", "no-stale-segment-accepted"),
        ("two-way-handshake", "synchronized-after-syn-acked"),
        ("no-fin-retransmit", "eventually-settled"),
    ] {
        let r = run(Options {
            profile: profile.into(),
            ..Options::default()
        });
        let path = counterexample(&r, property);
        assert!(!path.is_empty(), "{profile}");
    }
}

/// RFC 9293 Figure 8's point: an old duplicate SYN must not open a connection. The same
/// four steps leave RFC 9293 in SYN-RECEIVED (the handshake will reject it) and open a
/// connection nobody asked for under the two-way handshake.
#[test]
fn an_old_duplicate_syn_opens_a_connection_only_under_the_two_way_handshake() {
    let steps = [
        "A: active OPEN (ISS=0)",
        "A: Abort",
        "B: passive OPEN",
        "A -> B  SYN seq=0  delivered",
    ];
    for (profile, opened) in [("rfc9293", false), ("two-way-handshake", true)] {
        let m = System::new(Options {
            profile: profile.into(),
            aborts: 1,
            ..Options::default()
        })
        .unwrap();
        let (s, log) = drive(&m, &steps);
        let b = s.ep(model::check::Side::B).tcb.state;
        if opened {
            assert_eq!(b, State::Established, "{log:#?}");
            assert_eq!(log.last().map(String::as_str), Some("STALE ACCEPTED"));
        } else {
            assert_eq!(b, State::SynReceived, "{log:#?}");
            assert!(!log.iter().any(|l| l == "STALE ACCEPTED"));
        }
    }
}

#[test]
fn rst_in_time_wait_mutant_is_time_wait_assassination() {
    let r = run(Options {
        profile: "rst-in-time-wait".into(),
        ..Options::default()
    });
    let path = counterexample(&r, "no-stale-segment-accepted");
    let killed = path.windows(2).any(|w| {
        let rst = w[1].segment.is_some_and(|(_, s)| s.flags.rst());
        rst && ((w[0].a == State::TimeWait && w[1].a == State::Closed)
            || (w[0].b == State::TimeWait && w[1].b == State::Closed))
    });
    assert!(killed, "a RST ends TIME-WAIT early on the way: {path:#?}");
}

/// Drives the model by the printed descriptions of its steps.
fn drive(m: &System, steps: &[&str]) -> (Sys, Vec<String>) {
    let mut s = m.init();
    let mut log = Vec::new();
    for want in steps {
        let mut acts = Vec::new();
        m.actions(&s, &mut acts);
        let act = acts
            .into_iter()
            .find(|&a| describe_step(&s, a).contains(want))
            .unwrap_or_else(|| panic!("no step like `{want}` after {log:#?}"));
        log.push(describe_step(&s, act));
        let (n, fx) = m.next(&s, act).unwrap();
        if fx.stale {
            log.push("STALE ACCEPTED".into());
        }
        s = n;
    }
    (s, log)
}

/// The design's finding: with ISNs chosen freely and no quiet time, an old ACK reaches B
/// after B has closed; B's RST, born after A entered TIME-WAIT, outlives TIME-WAIT = 2MSL
/// and resets the next incarnation, with no loss or duplication at all.
#[test]
fn a_late_born_rst_outlives_time_wait_and_resets_the_next_incarnation() {
    let m = System::new(Options {
        without: vec![Guard::IsnClock, Guard::QuietTime],
        drops: 0,
        dups: 0,
        scenario: model::check::Scenario::ClientServer,
        ..Options::default()
    })
    .unwrap();
    let (s, log) = drive(
        &m,
        &[
            "B: passive OPEN",
            "A: active OPEN (ISS=0)",
            "A -> B  SYN seq=0  delivered",           // B picks ISS 0
            "B -> A  SYN,ACK seq=0 ack=1  delivered", // A sends the third segment, an ACK
            "A: Close",
            "A -> B  FIN,ACK seq=1 ack=1  delivered", // the FIN overtakes that ACK
            "B: Close",
            "B -> A  ACK seq=1 ack=2  delivered",
            "B -> A  FIN,ACK seq=1 ack=2  delivered", // A enters TIME-WAIT at t=0
            "A -> B  ACK seq=2 ack=2  delivered",     // B is CLOSED
            "tick",
            "A -> B  ACK seq=1 ack=1  delivered", // the old ACK: B answers RST seq=1 at t=1
            "tick",
            "A: TIME-WAIT timer fires", // t=2: 2MSL after A entered TIME-WAIT
            "B: passive OPEN",
            "A: active OPEN (ISS=4)",
            "A -> B  SYN seq=4  delivered", // B picks ISS 0 again
            "B -> A  SYN,ACK seq=0 ack=5  delivered",
            "B -> A  RST seq=1  delivered", // the RST is one MSL old: still alive
        ],
    );
    assert_eq!(
        log.last().map(String::as_str),
        Some("STALE ACCEPTED"),
        "{log:#?}"
    );
    assert_eq!(
        s.states().0,
        State::Closed,
        "the new incarnation was reset: {log:#?}"
    );
    // With the ISN clock, the same RST falls outside the next window.
    let clocked = System::new(Options {
        without: vec![Guard::QuietTime],
        scenario: model::check::Scenario::ClientServer,
        drops: 0,
        dups: 0,
        ..Options::default()
    })
    .unwrap();
    let r = explore(&clocked, Limits::default(), false);
    assert!(matches!(
        verdict(&r, "no-stale-segment-accepted"),
        Verdict::Holds
    ));
}

/// A table with one row changed, for properties no shipped mutant breaks.
fn mutant(change: impl Fn(&mut model::Row)) -> model::Table {
    let mut rows = model::Table::rfc9293().rows().to_vec();
    rows.iter_mut().for_each(change);
    model::Table::from_rows("test-mutant".into(), rows).unwrap()
}

fn run_all(table: model::Table, without: &[Guard]) -> Exploration {
    let opts = Options {
        incarnations: 1,
        without: without.to_vec(),
        ..Options::default()
    };
    let m = System::from_table(opts, table).unwrap();
    explore(
        &m,
        Limits {
            all: true,
            ..Limits::default()
        },
        false,
    )
}

#[test]
fn isns_agree_fails_when_syn_sent_forgets_the_peers_isn() {
    use model::{Action, Emit, Event, Signal};
    let t = mutant(|r| {
        if r.from == State::SynSent && r.event == Event::SynAck {
            r.actions = &[
                Action::ProcessAck,
                Action::Emit(Emit::Ack),
                Action::Signal(Signal::Established),
            ];
        }
    });
    // With free ISNs, B may pick ISS 7: A's ACK with the RCV.NXT it never set (0) then
    // acknowledges B's SYN across the wrap, and both sides are ESTABLISHED.
    let r = run_all(t, &[Guard::IsnClock]);
    counterexample(&r, "isns-agree");
}

#[test]
fn tcb_invariants_fail_when_established_ignores_a_fin() {
    use model::Event;
    let t = mutant(|r| {
        if r.from == State::Established && r.event == Event::Fin {
            r.to = State::Established;
        }
    });
    let r = run_all(t, &[]);
    counterexample(&r, "tcb-invariants");
}

#[test]
fn reachability_is_reported_failing_when_a_state_is_never_reached() {
    let m = System::new(Options {
        profile: "no-time-wait".into(),
        incarnations: 1,
        ..Options::default()
    })
    .unwrap();
    let r = explore(
        &m,
        Limits {
            all: true,
            ..Limits::default()
        },
        false,
    );
    assert!(matches!(
        verdict(&r, "reach-TIME-WAIT"),
        Verdict::NeverReached
    ));
    assert!(!verdict(&r, "reach-TIME-WAIT").passed());
}
