//! The report of a `check` run, as text and as JSON.

use super::explore::{Exploration, PathStep, Verdict};
use super::system::{Options, System};
use crate::table::RowId;
use serde::Serialize;
use std::fmt::Write;

/// Everything a run reports.
#[derive(Serialize)]
pub struct Report<'a> {
    /// The options explored.
    pub options: &'a Options,
    /// The profiles layered, guards' first.
    pub profile: &'a str,
    /// The exploration.
    #[serde(flatten)]
    pub run: &'a Exploration,
    /// Rows never fired: (row id, from, event).
    pub rows_not_fired: Vec<(u16, String, String)>,
    /// Overall: 0 all hold, 1 a property fails, 2 incomplete.
    pub exit_code: u8,
}

impl<'a> Report<'a> {
    /// Builds the report of a run.
    pub fn new(model: &'a System, run: &'a Exploration) -> Report<'a> {
        let rows_not_fired = (0..model.table.rows().len() as u16)
            .filter(|i| !run.rows_fired.contains(&RowId(*i)))
            .map(|i| {
                let r = model.table.row(RowId(i));
                (i, r.from.to_string(), r.event.id().to_string())
            })
            .collect();
        let failed = run.properties.iter().any(|p| !p.verdict.passed());
        let exit_code = if !run.complete && !failed {
            2
        } else if failed {
            1
        } else {
            0
        };
        Report {
            options: &model.opts,
            profile: &model.profile,
            run,
            rows_not_fired,
            exit_code,
        }
    }

    /// The text report.
    pub fn text(&self, verbose: bool) -> String {
        let mut s = String::new();
        let o = self.options;
        let _ = writeln!(
            s,
            "profile {} (guards without: {}), MSL {} ticks, TIME-WAIT {}, sequence space {}, \
             {} incarnation(s), {:?}, {} drop(s), {} dup(s), {} abort(s), {} retransmission(s), \
             RTO {}",
            self.profile,
            if o.without.is_empty() {
                "none".to_string()
            } else {
                o.without
                    .iter()
                    .map(|g| g.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            o.msl,
            o.time_wait
                .map_or("2MSL".to_string(), |t| format!("{t} ticks")),
            o.seq_space,
            o.incarnations,
            o.scenario,
            o.drops,
            o.dups,
            o.aborts,
            o.retransmits,
            o.rto
        );
        for p in &self.run.properties {
            let verdict = match &p.verdict {
                Verdict::Holds => "holds",
                Verdict::Reached { .. } => "reached",
                Verdict::Fails { .. } => "FAILS",
                Verdict::Lasso { .. } => "FAILS (cycle)",
                Verdict::NeverReached => "NEVER REACHED",
                Verdict::Unknown => "unknown (incomplete run)",
            };
            let _ = writeln!(s, "  {:<34} {verdict}", p.name);
        }
        let r = self.run;
        let _ = writeln!(
            s,
            "states {}, unique {}, depth {}, {:.2} s, {:.0} unique states/s{}",
            r.states,
            r.unique_states,
            r.depth,
            r.seconds,
            r.unique_states as f64 / r.seconds.max(1e-9),
            if r.complete {
                ""
            } else if self.exit_code == 1 {
                ", stopped at the first counterexample (--all explores on)"
            } else {
                ", INCOMPLETE: a limit stopped the run; nothing is proven"
            }
        );
        let _ = writeln!(
            s,
            "rows fired {}, not fired {}",
            r.rows_fired.len(),
            self.rows_not_fired.len()
        );
        if verbose {
            for (id, from, ev) in &self.rows_not_fired {
                let _ = writeln!(s, "  row {id:>3} {from} {ev}");
            }
        }
        for p in &self.run.properties {
            match &p.verdict {
                Verdict::Fails { path } => {
                    let _ = writeln!(s, "\ncounterexample to {} ({} steps):", p.name, path.len());
                    s += &sequence(path);
                }
                Verdict::Lasso { path, loop_from } => {
                    let _ = writeln!(
                        s,
                        "\ncounterexample to {}: {} steps, then steps {}..{} repeat forever:",
                        p.name,
                        loop_from,
                        loop_from + 1,
                        path.len()
                    );
                    s += &sequence(path);
                }
                _ => {}
            }
        }
        s
    }
}

/// A path as a message sequence, with both sides' states after each step.
pub fn sequence(path: &[PathStep]) -> String {
    let mut s = String::new();
    for (i, st) in path.iter().enumerate() {
        let stale = if st.stale { "  (STALE)" } else { "" };
        let _ = writeln!(
            s,
            "  {:>3}. {:<44} A {:<12} B {}{stale}",
            i + 1,
            st.text,
            st.a.to_string(),
            st.b
        );
    }
    s
}
