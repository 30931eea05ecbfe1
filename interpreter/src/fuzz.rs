//! `interpreter fuzz-diff`: random connection-management scripts, written by the model,
//! run on the kernel.
//!
//! **The generator.** A script is a random walk driven by the model's endpoint, one
//! statement at a time (a [`Session`] runs each as it is drawn, so the next draw sees the
//! TCB the walk has reached). It opens passively (`socket`, `O_NONBLOCK`, `bind`,
//! `listen`, the peer's SYN) or actively (`socket`, `O_NONBLOCK`, `connect`), then takes
//! 3 to `max_steps` steps, each one of:
//!
//! - a segment from the peer: ACK, FIN, RST, RST+ACK, SYN, SYN+ACK, text, text+FIN; its
//!   sequence number at the receive window's edges (RCV.NXT, RCV.NXT-1, RCV.NXT+1,
//!   RCV.NXT+RCV.WND, RCV.NXT+RCV.WND-1, an old number) and its acknowledgment at the send
//!   edges (SND.NXT, SND.UNA, SND.NXT+1, SND.UNA-1); duplicates come from the same draws;
//! - a system call on the connection (or the listener): `accept`, `write`, `read`,
//!   `close`, `shutdown` (`SHUT_WR`, `SHUT_RD`, `SHUT_RDWR`); every socket is
//!   non-blocking, so no call waits;
//! - time passing: 10 ms, 200 ms, 1.1 s or 3.1 s (retransmissions and the other timers),
//!   as an `fcntl(3, F_GETFL)` that changes nothing.
//!
//! A script stays a second short of `--max-seconds` (20 s), so the kernel's run is never
//! cut. The script's expectations are the model's: each call's result is what the model
//! returned, each segment the model sent (timers' included) becomes a `>` line at the time
//! it was sent (flags, numbers, length, acknowledgment; not the window or the options),
//! and the script ends with the state the model is in. Times are absolute. The model then
//! passes it by construction (checked); the kernel runs it, and [`crate::diff::compare`]
//! says where they part.
//!
//! **Minimizing.** A script the kernel disagrees with is cut down: first the statements
//! drawn after the one where they differ, at once; then each drawn statement in turn
//! (the setup's socket is kept); the model writes the expectations of what is left, and
//! a cut stays when the kernel still departs at the same kind of statement with the same
//! kind of complaint.

use crate::diff::{Diff, Difference, Line, compare};
use crate::options::Options;
use crate::run::{RunError, Verdict, run_source};
use crate::script;
use crate::session::Session;
use crate::transcript::{Departure, Kind, Source};
use model::{Flags, State, Tcb};
use std::fmt::Write as _;

/// A small deterministic random number generator (SplitMix64): a seed gives the same
/// scripts on every machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// One of `items`.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A drawn statement, without the result a call returns (the model says it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drawn {
    /// When, in microseconds from time 0.
    pub time: u64,
    /// The statement without its time, and for a call without ` = result`.
    pub text: String,
    /// A system call (its result is the model's).
    pub call: bool,
}

/// A script the model wrote from drawn statements.
#[derive(Clone, Debug)]
pub struct Written {
    /// The script's text.
    pub text: String,
    /// The model ran it: its own script passes (anything else is the generator's fault).
    pub model_passes: bool,
}

/// What a call is first written to return: the descriptor it should get (`socket`:
/// 3, `accept`: 4; packetdrill's descriptors are the numbers the script gives), else 0.
/// The model's own result replaces it.
fn guess(d: &Drawn) -> &'static str {
    if !d.call {
        ""
    } else if d.text.starts_with("socket") {
        " = 3"
    } else if d.text.starts_with("accept") {
        " = 4"
    } else {
        " = 0"
    }
}

/// How late a kernel timer of `armed_for` µs may fire: Linux's timer wheel rounds a
/// timer up to its level's granularity, at most an eighth of the timeout (8 jiffies at 64
/// to 511 jiffies, 64 from 512, ...: `kernel/time/timer.c`, `LVL_GRAN`), and a jiffy is
/// 4 ms at `HZ=250`; the scheduler adds a few more.
pub fn timer_slack(armed_for: u64) -> u64 {
    armed_for / 8 + 8_000
}

/// The granularity, in µs, of the timer-wheel level a kernel timer of `armed_for` µs
/// goes to: how late it may fire past its deadline (`kernel/time/timer.c`: level n holds
/// timers up to `LVL_START(n + 1)` = 63 << 3n jiffies ahead, rounded up to `LVL_GRAN(n)`
/// = 8^n jiffies by `calc_index()`), a jiffy being 4 ms at `HZ=250`.
pub fn wheel_granularity(armed_for: u64) -> u64 {
    const JIFFY: u64 = 4_000;
    let jiffies = armed_for.div_ceil(JIFFY);
    let mut gran = 1;
    let mut start = 63;
    while jiffies >= start && gran < 4096 {
        gran *= 8;
        start *= 8;
    }
    gran * JIFFY
}

fn time_text(micros: u64) -> String {
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

fn state_word(s: State) -> String {
    s.to_string().replace('-', "_")
}

/// Runs one line on the session; the failure of a call whose result was only a guess is
/// not one (the entry holds what the model returned).
fn run_line(session: &mut Session, line: &str, opts: &Options) -> Result<(), String> {
    let parsed = script::parse_with(line, true, &opts.defines).map_err(|e| e.message)?;
    let src = Source::new(line);
    for st in &parsed.statements {
        if let Err(f) = session.run(st, &src) {
            if f.bad_script {
                return Err(f.message);
            }
            if f.message != "the system call returned something else" {
                return Err(f.message);
            }
        }
    }
    Ok(())
}

/// The model writes the script of `drawn`: each statement with the model's result, the
/// segments it sent as `>` lines, its final state.
pub fn write(drawn: &[Drawn], opts: &Options) -> Result<Written, RunError> {
    let mut session = Session::new(opts.clone())?;
    let mut out = String::new();
    let mut broken = false;
    // When the endpoint last sent: a timer's segment was armed then, at the latest.
    let mut last_sent = 0u64;
    // When the retransmission timer was last armed by a SYN, a FIN or text sent at an
    // exact time, or fired; and how late the firings since may have run: the kernel arms
    // the next timeout when a timer fires (tcp_retransmit_timer(), reqsk_timer_handler()),
    // so each firing's rounding (wheel_granularity()) delays all the ones after it.
    let mut last_armed = 0u64;
    let mut carry = 0u64;
    for d in drawn {
        let before = session.entries().len();
        let guess = guess(d);
        let line = format!("{} {}{guess}", time_text(d.time), d.text);
        if run_line(&mut session, &line, opts).is_err() {
            broken = true;
            break;
        }
        for e in &session.entries()[before..] {
            match e.kind {
                Kind::Call | Kind::Inbound | Kind::Return => {
                    if e.kind != Kind::Return {
                        let result = match (&e.result, d.call) {
                            (Some(r), true) => format!(" = {r}"),
                            _ => String::new(),
                        };
                        let _ = writeln!(out, "{} {}{result}", time_text(d.time), d.text);
                    }
                }
                Kind::Timer | Kind::Skip | Kind::Assert | Kind::Outbound => {}
            }
            for step in &e.steps {
                for w in &step.sent {
                    let arms = w.live.flags.syn() || w.live.flags.fin() || w.len > 0;
                    let when = if e.kind == Kind::Timer {
                        let late = if arms {
                            // A retransmission: armed when the last one fired, or when
                            // what it resends went out.
                            let armed_for = e.time.saturating_sub(last_armed);
                            let late = carry + timer_slack(armed_for);
                            carry += wheel_granularity(armed_for);
                            last_armed = e.time;
                            late
                        } else {
                            timer_slack(e.time.saturating_sub(last_sent))
                        };
                        format!("{}~{}", time_text(e.time), time_text(e.time + late))
                    } else {
                        if arms {
                            last_armed = e.time;
                            carry = 0;
                        }
                        time_text(e.time)
                    };
                    last_sent = e.time;
                    let mut l = format!(
                        "{when} > {} {}:{}({})",
                        w.flags,
                        w.seq,
                        w.seq.wrapping_add(w.len),
                        w.len
                    );
                    if w.live.flags.ack() {
                        let _ = write!(l, " ack {}", w.ack);
                    }
                    let _ = writeln!(out, "{l}");
                }
            }
        }
    }
    if !broken {
        let end = drawn.last().map_or(0, |d| d.time);
        let _ = writeln!(
            out,
            "{} state {}",
            time_text(end),
            state_word(session.state())
        );
    }
    let run = run_source("fuzz.pkt", &out, opts)?;
    Ok(Written {
        model_passes: !broken && matches!(run.verdict, Verdict::Pass),
        text: out,
    })
}

/// Numbers the peer can write: the model's TCB in script numbering.
struct Edges {
    rcv_nxt: u32,
    rcv_wnd: u32,
    snd_una: u32,
    snd_nxt: u32,
}

fn edges(t: Option<&Tcb>, offset: u32) -> Edges {
    match t {
        Some(t) if !matches!(t.state, State::Closed | State::Listen) => Edges {
            rcv_nxt: t.rcv_nxt,
            rcv_wnd: t.rcv_wnd,
            snd_una: t.snd_una.wrapping_sub(offset),
            snd_nxt: t.snd_nxt.wrapping_sub(offset),
        },
        _ => Edges {
            rcv_nxt: 0,
            rcv_wnd: 65535,
            snd_una: 0,
            snd_nxt: 0,
        },
    }
}

/// Draws a script of at most `max_steps` steps after the opening.
pub fn draw(rng: &mut Rng, max_steps: usize, opts: &Options) -> Result<Vec<Drawn>, RunError> {
    let mut session = Session::new(opts.clone())?;
    let mut drawn = Vec::new();
    let mut now = 0u64;
    let passive = rng.below(2) == 0;
    let call = |t: u64, s: &str| Drawn {
        time: t,
        text: s.to_string(),
        call: true,
    };
    let mut opening = vec![
        call(0, "socket(..., SOCK_STREAM, IPPROTO_TCP)"),
        call(0, "fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK)"),
    ];
    let peer_isn = rng.pick(&[0u32, 1000, 4_294_967_000]);
    if passive {
        opening.push(call(0, "bind(3, ..., ...)"));
        opening.push(call(0, "listen(3, 1)"));
        opening.push(Drawn {
            time: 100_000,
            text: format!("< S {peer_isn}:{peer_isn}(0) win 65535 <mss 1460>"),
            call: false,
        });
        now = 100_000;
    } else {
        opening.push(call(0, "connect(3, ..., ...)"));
    }
    let mut conn_fd: i64 = 3;
    for d in opening {
        let guess = guess(&d);
        let _ = run_line(
            &mut session,
            &format!("{} {}{guess}", time_text(d.time), d.text),
            opts,
        );
        drawn.push(d);
    }
    let steps = 3 + rng.below(max_steps.saturating_sub(2) as u64) as usize;
    for _ in 0..steps {
        let e = edges(session.focus(), session.offset());
        let kind = rng.below(10);
        let d = match kind {
            0..=4 => {
                now += rng.pick(&[0u64, 0, 10_000, 100_000]);
                let (flags, len) = match rng.below(8) {
                    0 => (".", 0),
                    1 => ("F.", 0),
                    2 => ("R", 0),
                    3 => ("R.", 0),
                    4 => ("S", 0),
                    5 => ("S.", 0),
                    6 => ("P.", 1 + rng.below(100) as u32),
                    _ => ("FP.", 1 + rng.below(100) as u32),
                };
                let seq = match rng.below(6) {
                    0 | 1 => e.rcv_nxt,
                    2 => e.rcv_nxt.wrapping_sub(1),
                    3 => e.rcv_nxt.wrapping_add(1),
                    4 => e.rcv_nxt.wrapping_add(e.rcv_wnd),
                    _ => e.rcv_nxt.wrapping_sub(1000),
                };
                let ack = match rng.below(5) {
                    0 | 1 => e.snd_nxt,
                    2 => e.snd_una,
                    3 => e.snd_nxt.wrapping_add(1),
                    _ => e.snd_una.wrapping_sub(1),
                };
                let acks = flags.contains('.');
                let ack_text = if acks {
                    format!(" ack {ack}")
                } else {
                    String::new()
                };
                let opts_text = if flags.contains('S') {
                    " <mss 1460>"
                } else {
                    ""
                };
                Drawn {
                    time: now,
                    text: format!(
                        "< {flags} {seq}:{}({len}){ack_text} win 65535{opts_text}",
                        seq.wrapping_add(len)
                    ),
                    call: false,
                }
            }
            5..=7 => {
                now += rng.pick(&[0u64, 10_000]);
                let text = match rng.below(6) {
                    0 if passive => "accept(3, ..., ...)".to_string(),
                    0 | 1 => format!("write({conn_fd}, ..., {})", 1 + rng.below(1000)),
                    2 => format!("read({conn_fd}, ..., 1000)"),
                    3 => format!("close({conn_fd})"),
                    4 => format!(
                        "shutdown({conn_fd}, {})",
                        rng.pick(&["SHUT_WR", "SHUT_RD", "SHUT_RDWR"])
                    ),
                    _ => format!("write({conn_fd}, ..., 10)"),
                };
                call(now, &text)
            }
            _ => {
                now += rng.pick(&[10_000u64, 200_000, 1_100_000, 3_100_000]);
                // Time passes: a call that changes nothing lets it.
                call(now, "fcntl(3, F_GETFL)")
            }
        };
        // The kernel's run must end before `--max-seconds` (real time is not skipped).
        if d.time.saturating_add(1_000_000) >= opts.live_limit {
            break;
        }
        let guess = guess(&d);
        let line = format!("{} {}{guess}", time_text(d.time), d.text);
        if run_line(&mut session, &line, opts).is_err() {
            break;
        }
        if d.text.starts_with("accept")
            && let Some(r) = session.entries().last().and_then(|e| e.result.clone())
            && let Ok(fd) = r.parse::<i64>()
            && fd >= 0
        {
            conn_fd = fd;
        }
        drawn.push(d);
    }
    Ok(drawn)
}

/// The kind of a difference, for minimizing: the kind of statement, how the kernel
/// departed there, and the control bits of what it sent instead (typed, from the engine).
type Class = (
    std::mem::Discriminant<Line>,
    std::mem::Discriminant<Departure>,
    Option<Flags>,
);

fn class(d: &Diff) -> Option<Class> {
    let x = d.difference.as_ref()?;
    let departure = x.kernel.departure.unwrap_or_default();
    Some((
        std::mem::discriminant(&x.line_kind),
        std::mem::discriminant(&departure),
        x.kernel.sent.map(|s| s.flags),
    ))
}

/// The kernel's verdict on a written script.
fn kernel_diff(text: &str, opts: &Options) -> Result<Diff, RunError> {
    let model = run_source("fuzz.pkt", text, opts)?;
    let kernel = crate::live::run_source("fuzz.pkt", text, opts)?;
    Ok(compare(text, model, kernel))
}

/// How many of `drawn` the written `script` has run by its line `line`: the statements
/// after the one a difference is at play no part in it. Each drawn statement is one line
/// of the script, the model's `>` lines come between them, and the last line is `state`.
fn drawn_through(script: &str, line: usize, drawn: usize) -> usize {
    let statements = script
        .lines()
        .take(line)
        .filter(|l| {
            let rest = l.split_once(' ').map_or("", |(_, r)| r);
            !rest.starts_with('>') && !rest.starts_with("state ")
        })
        .count();
    statements.clamp(1, drawn)
}

/// Cuts `drawn` down while the kernel still disagrees the same way; `target` is the
/// comparison of `written`, the script of all of `drawn`. Returns what is left and its
/// comparison. The statements after the difference go first, in one cut; then each
/// statement is dropped in turn, from the last.
pub fn minimize(
    drawn: &[Drawn],
    written: &str,
    target: &Diff,
    opts: &Options,
) -> Result<(Vec<Drawn>, String, Diff), RunError> {
    let want = class(target);
    let mut best = (drawn.to_vec(), written.to_string(), target.clone());
    let attempt = |cut: Vec<Drawn>, best: &mut (Vec<Drawn>, String, Diff)| {
        let w = write(&cut, opts)?;
        if !w.model_passes {
            return Ok::<bool, RunError>(false);
        }
        let d = kernel_diff(&w.text, opts)?;
        if !d.agree && class(&d) == want {
            *best = (cut, w.text, d);
            return Ok(true);
        }
        Ok(false)
    };
    if let Some(x) = &target.difference {
        let keep = drawn_through(written, x.line, drawn.len());
        if keep < drawn.len() {
            attempt(drawn[..keep].to_vec(), &mut best)?;
        }
    }
    let mut i = best.0.len();
    while i > 1 {
        i -= 1;
        let mut cut = best.0.clone();
        cut.remove(i);
        attempt(cut, &mut best)?;
    }
    Ok(best)
}

/// One case's outcome.
#[derive(Clone, Debug)]
pub struct Case {
    /// The case's number (0-based) under the seed.
    pub index: usize,
    /// The script the model wrote (minimized when the kernel disagreed).
    pub script: String,
    /// The comparison of that script.
    pub diff: Diff,
    /// How many statements were drawn, and how many remain after minimizing.
    pub drawn: (usize, usize),
}

/// Draws, writes and runs case `index` of `seed`; a disagreement is minimized. `None`
/// when the model does not pass its own script (a generator defect, counted apart).
pub fn case(
    seed: u64,
    index: usize,
    max_steps: usize,
    opts: &Options,
) -> Result<Option<Case>, RunError> {
    let mut rng = Rng::new(seed ^ (index as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
    let drawn = draw(&mut rng, max_steps, opts)?;
    let w = write(&drawn, opts)?;
    if !w.model_passes {
        return Ok(None);
    }
    let d = kernel_diff(&w.text, opts)?;
    if d.agree {
        return Ok(Some(Case {
            index,
            script: w.text,
            diff: d,
            drawn: (drawn.len(), drawn.len()),
        }));
    }
    // The comparison kept is the last run of the script kept (one that disagreed).
    let (small, script, diff) = minimize(&drawn, &w.text, &d, opts)?;
    Ok(Some(Case {
        index,
        script,
        diff,
        drawn: (drawn.len(), small.len()),
    }))
}

/// How late a segment the kernel sent at once may be and still count as the machine's
/// delay: a scheduling delay on a loaded 2-core machine running many scripts at once (up
/// to tens of milliseconds), below Linux's 200 ms minimum RTO (`TCP_RTO_MIN`), so no
/// retransmission is taken for it.
const JITTER: i64 = 100_000;

/// How late the kernel's segment was past the latest time its `>` line allows, in µs
/// (negative: early, before the earliest), when it was sent at another time.
fn lateness(d: &Difference) -> Option<i64> {
    match d.kernel.departure? {
        Departure::Mistimed {
            sent,
            earliest,
            latest,
        } => Some(if sent < earliest {
            sent as i64 - earliest as i64
        } else {
            sent as i64 - latest.min(i64::MAX as u64) as i64
        }),
        _ => None,
    }
}

/// The explained class of a kernel-vs-model difference (README, "Kernel and model: the
/// remaining differences"), read from the typed difference: the statement there
/// ([`Line`]), how the kernel departed ([`Departure`]) and the segment it sent, the
/// states of the model's rows; `None` for a difference no class explains.
pub fn explain(d: &Difference) -> Option<&'static str> {
    let Some(kernel) = d.kernel.departure else {
        // The kernel did as the script (the model departed: never in a script the model
        // wrote, which it passes by construction).
        return None;
    };
    let (expected, timer_line) = match d.line_kind {
        Line::Outbound { flags, range } => (Some(flags), range),
        _ => (None, false),
    };
    let late_or_missing = matches!(kernel, Departure::NothingSent | Departure::Mistimed { .. });
    let late = lateness(d);
    if expected == Some(Flags::ACK)
        && late_or_missing
        && (timer_line || late.is_some_and(|l| l >= JITTER))
    {
        // An ACK the model delays within a range, or one the kernel sends later than
        // real time's jitter explains: Linux's delayed-ACK and quick-ACK heuristics (tcp_send_delayed_ack(),
        // __tcp_ack_snd_check()). An ACK due at once that the kernel never sends is no
        // class: the linux profile rate-limits out-of-window ACKs as it does
        // (Config::oow_ack_rate_limit, tcp_oow_rate_limited()).
        return Some("ack-delayed");
    }
    // Text or a FIN the endpoint sends that Linux holds is no class: the linux profile
    // holds a short segment behind an unacknowledged short one (Config::nagle,
    // tcp_nagle_test()) and new text and a FIN behind the segment an RTO resent
    // (Config::loss_window, tcp_enter_loss(), tcp_cwnd_test()).
    if late.is_some_and(|l| l > 0 && l < JITTER) && !timer_line {
        // Real time on a shared machine: the segment the line expects, every field as
        // written, sent past the 4 ms tolerance, by less than any TCP timer of Linux
        // but the delayed ACK's (above) would make it.
        return Some("real-time-jitter");
    }
    if (timer_line && late_or_missing) || late.is_some_and(|l| l < 0) {
        // A retransmission timer the model times otherwise: RACK's reordering timer,
        // TCP_USER_TIMEOUT, a cached RTT (tcp_init_metrics()), timers past their slack.
        return Some("retransmission-timing");
    }
    // `out-of-order-text-ack-unread` is gone: the linux profile holds text beyond
    // RCV.NXT and reads its ACK (hold_out_of_order), and a simultaneous open's SYN-RECEIVED
    // is a full socket (simultaneous_open_full_socket); none of seed 13's 10,000 scripts
    // showed it at the end of stop 14.
    None
}
