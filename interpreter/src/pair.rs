//! Two endpoints and the channel between them, driven by hand: the model checker's world,
//! one step at a time. A person opens, sends and closes on either side, and decides what
//! the network does with each segment in flight: deliver it, drop it, or duplicate it.

use crate::session::{Options, describe_tcb, seconds, time_wait_restart, timer_text};
use model::endpoint::Env;
use model::msc;
use model::table::Timer;
use model::table::{Signal, UserError};
use model::{Input, Segment, State, Table, Tcb, UserCall};
use std::fmt::Write as _;

/// One of the two endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// TCP A (ISN clock starting at 100, as in RFC 9293's figures).
    A,
    /// TCP B (ISN clock starting at 300).
    B,
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Side::A => "A",
            Side::B => "B",
        }
    }
}

/// A segment in the channel.
#[derive(Clone, Debug)]
pub struct Flight {
    /// Its number, for `deliver N`, `drop N`, `dup N`.
    pub id: u32,
    /// The sender.
    pub from: Side,
    /// The segment.
    pub seg: Segment,
}

/// Two endpoints, a channel and a clock.
pub struct Pair {
    table: Table,
    opts: Options,
    a: Tcb,
    b: Tcb,
    now: u64,
    channel: Vec<Flight>,
    next_id: u32,
    log: Vec<String>,
    /// The walk as a message sequence chart.
    chart: Vec<msc::Step>,
}

/// The commands of two-endpoint mode, with their help.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "a CALL",
        "user call on A: listen, connect, send N, recv N, close, shutdown, abort",
    ),
    ("b CALL", "the same on B"),
    ("deliver N", "deliver segment N from the channel"),
    ("drop N", "lose segment N"),
    ("dup N", "duplicate segment N (the copy gets a new number)"),
    (
        "tick [SECONDS]",
        "let time pass: to the next timer, or by SECONDS",
    ),
    ("net", "list the segments in the channel"),
    (
        "chart FILE",
        "write the walk as a sequence chart (FILE.svg, or FILE.mmd for Mermaid)",
    ),
];

impl Pair {
    /// Both endpoints CLOSED, the channel empty.
    pub fn new(opts: Options) -> Result<Pair, String> {
        Ok(Pair {
            table: Table::from_spec(&opts.profile)?,
            opts,
            a: Tcb::new(),
            b: Tcb::new(),
            now: 0,
            channel: Vec::new(),
            next_id: 1,
            log: Vec::new(),
            chart: Vec::new(),
        })
    }

    /// A's and B's states.
    pub fn states(&self) -> (State, State) {
        (self.a.state, self.b.state)
    }

    /// The segments in flight.
    pub fn channel(&self) -> &[Flight] {
        &self.channel
    }

    /// Everything done so far.
    pub fn trace(&self) -> String {
        self.log.join("\n")
    }

    /// Both sides and the channel, in one block.
    pub fn status(&self) -> String {
        let mut s = format!(
            "t={}  A: {:<12} B: {}",
            seconds(self.now),
            self.a.state.to_string(),
            self.b.state
        );
        if self.channel.is_empty() {
            s.push_str("\n  channel: empty");
        }
        for f in &self.channel {
            let _ = write!(
                s,
                "\n  #{:<3} {}->{}  {}",
                f.id,
                f.from.name(),
                f.from.other().name(),
                f.seg
            );
        }
        s
    }

    /// The walk so far as a message sequence chart: SVG, or Mermaid's `sequenceDiagram`.
    pub fn chart(&self, mermaid: bool) -> String {
        let start = (State::Closed, State::Closed);
        let n = self.chart.len();
        let mutant = if self.table.is_mutant() {
            " (MUTANT)"
        } else {
            ""
        };
        let title = format!(
            "REPL pair walk, {n} step{} — profile {}{mutant}",
            if n == 1 { "" } else { "s" },
            self.opts.profile
        );
        let lanes = msc::Lifelines::default();
        if mermaid {
            msc::mermaid_titled(&lanes, &title, start, &self.chart)
        } else {
            msc::svg_titled(&lanes, &title, start, &self.chart)
        }
    }

    fn note(&mut self, label: String, arrow: Option<msc::Arrow>) {
        self.chart.push(msc::Step {
            label,
            arrow,
            a: self.a.state,
            b: self.b.state,
        });
    }

    fn arrow(f: &Flight, mark: msc::Mark) -> msc::Arrow {
        msc::Arrow {
            a_to_b: f.from == Side::A,
            text: f.seg.to_string(),
            mark,
            stale: false,
        }
    }

    /// Both TCBs, as single mode's `tcb` prints one: RFC names, timers in seconds.
    pub fn tcbs(&self) -> String {
        let one = |t: &Tcb| match t.state {
            State::Closed => "CLOSED: no TCB".to_string(),
            _ => describe_tcb(t, 0),
        };
        format!("A: {}\nB: {}", one(&self.a), one(&self.b))
    }

    fn step(&mut self, side: Side, input: Input) -> String {
        let base = match side {
            Side::A => 100u32,
            Side::B => 300,
        };
        let env = Env {
            now: self.now,
            // RFC 9293 §3.4.1: the ISN clock ticks every 4 microseconds.
            iss: base.wrapping_add((self.now / 4) as u32),
        };
        let (table, cfg) = (&self.table, self.opts.config);
        let tcb = match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        };
        let before = tcb.timers.time_wait;
        let out = tcb.step(table, &cfg, input, env);
        let restarted = time_wait_restart(&out, before, tcb.timers.time_wait);
        let mut s = if out.from == out.to {
            format!(
                "{}: {} (stays) [{} · row {}]",
                side.name(),
                out.from,
                out.event.id(),
                out.row.0
            )
        } else {
            format!(
                "{}: {} -> {} [{} · row {}]",
                side.name(),
                out.from,
                out.to,
                out.event.id(),
                out.row.0
            )
        };
        if let Some(e) = out.error {
            let _ = write!(s, " error: {}", error_text(e));
        }
        if let Some(note) = restarted {
            let _ = write!(s, "\n   {note}");
        }
        if let (Input::Call(UserCall::Receive(asked)), None) = (input, out.error) {
            let _ = write!(s, "\n   received {} of {asked} bytes asked", out.delivered);
        }
        for sig in &out.signals {
            let _ = write!(s, "\n   tells the user: {}", signal_text(*sig));
        }
        for seg in out.segments {
            let id = self.next_id;
            self.next_id += 1;
            self.channel.push(Flight {
                id,
                from: side,
                seg,
            });
            let _ = write!(s, "\n   sends #{id} {seg}");
        }
        s
    }

    /// Runs one command and returns what it did followed by the status.
    pub fn command(&mut self, line: &str) -> Result<String, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        // The number word `i` gives: a byte count after a call, a segment after the rest.
        let num = |i: usize| -> Result<u32, String> {
            let (what, example) = if i == 2 {
                ("a byte count", format!("{} {} 100", words[0], words[1]))
            } else {
                ("a segment number (see `net`)", format!("{} 1", words[0]))
            };
            let command = words[..i].join(" ");
            let word = words
                .get(i)
                .ok_or_else(|| format!("`{command}` needs {what}, e.g. `{example}`"))?;
            word.parse()
                .map_err(|_| format!("`{command}` needs {what}, not `{word}`"))
        };
        let did = match words.as_slice() {
            [] => return Ok(self.status()),
            [side @ ("a" | "A" | "b" | "B"), call, ..] => {
                let side = if side.eq_ignore_ascii_case("a") {
                    Side::A
                } else {
                    Side::B
                };
                let call = match *call {
                    "listen" => UserCall::PassiveOpen,
                    "connect" | "open" => UserCall::ActiveOpen,
                    "send" => UserCall::Send(num(2)?),
                    "recv" | "receive" => UserCall::Receive(num(2)?),
                    "close" => UserCall::Close,
                    "shutdown" => UserCall::Shutdown,
                    "abort" => UserCall::Abort,
                    other => {
                        return Err(format!(
                            "unknown call `{other}`: listen, connect, send N, recv N, close, shutdown, abort"
                        ));
                    }
                };
                let did = self.step(side, Input::Call(call));
                self.note(format!("{}: {}", side.name(), words[1..].join(" ")), None);
                did
            }
            [side @ ("a" | "A" | "b" | "B")] => {
                return Err(format!(
                    "`{side}` needs a call: listen, connect, send N, recv N, close, shutdown, abort"
                ));
            }
            ["deliver", ..] | ["drop", ..] | ["dup", ..] => {
                let id = num(1)?;
                let Some(at) = self.channel.iter().position(|f| f.id == id) else {
                    return Err(format!("no segment #{id} in the channel"));
                };
                match words[0] {
                    "deliver" => {
                        let f = self.channel.remove(at);
                        let head = format!("deliver #{id} {} to {}", f.seg, f.from.other().name());
                        let step = self.step(f.from.other(), Input::Segment(f.seg));
                        self.note(head.clone(), Some(Self::arrow(&f, msc::Mark::Delivered)));
                        format!("{head}\n{step}")
                    }
                    "drop" => {
                        let f = self.channel.remove(at);
                        self.note(
                            format!("drop #{id}"),
                            Some(Self::arrow(&f, msc::Mark::Lost)),
                        );
                        format!("drop #{id} {}", f.seg)
                    }
                    _ => {
                        let mut f = self.channel[at].clone();
                        f.id = self.next_id;
                        self.next_id += 1;
                        let s = format!("dup #{id} as #{}", f.id);
                        self.note(s.clone(), Some(Self::arrow(&f, msc::Mark::Duplicated)));
                        self.channel.push(f);
                        s
                    }
                }
            }
            ["tick", rest @ ..] => {
                let target = match rest {
                    [] => match self.next_deadline() {
                        Some((_, _, d)) => d,
                        None => return Err("no timer is running".to_string()),
                    },
                    [secs] => {
                        let s: f64 = secs
                            .parse()
                            .ok()
                            .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s < 1e9)
                            .ok_or_else(|| format!("`{secs}` is not a number of seconds"))?;
                        self.now.saturating_add((s * 1e6) as u64)
                    }
                    _ => return Err("usage: tick [SECONDS]".to_string()),
                };
                let mut s = String::new();
                while let Some((side, timer, d)) =
                    self.next_deadline().filter(|&(_, _, d)| d <= target)
                {
                    self.now = self.now.max(d);
                    let _ = writeln!(
                        s,
                        "t={} {} {}",
                        seconds(self.now),
                        side.name(),
                        timer_text(timer)
                    );
                    s.push_str(&self.step(side, Input::Timeout(timer)));
                    s.push('\n');
                    self.note(format!("{}: {}", side.name(), timer_text(timer)), None);
                }
                self.now = self.now.max(target);
                let _ = write!(s, "time is now {}", seconds(self.now));
                s
            }
            ["net" | "channel"] => return Ok(self.status()),
            [other, ..] => return Err(format!("unknown command `{other}` (try `help`)")),
        };
        self.log.push(did.clone());
        Ok(format!("{did}\n{}", self.status()))
    }

    fn next_deadline(&self) -> Option<(Side, Timer, u64)> {
        [(Side::A, &self.a), (Side::B, &self.b)]
            .into_iter()
            .filter_map(|(side, t)| t.next_timer().map(|(timer, d)| (side, timer, d)))
            .min_by_key(|&(side, _, d)| (d, side == Side::B))
    }
}

/// A refused call, in RFC 9293's words (§3.10).
fn error_text(e: UserError) -> &'static str {
    match e {
        UserError::DoesNotExist => "connection does not exist",
        UserError::AlreadyExists => "connection already exists",
        UserError::Closing => "connection closing",
        UserError::NotConnected => "not connected (ENOTCONN)",
    }
}

/// What the user is told, in RFC 9293's words.
fn signal_text(s: Signal) -> &'static str {
    match s {
        Signal::Established => "connection established",
        Signal::Closing => "connection closing (the peer sent FIN)",
        Signal::Reset => "connection reset",
        Signal::Refused => "connection refused",
        Signal::TimedOut => "connection aborted due to user timeout",
    }
}
