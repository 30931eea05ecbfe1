//! What a run produces, statement by statement: transcript entries, the rows applied
//! (the model's; the kernel has none), segments in both numberings, failures, and where
//! a statement sits in its source.

use model::{Outcome, RowId, Segment, State};
use serde::Serialize;

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
    /// A `>` line's segment as the stack sent it, in the script's numbering (what
    /// `interpreter diff` shows; not part of the transcript's text or JSON).
    #[serde(skip)]
    pub matched: Option<String>,
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
    pub tcb: Box<str>,
    /// The script itself is wrong (exit 2) rather than the endpoint (exit 1).
    pub bad_script: bool,
    /// How the stack departed from the script, typed (what `message` says in words): what
    /// `interpreter diff` and `fuzz-diff`'s classifier read. Not in the JSON. (Boxed, as
    /// `tcb` is a boxed `str`: a failure is an `Err`, kept small.)
    #[serde(skip)]
    pub how: Box<How>,
}

/// A [`Failure`], typed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct How {
    /// How the stack departed from the script.
    pub departure: Departure,
    /// The segment the stack sent where a `>` line expected another (or none), in the
    /// script's numbering.
    pub sent: Option<Seen>,
}

/// How a stack departed from its script: the kinds of [`Failure`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Departure {
    /// A `>` line's segment was not sent (within the tolerance).
    NothingSent,
    /// A segment was sent where a `>` line expects one, and one of its fields differs.
    SegmentDiffers(Field),
    /// The segment a `>` line expects was sent at another time: when, and the earliest
    /// and latest times the line allows (µs; the tolerance not counted).
    Mistimed {
        /// When it was sent.
        sent: u64,
        /// The line's time, or the start of its range.
        earliest: u64,
        /// The line's time, or the end of its range.
        latest: u64,
    },
    /// A system call returned something else: the value the script expected, the value
    /// returned (-1 with an errno).
    CallResult {
        /// The script's value.
        expected: i64,
        /// The stack's.
        actual: i64,
    },
    /// `state X` found the endpoint in another state.
    OtherState(State),
    /// A segment sent after the last `>` line that expects one (`--strict`).
    Unexpected,
    /// The kernel's run reached `live --max-seconds` (real time is not skipped).
    PastRealTimeLimit,
    /// Anything else: a blocking call's timing, a poll, ICMP, the stack's own error, a
    /// bad script.
    #[default]
    Other,
}

/// The field of a segment that differs from the `>` line's, in the order they are
/// compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The control bits.
    Flags,
    /// SEG.SEQ.
    Seq,
    /// The text's length.
    Len,
    /// SEG.ACK.
    Ack,
    /// SEG.WND.
    Window,
    /// The TCP options.
    Options,
}

/// A segment as a `>` line sees it, typed: control bits, and the numbers in the script's
/// numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    /// The control bits.
    pub flags: model::Flags,
    /// SEG.SEQ.
    pub seq: u32,
    /// SEG.ACK (0 without ACK).
    pub ack: u32,
    /// Text length.
    pub len: u32,
}

impl From<&Wire> for Seen {
    fn from(w: &Wire) -> Seen {
        Seen {
            flags: w.live.flags,
            seq: w.seq,
            ack: w.ack,
            len: w.len,
        }
    }
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

/// Seconds with milliseconds (and microseconds when they matter).
pub fn seconds(micros: u64) -> String {
    if micros % 1000 == 0 {
        format!("{}.{:03}", micros / 1_000_000, micros / 1000 % 1000)
    } else {
        format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
    }
}
