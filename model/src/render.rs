//! The table as text: Markdown for people, JSON (through serde) for tools.

use crate::profile::PROFILES;
use crate::table::{Action, Emit, Row, Signal, Span, State, Table, Timer, UserError};
use serde::Serialize;
use std::fmt::{self, Write};

impl fmt::Display for Emit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Emit::Syn => "snd SYN",
            Emit::SynAck => "snd SYN,ACK",
            Emit::Ack => "snd ACK",
            Emit::AckOrSynAck => "snd ACK (SYN,ACK again for the peer's SYN again)",
            Emit::AckIfText => "snd ACK if text",
            Emit::AckIfTextOrSyn => "snd ACK if text or SYN",
            Emit::AckFinDelayable => "snd ACK (may be delayed)",
            Emit::DupAck => "snd ACK (out of window)",
            Emit::AckOfBadAck => "snd ACK (bad ACK)",
            Emit::ChallengeAck => "snd challenge ACK",
            Emit::Fin => "snd FIN",
            Emit::Data => "snd queued text",
            Emit::Rst => "snd RST <SEQ=SND.NXT>",
            Emit::RstAck => "snd RST,ACK <SEQ=SND.NXT><ACK=RCV.NXT>",
            Emit::ResetReply => "snd RST (reply)",
            Emit::WindowUpdate => "snd window update",
            Emit::Retransmit => "retransmit",
        })
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signal::Established => "connection open",
            Signal::Closing => "connection closing",
            Signal::Reset => "connection reset",
            Signal::Refused => "connection refused",
            Signal::TimedOut => "connection aborted due to user timeout",
        })
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UserError::DoesNotExist => "connection does not exist",
            UserError::AlreadyExists => "connection already exists",
            UserError::Closing => "connection closing",
            UserError::NotConnected => "not connected",
        })
    }
}

impl fmt::Display for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Timer::Retransmit => "retransmission",
            Timer::TimeWait => "TIME-WAIT",
            Timer::FinWait2 => "FIN-WAIT-2",
            Timer::DelayedAck => "delayed ACK",
        })
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Span::TwoMsl => "2MSL",
            Span::OneMsl => "1MSL",
            Span::FinTimeout => "fin timeout",
        })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::CreatePassive => f.write_str("create TCB (passive)"),
            Action::CreateActive => f.write_str("create TCB, choose ISS"),
            Action::MakeActive => f.write_str("make active, choose ISS"),
            Action::ChooseIss => f.write_str("choose ISS"),
            Action::RecordIrs => f.write_str("IRS=SEG.SEQ, RCV.NXT=SEG.SEQ+1"),
            Action::ProcessAck => f.write_str("SND.UNA=SEG.ACK"),
            Action::HoldText => f.write_str("hold text and FIN until ESTABLISHED"),
            Action::AcceptText => f.write_str("accept text"),
            Action::AcceptFin => f.write_str("RCV.NXT+=1 (FIN)"),
            Action::QueueText => f.write_str("queue text"),
            Action::DeferClose => f.write_str("queue CLOSE until ESTABLISHED"),
            Action::ReadText => f.write_str("deliver text"),
            Action::Emit(e) => write!(f, "{e}"),
            Action::Arm(t, s) => write!(f, "start {t} timer ({s})"),
            Action::StopTimers => f.write_str("stop timers"),
            Action::Signal(s) => write!(f, "signal \"{s}\""),
            Action::Reject(e) => write!(f, "error \"{e}\""),
            Action::RejectIfNothingQueued(e) => write!(f, "if no text queued: error \"{e}\""),
            Action::ReturnToListen => f.write_str("return to LISTEN"),
            Action::DeleteTcb => f.write_str("delete TCB"),
        }
    }
}

/// The actions of a row, comma-separated; `—` when the row does nothing.
pub fn actions_text(row: &Row) -> String {
    if row.actions.is_empty() {
        return "—".to_string();
    }
    row.actions
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table as Markdown: one section per state, then counts.
pub fn markdown(table: &Table) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# TCP transition table: profile `{}`\n", table.name());
    let _ = writeln!(
        s,
        "{} rows. Every (state, event) pair has exactly one row (SYN-RECEIVED splits some \
         on how the connection was opened). `Fig. 5` marks the transitions RFC 9293 Figure 5 draws.\n",
        table.rows().len()
    );
    for state in State::ALL {
        let _ = writeln!(s, "## {state}\n");
        let _ = writeln!(s, "| # | event | guard | actions | next | RFC | Fig. 5 |");
        let _ = writeln!(s, "|---|---|---|---|---|---|---|");
        for (i, row) in table.numbered().filter(|(_, r)| r.from == state) {
            let guard = match row.guard {
                crate::Guard::Any => "",
                crate::Guard::OpenedPassively => "opened passively",
                crate::Guard::OpenedActively => "opened actively",
            };
            let next = if row.is_transition() {
                row.to.rfc_name()
            } else {
                "(stay)"
            };
            let _ = writeln!(
                s,
                "| {i} | {} | {guard} | {} | {next} | {} | {} |",
                row.event.id(),
                actions_text(row).replace('|', "\\|"),
                row.rfc,
                if row.classic { "yes" } else { "" }
            );
        }
        s.push('\n');
    }
    let _ = writeln!(s, "## Rows per state\n");
    let _ = writeln!(s, "| state | rows |\n|---|---|");
    for (state, n) in table.rows_per_state() {
        let _ = writeln!(s, "| {state} | {n} |");
    }
    s
}

/// The stable JSON shape of `model table --format json`.
#[derive(Serialize)]
pub struct TableJson<'a> {
    /// The profile(s) the table was built from.
    pub profile: &'a str,
    /// Whether any layered profile is a mutant.
    pub broken: bool,
    /// Every known profile.
    pub profiles: &'a [crate::Profile],
    /// The rows, with their ids.
    pub rows: Vec<RowJson<'a>>,
}

/// One row in JSON.
#[derive(Serialize)]
pub struct RowJson<'a> {
    /// The row's number: the same under every profile (see [`crate::RowId`]).
    pub id: u16,
    /// The row itself.
    #[serde(flatten)]
    pub row: &'a Row,
}

/// The table as pretty JSON.
pub fn json(table: &Table) -> String {
    let broken = table
        .name()
        .split(',')
        .any(|n| crate::Profile::named(n).is_some_and(|p| p.broken));
    let doc = TableJson {
        profile: table.name(),
        broken,
        profiles: &PROFILES,
        rows: table
            .numbered()
            .map(|(id, row)| RowJson { id: id.0, row })
            .collect(),
    };
    serde_json::to_string_pretty(&doc).expect("the table serializes")
}
