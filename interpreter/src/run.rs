//! Running a whole script, and what a run produces: a transcript as text or JSON, and
//! errors rendered with the offending line and a caret (miette).

use crate::engine::Engine;
use crate::script::{self, ParseError};
use crate::session::{Entry, Failure, Kind, Options, Session, Source, place, seconds};
use crate::stack::Stack;
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
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

/// The largest script (or REPL input line) read: 16 MiB, far beyond any real script, so
/// `/dev/zero` or a runaway file is an error instead of eating the machine's memory.
pub const MAX_INPUT: usize = 16 << 20;

/// Reads a script file as UTF-8 text, at most [`MAX_INPUT`] bytes; the error names the
/// file and, for a file too large, the limit.
pub fn read_script(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read as _;
    let name = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{name}: {e}"))?;
    if bytes.len() > MAX_INPUT {
        return Err(format!(
            "{name}: larger than the {} MiB limit for a script",
            MAX_INPUT >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let p = place(
            &String::from_utf8_lossy(e.as_bytes()),
            e.utf8_error().valid_up_to(),
        );
        format!("{name}:{}:{}: not UTF-8 text", p.line, p.column)
    })
}

/// Writes `text` and a newline to stderr, ignoring a closed stderr (`| head` closes it):
/// `eprintln!` would panic.
pub fn eprint_line(text: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Why a script could not be run at all. A script that fails, or that is wrong, is a
/// [`Run`] with its verdict, not this.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The profile (`--profile`, or a script's `--profile=` line) is not one the table
    /// knows.
    #[error("{0}")]
    Profile(String),
    /// The kernel side of a live run could not be set up or driven.
    #[error(transparent)]
    Live(#[from] crate::live::LiveError),
}

/// Parses and runs a script against the table's endpoint. Never panics, whatever the
/// input.
pub fn run_source(name: &str, source: &str, opts: &Options) -> Result<Run, RunError> {
    let (mut run, session) = run_engine(name, source, opts, |o| Session::new(o.clone()))?;
    run.fired = session.fired().clone();
    run.samples = session.samples().to_vec();
    Ok(run)
}

/// Parses and runs a script against the stack `make` builds (given the options the
/// script's own lines set), and returns the run and the engine. The run's profile is the
/// model's; a stack without rows leaves `fired` and `samples` empty.
pub fn run_engine<S: Stack>(
    name: &str,
    source: &str,
    opts: &Options,
    make: impl FnOnce(&Options) -> Result<Engine<S>, RunError>,
) -> Result<(Run, Engine<S>), RunError> {
    let parsed = script::parse_with(source, true, &opts.defines);
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
                        message: e.to_string(),
                    });
                    break;
                }
            }
        }
    }
    // `sysctl` set-up before the first system call or segment is read as configuration,
    // never executed: the model's options, or for the kernel the Linux sysctls its
    // namespace gets (as `live --sysctl` writes them).
    let mut setup = Vec::new();
    if let (Ok(p), None) = (&parsed, &option_error) {
        setup = if S::REAL_TIME {
            crate::setup::read_script_live(source, &p.statements, &mut opts)
        } else {
            crate::setup::read_script(source, &p.statements, &mut opts)
        };
    }
    let mut session = make(&opts)?;
    let src = Source::new(source);
    for (offset, notice) in setup {
        session.setup_notice(offset, notice);
    }
    for (span, notice) in notices {
        let p = src.place(span.start);
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
        (Ok(p), None) if p.statements.is_empty() => Err(ParseError {
            offset: 0,
            message: "the script has no statements: nothing to run (a script needs at least one, e.g. `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3`)".to_string(),
        }),
        (p, _) => p,
    };
    match parsed {
        Err(ParseError { offset, message }) => {
            let p = src.place(offset);
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
                result = session.run(st, &src);
                if result.is_err() {
                    break;
                }
            }
            if result.is_ok() {
                result = session.finish();
            }
            if let Err(f) = result {
                run.error_offset = Some(src.offset_of(f.line, f.column));
                run.verdict = Verdict::of(f);
            }
        }
    }
    run.transcript = session.entries().to_vec();
    Ok((run, session))
}

/// The byte offset of a 1-based line and column.
pub fn offset_of(source: &str, line: usize, column: usize) -> usize {
    Source::new(source).offset_of(line, column)
}

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
struct Report {
    message: String,
    #[source_code]
    src: Abridged,
    #[label("{label}")]
    at: SourceSpan,
    label: String,
    #[help]
    help: Option<String>,
}

/// Lines longer than this are shown abridged in an error: a window around the column.
const SHOWN: usize = 160;

/// The source as an error shows it: every line longer than [`SHOWN`] characters is cut to
/// a window (around the error's column on the error's line), so the renderer never sees a
/// huge line (miette panics on columns past 65,535). Line numbers stay; the primary
/// label's column is reported as it is in the real source.
#[derive(Debug)]
struct Abridged {
    name: String,
    text: String,
    /// The error's offset in `text`, and its real 0-based column.
    at: usize,
    column: usize,
}

impl Abridged {
    /// `source` abridged, and the error's offset in it.
    fn new(name: &str, source: &str, offset: usize) -> Abridged {
        let src = Source::new(source);
        let place = src.place(offset);
        let (mut text, mut at) = (String::new(), 0);
        for (i, line) in source.split_inclusive('\n').enumerate() {
            let (body, end) = match line.strip_suffix('\n') {
                Some(b) => (b, "\n"),
                None => (line, ""),
            };
            let n = body.chars().count();
            let here = i + 1 == place.line;
            if n <= SHOWN {
                if here {
                    at = text.len()
                        + body
                            .chars()
                            .take(place.column - 1)
                            .map(char::len_utf8)
                            .sum::<usize>();
                }
                text.push_str(line);
                continue;
            }
            let from = if here {
                (place.column - 1).saturating_sub(SHOWN / 2)
            } else {
                0
            };
            let to = (from + SHOWN).min(n);
            if from > 0 {
                let _ = write!(text, "[{from} characters] ");
            }
            if here {
                let skip = place.column - 1 - from;
                at = text.len()
                    + body
                        .chars()
                        .skip(from)
                        .take(skip)
                        .map(char::len_utf8)
                        .sum::<usize>();
            }
            text.extend(body.chars().skip(from).take(to - from));
            if to < n {
                let _ = write!(text, " [{} more characters]", n - to);
            }
            text.push_str(end);
        }
        if place.line > source.split_inclusive('\n').count() {
            at = text.len();
        }
        Abridged {
            name: name.to_string(),
            text,
            at,
            column: place.column - 1,
        }
    }
}

impl SourceCode for Abridged {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let c = self.text.read_span(span, before, after)?;
        let column = if span.offset() == self.at && before == 0 && after == 0 {
            self.column
        } else {
            c.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            c.data(),
            *c.span(),
            c.line(),
            column,
            c.line_count(),
        )))
    }
}

/// The error of a run, with the line it concerns and a caret under the column.
pub fn render_error(run: &Run, source: &str, color: bool) -> Option<String> {
    let offset = run.error_offset?.min(source.len());
    let src = Abridged::new(&run.script, source, offset);
    let rest = &src.text[src.at..];
    let len = rest
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(SHOWN)
        .map(char::len_utf8)
        .sum::<usize>()
        .max(1)
        .min(rest.len());
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
        at: (src.at, len).into(),
        src,
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
        if let Some(note) = &step.note {
            let _ = writeln!(s, "{:>15}  {note}", "");
        }
        for w in &step.sent {
            let _ = writeln!(s, "{:>15}  sends {}", "", w.text);
        }
    }
    if let Some(n) = &e.notice {
        let _ = writeln!(s, "{:>15}notice: {n}", "");
    }
}
