//! Profiles: named sets of row changes, and endpoint parameters, layered over RFC 9293.
//!
//! A profile is data. It restates the rows it changes: for each (state, event) it names,
//! its rules replace every base row of that pair. It may also set endpoint parameters
//! ([`Param`]: SYN options, timers, retry counts), each with its source. Profiles layer
//! left to right, so `rfc1337,fin-wait-2-timeout` is RFC 9293 with both changes, and a
//! later profile's parameter wins. Broken profiles (mutants) exist for the model checker
//! to refute; they are marked `broken` everywhere they appear.

use crate::endpoint::{AckPolicy, Config, SynOptions};
use crate::rows::*;
use crate::rtt::{Estimator, SynFallback};
use crate::table::{Action, Emit, Event, Guard, Span, State, Timer};
use serde::Serialize;

/// A named set of row changes and parameter settings.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Profile {
    /// The name users type (`--profile rfc1337`).
    pub name: &'static str,
    /// One line on what it changes and why.
    pub description: &'static str,
    /// Deliberately wrong: a mutant for the model checker to refute.
    pub broken: bool,
    /// Endpoint parameters it sets, each with its source.
    pub params: &'static [Setting],
    #[serde(skip)]
    rules: fn() -> Vec<Rule>,
}

/// An endpoint parameter a profile sets, and where the value comes from (a kernel
/// function, constant or sysctl).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// The parameter and its value.
    pub param: Param,
    /// Its source.
    pub source: &'static str,
}

/// An endpoint parameter ([`Config`] field) with its value. Times are in milliseconds;
/// [`Param::apply`] converts them to the caller's ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "name", content = "value", rename_all = "snake_case")]
pub enum Param {
    /// The options our SYN offers ([`Config::syn_options`]).
    SynOptions(SynOptions),
    /// Initial retransmission timeout, ms ([`Config::rto`]).
    Rto(u32),
    /// Upper bound of the backed-off RTO, ms ([`Config::rto_max`]).
    RtoMax(u32),
    /// Retransmissions before the user timeout ([`Config::max_retransmits`]).
    MaxRetransmits(u8),
    /// SYN retransmissions in SYN-SENT ([`Config::syn_retries`]).
    SynRetries(u8),
    /// SYN,ACK retransmissions in SYN-RECEIVED ([`Config::synack_retries`]).
    SynackRetries(u8),
    /// Maximum segment lifetime, ms ([`Config::msl`]); TIME-WAIT is 2 MSL unless set.
    Msl(u32),
    /// TIME-WAIT length, ms, whatever the MSL ([`Config::time_wait`]).
    TimeWait(u32),
    /// FIN-WAIT-2 timeout, ms ([`Config::fin_timeout`]), for tables that arm it.
    FinTimeout(u32),
    /// Read the ACK field of a retransmitted FIN ([`Config::fin_retransmit_ack`]).
    FinRetransmitAck(bool),
    /// Closing with text unread aborts ([`Config::abort_on_unread_close`]).
    AbortOnUnreadClose(bool),
    /// Delayed ACKs: how long an ACK may wait, ms; `None` ACKs at once
    /// ([`Config::delayed_ack`]).
    DelayedAck(Option<u32>),
    /// Quick-ACK mode's budget ([`Config::max_quickacks`]).
    MaxQuickacks(u8),
    /// Which rule delays an ACK ([`Config::ack_policy`]).
    AckPolicy(AckPolicy),
    /// A segment without TSopt while timestamps are on is processed
    /// ([`Config::accept_without_ts`]).
    AcceptWithoutTs(bool),
    /// TS.Recent is updated only after the ACK is accepted
    /// ([`Config::ts_recent_after_ack`]).
    TsRecentAfterAck(bool),
    /// PSH on a segment that fills the window ([`Config::push_at_window_edge`]).
    PushAtWindowEdge(bool),
    /// PSH on every text segment ([`Config::push_every_segment`]).
    PushEverySegment(bool),
    /// An ACK from FIN-WAIT-1, CLOSING or LAST-ACK carries the unacknowledged FIN again
    /// ([`Config::ack_carries_fin`]).
    AckCarriesFin(bool),
    /// D-SACK blocks report duplicate segments ([`Config::dsack`]).
    Dsack(bool),
    /// TIME-WAIT answers every segment but a pure duplicate ACK, as FreeBSD's
    /// `tcp_twcheck()` ([`Config::time_wait_acks_all`]).
    TimeWaitAcksAll(bool),
    /// A SYN in a synchronized state gets the bare challenge ACK whatever its sequence
    /// number ([`Config::syn_challenge_first`]).
    SynChallengeFirst(bool),
    /// A segment with SYN and FIN is dropped before any connection sees it
    /// ([`Config::drop_synfin`]).
    DropSynfin(bool),
    /// How a measured RTT sets the RTO ([`Config::rtt`]; the interpreter's default is
    /// RFC 6298's; the checker measures none).
    RttEstimator(Estimator),
    /// The least RTO, or Linux's least deviation term, ms ([`Config::rto_min`]).
    RtoMin(u32),
    /// RFC 6298's G, ms ([`Config::clock_granularity`]).
    ClockGranularity(u32),
    /// The RTO after a handshake without a good sample ([`Config::syn_fallback`]).
    SynRtoFallback(SynFallback),
    /// SYN retransmissions before the RTO backs off ([`Config::syn_linear_timeouts`]).
    SynLinearTimeouts(u8),
    /// Added to every computed RTO, ms ([`Config::rto_slop`]).
    RtoSlop(u32),
    /// A tail loss probe, with Linux's 2 ms margin ([`Config::tail_loss_probe`]).
    TailLossProbe(bool),
    /// The receive buffer, bytes ([`Config::rcv_buf`]).
    RcvBuf(u32),
    /// FreeBSD's buffer sizing: the SYN,ACK's window in SYN-RECEIVED, then a multiple of
    /// the MSS ([`Config::rcv_buf_mss_multiple`]).
    RcvBufMssMultiple(bool),
    /// A scaled window is rounded up to the scale unit
    /// ([`Config::scaled_window_rounds_up`]).
    ScaledWindowRoundsUp(bool),
    /// The user timeout counts from the first retransmission
    /// ([`Config::user_timeout_from_retransmit`]).
    UserTimeoutFromRetransmit(bool),
    /// Text after close() is answered as at a closed port
    /// ([`Config::abort_on_data_reply`]).
    AbortOnDataReply(bool),
    /// A passive SYN-RECEIVED outlives its listener's close() until its SYN,ACK timer or
    /// its next segment ([`Config::request_outlives_listener`]).
    RequestOutlivesListener(bool),
    /// A child reset before accept() stays in the accept queue and accept() returns it
    /// ([`Config::reset_child_accepted`]).
    ResetChildAccepted(bool),
    /// A passively opened SYN-RECEIVED checks the ACK before the sequence number
    /// ([`Config::syn_received_ack_first`]).
    SynReceivedAckFirst(bool),
    /// A passive SYN-RECEIVED takes the peer's SYN,ACK again as outside its window
    /// ([`Config::syn_received_window_untrimmed`]).
    SynReceivedWindowUntrimmed(bool),
    /// In SYN-SENT, an unacceptable ACK brings the SYN's first retransmission forward to
    /// this many ms; `None`: it does not ([`Config::syn_retransmit_after_bad_ack`]).
    SynRetransmitAfterBadAck(Option<u32>),
    /// Out-of-window ACKs (challenge ACKs, duplicate ACKs for unacceptable segments) are
    /// at most one per this many ms; `None`: no limit ([`Config::oow_ack_rate_limit`]).
    OowAckRateLimit(Option<u32>),
    /// Once the peer's FIN is in, text or a FIN beyond RCV.NXT is read for its ACK alone
    /// ([`Config::ignore_beyond_after_fin`]).
    IgnoreBeyondAfterFin(bool),
    /// After a retransmission timeout in the handshake, a FIN queued while our SYN is
    /// unacknowledged waits for its ACK ([`Config::fin_held_after_handshake_loss`]).
    FinHeldAfterHandshakeLoss(bool),
    /// Text on a SYN is discarded ([`Config::syn_text_dropped`]).
    SynTextDropped(bool),
    /// Linux's `net.ipv4.tcp_rmem[1]` and `[2]`, bytes: the initial receive window is
    /// half the first ([`Config::initial_rcv_space`]), and the window scale our SYN
    /// offers comes from the second ([`linux_rcv_wscale`]).
    TcpRmem(u32, u32),
    /// A queued FIN rides on the last text segment ([`Config::fin_on_last_segment`]).
    FinOnLastSegment(bool),
    /// A segment at the window's right edge is acceptable
    /// ([`Config::right_edge_acceptable`]).
    RightEdgeAcceptable(bool),
    /// Nagle's algorithm, Minshall's variant ([`Config::nagle`]).
    Nagle(bool),
    /// After an RTO, nothing new goes until an ACK of new data ([`Config::loss_window`]).
    LossWindow(bool),
    /// A simultaneous open's SYN-RECEIVED reads the ACK of a segment ending at RCV.NXT and
    /// takes SEG.ACK = SND.UNA ([`Config::simultaneous_open_full_socket`]).
    SimultaneousOpenFullSocket(bool),
    /// A simultaneous open's SYN,ACK offers our SYN's options, and our window scale stays
    /// though the peer offered none ([`Config::simultaneous_open_resends_syn`]).
    SimultaneousOpenResendsSyn(bool),
    /// An old ACK is a duplicate only within the bytes acknowledged so far
    /// ([`Config::old_ack_within_bytes_acked`]).
    OldAckWithinBytesAcked(bool),
    /// The peer's FIN takes one from the window offered ([`Config::fin_takes_window`]).
    FinTakesWindow(bool),
    /// A segment ending at or after the RCV.NXT of our last ACK passes the sequence test
    /// ([`Config::acceptable_to_rcv_wup`]).
    AcceptableToRcvWup(bool),
    /// A RST at RCV.NXT-1 resets once the peer's FIN is in
    /// ([`Config::rst_before_fin_resets`]).
    RstBeforeFinResets(bool),
    /// A read after a failed connect's error returns end of file
    /// ([`Config::read_after_reset_eof`]).
    ReadAfterResetEof(bool),
}

impl Param {
    /// Every parameter's name, in display order.
    pub const NAMES: [&'static str; 56] = [
        "syn_options",
        "tcp_rmem",
        "rtt_estimator",
        "rto",
        "rto_min",
        "rto_max",
        "clock_granularity",
        "syn_rto_fallback",
        "syn_linear_timeouts",
        "rto_slop",
        "tail_loss_probe",
        "syn_retransmit_after_bad_ack",
        "max_retransmits",
        "syn_retries",
        "synack_retries",
        "msl",
        "time_wait",
        "fin_timeout",
        "fin_retransmit_ack",
        "fin_held_after_handshake_loss",
        "abort_on_unread_close",
        "abort_on_data_reply",
        "request_outlives_listener",
        "reset_child_accepted",
        "user_timeout_from_retransmit",
        "delayed_ack",
        "max_quickacks",
        "ack_policy",
        "syn_received_ack_first",
        "syn_received_window_untrimmed",
        "syn_text_dropped",
        "right_edge_acceptable",
        "accept_without_ts",
        "ts_recent_after_ack",
        "push_at_window_edge",
        "push_every_segment",
        "fin_on_last_segment",
        "ack_carries_fin",
        "time_wait_acks_all",
        "syn_challenge_first",
        "drop_synfin",
        "oow_ack_rate_limit",
        "ignore_beyond_after_fin",
        "dsack",
        "rcv_buf",
        "rcv_buf_mss_multiple",
        "scaled_window_rounds_up",
        "nagle",
        "loss_window",
        "simultaneous_open_full_socket",
        "simultaneous_open_resends_syn",
        "old_ack_within_bytes_acked",
        "fin_takes_window",
        "acceptable_to_rcv_wup",
        "rst_before_fin_resets",
        "read_after_reset_eof",
    ];

    /// A stable name (`time_wait`).
    pub fn name(&self) -> &'static str {
        match self {
            Param::SynOptions(_) => "syn_options",
            Param::Rto(_) => "rto",
            Param::RtoMax(_) => "rto_max",
            Param::MaxRetransmits(_) => "max_retransmits",
            Param::SynRetries(_) => "syn_retries",
            Param::SynackRetries(_) => "synack_retries",
            Param::Msl(_) => "msl",
            Param::TimeWait(_) => "time_wait",
            Param::FinTimeout(_) => "fin_timeout",
            Param::FinRetransmitAck(_) => "fin_retransmit_ack",
            Param::AbortOnUnreadClose(_) => "abort_on_unread_close",
            Param::DelayedAck(_) => "delayed_ack",
            Param::MaxQuickacks(_) => "max_quickacks",
            Param::AckPolicy(_) => "ack_policy",
            Param::AcceptWithoutTs(_) => "accept_without_ts",
            Param::TsRecentAfterAck(_) => "ts_recent_after_ack",
            Param::PushAtWindowEdge(_) => "push_at_window_edge",
            Param::PushEverySegment(_) => "push_every_segment",
            Param::AckCarriesFin(_) => "ack_carries_fin",
            Param::Dsack(_) => "dsack",
            Param::TimeWaitAcksAll(_) => "time_wait_acks_all",
            Param::SynChallengeFirst(_) => "syn_challenge_first",
            Param::DropSynfin(_) => "drop_synfin",
            Param::RttEstimator(_) => "rtt_estimator",
            Param::RtoMin(_) => "rto_min",
            Param::ClockGranularity(_) => "clock_granularity",
            Param::SynRtoFallback(_) => "syn_rto_fallback",
            Param::SynLinearTimeouts(_) => "syn_linear_timeouts",
            Param::RtoSlop(_) => "rto_slop",
            Param::TailLossProbe(_) => "tail_loss_probe",
            Param::RcvBuf(_) => "rcv_buf",
            Param::RcvBufMssMultiple(_) => "rcv_buf_mss_multiple",
            Param::ScaledWindowRoundsUp(_) => "scaled_window_rounds_up",
            Param::UserTimeoutFromRetransmit(_) => "user_timeout_from_retransmit",
            Param::AbortOnDataReply(_) => "abort_on_data_reply",
            Param::RequestOutlivesListener(_) => "request_outlives_listener",
            Param::ResetChildAccepted(_) => "reset_child_accepted",
            Param::SynReceivedAckFirst(_) => "syn_received_ack_first",
            Param::SynReceivedWindowUntrimmed(_) => "syn_received_window_untrimmed",
            Param::SynRetransmitAfterBadAck(_) => "syn_retransmit_after_bad_ack",
            Param::OowAckRateLimit(_) => "oow_ack_rate_limit",
            Param::IgnoreBeyondAfterFin(_) => "ignore_beyond_after_fin",
            Param::FinHeldAfterHandshakeLoss(_) => "fin_held_after_handshake_loss",
            Param::SynTextDropped(_) => "syn_text_dropped",
            Param::TcpRmem(..) => "tcp_rmem",
            Param::FinOnLastSegment(_) => "fin_on_last_segment",
            Param::RightEdgeAcceptable(_) => "right_edge_acceptable",
            Param::Nagle(_) => "nagle",
            Param::LossWindow(_) => "loss_window",
            Param::SimultaneousOpenFullSocket(_) => "simultaneous_open_full_socket",
            Param::SimultaneousOpenResendsSyn(_) => "simultaneous_open_resends_syn",
            Param::OldAckWithinBytesAcked(_) => "old_ack_within_bytes_acked",
            Param::FinTakesWindow(_) => "fin_takes_window",
            Param::AcceptableToRcvWup(_) => "acceptable_to_rcv_wup",
            Param::RstBeforeFinResets(_) => "rst_before_fin_resets",
            Param::ReadAfterResetEof(_) => "read_after_reset_eof",
        }
    }

    /// A time in seconds or milliseconds, which the model checker abstracts (its ticks
    /// are not seconds).
    pub fn is_timing(&self) -> bool {
        matches!(
            self,
            Param::Rto(_)
                | Param::RtoMax(_)
                | Param::RttEstimator(_)
                | Param::RtoMin(_)
                | Param::ClockGranularity(_)
                | Param::SynRtoFallback(_)
                | Param::SynLinearTimeouts(_)
                | Param::RtoSlop(_)
                | Param::TailLossProbe(_)
                | Param::UserTimeoutFromRetransmit(_)
                | Param::SynRetransmitAfterBadAck(_)
                | Param::OowAckRateLimit(_)
                | Param::Msl(_)
                | Param::TimeWait(_)
                | Param::FinTimeout(_)
                | Param::DelayedAck(_)
        )
    }

    /// Whether the model checker applies it: only behaviour, not times (abstract ticks;
    /// so no delayed-ACK timer runs there, and no RTT is measured), retry counts (its `--retransmits` budget),
    /// SYN options and timestamps (its channel carries no options) or what a socket
    /// layer does.
    pub fn checker_honours(&self) -> bool {
        matches!(
            self,
            Param::FinRetransmitAck(_)
                | Param::FinHeldAfterHandshakeLoss(_)
                | Param::AckCarriesFin(_)
                | Param::SynReceivedAckFirst(_)
                | Param::SynReceivedWindowUntrimmed(_)
                | Param::TimeWaitAcksAll(_)
                | Param::SynChallengeFirst(_)
                | Param::DropSynfin(_)
                | Param::IgnoreBeyondAfterFin(_)
                | Param::SimultaneousOpenFullSocket(_)
                | Param::OldAckWithinBytesAcked(_)
                | Param::FinTakesWindow(_)
                | Param::AcceptableToRcvWup(_)
                | Param::RstBeforeFinResets(_)
        )
    }

    /// Sets it in `cfg`, with times at `ticks_per_ms` ticks a millisecond (saturating).
    pub fn apply(&self, cfg: &mut Config, ticks_per_ms: u32) {
        let t = |ms: u32| ms.saturating_mul(ticks_per_ms);
        match *self {
            Param::SynOptions(o) => cfg.syn_options = o,
            Param::Rto(ms) => cfg.rto = t(ms),
            Param::RtoMax(ms) => cfg.rto_max = t(ms),
            Param::MaxRetransmits(n) => cfg.max_retransmits = n,
            Param::SynRetries(n) => cfg.syn_retries = Some(n),
            Param::SynackRetries(n) => cfg.synack_retries = Some(n),
            Param::Msl(ms) => cfg.msl = t(ms),
            Param::TimeWait(ms) => cfg.time_wait = Some(t(ms)),
            Param::FinTimeout(ms) => cfg.fin_timeout = t(ms),
            Param::FinRetransmitAck(b) => cfg.fin_retransmit_ack = b,
            Param::AbortOnUnreadClose(b) => cfg.abort_on_unread_close = b,
            Param::DelayedAck(ms) => cfg.delayed_ack = ms.map(t),
            Param::MaxQuickacks(n) => cfg.max_quickacks = n,
            Param::AckPolicy(p) => cfg.ack_policy = p,
            Param::AcceptWithoutTs(b) => cfg.accept_without_ts = b,
            Param::TsRecentAfterAck(b) => cfg.ts_recent_after_ack = b,
            Param::PushAtWindowEdge(b) => cfg.push_at_window_edge = b,
            Param::PushEverySegment(b) => cfg.push_every_segment = b,
            Param::AckCarriesFin(b) => cfg.ack_carries_fin = b,
            Param::Dsack(b) => cfg.dsack = b,
            Param::TimeWaitAcksAll(b) => cfg.time_wait_acks_all = b,
            Param::SynChallengeFirst(b) => cfg.syn_challenge_first = b,
            Param::DropSynfin(b) => cfg.drop_synfin = b,
            Param::RttEstimator(e) => cfg.rtt = Some(e),
            Param::RtoMin(ms) => cfg.rto_min = t(ms),
            Param::ClockGranularity(ms) => cfg.clock_granularity = t(ms),
            Param::SynRtoFallback(f) => cfg.syn_fallback = f,
            Param::SynLinearTimeouts(n) => cfg.syn_linear_timeouts = n,
            Param::RtoSlop(ms) => cfg.rto_slop = t(ms),
            // TCP_TIMEOUT_MIN_US: 2 ms more than 2·SRTT with more than one segment out.
            Param::TailLossProbe(on) => cfg.tail_loss_probe = on.then(|| t(2)),
            Param::RcvBuf(n) => cfg.rcv_buf = n,
            Param::RcvBufMssMultiple(b) => cfg.rcv_buf_mss_multiple = b,
            Param::ScaledWindowRoundsUp(b) => cfg.scaled_window_rounds_up = b,
            Param::UserTimeoutFromRetransmit(b) => cfg.user_timeout_from_retransmit = b,
            Param::AbortOnDataReply(b) => cfg.abort_on_data_reply = b,
            Param::RequestOutlivesListener(b) => cfg.request_outlives_listener = b,
            Param::ResetChildAccepted(b) => cfg.reset_child_accepted = b,
            Param::SynReceivedAckFirst(b) => cfg.syn_received_ack_first = b,
            Param::SynReceivedWindowUntrimmed(b) => cfg.syn_received_window_untrimmed = b,
            Param::SynRetransmitAfterBadAck(ms) => cfg.syn_retransmit_after_bad_ack = ms.map(t),
            Param::OowAckRateLimit(ms) => cfg.oow_ack_rate_limit = ms.map(t),
            Param::IgnoreBeyondAfterFin(b) => cfg.ignore_beyond_after_fin = b,
            Param::FinHeldAfterHandshakeLoss(b) => cfg.fin_held_after_handshake_loss = b,
            Param::SynTextDropped(b) => cfg.syn_text_dropped = b,
            Param::FinOnLastSegment(b) => cfg.fin_on_last_segment = b,
            Param::RightEdgeAcceptable(b) => cfg.right_edge_acceptable = b,
            Param::Nagle(b) => cfg.nagle = b,
            Param::LossWindow(b) => cfg.loss_window = b,
            Param::SimultaneousOpenFullSocket(b) => cfg.simultaneous_open_full_socket = b,
            Param::SimultaneousOpenResendsSyn(b) => cfg.simultaneous_open_resends_syn = b,
            Param::OldAckWithinBytesAcked(b) => cfg.old_ack_within_bytes_acked = b,
            Param::FinTakesWindow(b) => cfg.fin_takes_window = b,
            Param::AcceptableToRcvWup(b) => cfg.acceptable_to_rcv_wup = b,
            Param::RstBeforeFinResets(b) => cfg.rst_before_fin_resets = b,
            Param::ReadAfterResetEof(b) => cfg.read_after_reset_eof = b,
            Param::TcpRmem(default, max) => {
                // tcp_full_space(): tcp_win_from_space() at TCP_DEFAULT_SCALING_RATIO.
                let space = default / 2;
                cfg.initial_rcv_space = Some(space);
                if let Some(w) = cfg.syn_options.wscale.as_mut() {
                    *w = linux_rcv_wscale(space, max, LINUX_CORE_RMEM_MAX);
                }
            }
        }
    }

    /// The value `cfg` has for the parameter named `name` (times at `ticks_per_ms`), as
    /// text: `60 s`, `mss 1460, sackOK, TS, wscale 7`, `as max_retransmits`.
    pub fn describe(name: &str, cfg: &Config, ticks_per_ms: u32) -> String {
        let ms = |ticks: u32| {
            let ms = ticks / ticks_per_ms.max(1);
            if ms >= 1_000 && ms % 1_000 == 0 {
                format!("{} s", ms / 1_000)
            } else {
                format!("{ms} ms")
            }
        };
        let retries = |n: Option<u8>| n.map_or("as max_retransmits".to_string(), |n| n.to_string());
        match name {
            "syn_options" => {
                let o = cfg.syn_options;
                let mut parts = Vec::new();
                if let Some(m) = o.mss {
                    parts.push(format!("mss {m}"));
                }
                if o.sack_permitted {
                    parts.push("sackOK".to_string());
                }
                if o.timestamps {
                    parts.push("TS".to_string());
                }
                if let Some(w) = o.wscale {
                    parts.push(format!("wscale {w}"));
                }
                if parts.is_empty() {
                    "none".to_string()
                } else {
                    parts.join(", ")
                }
            }
            "rto" => ms(cfg.rto),
            "rto_max" => ms(cfg.rto_max),
            "max_retransmits" => cfg.max_retransmits.to_string(),
            "syn_retries" => retries(cfg.syn_retries),
            "synack_retries" => retries(cfg.synack_retries),
            "msl" => ms(cfg.msl),
            "time_wait" => cfg
                .time_wait
                .map_or(format!("2 MSL ({})", ms(cfg.msl.saturating_mul(2))), ms),
            "fin_timeout" => ms(cfg.fin_timeout),
            "fin_retransmit_ack" => cfg.fin_retransmit_ack.to_string(),
            "fin_held_after_handshake_loss" => cfg.fin_held_after_handshake_loss.to_string(),
            "abort_on_unread_close" => cfg.abort_on_unread_close.to_string(),
            "delayed_ack" => cfg
                .delayed_ack
                .map_or("off (every ACK at once)".to_string(), ms),
            "max_quickacks" => cfg.max_quickacks.to_string(),
            "ack_policy" => match cfg.ack_policy {
                AckPolicy::Linux => {
                    "linux (quick-ACK mode, more than a full segment unacknowledged)"
                }
                AckPolicy::Freebsd => "freebsd (every second segment, DELAY_ACK())",
            }
            .to_string(),
            "accept_without_ts" => cfg.accept_without_ts.to_string(),
            "ts_recent_after_ack" => cfg.ts_recent_after_ack.to_string(),
            "push_at_window_edge" => cfg.push_at_window_edge.to_string(),
            "push_every_segment" => cfg.push_every_segment.to_string(),
            "ack_carries_fin" => cfg.ack_carries_fin.to_string(),
            "dsack" => cfg.dsack.to_string(),
            "time_wait_acks_all" => cfg.time_wait_acks_all.to_string(),
            "syn_challenge_first" => cfg.syn_challenge_first.to_string(),
            "drop_synfin" => cfg.drop_synfin.to_string(),
            "ignore_beyond_after_fin" => cfg.ignore_beyond_after_fin.to_string(),
            "oow_ack_rate_limit" => cfg
                .oow_ack_rate_limit
                .map_or("off (every out-of-window ACK is sent)".to_string(), |t| {
                    format!("one out-of-window ACK per {}", ms(t))
                }),
            "rtt_estimator" => match cfg.rtt {
                None => "off (the RTO is rto, backed off)".to_string(),
                Some(Estimator::Rfc6298) => "RFC 6298".to_string(),
                Some(Estimator::Linux) => "Linux".to_string(),
            },
            "rto_min" => ms(cfg.rto_min),
            "clock_granularity" => ms(cfg.clock_granularity),
            "syn_rto_fallback" => match cfg.syn_fallback {
                SynFallback::Off => "off".to_string(),
                SynFallback::SynRetransmitted => {
                    format!("{} after a retransmitted SYN", ms(cfg.rto_fallback))
                }
                SynFallback::NoSample => {
                    format!("{} without a handshake sample", ms(cfg.rto_fallback))
                }
            },
            "syn_linear_timeouts" => cfg.syn_linear_timeouts.to_string(),
            "rto_slop" => ms(cfg.rto_slop),
            "tail_loss_probe" => cfg.tail_loss_probe.map_or("off".to_string(), |m| {
                format!("2 SRTT + rto_min (one segment out) or + {}", ms(m))
            }),
            "rcv_buf" => format!("{} bytes", cfg.rcv_buf),
            "rcv_buf_mss_multiple" => cfg.rcv_buf_mss_multiple.to_string(),
            "scaled_window_rounds_up" => cfg.scaled_window_rounds_up.to_string(),
            "user_timeout_from_retransmit" => cfg.user_timeout_from_retransmit.to_string(),
            "abort_on_data_reply" => cfg.abort_on_data_reply.to_string(),
            "request_outlives_listener" => cfg.request_outlives_listener.to_string(),
            "reset_child_accepted" => cfg.reset_child_accepted.to_string(),
            "syn_received_ack_first" => cfg.syn_received_ack_first.to_string(),
            "syn_received_window_untrimmed" => cfg.syn_received_window_untrimmed.to_string(),
            "syn_text_dropped" => cfg.syn_text_dropped.to_string(),
            "fin_on_last_segment" => cfg.fin_on_last_segment.to_string(),
            "right_edge_acceptable" => cfg.right_edge_acceptable.to_string(),
            "nagle" => cfg.nagle.to_string(),
            "loss_window" => cfg.loss_window.to_string(),
            "simultaneous_open_full_socket" => cfg.simultaneous_open_full_socket.to_string(),
            "simultaneous_open_resends_syn" => cfg.simultaneous_open_resends_syn.to_string(),
            "old_ack_within_bytes_acked" => cfg.old_ack_within_bytes_acked.to_string(),
            "fin_takes_window" => cfg.fin_takes_window.to_string(),
            "acceptable_to_rcv_wup" => cfg.acceptable_to_rcv_wup.to_string(),
            "rst_before_fin_resets" => cfg.rst_before_fin_resets.to_string(),
            "read_after_reset_eof" => cfg.read_after_reset_eof.to_string(),
            "tcp_rmem" => cfg.initial_rcv_space.map_or(
                "off (RCV.WND starts at rcv_buf)".to_string(),
                |space| {
                    format!(
                        "initial window {space} bytes (at most rcv_buf), rounded down to the MSS"
                    )
                },
            ),
            "syn_retransmit_after_bad_ack" => cfg
                .syn_retransmit_after_bad_ack
                .map_or("off (the RTO runs on)".to_string(), |t| {
                    format!("{} after a bad ACK, before any retransmission", ms(t))
                }),
            _ => String::new(),
        }
    }
}

/// Linux's default `net.ipv4.tcp_rmem` (min, default, max; `tcp_init()` with enough
/// memory). The live runner pins a script's namespace to it, so the kernel's window and
/// scale are the `linux` profile's on any host.
pub const LINUX_TCP_RMEM: [u32; 3] = [4_096, 131_072, 6_291_456];

/// Linux's default `net.core.rmem_max` (`SK_RMEM_MAX`, 212,992): global, not per
/// namespace, so the live runner cannot pin it; a host's larger than `tcp_rmem[2]` would
/// raise the kernel's scale.
pub const LINUX_CORE_RMEM_MAX: u32 = 212_992;

/// The window scale Linux offers (`tcp_select_initial_window()`, "Set window scaling on
/// max possible window"): log2 of the largest of the initial `space`, `tcp_rmem[2]` and
/// `net.core.rmem_max`, less 15, between 0 and 14 (`TCP_MAX_WSCALE`).
pub fn linux_rcv_wscale(space: u32, tcp_rmem_max: u32, core_rmem_max: u32) -> u8 {
    let largest = space.max(tcp_rmem_max).max(core_rmem_max).max(1);
    (largest.ilog2().saturating_sub(15)).min(14) as u8
}

/// The parameters a layering of profiles sets, later profiles winning, each with the
/// profile that set it; in [`Param::NAMES`] order.
pub fn settings(profiles: &[&Profile]) -> Vec<(&'static str, Setting)> {
    let mut out: Vec<(&'static str, Setting)> = Vec::new();
    for p in profiles {
        for s in p.params {
            out.retain(|(_, o)| o.param.name() != s.param.name());
            out.push((p.name, *s));
        }
    }
    out.sort_by_key(|(_, s)| Param::NAMES.iter().position(|n| *n == s.param.name()));
    out
}

/// `base` with the parameters of `profiles` applied (times at `ticks_per_ms`).
pub fn configure(base: Config, profiles: &[&Profile], ticks_per_ms: u32) -> Config {
    let mut cfg = base;
    for (_, s) in settings(profiles) {
        s.param.apply(&mut cfg, ticks_per_ms);
    }
    cfg
}

impl Profile {
    /// The rules this profile substitutes.
    pub(crate) fn rules(&self) -> Vec<Rule> {
        (self.rules)()
    }

    /// Looks a profile up by name.
    pub fn named(name: &str) -> Option<&'static Profile> {
        PROFILES.iter().find(|p| p.name == name)
    }

    /// Parses a comma-separated list of profile names (`rfc1337,fin-wait-2-timeout`).
    /// An empty list or an empty name (`""`, `rfc1337,,`) is an error, not the default.
    pub fn parse_list(spec: &str) -> Result<Vec<&'static Profile>, String> {
        let known = || {
            let names: Vec<_> = PROFILES.iter().map(|p| p.name).collect();
            names.join(", ")
        };
        if spec.trim().is_empty() {
            return Err(format!(
                "no profile given: name one or more, comma-separated (known: {})",
                known()
            ));
        }
        spec.split(',')
            .map(str::trim)
            .map(|name| {
                if name.is_empty() {
                    return Err(format!(
                        "empty profile name in `{spec}`: profiles are names separated by single commas (known: {})",
                        known()
                    ));
                }
                Profile::named(name)
                    .ok_or_else(|| format!("unknown profile `{name}` (known: {})", known()))
            })
            .collect()
    }
}

/// Every profile: standard ones, then mutants, then profiles added since (a profile's
/// position numbers its rows, so a new one goes at the end and no number changes).
pub static PROFILES: [Profile; 15] = [
    Profile {
        name: "rfc9293",
        description: "RFC 9293 as written, with RFC 5961's challenge ACKs (the default)",
        broken: false,
        params: &[],
        rules: Vec::new,
    },
    Profile {
        name: "rfc793",
        description: "RFC 793: any in-window RST resets, an in-window SYN is answered by RST",
        broken: false,
        params: &[],
        rules: rfc793,
    },
    Profile {
        name: "rfc1337",
        description: "RFC 1337: TIME-WAIT ignores RST (no TIME-WAIT assassination)",
        broken: false,
        params: &[],
        rules: rfc1337,
    },
    Profile {
        name: "fin-wait-2-timeout",
        description: "a FIN-WAIT-2 timer, as real stacks add (Linux tcp_fin_timeout)",
        broken: false,
        params: &[],
        rules: fin_wait_2_timeout,
    },
    Profile {
        name: "no-time-wait",
        description: "MUTANT: the active closer goes straight to CLOSED, skipping TIME-WAIT",
        broken: true,
        params: &[],
        rules: no_time_wait,
    },
    Profile {
        name: "short-time-wait",
        description: "MUTANT: TIME-WAIT lasts one MSL instead of two",
        broken: true,
        params: &[],
        rules: short_time_wait,
    },
    Profile {
        name: "two-way-handshake",
        description: "MUTANT: a listener takes a SYN as an open connection (no third segment)",
        broken: true,
        params: &[],
        rules: two_way_handshake,
    },
    Profile {
        name: "no-fin-retransmit",
        description: "MUTANT: a lost FIN is never retransmitted",
        broken: true,
        params: &[],
        rules: no_fin_retransmit,
    },
    Profile {
        name: "rst-in-time-wait",
        description: "MUTANT: TIME-WAIT accepts any RST without checking its sequence number",
        broken: true,
        params: &[],
        rules: rst_in_time_wait,
    },
    Profile {
        name: "linux",
        description: "Linux's connection management: ABORT sends RST,ACK, a FIN-WAIT-2 timer, no RFC 1337, delayed ACKs, its timers, SYN options and timestamp rules",
        broken: false,
        params: &LINUX_PARAMS,
        rules: linux,
    },
    Profile {
        name: "freebsd",
        description: "FreeBSD's connection management: ABORT sends RST,ACK, RFC 1337 in TIME-WAIT, a FIN-WAIT-2 timer, its timers and SYN options",
        broken: false,
        params: &FREEBSD_PARAMS,
        rules: freebsd,
    },
    Profile {
        name: "last-ack-misses-its-ack",
        description: "MUTANT: LAST-ACK does not recognise the ACK of its FIN, and keeps retransmitting it",
        broken: true,
        params: &[],
        rules: last_ack_misses_its_ack,
    },
    Profile {
        name: "rfc793-rst",
        description: "RFC 793's RST half: any in-window RST resets (FreeBSD net.inet.tcp.insecure_rst=1)",
        broken: false,
        params: &[],
        rules: rfc793_rst,
    },
    Profile {
        name: "rfc793-syn",
        description: "RFC 793's SYN half: an in-window SYN is answered by RST and resets",
        broken: false,
        params: &[],
        rules: rfc793_syn,
    },
    Profile {
        name: "freebsd-insecure-syn",
        description: "FreeBSD with net.inet.tcp.insecure_syn=1: an in-window SYN drops the connection with RST,ACK (tcp_drop())",
        broken: false,
        params: &[],
        rules: freebsd_insecure_syn,
    },
];

const RESET_SIGNALLED: [State; 4] = [ESTAB, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT];
const FIN_SEEN: [State; 3] = [CLOSING, LAST_ACK, TIME_WAIT];

/// In-window RSTs reset, as in RFC 793 (before RFC 5961).
fn rst_in_window_resets(rfc: &'static str) -> Vec<Rule> {
    use Event::RstInWindow;
    vec![
        on(RstInWindow, &RESET_SIGNALLED)
            .does(&[SIG_RESET, DeleteTcb])
            .to(CLOSED)
            .rfc(rfc)
            .label("rcv RST in window / error: connection reset"),
        on(RstInWindow, &FIN_SEEN)
            .does(&[DeleteTcb])
            .to(CLOSED)
            .rfc(rfc)
            .label("rcv RST in window / delete TCB"),
    ]
}

/// RFC 793's RST and SYN processing: the union of [`rfc793_rst`] and [`rfc793_syn`], in
/// that order (its rows and their numbers are as before the split).
fn rfc793() -> Vec<Rule> {
    let mut r = rfc793_rst();
    r.extend(rfc793_syn());
    r
}

/// RFC 793 §3.9's RST processing: an in-window RST resets (FreeBSD
/// `net.inet.tcp.insecure_rst=1`), where RFC 5961 §3.2 sends a challenge ACK.
#[rustfmt::skip]
fn rfc793_rst() -> Vec<Rule> {
    use Event::RstInWindow;
    let mut r = rst_in_window_resets("RFC 793 §3.9");
    r.extend([
        on(RstInWindow, &[SYN_RCVD]).when(Guard::OpenedPassively).does(&[ReturnToListen])
            .to(LISTEN).rfc("RFC 793 §3.9").label("rcv RST / return to LISTEN"),
        on(RstInWindow, &[SYN_RCVD]).when(Guard::OpenedActively).does(&[SIG_REFUSED, DeleteTcb])
            .to(CLOSED).rfc("RFC 793 §3.9").label("rcv RST / error: connection refused"),
    ]);
    r
}

/// RFC 793 §3.9's SYN processing: an in-window SYN is answered by a reset built from the
/// segment, and resets, where RFC 5961 §4.2 sends a challenge ACK.
#[rustfmt::skip]
fn rfc793_syn() -> Vec<Rule> {
    use Event::{Syn, SynAck};
    let mut r = Vec::new();
    for e in [Syn, SynAck] {
        r.push(on(e, &[SYN_RCVD, ESTAB, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT])
            .does(&[RESET_REPLY, SIG_RESET, DeleteTcb]).to(CLOSED).rfc("RFC 793 §3.9")
            .label("rcv SYN in window / snd RST, error: connection reset"));
        r.push(on(e, &FIN_SEEN).does(&[RESET_REPLY, DeleteTcb]).to(CLOSED).rfc("RFC 793 §3.9")
            .label("rcv SYN in window / snd RST"));
    }
    r
}

#[rustfmt::skip]
fn rfc1337() -> Vec<Rule> {
    use Event::{RstExact, RstInWindow};
    vec![
        on(RstExact, &[TIME_WAIT]).rfc("RFC 1337 §3 (fix F1)").label("rcv RST / ignore"),
        on(RstInWindow, &[TIME_WAIT]).rfc("RFC 1337 §3 (fix F1)").label("rcv RST / ignore"),
    ]
}

const ARM_FIN_WAIT_2: Action = Action::Arm(Timer::FinWait2, Span::FinTimeout);

#[rustfmt::skip]
fn fin_wait_2_timeout() -> Vec<Rule> {
    use Event::{AckOfFin, FinWait2Timeout};
    vec![
        on(AckOfFin, &[FIN_WAIT_1]).does(&[ProcessAck, AcceptText, ACK_TEXT, ARM_FIN_WAIT_2])
            .to(FIN_WAIT_2).rfc("§3.10.7.4; Linux tcp_fin_timeout")
            .label("rcv ACK of FIN / start FIN-WAIT-2 timer").classic(),
        on(FinWait2Timeout, &[FIN_WAIT_2]).does(&[DeleteTcb]).to(CLOSED)
            .rfc("Linux tcp_fin_timeout").label("FIN-WAIT-2 timeout / delete TCB"),
    ]
}

#[rustfmt::skip]
fn no_time_wait() -> Vec<Rule> {
    use Event::{AckOfFin, Fin, FinAckOfFin};
    vec![
        on(Fin, &[FIN_WAIT_2]).does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_CLOSING, DeleteTcb])
            .to(CLOSED).rfc("mutant").label("rcv FIN / snd ACK, delete TCB").classic(),
        on(FinAckOfFin, &[FIN_WAIT_1, FIN_WAIT_2])
            .does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_CLOSING, DeleteTcb])
            .to(CLOSED).rfc("mutant").label("rcv FIN,ACK of FIN / snd ACK, delete TCB"),
        on(AckOfFin, &[CLOSING]).does(&[ProcessAck, DeleteTcb]).to(CLOSED).rfc("mutant")
            .label("rcv ACK of FIN / delete TCB").classic(),
    ]
}

const ARM_1MSL: Action = Action::Arm(Timer::TimeWait, Span::OneMsl);

#[rustfmt::skip]
fn short_time_wait() -> Vec<Rule> {
    use Event::{AckOfFin, Fin, FinAckOfFin, FinRetransmit};
    vec![
        on(Fin, &[FIN_WAIT_2])
            .does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_CLOSING, StopTimers, ARM_1MSL])
            .to(TIME_WAIT).rfc("mutant").label("rcv FIN / snd ACK").classic(),
        on(FinAckOfFin, &[FIN_WAIT_1, FIN_WAIT_2])
            .does(&[ProcessAck, AcceptText, AcceptFin, SND_ACK, SIG_CLOSING, StopTimers, ARM_1MSL])
            .to(TIME_WAIT).rfc("mutant").label("rcv FIN,ACK of FIN / snd ACK"),
        on(AckOfFin, &[CLOSING]).does(&[ProcessAck, StopTimers, ARM_1MSL]).to(TIME_WAIT)
            .rfc("mutant").label("rcv ACK of FIN / x").classic(),
        on(FinRetransmit, &[TIME_WAIT]).does(&[SND_ACK, ARM_1MSL]).rfc("mutant")
            .label("rcv FIN again / snd ACK, restart MSL"),
        on(Fin, &[TIME_WAIT]).does(&[SND_ACK, ARM_1MSL]).rfc("mutant")
            .label("rcv FIN / snd ACK, restart MSL"),
        on(FinAckOfFin, &[TIME_WAIT]).does(&[SND_ACK, ARM_1MSL]).rfc("mutant")
            .label("rcv FIN / snd ACK, restart MSL"),
    ]
}

#[rustfmt::skip]
fn two_way_handshake() -> Vec<Rule> {
    vec![
        on(Event::Syn, &[LISTEN]).does(&[RecordIrs, ChooseIss, SND_SYN_ACK, SIG_OPEN]).to(ESTAB)
            .rfc("mutant").label("rcv SYN / snd SYN,ACK, open").classic(),
    ]
}

#[rustfmt::skip]
fn no_fin_retransmit() -> Vec<Rule> {
    vec![
        on(Event::RetransmitTimeout, &[FIN_WAIT_1, CLOSING, LAST_ACK]).rfc("mutant")
            .label("retransmission timeout / FIN not retransmitted"),
    ]
}

/// A FIN ping-pong: the passive closer's FIN is acknowledged from TIME-WAIT, which restarts
/// its 2MSL timer (§3.10.7.4), and the ACK is ignored, so LAST-ACK retransmits for as long
/// as R2 lets it: for ever with `--retransmits infinite`, a livelock (a fair lasso).
#[rustfmt::skip]
fn last_ack_misses_its_ack() -> Vec<Rule> {
    vec![
        on(Event::AckOfFin, &[LAST_ACK]).rfc("mutant").label("rcv ACK of FIN / ignored"),
    ]
}

#[rustfmt::skip]
fn rst_in_time_wait() -> Vec<Rule> {
    use Event::{RstInWindow, RstOutOfWindow};
    vec![
        on(RstInWindow, &[TIME_WAIT]).does(&[DeleteTcb]).to(CLOSED).rfc("mutant")
            .label("rcv any RST / delete TCB"),
        on(RstOutOfWindow, &[TIME_WAIT]).does(&[DeleteTcb]).to(CLOSED).rfc("mutant")
            .label("rcv any RST / delete TCB"),
    ]
}

const SND_RST_ACK: Action = Action::Emit(Emit::RstAck);

/// Linux's parameters (defaults of a current kernel; `include/net/tcp.h` unless named).
static LINUX_PARAMS: [Setting; 46] = [
    Setting {
        param: Param::SynOptions(SynOptions::LINUX),
        source: "tcp_syn_options(), tcp_select_initial_window() (wscale 7 from net.ipv4.tcp_rmem)",
    },
    Setting {
        param: Param::TcpRmem(LINUX_TCP_RMEM[1], LINUX_TCP_RMEM[2]),
        source: "net.ipv4.tcp_rmem = 4096 131072 6291456 (tcp_init()); tcp_select_initial_window(): the window tcp_full_space() (131072 at the default scaling ratio, 1/2: 65536) rounded down to a multiple of the MSS (64240 = 44 x 1460; a passive open with timestamps: 65160 = 45 x 1448, tcp_openreq_init_rwin()), the scale ilog2(max(space, tcp_rmem[2], net.core.rmem_max)) - 15 = 7",
    },
    Setting {
        param: Param::RttEstimator(Estimator::Linux),
        source: "tcp_rtt_estimator(), tcp_set_rto() (net/ipv4/tcp_input.c); samples from tcp_clean_rtx_queue() (none once a retransmitted segment is acknowledged: FLAG_RETRANS_DATA_ACKED), else the TSecr (tcp_ack_update_rtt()), and the SYN,ACK's round trip unless it was sent again (tcp_synack_rtt_meas())",
    },
    Setting {
        param: Param::Rto(1_000),
        source: "TCP_TIMEOUT_INIT (1 s, RFC 6298)",
    },
    Setting {
        param: Param::RtoMin(200),
        source: "TCP_RTO_MIN (HZ/5, 200 ms; net.ipv4.tcp_rto_min_us = 200000): tcp_rtt_estimator() keeps rttvar_us at least tcp_rto_min_us()",
    },
    Setting {
        param: Param::RtoMax(120_000),
        source: "TCP_RTO_MAX (120 s; net.ipv4.tcp_rto_max_ms = 120000)",
    },
    Setting {
        param: Param::ClockGranularity(4),
        source: "__tcp_set_rto(): usecs_to_jiffies() rounds up to a jiffy, 4 ms at HZ = 250 (kernel/Kconfig.hz's default)",
    },
    Setting {
        param: Param::SynRtoFallback(SynFallback::NoSample),
        source: "tcp_init_metrics() (net/ipv4/tcp_metrics.c): no RTT sample from the handshake (srtt_us == 0): icsk_rto = TCP_TIMEOUT_FALLBACK (3 s), RFC 6298 §5.7",
    },
    Setting {
        param: Param::SynLinearTimeouts(4),
        source: "net.ipv4.tcp_syn_linear_timeouts = 4: tcp_retransmit_timer() backs off in SYN-SENT only once total_rto exceeds it; tcp_write_timeout() allows tcp_syn_retries + it",
    },
    Setting {
        param: Param::TailLossProbe(true),
        source: "net.ipv4.tcp_early_retrans = 3: tcp_schedule_loss_probe() (with SACK, in TCP_CA_Open: PTO = 2 srtt + TCP_RTO_MIN with one packet out, else + TCP_TIMEOUT_MIN_US; at most the RTO), tcp_send_loss_probe() (the last segment again, once per tlp_high_seq)",
    },
    Setting {
        param: Param::SynRetransmitAfterBadAck(Some(8)),
        source: "tcp_rcv_synsent_state_process() (net/ipv4/tcp_input.c): an unacceptable ACK with icsk_retransmits == 0 -> tcp_reset_xmit_timer(ICSK_TIME_RETRANS, TCP_TIMEOUT_MIN) (\"Previous FIN/ACK or RST/ACK might be ignored\"); TCP_TIMEOUT_MIN = 2 jiffies, 8 ms at HZ = 250; tcp_retransmit_timer() then resends the SYN as any retransmission",
    },
    Setting {
        param: Param::OowAckRateLimit(Some(500)),
        source: "net.ipv4.tcp_invalid_ratelimit = 500 ms, per connection (tp->last_oow_ack_time; the request sock's and the timewait sock's own): __tcp_oow_rate_limited() from tcp_send_challenge_ack() (RST or SYN in the window, SEG.ACK too old or beyond SND.NXT) and tcp_oow_rate_limited() (only a segment with no text and no FIN, or with SYN) from tcp_validate_incoming() (the duplicate ACK for an unacceptable segment), tcp_check_req() and tcp_timewait_check_oow_rate_limit(); the host-wide net.ipv4.tcp_challenge_ack_limit is INT_MAX (off) since 6.0",
    },
    Setting {
        param: Param::IgnoreBeyondAfterFin(true),
        source: "tcp_rcv_state_process() (net/ipv4/tcp_input.c): the ACK is processed (step 5), then step 7 breaks out for TCP_CLOSE_WAIT, TCP_CLOSING and TCP_LAST_ACK when !before(seq, rcv_nxt): the text and FIN are dropped and nothing schedules an ACK",
    },
    Setting {
        param: Param::MaxRetransmits(15),
        source: "net.ipv4.tcp_retries2 = 15 (TCP_RETR2)",
    },
    Setting {
        param: Param::SynRetries(6),
        source: "net.ipv4.tcp_syn_retries = 6 (TCP_SYN_RETRIES)",
    },
    Setting {
        param: Param::SynackRetries(5),
        source: "net.ipv4.tcp_synack_retries = 5 (TCP_SYNACK_RETRIES)",
    },
    Setting {
        param: Param::TimeWait(60_000),
        source: "TCP_TIMEWAIT_LEN (60 s, fixed: Linux has no MSL)",
    },
    Setting {
        param: Param::FinTimeout(60_000),
        source: "net.ipv4.tcp_fin_timeout = 60 (TCP_FIN_TIMEOUT)",
    },
    Setting {
        param: Param::FinRetransmitAck(true),
        source: "tcp_sequence() (net/ipv4/tcp_input.c) accepts a segment ending at RCV.WUP or later, so tcp_ack() reads it",
    },
    Setting {
        param: Param::AbortOnUnreadClose(true),
        source: "__tcp_close() (net/ipv4/tcp.c): data_was_unread -> tcp_send_active_reset() (RFC 2525 §2.17)",
    },
    Setting {
        param: Param::AbortOnDataReply(true),
        source: "tcp_rcv_state_process(), FIN-WAIT-1/2 with RCV_SHUTDOWN: new text -> tcp_reset() (tcp_done(), nothing sent; LINUX_MIB_TCPABORTONDATA) and a non-zero return, so tcp_v4_do_rcv() answers the segment with tcp_v4_send_reset(): <SEQ=SEG.ACK><CTL=RST>",
    },
    Setting {
        param: Param::RequestOutlivesListener(true),
        source: "inet_csk_listen_stop() empties only the accept queue; the request sock stays hashed (sock_diag: SYN-RECV) until reqsk_timer_handler() finds its listener not in TCP_LISTEN at the next SYN,ACK timeout and drops it (inet_csk_reqsk_queue_drop_and_put(), nothing sent), or tcp_v4_rcv() (TCP_NEW_SYN_RECV, listener not in TCP_LISTEN, no reuseport migration: net.ipv4.tcp_migrate_req = 0) drops it and looks the segment up again",
    },
    Setting {
        param: Param::ResetChildAccepted(true),
        source: "tcp_reset() -> tcp_done(): a child in the accept queue (not SOCK_DEAD) is set TCP_CLOSE and unhashed, not destroyed; inet_csk_accept() hands it out with sk_err (ECONNRESET, EPIPE in CLOSE-WAIT), then reads return 0 (RCV_SHUTDOWN), writes EPIPE (measured on 6.18.44)",
    },
    Setting {
        param: Param::UserTimeoutFromRetransmit(true),
        source: "tcp_retransmit_skb() saves retrans_stamp at the first (attempted) retransmission (not a loss probe's, __tcp_retransmit_skb()); retransmits_timed_out() measures icsk_user_timeout from it, tcp_clamp_rto_to_user_timeout() clamps the RTO to what is left (net/ipv4/tcp_timer.c); in SYN-SENT from tcp_connect()",
    },
    Setting {
        param: Param::DelayedAck(Some(40)),
        source: "TCP_DELACK_MIN = TCP_ATO_MIN (HZ/25, 40 ms): tcp_event_data_recv() sets icsk_ack.ato, __tcp_ack_snd_check() -> tcp_send_delayed_ack() (net/ipv4/tcp_input.c, tcp_output.c)",
    },
    Setting {
        param: Param::MaxQuickacks(16),
        source: "TCP_MAX_QUICKACKS = 16: tcp_incr_quickack() at the first text and after a gap over the RTO (tcp_event_data_recv()), tcp_enter_quickack_mode() for a duplicate (tcp_send_dupack())",
    },
    Setting {
        param: Param::SynReceivedAckFirst(true),
        source: "tcp_check_req() (net/ipv4/tcp_minisocks.c): after a retransmitted SYN, (flg & TCP_FLAG_ACK) && ack_seq != snt_isn + 1 -> return sk (\"Invalid ACK: reset will be sent by listening socket\": tcp_rcv_state_process() in TCP_LISTEN, tcp_v4_send_reset()) before PAWS, tcp_in_window() and SYN; a RST is judged by its sequence number (measured on 6.18.44)",
    },
    Setting {
        param: Param::FinHeldAfterHandshakeLoss(true),
        source: "tcp_retransmit_timer() -> tcp_enter_loss() (net/ipv4/tcp_input.c): snd_cwnd = packets in flight + 1 after a timeout in SYN-SENT or SYN-RECEIVED; __tcp_close() -> tcp_send_fin() queues the FIN, which tcp_write_xmit()'s tcp_cwnd_test() holds behind the unacknowledged SYN,ACK until its ACK (measured on 6.18.44)",
    },
    Setting {
        param: Param::SynReceivedWindowUntrimmed(true),
        source: "tcp_check_req() (net/ipv4/tcp_minisocks.c): tcp_in_window(seq, end_seq, rcv_nxt, ...) tests the whole segment, SYN included, before \"Truncate SYN\": a SYN,ACK at rcv_isn ends at rcv_nxt, out of window -> req->rsk_ops->send_ack()",
    },
    Setting {
        param: Param::SynTextDropped(true),
        source: "tcp_conn_request() (net/ipv4/tcp_input.c) queues a SYN's text only with a Fast Open cookie (tcp_try_fastopen()); tcp_rcv_synsent_state_process(): a SYN,ACK -> tcp_send_ack() of the SYN and the segment freed (returns -1), a SYN (simultaneous open) -> the SYN,ACK and \"discard packet for sanity\"",
    },
    Setting {
        param: Param::AcceptWithoutTs(true),
        source: "tcp_validate_incoming(): tcp_paws_discard() only when saw_tstamp; a segment without TSopt is processed",
    },
    Setting {
        param: Param::TsRecentAfterAck(true),
        source: "tcp_ack() with FLAG_UPDATE_TS_RECENT: tcp_replace_ts_recent() once the ACK is accepted (after the ACK-of-unsent-data check)",
    },
    Setting {
        param: Param::Dsack(true),
        source: "net.ipv4.tcp_dsack = 1: tcp_dsack_set() for a duplicate (tcp_send_dupack(), tcp_data_queue(), tcp_data_queue_ofo()), sent first by tcp_established_options()",
    },
    Setting {
        param: Param::RightEdgeAcceptable(true),
        source: "tcp_sequence() (net/ipv4/tcp_input.c): drops a segment only if it starts after rcv_nxt + tcp_receive_window() (or ends after it while the receive queue is not empty); tcp_check_req() -> tcp_in_window() (net/ipv4/tcp_minisocks.c): a segment of no length at the right edge is in the window",
    },
    Setting {
        param: Param::FinOnLastSegment(true),
        source: "tcp_send_fin() (net/ipv4/tcp_output.c): with an unsent tail on the write queue, TCPHDR_FIN is set on it (end_seq++) rather than a FIN skb of its own; tcp_retrans_try_collapse() merges a FIN skb into the retransmitted text before it (net.ipv4.tcp_retrans_collapse = 1)",
    },
    Setting {
        param: Param::PushEverySegment(true),
        source: "as packetdrill sees Linux: every TSO/GSO packet from tcp_sendmsg_locked() carries PSH (gtests/net/tcp mss/, eor/, timestamping/ expect it); on the wire GSO leaves PSH on the last segment of each packet (tcp_gso_segment())",
    },
    Setting {
        param: Param::Nagle(true),
        source: "tcp_write_xmit() -> tcp_nagle_test() (net/ipv4/tcp_output.c): the write queue's last skb, shorter than mss_now and without FIN, waits while packets_out and tcp_minshall_check() (snd_sml, the end of the last short segment sent, after snd_una); TCP_NODELAY turns it off (tp->nonagle); tcp_send_loss_probe() sends it with TCP_NAGLE_OFF",
    },
    Setting {
        param: Param::LossWindow(true),
        source: "tcp_retransmit_timer() -> tcp_enter_loss() (net/ipv4/tcp_input.c): tcp_timeout_mark_lost(), then snd_cwnd = tcp_packets_in_flight() + 1 = 1; the head resent, tcp_write_xmit()'s tcp_cwnd_test() holds new skbs (text, a FIN from tcp_send_fin()) until an ACK grows the window",
    },
    Setting {
        param: Param::SimultaneousOpenFullSocket(true),
        source: "tcp_rcv_synsent_state_process() makes a full socket TCP_SYN_RECV for a crossed SYN; tcp_rcv_state_process(): tcp_validate_incoming() -> tcp_sequence() (old only if end_seq is before rcv_wup), then tcp_ack() (refuses an ACK before snd_una or after snd_nxt; <= 0 in TCP_SYN_RECV: \"send one RST\", tcp_v4_send_reset() <SEQ=SEG.ACK>), then TCP_ESTABLISHED; tcp_write_timeout(): TCPF_SYN_RECV counts to tcp_syn_retries (tcp_synack_retries is the request socket's)",
    },
    Setting {
        param: Param::SimultaneousOpenResendsSyn(true),
        source: "tcp_send_synack() (net/ipv4/tcp_output.c) sends the SYN's buffer again with ACK set, its options from tcp_syn_options(); tcp_rcv_synsent_state_process(): rx_opt.rcv_wscale is cleared for a peer without wscale_ok in the SYN,ACK branch only, the crossed-SYN branch keeps the scale tcp_connect_init() chose (measured: win 502 for 64240)",
    },
    Setting {
        param: Param::ScaledWindowRoundsUp(true),
        source: "__tcp_select_window(): with rcv_wscale, window = ALIGN(free_space, 1 << rcv_wscale) (\"Advertise enough space so that it won't get scaled away\"); tcp_select_window() then shifts it (measured: win 502 for 64240 at scale 7)",
    },
    Setting {
        param: Param::OldAckWithinBytesAcked(true),
        source: "tcp_ack() (net/ipv4/tcp_input.c): an ACK before prior_snd_una - min(tp->max_window, tp->bytes_acked) is too old (\"do not accept ACK for bytes we never sent\"): tcp_send_challenge_ack() and the segment discarded (tcp_rcv_established(), tcp_rcv_state_process()); bytes_acked counts SND.UNA's advances (tcp_snd_una_update()), none yet in a child made by tcp_create_openreq_child()",
    },
    Setting {
        param: Param::FinTakesWindow(true),
        source: "tcp_data_queue() -> tcp_queue_rcv() queues the FIN's skb for the reader (tcp_fin()); tcp_select_window() (net/ipv4/tcp_output.c) never offers less than the right edge already offered, rcv_wup + rcv_wnd, and __tcp_select_window() offers no more while the buffer holds it",
    },
    Setting {
        param: Param::AcceptableToRcvWup(true),
        source: "tcp_sequence() (net/ipv4/tcp_input.c): drops a segment only if before(end_seq, tp->rcv_wup) (or it starts after the right edge); tcp_validate_incoming() then tcp_ack() (a refused ACK: tcp_send_challenge_ack(), discarded) before tcp_data_queue(), which ACKs text all before rcv_nxt or at the right edge at once (out_of_window: tcp_enter_quickack_mode(), inet_csk_schedule_ack())",
    },
    Setting {
        param: Param::RstBeforeFinResets(true),
        source: "tcp_validate_incoming() (net/ipv4/tcp_input.c): tcp_reset_check() takes a RST whose seq is rcv_nxt - 1 in TCP_CLOSE_WAIT, TCP_LAST_ACK or TCP_CLOSING as one at rcv_nxt, both where tcp_sequence() finds it unacceptable and in step 2 (\"RFC 5961 3.2 (extend to match against (RCV.NXT - 1) after a FIN ...)\"): tcp_reset()",
    },
    Setting {
        param: Param::ReadAfterResetEof(true),
        source: "tcp_reset() (net/ipv4/tcp_input.c) and tcp_write_err() (tcp_timer.c) -> tcp_done() (tcp.c): sk_shutdown = SHUTDOWN_MASK; tcp_recvmsg_locked() reads sk_receive_queue (text queued before the reset: tcp_done() does not purge it), then returns sock_error(), then 0 for RCV_SHUTDOWN before -ENOTCONN for TCP_CLOSE (\"user tries to read from never connected socket\")",
    },
];

/// FreeBSD's parameters (defaults of a current kernel; `sys/netinet/tcp_timer.h` unless
/// named).
static FREEBSD_PARAMS: [Setting; 20] = [
    Setting {
        param: Param::SynOptions(SynOptions::FREEBSD),
        source: "tcp_output(), tcp_addoptions(); request_r_scale from kern.ipc.maxsockbuf (2 MiB): wscale 6",
    },
    Setting {
        param: Param::Rto(1_000),
        source: "net.inet.tcp.rexmit_initial = TCPTV_RTOBASE (1 s)",
    },
    Setting {
        param: Param::RtoMax(64_000),
        source: "TCPTV_REXMTMAX (64 s)",
    },
    Setting {
        param: Param::RtoSlop(200),
        source: "net.inet.tcp.rexmit_slop = TCPTV_CPU_VAR (200 ms), added by TCPT_RANGESET() (tcp_timer.h) to each RTO after the initial one: tcp_timer_rexmt() sets t_rxtcur = tcp_rexmit_initial (SYN-SENT) or TCP_REXMTVAL() times tcp_backoff[t_rxtshift] (1, 2, 4, ...) plus the slop, at most TCPTV_REXMTMAX; tcp_xmit_timer() likewise",
    },
    Setting {
        param: Param::MaxRetransmits(12),
        source: "TCP_MAXRXTSHIFT = 12 (tcp_timer_rexmt())",
    },
    Setting {
        param: Param::SynackRetries(3),
        source: "net.inet.tcp.syncache.rexmtlimit = SYNCACHE_MAXREXMTS = 3 (tcp_syncache.c)",
    },
    Setting {
        param: Param::Msl(30_000),
        source: "net.inet.tcp.msl = TCPTV_MSL (30 s); TIME-WAIT is 2 MSL (tcp_twstart())",
    },
    Setting {
        param: Param::FinTimeout(600_000),
        source: "TP_MAXIDLE = net.inet.tcp.keepcnt x keepintvl (8 x 75 s), as net.inet.tcp.fast_finwait2_recycle = 0 (tcp_usrclosed(), tcp_input())",
    },
    Setting {
        param: Param::FinRetransmitAck(true),
        source: "tcp_input(): a duplicate FIN is dropped \"but keep on processing for RST or ACK\"",
    },
    Setting {
        param: Param::AbortOnUnreadClose(false),
        source: "tcp_disconnect(): sbflush(&so->so_rcv), then tcp_usrclosed() sends a FIN",
    },
    Setting {
        param: Param::PushAtWindowEdge(false),
        source: "tcp_output(): TH_PUSH only when off + len == sbused(&so->so_snd)",
    },
    Setting {
        param: Param::AckCarriesFin(true),
        source: "tcp_output(): flags = tcp_outflags[t_state] (TH_FIN in FIN_WAIT_1, CLOSING, LAST_ACK); with TF_SENTFIN and snd_nxt == snd_max, snd_nxt-- (\"if resending a FIN, be sure not to use a new sequence number\")",
    },
    Setting {
        param: Param::TimeWaitAcksAll(true),
        source: "tcp_twcheck() (tcp_timewait.c): RST dropped; a SYN above RCV.NXT reopens; no ACK: dropped; a duplicate FIN restarts 2MSL (tcp_tw_2msl_reset()); \"Acknowledge the segment if it has data or is not a duplicate ACK\" (tcp_twrespond(TH_ACK))",
    },
    Setting {
        param: Param::SynChallengeFirst(true),
        source: "tcp_do_segment() (tcp_input.c): \"RFC5961 Section 4.2: Send challenge ACK for any SYN in synchronized state\" (tcp_send_challenge_ack(), a bare tcp_respond(TH_ACK)) comes before PAWS and the trimming of the segment to the window, so a SYN outside the window gets it too",
    },
    Setting {
        param: Param::DelayedAck(Some(40)),
        source: "net.inet.tcp.delayed_ack = 1, net.inet.tcp.delacktime = TCPTV_DELACK (hz/25, 40 ms; hz/10 in old releases): tcp_timer_activate(TT_DELACK) (tcp_input.c, tcp_timer.c)",
    },
    Setting {
        param: Param::AckPolicy(AckPolicy::Freebsd),
        source: "tcp_do_segment(): DELAY_ACK() (the delayed-ACK timer not running, tlen <= t_maxseg, no zero window sent) sets TF_DELACK, else TF_ACKNOW; out-of-order text (tcp_reass()), a FIN and duplicates: TF_ACKNOW",
    },
    Setting {
        param: Param::Dsack(true),
        source: "tcp_update_dsack_list() (tcp_sack.c), called from tcp_do_segment() for a duplicate and from tcp_reass() for text already held: the block goes first (RFC 2883)",
    },
    Setting {
        param: Param::RcvBuf(65_536),
        source: "net.inet.tcp.recvspace = 65536 (tcp_usrreq.c: tcp_attach() -> soreserve()); the window field without scaling is at most TCP_MAXWIN (65535)",
    },
    Setting {
        param: Param::RcvBufMssMultiple(true),
        source: "tcp_mss(): bufsize = roundup(so_rcv.sb_hiwat, t_maxseg) once the peer's MSS is known (a SYN in SYN-SENT, syncache_socket()): 65700 for an MSS of 1460; before, syncache_add(): sc_wnd = min(sb_hiwat, TCP_MAXWIN)",
    },
    Setting {
        param: Param::ScaledWindowRoundsUp(true),
        source: "tcp_output(): recwin = roundup2(recwin, 1 << rcv_scale) (\"avoid shrinking window with window scaling\")",
    },
];

const ACK_FIN_DELAYABLE: Action = Action::Emit(Emit::AckFinDelayable);
const ACK_OR_SYN_ACK: Action = Action::Emit(Emit::AckOrSynAck);
const ACK_TEXT_OR_SYN: Action = Action::Emit(Emit::AckIfTextOrSyn);

#[rustfmt::skip]
fn linux() -> Vec<Rule> {
    use Event::{Abort, Ack, AckOfFin, Fin, FinAckOfFin, FinWait2Timeout, RstExact, RstInWindow,
        Shutdown, Syn, SynAck, Unacceptable};
    use Guard::{OpenedActively, OpenedPassively};
    vec![
        // tcp_disconnect(): "ABORT function of RFC793", RST only where tcp_need_reset().
        on(Abort, &[ESTAB, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT]).does(&[SND_RST_ACK, DeleteTcb])
            .to(CLOSED).rfc("Linux tcp_disconnect(): tcp_need_reset(), tcp_send_active_reset()")
            .label("ABORT / snd RST,ACK"),
        // A simultaneous open's socket is a full socket in TCP_SYN_RECV: RST,ACK. A passive
        // one is a request sock, dropped silently when its listener goes.
        on(Abort, &[SYN_RCVD]).when(Guard::OpenedActively).does(&[SND_RST_ACK, DeleteTcb])
            .to(CLOSED).rfc("Linux tcp_disconnect(): tcp_need_reset() (TCPF_SYN_RECV)")
            .label("ABORT / snd RST,ACK"),
        on(Abort, &[SYN_RCVD]).when(Guard::OpenedPassively).does(&[DeleteTcb]).to(CLOSED)
            .rfc("Linux reqsk_timer_handler(): a request sock whose listener is gone is dropped, nothing sent")
            .label("ABORT / delete TCB"),
        on(AckOfFin, &[FIN_WAIT_1]).does(&[ProcessAck, AcceptText, ACK_TEXT, ARM_FIN_WAIT_2])
            .to(FIN_WAIT_2).rfc("Linux tcp_rcv_state_process() TCP_FIN_WAIT1: tcp_fin_timeout")
            .label("rcv ACK of FIN / start FIN-WAIT-2 timer").classic(),
        on(FinWait2Timeout, &[FIN_WAIT_2]).does(&[DeleteTcb]).to(CLOSED)
            .rfc("Linux tcp_time_wait(TCP_FIN_WAIT2, tmo): net.ipv4.tcp_fin_timeout")
            .label("FIN-WAIT-2 timeout / delete TCB"),
        // net.ipv4.tcp_rfc1337 = 0: an exact RST kills TIME-WAIT ("TIME_WAIT assassination");
        // any other RST is dropped, with no challenge ACK.
        on(RstExact, &[TIME_WAIT]).does(&[DeleteTcb]).to(CLOSED)
            .rfc("Linux tcp_timewait_state_process(): net.ipv4.tcp_rfc1337 = 0")
            .label("rcv RST / delete TCB (TIME-WAIT assassinated)"),
        on(RstInWindow, &[TIME_WAIT])
            .rfc("Linux tcp_timewait_state_process(): a RST not at RCV.NXT is dropped")
            .label("rcv RST in window / drop"),
        // inet_twsk_reschedule(tw, TCP_TIMEWAIT_LEN): an ACK restarts TIME-WAIT; an
        // out-of-window segment is ACKed and restarts it too.
        on(Ack, &[TIME_WAIT]).does(&[ARM_2MSL])
            .rfc("Linux tcp_timewait_state_process(): inet_twsk_reschedule()")
            .label("rcv ACK / restart TIME-WAIT"),
        on(Unacceptable, &[TIME_WAIT]).does(&[SND_DUP_ACK, ARM_2MSL])
            .rfc("Linux tcp_timewait_state_process(): tcp_timewait_check_oow_rate_limit(), inet_twsk_reschedule()")
            .label("rcv unacceptable / snd ACK, restart TIME-WAIT"),
        // tcp_fin() in TCP_ESTABLISHED (and TCP_SYN_RECV, which the segment's ACK has
        // made established) only schedules the ACK and enters interactive mode, so the
        // ACK goes by the delayed-ACK rule; FIN-WAIT-1/2 call tcp_send_ack() at once.
        on(Fin, &[ESTAB]).does(&[ProcessAck, AcceptText, AcceptFin, ACK_FIN_DELAYABLE, SIG_CLOSING])
            .to(CLOSE_WAIT).rfc("Linux tcp_fin(): inet_csk_schedule_ack(), inet_csk_enter_pingpong_mode()")
            .label("rcv FIN / snd ACK (delayed)").classic(),
        on(FinAckOfFin, &[ESTAB])
            .does(&[ProcessAck, AcceptText, AcceptFin, ACK_FIN_DELAYABLE, SIG_CLOSING]).to(CLOSE_WAIT)
            .rfc("Linux tcp_fin(): inet_csk_schedule_ack(), inet_csk_enter_pingpong_mode()")
            .label("rcv FIN / snd ACK (delayed)"),
        on(Fin, &[SYN_RCVD])
            .does(&[ProcessAck, AcceptText, AcceptFin, ACK_FIN_DELAYABLE, SIG_OPEN, SIG_CLOSING])
            .to(CLOSE_WAIT).rfc("Linux tcp_fin(): inet_csk_schedule_ack(), inet_csk_enter_pingpong_mode()")
            .label("rcv ACK of SYN,FIN / snd ACK (delayed)"),
        on(FinAckOfFin, &[SYN_RCVD])
            .does(&[ProcessAck, AcceptText, AcceptFin, ACK_FIN_DELAYABLE, SIG_OPEN, SIG_CLOSING])
            .to(CLOSE_WAIT).rfc("Linux tcp_fin(): inet_csk_schedule_ack(), inet_csk_enter_pingpong_mode()")
            .label("rcv ACK of SYN,FIN / snd ACK (delayed)"),
        // A SYN in the window of a request sock (passive SYN-RECEIVED): tcp_check_req()
        // goes to embryonic_reset, which answers it with tcp_v4_send_reset() (no ACK on
        // the SYN: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>) and drops the request. A
        // simultaneous open's full socket sends a challenge ACK (tcp_validate_incoming()).
        on(Syn, &[SYN_RCVD]).when(OpenedPassively).does(&[RESET_REPLY, ReturnToListen]).to(LISTEN)
            .rfc("Linux tcp_check_req(): embryonic_reset, tcp_v4_send_reset()")
            .label("rcv SYN / snd RST, return to LISTEN"),
        on(Syn, &[SYN_RCVD]).when(OpenedActively).does(&[CHALLENGE])
            .rfc("Linux tcp_validate_incoming(): tcp_send_challenge_ack()")
            .label("rcv SYN / snd challenge ACK"),
        // The same for a SYN,ACK: <SEQ=SEG.ACK><CTL=RST>. (One whose ACK is not ours is
        // also answered so, by the listener, but the request stays: tcp_check_req() reads
        // the ACK first, Param::SynReceivedAckFirst, which makes it ack_unacceptable.)
        on(SynAck, &[SYN_RCVD]).when(OpenedPassively).does(&[RESET_REPLY, ReturnToListen]).to(LISTEN)
            .rfc("Linux tcp_check_req(): embryonic_reset, tcp_v4_send_reset()")
            .label("rcv SYN / snd RST, return to LISTEN"),
        on(SynAck, &[SYN_RCVD]).when(OpenedActively).does(&[CHALLENGE])
            .rfc("Linux tcp_validate_incoming(): tcp_send_challenge_ack()")
            .label("rcv SYN / snd challenge ACK"),
        // A RST in a simultaneous open's SYN-RECEIVED: tcp_reset() reports ECONNREFUSED in
        // SYN-SENT only, ECONNRESET here. A request sock is dropped (embryonic_reset).
        on(RstExact, &[SYN_RCVD]).when(OpenedActively).does(&[SIG_RESET, DeleteTcb]).to(CLOSED)
            .rfc("Linux tcp_reset(): ECONNRESET outside SYN-SENT")
            .label("rcv RST / error: connection reset"),
        on(RstExact, &[SYN_RCVD]).when(OpenedPassively).does(&[ReturnToListen]).to(LISTEN)
            .rfc("Linux tcp_check_req(): embryonic_reset, the request dropped")
            .label("rcv RST / return to LISTEN"),
        // The peer's SYN again, below RCV.NXT: a request sock sends its SYN,ACK again
        // ("Check for pure retransmitted SYN"), any other unacceptable segment an ACK. A
        // simultaneous open's full socket ACKs it (tcp_validate_incoming()).
        on(Unacceptable, &[SYN_RCVD]).when(OpenedPassively).does(&[ACK_OR_SYN_ACK])
            .rfc("Linux tcp_check_req(): a retransmitted SYN -> tcp_rtx_synack(), else req->rsk_ops->send_ack()")
            .label("rcv unacceptable / snd ACK (SYN,ACK for the SYN again)"),
        on(Unacceptable, &[SYN_RCVD]).when(OpenedActively).does(&[SND_DUP_ACK])
            .rfc("Linux tcp_validate_incoming(): tcp_send_dupack(), or a challenge ACK for a SYN")
            .label("rcv unacceptable / snd ACK"),
        // Once the peer's FIN is in, text or a FIN at or after RCV.NXT is ignored without
        // an ACK: tcp_rcv_state_process()'s step 7 breaks out for TCP_CLOSE_WAIT,
        // TCP_CLOSING and TCP_LAST_ACK when !before(seq, rcv_nxt), and nothing schedules
        // one. A FIN that also acknowledges ours ends CLOSING in step 5 (tcp_time_wait(),
        // "goto consume"), unacknowledged.
        on(Fin, &[CLOSE_WAIT, CLOSING, LAST_ACK])
            .rfc("Linux tcp_rcv_state_process() step 7: TCP_CLOSE_WAIT/CLOSING/LAST_ACK, !before(seq, rcv_nxt) -> break")
            .label("rcv FIN again, elsewhere / ignore"),
        on(FinAckOfFin, &[CLOSING]).does(&[ProcessAck, StopTimers, ARM_2MSL]).to(TIME_WAIT)
            .rfc("Linux tcp_rcv_state_process() TCP_CLOSING: tcp_time_wait(), goto consume")
            .label("rcv ACK of FIN / enter TIME-WAIT"),
        // shutdown(SHUT_WR) in a simultaneous open's SYN-RECEIVED sends nothing and stays:
        // tcp_shutdown() skips TCP_SYN_RECV (Linux 6.10, "tcp: defer
        // shutdown(SEND_SHUTDOWN) for TCP_SYN_RECV sockets"), and tcp_rcv_state_process()
        // calls it again on entering ESTABLISHED (§3.10.4's "queue for processing after
        // entering ESTABLISHED state"). close() still sends its FIN (tcp_close_state()).
        on(Shutdown, &[SYN_RCVD]).when(OpenedActively).does(&[Action::DeferClose])
            .rfc("Linux tcp_shutdown(): not in TCP_SYN_RECV; tcp_rcv_state_process(): SEND_SHUTDOWN on entering ESTABLISHED")
            .label("SHUTDOWN / queue until ESTABLISHED"),
        on(Shutdown, &[SYN_RCVD]).when(OpenedPassively).does(&[SND_FIN]).to(FIN_WAIT_1)
            .rfc("Linux tcp_shutdown() never sees a request sock (no socket): §3.10.4 kept")
            .label("SHUTDOWN / snd FIN"),
        // A simultaneous open's SYN-RECEIVED takes the peer's SYN,ACK (Figure 7) and, its
        // SYN already received, acknowledges it: tcp_validate_incoming() lets it pass,
        // tcp_ack() makes the connection, tcp_data_queue() finds it ends at RCV.NXT.
        on(Event::AckOfSyn, &[SYN_RCVD]).when(OpenedActively)
            .does(&[ProcessAck, AcceptText, ACK_TEXT_OR_SYN, SIG_OPEN, SND_DATA]).to(ESTAB)
            .rfc("Linux tcp_rcv_state_process(): tcp_data_queue() -> tcp_send_dupack() for a segment ending at RCV.NXT")
            .label("rcv ACK of SYN / snd ACK for a SYN,ACK"),
        // (A profile's rules replace every row of the pair: the request socket's, restated.)
        on(Event::AckOfSyn, &[SYN_RCVD]).when(OpenedPassively)
            .does(&[ProcessAck, AcceptText, ACK_TEXT, SIG_OPEN, SND_DATA]).to(ESTAB)
            .rfc("Linux tcp_check_req() -> tcp_child_process(): §3.10.7.4's ACK of our SYN")
            .label("rcv ACK of SYN / x").classic(),
    ]
}

#[rustfmt::skip]
fn freebsd() -> Vec<Rule> {
    use Event::{
        Abort, Ack, AckOfFin, Close, FinWait2Timeout, RstExact, RstInWindow, Unacceptable,
    };
    vec![
        // tcp_disconnect() with SO_LINGER 0 calls tcp_drop(): TCPS_HAVERCVDSYN, so every
        // state from SYN-RECEIVED on sends tcp_outflags[TCPS_CLOSED] = TH_RST|TH_ACK ...
        on(Abort, &[ESTAB, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK])
            .does(&[SND_RST_ACK, DeleteTcb]).to(CLOSED)
            .rfc("FreeBSD tcp_disconnect() -> tcp_drop(): tcp_outflags[TCPS_CLOSED]")
            .label("ABORT / snd RST,ACK"),
        // ... but tcp_disconnect() first closes a connection not yet established, silently.
        on(Abort, &[SYN_RCVD]).does(&[DeleteTcb]).to(CLOSED)
            .rfc("FreeBSD tcp_disconnect(): t_state < TCPS_ESTABLISHED -> tcp_close()")
            .label("ABORT / delete TCB"),
        on(Close, &[SYN_RCVD]).does(&[DeleteTcb]).to(CLOSED)
            .rfc("FreeBSD tcp_disconnect(): t_state < TCPS_ESTABLISHED -> tcp_close()")
            .label("CLOSE / delete TCB"),
        on(AckOfFin, &[FIN_WAIT_1]).does(&[ProcessAck, AcceptText, ACK_TEXT, ARM_FIN_WAIT_2])
            .to(FIN_WAIT_2).rfc("FreeBSD tcp_input() TCPS_FIN_WAIT_1: TT_2MSL (TP_MAXIDLE)")
            .label("rcv ACK of FIN / start FIN-WAIT-2 timer").classic(),
        on(FinWait2Timeout, &[FIN_WAIT_2]).does(&[DeleteTcb]).to(CLOSED)
            .rfc("FreeBSD tcp_timer_2msl(): tcp_close()")
            .label("FIN-WAIT-2 timeout / delete TCB"),
        on(RstExact, &[TIME_WAIT]).rfc("FreeBSD tcp_twcheck(): RST dropped (RFC 1337)")
            .label("rcv RST / ignore"),
        on(RstInWindow, &[TIME_WAIT]).rfc("FreeBSD tcp_twcheck(): RST dropped (RFC 1337)")
            .label("rcv RST / ignore"),
        // tcp_twcheck() (Config::time_wait_acks_all classifies): every segment with ACK
        // is answered but a pure duplicate ACK, acceptable or not.
        on(Unacceptable, &[TIME_WAIT]).does(&[SND_ACK])
            .rfc("FreeBSD tcp_twcheck(): \"Acknowledge the segment if it has data or is not a duplicate ACK\"")
            .label("rcv segment / snd ACK"),
        on(Ack, &[TIME_WAIT])
            .rfc("FreeBSD tcp_twcheck(): a duplicate ACK is dropped")
            .label("rcv duplicate ACK / ignore"),
    ]
}

/// FreeBSD's `net.inet.tcp.insecure_syn=1`: tcp_do_segment() answers a SYN inside the
/// window with `tcp_drop(tp, ECONNRESET)`, whose RST,ACK comes from the TCB
/// (`<SEQ=SND.NXT><ACK=RCV.NXT>`, tcp_outflags[TCPS_CLOSED]), not RFC 793's reset built
/// from the segment. TIME-WAIT (tcp_twcheck()) and the syncache's SYN-RECEIVED do not
/// take this path, so their rows stay.
#[rustfmt::skip]
fn freebsd_insecure_syn() -> Vec<Rule> {
    use Event::{Syn, SynAck};
    let mut r = Vec::new();
    for e in [Syn, SynAck] {
        r.push(on(e, &RESET_SIGNALLED).does(&[SND_RST_ACK, SIG_RESET, DeleteTcb]).to(CLOSED)
            .rfc("FreeBSD tcp_do_segment(): V_tcp_insecure_syn, tcp_drop(tp, ECONNRESET)")
            .label("rcv SYN in window / snd RST,ACK, error: connection reset"));
    }
    // tcp_drop() sets so_error = ECONNRESET in every state: a socket shut for writing
    // still sees it.
    r.push(on(Syn, &[CLOSING, LAST_ACK]).does(&[SND_RST_ACK, SIG_RESET, DeleteTcb]).to(CLOSED)
        .rfc("FreeBSD tcp_do_segment(): V_tcp_insecure_syn, tcp_drop(tp, ECONNRESET)")
        .label("rcv SYN in window / snd RST,ACK, error: connection reset"));
    r.push(on(SynAck, &[CLOSING, LAST_ACK]).does(&[SND_RST_ACK, SIG_RESET, DeleteTcb]).to(CLOSED)
        .rfc("FreeBSD tcp_do_segment(): V_tcp_insecure_syn, tcp_drop(tp, ECONNRESET)")
        .label("rcv SYN in window / snd RST,ACK, error: connection reset"));
    r
}
