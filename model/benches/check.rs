//! Model-checker throughput, as figures: `cargo bench -p model --bench check`.
//!
//! Runs, in one process and in this order (so each peak-memory reading belongs to the run
//! before it): stateright's own two-phase-commit example through stateright's BFS
//! checker, for reference; our default configuration; and a larger one. Prints unique
//! states, seconds, unique states per second, peak resident memory and bytes per state.

use model::check::{Limits, Options, System, explore};
use std::time::Instant;

/// Current resident set size of this process, in bytes (Linux `VmRSS`).
fn current_rss() -> u64 {
    model::check::explore::proc_status_bytes("VmRSS:")
}

fn line(name: &str, unique: usize, secs: f64, before: u64) {
    let peak = model::check::explore::peak_memory();
    println!(
        "{name:<44} {unique:>10} states {secs:>7.2} s {:>9.0} states/s  peak {:>6.0} MiB  {:>5.0} B/state",
        unique as f64 / secs,
        peak as f64 / (1 << 20) as f64,
        peak.saturating_sub(before) as f64 / unique.max(1) as f64
    );
}

fn ours(name: &str, opts: Options) {
    let before = current_rss();
    let system = System::new(opts).expect("valid options");
    let t = Instant::now();
    let run = explore(&system, Limits::default(), true);
    assert!(run.complete, "{name} did not finish");
    assert!(
        run.properties.iter().all(|p| p.verdict.passed()),
        "{name}: a property fails"
    );
    line(name, run.unique_states, t.elapsed().as_secs_f64(), before);
}

fn main() {
    // `cargo test` runs benches as tests with --bench absent; do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rms: usize = std::env::var("TWO_PC_RMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let before = current_rss();
    let t = Instant::now();
    let unique = two_phase_commit::check(rms);
    line(
        &format!("stateright 2pc example, {rms} RMs (reference)"),
        unique,
        t.elapsed().as_secs_f64(),
        before,
    );
    ours("tcpfsm check (default)", Options::default());
    ours(
        "tcpfsm check --retransmits 3 (larger)",
        Options {
            retransmits: 3,
            ..Options::default()
        },
    );
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

    /// Checks the example exhaustively with one thread; returns the unique state count.
    pub fn check(rms: usize) -> usize {
        let checker = TwoPhaseSys { rms: 0..rms }.checker().spawn_bfs().join();
        checker.assert_properties();
        checker.unique_state_count()
    }
}
