//! `interpreter diff`: one script run on the model and on this machine's kernel, and
//! where the two part.
//!
//! A run stops at the first line where its stack departs from the script, and up to that
//! line everything the stack did is what the script says. So the first point where the
//! model and the kernel differ is the earlier of their two stopping lines: there one of
//! them did what the script says and the other did not, or both departed differently.
//! Two runs that pass, or that depart at the same line doing the same thing, agree.

use crate::options::Options;
use crate::run::{Run, RunError, Verdict, run_source};
use crate::script::{Action, When};
use crate::transcript::{Departure, Entry, Failure, Kind, Seen, Source, Step};
use model::{Flags, State};
use serde::Serialize;
use std::fmt::Write as _;

/// What one stack did at the line where the two differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Did {
    /// `pass`, `fail` or `bad script`: how this stack's run ended.
    pub verdict: String,
    /// What it sent or returned at that line (or how it departed from the script).
    pub did: String,
    /// How it departed from the script at that line, typed; `None` where it did what the
    /// script says. Not in the JSON.
    #[serde(skip)]
    pub departure: Option<Departure>,
    /// The segment it sent there when a `>` line expected another. Not in the JSON.
    #[serde(skip)]
    pub sent: Option<Seen>,
}

/// The statement where the two differ, typed: where one stack did what it says, this is
/// what that stack did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Line {
    /// `>`: a segment expected, with these control bits; `range` when its time is a range
    /// `t~u` (`fuzz-diff` writes a timer's segment so).
    Outbound {
        /// The control bits.
        flags: Flags,
        /// The time is a range.
        range: bool,
    },
    /// `<`: a segment injected.
    Inbound {
        /// The control bits.
        flags: Flags,
    },
    /// A system call.
    Call,
    /// `state X`.
    Assert(State),
    /// Anything else (or a script that does not parse).
    #[default]
    Other,
}

/// The first point where the model and the kernel differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// 1-based line of the script.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The statement there, as written.
    pub statement: String,
    /// What the model did.
    pub model: Did,
    /// What the kernel did.
    pub kernel: Did,
    /// The model's table rows behind what it did there (`row 12 [rcv FIN] ESTABLISHED ->
    /// CLOSE-WAIT`): the rows of the last statement at or before that line that applied
    /// any.
    pub rows: Vec<String>,
    /// The statement, typed. Not in the JSON.
    #[serde(skip)]
    pub line_kind: Line,
    /// The states the model's rows there started from (as `rows`). Not in the JSON.
    #[serde(skip)]
    pub row_states: Vec<State>,
}

/// One script's comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    /// The script's name (its path).
    pub script: String,
    /// The model's profile.
    pub profile: String,
    /// The kernel (`linux 6.18.44 (live)`).
    pub kernel: String,
    /// The model and the kernel did the same.
    pub agree: bool,
    /// How the model's run ended (`pass`, `fail 11:1`, `bad script 3:1`).
    pub model_verdict: String,
    /// How the kernel's run ended.
    pub kernel_verdict: String,
    /// Where they first differ (none when they agree).
    pub difference: Option<Difference>,
    /// The script is wrong (the model calls it a bad script): exit 2.
    pub bad_script: bool,
    /// The kernel's run was cut at `--max-seconds` (real time cannot be skipped) and the
    /// two agree up to there: not a difference, not a full agreement either.
    pub cut_short: bool,
    /// Both runs, with their transcripts.
    pub runs: [Run; 2],
}

/// Where a run departed from the script, if it did: line, column, and the failure (`None`
/// for a bad script).
fn stop(run: &Run) -> Option<(usize, usize, Option<&Failure>)> {
    match &run.verdict {
        Verdict::Pass => None,
        Verdict::Fail { failure } => Some((failure.line, failure.column, Some(failure))),
        Verdict::BadScript { line, column, .. } => Some((*line, *column, None)),
    }
}

/// `pass`, `fail 11:1`, `bad script 3:1`.
fn verdict_text(run: &Run) -> String {
    match &run.verdict {
        Verdict::Pass => "pass".to_string(),
        Verdict::Fail { failure } => format!("fail {}:{}", failure.line, failure.column),
        Verdict::BadScript { line, column, .. } => format!("bad script {line}:{column}"),
    }
}

fn verdict_word(run: &Run) -> String {
    match &run.verdict {
        Verdict::Pass => "pass",
        Verdict::Fail { .. } => "fail",
        Verdict::BadScript { .. } => "bad script",
    }
    .to_string()
}

/// How a run departed from the script: its message, and what it did instead.
fn departure(run: &Run) -> String {
    match &run.verdict {
        Verdict::Pass => "as the script".to_string(),
        Verdict::Fail { failure: f } => match &f.actual {
            Some(a) => format!("{}: {a}", f.message),
            None => f.message.clone(),
        },
        Verdict::BadScript { message, .. } => format!("bad script: {message}"),
    }
}

/// What a run did at `line`, where it did what the script says.
fn as_the_script(run: &Run, line: usize) -> String {
    let at: Vec<&Entry> = run.transcript.iter().filter(|e| e.line == line).collect();
    let outbound = at.iter().find(|e| e.kind == Kind::Outbound);
    if let Some(e) = outbound {
        return format!(
            "sent {}",
            e.matched.clone().unwrap_or_else(|| e.text.clone())
        );
    }
    if let Some(e) = at
        .iter()
        .rev()
        .find(|e| matches!(e.kind, Kind::Return | Kind::Call) && e.result.is_some())
    {
        return format!("returned {}", e.result.clone().unwrap_or_default());
    }
    if let Some(e) = at.iter().find(|e| e.kind == Kind::Assert) {
        return format!("in {}", e.state);
    }
    if at.iter().any(|e| e.kind == Kind::Inbound) {
        return "took the segment".to_string();
    }
    "as the script".to_string()
}

fn did(run: &Run, line: usize, column: usize) -> Did {
    let (text, departed, sent) = match stop(run) {
        Some((l, c, f)) if (l, c) == (line, column) || l == line => (
            departure(run),
            Some(f.map_or(Departure::Other, |f| f.how.departure)),
            f.and_then(|f| f.how.sent),
        ),
        _ => (as_the_script(run, line), None, None),
    };
    Did {
        verdict: verdict_word(run),
        did: text,
        departure: departed,
        sent,
    }
}

/// The statement of `source` at `line`, typed.
fn line_kind(source: &str, line: usize) -> Line {
    let Ok(parsed) = crate::script::parse(source, false) else {
        return Line::Other;
    };
    let src = Source::new(source);
    let Some(st) = parsed
        .statements
        .iter()
        .find(|st| src.place(st.span.start).line == line)
    else {
        return Line::Other;
    };
    match &st.action {
        Action::Outbound(p) => Line::Outbound {
            flags: p.flags,
            range: matches!(st.when, When::Within(..)),
        },
        Action::Inbound(p) => Line::Inbound { flags: p.flags },
        Action::Call(_) => Line::Call,
        Action::Assert(state, ..) => Line::Assert(*state),
        _ => Line::Other,
    }
}

/// The states the model's rows behind what it did at `line` started from.
fn row_states(model: &Run, line: usize) -> Vec<State> {
    model
        .transcript
        .iter()
        .rfind(|e| e.line <= line && !e.steps.is_empty())
        .map(|e| e.steps.iter().map(|s| s.from).collect())
        .unwrap_or_default()
}

fn step_text(s: &Step) -> String {
    let change = if s.from == s.to {
        format!("{} (stays)", s.from)
    } else {
        format!("{} -> {}", s.from, s.to)
    };
    format!("row {} [{}] {change}", s.row.0, s.event.id())
}

/// The model's rows behind what it did at `line`.
fn rows(model: &Run, line: usize) -> Vec<String> {
    model
        .transcript
        .iter()
        .rfind(|e| e.line <= line && !e.steps.is_empty())
        .map(|e| e.steps.iter().map(step_text).collect())
        .unwrap_or_default()
}

/// Compares a model run and a kernel run of `source`.
pub fn compare(source: &str, model: Run, kernel: Run) -> Diff {
    let (ms, ks) = (stop(&model), stop(&kernel));
    let bad_script = matches!(model.verdict, Verdict::BadScript { .. });
    let cut = |r: &Run| match &r.verdict {
        Verdict::Fail { failure } => failure
            .message
            .starts_with(crate::engine::PAST_REAL_TIME_LIMIT),
        _ => false,
    };
    // Cut short before the model departs: they agree as far as the kernel went.
    let cut_short = cut(&kernel)
        && match (ms, ks) {
            (None, _) => true,
            (Some((ml, mc, _)), Some((kl, kc, _))) => (ml, mc) >= (kl, kc),
            (Some(_), None) => false,
        };
    let same_departure = match (ms, ks) {
        (None, None) => true,
        (Some((ml, mc, mf)), Some((kl, kc, kf))) => {
            let key = |f: Option<&Failure>| {
                f.map(|f| (f.message.clone(), f.actual.as_deref().map(without_tsval)))
            };
            (ml, mc) == (kl, kc) && key(mf) == key(kf)
        }
        _ => false,
    };
    let difference = (!same_departure && !cut_short).then(|| {
        let (line, column) = match (ms, ks) {
            (Some((ml, mc, _)), Some((kl, kc, _))) => (ml, mc).min((kl, kc)),
            (Some((l, c, _)), None) | (None, Some((l, c, _))) => (l, c),
            (None, None) => (0, 0),
        };
        let src = Source::new(source);
        let statement = source
            .get(src.offset_of(line, 1)..)
            .and_then(|s| s.lines().next())
            .unwrap_or("")
            .trim()
            .to_string();
        Difference {
            line,
            column,
            statement,
            model: did(&model, line, column),
            kernel: did(&kernel, line, column),
            rows: rows(&model, line),
            line_kind: line_kind(source, line),
            row_states: row_states(&model, line),
        }
    });
    Diff {
        script: model.script.clone(),
        profile: model.profile.clone(),
        kernel: kernel.profile.clone(),
        agree: difference.is_none() && !cut_short,
        model_verdict: verdict_text(&model),
        kernel_verdict: verdict_text(&kernel),
        difference,
        bad_script,
        cut_short,
        runs: [model, kernel],
    }
}

/// A segment's text with its TSval masked (`TS val *`): the kernel's comes from its own
/// clock and a random offset (`tcp_ns_to_ts()`, `secure_tcp_ts_off()`), and a script's
/// outbound `TS val` is never checked, so two departures that differ only there are one.
fn without_tsval(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("TS val ") {
        out.push_str(&rest[..i + "TS val ".len()]);
        rest = rest[i + "TS val ".len()..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('*');
    }
    out.push_str(rest);
    out
}

/// Runs `source` on the model (with `opts`) and on this machine's kernel, and compares.
/// The caller checks the privileges first ([`crate::live::check_privileges`]).
pub fn diff_source(name: &str, source: &str, opts: &Options) -> Result<Diff, RunError> {
    let model = run_source(name, source, opts)?;
    if matches!(model.verdict, Verdict::BadScript { .. }) {
        // Nothing runs on the kernel for a script the model cannot read.
        let kernel = model.clone();
        let mut d = compare(source, model, kernel);
        d.kernel = crate::live::kernel_name();
        return Ok(d);
    }
    let kernel = crate::live::run_source(name, source, opts)?;
    Ok(compare(source, model, kernel))
}

impl Diff {
    /// 0 when the two agree, 1 when they differ or the kernel's run was cut short, 2 for
    /// a bad script.
    pub fn exit_code(&self) -> u8 {
        if self.bad_script {
            2
        } else if self.agree {
            0
        } else {
            1
        }
    }

    /// The report for people: agreement, or the first difference.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# {} (model: profile {}; kernel: {})",
            self.script, self.profile, self.kernel
        );
        if self.bad_script {
            let _ = writeln!(
                s,
                "BAD SCRIPT ({}): not run on the kernel",
                self.model_verdict
            );
            return s;
        }
        if self.cut_short {
            let _ = writeln!(
                s,
                "CUT SHORT: the kernel's run stopped at {} (live --max-seconds); they agree up \
                 to there",
                self.kernel_verdict.trim_start_matches("fail ")
            );
            return s;
        }
        let Some(d) = &self.difference else {
            let how = if self.model_verdict == "pass" {
                "both pass".to_string()
            } else {
                format!(
                    "both depart from the script at {} the same way",
                    self.model_verdict.trim_start_matches("fail ")
                )
            };
            let _ = writeln!(s, "AGREE ({how})");
            return s;
        };
        let _ = writeln!(s, "DIFFER at {}:{}: {}", d.line, d.column, d.statement);
        let _ = writeln!(s, "  model ({}):  {}", self.model_verdict, d.model.did);
        let _ = writeln!(s, "  kernel ({}): {}", self.kernel_verdict, d.kernel.did);
        if d.rows.is_empty() {
            let _ = writeln!(s, "  table: no row applied yet");
        }
        for r in &d.rows {
            let _ = writeln!(s, "  table: {r}");
        }
        // The class `fuzz-diff` would name (README, "Kernel and model: the remaining
        // differences"); its rules read scripts as `fuzz-diff` writes them.
        match crate::fuzz::explain(d) {
            Some(class) => {
                let _ = writeln!(s, "  class: {class}");
            }
            None => {
                let _ = writeln!(s, "  class: none fuzz-diff names");
            }
        }
        s
    }
}

/// The summary table across scripts, and the totals.
pub fn summary(diffs: &[Diff]) -> String {
    let mut s = String::new();
    let width = diffs
        .iter()
        .map(|d| d.script.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        s,
        "{:<width$}  {:<16}  {:<16}  {:<6}  first difference",
        "script", "model", "kernel", "agree"
    );
    let _ = writeln!(s, "{}", "-".repeat(width + 62));
    for d in diffs {
        let first = match (&d.difference, d.bad_script) {
            (_, true) => "bad script".to_string(),
            (None, _) if d.cut_short => "kernel cut at --max-seconds".to_string(),
            (None, _) => String::new(),
            (Some(x), _) => format!("{}:{} {}", x.line, x.column, x.statement),
        };
        let agree = match (d.bad_script, d.agree) {
            (true, _) => "-",
            _ if d.cut_short => "so far",
            (_, true) => "yes",
            _ => "no",
        };
        let row = format!(
            "{:<width$}  {:<16}  {:<16}  {:<6}  {first}",
            d.script, d.model_verdict, d.kernel_verdict, agree
        );
        let _ = writeln!(s, "{}", row.trim_end());
    }
    let agree = diffs.iter().filter(|d| d.agree && !d.bad_script).count();
    let bad = diffs.iter().filter(|d| d.bad_script).count();
    let cut = diffs
        .iter()
        .filter(|d| d.cut_short && !d.bad_script)
        .count();
    let _ = writeln!(
        s,
        "{} script(s): {agree} agree, {} differ, {cut} cut short, {bad} bad",
        diffs.len(),
        diffs.len() - agree - bad - cut
    );
    s
}

#[cfg(test)]
mod tests {
    use super::without_tsval;

    #[test]
    fn departures_differing_only_in_tsval_are_the_same() {
        let model = "window: S 0:0(0) win 64240 <mss 1460,sackOK,TS val 0 ecr 0,wscale 7>";
        let kernel =
            "window: S 0:0(0) win 64240 <mss 1460,sackOK,TS val 1326823955 ecr 0,wscale 7>";
        assert_eq!(without_tsval(model), without_tsval(kernel));
        // The echo is the script's own value: still compared.
        assert_ne!(
            without_tsval("TS val 5 ecr 100"),
            without_tsval("TS val 5 ecr 101")
        );
        assert_eq!(without_tsval("no options"), "no options");
    }
}
