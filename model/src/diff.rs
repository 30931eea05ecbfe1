//! What one profile layering changes against another: rows per (state, event) and
//! endpoint parameters, each with its source (`model table --diff rfc9293 linux`).

use crate::endpoint::Config;
use crate::profile::{Param, Profile, settings};
use crate::render::actions_text;
use crate::table::{Event, Guard, Row, RowId, State, Table};
use serde::Serialize;
use std::fmt::Write;

/// A row in a diff: its number and the row.
#[derive(Clone, Debug, Serialize)]
pub struct NumberedRow {
    /// The row's number (stable across profiles).
    pub id: u16,
    /// The row.
    #[serde(flatten)]
    pub row: Row,
}

/// One (state, event) pair whose rows differ.
#[derive(Clone, Debug, Serialize)]
pub struct PairChange {
    /// The state.
    pub state: State,
    /// The event.
    pub event: Event,
    /// `replaced` (rows on both sides), `added` or `removed`; a table is total, so a
    /// pair always has rows on both sides and the kind is `replaced`, but the number of
    /// rows may differ when one side splits the pair on how the connection was opened.
    pub kind: &'static str,
    /// Both sides do the same (actions and next state); only the source differs. A
    /// profile restates a row to cite its OS, or to undo a profile layered before it.
    pub same_behaviour: bool,
    /// The rows of the first table for the pair.
    pub before: Vec<NumberedRow>,
    /// The rows of the second.
    pub after: Vec<NumberedRow>,
}

/// One endpoint parameter whose value differs.
#[derive(Clone, Debug, Serialize)]
pub struct ParamChange {
    /// The parameter's name ([`Param::name`]).
    pub name: &'static str,
    /// Its value under the first layering.
    pub before: String,
    /// Its value under the second.
    pub after: String,
    /// The profile that set the second value, or the first's (the value it leaves).
    pub profile: &'static str,
    /// Where the value comes from.
    pub source: &'static str,
    /// A time, which the model checker abstracts ([`Param::is_timing`]).
    pub timing: bool,
    /// Whether the model checker applies it ([`Param::checker_honours`]).
    pub checker_honours: bool,
}

/// The differences between two profile layerings.
#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    /// The first spec, as given.
    pub from: String,
    /// The second spec, as given.
    pub to: String,
    /// Pairs whose rows differ, in state and event order.
    pub rows: Vec<PairChange>,
    /// Parameters whose values differ, in [`Param::NAMES`] order.
    pub params: Vec<ParamChange>,
}

fn layering(spec: &str) -> Result<(Table, Vec<&'static Profile>), String> {
    let table = Table::from_spec(spec)?;
    let profiles = Profile::parse_list(spec)?;
    Ok((table, profiles))
}

/// The differences from `from` to `to` (profile specs as `--profile` takes them).
pub fn diff(from: &str, to: &str) -> Result<Diff, String> {
    let (ta, pa) = layering(from)?;
    let (tb, pb) = layering(to)?;
    let pair_rows = |t: &Table, s: State, e: Event| -> Vec<NumberedRow> {
        t.numbered()
            .filter(|(_, r)| r.from == s && r.event == e)
            .map(|(id, r)| NumberedRow { id: id.0, row: *r })
            .collect()
    };
    let mut rows = Vec::new();
    for state in State::ALL {
        for event in Event::ALL {
            let before = pair_rows(&ta, state, event);
            let after = pair_rows(&tb, state, event);
            let ids = |v: &[NumberedRow]| v.iter().map(|r| RowId(r.id)).collect::<Vec<_>>();
            if ids(&before) == ids(&after) {
                continue;
            }
            let behaviour = |v: &[NumberedRow]| {
                v.iter()
                    .map(|r| (r.row.guard, r.row.actions, r.row.to))
                    .collect::<Vec<_>>()
            };
            let kind = match (before.is_empty(), after.is_empty()) {
                (true, _) => "added",
                (_, true) => "removed",
                _ => "replaced",
            };
            rows.push(PairChange {
                state,
                event,
                kind,
                same_behaviour: behaviour(&before) == behaviour(&after),
                before,
                after,
            });
        }
    }
    // Parameters: the values each layering gives RFC 9293's defaults (1 tick = 1 ms),
    // with RTTs measured by RFC 6298 as the interpreter measures them (the checker does
    // not: its `checker` column says so).
    let base = Config {
        rtt: Some(crate::rtt::Estimator::Rfc6298),
        ..Config::default()
    };
    let ca = crate::profile::configure(base, &pa, 1);
    let cb = crate::profile::configure(base, &pb, 1);
    let sa = settings(&pa);
    let sb = settings(&pb);
    let mut params = Vec::new();
    for name in Param::NAMES {
        let before = Param::describe(name, &ca, 1);
        let after = Param::describe(name, &cb, 1);
        if before == after {
            continue;
        }
        let set = sb
            .iter()
            .chain(sa.iter())
            .find(|(_, s)| s.param.name() == name);
        let Some((profile, s)) = set else { continue };
        params.push(ParamChange {
            name,
            before,
            after,
            profile,
            source: s.source,
            timing: s.param.is_timing(),
            checker_honours: s.param.checker_honours(),
        });
    }
    Ok(Diff {
        from: from.to_string(),
        to: to.to_string(),
        rows,
        params,
    })
}

fn row_cell(r: &NumberedRow) -> String {
    let guard = match r.row.guard {
        Guard::Any => "",
        Guard::OpenedPassively => "[opened passively] ",
        Guard::OpenedActively => "[opened actively] ",
    };
    let next = if r.row.is_transition() {
        r.row.to.rfc_name()
    } else {
        "(stay)"
    };
    format!(
        "{} {guard}{} → {next}",
        r.id,
        actions_text(&r.row).replace('|', "\\|")
    )
}

impl Diff {
    /// The diff as Markdown: a table of rows, then one of parameters.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# `{}` → `{}`\n", self.from, self.to);
        let _ = writeln!(
            s,
            "## Rows: {} (state, event) pairs differ\n",
            self.rows.len()
        );
        if !self.rows.is_empty() {
            let _ = writeln!(
                s,
                "| state | event | `{}` | `{}` | source |",
                self.from, self.to
            );
            let _ = writeln!(s, "|---|---|---|---|---|");
            for c in &self.rows {
                let cells =
                    |v: &[NumberedRow]| v.iter().map(row_cell).collect::<Vec<_>>().join("<br>");
                let mut sources: Vec<&str> = c.after.iter().map(|r| r.row.rfc).collect();
                sources.dedup();
                let same = if c.same_behaviour {
                    " (same behaviour, restated)"
                } else {
                    ""
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {}{same} |",
                    c.state,
                    c.event.id(),
                    cells(&c.before),
                    cells(&c.after),
                    sources.join("; ").replace('|', "\\|")
                );
            }
            s.push('\n');
        }
        let _ = writeln!(s, "## Parameters: {} differ\n", self.params.len());
        if !self.params.is_empty() {
            let _ = writeln!(
                s,
                "| parameter | `{}` | `{}` | set by | source | checker |",
                self.from, self.to
            );
            let _ = writeln!(s, "|---|---|---|---|---|---|");
            for p in &self.params {
                let checker = if p.checker_honours {
                    "applied"
                } else if p.timing {
                    "abstracted (a time)"
                } else {
                    "not applied"
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {checker} |",
                    p.name,
                    p.before,
                    p.after,
                    p.profile,
                    p.source.replace('|', "\\|")
                );
            }
        }
        s
    }

    /// The diff as pretty JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the diff serializes")
    }
}
