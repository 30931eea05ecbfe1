//! The REPL: script statements one at a time against one endpoint, or two endpoints and
//! a channel driven by hand. [`Repl::handle`] is the whole behaviour (tested directly);
//! [`main`] only adds a line editor on a terminal, or reads stdin on a pipe.

use crate::pair::{self, Pair};
use crate::run::{MAX_INPUT, Run, Verdict, eprint_line, read_script, render_error, write_entry};
use crate::script::{self, SYSCALLS};
use crate::session::{Options, SCRIPT_OPTIONS, Session, Source, seconds};
use model::State;
use rustyline::completion::{Completer, Pair as Candidate};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};
use std::io::{BufRead, IsTerminal, Read, Write};

/// The REPL's own commands, with their help.
pub const COMMANDS: &[(&str, &str)] = &[
    ("help", "this list; `help script` for the statement syntax"),
    (
        "state",
        "the endpoint's state (both endpoints' in pair mode)",
    ),
    ("tcb", "the TCB: sequence variables, queues, timers"),
    ("trace", "everything that happened so far"),
    ("reset", "start again with nothing open"),
    ("load FILE", "run a script's statements here"),
    (
        "profile P",
        "follow profile P (rfc9293, rfc793, rfc1337, ...) and reset",
    ),
    ("pair", "switch to two-endpoint mode: A, B and the channel"),
    (
        "single",
        "switch back to one endpoint driven by script statements",
    ),
    ("quit", "leave (also Ctrl-D)"),
];

const SCRIPT_HELP: &str = "\
Script statements, as in packetdrill (the time may be left out here: it means +0):
  0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
  +0 bind(3, ..., ...) = 0
  +0 listen(3, 1) = 0
  +0 < S 0:0(0) win 65535 <mss 1460>        inject a segment
  +0 > S. 0:0(0) ack 1                      expect the endpoint to send one
  +.1 < . 1:1(0) ack 1 win 65535
  +0 accept(3, ..., ...) = 4
  +0 write(4, ..., 100) = 100
  +0 > P. 1:101(100) ack 1
  +0 state ESTABLISHED                      assert the state
  +0 %{ assert tcpi_state == TCP_ESTABLISHED }%
  +1 close(4) = 0
Flags: S S. F. FP. P. R R. . -   Numbers after the SYN are relative, as packetdrill's.
Options: --name=value (";
/// What handling a line produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    /// Text for the user.
    pub text: String,
    /// 0 fine, 1 an expectation failed, 2 the line was not understood.
    pub code: u8,
    /// Leave the REPL.
    pub quit: bool,
}

impl Reply {
    fn ok(text: impl Into<String>) -> Reply {
        Reply {
            text: text.into(),
            ..Reply::default()
        }
    }
    fn err(text: impl Into<String>, code: u8) -> Reply {
        Reply {
            text: text.into(),
            code,
            quit: false,
        }
    }
}

enum Mode {
    Single(Box<Session>),
    Pair(Box<Pair>),
}

/// The REPL's state.
pub struct Repl {
    opts: Options,
    mode: Mode,
    color: bool,
}

impl Repl {
    /// A REPL with nothing open, in single or pair mode.
    pub fn new(opts: Options, pair_mode: bool) -> Result<Repl, String> {
        let mode = if pair_mode {
            Mode::Pair(Box::new(Pair::new(opts.clone())?))
        } else {
            Mode::Single(Box::new(
                Session::new(opts.clone()).map_err(|e| e.to_string())?,
            ))
        };
        Ok(Repl {
            opts,
            mode,
            color: false,
        })
    }

    /// The line a terminal session starts with: what this mode drives, and how to go on.
    pub fn banner(&self) -> &'static str {
        match self.mode {
            Mode::Single(_) => {
                "tcpfsm interpreter: one endpoint following the table, driven by script statements. `help` lists commands, `pair` drives two."
            }
            Mode::Pair(_) => {
                "tcpfsm interpreter, two-endpoint mode: A and B follow the table, you move the segments between them (`a listen`, `b connect`, `deliver 1`). `help` lists commands, `single` drives one endpoint by script statements."
            }
        }
    }

    /// The prompt: mode, time and state.
    pub fn prompt(&self) -> String {
        match &self.mode {
            Mode::Single(s) => format!("tcp {} {}> ", seconds(s.now()), s.state()),
            Mode::Pair(p) => {
                let (a, b) = p.states();
                format!("pair A:{} B:{}> ", a, b)
            }
        }
    }

    fn reset(&mut self) -> Result<(), String> {
        self.mode = match self.mode {
            Mode::Single(_) => Mode::Single(Box::new(
                Session::new(self.opts.clone()).map_err(|e| e.to_string())?,
            )),
            Mode::Pair(_) => Mode::Pair(Box::new(Pair::new(self.opts.clone())?)),
        };
        Ok(())
    }

    /// Handles one line.
    pub fn handle(&mut self, line: &str) -> Reply {
        let trimmed = line.trim();
        let mut words = trimmed.split_whitespace();
        let first = words.next().unwrap_or("");
        let rest: Vec<&str> = words.collect();
        match (first, rest.as_slice()) {
            ("", _) => Reply::ok(""),
            ("quit" | "exit", []) => Reply {
                quit: true,
                ..Reply::ok("")
            },
            ("help", []) => Reply::ok(self.help()),
            ("help", ["script"]) => Reply::ok(script_help()),
            ("reset", []) => match self.reset() {
                Ok(()) => Reply::ok("reset: nothing open"),
                Err(e) => Reply::err(e, 2),
            },
            ("profile", [p]) => {
                let mut opts = self.opts.clone();
                match opts.set("profile", p) {
                    Ok(_) => {
                        self.opts = opts;
                        match self.reset() {
                            Ok(()) => Reply::ok(format!("profile {p}; reset: nothing open")),
                            Err(e) => Reply::err(e, 2),
                        }
                    }
                    Err(e) => Reply::err(e.to_string(), 2),
                }
            }
            ("pair", []) => match Pair::new(self.opts.clone()) {
                Ok(p) => {
                    self.mode = Mode::Pair(Box::new(p));
                    Reply::ok(format!(
                        "two-endpoint mode: A and B are CLOSED, the channel is empty\n{}",
                        pair_help()
                    ))
                }
                Err(e) => Reply::err(e, 2),
            },
            ("single", []) => match Session::new(self.opts.clone()).map_err(|e| e.to_string()) {
                Ok(s) => {
                    self.mode = Mode::Single(Box::new(s));
                    Reply::ok("one-endpoint mode: nothing open")
                }
                Err(e) => Reply::err(e, 2),
            },
            ("load", [file]) => self.load(file),
            _ => match &mut self.mode {
                Mode::Pair(p) => match (first, rest.as_slice()) {
                    ("state", []) => Reply::ok(p.status()),
                    ("chart", [file]) => {
                        let mermaid = file.ends_with(".mmd") || file.ends_with(".md");
                        if !mermaid && !file.ends_with(".svg") {
                            return Reply::err("chart FILE: FILE ends in .svg or .mmd", 2);
                        }
                        match std::fs::write(file, p.chart(mermaid)) {
                            Ok(()) => Reply::ok(format!("wrote {file}")),
                            Err(e) => Reply::err(format!("error: {file}: {e}"), 2),
                        }
                    }
                    ("chart", _) => Reply::err(
                        "`chart` needs a FILE: `chart walk.svg` (SVG) or `chart walk.mmd` (Mermaid)",
                        2,
                    ),
                    ("tcb", []) => Reply::ok(p.tcbs()),
                    ("trace", []) => Reply::ok(p.trace()),
                    _ => match p.command(trimmed) {
                        Ok(t) => Reply::ok(t),
                        Err(e) => Reply::err(format!("error: {e}"), 2),
                    },
                },
                Mode::Single(s) => match (first, rest.as_slice()) {
                    ("state", []) => {
                        let mut t = format!("{}", s.state());
                        for (fd, st) in s.sockets() {
                            match fd {
                                Some(fd) => t.push_str(&format!("\n  fd {fd}: {st}")),
                                None => t.push_str(&format!("\n  connection (not accepted): {st}")),
                            }
                        }
                        Reply::ok(t)
                    }
                    ("tcb", []) => Reply::ok(s.tcb_text()),
                    ("chart", _) => Reply::err(
                        "`chart FILE` draws the two-endpoint walk: switch with `pair` first",
                        2,
                    ),
                    ("trace", []) => {
                        let mut t = String::new();
                        for e in s.entries() {
                            write_entry(&mut t, e);
                        }
                        Reply::ok(t.trim_end().to_string())
                    }
                    _ => self.statements(trimmed, "<repl>"),
                },
            },
        }
    }

    fn help(&self) -> String {
        let mut s = String::from("Commands:\n");
        for (c, h) in COMMANDS {
            s.push_str(&format!("  {c:<16} {h}\n"));
        }
        match self.mode {
            Mode::Single(_) => {
                s.push_str("Anything else is a script statement (see `help script`), e.g.\n");
                s.push_str("  socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n  connect(3, ..., ...) = -1 EINPROGRESS   (after fcntl O_NONBLOCK)\n  < S. 0:0(0) ack 1 win 1000");
            }
            Mode::Pair(_) => s.push_str(&pair_help()),
        }
        s
    }

    fn load(&mut self, file: &str) -> Reply {
        if matches!(self.mode, Mode::Pair(_)) {
            return Reply::err("load runs script statements: switch with `single` first", 2);
        }
        match read_script(std::path::Path::new(file)) {
            Ok(text) => self.statements(&text, file),
            Err(e) => Reply::err(format!("error: {e}"), 2),
        }
    }

    /// Parses and runs statements in the single-endpoint session.
    fn statements(&mut self, text: &str, name: &str) -> Reply {
        if !matches!(self.mode, Mode::Single(_)) {
            return Reply::err("not in single mode", 2);
        }
        let parsed = match script::parse(text, false) {
            Ok(p) => p,
            Err(e) => {
                let run = failed_run(
                    name,
                    crate::run::Verdict::BadScript {
                        line: 0,
                        column: 0,
                        message: e.message,
                    },
                    e.offset,
                );
                return Reply::err(render_error(&run, text, self.color).unwrap_or_default(), 2);
            }
        };
        if !parsed.options.is_empty() {
            let mut opts = self.opts.clone();
            for o in &parsed.options {
                match opts.set(&o.name, &o.value) {
                    Ok(Some(notice)) => return Reply::ok(format!("notice: {notice}")),
                    Ok(None) => {}
                    Err(e) => return Reply::err(format!("error: {e}"), 2),
                }
            }
            self.opts = opts;
            if let Err(e) = self.reset() {
                return Reply::err(e, 2);
            }
            if parsed.statements.is_empty() {
                return Reply::ok("option set; reset: nothing open");
            }
        }
        // `sysctl` set-up before the first system call or segment is read as the script
        // runner reads it (never executed): the options change and the session restarts,
        // keeping the set-up lines already shown.
        let mut setup = Vec::new();
        if let Mode::Single(session) = &self.mode
            && session
                .entries()
                .iter()
                .all(|e| e.kind == crate::transcript::Kind::Skip)
        {
            let mut opts = self.opts.clone();
            setup = crate::setup::read_script(text, &parsed.statements, &mut opts);
            if !setup.is_empty() {
                self.opts = opts;
                let shown = session.entries().to_vec();
                if let Err(e) = self.reset() {
                    return Reply::err(e, 2);
                }
                if let Mode::Single(s) = &mut self.mode {
                    s.restore_entries(shown);
                }
            }
        }
        let Mode::Single(session) = &mut self.mode else {
            return Reply::err("not in single mode", 2);
        };
        for (offset, notice) in setup {
            session.setup_notice(offset, notice);
        }
        let before = session.entries().len();
        let mut outcome = Ok(());
        let src = Source::new(text);
        for st in &parsed.statements {
            outcome = session.run(st, &src);
            if outcome.is_err() {
                break;
            }
        }
        let mut out = String::new();
        for e in &session.entries()[before..] {
            write_entry(&mut out, e);
        }
        match outcome {
            Ok(()) => Reply::ok(out.trim_end().to_string()),
            Err(f) => {
                let code = if f.bad_script { 2 } else { 1 };
                let offset = src.offset_of(f.line, f.column);
                let run = failed_run(name, Verdict::of(f), offset);
                out.push_str(&render_error(&run, text, self.color).unwrap_or_default());
                Reply::err(out.trim_end().to_string(), code)
            }
        }
    }
}

fn failed_run(name: &str, verdict: Verdict, offset: usize) -> Run {
    Run {
        script: name.to_string(),
        profile: String::new(),
        transcript: Vec::new(),
        verdict,
        fired: Default::default(),
        samples: Vec::new(),
        error_offset: Some(offset),
    }
}

fn script_help() -> String {
    let opts: Vec<String> = SCRIPT_OPTIONS
        .iter()
        .map(|(n, h)| format!("  --{n}=...  {h}"))
        .collect();
    format!(
        "{SCRIPT_HELP}at the start of a script):\n{}\nSystem calls: {}",
        opts.join("\n"),
        SYSCALLS.join(", ")
    )
}

fn pair_help() -> String {
    let mut s = String::from("Two-endpoint commands:\n");
    for (c, h) in pair::COMMANDS {
        s.push_str(&format!("  {c:<16} {h}\n"));
    }
    s.push_str("  state, tcb, trace, reset, single, help, quit");
    s
}

/// Words the line editor completes: commands, calls, flags and state names.
pub fn completions() -> Vec<String> {
    let mut words: Vec<String> = COMMANDS
        .iter()
        .map(|(c, _)| c.split_whitespace().next().unwrap_or(c).to_string())
        .collect();
    words.extend(["script", "deliver", "drop", "dup", "tick", "net"].map(String::from));
    words.extend(
        [
            "listen", "connect", "send", "recv", "close", "shutdown", "abort",
        ]
        .map(String::from),
    );
    words.extend(SYSCALLS.iter().map(|s| s.to_string()));
    words.extend(["S", "S.", "F.", "FP.", "P.", "R", "R.", "ack", "win"].map(String::from));
    words.extend(
        [
            "SOCK_STREAM",
            "IPPROTO_TCP",
            "SHUT_WR",
            "SHUT_RD",
            "SHUT_RDWR",
            "O_NONBLOCK",
            "F_SETFL",
            "F_GETFL",
            "SOL_SOCKET",
            "SO_LINGER",
        ]
        .map(String::from),
    );
    for s in State::ALL {
        words.push(s.id().to_string());
        words.push(s.linux_name().to_string());
    }
    words.sort();
    words.dedup();
    words
}

struct Complete {
    words: Vec<String>,
}

impl Completer for Complete {
    type Candidate = Candidate;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Candidate>)> {
        let start = line[..pos]
            .rfind(|c: char| c.is_whitespace() || "(,|[{".contains(c))
            .map_or(0, |i| i + 1);
        let word = &line[start..pos];
        let found = self
            .words
            .iter()
            .filter(|w| w.starts_with(word) && !word.is_empty())
            .map(|w| Candidate {
                display: w.clone(),
                replacement: w.clone(),
            })
            .collect();
        Ok((start, found))
    }
}
impl Hinter for Complete {
    type Hint = String;
}
impl Highlighter for Complete {}
impl Validator for Complete {}
impl Helper for Complete {}

/// Runs the REPL: a line editor on a terminal, plain lines from a pipe. Returns the exit
/// code: the worst of the lines' codes on a pipe, 0 on a terminal.
pub fn main(opts: Options, pair_mode: bool) -> u8 {
    let mut repl = match Repl::new(opts, pair_mode) {
        Ok(r) => r,
        Err(e) => {
            eprint_line(&format!("error: {e}"));
            return 2;
        }
    };
    if std::io::stdin().is_terminal() {
        repl.color = std::io::stdout().is_terminal();
        interactive(repl)
    } else {
        piped(repl)
    }
}

/// Lines from stdin, replies to stdout, until the input ends, `quit`, or stdout is gone
/// (`| head -1` closed it: nobody reads the replies, so reading on would only burn CPU).
fn piped(mut repl: Repl) -> u8 {
    let mut worst = 0;
    let mut stdin = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    let mut buf = Vec::new();
    for number in 1.. {
        buf.clear();
        match (&mut stdin)
            .take(MAX_INPUT as u64 + 1)
            .read_until(b'\n', &mut buf)
        {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprint_line(&format!("error: reading stdin: {e}"));
                return 2;
            }
        }
        if buf.len() > MAX_INPUT {
            eprint_line(&format!(
                "error: stdin:{number}: a line longer than the {} MiB limit",
                MAX_INPUT >> 20
            ));
            return 2;
        }
        let Ok(line) = std::str::from_utf8(&buf) else {
            eprint_line(&format!("error: stdin:{number}: not UTF-8 text"));
            return 2;
        };
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let r = repl.handle(line);
        let written = if r.text.is_empty() {
            out.flush()
        } else {
            writeln!(out, "{}", r.text)
        };
        worst = worst.max(r.code);
        if r.quit || written.is_err() {
            break;
        }
    }
    worst
}

fn interactive(mut repl: Repl) -> u8 {
    let config = Config::builder()
        .auto_add_history(true)
        .completion_type(CompletionType::List)
        .build();
    let Ok(mut rl) = Editor::<Complete, _>::with_config(config) else {
        eprint_line("error: cannot open the terminal");
        return 2;
    };
    rl.set_helper(Some(Complete {
        words: completions(),
    }));
    let history =
        std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".tcpfsm_history"));
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    let mut out = std::io::stdout();
    if writeln!(out, "{}", repl.banner()).is_err() {
        return 0;
    }
    loop {
        match rl.readline(&repl.prompt()) {
            Ok(line) => {
                let r = repl.handle(&line);
                let written = if r.text.is_empty() {
                    Ok(())
                } else {
                    writeln!(out, "{}", r.text)
                };
                if r.quit || written.is_err() {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprint_line(&format!("error: {e}"));
                break;
            }
        }
    }
    if let Some(h) = &history {
        let _ = rl.save_history(h);
    }
    0
}
