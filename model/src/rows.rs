//! The rows of the RFC 9293 table, grouped the way §3.10 groups its text: one rule per
//! event and set of states, expanded into one row per state.
//!
//! Section references are to RFC 9293 unless another RFC is named.

use crate::table::{Action, Emit, Event, Guard, Row, Signal, Span, State, Timer, UserError};

pub(crate) const CLOSED: State = State::Closed;
pub(crate) const LISTEN: State = State::Listen;
pub(crate) const SYN_SENT: State = State::SynSent;
pub(crate) const SYN_RCVD: State = State::SynReceived;
pub(crate) const ESTAB: State = State::Established;
pub(crate) const FIN_WAIT_1: State = State::FinWait1;
pub(crate) const FIN_WAIT_2: State = State::FinWait2;
pub(crate) const CLOSE_WAIT: State = State::CloseWait;
pub(crate) const CLOSING: State = State::Closing;
pub(crate) const LAST_ACK: State = State::LastAck;
pub(crate) const TIME_WAIT: State = State::TimeWait;

/// States in which the user's side is still open for sending.
pub(crate) const SYNC: [State; 7] = State::SYNCHRONIZED;
/// Every state but CLOSED.
pub(crate) const HAS_TCB: [State; 10] = [
    LISTEN, SYN_SENT, SYN_RCVD, ESTAB, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK,
    TIME_WAIT,
];

pub(crate) use Action::{
    AcceptFin, AcceptText, ChooseIss, CreateActive, CreatePassive, DeleteTcb, HoldText, MakeActive,
    ProcessAck, QueueText, ReadText, RecordIrs, ReturnToListen, StopTimers,
};
pub(crate) const SND_SYN: Action = Action::Emit(Emit::Syn);
pub(crate) const SND_SYN_ACK: Action = Action::Emit(Emit::SynAck);
pub(crate) const SND_ACK: Action = Action::Emit(Emit::Ack);
pub(crate) const ACK_TEXT: Action = Action::Emit(Emit::AckIfText);
pub(crate) const CHALLENGE: Action = Action::Emit(Emit::ChallengeAck);
pub(crate) const SND_DUP_ACK: Action = Action::Emit(Emit::DupAck);
pub(crate) const ACK_BAD_ACK: Action = Action::Emit(Emit::AckOfBadAck);
pub(crate) const SND_FIN: Action = Action::Emit(Emit::Fin);
pub(crate) const SND_DATA: Action = Action::Emit(Emit::Data);
pub(crate) const SND_RST: Action = Action::Emit(Emit::Rst);
pub(crate) const RESET_REPLY: Action = Action::Emit(Emit::ResetReply);
pub(crate) const WINDOW_UPDATE: Action = Action::Emit(Emit::WindowUpdate);
pub(crate) const RETRANSMIT: Action = Action::Emit(Emit::Retransmit);
pub(crate) const ARM_2MSL: Action = Action::Arm(Timer::TimeWait, Span::TwoMsl);
pub(crate) const SIG_OPEN: Action = Action::Signal(Signal::Established);
pub(crate) const SIG_CLOSING: Action = Action::Signal(Signal::Closing);
pub(crate) const SIG_RESET: Action = Action::Signal(Signal::Reset);
pub(crate) const SIG_REFUSED: Action = Action::Signal(Signal::Refused);
pub(crate) const SIG_TIMEOUT: Action = Action::Signal(Signal::TimedOut);
pub(crate) const NO_CONN: Action = Action::Reject(UserError::DoesNotExist);
pub(crate) const EXISTS: Action = Action::Reject(UserError::AlreadyExists);
pub(crate) const IS_CLOSING: Action = Action::Reject(UserError::Closing);
pub(crate) const NOT_CONN: Action = Action::Reject(UserError::NotConnected);
pub(crate) const IF_NONE_CLOSING: Action = Action::RejectIfNothingQueued(UserError::Closing);

/// One rule of the table: an event in a set of states. Expands to one row per state.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    event: Event,
    states: &'static [State],
    guard: Guard,
    actions: &'static [Action],
    to: Option<State>,
    rfc: &'static str,
    label: &'static str,
    classic: bool,
}

/// A rule for `event` in each of `states`: by default it stays, does nothing, and is not drawn.
pub(crate) const fn on(event: Event, states: &'static [State]) -> Rule {
    Rule {
        event,
        states,
        guard: Guard::Any,
        actions: &[],
        to: None,
        rfc: "",
        label: "",
        classic: false,
    }
}

impl Rule {
    pub(crate) const fn when(mut self, guard: Guard) -> Rule {
        self.guard = guard;
        self
    }
    pub(crate) const fn does(mut self, actions: &'static [Action]) -> Rule {
        self.actions = actions;
        self
    }
    pub(crate) const fn to(mut self, state: State) -> Rule {
        self.to = Some(state);
        self
    }
    pub(crate) const fn rfc(mut self, rfc: &'static str) -> Rule {
        self.rfc = rfc;
        self
    }
    pub(crate) const fn label(mut self, label: &'static str) -> Rule {
        self.label = label;
        self
    }
    pub(crate) const fn classic(mut self) -> Rule {
        self.classic = true;
        self
    }

    /// The rows this rule stands for.
    pub(crate) fn rows(&self) -> impl Iterator<Item = Row> + '_ {
        self.states.iter().map(move |&from| Row {
            from,
            event: self.event,
            guard: self.guard,
            actions: self.actions,
            to: self.to.unwrap_or(from),
            rfc: self.rfc,
            label: self.label,
            classic: self.classic,
        })
    }
}

/// The RFC 9293 rules, user calls first, then segment arrivals by state, then timeouts.
pub(crate) fn rfc9293() -> Vec<Rule> {
    let mut r = Vec::new();
    r.extend(user_calls());
    r.extend(segments_without_connection());
    r.extend(segments_in_syn_sent());
    r.extend(segments_in_syn_received());
    r.extend(segments_in_synchronized_states());
    r.extend(timeouts());
    r
}

#[rustfmt::skip]
fn user_calls() -> Vec<Rule> {
    use Event::{Abort, ActiveOpen, Close, PassiveOpen, Receive, Send, Shutdown};
    vec![
        // §3.10.1 OPEN
        on(PassiveOpen, &[CLOSED]).does(&[CreatePassive]).to(LISTEN).rfc("§3.10.1")
            .label("passive OPEN / create TCB").classic(),
        on(PassiveOpen, &HAS_TCB).does(&[EXISTS]).rfc("§3.10.1")
            .label("passive OPEN / error: connection already exists"),
        on(ActiveOpen, &[CLOSED]).does(&[CreateActive, SND_SYN]).to(SYN_SENT).rfc("§3.10.1")
            .label("active OPEN / create TCB, snd SYN").classic(),
        on(ActiveOpen, &[LISTEN]).does(&[MakeActive, SND_SYN]).to(SYN_SENT).rfc("§3.10.1")
            .label("active OPEN / snd SYN"),
        on(ActiveOpen, &[SYN_SENT, SYN_RCVD, ESTAB, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING,
            LAST_ACK, TIME_WAIT]).does(&[EXISTS]).rfc("§3.10.1")
            .label("active OPEN / error: connection already exists"),
        // §3.10.2 SEND
        on(Send, &[CLOSED]).does(&[NO_CONN]).rfc("§3.10.2")
            .label("SEND / error: connection does not exist"),
        on(Send, &[LISTEN]).does(&[MakeActive, QueueText, SND_SYN]).to(SYN_SENT).rfc("§3.10.2")
            .label("SEND / snd SYN").classic(),
        on(Send, &[SYN_SENT, SYN_RCVD]).does(&[QueueText]).rfc("§3.10.2")
            .label("SEND / queue until ESTABLISHED"),
        on(Send, &[ESTAB, CLOSE_WAIT]).does(&[QueueText, SND_DATA]).rfc("§3.10.2")
            .label("SEND / snd data"),
        on(Send, &[FIN_WAIT_1, FIN_WAIT_2, CLOSING, LAST_ACK, TIME_WAIT]).does(&[IS_CLOSING])
            .rfc("§3.10.2").label("SEND / error: connection closing"),
        // §3.10.3 RECEIVE
        on(Receive, &[CLOSED]).does(&[NO_CONN]).rfc("§3.10.3")
            .label("RECEIVE / error: connection does not exist"),
        on(Receive, &[LISTEN, SYN_SENT, SYN_RCVD]).rfc("§3.10.3")
            .label("RECEIVE / queue until ESTABLISHED"),
        on(Receive, &[ESTAB, FIN_WAIT_1, FIN_WAIT_2]).does(&[ReadText, WINDOW_UPDATE]).rfc("§3.10.3, §3.8.6.2.2")
            .label("RECEIVE / deliver queued text"),
        // The peer's FIN is in: text on hand satisfies the RECEIVE; with none,
        // "error: connection closing" (§3.10.3 CLOSE-WAIT).
        on(Receive, &[CLOSE_WAIT]).does(&[ReadText, IF_NONE_CLOSING, WINDOW_UPDATE])
            .rfc("§3.10.3, §3.8.6.2.2")
            .label("RECEIVE / deliver queued text, else error: connection closing"),
        on(Receive, &[CLOSING, LAST_ACK, TIME_WAIT]).does(&[IS_CLOSING]).rfc("§3.10.3")
            .label("RECEIVE / error: connection closing"),
        // §3.10.4 CLOSE
        on(Close, &[CLOSED]).does(&[NO_CONN]).rfc("§3.10.4")
            .label("CLOSE / error: connection does not exist"),
        on(Close, &[LISTEN, SYN_SENT]).does(&[DeleteTcb]).to(CLOSED).rfc("§3.10.4")
            .label("CLOSE / delete TCB").classic(),
        on(Close, &[SYN_RCVD, ESTAB]).does(&[SND_FIN]).to(FIN_WAIT_1).rfc("§3.10.4")
            .label("CLOSE / snd FIN").classic(),
        on(Close, &[FIN_WAIT_1, FIN_WAIT_2]).does(&[IS_CLOSING]).rfc("§3.10.4")
            .label("CLOSE / error: connection closing (no second FIN)"),
        // RFC 793 said CLOSING here; its own figure and RFC 9293 say LAST-ACK.
        on(Close, &[CLOSE_WAIT]).does(&[SND_FIN]).to(LAST_ACK).rfc("§3.10.4")
            .label("CLOSE / snd FIN").classic(),
        on(Close, &[CLOSING, LAST_ACK, TIME_WAIT]).does(&[IS_CLOSING]).rfc("§3.10.4")
            .label("CLOSE / error: connection closing"),
        // shutdown(SHUT_WR) is CLOSE for a connection; on a socket with none it is ENOTCONN.
        on(Shutdown, &[CLOSED, LISTEN]).does(&[NOT_CONN]).rfc("POSIX shutdown()")
            .label("SHUTDOWN / error: not connected"),
        on(Shutdown, &[SYN_SENT]).does(&[DeleteTcb]).to(CLOSED).rfc("§3.10.4")
            .label("SHUTDOWN / delete TCB"),
        on(Shutdown, &[SYN_RCVD, ESTAB]).does(&[SND_FIN]).to(FIN_WAIT_1).rfc("§3.10.4")
            .label("SHUTDOWN / snd FIN"),
        on(Shutdown, &[FIN_WAIT_1, FIN_WAIT_2]).does(&[IS_CLOSING]).rfc("§3.10.4")
            .label("SHUTDOWN / error: connection closing"),
        on(Shutdown, &[CLOSE_WAIT]).does(&[SND_FIN]).to(LAST_ACK).rfc("§3.10.4")
            .label("SHUTDOWN / snd FIN"),
        on(Shutdown, &[CLOSING, LAST_ACK, TIME_WAIT]).does(&[IS_CLOSING]).rfc("§3.10.4")
            .label("SHUTDOWN / error: connection closing"),
        // §3.10.5 ABORT
        on(Abort, &[CLOSED]).does(&[NO_CONN]).rfc("§3.10.5")
            .label("ABORT / error: connection does not exist"),
        on(Abort, &[LISTEN, SYN_SENT]).does(&[DeleteTcb]).to(CLOSED).rfc("§3.10.5")
            .label("ABORT / delete TCB"),
        on(Abort, &[SYN_RCVD, ESTAB, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT]).does(&[SND_RST, DeleteTcb])
            .to(CLOSED).rfc("§3.10.5").label("ABORT / snd RST"),
        on(Abort, &[CLOSING, LAST_ACK, TIME_WAIT]).does(&[DeleteTcb]).to(CLOSED).rfc("§3.10.5")
            .label("ABORT / delete TCB"),
    ]
}

/// Events the classifier never produces in a state still get a row (the table is total);
/// these lists name them so the rows say so.
pub(crate) const ACK_EVENTS: [Event; 6] = [
    Event::SynAck,
    Event::AckOfSyn,
    Event::Ack,
    Event::AckUnacceptable,
    Event::AckOfFin,
    Event::FinAckOfFin,
];

#[rustfmt::skip]
fn segments_without_connection() -> Vec<Rule> {
    use Event::*;
    let mut r = vec![
        // §3.10.7.1 CLOSED: every segment but a RST draws a RST.
        on(RstExact, &[CLOSED]).rfc("§3.10.7.1").label("rcv RST / discard"),
        on(RstInWindow, &[CLOSED]).rfc("§3.10.7.1").label("rcv RST / discard"),
        on(RstOutOfWindow, &[CLOSED]).rfc("§3.10.7.1").label("rcv RST / discard"),
        // §3.10.7.2 LISTEN: RST ignored, any ACK is bad, SYN starts a connection.
        on(RstExact, &[LISTEN]).rfc("§3.10.7.2").label("rcv RST / ignore"),
        on(RstInWindow, &[LISTEN]).rfc("§3.10.7.2").label("rcv RST / ignore"),
        on(RstOutOfWindow, &[LISTEN]).rfc("§3.10.7.2").label("rcv RST / ignore"),
        // Text or FIN on the SYN waits for ESTABLISHED; the SYN,ACK acknowledges the SYN only.
        on(Syn, &[LISTEN]).does(&[RecordIrs, HoldText, ChooseIss, SND_SYN_ACK]).to(SYN_RCVD)
            .rfc("§3.10.7.2").label("rcv SYN / snd SYN,ACK").classic(),
        on(Unacceptable, &[LISTEN]).rfc("§3.10.7.2").label("rcv other / drop"),
        on(FinRetransmit, &[LISTEN]).rfc("§3.10.7.2").label("rcv other / drop"),
        on(Fin, &[LISTEN]).rfc("§3.10.7.2").label("rcv other / drop"),
        on(NoAck, &[LISTEN]).rfc("§3.10.7.2").label("rcv other / drop"),
    ];
    for e in [Unacceptable, FinRetransmit, Syn, Fin, NoAck]
        .into_iter()
        .chain(ACK_EVENTS)
    {
        r.push(on(e, &[CLOSED]).does(&[RESET_REPLY]).rfc("§3.10.7.1")
            .label("rcv segment / snd RST"));
    }
    for e in ACK_EVENTS {
        r.push(on(e, &[LISTEN]).does(&[RESET_REPLY]).rfc("§3.10.7.2")
            .label("rcv ACK / snd RST <SEQ=SEG.ACK>"));
    }
    r
}

#[rustfmt::skip]
fn segments_in_syn_sent() -> Vec<Rule> {
    use Event::*;
    vec![
        // §3.10.7.3 first: an ACK outside ISS < SEG.ACK =< SND.NXT draws a RST.
        on(AckUnacceptable, &[SYN_SENT]).does(&[RESET_REPLY]).rfc("§3.10.7.3")
            .label("rcv bad ACK / snd RST <SEQ=SEG.ACK>"),
        // second: a RST counts only if its ACK acknowledges our SYN (RFC 5961 §3.2 too).
        on(RstExact, &[SYN_SENT]).does(&[SIG_RESET, DeleteTcb]).to(CLOSED).rfc("§3.10.7.3")
            .label("rcv RST,ACK of SYN / error: connection reset"),
        on(RstInWindow, &[SYN_SENT]).rfc("§3.10.7.3").label("rcv RST / drop"),
        on(RstOutOfWindow, &[SYN_SENT]).rfc("§3.10.7.3").label("rcv RST without ACK / drop"),
        // fourth: SYN. Text on a SYN,ACK is processed at once (the seventh step), and the
        // ACK covers it; on a SYN alone it waits for ESTABLISHED.
        on(SynAck, &[SYN_SENT])
            .does(&[RecordIrs, ProcessAck, AcceptText, SND_ACK, SIG_OPEN, SND_DATA])
            .to(ESTAB).rfc("§3.10.7.3").label("rcv SYN,ACK / snd ACK").classic(),
        on(Syn, &[SYN_SENT]).does(&[RecordIrs, HoldText, SND_SYN_ACK]).to(SYN_RCVD)
            .rfc("§3.10.7.3").label("rcv SYN / snd SYN,ACK").classic(),
        // fifth: neither SYN nor RST.
        on(Unacceptable, &[SYN_SENT]).rfc("§3.10.7.3").label("rcv other / drop"),
        on(FinRetransmit, &[SYN_SENT]).rfc("§3.10.7.3").label("rcv other / drop"),
        on(AckOfSyn, &[SYN_SENT]).rfc("§3.10.7.3").label("rcv ACK without SYN / drop"),
        on(Ack, &[SYN_SENT]).rfc("§3.10.7.3").label("rcv ACK without SYN / drop"),
        on(AckOfFin, &[SYN_SENT]).rfc("§3.10.7.3").label("rcv ACK without SYN / drop"),
        // A SYN,ACK acknowledging our SYN that carries a FIN (the classifier's `fin` here):
        // the FIN is processed at the eighth step.
        on(Fin, &[SYN_SENT])
            .does(&[RecordIrs, ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_OPEN, SIG_CLOSING,
                SND_DATA])
            .to(CLOSE_WAIT).rfc("§3.10.7.3, §3.10.7.4")
            .label("rcv SYN,ACK,FIN / snd ACK"),
        on(FinAckOfFin, &[SYN_SENT]).rfc("§3.10.7.3").label("rcv FIN / drop (not processed)"),
        on(NoAck, &[SYN_SENT]).rfc("§3.10.7.3").label("rcv other / drop"),
    ]
}

#[rustfmt::skip]
fn segments_in_syn_received() -> Vec<Rule> {
    use Event::*;
    use Guard::{OpenedActively, OpenedPassively};
    vec![
        // §3.10.7.4 first: sequence number.
        on(Unacceptable, &[SYN_RCVD]).does(&[SND_DUP_ACK]).rfc("§3.10.7.4")
            .label("rcv unacceptable / snd ACK"),
        on(FinRetransmit, &[SYN_RCVD]).does(&[SND_ACK]).rfc("§3.10.7.4")
            .label("rcv unacceptable / snd ACK"),
        // second: RST (RFC 5961 §3.2 for the window cases).
        on(RstOutOfWindow, &[SYN_RCVD]).rfc("§3.10.7.4, RFC 5961 §3.2")
            .label("rcv RST out of window / drop"),
        on(RstInWindow, &[SYN_RCVD]).does(&[CHALLENGE]).rfc("§3.10.7.4, RFC 5961 §3.2")
            .label("rcv RST in window / snd challenge ACK"),
        on(RstExact, &[SYN_RCVD]).when(OpenedPassively).does(&[ReturnToListen]).to(LISTEN)
            .rfc("§3.10.7.4").label("rcv RST (note 1)").classic(),
        on(RstExact, &[SYN_RCVD]).when(OpenedActively).does(&[SIG_REFUSED, DeleteTcb]).to(CLOSED)
            .rfc("§3.10.7.4").label("rcv RST / error: connection refused"),
        // fourth: SYN. A passively opened connection forgets the half-open attempt.
        on(Syn, &[SYN_RCVD]).when(OpenedPassively).does(&[ReturnToListen]).to(LISTEN)
            .rfc("§3.10.7.4").label("rcv SYN / return to LISTEN"),
        on(SynAck, &[SYN_RCVD]).when(OpenedPassively).does(&[ReturnToListen]).to(LISTEN)
            .rfc("§3.10.7.4").label("rcv SYN / return to LISTEN"),
        on(Syn, &[SYN_RCVD]).when(OpenedActively).does(&[CHALLENGE])
            .rfc("§3.10.7.4, RFC 5961 §4").label("rcv SYN / snd challenge ACK"),
        on(SynAck, &[SYN_RCVD]).when(OpenedActively).does(&[CHALLENGE])
            .rfc("§3.10.7.4, RFC 5961 §4").label("rcv SYN / snd challenge ACK"),
        // fifth: ACK.
        on(NoAck, &[SYN_RCVD]).rfc("§3.10.7.4").label("rcv segment without ACK / drop"),
        on(AckUnacceptable, &[SYN_RCVD]).does(&[RESET_REPLY]).rfc("§3.10.7.4")
            .label("rcv bad ACK / snd RST <SEQ=SEG.ACK>"),
        on(AckOfSyn, &[SYN_RCVD]).does(&[ProcessAck, AcceptText, ACK_TEXT, SIG_OPEN, SND_DATA])
            .to(ESTAB).rfc("§3.10.7.4").label("rcv ACK of SYN / x").classic(),
        // Any acceptable ACK here acknowledges the SYN (SND.NXT = ISS+1).
        on(Ack, &[SYN_RCVD]).does(&[ProcessAck, AcceptText, ACK_TEXT, SIG_OPEN, SND_DATA])
            .to(ESTAB).rfc("§3.10.7.4").label("rcv ACK of SYN / x"),
        on(AckOfFin, &[SYN_RCVD]).does(&[ProcessAck, AcceptText, ACK_TEXT, SIG_OPEN, SND_DATA])
            .to(ESTAB).rfc("§3.10.7.4").label("rcv ACK of SYN / x"),
        // eighth: FIN with the ACK of our SYN.
        on(Fin, &[SYN_RCVD])
            .does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_OPEN, SIG_CLOSING])
            .to(CLOSE_WAIT).rfc("§3.10.7.4").label("rcv ACK of SYN,FIN / snd ACK"),
        on(FinAckOfFin, &[SYN_RCVD])
            .does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_OPEN, SIG_CLOSING])
            .to(CLOSE_WAIT).rfc("§3.10.7.4").label("rcv ACK of SYN,FIN / snd ACK"),
    ]
}

#[rustfmt::skip]
fn segments_in_synchronized_states() -> Vec<Rule> {
    use Event::*;
    const OPEN_RCV: [State; 3] = [ESTAB, FIN_WAIT_1, FIN_WAIT_2];
    const RESET_SIGNALLED: [State; 4] = [ESTAB, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT];
    const FIN_SEEN: [State; 3] = [CLOSING, LAST_ACK, TIME_WAIT];
    vec![
        // first: sequence number.
        on(Unacceptable, &SYNC).does(&[SND_DUP_ACK]).rfc("§3.10.7.4")
            .label("rcv unacceptable / snd ACK"),
        // RFC 9293 restarts 2MSL on a retransmitted FIN (eighth step), though the strict
        // acceptability test would drop it first; the classifier tells it apart.
        on(FinRetransmit, &[ESTAB, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK])
            .does(&[SND_ACK]).rfc("§3.10.7.4").label("rcv FIN again / snd ACK"),
        on(FinRetransmit, &[TIME_WAIT]).does(&[SND_ACK, ARM_2MSL]).rfc("§3.10.7.4")
            .label("rcv FIN again / snd ACK, restart 2MSL"),
        // second: RST.
        on(RstOutOfWindow, &SYNC).rfc("§3.10.7.4, RFC 5961 §3.2")
            .label("rcv RST out of window / drop"),
        on(RstInWindow, &SYNC).does(&[CHALLENGE]).rfc("§3.10.7.4, RFC 5961 §3.2")
            .label("rcv RST in window / snd challenge ACK"),
        on(RstExact, &RESET_SIGNALLED).does(&[SIG_RESET, DeleteTcb]).to(CLOSED)
            .rfc("§3.10.7.4").label("rcv RST / error: connection reset"),
        on(RstExact, &FIN_SEEN).does(&[DeleteTcb]).to(CLOSED).rfc("§3.10.7.4")
            .label("rcv RST / delete TCB"),
        // fourth: SYN, whatever its sequence number.
        on(Syn, &SYNC).does(&[CHALLENGE]).rfc("§3.10.7.4, RFC 5961 §4")
            .label("rcv SYN / snd challenge ACK"),
        on(SynAck, &SYNC).does(&[CHALLENGE]).rfc("§3.10.7.4, RFC 5961 §4")
            .label("rcv SYN / snd challenge ACK"),
        // fifth: ACK.
        on(NoAck, &SYNC).rfc("§3.10.7.4").label("rcv segment without ACK / drop"),
        on(AckUnacceptable, &SYNC).does(&[ACK_BAD_ACK]).rfc("§3.10.7.4, RFC 5961 §5.2")
            .label("rcv ACK of unsent data / snd ACK"),
        on(Ack, &OPEN_RCV).does(&[ProcessAck, AcceptText, ACK_TEXT, SND_DATA]).rfc("§3.10.7.4")
            .label("rcv ACK / accept text"),
        on(AckOfSyn, &OPEN_RCV).does(&[ProcessAck, AcceptText, ACK_TEXT, SND_DATA])
            .rfc("§3.10.7.4").label("rcv ACK / accept text"),
        on(Ack, &[CLOSE_WAIT, CLOSING, LAST_ACK]).does(&[ProcessAck, SND_DATA]).rfc("§3.10.7.4")
            .label("rcv ACK / update SND.UNA"),
        on(AckOfSyn, &[CLOSE_WAIT, CLOSING, LAST_ACK]).does(&[ProcessAck, SND_DATA])
            .rfc("§3.10.7.4").label("rcv ACK / update SND.UNA"),
        on(Ack, &[TIME_WAIT]).rfc("§3.10.7.4").label("rcv ACK / ignore"),
        on(AckOfSyn, &[TIME_WAIT]).rfc("§3.10.7.4").label("rcv ACK / ignore"),
        on(AckOfFin, &[FIN_WAIT_1]).does(&[ProcessAck, AcceptText, ACK_TEXT]).to(FIN_WAIT_2)
            .rfc("§3.10.7.4").label("rcv ACK of FIN / x").classic(),
        on(AckOfFin, &[CLOSING]).does(&[ProcessAck, StopTimers, ARM_2MSL]).to(TIME_WAIT)
            .rfc("§3.10.7.4").label("rcv ACK of FIN / x").classic(),
        on(AckOfFin, &[LAST_ACK]).does(&[ProcessAck, DeleteTcb]).to(CLOSED).rfc("§3.10.7.4")
            .label("rcv ACK of FIN / x").classic(),
        // No FIN of ours is outstanding in these states: an ordinary ACK.
        on(AckOfFin, &[ESTAB, FIN_WAIT_2]).does(&[ProcessAck, AcceptText, ACK_TEXT, SND_DATA])
            .rfc("§3.10.7.4").label("rcv ACK / accept text"),
        on(AckOfFin, &[CLOSE_WAIT]).does(&[ProcessAck, SND_DATA]).rfc("§3.10.7.4")
            .label("rcv ACK / update SND.UNA"),
        on(AckOfFin, &[TIME_WAIT]).rfc("§3.10.7.4").label("rcv ACK / ignore"),
        // eighth: FIN.
        on(Fin, &[ESTAB]).does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_CLOSING])
            .to(CLOSE_WAIT).rfc("§3.10.7.4").label("rcv FIN / snd ACK").classic(),
        // SND_DATA: a CLOSE in SYN-RECEIVED may have left text and the FIN queued behind
        // our SYN, which this segment's ACK may acknowledge.
        on(Fin, &[FIN_WAIT_1])
            .does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_CLOSING, SND_DATA])
            .to(CLOSING).rfc("§3.10.7.4").label("rcv FIN / snd ACK").classic(),
        on(Fin, &[FIN_WAIT_2])
            .does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_CLOSING, StopTimers, ARM_2MSL])
            .to(TIME_WAIT).rfc("§3.10.7.4").label("rcv FIN / snd ACK").classic(),
        on(FinAckOfFin, &[FIN_WAIT_1])
            .does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_CLOSING, StopTimers, ARM_2MSL])
            .to(TIME_WAIT).rfc("§3.10.7.4 (Figure 5, note 2)")
            .label("rcv FIN,ACK of FIN / snd ACK"),
        // Our FIN was acknowledged before: the same as a FIN.
        on(FinAckOfFin, &[FIN_WAIT_2])
            .does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_CLOSING, StopTimers, ARM_2MSL])
            .to(TIME_WAIT).rfc("§3.10.7.4").label("rcv FIN / snd ACK"),
        on(FinAckOfFin, &[ESTAB]).does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_CLOSING])
            .to(CLOSE_WAIT).rfc("§3.10.7.4").label("rcv FIN / snd ACK"),
        // A FIN was received already: the peer cannot send another in order.
        on(Fin, &[CLOSE_WAIT, CLOSING, LAST_ACK]).does(&[SND_ACK]).rfc("§3.10.7.4")
            .label("rcv FIN / snd ACK, remain"),
        on(FinAckOfFin, &[CLOSE_WAIT]).does(&[SND_ACK]).rfc("§3.10.7.4")
            .label("rcv FIN / snd ACK, remain"),
        // The fifth step (ACK) comes before the eighth (FIN): the ACK of our FIN moves
        // CLOSING to TIME-WAIT, whose FIN rule then acknowledges and restarts 2MSL ...
        on(FinAckOfFin, &[CLOSING]).does(&[ProcessAck, SND_ACK, StopTimers, ARM_2MSL])
            .to(TIME_WAIT).rfc("§3.10.7.4").label("rcv FIN,ACK of FIN / snd ACK"),
        // ... and deletes a LAST-ACK TCB before the FIN is looked at.
        on(FinAckOfFin, &[LAST_ACK]).does(&[ProcessAck, DeleteTcb]).to(CLOSED)
            .rfc("§3.10.7.4").label("rcv ACK of FIN / x"),
        on(Fin, &[TIME_WAIT]).does(&[SND_ACK, ARM_2MSL]).rfc("§3.10.7.4")
            .label("rcv FIN / snd ACK, restart 2MSL"),
        on(FinAckOfFin, &[TIME_WAIT]).does(&[SND_ACK, ARM_2MSL]).rfc("§3.10.7.4")
            .label("rcv FIN / snd ACK, restart 2MSL"),
    ]
}

#[rustfmt::skip]
fn timeouts() -> Vec<Rule> {
    use Event::{DelayedAckTimeout, FinWait2Timeout, RetransmitTimeout, TimeWaitTimeout, UserTimeout};
    vec![
        on(RetransmitTimeout, &[CLOSED, LISTEN, FIN_WAIT_2, TIME_WAIT]).rfc("RFC 6298 §5")
            .label("retransmission timeout / nothing outstanding"),
        on(RetransmitTimeout, &[SYN_SENT, SYN_RCVD, ESTAB, FIN_WAIT_1, CLOSE_WAIT, CLOSING,
            LAST_ACK]).does(&[RETRANSMIT]).rfc("§3.8.1, RFC 6298 §5")
            .label("retransmission timeout / retransmit"),
        on(UserTimeout, &[CLOSED]).rfc("§3.10.8").label("user timeout / nothing to abort"),
        on(UserTimeout, &HAS_TCB).does(&[SIG_TIMEOUT, DeleteTcb]).to(CLOSED).rfc("§3.10.8")
            .label("user timeout / error: connection aborted"),
        on(TimeWaitTimeout, &[TIME_WAIT]).does(&[DeleteTcb]).to(CLOSED).rfc("§3.10.8")
            .label("Timeout=2MSL / delete TCB").classic(),
        on(TimeWaitTimeout, &[CLOSED, LISTEN, SYN_SENT, SYN_RCVD, ESTAB, FIN_WAIT_1, FIN_WAIT_2,
            CLOSE_WAIT, CLOSING, LAST_ACK]).rfc("§3.10.8").label("Timeout=2MSL / not running"),
        on(FinWait2Timeout, &State::ALL).rfc("RFC 9293 has no FIN-WAIT-2 timer")
            .label("FIN-WAIT-2 timeout / not running"),
        // Delayed ACKs (SHLD-18, MUST-40): only where text (or, as Linux delays it, the
        // ESTABLISHED FIN that leads to CLOSE-WAIT) can be awaiting its ACK. Every ACK we
        // send stops the timer, so it runs nowhere else. Armed only when
        // Config::delayed_ack is set: these rows are appended, so no number moves.
        on(DelayedAckTimeout, &[ESTAB, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT]).does(&[SND_ACK])
            .rfc("§3.8.6.3, RFC 1122 §4.2.3.2").label("delayed-ACK timeout / snd ACK"),
        on(DelayedAckTimeout, &[CLOSED, LISTEN, SYN_SENT, SYN_RCVD, CLOSING, LAST_ACK, TIME_WAIT])
            .rfc("§3.8.6.3").label("delayed-ACK timeout / not running"),
    ]
}
