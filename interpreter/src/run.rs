//! Running a whole script, and what a run produces: a transcript as text or JSON, and
//! errors rendered with the offending line and a caret (miette).

use crate::script::{self, ParseError};
use crate::session::{Entry, Failure, Kind, Options, Session, place, seconds};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, NamedSource, SourceSpan};
use model::RowId;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// How a run ended.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Verdict {
    /// Every expectation held.
    Pass,
    /// An expectation failed (exit 1).
    Fail {
        /// What failed.
        failure: Failure,
    },
    /// The script is malformed (exit 2).
    BadScript {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

impl Verdict {
    /// The verdict a run that stopped on `f` gets: a bad script, or a failed expectation.
    pub fn of(f: Failure) -> Verdict {
        if f.bad_script {
            Verdict::BadScript {
                line: f.line,
                column: f.column,
                message: f.message,
            }
        } else {
            Verdict::Fail { failure: f }
        }
    }
}

/// One script's run.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    /// The script's name (its path).
    pub script: String,
    /// The profile the endpoint followed.
    pub profile: String,
    /// What happened, statement by statement.
    pub transcript: Vec<Entry>,
    /// How it ended.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Table rows fired, by id.
    #[serde(skip)]
    pub fired: BTreeSet<RowId>,
    /// TCBs seen per state (for coverage reasons).
    #[serde(skip)]
    pub samples: Vec<Vec<model::Tcb>>,
    /// Byte offset the error points at.
    #[serde(skip)]
    pub error_offset: Option<usize>,
}

impl Run {
    /// 0 pass, 1 an expectation failed, 2 the script is malformed.
    pub fn exit_code(&self) -> u8 {
        match self.verdict {
            Verdict::Pass => 0,
            Verdict::Fail { .. } => 1,
            Verdict::BadScript { .. } => 2,
        }
    }
}

/// Parses and runs a script. Never panics, whatever the input.
pub fn run_source(name: &str, source: &str, opts: &Options) -> Result<Run, String> {
    let parsed = script::parse(source, true);
    // A script's `--name=value` lines take precedence: they are part of the scenario.
    let mut opts = opts.clone();
    let mut option_error = None;
    let mut notices = Vec::new();
    if let Ok(p) = &parsed {
        for o in &p.options {
            match opts.set(&o.name, &o.value) {
                Ok(None) => {}
                Ok(Some(notice)) => notices.push((o.span.clone(), notice)),
                Err(e) => {
                    option_error = Some(ParseError {
                        offset: o.span.start,
                        message: e,
                    });
                    break;
                }
            }
        }
    }
    let mut session = Session::new(opts.clone())?;
    for (span, notice) in notices {
        let p = place(source, span.start);
        session.notice(p.line, p.column, source[span].to_string(), notice);
    }
    let mut run = Run {
        script: name.to_string(),
        profile: opts.profile.clone(),
        transcript: Vec::new(),
        verdict: Verdict::Pass,
        fired: BTreeSet::new(),
        samples: Vec::new(),
        error_offset: None,
    };
    let parsed = match (parsed, option_error) {
        (Ok(_), Some(e)) => Err(e),
        (p, _) => p,
    };
    match parsed {
        Err(ParseError { offset, message }) => {
            let p = place(source, offset);
            run.verdict = Verdict::BadScript {
                line: p.line,
                column: p.column,
                message,
            };
            run.error_offset = Some(offset);
        }
        Ok(parsed) => {
            let mut result = Ok(());
            for st in &parsed.statements {
                result = session.run(st, source);
                if result.is_err() {
                    break;
                }
            }
            if result.is_ok() {
                result = session.finish();
            }
            if let Err(f) = result {
                run.error_offset = Some(offset_of(source, f.line, f.column));
                run.verdict = Verdict::of(f);
            }
        }
    }
    run.transcript = session.entries().to_vec();
    run.fired = session.fired().clone();
    run.samples = session.samples().to_vec();
    Ok(run)
}

/// The byte offset of a 1-based line and column.
pub fn offset_of(source: &str, line: usize, column: usize) -> usize {
    let start: usize = source
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &source[start.min(source.len())..];
    let col = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(rest.len(), |(i, _)| i);
    start + col
}

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
struct Report {
    message: String,
    #[source_code]
    src: NamedSource<String>,
    #[label("{label}")]
    at: SourceSpan,
    label: String,
    #[help]
    help: Option<String>,
}

/// The error of a run, with the line it concerns and a caret under the column.
pub fn render_error(run: &Run, source: &str, color: bool) -> Option<String> {
    let offset = run.error_offset?;
    let len = source[offset.min(source.len())..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .map(char::len_utf8)
        .sum::<usize>()
        .max(1)
        .min(source.len().saturating_sub(offset).max(1));
    let (message, label, help) = match &run.verdict {
        Verdict::Pass => return None,
        Verdict::BadScript { message, .. } => {
            (format!("bad script: {message}"), "here".to_string(), None)
        }
        Verdict::Fail { failure: f } => {
            let mut help = String::new();
            if let Some(e) = &f.expected {
                let _ = writeln!(help, "expected: {e}");
            }
            if let Some(a) = &f.actual {
                let _ = writeln!(help, "actual:   {a}");
            }
            let _ = write!(help, "endpoint: {}", f.tcb);
            (
                format!("expectation failed: {}", f.message),
                f.message.clone(),
                Some(help),
            )
        }
    };
    let report = Report {
        message,
        src: NamedSource::new(run.script.clone(), source.to_string()),
        at: (
            offset.min(source.len()),
            if offset >= source.len() { 0 } else { len },
        )
            .into(),
        label,
        help,
    };
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .render_report(&mut out, &report)
        .ok()?;
    Some(out)
}

/// The transcript as text: each statement, the state changes it caused and what was sent.
pub fn transcript(run: &Run) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {} (profile {})", run.script, run.profile);
    for e in &run.transcript {
        write_entry(&mut s, e);
    }
    let _ = match &run.verdict {
        Verdict::Pass => writeln!(s, "PASS"),
        Verdict::Fail { failure: f } => {
            writeln!(s, "FAIL at {}:{}: {}", f.line, f.column, f.message)
        }
        Verdict::BadScript {
            line,
            column,
            message,
        } => writeln!(s, "BAD SCRIPT at {line}:{column}: {message}"),
    };
    s
}

/// One transcript entry as text.
pub fn write_entry(s: &mut String, e: &Entry) {
    let head = match e.kind {
        Kind::Timer => format!("{:>4} {:>8}  ({})", "", seconds(e.time), e.text),
        Kind::Return => format!("{:>4} {:>8}  returns: {}", e.line, seconds(e.time), e.text),
        _ => format!("{:>4} {:>8}  {}", e.line, seconds(e.time), e.text),
    };
    let _ = write!(s, "{head}");
    if let Some(r) = &e.result {
        let _ = write!(s, "  => {r}");
    }
    if e.kind == Kind::Outbound {
        let _ = write!(s, "  (matched)");
    }
    let _ = writeln!(s);
    for step in &e.steps {
        let change = if step.from == step.to {
            format!("{} (stays)", step.from)
        } else {
            format!("{} -> {}", step.from, step.to)
        };
        let _ = writeln!(
            s,
            "{:>15}{}: {change}  [{} · row {}]",
            "",
            step.socket,
            step.event.id(),
            step.row.0
        );
        for w in &step.sent {
            let _ = writeln!(s, "{:>15}  sends {}", "", w.text);
        }
    }
    if let Some(n) = &e.notice {
        let _ = writeln!(s, "{:>15}notice: {n}", "");
    }
}
