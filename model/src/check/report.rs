//! The report of a `check` run, as text and as JSON.

use super::explore::{Exploration, PathStep, Verdict};
use super::system::{Options, System};
use crate::segment::Segment;
use crate::table::{Event, EventKind, Row, RowId, State};
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
    /// Rows never fired, each with the reason.
    pub rows_not_fired: Vec<Unfired>,
    /// Overall: 0 all hold, 1 a property fails, 2 incomplete.
    pub exit_code: u8,
}

impl<'a> Report<'a> {
    /// Builds the report of a run.
    pub fn new(model: &'a System, run: &'a Exploration) -> Report<'a> {
        let mut events = vec![None; run.samples.len()];
        let rows_not_fired = model
            .table
            .numbered()
            .filter(|(id, _)| !run.rows_fired.contains(id))
            .map(|(id, r)| {
                let RowId(i) = id;
                Unfired {
                    row: i,
                    from: r.from,
                    event: r.event,
                    reason: reason(model, run, r, &mut events),
                }
            })
            .collect();
        let failed = run.properties.iter().any(|p| p.verdict.failed());
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
             ISN {:?} (+{}/tick){}, {} incarnation(s), {:?}, {} drop(s), {} dup(s), {} abort(s), \
             {} crash(es), {}, RTO {}",
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
            o.isn,
            o.isn_rate,
            if o.symmetry { "" } else { ", no symmetry" },
            o.incarnations,
            o.scenario,
            o.drops,
            o.dups,
            o.aborts,
            o.crashes,
            if o.retransmits == crate::Config::R2_INFINITE {
                "retransmissions without end (R2 = infinity)".to_string()
            } else {
                format!("{} retransmission(s)", o.retransmits)
            },
            o.rto
        );
        for p in &self.run.properties {
            let verdict = match &p.verdict {
                Verdict::Holds => "holds",
                Verdict::Reached { .. } if p.kind == super::properties::Kind::Finding => {
                    "met (a finding, not a failure)"
                }
                Verdict::Reached { .. } => "reached",
                Verdict::Fails { .. } => "FAILS",
                Verdict::Lasso { .. } => "FAILS (cycle)",
                Verdict::NeverReached => "NEVER REACHED",
                Verdict::NotFound => "not met",
                Verdict::NotApplicable => "n/a (the scenario rules it out)",
                Verdict::Unknown => "unknown (incomplete run)",
            };
            let _ = writeln!(s, "  {:<34} {verdict}", p.name);
        }
        let r = self.run;
        let _ = writeln!(
            s,
            "states {}, unique {}, depth {}, {:.2} s, {:.0} unique states/s, peak memory {:.0} MiB{}",
            r.states,
            r.unique_states,
            r.depth,
            r.seconds,
            r.unique_states as f64 / r.seconds.max(1e-9),
            r.peak_memory as f64 / (1u64 << 20) as f64,
            if r.complete {
                String::new()
            } else if let Some(failure) = &r.failure {
                format!(", INCOMPLETE: --disk failed ({failure}); what holds is not proven")
            } else if let Some(limit) = r.stopped_by {
                format!(", INCOMPLETE: --{limit} stopped the run; what holds is not proven")
            } else {
                ", stopped at the first counterexample (--all explores on)".into()
            }
        );
        let _ = if r.collision_probability == 0.0 && r.unique_states > 1 {
            writeln!(
                s,
                "visited states kept whole (--exact): no collision possible; {:.0} bytes a state encoded",
                r.encoded_bytes
            )
        } else {
            writeln!(
                s,
                "visited states kept as 64-bit fingerprints: probability of a collision {:.1e}; {:.0} bytes a state encoded",
                r.collision_probability, r.encoded_bytes
            )
        };
        let _ = writeln!(
            s,
            "rows fired {}, not fired {}{}",
            r.rows_fired.len(),
            self.rows_not_fired.len(),
            if r.complete {
                ""
            } else {
                " (INCOMPLETE run: the reasons below are as far as it got, not final)"
            }
        );
        let mut by_reason: Vec<(Reason, usize)> = Vec::new();
        for u in &self.rows_not_fired {
            match by_reason.iter_mut().find(|(r, _)| *r == u.reason) {
                Some((_, n)) => *n += 1,
                None => by_reason.push((u.reason, 1)),
            }
        }
        for (reason, n) in &by_reason {
            let _ = writeln!(s, "  {n:>3} {}", reason.text());
        }
        if verbose {
            for u in &self.rows_not_fired {
                let _ = writeln!(
                    s,
                    "  row {:>3} {} {}: {}",
                    u.row,
                    u.from,
                    u.event.id(),
                    u.reason.text()
                );
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

/// A row the run never fired.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Unfired {
    /// Row id.
    pub row: u16,
    /// Its state.
    pub from: State,
    /// Its event.
    pub event: Event,
    /// Why it was not fired.
    pub reason: Reason,
}

/// Why a row is never fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The state is never reached.
    StateUnreached,
    /// The application drivers never make this call in this state.
    NoSuchCall,
    /// This timer never runs in this state.
    NoSuchTimer,
    /// No segment at all classifies as this event in this state (the row is there to
    /// make the table total).
    Unclassifiable,
    /// Some segment (or call) would, but none comes within the fault budget.
    NotSent,
}

impl Reason {
    /// The reason in words.
    pub fn text(self) -> &'static str {
        match self {
            Reason::StateUnreached => "the state is never reached (so opened)",
            Reason::NoSuchCall => "the application drivers never make this call here",
            Reason::NoSuchTimer => "this timer never expires here",
            Reason::Unclassifiable => {
                "no segment classifies as this event here (the row makes the table total)"
            }
            Reason::NotSent => {
                "a segment would classify so, but no peer sends one within the budget"
            }
        }
    }
}

/// Every event some segment classifies as at `tcb`: sequence and acknowledgment numbers
/// over the space (up to 64 of each), every flag combination, empty or one byte, a window
/// of 0 or 1. Computed once per sample, for every row of its state.
fn segment_events(model: &System, tcb: &crate::Tcb) -> Vec<Event> {
    let m = model.cfg.space.modulus().min(64) as u32;
    let mut t = tcb.clone();
    let mut events = Vec::new();
    for seq in 0..m {
        for ack in 0..m {
            for bits in 0u8..32 {
                for len in 0..2 {
                    for wnd in 0..2 {
                        let seg = Segment {
                            seq,
                            ack,
                            flags: crate::Flags::from_bits(bits),
                            wnd,
                            len,
                            opts: crate::TcpOptions::NONE,
                        };
                        let e = t.classify(&model.cfg, &crate::Input::Segment(seg));
                        if !events.contains(&e) {
                            events.push(e);
                        }
                    }
                }
            }
        }
    }
    events
}

/// Why `row` never fired; `events` caches [`segment_events`] per state and sample.
fn reason(
    model: &System,
    run: &Exploration,
    row: &Row,
    events: &mut [Option<Vec<Vec<Event>>>],
) -> Reason {
    let state = row.from as usize;
    let samples = &run.samples[state];
    if !samples.iter().any(|t| row.guard.holds(t.origin)) {
        return Reason::StateUnreached;
    }
    match row.event.kind() {
        EventKind::User if model.drivers_call(row.event, row.from) => Reason::NotSent,
        EventKind::User => Reason::NoSuchCall,
        EventKind::Timeout => Reason::NoSuchTimer,
        EventKind::Segment => {
            let events = events[state]
                .get_or_insert_with(|| samples.iter().map(|t| segment_events(model, t)).collect());
            let any = samples
                .iter()
                .zip(events.iter())
                .any(|(t, evs)| row.guard.holds(t.origin) && evs.contains(&row.event));
            if any {
                Reason::NotSent
            } else {
                Reason::Unclassifiable
            }
        }
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
