//! The checked system: two endpoints (A and B) driven by `Tcb::step`, small application
//! drivers, and a channel that loses, duplicates, reorders and ages segments.
//!
//! Time is relative: every timer deadline and segment age counts ticks from *now*, so two
//! states that differ only in the absolute time are the same state.

use crate::endpoint::{Config, Env, Input, Tcb, UserCall};
use crate::segment::Segment;
use crate::seq::SeqSpace;
use crate::table::{RowId, State, Table, Timer};
use serde::Serialize;
use smallvec::SmallVec;
use std::fmt;

/// One of the two endpoints.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
pub enum Side {
    /// The client by default (opens actively).
    A,
    /// The server by default (opens passively).
    B,
}

impl Side {
    /// Both sides.
    pub const BOTH: [Side; 2] = [Side::A, Side::B];

    /// The other side.
    pub fn peer(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    fn ix(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::A => "A",
            Side::B => "B",
        })
    }
}

/// How a new incarnation picks its ISN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum IsnMode {
    /// Any value of the sequence space (every choice is explored): no ISN clock. Chosen
    /// by `--without isn-clock`, not by `--isn`.
    #[value(skip)]
    Free,
    /// The ISN clock of RFC 9293 §3.4.1: a per-host counter that advances with time
    /// (`--isn-rate` per tick), not with the data a connection sends, so a connection
    /// that sends faster than the clock advances leaves old numbers ahead of the next ISN.
    /// A host's first ISN (and its first after a crash) is any value.
    Clock,
    /// A stronger, idealised assumption: a new incarnation starts at the SND.NXT its
    /// predecessor reached, beyond every number the old connection used, however fast it
    /// sent. No real clock promises this.
    Ideal,
}

/// The mechanisms RFC 9293 relies on to keep old duplicates out of a new incarnation.
/// All are in force by default; `--without` removes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Guard {
    /// The active closer waits in TIME-WAIT (removing it layers `no-time-wait`).
    TimeWait,
    /// TIME-WAIT lasts 2MSL (removing it layers `short-time-wait`).
    FullTimeWait,
    /// ISNs come from a clock that advances with time (RFC 9293 §3.4.1; `--isn` picks the
    /// form); without it any ISN may be chosen at every open.
    IsnClock,
    /// TIME-WAIT ignores RST (RFC 1337); without it, a RST assassinates TIME-WAIT.
    Rfc1337,
    /// A host that crashed waits MSL before it opens again (the quiet time of RFC 9293
    /// §3.4.3). It matters only with `--crashes`: a host that has not crashed reopens at
    /// once, and TIME-WAIT and the ISN clock keep its old segments out.
    QuietTime,
    /// A FIN-WAIT-2 timer, as real stacks add (Linux `tcp_fin_timeout`): a liveness guard.
    #[value(name = "fin-wait-2-timeout")]
    /// RFC 9293 has none, so a side whose peer vanished waits in FIN-WAIT-2 forever.
    FinWait2Timeout,
}

impl Guard {
    /// Every guard.
    pub const ALL: [Guard; 6] = [
        Guard::TimeWait,
        Guard::FullTimeWait,
        Guard::IsnClock,
        Guard::Rfc1337,
        Guard::QuietTime,
        Guard::FinWait2Timeout,
    ];

    /// The name users type.
    pub fn name(self) -> &'static str {
        match self {
            Guard::TimeWait => "time-wait",
            Guard::FullTimeWait => "full-time-wait",
            Guard::IsnClock => "isn-clock",
            Guard::Rfc1337 => "rfc1337",
            Guard::QuietTime => "quiet-time",
            Guard::FinWait2Timeout => "fin-wait-2-timeout",
        }
    }
}

/// Who opens how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// A opens actively, B passively.
    ClientServer,
    /// Both open actively (simultaneous open is possible).
    BothActive,
    /// A opens actively; B chooses, each time, to listen or to open actively.
    Any,
}

/// What the model explores.
#[derive(Clone, Debug, Serialize)]
pub struct Options {
    /// Profiles layered over RFC 9293.
    pub profile: String,
    /// Maximum segment lifetime, in ticks: a segment sent at tick t is delivered or gone
    /// before tick t + MSL (so it is at most MSL - 1 ticks old when delivered).
    pub msl: u32,
    /// TIME-WAIT length override, in ticks (`None`: 2×MSL).
    pub time_wait: Option<u32>,
    /// Size of the sequence space.
    pub seq_space: u64,
    /// How many times each side may open the connection.
    pub incarnations: u8,
    /// Segments the channel may lose.
    pub drops: u8,
    /// Segments the channel may duplicate.
    pub dups: u8,
    /// ABORT calls the users may make.
    pub aborts: u8,
    /// Host crashes: a host loses every TCB and its ISN clock.
    pub crashes: u8,
    /// Retransmissions before the user timeout ([`crate::Config::R2_INFINITE`]: never).
    pub retransmits: u8,
    /// Initial retransmission timeout, in ticks.
    pub rto: u32,
    /// Each side sends one byte per incarnation.
    pub data: bool,
    /// Receive buffer (window) in bytes, besides the byte `data` sends: with `data` the
    /// buffer is one byte larger, so a bare ACK sent after our byte and our FIN, and
    /// overtaking both, is still in the peer's window (see `Options::default`).
    pub window: u32,
    /// Guards removed (all others are in force).
    pub without: Vec<Guard>,
    /// Who opens how.
    pub scenario: Scenario,
    /// The form of the ISN guard when it is in force (`clock` or the idealised `ideal`).
    pub isn: IsnMode,
    /// How far the ISN clock advances per tick.
    pub isn_rate: u32,
    /// Fix A's first ISN at 0 (rotation symmetry; see `System::isns`).
    pub symmetry: bool,
}

impl Options {
    /// The default retransmission timeout for an MSL: MSL ticks. A close stays clean only
    /// if the peer's retransmitted FIN reaches TIME-WAIT before its 2MSL end: sent RTO
    /// after a FIN that may have started TIME-WAIT at once, it arrives by RTO + MSL - 1,
    /// so RTO <= MSL (`--sweep rto` finds the same bound). That bound assumes the timer
    /// was last started when the FIN went out: with data, a late ACK of it restarts the
    /// timer up to MSL - 1 ticks after TIME-WAIT began, and then no RTO of 2 ticks or more
    /// keeps the close clean (`--data`). Real RTOs (seconds) are far
    /// below MSL (minutes); in the model a segment may take up to MSL - 1 ticks each way,
    /// so retransmissions may also be spurious.
    pub fn default_rto(msl: u32) -> u32 {
        msl.max(1)
    }
}

impl Default for Options {
    /// One loss, two incarnations, a client and a server; MSL of 2 ticks, so a segment
    /// can outlive a tick; a sequence space of 32. (The seed's whole fault model, with a
    /// duplicate and an ABORT, is `--dups 1 --aborts 1 --scenario any`: too large to
    /// finish here yet.)
    fn default() -> Options {
        Options {
            profile: "rfc9293".into(),
            msl: 2,
            time_wait: None,
            seq_space: 32,
            incarnations: 2,
            drops: 1,
            dups: 0,
            aborts: 0,
            crashes: 0,
            retransmits: 2,
            rto: Options::default_rto(2),
            data: false,
            // Two bytes: a bare ACK one past RCV.NXT (after a FIN the receiver has not
            // seen yet, in a simultaneous close) is then in the window and its ACK field
            // is read, as any real window would; with one byte the strict §3.10.7.4 test
            // discards it, an artifact of a tiny window. (With `--data` the ACK can be two
            // past, after a byte and a FIN: the buffer is then 3, see `window`.)
            window: 2,
            without: Vec::new(),
            scenario: Scenario::ClientServer,
            isn: IsnMode::Clock,
            isn_rate: 1,
            symmetry: true,
        }
    }
}

/// A segment in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Flight {
    /// Where it goes.
    pub to: Side,
    /// Ticks since it was sent.
    pub age: u8,
    /// Ghost: the TCB instance the segment belongs to: its sender's, or, for a reply from
    /// CLOSED, the instance whose segment it answers. Endpoints never read it.
    pub owner: Instance,
    /// Ghost: the receiver's current TCB was created after `owner` was deleted.
    pub stale: bool,
    /// Ghost: `owner` ended by an ABORT or a crash, which skip TIME-WAIT by design.
    pub orphan: bool,
    /// The segment.
    pub seg: SegKey,
}

/// Packed into three words, every field named (as [`crate::Tcb`]'s hash): the checker
/// fingerprints each state it reaches.
impl std::hash::Hash for Flight {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let Flight {
            to,
            age,
            owner: Instance { side, inc },
            stale,
            orphan,
            seg:
                SegKey {
                    flags,
                    seq,
                    ack,
                    wnd,
                    len,
                },
        } = self;
        h.write_u64(
            *to as u64
                | u64::from(*age) << 8
                | (*side as u64) << 16
                | u64::from(*inc) << 24
                | u64::from(*stale) << 32
                | u64::from(*orphan) << 33
                | u64::from(*flags) << 40,
        );
        h.write_u64(u64::from(*seq) | u64::from(*ack) << 32);
        h.write_u64(u64::from(*wnd) | u64::from(*len) << 32);
    }
}

/// A TCB instance: a side and its n-th OPEN (1-based; 0 for no TCB ever).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
pub struct Instance {
    /// Which side.
    pub side: Side,
    /// Which OPEN of that side.
    pub inc: u8,
}

/// Ticks after which the ISN clock has moved past every number one connection of the
/// model can use (a SYN, one byte, a FIN and a window of one: four numbers, at one per
/// tick), plus one. Beyond it the clock's exact reading is not tracked: the next ISN
/// is taken `CLOCK_HORIZON` ticks' worth ahead. This assumes, as real TCP can (its clock
/// laps 2^32 in 4.55 hours, MSL is minutes), that the clock does not lap the space
/// within a run; the space (`--seq-space`, default 32) is chosen so it cannot.
pub const CLOCK_HORIZON: u8 = 5;

/// The most incarnations a run may have.
pub const MAX_INCARNATIONS: u8 = 4;

/// A segment in a form that orders (so the channel is a sorted multiset).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
pub struct SegKey {
    /// Control bits.
    pub flags: u8,
    /// SEG.SEQ
    pub seq: u32,
    /// SEG.ACK
    pub ack: u32,
    /// SEG.WND
    pub wnd: u32,
    /// Text length.
    pub len: u32,
}

impl From<Segment> for SegKey {
    fn from(s: Segment) -> SegKey {
        SegKey {
            flags: s.flags.bits(),
            seq: s.seq,
            ack: if s.flags.ack() { s.ack } else { 0 },
            wnd: s.wnd,
            len: s.len,
        }
    }
}

impl From<SegKey> for Segment {
    fn from(k: SegKey) -> Segment {
        Segment {
            seq: k.seq,
            ack: k.ack,
            flags: crate::Flags::from_bits(k.flags),
            wnd: k.wnd,
            len: k.len,
            opts: crate::TcpOptions::NONE,
        }
    }
}

/// One endpoint and its application.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Ep {
    /// The TCB (timer deadlines relative to now).
    pub tcb: Tcb,
    /// How many times this side has opened.
    pub inc: u8,
    /// The user sent its byte in this incarnation.
    pub sent: bool,
    /// The user called CLOSE in this incarnation.
    pub closed: bool,
    /// The ISN clock's reading just after this host last chose an ISN (for `ideal`, the
    /// SND.NXT it last used); `None` when the host has no memory of one (before its first
    /// open, after a crash) or will choose no more, so any value may be chosen.
    pub clock: Option<u32>,
    /// Ticks since `clock` was read, up to `CLOCK_HORIZON`: the next ISN is
    /// `clock + isn_rate × since`.
    pub since: u8,
    /// Ticks before this host may open again (the quiet time after a crash).
    pub quiet: u8,
    /// Ghost: this host's last TCB ended by an ABORT, a crash or a reset, so the RSTs it
    /// sends from CLOSED answer old segments that no TIME-WAIT kept out.
    pub unguarded: bool,
}

/// A state of the whole system.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Sys {
    /// A and B.
    pub ep: [Ep; 2],
    /// Segments in flight, sorted (inline: cloning a state allocates nothing).
    pub chan: SmallVec<[Flight; 6]>,
    /// Losses left.
    pub drops: u8,
    /// Duplications left.
    pub dups: u8,
    /// Aborts left.
    pub aborts: u8,
    /// Crashes left.
    pub crashes: u8,
    /// Ghost: a FIN-WAIT-2 timer, a give-up after the last retransmission, or the
    /// literal-zero RST coincidence, has deleted a TCB (the `clean-close` property's
    /// assumption no longer holds).
    pub cut: bool,
}

/// The ghost tag of a delivered segment.
#[derive(Clone, Copy)]
struct Tag {
    owner: Instance,
    stale: bool,
    orphan: bool,
}

/// Whether `inst` is one of the live instances.
fn alive_instance(alive: [Option<u8>; 2], inst: Instance) -> bool {
    alive[inst.side.ix()] == Some(inst.inc)
}

impl Sys {
    /// The live TCB instance of `side` (its OPEN count), if it has a TCB.
    pub fn alive(&self, side: Side) -> Option<u8> {
        let ep = self.ep(side);
        (ep.tcb.state != State::Closed).then_some(ep.inc)
    }

    /// Endpoint `side`.
    pub fn ep(&self, side: Side) -> &Ep {
        &self.ep[side.ix()]
    }

    /// Marks what `inst` has in flight as belonging to an instance that ended by an ABORT,
    /// a crash or a reset, and its host as answering from CLOSED for such an instance.
    fn orphan(&mut self, inst: Instance) {
        for f in self.chan.iter_mut().filter(|f| f.owner == inst) {
            f.orphan = true;
        }
        self.ep[inst.side.ix()].unguarded = true;
    }

    /// Both states.
    pub fn states(&self) -> (State, State) {
        (self.ep[0].tcb.state, self.ep[1].tcb.state)
    }
}

/// A step of the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Act {
    /// The user of `side` makes a call; `iss` is used if the call opens.
    Call(Side, UserCall, u32),
    /// The segment at this channel index is delivered; `iss` is used if it opens.
    Deliver(u8, u32),
    /// The segment at this index is lost.
    Drop(u8),
    /// The segment at this index is duplicated.
    Dup(u8),
    /// One tick passes: ages grow, old segments vanish, timers count down.
    Tick,
    /// A due timer fires.
    Fire(Side, Timer),
    /// The host of `side` crashes and restarts: every TCB and its ISN clock are lost.
    Crash(Side),
}

/// What a step did, beyond the next state: for reports and coverage.
#[derive(Clone, Debug, Default)]
pub struct Effect {
    /// Rows fired, with the side that fired each (inline: no allocation per step).
    pub rows: SmallVec<[(Side, RowId); 1]>,
    /// Segments sent, with the sender.
    pub sent: SmallVec<[(Side, Segment); 2]>,
    /// Set when the step delivered a stale segment that was accepted.
    pub stale: bool,
    /// Set when that stale segment's instance ended by an ABORT or a crash.
    pub orphan: bool,
    /// Set when a RST,ACK sent from CLOSED, whose `<SEQ=0>` is a literal of RFC 9293
    /// §3.10.7.1 and not a number of either connection, reset a synchronized connection.
    pub seq_zero: bool,
}

/// The model: options, the table they select, and endpoint parameters.
#[derive(Clone, Debug)]
pub struct System {
    /// What is explored.
    pub opts: Options,
    /// The table (profile) the endpoints follow.
    pub table: Table,
    /// Endpoint parameters derived from the options.
    pub cfg: Config,
    /// How ISNs are chosen (the `isn-clock` guard).
    pub isn: IsnMode,
    /// The profiles actually layered: the guards' and the user's.
    pub profile: String,
}

impl System {
    /// Builds the system, or says what is wrong with the options.
    pub fn new(opts: Options) -> Result<System, String> {
        // Check the user's own list first, so an error quotes what they typed, not the
        // guards' layers around it.
        crate::Profile::parse_list(&opts.profile)?;
        let has = |g: Guard| !opts.without.contains(&g);
        let mut layers: Vec<&str> = Vec::new();
        if has(Guard::Rfc1337) {
            layers.push("rfc1337");
        }
        if !has(Guard::TimeWait) {
            layers.push("no-time-wait");
        } else if !has(Guard::FullTimeWait) {
            layers.push("short-time-wait");
        }
        if has(Guard::FinWait2Timeout) {
            layers.push("fin-wait-2-timeout");
        }
        layers.push(&opts.profile);
        let profile = layers.join(",");
        let table = Table::from_spec(&profile)?;
        System::assemble(opts, table, profile)
    }

    /// A system over a table built elsewhere (a hand-made mutant in a test, say); the
    /// guards that are profiles are then the table's business.
    pub fn from_table(opts: Options, table: Table) -> Result<System, String> {
        let name = table.name().to_string();
        System::assemble(opts, table, name)
    }

    fn assemble(opts: Options, table: Table, profile: String) -> Result<System, String> {
        let has = |g: Guard| !opts.without.contains(&g);
        let isn = if has(Guard::IsnClock) {
            opts.isn
        } else {
            IsnMode::Free
        };
        if opts.rto == 0 {
            return Err("--rto must be at least 1 tick".into());
        }
        if opts.isn_rate as u64 >= opts.seq_space {
            return Err(format!(
                "--isn-rate {} must be below the sequence space ({})",
                opts.isn_rate, opts.seq_space
            ));
        }
        let space = SeqSpace::new(opts.seq_space).map_err(|e| e.to_string())?;
        if opts.msl == 0 || opts.msl > 50 {
            return Err(format!("--msl {} is out of range 1..=50", opts.msl));
        }
        if opts.incarnations == 0 || opts.incarnations > MAX_INCARNATIONS {
            return Err(format!(
                "--incarnations must be between 1 and {MAX_INCARNATIONS}"
            ));
        }
        let cfg = Config {
            space,
            msl: opts.msl,
            time_wait: opts.time_wait,
            rto: opts.rto,
            rto_max: opts.rto.saturating_mul(4),
            backoff: false,
            max_retransmits: opts.retransmits,
            rcv_buf: opts.window + u32::from(opts.data),
            mss: 1,
            fin_timeout: opts.msl * 2,
            // No options: the channel (`SegKey`) carries none, and counterexamples print
            // the segments sent as before.
            syn_options: crate::SynOptions::NONE,
            // The rest as the endpoint's default: retry counts are the checker's own
            // budget (`--retransmits`), and no delayed-ACK timer (every ACK goes at once,
            // so the checker arms no timer RFC 9293 does not require; a profile's
            // `delayed_ack` is a time, and not honoured here); no timestamps either.
            ..Config::default()
        };
        // A profile's parameters: only behaviour applies here (`Param::checker_honours`);
        // times are in seconds, which the checker's ticks abstract.
        let mut cfg = cfg;
        let layered = crate::Profile::parse_list(&profile).unwrap_or_default();
        for (_, s) in crate::profile::settings(&layered) {
            if s.param.checker_honours() {
                s.param.apply(&mut cfg, 1);
            }
        }
        Ok(System {
            opts,
            table,
            cfg,
            isn,
            profile,
        })
    }

    /// The initial state: both sides CLOSED, nothing in flight, no ISN clock read yet.
    pub fn init(&self) -> Sys {
        let ep = Ep {
            tcb: Tcb::new(),
            inc: 0,
            sent: false,
            closed: false,
            clock: None,
            since: 0,
            quiet: 0,
            unguarded: false,
        };
        Sys {
            ep: [ep.clone(), ep],
            chan: SmallVec::new(),
            drops: self.opts.drops,
            dups: self.opts.dups,
            aborts: self.opts.aborts,
            crashes: self.opts.crashes,
            cut: false,
        }
    }

    /// The ISNs `side` may choose when it opens now.
    ///
    /// A host's clock starts at an arbitrary reading, which is the same as choosing its
    /// first ISN freely and letting the clock run from there: the choice is made at the
    /// first open (and after a crash), so states before it are not multiplied by the
    /// space. With `symmetry`, A's first ISN is fixed at 0: rotating all of A's sequence
    /// numbers maps runs to runs except for the literal `<SEQ=0>` of a RST,ACK sent from
    /// CLOSED, so this is a reduction checked empirically (`model/tests/verdicts.rs` runs
    /// configurations with and without it), not a theorem.
    fn isns(&self, s: &Sys, side: Side, ep: &Ep) -> std::ops::Range<u32> {
        let all = 0..self.cfg.space.modulus() as u32;
        match (self.isn, ep.clock) {
            (IsnMode::Free, _) => all,
            (_, Some(c)) => {
                let iss = self
                    .cfg
                    .space
                    .add(c, self.opts.isn_rate.saturating_mul(ep.since as u32));
                iss..iss + 1
            }
            (_, None) if self.opts.symmetry && ep.inc <= 1 && !self.crashed_any(s) => {
                let first = match side {
                    Side::A => 0,
                    Side::B => (self.cfg.space.modulus() / 2) as u32,
                };
                first..first + 1
            }
            (_, None) => all,
        }
    }

    fn open_calls(&self, side: Side) -> &'static [UserCall] {
        match (self.opts.scenario, side) {
            (Scenario::ClientServer, Side::B) => &[UserCall::PassiveOpen],
            (Scenario::Any, Side::B) => &[UserCall::PassiveOpen, UserCall::ActiveOpen],
            _ => &[UserCall::ActiveOpen],
        }
    }

    /// The liveness goal: no connection is pending, each side being CLOSED or LISTEN
    /// (a listener waiting for its next connection has nothing pending).
    pub fn settled(&self, s: &Sys) -> bool {
        s.ep.iter()
            .all(|e| matches!(e.tcb.state, State::Closed | State::Listen))
    }

    /// Nothing can make time pass: no timer, nothing in flight, no quiet time.
    pub fn nothing_pending(&self, s: &Sys) -> bool {
        s.chan.is_empty()
            && s.ep
                .iter()
                .all(|e| e.tcb.next_timer().is_none() && e.quiet == 0)
    }

    /// Whether the application drivers ever make `call` in `state` (for coverage reasons).
    pub fn drivers_call(&self, event: crate::Event, state: State) -> bool {
        use crate::Event::*;
        let o = &self.opts;
        match event {
            ActiveOpen => state == State::Closed,
            PassiveOpen => state == State::Closed && o.scenario != Scenario::BothActive,
            Send => o.data && matches!(state, State::Established | State::CloseWait),
            Receive => o.data,
            Close => matches!(state, State::Established | State::CloseWait),
            Abort => o.aborts > 0 && state != State::Closed,
            _ => false,
        }
    }

    /// Whether the configuration can make property `name` reachable at all: a client and
    /// a server never open simultaneously, one incarnation has no second.
    pub fn applicable(&self, name: &str) -> bool {
        match name {
            "simultaneous-open" => self.opts.scenario != Scenario::ClientServer,
            "second-incarnation-established" => self.opts.incarnations >= 2,
            _ => true,
        }
    }

    /// Whether a host has crashed so far.
    fn crashed_any(&self, s: &Sys) -> bool {
        s.crashes != self.opts.crashes
    }

    /// Whether a user of `s` has aborted or a host has crashed so far.
    pub fn faulted(&self, s: &Sys) -> bool {
        s.aborts != self.opts.aborts || s.crashes != self.opts.crashes
    }

    /// Every step enabled in `s`.
    pub fn actions(&self, s: &Sys, out: &mut Vec<Act>) {
        for side in Side::BOTH {
            let ep = s.ep(side);
            let st = ep.tcb.state;
            if st == State::Closed && ep.inc < self.opts.incarnations && ep.quiet == 0 {
                for &call in self.open_calls(side) {
                    if call == UserCall::ActiveOpen {
                        for iss in self.isns(s, side, ep) {
                            out.push(Act::Call(side, call, iss));
                        }
                    } else {
                        out.push(Act::Call(side, call, 0));
                    }
                }
            }
            if self.opts.data && !ep.sent && matches!(st, State::Established | State::CloseWait) {
                out.push(Act::Call(side, UserCall::Send(1), 0));
            }
            if ep.tcb.recv_queue > 0 {
                out.push(Act::Call(side, UserCall::Receive(ep.tcb.recv_queue), 0));
            }
            if !ep.closed && matches!(st, State::Established | State::CloseWait) {
                out.push(Act::Call(side, UserCall::Close, 0));
            }
            // A user aborts a connection it still holds: before it has called CLOSE (a
            // socket's close() gives the handle up; TIME-WAIT has none to abort with).
            if s.aborts > 0 && st != State::Closed && !ep.closed {
                out.push(Act::Call(side, UserCall::Abort, 0));
            }
            // A host crashes while it has a connection (or a listener); it forgets the
            // TCB and its ISN clock, and sends nothing.
            if s.crashes > 0 && st != State::Closed {
                out.push(Act::Crash(side));
            }
            if let Some((timer, 0)) = ep.tcb.next_timer() {
                out.push(Act::Fire(side, timer));
            }
        }
        for (i, f) in s.chan.iter().enumerate() {
            if i > 0 && s.chan[i - 1] == *f {
                continue; // identical copies: one representative
            }
            let to = s.ep(f.to);
            let seg = Segment::from(f.seg);
            let opens = to.tcb.state == State::Listen
                && seg.flags.syn()
                && !seg.flags.ack()
                && !seg.flags.rst();
            if opens {
                for iss in self.isns(s, f.to, to) {
                    out.push(Act::Deliver(i as u8, iss));
                }
            } else {
                out.push(Act::Deliver(i as u8, 0));
            }
            if s.drops > 0 {
                out.push(Act::Drop(i as u8));
            }
            if s.dups > 0 {
                out.push(Act::Dup(i as u8));
            }
        }
        if self.time_may_pass(s) {
            out.push(Act::Tick);
        }
    }

    /// Time semantics (see the README's timeline): every step happens at an integer tick,
    /// and any number of steps may happen at one tick, in any order. A tick is the passage
    /// from one instant to the next. It may not pass
    /// - a due timer (a timer of length D started at tick t fires at tick t + D, before
    ///   time moves on), nor
    /// - a segment that would reach MSL: one sent at tick t is delivered or lost before
    ///   tick t + MSL. Only the loss budget lets a segment vanish at its deadline.
    ///
    /// So a segment sent at the same instant as, but before, a TCB deletion is gone before
    /// the deletion + MSL; no tie between two inclusive bounds can let it arrive then.
    fn time_may_pass(&self, s: &Sys) -> bool {
        let due =
            s.ep.iter()
                .any(|e| e.tcb.next_timer().is_some_and(|(_, d)| d == 0));
        let expiring = s.chan.iter().filter(|f| self.expires(f)).count();
        !self.nothing_pending(s) && !due && expiring <= s.drops as usize
    }

    /// The segment's last instant is now: the next tick would make it MSL old.
    pub fn expires(&self, f: &Flight) -> bool {
        f.age as u32 + 1 >= self.opts.msl
    }

    /// The state after `act`, and what the step did.
    pub fn next(&self, s: &Sys, act: Act) -> Option<(Sys, Effect)> {
        let mut n = s.clone();
        let mut fx = Effect::default();
        match act {
            Act::Call(side, call, iss) => {
                let inst = Instance {
                    side,
                    inc: n.ep(side).inc,
                };
                let ep = &mut n.ep[side.ix()];
                match call {
                    UserCall::PassiveOpen | UserCall::ActiveOpen => {
                        ep.inc += 1;
                        ep.unguarded = false;
                        ep.sent = false;
                        ep.closed = false;
                        // A new TCB: whatever is in flight to it from a dead instance is
                        // now an old duplicate.
                        let alive = [n.alive(Side::A), n.alive(Side::B)];
                        for f in n.chan.iter_mut().filter(|f| f.to == side) {
                            f.stale |= !alive_instance(alive, f.owner);
                        }
                    }
                    UserCall::Send(_) => ep.sent = true,
                    UserCall::Close => ep.closed = true,
                    UserCall::Abort => n.aborts -= 1,
                    _ => {}
                }
                self.input(&mut n, &mut fx, side, Input::Call(call), iss, None);
                if call == UserCall::Abort {
                    n.orphan(inst);
                }
            }
            Act::Deliver(i, iss) => {
                let f = n.chan.remove(i as usize);
                self.input(
                    &mut n,
                    &mut fx,
                    f.to,
                    Input::Segment(f.seg.into()),
                    iss,
                    Some(Tag {
                        owner: f.owner,
                        stale: f.stale,
                        orphan: f.orphan,
                    }),
                );
            }
            Act::Drop(i) => {
                n.chan.remove(i as usize);
                n.drops -= 1;
            }
            Act::Dup(i) => {
                let f = n.chan[i as usize];
                n.chan.push(f);
                n.dups -= 1;
            }
            Act::Crash(side) => {
                n.crashes -= 1;
                n.orphan(Instance {
                    side,
                    inc: n.ep(side).inc,
                });
                let quiet = self.has(Guard::QuietTime);
                let ep = &mut n.ep[side.ix()];
                ep.tcb = Tcb::new();
                ep.sent = false;
                ep.closed = false;
                // The host forgets where its ISN clock was (RFC 9293 §3.4.3).
                ep.clock = None;
                ep.since = 0;
                if quiet {
                    ep.quiet = self.opts.msl.min(u8::MAX as u32) as u8;
                }
            }
            Act::Tick => {
                let before = n.chan.len();
                n.chan.retain(|f| !self.expires(f));
                n.drops -= (before - n.chan.len()) as u8;
                for f in &mut n.chan {
                    f.age += 1;
                }
                let clock_runs = self.isn == IsnMode::Clock;
                for ep in &mut n.ep {
                    ep.quiet = ep.quiet.saturating_sub(1);
                    if clock_runs && ep.clock.is_some() {
                        ep.since = (ep.since + 1).min(CLOCK_HORIZON);
                    }
                    let t = &mut ep.tcb.timers;
                    for d in [&mut t.retransmit, &mut t.time_wait, &mut t.fin_wait_2]
                        .into_iter()
                        .flatten()
                    {
                        *d = d.saturating_sub(1);
                    }
                }
            }
            Act::Fire(side, timer) => {
                self.input(&mut n, &mut fx, side, Input::Timeout(timer), 0, None);
            }
        }
        for ep in &mut n.ep {
            // A host that will choose no more ISNs has no use for its clock: forgetting it
            // merges states that differ only there. (A listener, or a passive SYN-RECEIVED
            // that a RST returns to LISTEN, still chooses one per SYN.)
            let t = &ep.tcb;
            let may_choose = t.state == State::Listen
                || (t.state == State::SynReceived && t.origin == crate::Origin::Passive);
            if ep.inc >= self.opts.incarnations && !may_choose {
                ep.clock = None;
                ep.since = 0;
            }
        }
        n.chan.sort_unstable();
        Some((n, fx))
    }

    /// Whether guard `g` is in force.
    pub fn has(&self, g: Guard) -> bool {
        !self.opts.without.contains(&g)
    }

    fn input(
        &self,
        n: &mut Sys,
        fx: &mut Effect,
        side: Side,
        input: Input,
        iss: u32,
        tag: Option<Tag>,
    ) {
        let stale = tag.is_some_and(|t| t.stale);
        let ep = &mut n.ep[side.ix()];
        let o = ep
            .tcb
            .step(&self.table, &self.cfg, input, Env { now: 0, iss });
        fx.rows.push((side, o.row));
        // A FIN-WAIT-2 timer, or a TCB giving up after its last retransmission (the
        // user timeout, RFC 9293 §3.8.3's R2), ends a close without the exchange: by
        // design, like an ABORT. The model's retransmission budget is small (R2 is minutes
        // in real stacks), so a give-up is a fault, not a failure of TIME-WAIT.
        if matches!(
            o.event,
            crate::Event::FinWait2Timeout | crate::Event::UserTimeout
        ) && o.to == State::Closed
        {
            n.cut = true;
        }
        let ep = &mut n.ep[side.ix()];
        // The clock's reading is taken by the open that chose an ISN; from then on it runs
        // with time (`clock`) or follows the numbers the connection uses (`ideal`).
        let chose_iss = self.table.row(o.row).actions.iter().any(|a| {
            matches!(
                a,
                crate::Action::CreateActive | crate::Action::MakeActive | crate::Action::ChooseIss
            )
        });
        match self.isn {
            IsnMode::Free => {}
            IsnMode::Clock => {
                // Reading the clock takes time: the next open reads at least one more
                // (real clocks tick every 4 µs or faster, far inside any round trip), so
                // two opens never share an ISN, yet a connection that uses more numbers
                // than the clock advanced still outruns it.
                if chose_iss {
                    ep.clock = Some(self.cfg.space.add(ep.tcb.iss, 1));
                    ep.since = 0;
                }
            }
            IsnMode::Ideal => {
                if !matches!(ep.tcb.state, State::Closed | State::Listen) {
                    ep.clock = Some(ep.tcb.snd_nxt);
                }
            }
        }
        if stale {
            // Old duplicates may move an endpoint within the handshake (LISTEN, SYN-SENT,
            // SYN-RECEIVED): RFC 9293 Figure 8 recovers from exactly that. Anything else
            // (text taken, a synchronized connection changed, a connection opened, an
            // attempt killed) is what sequence numbers, TIME-WAIT and the ISN clock guard.
            let handshake = |st| matches!(st, State::Listen | State::SynSent | State::SynReceived);
            let within_handshake = handshake(o.from) && handshake(o.to);
            if o.accepted > 0 || (o.from != o.to && !within_handshake) {
                fx.stale = true;
                fx.orphan = tag.is_some_and(|t| t.orphan);
            }
        }
        if let Input::Segment(seg) = input
            && seg.flags.rst()
            && seg.flags.ack()
            && o.event.is_reset()
            && o.from.is_synchronized()
        {
            // Only a reply from CLOSED is a RST,ACK here, and its <SEQ=0> is a literal.
            fx.seq_zero = true;
            n.cut = true;
        }
        if !self.opts.data {
            // Without data every window is the same, so the window-update bookkeeping
            // (SND.WL1, SND.WL2) carries no information; forgetting it merges states.
            ep.tcb.snd_wl1 = 0;
            ep.tcb.snd_wl2 = 0;
        }
        let own = Instance { side, inc: ep.inc };
        let had_tcb = o.from != State::Closed;
        // A reply from CLOSED belongs to the instance it answers; it is stale if that
        // instance is dead and its side already has a newer TCB.
        let (owner, stale, orphan) = match tag {
            Some(t) if !had_tcb => {
                let alive = [n.alive(Side::A), n.alive(Side::B)];
                let o = t.owner;
                let newer = n.ep(o.side).inc > o.inc && alive[o.side.ix()].is_some();
                (
                    o,
                    !alive_instance(alive, o) && newer,
                    t.orphan || n.ep(side).unguarded,
                )
            }
            _ => (own, false, false),
        };
        for seg in o.segments {
            fx.sent.push((side, seg));
            n.chan.push(Flight {
                to: side.peer(),
                age: 0,
                owner,
                stale,
                orphan,
                seg: seg.into(),
            });
        }
        if had_tcb && o.to == State::Closed && o.event.is_reset() && o.from != State::TimeWait {
            // Reset: this end skips TIME-WAIT as an aborting one does, so what it has in
            // flight is unguarded alike (RFC 9293 §3.10.7.4: no TIME-WAIT after a RST).
            // A RST that ends TIME-WAIT itself is the assassination RFC 1337 guards
            // against: that close was orderly, and its old segments stay guarded.
            n.orphan(own);
        }
    }
}
