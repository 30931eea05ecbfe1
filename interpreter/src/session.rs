//! One endpoint under test, driven statement by statement.
//!
//! The endpoint is `model::Tcb::step` and nothing else: this module only maps the socket
//! API onto the RFC's user calls (RFC 9293 §3.9), routes segments to the right TCB, keeps
//! time, and compares what the endpoint sends with what the script expects.
//!
//! Sockets follow BSD: a listening socket stays in LISTEN and a SYN gives it a child
//! connection, which `accept` hands out. One remote peer is modelled, so at most one
//! connection is on the wire at a time; segments with no connection and no listener go
//! to a closed port (the table's CLOSED rows answer them).

use crate::script::{Action, Call, Packet, Span, Statement, Time, Value, When};
use model::endpoint::Env;
use model::table::Timer;
use model::{
    Config, Input, Outcome, RowId, Segment, SeqSpace, Signal, State, Table, Tcb, UserCall,
};
use serde::Serialize;
use std::collections::{BTreeSet, VecDeque};
use std::fmt::Write as _;

/// How the session is set up. Times are in microseconds (1 tick = 1 µs).
#[derive(Clone, Debug)]
pub struct Options {
    /// Profiles over RFC 9293, comma-separated (`rfc9293`, `rfc793,rfc1337`, ...).
    pub profile: String,
    /// The endpoint's ISN clock at time 0; it then ticks every 4 µs (RFC 9293 §3.4.1).
    pub iss: u32,
    /// How far a segment's time may be from the time the script gives it.
    pub tolerance: u64,
    /// The endpoint's parameters.
    pub config: Config,
    /// The window of an inbound segment that gives none.
    pub default_win: u32,
    /// Segments the endpoint sends after the last `>` line fail the run (`--strict`);
    /// packetdrill never reads them, and by default neither does the interpreter.
    pub strict: bool,
    /// Names `#ifdef` finds defined (`--define NAME`; `linux` by default).
    pub defines: Vec<String>,
    /// `--wscale`: the window scale shift our SYN offers, when it offers one.
    pub wscale: Option<u8>,
    /// Options set by name (command line or script line): a profile's parameters
    /// (`model::Param`) never override them.
    pub explicit: Vec<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            profile: "rfc9293".to_string(),
            iss: 1_000_000,
            tolerance: 4_000,
            config: Config {
                space: SeqSpace::TCP,
                msl: 120_000_000,
                time_wait: None,
                rto: 1_000_000,
                rto_max: 60_000_000,
                backoff: true,
                max_retransmits: 15,
                rcv_buf: 65_535,
                mss: 1_460,
                fin_timeout: 60_000_000,
                syn_options: model::SynOptions::MSS_ONLY,
                syn_retries: None,
                synack_retries: None,
                fin_retransmit_ack: false,
                abort_on_unread_close: true,
                delayed_ack: None,
                max_quickacks: 16,
                accept_without_ts: false,
                ts_recent_after_ack: false,
            },
            default_win: 65_535,
            strict: false,
            defines: crate::script::DEFAULT_DEFINES
                .iter()
                .map(|d| d.to_string())
                .collect(),
            wscale: None,
            explicit: Vec::new(),
        }
    }
}

/// The smallest send MSS, as Linux clamps a peer's (`TCP_MIN_SND_MSS`).
const MIN_MSS: u32 = 48;

/// The options a script may set with `--name=value` lines, and what they do.
pub const SCRIPT_OPTIONS: &[(&str, &str)] = &[
    ("profile", "profiles over RFC 9293, comma-separated"),
    (
        "tolerance_usecs",
        "timing tolerance in microseconds (packetdrill's name)",
    ),
    ("iss", "the ISN clock at time 0"),
    ("msl_secs", "maximum segment lifetime in seconds"),
    ("rcv_buf", "receive buffer: the window offered when empty"),
    ("mss", "largest text per segment"),
    ("retries", "retransmissions before the user timeout (R2)"),
    (
        "syn_options",
        "options our SYN offers: mss (RFC 9293, the default), linux (mss, sackOK, TS, wscale 7), freebsd (mss, wscale 6, sackOK, TS), none",
    ),
    (
        "wscale",
        "our window scale shift, 0 to 14, when our SYN offers window scaling (linux: 7)",
    ),
    (
        "default_win",
        "window of an inbound segment that gives none",
    ),
    (
        "strict",
        "segments sent after the last `>` line fail the run (a flag)",
    ),
];

/// packetdrill options about its own set-up (addresses, devices, wire mode): accepted in a
/// script and ignored, with a notice.
pub const PACKETDRILL_OPTIONS: &[&str] = &[
    "ip_version",
    "bind_port",
    "connect_port",
    "local_ip",
    "remote_ip",
    "gateway_ip",
    "netmask_ip",
    "speed",
    "mtu",
    "init_scripts",
    "tolerance_percent",
    "tcp_ts_tick_usecs",
    "non_fatal",
    "dry_run",
    "verbose",
    "debug",
    "wire_client",
    "wire_server",
    "wire_server_ip",
    "wire_server_port",
    "wire_client_dev",
    "wire_server_dev",
    "strict_segments",
    "tcp_ts_ecr_scaled",
    "code_command",
    "code_format",
    "code_sockopt",
    "so_filename",
    "so_flags",
    "send_omit_free",
];

impl Options {
    /// Sets one option by name, as a `--name=value` script line does. Returns a notice
    /// when the option is packetdrill's own and ignored here.
    pub fn set(&mut self, name: &str, value: &str) -> Result<Option<String>, String> {
        if name == "define" {
            // `--define=NAME`: `#ifdef` blocks were already chosen with it.
            let name = value.split('=').next().unwrap_or(value);
            if name.is_empty() {
                return Err("--define needs a name: --define=NAME".to_string());
            }
            self.defines.push(name.to_string());
            return Ok(None);
        }
        if PACKETDRILL_OPTIONS.contains(&name) {
            return Ok(Some(format!(
                "--{name} is packetdrill's own set-up: ignored"
            )));
        }
        self.set_modelled(name, value).map(|()| None)
    }

    /// `--wscale` sets the shift of a SYN that offers window scaling, whichever
    /// `--syn_options` comes first.
    fn apply_wscale(&mut self) {
        if let (Some(shift), Some(w)) = (self.wscale, self.config.syn_options.wscale.as_mut()) {
            *w = shift;
        }
    }

    fn set_modelled(&mut self, name: &str, value: &str) -> Result<(), String> {
        fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
            v.parse()
                .map_err(|_| format!("--{name} needs a number in range, not `{v}`"))
        }
        match name {
            "profile" => {
                Table::from_spec(value)?;
                self.profile = value.to_string();
                self.apply_profile_params()?;
                return Ok(());
            }
            "tolerance_usecs" => self.tolerance = num(name, value)?,
            "iss" => self.iss = num(name, value)?,
            "msl_secs" => {
                // TIME-WAIT is then 2 MSL, whatever length a profile gave it.
                self.config.time_wait = None;
                let secs: u32 = num(name, value)?;
                if secs == 0 {
                    return Err(format!(
                        "--{name} must be at least 1 second: TIME-WAIT lasts 2 MSL"
                    ));
                }
                self.config.msl = secs
                    .checked_mul(1_000_000)
                    .filter(|m| m.checked_mul(2).is_some())
                    .ok_or("the MSL must be below 2148 seconds")?;
            }
            "rcv_buf" => self.config.rcv_buf = num::<u16>(name, value)?.into(),
            "mss" => self.config.mss = num::<u16>(name, value)?.max(MIN_MSS as u16).into(),
            "retries" => self.config.max_retransmits = num(name, value)?,
            "syn_options" => {
                self.config.syn_options = match value {
                    "mss" => model::SynOptions::MSS_ONLY,
                    "linux" => model::SynOptions::LINUX,
                    "freebsd" => model::SynOptions::FREEBSD,
                    "none" => model::SynOptions::NONE,
                    _ => {
                        return Err(format!(
                            "--syn_options takes mss, linux, freebsd or none, not `{value}`"
                        ));
                    }
                };
                self.apply_wscale();
            }
            "wscale" => {
                let shift: u8 = num(name, value)?;
                if shift > 14 {
                    return Err(format!(
                        "--wscale is at most 14 (RFC 7323 §2.3), not `{value}`"
                    ));
                }
                self.wscale = Some(shift);
                self.apply_wscale();
            }
            "default_win" => self.default_win = num::<u16>(name, value)?.into(),
            "strict" => {
                self.strict = match value {
                    "" | "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(format!("--strict takes no value, not `{value}`")),
                }
            }
            _ => {
                let known: Vec<&str> = SCRIPT_OPTIONS.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "unknown option --{name}; known: --{}",
                    known.join(", --")
                ));
            }
        }
        self.explicit.push(name.to_string());
        Ok(())
    }

    /// The profile's endpoint parameters (SYN options, RTO, TIME-WAIT, retries, ...) over
    /// the defaults, except where an option was set by name (`--msl_secs` keeps the MSL
    /// and a TIME-WAIT of 2 MSL, `--retries` R2, `--syn_options` the options).
    fn apply_profile_params(&mut self) -> Result<(), String> {
        let profiles = model::Profile::parse_list(&self.profile)?;
        // 1 tick = 1 µs here; parameters are in milliseconds.
        let want = model::profile::configure(Options::default().config, &profiles, 1_000);
        let kept = |name: &str| self.explicit.iter().any(|e| e == name);
        let (keep_syn, keep_msl, keep_retries) =
            (kept("syn_options"), kept("msl_secs"), kept("retries"));
        let c = &mut self.config;
        if !keep_syn {
            c.syn_options = want.syn_options;
        }
        if !keep_msl {
            c.msl = want.msl;
            c.time_wait = want.time_wait;
        }
        if !keep_retries {
            c.max_retransmits = want.max_retransmits;
        }
        c.rto = want.rto;
        c.rto_max = want.rto_max;
        c.syn_retries = want.syn_retries;
        c.synack_retries = want.synack_retries;
        c.fin_timeout = want.fin_timeout;
        c.fin_retransmit_ack = want.fin_retransmit_ack;
        c.abort_on_unread_close = want.abort_on_unread_close;
        c.delayed_ack = want.delayed_ack;
        c.max_quickacks = want.max_quickacks;
        c.accept_without_ts = want.accept_without_ts;
        c.ts_recent_after_ack = want.ts_recent_after_ack;
        self.apply_wscale();
        Ok(())
    }
}

/// What a statement (or a timer it let expire) did: one transcript entry.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// 1-based line of the statement.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// When it happened, in microseconds.
    pub time: u64,
    /// What kind of entry.
    pub kind: Kind,
    /// The statement as written, or what expired.
    pub text: String,
    /// The table rows applied, in order.
    pub steps: Vec<Step>,
    /// A system call's result (`0`, `-1 EAGAIN`).
    pub result: Option<String>,
    /// A notice (something parsed and not modelled).
    pub notice: Option<String>,
    /// The endpoint's state after it (what `state X` checks).
    pub state: State,
}

/// Kinds of transcript entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `<`: a segment injected.
    Inbound,
    /// `>`: a segment the script expected, and matched.
    Outbound,
    /// A system call.
    Call,
    /// A blocking call returned.
    Return,
    /// A state assertion.
    Assert,
    /// A block that was not executed.
    Skip,
    /// A timer expired.
    Timer,
}

/// One row applied to one TCB.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// Which TCB: `fd 3`, `connection`, `closed port`.
    pub socket: String,
    /// The classified event.
    pub event: model::Event,
    /// The row.
    pub row: RowId,
    /// State before.
    pub from: State,
    /// State after.
    pub to: State,
    /// Segments sent, in the script's numbering.
    pub sent: Vec<Wire>,
    /// Segment received, in the script's numbering (for inbound steps).
    pub received: Option<Wire>,
    /// What the row did that the states do not show: TIME-WAIT's 2MSL restarted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// "2MSL restarted ..." when a step stayed in TIME-WAIT and moved its 2MSL deadline (a
/// retransmitted FIN re-ACKed, RFC 9293 §3.10.7.4's eighth step), given the deadline before
/// and after.
pub fn time_wait_restart(out: &Outcome, before: Option<u64>, after: Option<u64>) -> Option<String> {
    match (out.from, out.to, before, after) {
        (State::TimeWait, State::TimeWait, Some(old), Some(new)) if new != old => Some(format!(
            "2MSL restarted: TIME-WAIT now ends at t={}",
            seconds(new)
        )),
        _ => None,
    }
}

/// A segment as the script numbers it, and as it is on the wire.
#[derive(Clone, Debug, Serialize)]
pub struct Wire {
    /// packetdrill notation, script numbering: `S. 0:0(0) ack 1 win 65535`.
    pub text: String,
    /// Flags in packetdrill notation.
    pub flags: String,
    /// SEG.SEQ, script numbering.
    pub seq: u32,
    /// SEG.ACK, script numbering (0 without ACK).
    pub ack: u32,
    /// Text length.
    pub len: u32,
    /// SEG.WND.
    pub win: u32,
    /// The segment with live numbers.
    pub live: Segment,
}

/// Why a run stopped early.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What went wrong.
    pub message: String,
    /// What the script expected, when it expected something.
    pub expected: Option<String>,
    /// What happened instead.
    pub actual: Option<String>,
    /// The state of the TCB the line concerned.
    pub state: State,
    /// That TCB, printed.
    pub tcb: String,
    /// The script itself is wrong (exit 2) rather than the endpoint (exit 1).
    pub bad_script: bool,
}

struct Socket {
    tcb: Tcb,
    fd: Option<i64>,
    nonblocking: bool,
    linger0: bool,
    /// `shutdown(SHUT_RD)`: reads return end of file once nothing is queued.
    shut_rd: bool,
    /// How many times the socket's waiters were woken (new text, a FIN, a state
    /// change): what an edge-triggered epoll entry waits for.
    wakeups: u64,
    /// `setsockopt(TCP_MAXSEG)`: the MSS our SYN offers and the largest text we send,
    /// when below the endpoint's (Linux's `user_mss`; children inherit a listener's).
    user_mss: Option<u32>,
    /// A pending socket error (`sk_err`), reported by the next call.
    error: Option<&'static str>,
    /// A soft error (an ICMP message, RFC 1122 §4.2.3.9): reported only if the
    /// connection times out (Linux's `sk_err_soft`).
    soft_error: Option<&'static str>,
    /// The connection was established once (so EOF and EPIPE, not ENOTCONN).
    connected: bool,
    /// Accepted, or opened by the user: handed out.
    owned: bool,
}

impl Socket {
    /// A socket with this TCB, held by `fd` (or by nobody: a child or a closed port).
    fn new(tcb: Tcb, fd: Option<i64>) -> Socket {
        Socket {
            tcb,
            fd,
            nonblocking: false,
            linger0: false,
            shut_rd: false,
            wakeups: 0,
            user_mss: None,
            error: None,
            soft_error: None,
            connected: false,
            owned: fd.is_some(),
        }
    }
}

enum Ready {
    Done(i64, Option<&'static str>),
    Block,
}

#[derive(Clone, Copy)]
enum Wait {
    Connect(usize),
    /// The listener's fd, and the fd the script wants the connection to get.
    Accept(i64, i64),
    Read(i64, u32),
    /// `poll` or `epoll_wait` on [`Session::watch`], returning at most this many, or 0
    /// at its timeout (a time; `u64::MAX` for none).
    Poll(usize, u64),
}

/// A file descriptor that is not a TCP socket: parsed calls give them out, nothing
/// is modelled behind them but an epoll's interest list.
enum OtherFd {
    /// `epoll_create`: the fds watched and the events asked.
    Epoll(Vec<(i64, u32)>),
    /// `pipe`, `open`: a label only.
    Plain,
}

struct Pending {
    wait: Wait,
    line: usize,
    column: usize,
    text: String,
    expect: (i64, Option<String>),
    end: u64,
}

#[derive(Clone, Copy)]
struct Sent {
    time: u64,
    seg: Segment,
}

/// The endpoint under test, its sockets and its clock.
pub struct Session {
    table: Table,
    opts: Options,
    now: u64,
    /// The time of the previous statement: the base of relative times.
    last: u64,
    socks: Vec<Socket>,
    /// Descriptors that are not sockets (epoll, pipes, files), by the script's number.
    others: std::collections::BTreeMap<i64, OtherFd>,
    /// What a blocked `poll` or `epoll_wait` watches: fds and events.
    watch: Vec<(i64, u32)>,
    /// The epoll descriptor `watch` came from (`None` for `poll`).
    watch_epoll: Option<i64>,
    /// Edge-triggered epoll entries (epoll fd, fd): the socket's `wakeups` when the
    /// entry was last reported; an entry not here is pending (just added or modified).
    edge_seen: std::collections::BTreeMap<(i64, i64), u64>,
    outbound: VecDeque<Sent>,
    pending: Option<Pending>,
    /// live local sequence number = script number + offset.
    offset: u32,
    /// The ISN the offset was last set for.
    mapped_iss: Option<u32>,
    /// The state the last connection was left in (a listener's is not a connection).
    last_conn: Option<State>,
    /// Eff.snd.MSS (RFC 9293 §3.7.1): the peer's MSS option, 536 without one, at most
    /// our own limit (`--mss`).
    send_mss: u32,
    entries: Vec<Entry>,
    fired: BTreeSet<RowId>,
    samples: Vec<Vec<Tcb>>,
    noticed: BTreeSet<String>,
    line: usize,
    column: usize,
}

/// Where a statement sits in its source.
#[derive(Clone, Copy, Debug)]
pub struct Place {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// 1-based line and column of a byte offset (one lookup: [`Source`] indexes the lines
/// once for many).
pub fn place(source: &str, offset: usize) -> Place {
    Source::new(source).place(offset)
}

/// A source text and the byte offsets where its lines start: line and column of an offset
/// in logarithmic time (plus the length of that line), so a run is linear in the script.
pub struct Source<'a> {
    /// The text.
    pub text: &'a str,
    /// Byte offset of each line's start; the first is 0.
    starts: Vec<usize>,
}

impl<'a> Source<'a> {
    /// Indexes `text`'s lines.
    pub fn new(text: &'a str) -> Source<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source { text, starts }
    }

    /// 1-based line and column of a byte offset (the same as [`place`]).
    pub fn place(&self, offset: usize) -> Place {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        Place { line, column }
    }

    /// The byte offset of a 1-based line and column (clamped to the text).
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        start
            + rest
                .char_indices()
                .nth(column.saturating_sub(1))
                .map_or(rest.len(), |(i, _)| i)
    }
}

/// A TCB as the RFC names its variables: state, sequence variables (our numbers less
/// `offset`), queues and the timers running (in seconds).
pub fn describe_tcb(t: &Tcb, offset: u32) -> String {
    if matches!(t.state, State::Closed | State::Listen) {
        return format!(
            "{} ({:?}): no sequence numbers chosen yet",
            t.state, t.origin
        );
    }
    let l = |n: u32| n.wrapping_sub(offset);
    let mut s = format!(
        "{} ({:?}): ISS={} SND.UNA={} SND.NXT={} SND.WND={} IRS={} RCV.NXT={} RCV.WND={}",
        t.state,
        t.origin,
        l(t.iss),
        l(t.snd_una),
        l(t.snd_nxt),
        t.snd_wnd,
        t.irs,
        t.rcv_nxt,
        t.rcv_wnd
    );
    let _ = write!(s, " queued={} unread={}", t.send_queue, t.recv_queue);
    for (name, d) in [
        ("retransmit", t.timers.retransmit),
        ("2MSL", t.timers.time_wait),
        ("FIN-WAIT-2", t.timers.fin_wait_2),
    ] {
        if let Some(d) = d {
            let _ = write!(s, " {name}@{}", seconds(d));
        }
    }
    s
}

/// Seconds with milliseconds (and microseconds when they matter).
pub fn seconds(micros: u64) -> String {
    if micros % 1000 == 0 {
        format!("{}.{:03}", micros / 1_000_000, micros / 1000 % 1000)
    } else {
        format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
    }
}

impl Session {
    /// A session with nothing open. Fails on an unknown profile.
    pub fn new(opts: Options) -> Result<Session, String> {
        let table = Table::from_spec(&opts.profile)?;
        Ok(Session {
            table,
            offset: opts.iss,
            mapped_iss: None,
            last_conn: None,
            send_mss: opts.config.mss,
            opts,
            now: 0,
            last: 0,
            socks: Vec::new(),
            others: std::collections::BTreeMap::new(),
            watch: Vec::new(),
            watch_epoll: None,
            edge_seen: std::collections::BTreeMap::new(),
            outbound: VecDeque::new(),
            pending: None,
            entries: Vec::new(),
            fired: BTreeSet::new(),
            samples: vec![Vec::new(); State::ALL.len()],
            noticed: BTreeSet::new(),
            line: 0,
            column: 0,
        })
    }

    /// The table the endpoint follows.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// The transcript so far.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Rows fired so far.
    pub fn fired(&self) -> &BTreeSet<RowId> {
        &self.fired
    }

    /// Up to a few TCBs seen in each state (for coverage reasons).
    pub fn samples(&self) -> &[Vec<Tcb>] {
        &self.samples
    }

    /// The current time in microseconds.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The TCB the wire talks to (the connection, else the listener), if any.
    pub fn focus(&self) -> Option<&Tcb> {
        self.wire()
            .or_else(|| self.listener())
            .map(|i| &self.socks[i].tcb)
    }

    /// The state assertions check: the connection's (CLOSED once it is gone), else the
    /// listener's, else CLOSED.
    pub fn state(&self) -> State {
        if let Some(i) = self.wire() {
            return self.socks[i].tcb.state;
        }
        self.last_conn
            .or_else(|| self.listener().map(|_| State::Listen))
            .unwrap_or(State::Closed)
    }

    /// Every socket, its file descriptor and state.
    pub fn sockets(&self) -> Vec<(Option<i64>, State)> {
        self.socks.iter().map(|s| (s.fd, s.tcb.state)).collect()
    }

    /// The focused TCB in script numbering.
    pub fn tcb_text(&self) -> String {
        match self.focus() {
            None => "no TCB (CLOSED)".to_string(),
            Some(t) => self.describe(t),
        }
    }

    fn describe(&self, t: &Tcb) -> String {
        describe_tcb(t, self.offset)
    }

    fn wire(&self) -> Option<usize> {
        self.socks
            .iter()
            .position(|s| !matches!(s.tcb.state, State::Closed | State::Listen))
    }

    fn listener(&self) -> Option<usize> {
        self.socks
            .iter()
            .position(|s| s.tcb.state == State::Listen && s.fd.is_some())
    }

    fn by_fd(&self, fd: i64) -> Option<usize> {
        self.socks.iter().position(|s| s.fd == Some(fd))
    }

    fn free_fd(&self) -> i64 {
        (3..)
            .find(|fd| self.by_fd(*fd).is_none() && !self.others.contains_key(fd))
            .expect("a free fd")
    }

    /// packetdrill's fds are labels: a new descriptor gets the number the script expects
    /// (`socket(...) = 4`) when it is a free one, else the lowest free.
    fn label(&self, wanted: i64) -> i64 {
        if wanted >= 0 && self.by_fd(wanted).is_none() && !self.others.contains_key(&wanted) {
            wanted
        } else {
            self.free_fd()
        }
    }

    fn notice_once(&mut self, key: String, text: String) -> Option<String> {
        self.noticed.insert(key).then_some(text)
    }

    /// An outbound segment's sequence number in the script's numbering: relative to our
    /// ISN, except the literal zero of a RST,ACK that answers a segment without ACK
    /// (RFC 9293 §3.10.7.1 `<SEQ=0>`), which belongs to no ISN. (ABORT's RST,ACK under
    /// the `linux` and `freebsd` profiles carries SND.NXT: relative.)
    fn script_seq(&self, seg: &Segment) -> u32 {
        if seg.flags.rst() && seg.flags.ack() && seg.seq == 0 {
            seg.seq
        } else {
            seg.seq.wrapping_sub(self.offset)
        }
    }

    /// A segment in the script's numbering.
    fn wire_of(&self, seg: Segment, outbound: bool) -> Wire {
        let (seq, ack) = if outbound {
            (self.script_seq(&seg), seg.ack)
        } else {
            (seg.seq, seg.ack.wrapping_sub(self.offset))
        };
        let ack = if seg.flags.ack() { ack } else { 0 };
        let shown = Segment { seq, ack, ..seg };
        let mut text = shown.to_string();
        if !seg.opts.is_empty() {
            text.push_str(&format!(" <{}>", seg.opts));
        }
        Wire {
            text,
            flags: seg.flags.to_string(),
            seq,
            ack,
            len: seg.len,
            win: seg.wnd,
            live: seg,
        }
    }

    fn fail(&self, message: impl Into<String>) -> Failure {
        let t = self.focus().cloned().unwrap_or_default();
        Failure {
            line: self.line,
            column: self.column,
            message: message.into(),
            expected: None,
            actual: None,
            state: t.state,
            tcb: self.tcb_text(),
            bad_script: false,
        }
    }

    fn bad(&self, message: impl Into<String>) -> Failure {
        Failure {
            bad_script: true,
            ..self.fail(message)
        }
    }

    fn entry(&self, kind: Kind, text: impl Into<String>) -> Entry {
        Entry {
            line: self.line,
            column: self.column,
            time: self.now,
            kind,
            text: text.into(),
            steps: Vec::new(),
            result: None,
            notice: None,
            state: State::Closed,
        }
    }

    fn push(&mut self, mut e: Entry) {
        e.state = self.state();
        self.entries.push(e);
    }

    /// Steps socket `i` through the table, queueing what it sends.
    fn step(&mut self, i: usize, input: Input, who: String) -> (Step, Outcome) {
        let env = Env {
            now: self.now,
            // RFC 9293 §3.4.1: the ISN clock ticks every 4 microseconds.
            iss: self.opts.iss.wrapping_add((self.now / 4) as u32),
        };
        let user_mss = self.socks[i].user_mss.unwrap_or(u32::MAX);
        let mut cfg = Config {
            mss: self.send_mss.min(user_mss),
            ..self.opts.config
        };
        // Our SYN's MSS option offers our own limit (`--mss`, or the socket's TCP_MAXSEG).
        if cfg.syn_options.mss.is_some() {
            let ours = self.opts.config.mss.min(user_mss);
            cfg.syn_options.mss = Some(ours.min(u16::MAX as u32) as u16);
        }
        let before = self.socks[i].tcb.timers.time_wait;
        let woken = |t: &Tcb| (t.recv_queue, t.fin_received, t.state);
        let was = woken(&self.socks[i].tcb);
        let out = self.socks[i].tcb.step(&self.table, &cfg, input, env);
        let now = woken(&self.socks[i].tcb);
        if now.0 > was.0 || now.1 != was.1 || now.2 != was.2 {
            // The socket's waiters are woken (Linux's sk_data_ready, sk_state_change).
            self.socks[i].wakeups += 1;
            if was.2 != State::Established
                && now.2 == State::Established
                && self.socks[i].fd.is_none()
                && !self.socks[i].owned
            {
                // A connection ready to accept wakes its listener.
                for s in self
                    .socks
                    .iter_mut()
                    .filter(|s| s.tcb.state == State::Listen)
                {
                    s.wakeups += 1;
                }
            }
        }
        let note = time_wait_restart(&out, before, self.socks[i].tcb.timers.time_wait);
        self.record(i, &out);
        let received = match input {
            Input::Segment(s) => Some(self.wire_of(s, false)),
            _ => None,
        };
        self.after(i, &out);
        let step = Step {
            socket: who,
            event: out.event,
            row: out.row,
            from: out.from,
            to: out.to,
            sent: out
                .segments
                .iter()
                .map(|s| self.wire_of(*s, true))
                .collect(),
            received,
            note,
        };
        (step, out)
    }

    /// What `getsockopt(TCP_MAXSEG)` returns, as Linux: before a connection (CLOSED,
    /// LISTEN) the socket's TCP_MAXSEG if set, else 536 (`TCP_MSS_DEFAULT`); then the
    /// largest text a segment carries: the send MSS less the options on every segment
    /// (RFC 9293 §3.7.1; Linux's `mss_cache`, 12 bytes less with timestamps on).
    fn maxseg(&self, i: usize) -> u32 {
        let s = &self.socks[i];
        if matches!(s.tcb.state, State::Closed | State::Listen) {
            return s.user_mss.unwrap_or(536);
        }
        let cfg = Config {
            mss: self.send_mss.min(s.user_mss.unwrap_or(u32::MAX)),
            ..self.opts.config
        };
        s.tcb.eff_mss(&cfg)
    }

    fn record(&mut self, i: usize, out: &Outcome) {
        self.fired.insert(out.row);
        let idle = |s: State| matches!(s, State::Closed | State::Listen);
        if !idle(out.from) || !idle(out.to) {
            self.last_conn = Some(out.to);
        }
        let tcb = &self.socks[i].tcb;
        let seen = &mut self.samples[tcb.state as usize];
        if seen.len() < 8 && !seen.contains(tcb) {
            seen.push(tcb.clone());
        }
        for s in &out.segments {
            // A new ISN is number 0 until a `>` line says otherwise (packetdrill's mapping).
            if s.flags.syn() && self.mapped_iss != Some(s.seq) {
                self.mapped_iss = Some(s.seq);
                self.offset = s.seq;
            }
            self.outbound.push_back(Sent {
                time: self.now,
                seg: *s,
            });
        }
    }

    fn after(&mut self, i: usize, out: &Outcome) {
        let s = &mut self.socks[i];
        for sig in &out.signals {
            match sig {
                Signal::Established => s.connected = true,
                // Errno as BSD and Linux report a reset: refused while opening, a broken
                // pipe once the peer had closed its side, else reset.
                Signal::Reset => {
                    s.error = Some(match out.from {
                        State::SynSent => "ECONNREFUSED",
                        State::CloseWait => "EPIPE",
                        _ => "ECONNRESET",
                    })
                }
                Signal::Refused => s.error = Some("ECONNREFUSED"),
                // A soft error seen before is what the user is told (Linux, as RFC 1122
                // §4.2.3.9's discussion allows).
                Signal::TimedOut => s.error = Some(s.soft_error.take().unwrap_or("ETIMEDOUT")),
                Signal::Closing => {}
            }
        }
        if matches!(s.tcb.state, State::Established | State::CloseWait) {
            s.connected = true;
        }
    }

    /// Forget sockets nobody holds that have nothing left to do.
    fn reap(&mut self) {
        self.socks
            .retain(|s| s.fd.is_some() || !matches!(s.tcb.state, State::Closed | State::Listen));
    }

    fn socket_name(&self, i: usize) -> String {
        match self.socks[i].fd {
            Some(fd) => format!("fd {fd}"),
            None => "connection".to_string(),
        }
    }

    /// Delivers an inbound segment: to the connection, else the listener, else a closed port.
    fn inject(&mut self, seg: Segment) -> Vec<Step> {
        if let Some(i) = self.wire() {
            let who = self.socket_name(i);
            if self.text_after_close(i, &seg) {
                // RFC 9293 §3.6.1 SHLD-2 (RFC 1122 §4.2.2.13): close() is a full close,
                // nobody will read this text, so the connection is aborted (Linux:
                // tcp_rcv_state_process, LINUX_MIB_TCPABORTONDATA).
                let (mut step, _) = self.step(i, Input::Call(UserCall::Abort), who);
                step.received = Some(self.wire_of(seg, false));
                step.note = Some(
                    "text after close(): nobody will read it, the connection is aborted \
                     (RFC 9293 §3.6.1 SHLD-2)"
                        .to_string(),
                );
                return vec![step];
            }
            return vec![self.step(i, Input::Segment(seg), who).0];
        }
        if let Some(l) = self.listener() {
            let saved = self.socks[l].tcb.clone();
            let name = self.socket_name(l);
            let (mut step, _) = self.step(l, Input::Segment(seg), format!("listener {name}"));
            if !matches!(self.socks[l].tcb.state, State::Listen | State::Closed) {
                // BSD: the SYN makes a child connection and the listener keeps listening;
                // the step is the child's (as `state` lists it), not the listener's.
                let child = std::mem::replace(&mut self.socks[l].tcb, saved);
                self.socks.push(Socket {
                    user_mss: self.socks[l].user_mss,
                    ..Socket::new(child, None)
                });
                step.socket = format!("new connection (listener {name} stays LISTEN)");
            }
            return vec![step];
        }
        self.socks.push(Socket::new(Tcb::new(), None));
        let i = self.socks.len() - 1;
        let (step, _) = self.step(i, Input::Segment(seg), "closed port".to_string());
        self.socks.pop();
        vec![step]
    }

    /// Whether `seg` brings new text to a connection its user closed with close() (a
    /// full close: no descriptor reads it any more) in FIN-WAIT-1 or FIN-WAIT-2: text
    /// that starts in the receive window and goes beyond RCV.NXT, on a segment without
    /// SYN or RST.
    fn text_after_close(&self, i: usize, seg: &Segment) -> bool {
        let s = &self.socks[i];
        let t = &s.tcb;
        let text = seg.len.saturating_sub(u32::from(seg.flags.fin()));
        let closed = s.owned && s.fd.is_none();
        let in_window = seg.seq.wrapping_sub(t.rcv_nxt) < t.rcv_wnd.max(1)
            || t.rcv_nxt.wrapping_sub(seg.seq) < text;
        let new_text = seg.seq.wrapping_add(text).wrapping_sub(t.rcv_nxt) as i32 > 0;
        closed
            && matches!(t.state, State::FinWait1 | State::FinWait2)
            && !seg.flags.syn()
            && !seg.flags.rst()
            && text > 0
            && in_window
            && new_text
    }

    /// Lets time pass up to `t`, firing timers at their deadlines.
    fn advance(&mut self, t: u64) -> Result<(), Failure> {
        loop {
            if let Some(p) = &self.pending
                && let Wait::Poll(_, timeout) = p.wait
                && t >= timeout
                && self.next_deadline().is_none_or(|(_, _, d)| d > timeout)
            {
                // A poll's timeout: it returns 0.
                self.now = self.now.max(timeout);
                let p = self.pending.take().expect("pending");
                let mut e = self.entry(Kind::Return, p.text.clone());
                (e.line, e.column) = (p.line, p.column);
                e.result = Some("0".to_string());
                self.push(e);
                let tol = self.opts.tolerance;
                if self.now.saturating_add(tol) < p.end || self.now > p.end.saturating_add(tol) {
                    let mut f = self.fail(format!(
                        "the poll timed out at {}, not at {}",
                        seconds(self.now),
                        seconds(p.end)
                    ));
                    (f.line, f.column) = (p.line, p.column);
                    return Err(f);
                }
                self.check_result(0, None, &p.expect, p.line, p.column)?;
                continue;
            }
            if let Some(p) = &self.pending {
                let limit = p.end.saturating_add(self.opts.tolerance);
                let next = self.next_deadline().filter(|&(_, _, d)| d <= t.min(limit));
                if next.is_none() && t > limit {
                    self.now = self.now.max(limit);
                    let p = self.pending.take().expect("pending");
                    let mut f = self.fail(format!(
                        "the blocking call had not returned by {}",
                        seconds(p.end)
                    ));
                    f.line = p.line;
                    f.column = p.column;
                    f.expected = Some(format!("{} returning at {}", p.text, seconds(p.end)));
                    f.actual = Some("still blocked".to_string());
                    return Err(f);
                }
            }
            let Some((i, timer, deadline)) = self.next_deadline().filter(|&(_, _, d)| d <= t)
            else {
                break;
            };
            self.now = self.now.max(deadline);
            let who = self.socket_name(i);
            let mut e = self.entry(Kind::Timer, timer_text(timer));
            e.steps.push(self.step(i, Input::Timeout(timer), who).0);
            self.push(e);
            self.reap();
            self.poll()?;
        }
        self.now = self.now.max(t);
        Ok(())
    }

    fn next_deadline(&self) -> Option<(usize, Timer, u64)> {
        self.socks
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.tcb.next_timer().map(|(t, d)| (i, t, d)))
            .min_by_key(|&(i, t, d)| (d, i, t))
    }

    /// Tries to complete a blocking call.
    fn poll(&mut self) -> Result<(), Failure> {
        let Some(p) = &self.pending else {
            return Ok(());
        };
        let wait = p.wait;
        let (ready, steps) = self.attempt(wait)?;
        let Ready::Done(value, errno) = ready else {
            return Ok(());
        };
        let p = self.pending.take().expect("pending");
        let mut e = self.entry(Kind::Return, p.text.clone());
        e.line = p.line;
        e.column = p.column;
        e.steps = steps;
        e.result = Some(result_text(value, errno));
        self.push(e);
        let tol = self.opts.tolerance;
        if self.now.saturating_add(tol) < p.end || self.now > p.end.saturating_add(tol) {
            let mut f = self.fail(format!(
                "the blocking call returned at {}, not at {}",
                seconds(self.now),
                seconds(p.end)
            ));
            f.line = p.line;
            f.column = p.column;
            return Err(f);
        }
        self.check_result(value, errno, &p.expect, p.line, p.column)
    }

    fn check_result(
        &self,
        value: i64,
        errno: Option<&'static str>,
        expect: &(i64, Option<String>),
        line: usize,
        column: usize,
    ) -> Result<(), Failure> {
        let errno_ok = match (&expect.1, errno) {
            // EWOULDBLOCK is EAGAIN (POSIX allows them to be one; on Linux they are).
            (Some(e), Some(a)) => e == a || (e == "EWOULDBLOCK" && a == "EAGAIN"),
            (None, _) => true,
            (Some(_), None) => false,
        };
        if value == expect.0 && errno_ok {
            return Ok(());
        }
        let mut f = self.fail("the system call returned something else");
        f.line = line;
        f.column = column;
        f.expected = Some(result_text(expect.0, expect.1.as_deref()));
        f.actual = Some(result_text(value, errno));
        Err(f)
    }

    /// Runs one statement. `source` is the text the statement's spans point into.
    pub fn run(&mut self, st: &Statement, source: &Source) -> Result<(), Failure> {
        let p = source.place(st.span.start);
        self.line = p.line;
        self.column = p.column;
        // A statement written over several lines is shown on one.
        let text = source.text[st.span.clone()]
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let at = |span: &Span| source.place(span.start);
        // When the statement happens.
        let resolve = |t: Time, base: u64| {
            if t.relative {
                base.saturating_add(t.micros)
            } else {
                t.micros
            }
        };
        let (start, window) = match st.when {
            When::Omitted => (self.last, None),
            When::At(t) => (resolve(t, self.last), None),
            When::Any => (self.now, Some((self.now, u64::MAX))),
            When::Within(a, b) => {
                let (a, b) = (resolve(a, self.last), resolve(b, self.last));
                (a, Some((a, b)))
            }
            When::Blocking(a, _) => (resolve(a, self.last), None),
        };
        if let Some((a, b)) = window
            && b < a
        {
            return Err(self.bad("the time range ends before it starts"));
        }
        if start < self.now && !matches!(st.when, When::Any) {
            return Err(self.bad(format!(
                "time goes backwards: {} is before the current time {}",
                seconds(start),
                seconds(self.now)
            )));
        }
        match &st.action {
            Action::Outbound(pkt) => {
                let places = [
                    Some(at(&pkt.flags_span)),
                    Some(at(&pkt.seq_span)),
                    pkt.ack_span.as_ref().map(at),
                ];
                self.expect_outbound(pkt, &text, start, window, places)?
            }
            Action::Inbound(pkt) => {
                self.advance(start)?;
                if pkt.flags.syn() {
                    // The MSS option only counts on a SYN; without one, 536 (§3.7.1).
                    let peer = pkt.mss.map_or(536, u32::from);
                    self.send_mss = peer.clamp(MIN_MSS, self.opts.config.mss.max(MIN_MSS));
                }
                let seg = self.inbound_segment(pkt);
                let mut e = self.entry(Kind::Inbound, text);
                e.notice = self.packet_notice(pkt, true);
                e.steps = self.inject(seg);
                self.push(e);
                self.reap();
                self.poll()?;
            }
            Action::Call(call) => {
                self.advance(start)?;
                match st.when {
                    When::Blocking(a, b) => {
                        let base = self.last;
                        let end = if a.relative || b.relative {
                            base.saturating_add(b.micros)
                        } else {
                            b.micros
                        };
                        if end < start {
                            return Err(self.bad("the call returns before it starts"));
                        }
                        self.syscall(call, text, Some(end))?
                    }
                    _ => self.syscall(call, text, None)?,
                }
            }
            Action::Assert(state, span, skipped) => {
                self.advance(start)?;
                let mut e = self.entry(Kind::Assert, text);
                e.notice = skipped.clone();
                self.push(e);
                if self.state() != *state {
                    let p = at(span);
                    let mut f = self.fail("the endpoint is in another state");
                    f.line = p.line;
                    f.column = p.column;
                    f.expected = Some(state.to_string());
                    f.actual = Some(self.state().to_string());
                    return Err(f);
                }
            }
            Action::IcmpIn(m) => {
                self.advance(start)?;
                let mut e = self.entry(Kind::Inbound, text);
                e.notice = Some(self.icmp(m));
                self.push(e);
                self.reap();
                self.poll()?;
            }
            Action::IcmpOut(_) => {
                self.advance(start)?;
                let mut f = self.fail("the endpoint sends no ICMP messages (not modelled)");
                f.expected = Some(text);
                f.actual = Some("no ICMP message".to_string());
                return Err(f);
            }
            Action::Skip(kind) => {
                self.advance(start)?;
                let mut e = self.entry(Kind::Skip, text);
                e.notice = Some(
                    match kind {
                        crate::script::Skipped::Shell => {
                            "shell command skipped: scripts are data, nothing in them is executed"
                        }
                        crate::script::Skipped::Python => {
                            "%{ }% block skipped: only `assert tcpi_state == TCP_X` is checked"
                        }
                    }
                    .to_string(),
                );
                self.push(e);
            }
        }
        self.last = match st.when {
            When::Any => self.now,
            _ => start.max(self.last),
        };
        Ok(())
    }

    /// Records a notice about a line that is not a statement (an ignored option).
    pub fn notice(&mut self, line: usize, column: usize, text: String, notice: String) {
        let mut e = self.entry(Kind::Skip, text);
        e.line = line;
        e.column = column;
        e.notice = Some(notice);
        self.push(e);
    }

    /// Ends a script: nothing may be left blocked or unexpected.
    pub fn finish(&mut self) -> Result<(), Failure> {
        // A blocking call still running gets until its return time.
        if let Some(end) = self.pending.as_ref().map(|p| p.end) {
            self.advance(end)?;
        }
        if let Some(p) = self.pending.take() {
            let mut f = self.fail("the script ended with a call still blocked");
            f.line = p.line;
            f.column = p.column;
            return Err(f);
        }
        if !self.opts.strict && !self.outbound.is_empty() {
            // packetdrill never reads what is sent after the last `>` line.
            let n = self.outbound.len();
            let texts: Vec<String> = self
                .outbound
                .drain(..)
                .map(|s| s.seg)
                .collect::<Vec<_>>()
                .into_iter()
                .map(|s| self.wire_of(s, true).text)
                .collect();
            let mut e = self.entry(Kind::Skip, "end of script");
            e.notice = Some(format!(
                "{n} segment(s) sent after the last `>` line not checked, as packetdrill \
                 (--strict checks them): {}",
                texts.join("; ")
            ));
            self.push(e);
            return Ok(());
        }
        if let Some(s) = self.outbound.pop_front() {
            let w = self.wire_of(s.seg, true);
            let mut f = self.fail(format!(
                "the endpoint sent a segment at {} that no `>` line expects",
                seconds(s.time)
            ));
            f.actual = Some(w.text);
            return Err(f);
        }
        Ok(())
    }

    fn packet_notice(&mut self, pkt: &Packet, inbound: bool) -> Option<String> {
        let mut parts = Vec::new();
        // MSS is the one option used (on an injected SYN); the others are named once.
        let ignored: Vec<&str> = pkt
            .options
            .iter()
            .map(String::as_str)
            .filter(|o| *o != "mss" || (inbound && !pkt.flags.syn()))
            // Modelled (RFC 7323, RFC 2018) or padding.
            .filter(|o| !["wscale", "sackOK", "TS", "nop", "eol"].contains(o))
            .collect();
        if !ignored.is_empty() {
            let key = format!("options:{}", ignored.join(","));
            if let Some(n) = self.notice_once(
                key,
                format!("TCP options not modelled, ignored: {}", ignored.join(", ")),
            ) {
                parts.push(n);
            }
        }
        if !pkt.unmodelled_flags.is_empty()
            && let Some(n) = self.notice_once(
                format!("flags:{}", pkt.unmodelled_flags),
                format!("flags not modelled, ignored: {}", pkt.unmodelled_flags),
            )
        {
            parts.push(n);
        }
        if !pkt.ip.is_empty()
            && let Some(n) = self.notice_once(
                format!("ip:{}", pkt.ip.join(",")),
                format!(
                    "IP marks not modelled (no ECN), ignored: [{}]",
                    pkt.ip.join("] [")
                ),
            )
        {
            parts.push(n);
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// An ICMP message reaches the connection (RFC 9293 §3.9.2.2, restating RFC 1122
    /// §4.2.3.9). Destination Unreachable codes 2 and 3 (protocol, port) are hard errors:
    /// the TCP SHOULD abort the connection (SHLD-26), and it does, in any state with a
    /// TCB, as the socket layer: the TCB is deleted as ABORT would delete it, but with no
    /// RST (the peer is unreachable), and the socket's pending error is what the next
    /// call, or a blocked `connect`, reports (`ECONNREFUSED`, `ENOPROTOOPT`, as Linux's
    /// `icmp_err_convert`). Code 4 (fragmentation needed) is path MTU discovery (RFC
    /// 1191), not an error: ignored with a notice. The rest (codes 0, 1, 5, Time
    /// Exceeded) are soft errors: the TCP MUST NOT abort (MUST-56); the error is what the
    /// user is told if the connection later times out (SHLD-25, Linux's `sk_err_soft`).
    fn icmp(&mut self, m: &crate::script::Icmp) -> String {
        if !m.quotes_tcp {
            return format!(
                "ICMP {} {} quotes a UDP or raw packet, not this connection: ignored",
                m.kind, m.code
            );
        }
        let (errno, hard) = match (m.kind.as_str(), m.code.as_str()) {
            ("packet_too_big", _) => {
                return "ICMPv6 packet too big: path MTU discovery (RFC 8201), not an error; \
                        the MSS is fixed here, ignored"
                    .to_string();
            }
            ("unreachable", "net_unreachable" | "network_unreachable") => ("ENETUNREACH", false),
            ("unreachable", "protocol_unreachable" | "proto_unreachable") => ("ENOPROTOOPT", true),
            ("unreachable", "port_unreachable") => ("ECONNREFUSED", true),
            ("unreachable", "frag_needed" | "fragmentation_needed") => {
                return "ICMP fragmentation needed: path MTU discovery (RFC 1191), not an \
                        error (RFC 9293 §3.9.2.2 counts it with the hard errors, but it asks \
                        for smaller segments); the MSS is fixed here, ignored"
                    .to_string();
            }
            ("unreachable" | "time_exceeded", _) => ("EHOSTUNREACH", false),
            _ => {
                return format!("ICMP {} {} not modelled, ignored", m.kind, m.code);
            }
        };
        let what = format!("ICMP {} {}", m.kind, m.code);
        let Some(i) = self.wire() else {
            return format!("{what}: no connection to report it to, ignored");
        };
        let t = &self.socks[i].tcb;
        if let Some(seq) = m.echoed {
            // RFC 5927 §4.1: the quoted segment must be one in flight.
            let live = seq.wrapping_add(self.offset);
            let in_flight = live.wrapping_sub(t.snd_una) < t.snd_nxt.wrapping_sub(t.snd_una);
            if !in_flight {
                return format!(
                    "{what}: it quotes sequence number {seq}, not in flight \
                     (RFC 5927 §4.1), ignored"
                );
            }
        }
        let state = t.state;
        let s = &mut self.socks[i];
        if hard {
            // Not a row of the table: ABORT would send a RST in the synchronized states.
            s.tcb = Tcb::default();
            s.error = Some(errno);
            s.soft_error = None;
            self.last_conn = Some(State::Closed);
            return format!(
                "{what} in {state}: a hard error, the connection is aborted (RFC 9293 \
                 §3.9.2.2 SHLD-26): the TCB is deleted, nothing is sent, {errno} is \
                 reported; now CLOSED"
            );
        }
        s.soft_error = Some(errno);
        format!(
            "{what} in {state}: a soft error, the connection is not aborted (RFC 9293 \
             §3.9.2.2 MUST-56); {errno} is reported if it times out (SHLD-25)"
        )
    }

    fn inbound_segment(&self, pkt: &Packet) -> Segment {
        Segment {
            seq: pkt.start,
            ack: pkt.ack.map_or(0, |a| a.wrapping_add(self.offset)),
            flags: pkt.flags,
            wnd: pkt.win.unwrap_or(self.opts.default_win),
            len: pkt.len,
            opts: pkt.tcp,
        }
    }

    fn expect_outbound(
        &mut self,
        pkt: &Packet,
        text: &str,
        start: u64,
        window: Option<(u64, u64)>,
        places: [Option<Place>; 3],
    ) -> Result<(), Failure> {
        let [flags_place, seq_place, ack_place] = places;
        let (flags_place, seq_place) = (flags_place.expect("flags"), seq_place.expect("range"));
        let deadline = window.map_or(start, |(_, b)| b);
        // `*` or a range: let time run until something is sent or the range ends.
        if self.outbound.is_empty() && window.is_some() {
            while self.outbound.is_empty() {
                let Some((_, _, d)) = self.next_deadline() else {
                    break;
                };
                if d > deadline {
                    break;
                }
                self.advance(d)?;
            }
        } else {
            self.advance(start)?;
        }
        let expected = expected_text(pkt);
        let Some(sent) = self.outbound.pop_front() else {
            let mut f = self.fail("the endpoint sent nothing");
            f.expected = Some(expected);
            f.actual = Some("no segment".to_string());
            return Err(f);
        };
        let (seg, merged) = self.offloaded(sent, pkt);
        let mut e = self.entry(Kind::Outbound, text);
        e.time = sent.time;
        e.notice = self.packet_notice(pkt, false);
        if merged > 1 {
            let n = format!(
                "{merged} segments sent at once matched as one, as Linux's segmentation \
                 offload (TSO/GSO) hands them to packetdrill's device"
            );
            e.notice = Some(match e.notice {
                Some(before) => format!("{before}; {n}"),
                None => n,
            });
        }
        let mismatch = |what: &str, s: &Session| {
            let mut f = s.fail(format!("the segment sent differs: {what}"));
            f.expected = Some(expected.clone());
            f.actual = Some(s.wire_of(seg, true).text);
            f
        };
        if seg.flags != pkt.flags {
            let mut f = mismatch("flags", self);
            f.column = flags_place.column;
            return Err(f);
        }
        if pkt.any_seq {
            // `...`: any sequence number.
        } else if pkt.flags.syn() {
            // packetdrill's mapping: the endpoint's ISN is the script's SYN number.
            self.offset = seg.seq.wrapping_sub(pkt.start);
        } else if self.script_seq(&seg) != pkt.start {
            let mut f = mismatch("sequence number", self);
            f.column = seq_place.column;
            return Err(f);
        }
        if !pkt.any_len && seg.len != pkt.len {
            let mut f = mismatch("length", self);
            f.column = seq_place.column;
            return Err(f);
        }
        if let Some(a) = pkt.ack
            && seg.flags.ack()
            && seg.ack != a
        {
            let mut f = mismatch("acknowledgment number", self);
            f.column = ack_place.map_or(f.column, |p| p.column);
            return Err(f);
        }
        if let Some(w) = pkt.win
            && seg.wnd != w
        {
            return Err(mismatch("window", self));
        }
        // Options are compared when the line lists them (not `<...>`), as packetdrill:
        // which options, the MSS and window scale values, and TSecr. TSval is our clock
        // and, as packetdrill without `--tcp_ts_tick_usecs`, not compared.
        if !pkt.options.is_empty() && pkt.options.iter().all(|o| o != "...") {
            let (e, a) = (pkt.tcp, seg.opts);
            let same = e.mss == a.mss
                && e.wscale == a.wscale
                && e.sack_permitted == a.sack_permitted
                && e.timestamps.map(|t| t.1) == a.timestamps.map(|t| t.1);
            if !same {
                return Err(mismatch("TCP options", self));
            }
        }
        let tol = self.opts.tolerance;
        let (lo, hi) = window.unwrap_or((start, start));
        if sent.time.saturating_add(tol) < lo || sent.time > hi.saturating_add(tol) {
            let mut f = self.fail(format!(
                "the segment was sent at {}, expected at {}",
                seconds(sent.time),
                match window {
                    Some((_, u64::MAX)) => "any time".to_string(),
                    Some((a, b)) => format!("{}~{}", seconds(a), seconds(b)),
                    None => seconds(start),
                }
            ));
            f.expected = Some(expected);
            f.actual = Some(self.wire_of(seg, true).text);
            return Err(f);
        }
        self.push(e);
        Ok(())
    }

    /// The segment a `>` line is compared with: the first one sent, or, when the line
    /// expects more text than it carries, the run of segments sent at the same time that
    /// continue it (same acknowledgment, no SYN or RST, a FIN only on the last) and add up
    /// to exactly the length expected, taken as one. Linux hands such runs to the device
    /// as one TSO/GSO packet, and packetdrill sees one segment; the endpoint sends
    /// segments of at most the MSS. Returns the segment and how many were merged.
    fn offloaded(&mut self, first: Sent, pkt: &Packet) -> (Segment, usize) {
        let mut seg = first.seg;
        let plain = |s: &Segment| !s.flags.syn() && !s.flags.rst() && s.len > 0;
        if pkt.any_len || pkt.len <= seg.len || !plain(&seg) || seg.flags.fin() {
            return (seg, 1);
        }
        let mut n = 0;
        for next in &self.outbound {
            let s = next.seg;
            if next.time != first.time
                || !plain(&s)
                || s.seq != seg.seq.wrapping_add(seg.len)
                || s.ack != seg.ack
                || s.flags.ack() != seg.flags.ack()
                || seg.len.saturating_add(s.len) > pkt.len
            {
                break;
            }
            seg.len += s.len;
            seg.flags = seg.flags.union(s.flags);
            seg.wnd = s.wnd;
            n += 1;
            if seg.len == pkt.len || s.flags.fin() {
                break;
            }
        }
        if seg.len != pkt.len {
            return (first.seg, 1);
        }
        self.outbound.drain(..n);
        (seg, n + 1)
    }

    fn syscall(&mut self, call: &Call, text: String, end: Option<u64>) -> Result<(), Failure> {
        let mut e = self.entry(Kind::Call, text.clone());
        let fd = || call.args.first().and_then(|a| a.value.int());
        let expect = (call.result.value, call.result.errno.clone());
        let wait = match call.name.as_str() {
            "socket" => {
                let ty = call.args.get(1).map(|a| &a.value);
                if let Some(ty) = ty
                    && !matches!(ty, Value::Ellipsis)
                    && !ty.has_name("SOCK_STREAM")
                {
                    return Err(self.bad("only SOCK_STREAM sockets are modelled"));
                }
                let fd = self.label(expect.0);
                self.socks.push(Socket {
                    nonblocking: ty.is_some_and(|t| t.has_name("SOCK_NONBLOCK")),
                    ..Socket::new(Tcb::new(), Some(fd))
                });
                Ok(Ready::Done(fd, None))
            }
            "bind" => Ok(self.with_fd(fd(), |_, _| Ready::Done(0, None))),
            "listen" => self.user_call(fd(), UserCall::PassiveOpen, &mut e)?,
            "connect" => self.user_call(fd(), UserCall::ActiveOpen, &mut e)?,
            "accept" => match fd() {
                Some(fd) if self.by_fd(fd).is_some() => Err(Wait::Accept(fd, expect.0)),
                _ => Ok(Ready::Done(-1, Some("EBADF"))),
            },
            "read" | "recv" | "recvfrom" | "recvmsg" | "readv" => {
                let n = match call.name.as_str() {
                    // The buffers' total length; `...` reads whatever there is.
                    "recvmsg" | "readv" => call
                        .args
                        .get(1)
                        .map_or(Some(0), |a| iov_total(&a.value))
                        .unwrap_or(i64::from(u32::MAX)),
                    _ => call.args.get(2).and_then(|a| a.value.int()).unwrap_or(0),
                };
                match fd() {
                    Some(fd)
                        if n > 0
                            && null_buffer(call)
                            && self
                                .by_fd(fd)
                                .is_some_and(|i| self.socks[i].tcb.recv_queue > 0) =>
                    {
                        // Text to copy into a NULL buffer: nothing is read (Linux).
                        Ok(Ready::Done(-1, Some("EFAULT")))
                    }
                    Some(fd) if self.by_fd(fd).is_some() => {
                        Err(Wait::Read(fd, n.clamp(0, u32::MAX as i64) as u32))
                    }
                    _ => Ok(Ready::Done(-1, Some("EBADF"))),
                }
            }
            "write" | "send" | "sendto" | "sendmsg" | "writev" | "sendfile" => {
                let n = match call.name.as_str() {
                    "sendmsg" | "writev" => call.args.get(1).and_then(|a| iov_total(&a.value)),
                    // sendfile(out, in, offset, count): count bytes sent on `out`.
                    "sendfile" => call.args.get(3).and_then(|a| a.value.int()),
                    _ => call.args.get(2).and_then(|a| a.value.int()),
                };
                let n = match n {
                    Some(n) => n,
                    None if call.name == "write" || call.name.starts_with("send") => {
                        // The length is not written (`...`): the script's result says it.
                        e.notice = Some(format!(
                            "{}: the length is not written, the expected result ({}) is taken as it",
                            call.name, expect.0
                        ));
                        expect.0.max(0)
                    }
                    None => 0,
                };
                let n = n.clamp(0, u32::MAX as i64) as u32;
                let can_send = |s: &Socket| {
                    s.error.is_none()
                        && matches!(s.tcb.state, State::Established | State::CloseWait)
                };
                if n > 0
                    && null_buffer(call)
                    && fd()
                        .and_then(|fd| self.by_fd(fd))
                        .is_some_and(|i| can_send(&self.socks[i]))
                {
                    // Text to copy from a NULL buffer: nothing is sent (Linux's
                    // tcp_sendmsg fails the copy with nothing queued).
                    Ok(Ready::Done(-1, Some("EFAULT")))
                } else {
                    self.user_call(fd(), UserCall::Send(n), &mut e)?
                }
            }
            "ioctl" => {
                let cmd = call.args.get(1).map(|a| &a.value);
                let Some(i) = fd().and_then(|fd| self.by_fd(fd)) else {
                    return self.unmodelled(
                        call,
                        text,
                        e,
                        "ioctl on a descriptor that is not a socket",
                    );
                };
                if cmd.is_some_and(|c| c.has_name("SIOCINQ") || c.has_name("FIONREAD")) {
                    // Bytes queued to read (Linux: EINVAL on a listener).
                    let t = &self.socks[i].tcb;
                    if t.state == State::Listen {
                        Ok(Ready::Done(-1, Some("EINVAL")))
                    } else {
                        let queued = i64::from(t.recv_queue);
                        let wanted = call.args.get(2).and_then(|a| a.value.int());
                        if wanted.is_some_and(|w| w != queued) {
                            let mut f = self.fail("ioctl found another number of bytes queued");
                            f.expected = Some(format!("[{}]", wanted.unwrap_or(0)));
                            f.actual = Some(format!("[{queued}]"));
                            return Err(f);
                        }
                        Ok(Ready::Done(0, None))
                    }
                } else {
                    return self.unmodelled(call, text, e, "this ioctl is not modelled");
                }
            }
            "poll" => {
                let mut watch = Vec::new();
                for item in list_items(call.args.first().map(|a| &a.value)) {
                    let fd = item.field("fd").and_then(Value::int).unwrap_or(-1);
                    let events = item.field("events").and_then(event_bits).unwrap_or(0);
                    watch.push((fd, events));
                }
                self.watch = watch;
                self.watch_epoll = None;
                let ready_now = self.watch.iter().any(|&(fd, ev)| self.revents(fd, ev) != 0);
                // Each `revents=` written is checked against the socket's state (when
                // the call returns at once).
                for item in list_items(call.args.first().map(|a| &a.value)) {
                    let fd = item.field("fd").and_then(Value::int).unwrap_or(-1);
                    let events = item.field("events").and_then(event_bits).unwrap_or(0);
                    if let Some(wanted) = item.field("revents").and_then(event_bits) {
                        let actual = self.revents(fd, events);
                        if actual != wanted && (ready_now || end.is_none()) {
                            let mut f = self.fail(format!("poll found fd {fd} in another state"));
                            f.expected = Some(events_text(wanted));
                            f.actual = Some(events_text(actual));
                            return Err(f);
                        }
                    }
                }
                let timeout = self.poll_timeout(call.args.get(2));
                Err(Wait::Poll(usize::MAX, timeout))
            }
            "epoll_create" | "epoll_create1" => {
                let fd = self.label(expect.0);
                self.others.insert(fd, OtherFd::Epoll(Vec::new()));
                Ok(Ready::Done(fd, None))
            }
            "epoll_ctl" => {
                let op = call.args.get(1).map(|a| &a.value);
                let target = call.args.get(2).and_then(|a| a.value.int()).unwrap_or(-1);
                let events = call
                    .args
                    .get(3)
                    .and_then(|a| a.value.field("events"))
                    .and_then(event_bits)
                    .unwrap_or(0);
                let known = self.by_fd(target).is_some() || self.others.contains_key(&target);
                match fd().and_then(|fd| self.others.get_mut(&fd)) {
                    Some(OtherFd::Epoll(list)) if known => {
                        let at = list.iter().position(|(f, _)| *f == target);
                        match (op, at) {
                            (Some(o), None) if o.has_name("EPOLL_CTL_ADD") => {
                                list.push((target, events));
                                if let Some(ep) = fd() {
                                    self.edge_seen.remove(&(ep, target));
                                }
                                Ok(Ready::Done(0, None))
                            }
                            (Some(o), Some(_)) if o.has_name("EPOLL_CTL_ADD") => {
                                Ok(Ready::Done(-1, Some("EEXIST")))
                            }
                            (Some(o), Some(k)) if o.has_name("EPOLL_CTL_MOD") => {
                                list[k].1 = events;
                                if let Some(ep) = fd() {
                                    self.edge_seen.remove(&(ep, target));
                                }
                                Ok(Ready::Done(0, None))
                            }
                            (Some(o), Some(k)) if o.has_name("EPOLL_CTL_DEL") => {
                                list.remove(k);
                                if let Some(ep) = fd() {
                                    self.edge_seen.remove(&(ep, target));
                                }
                                Ok(Ready::Done(0, None))
                            }
                            (Some(o), None)
                                if o.has_name("EPOLL_CTL_MOD") || o.has_name("EPOLL_CTL_DEL") =>
                            {
                                Ok(Ready::Done(-1, Some("ENOENT")))
                            }
                            _ => Ok(Ready::Done(-1, Some("EINVAL"))),
                        }
                    }
                    Some(OtherFd::Epoll(_)) => Ok(Ready::Done(-1, Some("EBADF"))),
                    _ => Ok(Ready::Done(-1, Some("EBADF"))),
                }
            }
            "epoll_wait" => match fd().and_then(|fd| self.others.get(&fd)) {
                Some(OtherFd::Epoll(list)) => {
                    self.watch = list.clone();
                    self.watch_epoll = fd();
                    let max = call.args.get(2).and_then(|a| a.value.int()).unwrap_or(1);
                    let timeout = self.poll_timeout(call.args.get(3));
                    Err(Wait::Poll(
                        max.clamp(0, i64::from(u32::MAX)) as usize,
                        timeout,
                    ))
                }
                _ => Ok(Ready::Done(-1, Some("EBADF"))),
            },
            "pipe" => {
                // `pipe([5, 6])`: two descriptors with the script's numbers.
                let fds: Vec<i64> = list_items(call.args.first().map(|a| &a.value))
                    .iter()
                    .filter_map(|v| v.int())
                    .collect();
                for fd in fds {
                    let fd = self.label(fd);
                    self.others.insert(fd, OtherFd::Plain);
                }
                e.notice = Some(
                    "pipe: descriptors given out, nothing behind them is modelled".to_string(),
                );
                Ok(Ready::Done(0, None))
            }
            "open" if expect.0 >= 0 => {
                let fd = self.label(expect.0);
                self.others.insert(fd, OtherFd::Plain);
                e.notice = Some("open: a descriptor given out, no file is opened".to_string());
                Ok(Ready::Done(fd, None))
            }
            "open" | "splice" => {
                return self.unmodelled(call, text, e, "not modelled");
            }
            "shutdown" => {
                let how = call.args.get(1).map(|a| &a.value);
                let reads = how.is_some_and(|h| h.has_name("SHUT_RD") || h.has_name("SHUT_RDWR"));
                let writes = !how.is_some_and(|h| h.has_name("SHUT_RD"));
                if reads && let Some(i) = fd().and_then(|fd| self.by_fd(fd)) {
                    // RFC 9293 has no receive-side half close: nothing goes on the wire,
                    // and reads return end of file (POSIX).
                    self.socks[i].shut_rd = true;
                }
                if writes {
                    self.user_call(fd(), UserCall::Shutdown, &mut e)?
                } else {
                    Ok(self.with_fd(fd(), |_, _| Ready::Done(0, None)))
                }
            }
            "close" => match fd() {
                Some(fd) if self.others.remove(&fd).is_some() => {
                    for o in self.others.values_mut() {
                        if let OtherFd::Epoll(list) = o {
                            list.retain(|(f, _)| *f != fd);
                        }
                    }
                    Ok(Ready::Done(0, None))
                }
                fd => self.close(fd, &mut e)?,
            },
            "getsockopt" => {
                let opt = call.args.get(2).map(|a| &a.value);
                let info_state = call
                    .args
                    .get(3)
                    .and_then(|a| a.value.field("tcpi_state"))
                    .and_then(|v| match v {
                        Value::Name(n) => crate::script::parse_state(n),
                        _ => None,
                    });
                if opt.is_some_and(|o| o.has_name("TCP_INFO"))
                    && let Some(wanted) = info_state
                {
                    // `{tcpi_state=TCP_ESTABLISHED, ...}`: the state is checked, the rest not.
                    let Some(i) = fd().and_then(|fd| self.by_fd(fd)) else {
                        return Err(self.bad("getsockopt on a descriptor that is not open"));
                    };
                    let actual = self.socks[i].tcb.state;
                    if actual != wanted {
                        let mut f = self.fail("the endpoint is in another state");
                        f.expected = Some(wanted.to_string());
                        f.actual = Some(actual.to_string());
                        return Err(f);
                    }
                    e.notice = self.notice_once(
                        "getsockopt:TCP_INFO".to_string(),
                        "TCP_INFO: tcpi_state is checked, its other fields are not".to_string(),
                    );
                    Ok(Ready::Done(0, None))
                } else if opt.is_some_and(|o| o.has_name("TCP_MAXSEG")) {
                    let Some(i) = fd().and_then(|fd| self.by_fd(fd)) else {
                        return Err(self.bad("getsockopt on a descriptor that is not open"));
                    };
                    let actual = i64::from(self.maxseg(i));
                    let wanted = call.args.get(3).and_then(|a| a.value.int());
                    if wanted.is_some_and(|w| w != actual) {
                        let mut f = self.fail("getsockopt(TCP_MAXSEG) found another MSS");
                        f.expected = Some(format!("[{}]", wanted.unwrap_or(0)));
                        f.actual = Some(format!("[{actual}]"));
                        return Err(f);
                    }
                    Ok(Ready::Done(0, None))
                } else if opt.is_some_and(|o| o.has_name("SO_ERROR")) {
                    // The pending error, as `[0]` or `[ECONNREFUSED]`; reading clears it.
                    let Some(i) = fd().and_then(|fd| self.by_fd(fd)) else {
                        return Err(self.bad("getsockopt on a descriptor that is not open"));
                    };
                    let actual = self.socks[i].error.take();
                    let wanted = call.args.get(3).map(|a| &a.value);
                    let matches = match wanted {
                        None | Some(Value::Ellipsis) => true,
                        Some(v) => match (v.int(), actual) {
                            (Some(0), None) => true,
                            (Some(n), Some(e)) => errno_number(e) == Some(n),
                            _ => match v {
                                Value::List(items) if items.len() == 1 => {
                                    actual.is_some_and(|e| items[0].value.has_name(e))
                                }
                                _ => false,
                            },
                        },
                    };
                    if !matches {
                        let mut f = self.fail("getsockopt(SO_ERROR) found another error");
                        f.actual = Some(format!("[{}]", actual.unwrap_or("0")));
                        return Err(f);
                    }
                    Ok(Ready::Done(0, None))
                } else {
                    let name = match opt {
                        Some(Value::Name(n)) => n.clone(),
                        _ => "this option".to_string(),
                    };
                    e.notice = self.notice_once(
                        format!("getsockopt:{name}"),
                        format!("getsockopt {name} is not modelled: it returns 0, its value is not checked"),
                    );
                    Ok(self.with_fd(fd(), |_, _| Ready::Done(0, None)))
                }
            }
            "setsockopt" => {
                let opt = call.args.get(2).map(|a| &a.value);
                let val = call.args.get(3).map(|a| &a.value);
                if opt.is_some_and(|o| o.has_name("TCP_MAXSEG")) {
                    // Linux's do_tcp_setsockopt: 0 clears it; else TCP_MIN_MSS (88) up to
                    // MAX_TCP_WINDOW, or EINVAL.
                    let v = val.and_then(Value::int).unwrap_or(-1);
                    Ok(self.with_fd(fd(), |s, _| match v {
                        0 => {
                            s.user_mss = None;
                            Ready::Done(0, None)
                        }
                        88..=32767 => {
                            s.user_mss = Some(v as u32);
                            Ready::Done(0, None)
                        }
                        _ => Ready::Done(-1, Some("EINVAL")),
                    }))
                } else if opt.is_some_and(|o| o.has_name("SO_LINGER")) {
                    let on = field(val, "l_onoff").unwrap_or(0) != 0;
                    let secs = field(val, "l_linger").unwrap_or(1);
                    Ok(self.with_fd(fd(), |s, _| {
                        s.linger0 = on && secs == 0;
                        Ready::Done(0, None)
                    }))
                } else {
                    let name = match opt {
                        Some(Value::Name(n)) => n.clone(),
                        _ => "this option".to_string(),
                    };
                    e.notice = self.notice_once(
                        format!("setsockopt:{name}"),
                        format!(
                            "setsockopt {name} is not modelled: it returns 0 and changes nothing"
                        ),
                    );
                    Ok(self.with_fd(fd(), |_, _| Ready::Done(0, None)))
                }
            }
            "fcntl" => {
                let cmd = call.args.get(1).map(|a| &a.value);
                let arg = call.args.get(2).map(|a| &a.value);
                if cmd.is_some_and(|c| c.has_name("F_SETFL")) {
                    let nb = arg.is_some_and(|a| a.has_name("O_NONBLOCK"));
                    Ok(self.with_fd(fd(), |s, _| {
                        s.nonblocking = nb;
                        Ready::Done(0, None)
                    }))
                } else if cmd.is_some_and(|c| c.has_name("F_GETFL")) {
                    Ok(self.with_fd(fd(), |s, _| {
                        Ready::Done(0o2 | if s.nonblocking { 0o4000 } else { 0 }, None)
                    }))
                } else {
                    return Err(self.bad("fcntl: only F_GETFL and F_SETFL are modelled"));
                }
            }
            other => return Err(self.bad(format!("unknown system call `{other}`"))),
        };
        self.reap();
        let (value, errno) = match wait {
            Ok(Ready::Done(value, errno)) => (value, errno),
            // Only a wait blocks; a direct result never does.
            Ok(Ready::Block) => (-1, Some("EAGAIN")),
            Err(w) => {
                let (r, steps) = self.attempt(w)?;
                e.steps.extend(steps);
                match r {
                    Ready::Done(value, errno) => (value, errno),
                    // A poll that finds nothing ready returns 0 (a timeout of 0).
                    Ready::Block if matches!(w, Wait::Poll(..)) && end.is_none() => (0, None),
                    Ready::Block if self.would_not_block(w) => {
                        let errno = match w {
                            Wait::Connect(_) => "EINPROGRESS",
                            _ => "EAGAIN",
                        };
                        (-1, Some(errno))
                    }
                    Ready::Block => {
                        e.result = Some("blocks".to_string());
                        self.push(e);
                        let Some(end) = end else {
                            return Err(self.fail(format!(
                                "{}() would block on a blocking socket: write it as `+0...T {}(...)` or set O_NONBLOCK",
                                call.name, call.name
                            )));
                        };
                        self.pending = Some(Pending {
                            wait: w,
                            line: self.line,
                            column: self.column,
                            text,
                            expect,
                            end,
                        });
                        return Ok(());
                    }
                }
            }
        };
        e.result = Some(result_text(value, errno));
        self.push(e);
        if let Some(end) = end
            && end > self.now.saturating_add(self.opts.tolerance)
        {
            return Err(self.fail(format!(
                "the call returned at once, at {}; the script expects it to block until {}",
                seconds(self.now),
                seconds(end)
            )));
        }
        let (line, column) = (self.line, self.column);
        self.check_result(value, errno, &expect, line, column)
    }

    /// A call parsed and not modelled: it returns what the script expects, with a notice.
    fn unmodelled(
        &mut self,
        call: &Call,
        text: String,
        mut e: Entry,
        why: &str,
    ) -> Result<(), Failure> {
        e.result = Some(result_text(call.result.value, call.result.errno.as_deref()));
        e.notice = Some(format!(
            "{}: {why}: the script's result is taken as given",
            call.name
        ));
        e.text = text;
        self.push(e);
        Ok(())
    }

    /// When a poll with this timeout (milliseconds; negative: none) returns 0.
    fn poll_timeout(&self, ms: Option<&crate::script::Arg>) -> u64 {
        match ms.and_then(|a| a.value.int()) {
            Some(ms) if ms >= 0 => self.now.saturating_add((ms as u64).saturating_mul(1000)),
            _ => u64::MAX,
        }
    }

    /// What `poll` reports for `fd` asked for `events`, from the socket's state as
    /// Linux's `tcp_poll` derives it (ERR and HUP are always reported).
    /// Whether a watched entry is reported: its socket is ready and, for an
    /// edge-triggered epoll entry (`EPOLLET`), it was woken since it was last reported.
    fn watched_ready(&self, fd: i64, events: u32) -> bool {
        if self.revents(fd, events) == 0 {
            return false;
        }
        if events & EPOLLET == 0 {
            return true;
        }
        let (Some(ep), Some(i)) = (self.watch_epoll, self.by_fd(fd)) else {
            return true;
        };
        self.edge_seen
            .get(&(ep, fd))
            .is_none_or(|&seen| self.socks[i].wakeups > seen)
    }

    fn revents(&self, fd: i64, events: u32) -> u32 {
        let Some(i) = self.by_fd(fd) else {
            return if self.others.contains_key(&fd) {
                0
            } else {
                POLLNVAL
            };
        };
        let s = &self.socks[i];
        let t = &s.tcb;
        let mut m = 0;
        if t.state == State::Listen {
            let acceptable = self
                .socks
                .iter()
                .any(|c| !c.owned && c.tcb.state.is_synchronized());
            if acceptable {
                m |= POLLIN | POLLRDNORM;
            }
        } else {
            let read_shut =
                t.fin_received || s.shut_rd || (s.connected && t.state == State::Closed);
            if t.state == State::Closed || (read_shut && t.fin_queued) {
                m |= POLLHUP;
            }
            if read_shut {
                m |= POLLIN | POLLRDNORM | POLLRDHUP;
            }
            if !matches!(t.state, State::SynSent | State::SynReceived) {
                if t.recv_queue > 0 {
                    m |= POLLIN | POLLRDNORM;
                }
                // Room to write is assumed; after a shutdown Linux reports POLLOUT too.
                m |= POLLOUT | POLLWRNORM;
            }
            if s.error.is_some() {
                m |= POLLERR;
            }
        }
        m & (events | POLLERR | POLLHUP | POLLNVAL)
    }

    fn would_not_block(&self, w: Wait) -> bool {
        let i = match w {
            Wait::Connect(i) => Some(i),
            Wait::Accept(fd, _) | Wait::Read(fd, _) => self.by_fd(fd),
            Wait::Poll(..) => None,
        };
        i.is_some_and(|i| self.socks[i].nonblocking)
    }

    fn with_fd(&mut self, fd: Option<i64>, f: impl FnOnce(&mut Socket, i64) -> Ready) -> Ready {
        match fd.and_then(|fd| self.by_fd(fd).map(|i| (i, fd))) {
            Some((i, fd)) => f(&mut self.socks[i], fd),
            None => Ready::Done(-1, Some("EBADF")),
        }
    }

    /// A call that is one RFC user call on the socket's TCB.
    fn user_call(
        &mut self,
        fd: Option<i64>,
        call: UserCall,
        e: &mut Entry,
    ) -> Result<Result<Ready, Wait>, Failure> {
        let Some(i) = fd.and_then(|fd| self.by_fd(fd)) else {
            return Ok(Ok(Ready::Done(-1, Some("EBADF"))));
        };
        if let Some(err) = self.socks[i].error.take()
            && matches!(call, UserCall::Send(_))
        {
            return Ok(Ok(Ready::Done(-1, Some(err))));
        }
        let before = self.socks[i].tcb.state;
        if call == UserCall::ActiveOpen && self.wire().is_some_and(|w| w != i) {
            return Err(
                self.bad("one connection at a time: the interpreter models a single remote peer")
            );
        }
        let who = self.socket_name(i);
        let (step, out) = self.step(i, Input::Call(call), who);
        let err = out.error;
        e.steps.push(step);
        Ok(match (call, err) {
            (UserCall::ActiveOpen, Some(u)) => Ok(Ready::Done(
                -1,
                Some(match u {
                    model::table::UserError::AlreadyExists
                        if matches!(before, State::SynSent | State::SynReceived) =>
                    {
                        "EALREADY"
                    }
                    model::table::UserError::AlreadyExists => "EISCONN",
                    _ => "EINVAL",
                }),
            )),
            (UserCall::ActiveOpen, None) => Err(Wait::Connect(i)),
            // listen() again only changes the backlog (Linux, BSD).
            (UserCall::PassiveOpen, Some(_)) if before == State::Listen => Ok(Ready::Done(0, None)),
            (UserCall::PassiveOpen, Some(_)) => Ok(Ready::Done(-1, Some("EINVAL"))),
            (UserCall::Send(n), None) => Ok(Ready::Done(n as i64, None)),
            // Linux answers a refused send with EPIPE whether or not it was connected.
            (UserCall::Send(_), Some(_)) => Ok(Ready::Done(-1, Some("EPIPE"))),
            (UserCall::Shutdown, Some(model::table::UserError::Closing)) => {
                Ok(Ready::Done(0, None))
            }
            (UserCall::Shutdown, Some(_)) => Ok(Ready::Done(-1, Some("ENOTCONN"))),
            _ => Ok(Ready::Done(0, None)),
        })
    }

    fn close(&mut self, fd: Option<i64>, e: &mut Entry) -> Result<Result<Ready, Wait>, Failure> {
        let Some(i) = fd.and_then(|fd| self.by_fd(fd)) else {
            return Ok(Ok(Ready::Done(-1, Some("EBADF"))));
        };
        let s = &self.socks[i];
        // SO_LINGER with a zero timeout, or unread data (RFC 9293 §3.6, SHLD-2, as
        // Linux does; the profile may say otherwise): the connection is aborted with a RST.
        let unread = self.opts.config.abort_on_unread_close && s.tcb.recv_queue > 0;
        let call = if s.linger0 || unread {
            UserCall::Abort
        } else {
            UserCall::Close
        };
        let was_listener = s.tcb.state == State::Listen;
        let who = self.socket_name(i);
        let (step, _) = self.step(i, Input::Call(call), who);
        e.steps.push(step);
        self.socks[i].fd = None;
        if was_listener {
            // Connections not yet accepted die with their listener.
            let orphans: Vec<usize> = (0..self.socks.len())
                .filter(|&j| !self.socks[j].owned && self.socks[j].fd.is_none() && j != i)
                .collect();
            for j in orphans {
                let (step, _) = self.step(
                    j,
                    Input::Call(UserCall::Abort),
                    "unaccepted connection".to_string(),
                );
                e.steps.push(step);
            }
        }
        Ok(Ok(Ready::Done(0, None)))
    }

    /// Whether a (possibly blocking) call can complete now.
    fn attempt(&mut self, w: Wait) -> Result<(Ready, Vec<Step>), Failure> {
        Ok(match w {
            Wait::Connect(i) => {
                let Some(s) = self.socks.get_mut(i) else {
                    return Ok((Ready::Done(-1, Some("EBADF")), vec![]));
                };
                if let Some(err) = s.error.take() {
                    (Ready::Done(-1, Some(err)), vec![])
                } else if s.connected || s.tcb.state.is_synchronized() {
                    (Ready::Done(0, None), vec![])
                } else if s.tcb.state == State::Closed {
                    (Ready::Done(-1, Some("ECONNABORTED")), vec![])
                } else {
                    (Ready::Block, vec![])
                }
            }
            Wait::Poll(max, _) => {
                let ready: Vec<(i64, u32)> = self
                    .watch
                    .iter()
                    .copied()
                    .filter(|&(fd, ev)| self.watched_ready(fd, ev))
                    .take(max)
                    .collect();
                let n = ready.len();
                if n > 0 {
                    // Edge-triggered entries reported now wait for the next wake-up.
                    if let Some(ep) = self.watch_epoll {
                        for (fd, ev) in ready {
                            if ev & EPOLLET != 0 {
                                let w = self.by_fd(fd).map_or(0, |i| self.socks[i].wakeups);
                                self.edge_seen.insert((ep, fd), w);
                            }
                        }
                    }
                    (Ready::Done(n as i64, None), vec![])
                } else {
                    (Ready::Block, vec![])
                }
            }
            Wait::Accept(fd, wanted) => {
                let Some(l) = self.by_fd(fd) else {
                    return Ok((Ready::Done(-1, Some("EBADF")), vec![]));
                };
                if self.socks[l].tcb.state != State::Listen {
                    return Ok((Ready::Done(-1, Some("EINVAL")), vec![]));
                }
                let ready = self
                    .socks
                    .iter()
                    .position(|s| !s.owned && s.tcb.state.is_synchronized());
                match ready {
                    Some(c) => {
                        let nfd = self.label(wanted);
                        let s = &mut self.socks[c];
                        s.fd = Some(nfd);
                        s.owned = true;
                        s.connected = true;
                        (Ready::Done(nfd, None), vec![])
                    }
                    None => (Ready::Block, vec![]),
                }
            }
            Wait::Read(fd, n) => {
                let Some(i) = self.by_fd(fd) else {
                    return Ok((Ready::Done(-1, Some("EBADF")), vec![]));
                };
                let s = &mut self.socks[i];
                if let Some(err) = s.error.take() {
                    return Ok((Ready::Done(-1, Some(err)), vec![]));
                }
                // After SHUT_RD a read returns end of file instead of waiting, but text
                // already queued is still read: Linux's tcp_recvmsg only checks
                // RCV_SHUTDOWN when nothing is queued (and it keeps queueing what arrives).
                if s.shut_rd && s.tcb.recv_queue == 0 {
                    return Ok((Ready::Done(0, None), vec![]));
                }
                let listening = s.tcb.state == State::Listen;
                let who = self.socket_name(i);
                // RECEIVE goes to the table each time (its row may queue the request);
                // the call returns once there is text, an end of file, or an error.
                let (step, out) = self.step(i, Input::Call(UserCall::Receive(n)), who);
                let s = &self.socks[i];
                let r = if out.error.is_some() {
                    if s.connected {
                        Ready::Done(0, None)
                    } else {
                        Ready::Done(-1, Some("ENOTCONN"))
                    }
                } else if listening {
                    // A listening socket's text goes to the connections it accepts.
                    Ready::Done(-1, Some("ENOTCONN"))
                } else if out.delivered > 0 {
                    Ready::Done(out.delivered as i64, None)
                } else if s.tcb.fin_received || s.tcb.state == State::Closed {
                    Ready::Done(0, None)
                } else {
                    Ready::Block
                };
                (r, vec![step])
            }
        })
    }
}

const POLLIN: u32 = 0x1;
const POLLPRI: u32 = 0x2;
const POLLOUT: u32 = 0x4;
const POLLERR: u32 = 0x8;
const POLLHUP: u32 = 0x10;
const POLLNVAL: u32 = 0x20;
const POLLRDNORM: u32 = 0x40;
const POLLRDBAND: u32 = 0x80;
const POLLWRNORM: u32 = 0x100;
const POLLWRBAND: u32 = 0x200;
const POLLRDHUP: u32 = 0x2000;

/// epoll's edge-triggered flag (Linux's `EPOLLET`).
const EPOLLET: u32 = 1 << 31;

/// Linux's poll and epoll event bits, by name without the `POLL`/`EPOLL` prefix.
const EVENTS: &[(&str, u32)] = &[
    ("IN", POLLIN),
    ("PRI", POLLPRI),
    ("OUT", POLLOUT),
    ("ERR", POLLERR),
    ("HUP", POLLHUP),
    ("NVAL", POLLNVAL),
    ("RDNORM", POLLRDNORM),
    ("RDBAND", POLLRDBAND),
    ("WRNORM", POLLWRNORM),
    ("WRBAND", POLLWRBAND),
    ("RDHUP", POLLRDHUP),
];

/// `POLLIN|POLLOUT`, `EPOLLIN`, a number: the event bits (`EPOLLET` is its own bit;
/// epoll's other flags, such as `EPOLLONESHOT`, count as none).
fn event_bits(v: &Value) -> Option<u32> {
    match v {
        Value::Int(n) => u32::try_from(*n).ok(),
        Value::Name(n) => {
            let bare = n.strip_prefix("EPOLL").or_else(|| n.strip_prefix("POLL"))?;
            match EVENTS.iter().find(|(name, _)| *name == bare) {
                Some((_, bit)) => Some(*bit),
                None if bare == "ET" => Some(EPOLLET),
                None if matches!(bare, "ONESHOT" | "EXCLUSIVE" | "WAKEUP") => Some(0),
                None => None,
            }
        }
        Value::Or(items) => items
            .iter()
            .try_fold(0, |m, a| event_bits(&a.value).map(|b| m | b)),
        _ => None,
    }
}

/// `POLLIN|POLLOUT`, or `0`.
fn events_text(bits: u32) -> String {
    let names: Vec<String> = EVENTS
        .iter()
        .filter(|(_, b)| bits & b != 0)
        .map(|(n, _)| format!("POLL{n}"))
        .collect();
    if names.is_empty() {
        "0".to_string()
    } else {
        names.join("|")
    }
}

/// The items of `[a, b]`, or the one value given.
fn list_items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::List(items)) => items.iter().map(|a| &a.value).collect(),
        Some(Value::Ellipsis) | None => Vec::new(),
        Some(v) => vec![v],
    }
}

/// The total length of an iovec list (`[{iov_base=..., iov_len=100}]`) or of a msghdr's
/// `msg_iov`; `None` when a length is not written.
fn iov_total(v: &Value) -> Option<i64> {
    if let Some(iov) = v.field("msg_iov") {
        return iov_total(iov);
    }
    match v {
        Value::List(items) => items
            .iter()
            .try_fold(0i64, |n, a| iov_len(&a.value).map(|l| n.saturating_add(l))),
        Value::Struct(_) => iov_len(v),
        _ => None,
    }
}

/// A read or write whose buffer is `NULL` (or 0): the copy fails with EFAULT.
fn null_buffer(call: &Call) -> bool {
    matches!(
        call.name.as_str(),
        "read" | "recv" | "recvfrom" | "write" | "send" | "sendto"
    ) && call
        .args
        .get(1)
        .is_some_and(|a| a.value.has_name("NULL") || a.value == Value::Int(0))
}

/// One iovec's length: `{iov_base=..., iov_len=N}`, or `{..., N}` as packetdrill writes it.
fn iov_len(v: &Value) -> Option<i64> {
    v.field("iov_len")
        .or_else(|| v.field("1"))
        .and_then(Value::int)
}

fn field(v: Option<&Value>, name: &str) -> Option<i64> {
    match v? {
        Value::Struct(fields) => fields.iter().find(|(n, _)| n == name)?.1.value.int(),
        _ => None,
    }
}

/// What a timer's expiry is called in transcripts.
pub fn timer_text(t: Timer) -> &'static str {
    match t {
        Timer::Retransmit => "retransmission timer expires",
        Timer::TimeWait => "2MSL timer expires",
        Timer::FinWait2 => "FIN-WAIT-2 timer expires",
        Timer::DelayedAck => "delayed-ACK timer expires",
    }
}

/// Linux's number for the errors a socket can hold.
fn errno_number(name: &str) -> Option<i64> {
    Some(match name {
        "EPIPE" => 32,
        "ECONNABORTED" => 103,
        "ECONNRESET" => 104,
        "ETIMEDOUT" => 110,
        "ECONNREFUSED" => 111,
        _ => return None,
    })
}

/// `0`, `-1 EAGAIN`.
pub fn result_text(value: i64, errno: Option<&str>) -> String {
    match errno {
        Some(e) => format!("{value} {e}"),
        None => value.to_string(),
    }
}

fn expected_text(p: &Packet) -> String {
    let mut s = format!("{} {}:{}({})", p.flags, p.start, p.end, p.len);
    if let Some(a) = p.ack {
        let _ = write!(s, " ack {a}");
    }
    if let Some(w) = p.win {
        let _ = write!(s, " win {w}");
    }
    s
}
