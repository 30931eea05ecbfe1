//! Which table rows a set of runs fired, and why each other row was not.
//!
//! A row that was not fired is explained from the TCBs the runs reached in its state:
//! if no segment can classify as the row's event against any of them, the row is there
//! only to make the table total; if its timer never ran in that state, it cannot expire
//! there. Anything else is a gap in the scripts.

use crate::run::Run;
use model::endpoint::Config;
use model::table::EventKind;
use model::{Event, Flags, Input, RowId, Segment, State, Table, Tcb};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Why a row was not fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No segment classifies as this event against any TCB reached in this state.
    Unclassifiable,
    /// The timer never runs in this state.
    NoSuchTimer,
    /// The scripts never reach this state (with this origin).
    StateUnreached,
    /// It could happen, and no script makes it happen.
    NotExercised,
}

impl Reason {
    /// The reason in words.
    pub fn text(self) -> &'static str {
        match self {
            Reason::Unclassifiable => {
                "no segment classifies as this event in this state (the row makes the table total)"
            }
            Reason::NoSuchTimer => "this timer never runs in this state",
            Reason::StateUnreached => "no script reaches this state",
            Reason::NotExercised => "possible, but no script makes it happen",
        }
    }
}

/// Rows fired and not fired over a set of runs.
#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    /// Rows fired.
    pub fired: BTreeSet<RowId>,
    /// Rows not fired, with the reason.
    pub unfired: Vec<(RowId, Reason)>,
}

impl Coverage {
    /// Coverage of these runs over `table`.
    pub fn of(table: &Table, cfg: &Config, runs: &[Run]) -> Coverage {
        let fired: BTreeSet<RowId> = runs.iter().flat_map(|r| r.fired.iter().copied()).collect();
        let mut samples: Vec<Vec<&Tcb>> = vec![Vec::new(); State::ALL.len()];
        for r in runs {
            for (i, s) in r.samples.iter().enumerate() {
                samples[i].extend(s.iter());
            }
        }
        let unfired = table
            .numbered()
            .filter(|(id, _)| !fired.contains(id))
            .map(|(id, row)| {
                let here: Vec<&Tcb> = samples[row.from as usize]
                    .iter()
                    .copied()
                    .filter(|t| row.guard.holds(t.origin))
                    .collect();
                (id, reason(cfg, row.event, &here))
            })
            .collect();
        Coverage { fired, unfired }
    }

    /// The report: counts, then each unfired row with its reason.
    pub fn text(&self, table: &Table) -> String {
        let mut s = String::new();
        let total = table.rows().len();
        let _ = writeln!(
            s,
            "coverage: {} of {total} rows fired; {} not fired",
            self.fired.len(),
            self.unfired.len()
        );
        let _ = writeln!(s, "  fired, by state (row event):");
        for state in State::ALL {
            let rows: Vec<String> = self
                .fired
                .iter()
                .filter(|id| table.row(**id).from == state)
                .map(|id| format!("{} {}", id.0, table.row(*id).event.id()))
                .collect();
            if !rows.is_empty() {
                let _ = writeln!(s, "    {:<12} {}", state.id(), rows.join(", "));
            }
        }
        let mut reasons: Vec<Reason> = self.unfired.iter().map(|(_, r)| *r).collect();
        reasons.sort();
        reasons.dedup();
        for reason in reasons {
            let rows: Vec<RowId> = self
                .unfired
                .iter()
                .filter(|(_, r)| *r == reason)
                .map(|(id, _)| *id)
                .collect();
            let _ = writeln!(s, "  {} rows: {}", rows.len(), reason.text());
            for id in rows {
                let row = table.row(id);
                let _ = writeln!(
                    s,
                    "    row {:>3}  {:<12} {:<20} {}",
                    id.0,
                    row.from.id(),
                    row.event.id(),
                    match row.guard {
                        model::Guard::Any => "",
                        model::Guard::OpenedPassively => "(opened passively)",
                        model::Guard::OpenedActively => "(opened actively)",
                    }
                );
            }
        }
        s
    }
}

fn reason(cfg: &Config, event: Event, samples: &[&Tcb]) -> Reason {
    if samples.is_empty() {
        return Reason::StateUnreached;
    }
    match event.kind() {
        EventKind::User => Reason::NotExercised,
        EventKind::Timeout => {
            let runs = |t: &Tcb| match event {
                Event::RetransmitTimeout | Event::UserTimeout => t.timers.retransmit.is_some(),
                Event::TimeWaitTimeout => t.timers.time_wait.is_some(),
                Event::DelayedAckTimeout => t.timers.delayed_ack.is_some(),
                _ => t.timers.fin_wait_2.is_some(),
            };
            if samples.iter().any(|t| runs(t)) {
                Reason::NotExercised
            } else {
                Reason::NoSuchTimer
            }
        }
        EventKind::Segment => {
            if samples.iter().any(|t| classifiable(cfg, t, event)) {
                Reason::NotExercised
            } else {
                Reason::Unclassifiable
            }
        }
    }
}

/// Whether some segment classifies as `event` against `tcb`: sequence and acknowledgment
/// numbers around every edge the classifier tests, with every combination of flags.
fn classifiable(cfg: &Config, tcb: &Tcb, event: Event) -> bool {
    let sp = cfg.space;
    let around = |base: u32| (0..5u32).map(move |d| sp.sub(sp.add(base, d), 2));
    let mut seqs: Vec<u32> = around(tcb.rcv_nxt)
        .chain(around(sp.add(tcb.rcv_nxt, tcb.rcv_wnd)))
        .chain(around(tcb.irs))
        .chain([0])
        .collect();
    let mut acks: Vec<u32> = around(tcb.snd_una)
        .chain(around(tcb.snd_nxt))
        .chain(around(tcb.iss))
        .chain(around(sp.sub(tcb.snd_una, tcb.max_snd_wnd)))
        .chain([0])
        .collect();
    seqs.sort_unstable();
    seqs.dedup();
    acks.sort_unstable();
    acks.dedup();
    for &seq in &seqs {
        for &ack in &acks {
            for bits in 0u8..32 {
                for len in [0, 1, 3] {
                    let seg = Segment {
                        seq,
                        ack,
                        flags: Flags::from_bits(bits),
                        wnd: 1000,
                        len,
                        opts: model::TcpOptions::NONE,
                    };
                    let mut t = tcb.clone();
                    if t.classify(cfg, &Input::Segment(seg)) == event {
                        return true;
                    }
                }
            }
        }
    }
    false
}
