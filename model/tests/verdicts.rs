//! What TIME-WAIT and its companions promise, and under which assumptions: the default
//! configuration (every guard in force) satisfies every property; removing a guard, or
//! using a mutant profile, yields a shortest counterexample, and each one is pinned here
//! by its shape: which incarnation sent the segment that did the harm, what kind of
//! segment it is, and which state took it (`../shared/HAZARDS.md` tells each story).

use model::check::explore::{Exploration, Limits, PathStep, Verdict, describe_step, explore};
use model::check::{Guard, Options, Scenario, Side, Sys, System};
use model::table::State;
use std::sync::Mutex;

/// The larger runs take gigabytes: one at a time, whatever the test harness's threads.
static HEAVY: Mutex<()> = Mutex::new(());

fn run(opts: Options) -> Exploration {
    let _one = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    explore(&System::new(opts).unwrap(), Limits::default(), true)
}

fn run_all(opts: Options) -> Exploration {
    let _one = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let limits = Limits {
        all: true,
        ..Limits::default()
    };
    explore(&System::new(opts).unwrap(), limits, false)
}

/// Every verdict, liveness's too.
fn run_all_with_liveness(opts: Options) -> Exploration {
    let _one = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let limits = Limits {
        all: true,
        ..Limits::default()
    };
    explore(&System::new(opts).unwrap(), limits, true)
}

/// Explores until `property` has its counterexample, whatever fails first.
fn run_for(opts: Options, property: &'static str) -> Exploration {
    let _one = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let limits = Limits {
        focus: Some(property),
        ..Limits::default()
    };
    explore(&System::new(opts).unwrap(), limits, false)
}

fn verdict<'a>(r: &'a Exploration, name: &str) -> &'a Verdict {
    &r.properties
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name}"))
        .verdict
}

#[track_caller]
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

/// The state of `side` after step `i` (before the first step when `i` is `None`).
fn state(path: &[PathStep], i: Option<usize>, side: Side) -> State {
    match i {
        None => State::Closed,
        Some(i) => match side {
            Side::A => path[i].a,
            Side::B => path[i].b,
        },
    }
}

/// The last step: the segment delivered, its receiver's state before and after.
fn last_delivery(path: &[PathStep]) -> (model::Segment, Side, State, State) {
    let i = path.len() - 1;
    let (to, seg) = path[i].segment.expect("the last step delivers a segment");
    (
        seg,
        to,
        state(path, i.checked_sub(1), to),
        state(path, Some(i), to),
    )
}

/// Some step delivers a RST that takes a side from TIME-WAIT to CLOSED (assassination).
fn time_wait_killed_by_rst(path: &[PathStep]) -> bool {
    path.windows(2).any(|w| {
        let rst = w[1].segment.is_some_and(|(_, s)| s.flags.rst());
        rst && ((w[0].a == State::TimeWait && w[1].a == State::Closed)
            || (w[0].b == State::TimeWait && w[1].b == State::Closed))
    })
}

/// The first step whose description contains `what`.
#[track_caller]
fn step_where(path: &[PathStep], what: &str) -> usize {
    path.iter()
        .position(|s| s.text.contains(what))
        .unwrap_or_else(|| panic!("no step `{what}` in:\n{}", text(path)))
}

fn text(path: &[PathStep]) -> String {
    path.iter()
        .map(|s| s.text.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn with_every_guard_every_property_holds_or_is_reached() {
    let r = run(Options::default());
    assert!(r.complete);
    for p in &r.properties {
        assert!(p.verdict.passed(), "{}: {:?}", p.name, p.verdict);
    }
    assert!(matches!(verdict(&r, "eventually-settled"), Verdict::Holds));
    assert!(matches!(verdict(&r, "clean-close"), Verdict::Holds));
}

/// The seed's first reason for TIME-WAIT: without it the active closer is CLOSED when the
/// peer's segments of the close still arrive, and its RST ends the peer's LAST-ACK.
#[test]
fn without_time_wait_the_peers_close_ends_in_a_reset() {
    let r = run(without(&[Guard::TimeWait]));
    let path = counterexample(&r, "clean-close");
    let (seg, to, before, after) = last_delivery(path);
    assert!(seg.flags.rst(), "{}", text(path));
    assert_eq!((before, after), (State::LastAck, State::Closed));
    let closer = to.peer();
    assert_eq!(state(path, Some(path.len() - 1), closer), State::Closed);
    assert!(
        path.iter()
            .all(|s| s.a != State::TimeWait && s.b != State::TimeWait),
        "nobody waits: {}",
        text(path)
    );
}

/// The seed's second reason: without TIME-WAIT the closer reopens at once; its ISN clock
/// has moved less than the first connection used (SYN and FIN), so the first
/// connection's last ACK, still in flight, completes the peer's new handshake.
#[test]
fn without_time_wait_an_old_ack_completes_the_next_handshake() {
    let r = run_for(without(&[Guard::TimeWait]), "no-stale-segment-accepted");
    let path = counterexample(&r, "no-stale-segment-accepted");
    let t = text(path);
    let (seg, to, before, after) = last_delivery(path);
    assert!(path.last().unwrap().stale, "{t}");
    assert!(
        seg.flags.ack() && !seg.flags.syn() && !seg.flags.rst(),
        "{t}"
    );
    assert_eq!(
        (before, after),
        (State::SynReceived, State::Established),
        "{t}"
    );
    // The old ACK belongs to the closer's first connection, which skipped TIME-WAIT.
    let closer = to.peer();
    let reopened = path
        .iter()
        .filter(|s| s.text.starts_with(&format!("{closer}: active OPEN")))
        .count();
    assert_eq!(reopened, 2, "{t}");
}

/// TIME-WAIT of one MSL: the active closer's last ACK is lost, its TIME-WAIT ends, and
/// what the peer sends next reaches a CLOSED port and draws a RST.
#[test]
fn a_short_time_wait_ends_before_the_close_does() {
    let r = run(without(&[Guard::FullTimeWait]));
    let path = counterexample(&r, "clean-close");
    let t = text(path);
    assert!(t.contains("LOST (MSL)"), "the last ACK is lost: {t}");
    let fired = step_where(path, "TIME-WAIT timer fires");
    let (seg, _, before, after) = last_delivery(path);
    assert!(fired < path.len() - 1 && seg.flags.rst(), "{t}");
    assert_eq!((before, after), (State::LastAck, State::Closed), "{t}");
}

/// The RTO bound of a clean close: a FIN retransmitted more than MSL after the FIN that
/// started TIME-WAIT can arrive after 2MSL, and the RST answering it ends the close.
#[test]
fn an_rto_beyond_msl_lets_the_retransmitted_fin_miss_time_wait() {
    let r = run(Options {
        rto: Options::default().msl + 1,
        ..Options::default()
    });
    let path = counterexample(&r, "clean-close");
    let t = text(path);
    let fired = step_where(path, "TIME-WAIT timer fires");
    let fin = path
        .iter()
        .rposition(|s| s.segment.is_some_and(|(_, seg)| seg.flags.fin()))
        .expect("a FIN is delivered");
    assert!(fired < fin, "the retransmitted FIN comes after 2MSL: {t}");
    assert!(last_delivery(path).0.flags.rst(), "{t}");
}

/// RFC 9293 §3.4.1's reason for the ISN clock: without it, a host that closed passively
/// (no TIME-WAIT on its side) reopens at once with the ISN it used before, and an old
/// RST,ACK, sent from CLOSED in answer to its first SYN and delayed, matches the new
/// SYN-SENT and resets it. The same 16 steps at a space of 8 and of 16 (the full 32 takes
/// 57 million states and 4.7 GB: `check --without isn-clock`).
#[test]
fn without_the_isn_clock_an_old_rst_resets_a_reopened_connection_with_the_same_isn() {
    for seq_space in [8, 16] {
        let r = run_for(
            Options {
                seq_space,
                ..without(&[Guard::IsnClock])
            },
            "no-stale-segment-accepted",
        );
        let path = counterexample(&r, "no-stale-segment-accepted");
        let t = text(path);
        assert_eq!(path.len(), 16, "{t}");
        let (seg, to, before, after) = last_delivery(path);
        assert!(path.last().unwrap().stale, "{t}");
        assert!(seg.flags.rst() && seg.flags.ack(), "{t}");
        assert_eq!((before, after), (State::SynSent, State::Closed), "{t}");
        let isss: Vec<u32> = path
            .iter()
            .filter_map(|s| match s.act {
                model::check::system::Act::Call(side, model::UserCall::ActiveOpen, iss)
                    if side == to =>
                {
                    Some(iss)
                }
                _ => None,
            })
            .collect();
        assert_eq!(isss.len(), 2, "{t}");
        assert_eq!(
            isss[0], isss[1],
            "the reopened connection reuses its ISN: {t}"
        );
        assert!(
            path.iter().all(|s| match to {
                Side::A => s.a != State::TimeWait,
                Side::B => s.b != State::TimeWait,
            }),
            "the reset side closed passively: {t}"
        );
    }
}

/// TIME-WAIT's 2MSL covers one loss of the close's last exchange, not two: the last ACK
/// is lost, the retransmitted FIN is lost too, TIME-WAIT ends before the next copy
/// arrives, and the RST answering it ends the peer's close. (A give-up after the last
/// retransmission is exempt, as an abort by design: the model's budget is small.)
#[test]
fn two_losses_in_the_close_outlast_time_wait() {
    let one = run(Options::default());
    assert!(matches!(verdict(&one, "clean-close"), Verdict::Holds));
    let r = run(Options {
        drops: 2,
        ..Options::default()
    });
    let path = counterexample(&r, "clean-close");
    let t = text(path);
    let lost: Vec<usize> = path
        .iter()
        .enumerate()
        .filter(|(_, s)| s.text.contains("LOST"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(lost.len(), 2, "{t}");
    assert!(path[lost[0]].text.contains("ACK seq="), "the last ACK: {t}");
    assert!(
        path[lost[1]].text.contains("FIN,ACK"),
        "the retransmitted FIN: {t}"
    );
    let fired = step_where(path, "TIME-WAIT timer fires");
    assert!(fired > lost[1], "{t}");
    let (seg, _, before, after) = last_delivery(path);
    assert!(seg.flags.rst(), "{t}");
    assert!(matches!(before, State::LastAck | State::Closing), "{t}");
    assert_eq!(after, State::Closed, "{t}");
}

/// The rotation symmetry (A's first ISN 0, B's half the space) is a reduction, not a
/// theorem (RFC 9293's literal `<SEQ=0>` breaks it): on configurations small enough to
/// run without it, every safety and liveness verdict, and every counterexample's length,
/// is the same with and without it.
#[test]
fn the_rotation_symmetry_changes_no_verdict() {
    let small = |without: &[Guard], symmetry: bool| Options {
        seq_space: 16,
        msl: 1,
        rto: Options::default_rto(1),
        without: without.to_vec(),
        symmetry,
        ..Options::default()
    };
    for guards in [&[][..], &[Guard::TimeWait], &[Guard::Rfc1337]] {
        let with = run(small(guards, true));
        let free = run(small(guards, false));
        assert!(free.unique_states > 10 * with.unique_states, "{guards:?}");
        for (a, b) in with.properties.iter().zip(&free.properties) {
            // Safety and liveness; findings and reachability depend on how far a run
            // that stops at its first counterexample got.
            use model::check::properties::Kind;
            if !matches!(a.kind, Kind::Always | Kind::Eventually) {
                continue;
            }
            let len = |v: &Verdict| match v {
                Verdict::Fails { path } | Verdict::Lasso { path, .. } => Some(path.len()),
                _ => None,
            };
            assert_eq!(
                (a.verdict.passed(), len(&a.verdict)),
                (b.verdict.passed(), len(&b.verdict)),
                "{guards:?} {}: {:?} vs {:?}",
                a.name,
                a.verdict,
                b.verdict
            );
        }
    }
}

/// RFC 1337: a RST ends TIME-WAIT early (assassination), the active closer reopens at once,
/// and an old ACK of the first connection completes the second's handshake on one side
/// only: the two ends are desynchronized (hazards H1 and H2).
#[test]
fn without_rfc1337_a_rst_assassinates_time_wait_and_an_old_ack_desynchronizes_the_next() {
    let r = run_for(without(&[Guard::Rfc1337]), "no-stale-segment-accepted");
    let path = counterexample(&r, "no-stale-segment-accepted");
    let t = text(path);
    assert!(time_wait_killed_by_rst(path), "a RST ends TIME-WAIT: {t}");
    let (seg, to, before, after) = last_delivery(path);
    assert!(path.last().unwrap().stale && seg.flags.ack(), "{t}");
    assert_eq!(
        (before, after),
        (State::SynReceived, State::Established),
        "{t}"
    );
    let other = state(path, Some(path.len() - 1), to.peer());
    assert_eq!(other, State::SynSent, "the other end is still opening: {t}");
}

/// The same harm through the mutant that takes any RST in TIME-WAIT.
#[test]
fn the_rst_in_time_wait_mutant_is_assassinated_too() {
    let r = run(Options {
        profile: "rst-in-time-wait".into(),
        ..Options::default()
    });
    let path = counterexample(&r, "clean-close");
    assert!(time_wait_killed_by_rst(path), "{}", text(path));
}

/// RFC 9293 §3.4.3: a host that crashed forgets its ISN clock; reopening at once, it can
/// pick the numbers of its previous life, and the peer's old segment fits the new one.
#[test]
fn after_a_crash_without_the_quiet_time_an_old_segment_opens_a_connection() {
    let mut lengths = Vec::new();
    for seq_space in [16, 32] {
        let r = run_for(
            Options {
                crashes: 1,
                drops: 0,
                seq_space,
                ..without(&[Guard::QuietTime])
            },
            "no-stale-segment-accepted",
        );
        let path = counterexample(&r, "no-stale-segment-accepted");
        lengths.push(path.len());
        a_crash_then_a_stale_segment_changes_the_new_connection(path);
    }
    assert_eq!(lengths[0], lengths[1], "the space changes nothing");
}

#[track_caller]
fn a_crash_then_a_stale_segment_changes_the_new_connection(path: &[PathStep]) {
    let t = text(path);
    let crash = step_where(path, "host crashes");
    let reopen = path
        .iter()
        .rposition(|s| s.text.contains("OPEN"))
        .expect("a reopen");
    assert!(crash < reopen, "{t}");
    let (_, _, before, after) = last_delivery(path);
    assert!(path.last().unwrap().stale, "{t}");
    assert_ne!(before, after, "{t}");
}

/// Figure 8: an old duplicate SYN (here, of an attempt aborted in SYN-SENT) must not open a
/// connection. The same four steps leave RFC 9293 in SYN-RECEIVED (the handshake will reject
/// it) and open a connection nobody asked for under the two-way handshake.
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
        let b = s.ep(Side::B).tcb.state;
        if opened {
            assert_eq!(b, State::Established, "{log:#?}");
            assert_eq!(log.last().map(String::as_str), Some("STALE ACCEPTED"));
        } else {
            assert_eq!(b, State::SynReceived, "{log:#?}");
            assert!(!log.iter().any(|l| l == "STALE ACCEPTED"));
        }
    }
    let r = run(Options {
        profile: "two-way-handshake".into(),
        ..Options::default()
    });
    assert_eq!(counterexample(&r, "synchronized-after-syn-acked").len(), 3);
}

/// A FIN that is lost and never retransmitted: the closer's peer waits for it, and the
/// close cannot end with the FIN acknowledged.
#[test]
fn a_fin_never_retransmitted_leaves_the_close_unfinished() {
    let r = run(Options {
        profile: "no-fin-retransmit".into(),
        ..Options::default()
    });
    let path = counterexample(&r, "clean-close");
    assert!(text(path).contains("LOST"), "{}", text(path));
}

/// A fair livelock, end to end: under the mutant whose LAST-ACK ignores the ACK of its FIN,
/// with R2 = infinity (RFC 1122 §4.2.3.5), B retransmits its FIN for ever and A, in
/// TIME-WAIT, acknowledges each copy and restarts its 2MSL timer: a lasso every action
/// class of which is either taken in the loop or never enabled there. With a finite R2 the
/// user timeout ends it, and `eventually-settled` holds.
#[test]
fn a_last_ack_that_misses_its_ack_retransmits_for_ever_a_fair_lasso() {
    let opts = Options {
        profile: "last-ack-misses-its-ack".into(),
        retransmits: model::Config::R2_INFINITE,
        incarnations: 1,
        drops: 0,
        ..Options::default()
    };
    let r = run_all_with_liveness(opts.clone());
    let Verdict::Lasso { path, loop_from } = verdict(&r, "eventually-settled") else {
        panic!("a lasso: {:?}", verdict(&r, "eventually-settled"));
    };
    let t = text(path);
    let cycle = &path[*loop_from..];
    assert!(!cycle.is_empty(), "{t}");
    assert!(
        cycle
            .iter()
            .all(|s| (s.a, s.b) == (State::TimeWait, State::LastAck)),
        "A waits in TIME-WAIT, B in LAST-ACK, throughout the loop: {t}"
    );
    let in_loop = |what: &str| cycle.iter().any(|s| s.text.contains(what));
    assert!(in_loop("B: retransmission timer fires"), "{t}");
    assert!(in_loop("B -> A  FIN,ACK"), "B's FIN again: {t}");
    assert!(in_loop("A -> B  ACK"), "A's ACK of it: {t}");
    assert!(in_loop("tick"), "time passes: {t}");
    assert!(!in_loop("TIME-WAIT timer fires"), "A's timer restarts: {t}");
    let finite = run_all_with_liveness(Options {
        retransmits: 2,
        ..opts
    });
    assert!(matches!(
        verdict(&finite, "eventually-settled"),
        Verdict::Holds
    ));
}

/// RFC 9293 has no FIN-WAIT-2 timer: when the peer aborts after acknowledging our FIN and
/// its RST is lost, we wait in FIN-WAIT-2 forever.
#[test]
fn without_a_fin_wait_2_timer_a_side_whose_peer_vanished_waits_forever() {
    let r = run(Options {
        aborts: 1,
        incarnations: 1,
        without: vec![Guard::FinWait2Timeout],
        ..Options::default()
    });
    let path = counterexample(&r, "eventually-settled");
    let end = path.last().unwrap();
    assert!(
        end.a == State::FinWait2 || end.b == State::FinWait2,
        "stuck in FIN-WAIT-2: {}",
        text(path)
    );
    let with_timer = run(Options {
        aborts: 1,
        incarnations: 1,
        ..Options::default()
    });
    assert!(matches!(
        verdict(&with_timer, "eventually-settled"),
        Verdict::Holds
    ));
}

/// No verdict rests on the sequence space wrapping: doubling it changes no verdict and no
/// counterexample's length, with every guard, without each guard, and for the mutants. The
/// ISN clock's and the quiet time's own tests do the same at smaller spaces (8 and 16; 16
/// and 32): at twice the default, each takes tens of millions of states.
#[test]
fn verdicts_do_not_change_when_the_sequence_space_doubles() {
    let summary = |r: &Exploration| -> Vec<(String, String)> {
        r.properties
            .iter()
            .map(|p| {
                let v = match &p.verdict {
                    Verdict::Fails { path } => format!("fails in {}", path.len()),
                    Verdict::Lasso { path, .. } => format!("lasso of {}", path.len()),
                    Verdict::Reached { path } => format!("reached in {}", path.len()),
                    other => format!("{other:?}"),
                };
                (p.name.to_string(), v)
            })
            .collect()
    };
    let configs = [
        Options::default(),
        without(&[Guard::TimeWait]),
        without(&[Guard::FullTimeWait]),
        without(&[Guard::Rfc1337]),
        Options {
            rto: 3,
            ..Options::default()
        },
        Options {
            aborts: 1,
            incarnations: 1,
            ..without(&[Guard::FinWait2Timeout])
        },
        Options {
            profile: "no-fin-retransmit".into(),
            ..Options::default()
        },
        Options {
            profile: "two-way-handshake".into(),
            ..Options::default()
        },
    ];
    for opts in configs {
        let small = run(opts.clone());
        let large = run(Options {
            seq_space: opts.seq_space * 2,
            ..opts.clone()
        });
        assert_eq!(summary(&small), summary(&large), "{:?}", opts.without);
    }
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
        for p in &model::check::properties::PROPERTIES {
            if let model::check::properties::Check::Step(holds) = p.check
                && p.kind == model::check::properties::Kind::Always
                && !holds(m, &s, &fx, &n)
            {
                log.push(format!("VIOLATES {}", p.name));
            }
        }
        s = n;
    }
    (s, log)
}

/// The timing tie the model must not allow: a segment sent at the same instant as, but
/// before, a deletion is gone before the deletion + MSL. Here B's FIN,ACK leaves at the
/// instant A's TIME-WAIT starts; after one MSL of ticks it can no longer be delivered.
#[test]
fn a_segment_is_gone_before_one_msl_after_it_was_sent() {
    let m = System::new(Options {
        drops: 1,
        ..Options::default()
    })
    .unwrap();
    let (s, log) = drive(
        &m,
        &[
            "A: active OPEN (ISS=0)",
            "B: passive OPEN",
            "A -> B  SYN seq=0  delivered",
            "B -> A  SYN,ACK",
        ],
    );
    // A's ACK is in flight. Time may pass once (the ACK is then MSL - 1 = 1 tick old)...
    let mut acts = Vec::new();
    m.actions(&s, &mut acts);
    assert!(acts.contains(&model::check::system::Act::Tick), "{log:#?}");
    let (s, _) = m.next(&s, model::check::system::Act::Tick).unwrap();
    // ...and the next tick can only pass by paying the loss budget for it.
    assert_eq!(s.chan.len(), 1);
    assert!(m.expires(&s.chan[0]));
    let (after, _) = m.next(&s, model::check::system::Act::Tick).unwrap();
    assert!(after.chan.is_empty());
    assert_eq!(
        after.drops, 0,
        "the segment vanished at its deadline as a loss"
    );
}

/// A table with one row changed, for properties no shipped mutant breaks.
fn mutant(change: impl Fn(&mut model::Row)) -> model::Table {
    let mut rows = model::Table::rfc9293().rows().to_vec();
    rows.iter_mut().for_each(change);
    model::Table::from_rows("test-mutant".into(), rows).unwrap()
}

fn run_table(table: model::Table, without: &[Guard]) -> Exploration {
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
    // With free ISNs, B may pick the ISS whose SYN A's never-set RCV.NXT (0) acknowledges
    // across the wrap, and both sides are ESTABLISHED with A not knowing B's ISN.
    let r = run_table(t, &[Guard::IsnClock]);
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
    let r = run_table(t, &[]);
    counterexample(&r, "tcb-invariants");
}

#[test]
fn reachability_is_reported_failing_when_a_state_is_never_reached() {
    let r = run_all(Options {
        profile: "no-time-wait".into(),
        incarnations: 1,
        scenario: Scenario::ClientServer,
        ..Options::default()
    });
    assert!(matches!(
        verdict(&r, "reach-TIME-WAIT"),
        Verdict::NeverReached
    ));
    assert!(!verdict(&r, "reach-TIME-WAIT").passed());
}

/// The `--data` counterexample to `clean-close` is not the coarse tick's doing. B enters
/// TIME-WAIT at t0; B's ACK of A's byte, sent just before, arrives at A as late as a
/// segment may (MSL - 1 ticks) and restarts A's retransmission timer (RFC 6298 §5.3), so
/// A's FIN, whose ACK was lost, goes out an RTO after that and arrives up to MSL - 1 ticks
/// later: t0 + 2(MSL - 1) + RTO, past 2MSL once RTO is 2 ticks or more. At MSL = 4 ticks
/// and RTO = MSL (the bound that keeps a close without data clean) the FIN arrives a tick
/// after TIME-WAIT ended, with no tie inside an instant; in real time (delays up to, not
/// below, MSL) any RTO will do. Only a TIME-WAIT of 2MSL + RTO covers it.
#[test]
fn with_data_a_late_ack_restarts_the_fin_timer_past_time_wait_at_finer_ticks() {
    let tick = "tick";
    let m = late_ack_system(None);
    let mut path = late_ack_prefix();
    path.extend([
        tick,
        "B: TIME-WAIT timer fires",
        tick,
        // t0 + 9: a tick after TIME-WAIT ended, the FIN is 2 ticks old.
        "A -> B  FIN,ACK seq=2 ack=18  delivered",
        "B -> A  RST seq=18  delivered",
    ]);
    let (s, log) = drive(&m, &path);
    assert_eq!(s.states(), (State::Closed, State::Closed), "{log:#?}");
    assert_eq!(
        log.iter()
            .filter(|l| l.starts_with("VIOLATES"))
            .collect::<Vec<_>>(),
        ["VIOLATES clean-close"],
        "{log:#?}"
    );
    assert_eq!(log.last().unwrap(), "VIOLATES clean-close", "{log:#?}");

    // A TIME-WAIT of 2MSL + RTO - 1 ticks (11) outlasts the latest such FIN (t0 + 2MSL - 2
    // + RTO = t0 + 10): B is still there to acknowledge it, and the close ends cleanly.
    let m = late_ack_system(Some(11));
    let mut path = late_ack_prefix();
    path.extend([
        tick,
        tick,
        tick,
        "A -> B  FIN,ACK seq=2 ack=18  delivered",
        "B -> A  ACK seq=18 ack=3  delivered",
    ]);
    let (s, log) = drive(&m, &path);
    assert_eq!(s.states().1, State::TimeWait, "{log:#?}");
    assert_eq!(
        s.states().0,
        State::TimeWait,
        "A's FIN acknowledged: {log:#?}"
    );
    assert!(!log.iter().any(|l| l.starts_with("VIOLATES")), "{log:#?}");
}

/// The system of the late-ACK path: MSL 4 ticks, RTO = MSL, one byte each way.
fn late_ack_system(time_wait: Option<u32>) -> System {
    System::new(Options {
        msl: 4,
        rto: 4,
        data: true,
        incarnations: 1,
        time_wait,
        ..Options::default()
    })
    .unwrap()
}

/// The late-ACK path up to A's retransmitted FIN, at t0 + 7 (t0: B enters TIME-WAIT).
fn late_ack_prefix() -> Vec<&'static str> {
    let tick = "tick";
    vec![
        "A: active OPEN (ISS=0)",
        "B: passive OPEN",
        "A -> B  SYN seq=0  delivered",
        "B -> A  SYN,ACK seq=16 ack=1  delivered",
        "A: Send(1)",
        "A: Close",
        "A -> B  ACK seq=1 ack=17  delivered",
        "B: Close",
        "B -> A  FIN,ACK seq=17 ack=1  delivered",
        "A -> B  ACK seq=1 ack=17 len=1  delivered",
        "A -> B  FIN,ACK seq=2 ack=17  delivered",
        "B -> A  ACK seq=18 ack=3  LOST",
        // t0: B enters TIME-WAIT.
        "A -> B  ACK seq=3 ack=18  delivered",
        tick,
        tick,
        tick,
        // t0 + 3: the ACK of the byte, 3 ticks old, restarts A's timer: due at t0 + 7.
        "B -> A  ACK seq=18 ack=2  delivered",
        tick,
        tick,
        tick,
        tick,
        "A: retransmission timer fires",
    ]
}
