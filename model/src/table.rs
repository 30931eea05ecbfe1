//! The transition table: the single source of truth for TCP connection management.
//!
//! Every consumer (the endpoint's `step`, the model checker, the interpreter and the
//! diagram generator) reads these rows; none restates them. The table is *total*: for
//! every state, event and guard context exactly one row applies (`Table::check_total`).

use serde::Serialize;
use std::fmt;

/// The eleven connection states of RFC 9293 §3.3.2.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
pub enum State {
    /// No connection: no TCB.
    #[default]
    #[serde(rename = "CLOSED")]
    Closed,
    /// Waiting for a connection request from any remote TCP (passive OPEN).
    #[serde(rename = "LISTEN")]
    Listen,
    /// SYN sent, waiting for a matching connection request.
    #[serde(rename = "SYN_SENT")]
    SynSent,
    /// SYN received and sent, waiting for the acknowledgment of our SYN.
    #[serde(rename = "SYN_RECEIVED")]
    SynReceived,
    /// Open: data flows both ways.
    #[serde(rename = "ESTABLISHED")]
    Established,
    /// We closed; waiting for the ACK of our FIN or for the peer's FIN.
    #[serde(rename = "FIN_WAIT_1")]
    FinWait1,
    /// Our FIN is acknowledged; waiting for the peer's FIN.
    #[serde(rename = "FIN_WAIT_2")]
    FinWait2,
    /// The peer closed; waiting for our user's CLOSE.
    #[serde(rename = "CLOSE_WAIT")]
    CloseWait,
    /// Both sides closed at once; waiting for the ACK of our FIN.
    #[serde(rename = "CLOSING")]
    Closing,
    /// The peer closed first and so did we; waiting for the ACK of our FIN.
    #[serde(rename = "LAST_ACK")]
    LastAck,
    /// Waiting 2MSL so the peer got our last ACK and old duplicates die out.
    #[serde(rename = "TIME_WAIT")]
    TimeWait,
}

impl State {
    /// All states, in the order of RFC 9293 §3.3.2.
    pub const ALL: [State; 11] = [
        State::Closed,
        State::Listen,
        State::SynSent,
        State::SynReceived,
        State::Established,
        State::FinWait1,
        State::FinWait2,
        State::CloseWait,
        State::Closing,
        State::LastAck,
        State::TimeWait,
    ];

    /// The synchronized states of RFC 9293 §3.5.2 (ESTABLISHED onwards).
    pub const SYNCHRONIZED: [State; 7] = [
        State::Established,
        State::FinWait1,
        State::FinWait2,
        State::CloseWait,
        State::Closing,
        State::LastAck,
        State::TimeWait,
    ];

    /// A stable identifier (`SYN_SENT`): DOT node ids, JSON, Mermaid.
    pub const fn id(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN_SENT",
            State::SynReceived => "SYN_RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN_WAIT_1",
            State::FinWait2 => "FIN_WAIT_2",
            State::CloseWait => "CLOSE_WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST_ACK",
            State::TimeWait => "TIME_WAIT",
        }
    }

    /// The RFC spelling (`SYN-RECEIVED`).
    pub const fn rfc_name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        }
    }

    /// Linux's `tcpi_state` name (`TCP_SYN_RECV`), as packetdrill scripts assert it.
    pub const fn linux_name(self) -> &'static str {
        match self {
            State::Closed => "TCP_CLOSE",
            State::Listen => "TCP_LISTEN",
            State::SynSent => "TCP_SYN_SENT",
            State::SynReceived => "TCP_SYN_RECV",
            State::Established => "TCP_ESTABLISHED",
            State::FinWait1 => "TCP_FIN_WAIT1",
            State::FinWait2 => "TCP_FIN_WAIT2",
            State::CloseWait => "TCP_CLOSE_WAIT",
            State::Closing => "TCP_CLOSING",
            State::LastAck => "TCP_LAST_ACK",
            State::TimeWait => "TCP_TIME_WAIT",
        }
    }

    /// Parses any of the three spellings, case-insensitively (`syn-received`, `SYN_RECEIVED`,
    /// `TCP_SYN_RECV`), plus the common short forms `SYN_RCVD` and `ESTAB`.
    pub fn parse(s: &str) -> Option<State> {
        let norm = s.trim().to_ascii_uppercase().replace('-', "_");
        State::ALL
            .into_iter()
            .find(|st| {
                norm == st.id()
                    || norm == st.linux_name()
                    || norm == st.rfc_name().replace('-', "_")
            })
            .or(match norm.as_str() {
                "SYN_RCVD" => Some(State::SynReceived),
                "ESTAB" => Some(State::Established),
                _ => None,
            })
    }

    /// Whether the state is synchronized (RFC 9293 §3.5.2).
    pub fn is_synchronized(self) -> bool {
        State::SYNCHRONIZED.contains(&self)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rfc_name())
    }
}

/// What an endpoint reacts to: a user call, a segment arrival *after classification against
/// the TCB* (see `endpoint::classify`), or a timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// OPEN, passive (§3.10.1): `listen()`.
    PassiveOpen,
    /// OPEN, active (§3.10.1): `connect()`.
    ActiveOpen,
    /// SEND (§3.10.2).
    Send,
    /// RECEIVE (§3.10.3).
    Receive,
    /// CLOSE (§3.10.4): "I have no more to send".
    Close,
    /// `shutdown(SHUT_WR)`: the socket-level half close; CLOSE except where no connection exists.
    Shutdown,
    /// ABORT (§3.10.5).
    Abort,
    /// A non-RST segment that fails the acceptability test of §3.10.7.4 (or is out of order).
    Unacceptable,
    /// A retransmission of the FIN we already received (SEG.SEQ + SEG.LEN = RCV.NXT).
    FinRetransmit,
    /// RST with SEG.SEQ = RCV.NXT (in SYN-SENT: RST whose ACK acknowledges our SYN).
    RstExact,
    /// RST inside the receive window but not at RCV.NXT (RFC 5961 §3.2).
    RstInWindow,
    /// RST outside the window, or one that cannot be matched to the connection.
    RstOutOfWindow,
    /// SYN without an acceptable ACK of our SYN.
    Syn,
    /// SYN,ACK whose ACK acknowledges our SYN (SYN-SENT).
    SynAck,
    /// An acceptable ACK that acknowledges our SYN (SYN-RECEIVED).
    AckOfSyn,
    /// An acceptable ACK, acknowledging neither SYN nor FIN; may carry text.
    Ack,
    /// An ACK outside the acceptable range (acknowledges unsent data, or too old, or any ACK
    /// reaching LISTEN or CLOSED).
    AckUnacceptable,
    /// An acceptable ACK that acknowledges our FIN.
    AckOfFin,
    /// FIN, in order, whose ACK does not acknowledge our FIN.
    Fin,
    /// FIN together with the ACK of our FIN.
    FinAckOfFin,
    /// A segment with none of SYN, RST, ACK (dropped by §3.10.7.4's fifth step).
    NoAck,
    /// The retransmission timer expired (RFC 6298).
    RetransmitTimeout,
    /// The user timeout expired (§3.10.8), modelled as retransmissions exhausted (RFC 1122 R2).
    UserTimeout,
    /// The 2MSL TIME-WAIT timer expired.
    TimeWaitTimeout,
    /// A FIN-WAIT-2 timer expired (not in RFC 9293; real stacks add one, e.g. Linux's
    /// `tcp_fin_timeout`; only the `fin-wait-2-timeout` profile arms it).
    FinWait2Timeout,
    /// The delayed-ACK timer expired (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2). Armed only
    /// when [`crate::Config::delayed_ack`] is set (the `linux` profile): RFC 9293's
    /// default here acknowledges every segment at once, which the RFC allows.
    DelayedAckTimeout,
}

/// The kind of an event, for grouping and drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A call from the user.
    User,
    /// A segment arrival.
    Segment,
    /// A timer expiry.
    Timeout,
}

impl Event {
    /// A RST that the table may act on (an exact or in-window one; RFC 793 resets on
    /// both).
    pub fn is_reset(self) -> bool {
        matches!(self, Event::RstExact | Event::RstInWindow)
    }

    /// Every event.
    pub const ALL: [Event; 26] = [
        Event::PassiveOpen,
        Event::ActiveOpen,
        Event::Send,
        Event::Receive,
        Event::Close,
        Event::Shutdown,
        Event::Abort,
        Event::Unacceptable,
        Event::FinRetransmit,
        Event::RstExact,
        Event::RstInWindow,
        Event::RstOutOfWindow,
        Event::Syn,
        Event::SynAck,
        Event::AckOfSyn,
        Event::Ack,
        Event::AckUnacceptable,
        Event::AckOfFin,
        Event::Fin,
        Event::FinAckOfFin,
        Event::NoAck,
        Event::RetransmitTimeout,
        Event::UserTimeout,
        Event::TimeWaitTimeout,
        Event::FinWait2Timeout,
        Event::DelayedAckTimeout,
    ];

    /// Segment events.
    pub const SEGMENTS: [Event; 14] = [
        Event::Unacceptable,
        Event::FinRetransmit,
        Event::RstExact,
        Event::RstInWindow,
        Event::RstOutOfWindow,
        Event::Syn,
        Event::SynAck,
        Event::AckOfSyn,
        Event::Ack,
        Event::AckUnacceptable,
        Event::AckOfFin,
        Event::Fin,
        Event::FinAckOfFin,
        Event::NoAck,
    ];

    /// Whether it is a user call, a segment or a timeout.
    pub fn kind(self) -> EventKind {
        use Event::*;
        match self {
            PassiveOpen | ActiveOpen | Send | Receive | Close | Shutdown | Abort => EventKind::User,
            RetransmitTimeout | UserTimeout | TimeWaitTimeout | FinWait2Timeout
            | DelayedAckTimeout => EventKind::Timeout,
            _ => EventKind::Segment,
        }
    }

    /// A stable identifier (`rst_exact`).
    pub fn id(self) -> &'static str {
        use Event::*;
        match self {
            PassiveOpen => "passive_open",
            ActiveOpen => "active_open",
            Send => "send",
            Receive => "receive",
            Close => "close",
            Shutdown => "shutdown",
            Abort => "abort",
            Unacceptable => "unacceptable",
            FinRetransmit => "fin_retransmit",
            RstExact => "rst_exact",
            RstInWindow => "rst_in_window",
            RstOutOfWindow => "rst_out_of_window",
            Syn => "syn",
            SynAck => "syn_ack",
            AckOfSyn => "ack_of_syn",
            Ack => "ack",
            AckUnacceptable => "ack_unacceptable",
            AckOfFin => "ack_of_fin",
            Fin => "fin",
            FinAckOfFin => "fin_ack_of_fin",
            NoAck => "no_ack",
            RetransmitTimeout => "retransmit_timeout",
            UserTimeout => "user_timeout",
            TimeWaitTimeout => "time_wait_timeout",
            FinWait2Timeout => "fin_wait_2_timeout",
            DelayedAckTimeout => "delayed_ack_timeout",
        }
    }

    /// Parses an identifier as printed by [`Event::id`].
    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.id() == s)
    }

    /// The event in RFC 9293 Figure 5's words (`rcv ACK of FIN`).
    pub fn label(self) -> &'static str {
        use Event::*;
        match self {
            PassiveOpen => "passive OPEN",
            ActiveOpen => "active OPEN",
            Send => "SEND",
            Receive => "RECEIVE",
            Close => "CLOSE",
            Shutdown => "SHUTDOWN(WR)",
            Abort => "ABORT",
            Unacceptable => "rcv unacceptable segment",
            FinRetransmit => "rcv FIN again",
            RstExact => "rcv RST",
            RstInWindow => "rcv RST in window",
            RstOutOfWindow => "rcv RST out of window",
            Syn => "rcv SYN",
            SynAck => "rcv SYN,ACK",
            AckOfSyn => "rcv ACK of SYN",
            Ack => "rcv ACK",
            AckUnacceptable => "rcv bad ACK",
            AckOfFin => "rcv ACK of FIN",
            Fin => "rcv FIN",
            FinAckOfFin => "rcv FIN,ACK of FIN",
            NoAck => "rcv segment without ACK",
            RetransmitTimeout => "retransmission timeout",
            UserTimeout => "user timeout",
            TimeWaitTimeout => "Timeout=2MSL",
            FinWait2Timeout => "FIN-WAIT-2 timeout",
            DelayedAckTimeout => "delayed-ACK timeout",
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How the connection was opened; RFC 9293 conditions two SYN-RECEIVED rows on it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// From LISTEN (passive OPEN).
    Passive,
    /// From an active OPEN (or SEND in LISTEN).
    #[default]
    Active,
}

/// A condition on the TCB beyond state and event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Guard {
    /// Always.
    Any,
    /// The connection was opened passively (RFC 9293 Figure 5, note 1).
    OpenedPassively,
    /// The connection was opened actively.
    OpenedActively,
}

impl Guard {
    /// Every guard.
    pub const ALL: [Guard; 3] = [Guard::Any, Guard::OpenedPassively, Guard::OpenedActively];

    /// Whether the guard holds for a connection of this origin.
    pub fn holds(self, origin: Origin) -> bool {
        match self {
            Guard::Any => true,
            Guard::OpenedPassively => origin == Origin::Passive,
            Guard::OpenedActively => origin == Origin::Active,
        }
    }
}

/// A segment the endpoint sends, with the sequence rule of RFC 9293 §3.10.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Emit {
    /// `<SEQ=ISS><CTL=SYN>`
    Syn,
    /// `<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>`
    SynAck,
    /// `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>`
    Ack,
    /// The ACK above, but for the peer's SYN again (SEG.SEQ = IRS; SYN without ACK or
    /// RST, not refused by PAWS) while our SYN is unacknowledged: our SYN,ACK again, its
    /// timer restarted from now at the RTO in force, no retransmission counted (Linux's
    /// request socket: `tcp_check_req()`, "Check for pure retransmitted SYN",
    /// `tcp_rtx_synack()`, `mod_timer_pending()`). Either is an out-of-window ACK as
    /// [`Emit::DupAck`] is (`tcp_check_req()` asks `tcp_oow_rate_limited()` for both).
    AckOrSynAck,
    /// The ACK above, only when this segment's text was accepted: at once, or later by
    /// the delayed-ACK timer where [`crate::Config::delayed_ack`] allows (§3.10.7.4's
    /// seventh step, "without incurring undue delay"; §3.8.6.3).
    AckIfText,
    /// The ACK above, also at once for a segment that carries a SYN already received (a
    /// simultaneous open's SYN,ACK, ending at RCV.NXT): Linux's `tcp_data_queue()` takes
    /// a segment that ends at or before RCV.NXT for a retransmission and acknowledges it
    /// (`tcp_send_dupack()`, quick-ACK mode), where Figure 7 sends nothing. So for any
    /// segment of nonzero length of which nothing is taken: text or a FIN ending at
    /// RCV.NXT, or starting at the window's right edge (`tcp_data_queue()`: "Out of
    /// window", the same quick ACK).
    AckIfTextOrSyn,
    /// The ACK of a FIN in ESTABLISHED as Linux sends it: `tcp_fin()` only schedules it
    /// (`inet_csk_schedule_ack()`) and enters interactive mode
    /// (`inet_csk_enter_pingpong_mode()`, which ends quick-ACK mode), so it goes by the
    /// delayed-ACK rule (`__tcp_ack_snd_check()`). At once when delayed ACKs are off.
    AckFinDelayable,
    /// The ACK above in reply to a segment that failed the sequence test (§3.10.7.4's
    /// first step: "an acknowledgment should be sent in reply"). An out-of-window ACK:
    /// where [`crate::Config::oow_ack_rate_limit`] is set, one answering a segment with
    /// no text and no FIN, or with a SYN, is skipped within that time of the last
    /// out-of-window ACK (Linux `tcp_oow_rate_limited()`).
    DupAck,
    /// The ACK above in reply to a segment whose ACK field is not acceptable (RFC 5961
    /// §5.2: it acknowledges unsent data, or is too old). An out-of-window ACK whatever
    /// the segment carries: Linux sends it through `tcp_send_challenge_ack()`
    /// ([`crate::Config::oow_ack_rate_limit`]).
    AckOfBadAck,
    /// RFC 5961's challenge ACK: `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>`. An out-of-window
    /// ACK whatever the segment carries ([`crate::Config::oow_ack_rate_limit`]).
    ChallengeAck,
    /// Queue a FIN after all queued text: `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=FIN,ACK>`. Text
    /// (and so a FIN behind it) waits until our SYN is acknowledged (§3.10.2, §3.10.4).
    Fin,
    /// Queued text as the send window allows, then a queued FIN.
    Data,
    /// `<SEQ=SND.NXT><CTL=RST>` (ABORT).
    Rst,
    /// `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>`: ABORT as Linux (`tcp_send_active_reset()`)
    /// and FreeBSD (`tcp_drop()`, `tcp_outflags[TCPS_CLOSED]`) send it.
    RstAck,
    /// The reply to a segment that has no connection (§3.10.7.1): if the ACK bit is on,
    /// `<SEQ=SEG.ACK><CTL=RST>`, else `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`.
    ResetReply,
    /// An ACK announcing that a window closed to zero has reopened (§3.8.6.2.2).
    WindowUpdate,
    /// Resend the oldest unacknowledged segment (SYN, SYN,ACK, text or FIN) and back off.
    Retransmit,
}

/// What the user is told, unsolicited or as the result of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The connection is established (OPEN completes).
    Established,
    /// "connection closing": the peer sent FIN; no more data will arrive.
    Closing,
    /// "connection reset".
    Reset,
    /// "connection refused".
    Refused,
    /// "connection aborted due to user timeout".
    TimedOut,
}

/// Why a user call is refused (§3.10.1–§3.10.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserError {
    /// "connection does not exist"
    DoesNotExist,
    /// "connection already exists"
    AlreadyExists,
    /// "connection closing"
    Closing,
    /// `ENOTCONN`: a half close on a socket that is not connected.
    NotConnected,
}

/// The timers an endpoint may run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timer {
    /// Retransmission (RFC 6298); armed and stopped by the send and ACK mechanics.
    Retransmit,
    /// TIME-WAIT.
    TimeWait,
    /// FIN-WAIT-2 (an extension, see [`Event::FinWait2Timeout`]).
    FinWait2,
    /// Delayed ACK (RFC 9293 §3.8.6.3; Linux `icsk_delack_timer`), armed only when
    /// [`crate::Config::delayed_ack`] is set.
    DelayedAck,
}

/// How long a timer runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Span {
    /// Twice the maximum segment lifetime (RFC 9293 §3.4.2), or the configured TIME-WAIT length.
    TwoMsl,
    /// One MSL: too short (a mutant).
    OneMsl,
    /// The configured FIN-WAIT-2 timeout.
    FinTimeout,
}

/// One effect of a row, applied in order by `endpoint::apply`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Create a TCB that listens (passive OPEN).
    CreatePassive,
    /// Create a TCB for an active OPEN; choose the ISS.
    CreateActive,
    /// Turn a listening TCB active; choose the ISS (§3.10.1/§3.10.2 in LISTEN).
    MakeActive,
    /// Choose the ISS: SND.UNA = SND.NXT = ISS.
    ChooseIss,
    /// IRS = SEG.SEQ, RCV.NXT = SEG.SEQ + 1.
    RecordIrs,
    /// The ACK field (§3.10.7.4 fifth step): advance SND.UNA, update SND.WND.
    ProcessAck,
    /// Hold the text and FIN that came on a SYN for processing once ESTABLISHED
    /// (§3.10.7.2, §3.10.7.3); RCV.NXT does not move over them yet.
    HoldText,
    /// The segment text (seventh step): accept in-order bytes, advance RCV.NXT; text
    /// held from the peer's SYN first.
    AcceptText,
    /// The FIN (eighth step): advance RCV.NXT over it.
    AcceptFin,
    /// Queue the SEND's bytes.
    QueueText,
    /// Queue the CLOSE (`shutdown(SHUT_WR)`) for processing after entering ESTABLISHED
    /// (§3.10.4 in SYN-RECEIVED, "otherwise, queue for processing after entering
    /// ESTABLISHED state"): the connection stays, nothing is sent; when the ACK of our
    /// SYN brings it to ESTABLISHED, the endpoint runs the SHUTDOWN row of that state.
    DeferClose,
    /// Hand received bytes to the RECEIVE call; the window reopens.
    ReadText,
    /// Send a segment.
    Emit(Emit),
    /// Start (or restart) a timer.
    Arm(Timer, Span),
    /// Turn off all timers.
    StopTimers,
    /// Tell the user.
    Signal(Signal),
    /// Refuse the user call.
    Reject(UserError),
    /// Refuse the RECEIVE if no text was awaiting delivery (§3.10.3 in CLOSE-WAIT).
    RejectIfNothingQueued(UserError),
    /// Return to LISTEN, forgetting the half-open connection (keeps the passive OPEN).
    ReturnToListen,
    /// Delete the TCB (enter CLOSED).
    DeleteTcb,
}

/// One row of the table: in `from`, on `event`, when `guard` holds, do `actions` and
/// enter `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Row {
    /// The state the row applies in.
    pub from: State,
    /// The classified event.
    pub event: Event,
    /// An extra condition.
    pub guard: Guard,
    /// Effects, in order.
    pub actions: &'static [Action],
    /// The next state (equal to `from` when the row stays).
    pub to: State,
    /// Where in the RFCs the row comes from.
    pub rfc: &'static str,
    /// A short label in RFC Figure 5's `event / action` style.
    pub label: &'static str,
    /// Whether RFC 9293 Figure 5 draws this transition.
    pub classic: bool,
}

impl Row {
    /// Whether the row applies to this state, event and origin.
    pub fn matches(&self, state: State, event: Event, origin: Origin) -> bool {
        self.from == state && self.event == event && self.guard.holds(origin)
    }

    /// Whether the row changes state.
    pub fn is_transition(&self) -> bool {
        self.from != self.to
    }

    /// Whether the row sends any segment.
    pub fn emits(&self) -> impl Iterator<Item = Emit> + '_ {
        self.actions.iter().filter_map(|a| match a {
            Action::Emit(e) => Some(*e),
            _ => None,
        })
    }
}

/// A row's number: the same in every table that has the row, whatever the profile.
///
/// The RFC 9293 rows are numbered from 0 in the order `rows.rs` lists them. A row that a
/// profile adds is numbered `1000 × k + i`, where `k` is the profile's position in
/// [`crate::PROFILES`] (`rfc793` is 1, `rfc1337` 2, ...) and `i` the row's position among
/// that profile's rows, so `check`, `table` and the interpreter cite one number for one row
/// under every layering. A base row a profile replaces is absent from that table, and its
/// number is never reused. (A table built by [`Table::from_rows`] numbers its rows by
/// position.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RowId(pub u16);

impl fmt::Display for RowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The first number of the rows the `k`-th profile adds: `PROFILE_ROW_BLOCK × k`.
pub const PROFILE_ROW_BLOCK: u16 = 1000;

/// A place where the table is not total: no row, or more than one, applies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// The state.
    pub state: State,
    /// The event.
    pub event: Event,
    /// The origin the guard was evaluated for.
    pub origin: Origin,
    /// How many rows matched (0, or 2 and more).
    pub matches: usize,
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} on {} (opened {:?}): {} rows match",
            self.state,
            self.event.id(),
            self.origin,
            self.matches
        )
    }
}

/// The transition table of one profile (or a layering of several): rows plus an index
/// from (state, event, origin) to the one row that applies.
#[derive(Clone, Debug)]
pub struct Table {
    name: String,
    rows: Vec<Row>,
    /// `ids[i]` is the number of `rows[i]`.
    ids: Vec<RowId>,
    /// `position[id]` is where row `id` is in `rows` (`u16::MAX`: not in this table).
    position: Vec<u16>,
    index: Vec<RowId>,
}

const ORIGINS: [Origin; 2] = [Origin::Passive, Origin::Active];

fn slot(state: State, event: Event, origin: Origin) -> usize {
    ((state as usize * Event::ALL.len()) + event as usize) * 2 + origin as usize
}

impl Table {
    /// RFC 9293 with no profile.
    pub fn rfc9293() -> Table {
        Table::with_profiles(&[]).expect("the built-in RFC 9293 table is total (tested)")
    }

    /// RFC 9293 with `profiles` layered over it, left to right.
    pub fn with_profiles(profiles: &[&crate::Profile]) -> Result<Table, Vec<Gap>> {
        let mut rows: Vec<(RowId, Row)> = crate::rows::rfc9293()
            .iter()
            .flat_map(|r| r.rows())
            .enumerate()
            .map(|(i, r)| (RowId(i as u16), r))
            .collect();
        for profile in profiles {
            // Profiles can only be built inside this crate, so each is one of PROFILES.
            let k = crate::PROFILES
                .iter()
                .position(|p| p.name == profile.name)
                .unwrap_or(0) as u16;
            let changed: Vec<(RowId, Row)> = profile
                .rules()
                .iter()
                .flat_map(|r| r.rows())
                .enumerate()
                .map(|(i, r)| (RowId(PROFILE_ROW_BLOCK * k + i as u16), r))
                .collect();
            let hit = |(_, r): &(RowId, Row)| {
                changed
                    .iter()
                    .any(|(_, c)| c.from == r.from && c.event == r.event)
            };
            // Replace in place, so the rows stay grouped by state in table order; the
            // numbers travel with the rows.
            let at = rows.iter().position(&hit).unwrap_or(rows.len());
            rows.retain(|r| !hit(r));
            let at = at.min(rows.len());
            rows.splice(at..at, changed.iter().copied());
        }
        let mut name: Vec<&str> = profiles.iter().map(|p| p.name).collect();
        if name.is_empty() {
            name.push("rfc9293");
        }
        Table::from_numbered_rows(name.join(","), rows)
    }

    /// The table for a `--profile` argument (`rfc1337,fin-wait-2-timeout`), or why not.
    pub fn from_spec(spec: &str) -> Result<Table, String> {
        let profiles = crate::Profile::parse_list(spec)?;
        let layered: Vec<&crate::Profile> = profiles
            .into_iter()
            .filter(|p| p.name != "rfc9293")
            .collect();
        Table::with_profiles(&layered).map_err(|gaps| {
            let gaps: Vec<String> = gaps.iter().map(|g| g.to_string()).collect();
            format!(
                "profile `{spec}` leaves the table partial:\n  {}",
                gaps.join("\n  ")
            )
        })
    }

    /// A table from rows, checked for totality; rows are numbered by position.
    pub fn from_rows(name: String, rows: Vec<Row>) -> Result<Table, Vec<Gap>> {
        let numbered = rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| (RowId(i as u16), r))
            .collect();
        Table::from_numbered_rows(name, numbered)
    }

    /// A table from numbered rows, checked for totality. Numbers must be distinct.
    fn from_numbered_rows(name: String, numbered: Vec<(RowId, Row)>) -> Result<Table, Vec<Gap>> {
        let (ids, rows): (Vec<RowId>, Vec<Row>) = numbered.into_iter().unzip();
        let gaps = Table::gaps(&rows);
        if !gaps.is_empty() {
            return Err(gaps);
        }
        let bound = ids.iter().map(|id| id.0 as usize + 1).max().unwrap_or(0);
        let mut position = vec![u16::MAX; bound];
        for (i, id) in ids.iter().enumerate() {
            debug_assert_eq!(position[id.0 as usize], u16::MAX, "row {id} numbered twice");
            position[id.0 as usize] = i as u16;
        }
        let mut index = vec![RowId(0); State::ALL.len() * Event::ALL.len() * 2];
        for (row, &id) in rows.iter().zip(&ids) {
            for origin in ORIGINS {
                if row.guard.holds(origin) {
                    index[slot(row.from, row.event, origin)] = id;
                }
            }
        }
        Ok(Table {
            name,
            rows,
            ids,
            position,
            index,
        })
    }

    /// Every (state, event, origin) with no row or with more than one.
    pub fn gaps(rows: &[Row]) -> Vec<Gap> {
        let mut gaps = Vec::new();
        for state in State::ALL {
            for event in Event::ALL {
                for origin in ORIGINS {
                    let matches = rows
                        .iter()
                        .filter(|r| r.matches(state, event, origin))
                        .count();
                    if matches != 1 {
                        gaps.push(Gap {
                            state,
                            event,
                            origin,
                            matches,
                        });
                    }
                }
            }
        }
        gaps
    }

    /// Whether a profile layered into this table is a mutant (a deliberately broken
    /// variant, for the checker to refute): pictures and charts say MUTANT.
    pub fn is_mutant(&self) -> bool {
        self.name()
            .split(',')
            .any(|n| crate::Profile::named(n).is_some_and(|p| p.broken))
    }

    /// The profile name(s) the table was built from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// All rows, in table order.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The rows' numbers, in table order (`ids()[i]` numbers `rows()[i]`).
    pub fn ids(&self) -> &[RowId] {
        &self.ids
    }

    /// Every row with its number, in table order.
    pub fn numbered(&self) -> impl Iterator<Item = (RowId, &Row)> + '_ {
        self.ids.iter().copied().zip(&self.rows)
    }

    /// One more than the largest row number: a `Vec` this long can be indexed by any
    /// [`RowId`] of the table.
    pub fn id_bound(&self) -> usize {
        self.position.len()
    }

    /// A row by number, if this table has it.
    pub fn get(&self, id: RowId) -> Option<&Row> {
        let at = *self.position.get(id.0 as usize)?;
        self.rows.get(at as usize)
    }

    /// A row by number. Panics if the table has no such row: numbers come from
    /// [`Table::lookup`] or [`Table::ids`] of the same table.
    pub fn row(&self, id: RowId) -> &Row {
        self.get(id)
            .unwrap_or_else(|| panic!("row {id} is not in table {}", self.name))
    }

    /// The one row for this state, event and origin.
    pub fn lookup(&self, state: State, event: Event, origin: Origin) -> RowId {
        self.index[slot(state, event, origin)]
    }

    /// Rows per from-state, in state order.
    pub fn rows_per_state(&self) -> Vec<(State, usize)> {
        State::ALL
            .iter()
            .map(|&s| (s, self.rows.iter().filter(|r| r.from == s).count()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PROFILES;

    #[test]
    fn every_profile_is_total() {
        for p in &PROFILES {
            let t = Table::with_profiles(&[p]);
            assert!(t.is_ok(), "{}: {:?}", p.name, t.err());
        }
    }

    #[test]
    fn profiles_layer_and_stay_total() {
        let t = Table::with_profiles(&[
            crate::Profile::named("rfc1337").unwrap(),
            crate::Profile::named("fin-wait-2-timeout").unwrap(),
        ])
        .unwrap();
        let rst = t.row(t.lookup(State::TimeWait, Event::RstExact, Origin::Active));
        assert_eq!(rst.to, State::TimeWait, "rfc1337 ignores RST in TIME-WAIT");
        let fw2 = t.row(t.lookup(State::FinWait2, Event::FinWait2Timeout, Origin::Active));
        assert_eq!(fw2.to, State::Closed);
        assert_eq!(t.name(), "rfc1337,fin-wait-2-timeout");
    }

    #[test]
    fn a_missing_row_is_reported_as_a_gap() {
        let mut rows = Table::rfc9293().rows().to_vec();
        rows.retain(|r| !(r.from == State::TimeWait && r.event == Event::RstExact));
        let gaps = Table::gaps(&rows);
        assert_eq!(gaps.len(), 2, "{gaps:?}");
        assert!(
            gaps.iter()
                .all(|g| g.matches == 0 && g.state == State::TimeWait)
        );
        let mut doubled = Table::rfc9293().rows().to_vec();
        doubled.push(doubled[0]);
        assert!(Table::from_rows("x".into(), doubled).is_err());
    }

    #[test]
    fn syn_received_rows_depend_on_how_the_connection_was_opened() {
        let t = Table::rfc9293();
        let passive = t.row(t.lookup(State::SynReceived, Event::RstExact, Origin::Passive));
        let active = t.row(t.lookup(State::SynReceived, Event::RstExact, Origin::Active));
        assert_eq!(passive.to, State::Listen);
        assert_eq!(active.to, State::Closed);
    }

    #[test]
    fn state_names_parse_in_every_spelling() {
        for s in State::ALL {
            assert_eq!(State::parse(s.id()), Some(s));
            assert_eq!(State::parse(s.rfc_name()), Some(s));
            assert_eq!(State::parse(s.linux_name()), Some(s));
            assert_eq!(State::parse(&s.rfc_name().to_lowercase()), Some(s));
        }
        assert_eq!(State::parse("SYN_RCVD"), Some(State::SynReceived));
        assert_eq!(State::parse("nonsense"), None);
    }

    #[test]
    fn figure_5_draws_twenty_transitions() {
        // RFC 9293 Figure 5 has 20 labelled arrows; a rule over two states draws two.
        let t = Table::rfc9293();
        let mut classic: Vec<(State, State)> = t
            .rows()
            .iter()
            .filter(|r| r.classic)
            .map(|r| (r.from, r.to))
            .collect();
        classic.sort();
        classic.dedup();
        assert_eq!(classic.len(), 20, "{classic:?}");
        assert!(
            t.rows()
                .iter()
                .filter(|r| r.classic)
                .all(|r| r.is_transition())
        );
    }
}
