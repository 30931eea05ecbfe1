//! Model-checker throughput, as figures: `cargo bench -p model --bench check`.
//!
//! Runs, in one process: stateright's own two-phase-commit example through stateright's
//! BFS and DFS checkers (7 and 8 resource managers), for reference; then our checker on
//! the default configuration (safety alone with 1 and 2 threads, then with liveness) and
//! on larger ones. Prints unique states, seconds, unique states per second, the run's
//! peak resident memory (the peak is reset before each run), bytes per state, and the
//! speed-up of 2 threads over 1. `TCPFSM_BENCH=quick` runs only the first rows.

use model::check::{Limits, Options, System, explore};
use std::time::Instant;

/// Current resident set size of this process, in bytes (Linux `VmRSS`).
fn current_rss() -> u64 {
    model::check::explore::proc_status_bytes("VmRSS:")
}

/// Resets the process's peak resident set size to the current one (Linux: writing 5 to
/// `/proc/self/clear_refs`), so each run's peak is its own.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Runs `f` (which returns the unique states it explored) and prints its figures; returns
/// the seconds it took.
fn measure(name: &str, f: impl FnOnce() -> usize) -> f64 {
    reset_peak();
    let before = current_rss();
    let t = Instant::now();
    let unique = f();
    let secs = t.elapsed().as_secs_f64();
    let peak = model::check::explore::peak_memory();
    println!(
        "{name:<52} {unique:>11} states {secs:>8.2} s {:>9.0} states/s  peak {:>6.0} MiB  {:>5.0} B/state",
        unique as f64 / secs,
        peak as f64 / (1 << 20) as f64,
        peak.saturating_sub(before) as f64 / unique.max(1) as f64
    );
    secs
}

/// Our checker on `opts`, exhaustively; every property must pass.
fn ours(name: &str, opts: &Options, threads: usize, liveness: bool) -> f64 {
    let system = System::new(opts.clone()).expect("valid options");
    let limits = Limits {
        threads,
        ..Limits::default()
    };
    measure(name, || {
        let run = explore(&system, limits, liveness);
        assert!(run.complete, "{name} did not finish");
        assert!(
            run.properties.iter().all(|p| p.verdict.passed()),
            "{name}: a property fails"
        );
        run.unique_states
    })
}

fn main() {
    // `cargo test` runs benches as tests with --bench absent; do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let quick = std::env::var("TCPFSM_BENCH").is_ok_and(|v| v == "quick");
    for rms in [7, 8] {
        for dfs in [false, true] {
            let how = if dfs { "DFS" } else { "BFS" };
            measure(
                &format!("stateright 2pc, {rms} RMs, {how}, 1 thread (reference)"),
                || two_phase_commit::check(rms, dfs),
            );
        }
    }
    let default = Options::default();
    let one = ours("tcpfsm default, safety, 1 thread", &default, 1, false);
    let two = ours("tcpfsm default, safety, 2 threads", &default, 2, false);
    println!("speed-up of 2 threads over 1: {:.2}x", one / two);
    ours(
        "tcpfsm default, with liveness, 2 threads",
        &default,
        2,
        true,
    );
    if quick {
        return;
    }
    let larger = [
        (
            "tcpfsm --retransmits 3, with liveness",
            Options {
                retransmits: 3,
                ..Options::default()
            },
        ),
        (
            "tcpfsm --msl 3, safety",
            Options {
                msl: 3,
                rto: Options::default_rto(3),
                ..Options::default()
            },
        ),
        (
            "tcpfsm --dups 1, safety",
            Options {
                dups: 1,
                ..Options::default()
            },
        ),
    ];
    for (name, opts) in larger {
        ours(name, &opts, 2, name.contains("liveness"));
    }
}

/// stateright's `examples/2pc.rs` (MIT licence, stateright 0.31.0), without its symmetry
/// reduction, as a throughput reference for a hand-written `Model`.
mod two_phase_commit {
    use stateright::{Checker, Model, Property};
    use std::collections::BTreeSet;
    use std::ops::Range;

    type R = usize;

    #[derive(Clone)]
    struct TwoPhaseSys {
        rms: Range<R>,
    }

    #[derive(Clone, Debug, Eq, Hash, PartialEq)]
    struct TwoPhaseState {
        rm_state: Vec<RmState>,
        tm_state: TmState,
        tm_prepared: Vec<bool>,
        msgs: BTreeSet<Message>,
    }

    #[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
    enum Message {
        Prepared { rm: R },
        Commit,
        Abort,
    }

    #[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
    enum RmState {
        Working,
        Prepared,
        Committed,
        Aborted,
    }

    #[derive(Clone, Debug, Eq, Hash, PartialEq)]
    enum TmState {
        Init,
        Committed,
        Aborted,
    }

    #[derive(Clone, Debug, PartialEq)]
    enum Action {
        TmRcvPrepared(R),
        TmCommit,
        TmAbort,
        RmPrepare(R),
        RmChooseToAbort(R),
        RmRcvCommitMsg(R),
        RmRcvAbortMsg(R),
    }

    impl Model for TwoPhaseSys {
        type State = TwoPhaseState;
        type Action = Action;

        fn init_states(&self) -> Vec<TwoPhaseState> {
            vec![TwoPhaseState {
                rm_state: self.rms.clone().map(|_| RmState::Working).collect(),
                tm_state: TmState::Init,
                tm_prepared: self.rms.clone().map(|_| false).collect(),
                msgs: Default::default(),
            }]
        }

        fn actions(&self, state: &TwoPhaseState, actions: &mut Vec<Action>) {
            if state.tm_state == TmState::Init && state.tm_prepared.iter().all(|p| *p) {
                actions.push(Action::TmCommit);
            }
            if state.tm_state == TmState::Init {
                actions.push(Action::TmAbort);
            }
            for rm in self.rms.clone() {
                if state.tm_state == TmState::Init && state.msgs.contains(&Message::Prepared { rm })
                {
                    actions.push(Action::TmRcvPrepared(rm));
                }
                if state.rm_state.get(rm) == Some(&RmState::Working) {
                    actions.push(Action::RmPrepare(rm));
                    actions.push(Action::RmChooseToAbort(rm));
                }
                if state.msgs.contains(&Message::Commit) {
                    actions.push(Action::RmRcvCommitMsg(rm));
                }
                if state.msgs.contains(&Message::Abort) {
                    actions.push(Action::RmRcvAbortMsg(rm));
                }
            }
        }

        fn next_state(&self, last: &TwoPhaseState, action: Action) -> Option<TwoPhaseState> {
            let mut state = last.clone();
            match action {
                Action::TmRcvPrepared(rm) => state.tm_prepared[rm] = true,
                Action::TmCommit => {
                    state.tm_state = TmState::Committed;
                    state.msgs.insert(Message::Commit);
                }
                Action::TmAbort => {
                    state.tm_state = TmState::Aborted;
                    state.msgs.insert(Message::Abort);
                }
                Action::RmPrepare(rm) => {
                    state.rm_state[rm] = RmState::Prepared;
                    state.msgs.insert(Message::Prepared { rm });
                }
                Action::RmChooseToAbort(rm) => state.rm_state[rm] = RmState::Aborted,
                Action::RmRcvCommitMsg(rm) => state.rm_state[rm] = RmState::Committed,
                Action::RmRcvAbortMsg(rm) => state.rm_state[rm] = RmState::Aborted,
            }
            Some(state)
        }

        fn properties(&self) -> Vec<Property<Self>> {
            vec![Property::<Self>::always("consistent", |_, state| {
                !state.rm_state.iter().any(|s1| {
                    state
                        .rm_state
                        .iter()
                        .any(|s2| s1 == &RmState::Aborted && s2 == &RmState::Committed)
                })
            })]
        }
    }

    /// Checks the example exhaustively with one thread, breadth-first or depth-first;
    /// returns the unique state count.
    pub fn check(rms: usize, dfs: bool) -> usize {
        let builder = TwoPhaseSys { rms: 0..rms }.checker();
        if dfs {
            let checker = builder.spawn_dfs().join();
            checker.assert_properties();
            checker.unique_state_count()
        } else {
            let checker = builder.spawn_bfs().join();
            checker.assert_properties();
            checker.unique_state_count()
        }
    }
}
