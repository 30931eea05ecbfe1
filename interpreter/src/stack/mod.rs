//! The stacks a script runs against, behind one interface: the runner (time,
//! expectations, matching, transcripts) is written once and drives either.
//!
//! The contract is quinn-proto's handle/poll one, sans-IO where the stack allows it:
//! the runner hands the stack what happens ([`Stack::handle_segment`], [`Stack::call`],
//! [`Stack::handle_timeout`]) and then polls it for what it sent
//! ([`Stack::poll_transmit`]) and for when it next needs the clock
//! ([`Stack::poll_timeout`]). The model's time is simulated: the runner jumps from
//! deadline to deadline. The kernel's is real ([`Stack::REAL_TIME`]): the runner sleeps,
//! and `handle_timeout(now)` is the stack's chance to read what the kernel did meanwhile.

pub mod kernel;

use crate::script::{Call, Icmp};
use crate::syscall::Errno;
use model::{Segment, State};

/// A segment a stack sent, and when (µs since the script's time 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    /// When it was sent (the model) or read off the wire (the kernel).
    pub time: u64,
    /// The segment, with live numbers.
    pub seg: Segment,
}

/// A call's result, or that it would block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ready {
    /// Returned: the value, and the errno when it is -1.
    Done(i64, Option<Errno>),
    /// Would block.
    Block,
}

/// What a blocking call waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wait {
    /// `connect` on this fd: the handshake done or failed.
    Connect(i64),
    /// `accept` on the listener's fd; the fd the script wants the connection to get.
    Accept(i64, i64),
    /// A read of at most this many bytes; with `MSG_PEEK` (true) the text stays queued.
    Read(i64, u32, bool),
    /// A write of this many bytes on a blocking socket that cannot send yet: Linux's
    /// `tcp_sendmsg_locked()` waits in SYN-SENT and SYN-RECEIVED
    /// (`sk_stream_wait_connect()`), and for room in the send buffer.
    Write(i64, u32),
    /// `poll` or `epoll_wait`: the fds and events watched, at most this many returned, or
    /// 0 at its timeout (a time; `u64::MAX` for none).
    Poll(Vec<(i64, u32)>, usize, u64),
}

/// What a system call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Called {
    /// It returned at once.
    Done(i64, Option<Errno>),
    /// It returns when this wait is over (at once if it can).
    Wait(Wait),
    /// Parsed and not run: the script's result is taken as given, for this reason.
    Unmodelled(String),
}

/// A call the script expected something else from, or could not make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// What went wrong.
    pub message: String,
    /// What the script expected.
    pub expected: Option<String>,
    /// What the stack did.
    pub actual: Option<String>,
    /// The script is wrong (exit 2), not the stack (exit 1).
    pub bad_script: bool,
}

impl Mismatch {
    /// The stack did something else than expected.
    pub fn fail(message: impl Into<String>) -> Mismatch {
        Mismatch {
            message: message.into(),
            expected: None,
            actual: None,
            bad_script: false,
        }
    }

    /// The script is wrong.
    pub fn bad(message: impl Into<String>) -> Mismatch {
        Mismatch {
            bad_script: true,
            ..Mismatch::fail(message)
        }
    }

    /// With what was expected and what happened.
    pub fn with(mut self, expected: impl Into<String>, actual: impl Into<String>) -> Mismatch {
        self.expected = Some(expected.into());
        self.actual = Some(actual.into());
        self
    }
}

/// One row of the table applied, as a stack reports it (live numbers; the runner puts
/// them in the script's numbering for the transcript). The kernel has no rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawStep {
    /// Which TCB: `fd 3`, `connection`, `closed port`.
    pub socket: String,
    /// The classified event.
    pub event: model::Event,
    /// The row.
    pub row: model::RowId,
    /// State before.
    pub from: State,
    /// State after.
    pub to: State,
    /// Segments sent.
    pub sent: Vec<Segment>,
    /// The segment received (inbound steps).
    pub received: Option<Segment>,
    /// What the row did that the states do not show.
    pub note: Option<String>,
}

/// One stack under a script: the table's endpoint, or the kernel.
pub trait Stack {
    /// The runner sleeps in real time and the stack's clock is the wall clock.
    const REAL_TIME: bool;

    /// The segment from the script's peer arrives (live numbers; `names`, the options in
    /// the order the script wrote them).
    fn handle_segment(&mut self, now: u64, seg: Segment, names: &[String]) -> Result<(), Mismatch>;

    /// An ICMP message from the peer (`offset`: live = script number + offset, for the
    /// quoted sequence number); a notice of what was done with it.
    fn handle_icmp(&mut self, now: u64, icmp: &Icmp, offset: u32) -> String;

    /// A system call (`blocking`: written `a...b`), and a notice when something in it is
    /// not modelled.
    fn call(
        &mut self,
        now: u64,
        call: &Call,
        blocking: bool,
    ) -> Result<(Called, Option<String>), Mismatch>;

    /// Whether a pending wait can complete now.
    fn attempt(&mut self, now: u64, wait: &Wait) -> Result<Ready, Mismatch>;

    /// Whether the socket a wait is on is non-blocking (so it returns `EAGAIN` or
    /// `EINPROGRESS` instead of blocking).
    fn nonblocking(&self, wait: &Wait) -> bool;

    /// Time has come to `now`. The model fires its earliest timer due by then and names
    /// it; the kernel reads what it sent meanwhile (sleeping until `now`, or less: it
    /// returns as soon as the kernel sent something) and names none.
    fn handle_timeout(&mut self, now: u64) -> Result<Option<&'static str>, Mismatch>;

    /// The rows applied since the last call (the model's; the kernel has none).
    fn take_steps(&mut self) -> Vec<RawStep>;

    /// The next segment the stack sent, oldest first.
    fn poll_transmit(&mut self) -> Option<Sent>;

    /// The wall clock (µs since time 0) for a real-time stack; `None` for the model,
    /// whose clock is the runner's.
    fn wall_clock(&self) -> Option<u64>;

    /// When the stack next needs [`Stack::handle_timeout`], if ever.
    fn poll_timeout(&self) -> Option<u64>;

    /// The connection's state (CLOSED once it is gone), else the listener's, else CLOSED.
    fn state(&self) -> State;

    /// The state of the connection a failure concerns and what the stack can say about
    /// it (`offset`: live = script number + offset).
    fn describe(&self, offset: u32) -> (State, String);
}
