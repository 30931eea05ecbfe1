//! A pure, sans-IO TCP endpoint: a TCB and `step`.
//!
//! `step` does three things, in order:
//! 1. **classify** the input against the TCB into an [`Event`] (RFC 9293 §3.10.7's checks:
//!    sequence number, RST, SYN, ACK, FIN), which is mechanical;
//! 2. **look up** the one row for (state, event, origin) in the [`Table`], which is the only
//!    place protocol behaviour is decided;
//! 3. **apply** the row's actions in order and enter its next state, which is mechanical.
//!
//! No clocks, sockets or printing: the caller passes the time (`Env::now`, in abstract ticks)
//! and the ISN to use if a row chooses one (`Env::iss`), and gets segments and signals back.

use crate::out_of_line::{OutOfLine, static_default};
use crate::rtt::{self, Estimator, Rtt, SynFallback};
use crate::segment::{Flags, SackBlocks, Segment, TcpOptions};
use crate::seq::SeqSpace;
use crate::table::{
    Action, Emit, Event, Origin, RowId, Signal, Span, State, Table, Timer, UserError,
};
use serde::Serialize;

/// Fixed parameters of an endpoint. Times are in abstract ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Config {
    /// The sequence-number space (2^32 for real TCP).
    pub space: SeqSpace,
    /// Maximum segment lifetime (RFC 9293 §3.4.2).
    pub msl: u32,
    /// TIME-WAIT length when not 2×MSL (for sweeps); `None` means 2×MSL.
    pub time_wait: Option<u32>,
    /// Initial retransmission timeout (RFC 6298 §2).
    pub rto: u32,
    /// Upper bound on the backed-off RTO (RFC 6298 §2.5).
    pub rto_max: u32,
    /// Double the RTO on each retransmission (RFC 6298 §5.5).
    pub backoff: bool,
    /// Retransmissions before the user timeout fires (RFC 1122 §4.2.3.5, R2).
    /// [`Config::R2_INFINITE`] never gives up.
    pub max_retransmits: u8,
    /// Receive buffer: the window offered when empty. RCV.WND may exceed what the
    /// window field carries: without window scaling the field is 16 bits, so at most
    /// 65,535 is advertised (RFC 9293 §3.1, RFC 7323 §2.2; FreeBSD `TCP_MAXWIN`).
    pub rcv_buf: u32,
    /// The receive buffer is sized as FreeBSD's: a passive open's RCV.WND in
    /// SYN-RECEIVED is the SYN,ACK's window, at most 65,535 (`syncache_add()`: `sc_wnd`);
    /// once the peer's MSS is known (a SYN in SYN-SENT, the ACK of our SYN,ACK), the
    /// buffer grows to a multiple of the send MSS, `mss` (`tcp_mss()`:
    /// `roundup(so_rcv.sb_hiwat, t_maxseg)`, 65,536 becoming 65,700 for an MSS of 1460).
    pub rcv_buf_mss_multiple: bool,
    /// With window scaling, the window we advertise is rounded up to a multiple of the
    /// scale unit before the shift, so it never scales to less than is free (FreeBSD
    /// `tcp_output()`: `roundup2(recwin, 1 << rcv_scale)`); else it is shifted down.
    pub scaled_window_rounds_up: bool,
    /// Largest text a segment carries.
    pub mss: u32,
    /// FIN-WAIT-2 timeout, for profiles that arm one.
    pub fin_timeout: u32,
    /// The options our SYN offers (and, as far as the peer's SYN offered them too, our
    /// SYN,ACK carries). RFC 9293's default is the MSS option only
    /// ([`SynOptions::MSS_ONLY`]); the `linux` and `freebsd` profiles set their own
    /// ([`crate::profile::Param`]).
    pub syn_options: SynOptions,
    /// Retransmissions of our SYN (in SYN-SENT) before the user timeout; `None`: as
    /// `max_retransmits` (Linux `net.ipv4.tcp_syn_retries`).
    pub syn_retries: Option<u8>,
    /// Retransmissions of our SYN,ACK (in SYN-RECEIVED) before the user timeout; `None`:
    /// as `max_retransmits` (Linux `net.ipv4.tcp_synack_retries`).
    pub synack_retries: Option<u8>,
    /// A retransmitted FIN (entirely below RCV.NXT) that acknowledges our FIN is taken as
    /// the ACK of our FIN (`ack_of_fin`) rather than dropped after an ACK
    /// (`fin_retransmit`): its ACK field is read. RFC 9293's first step drops it unread;
    /// Linux (`tcp_sequence()` accepts a segment ending at RCV.WUP or later) and FreeBSD
    /// (`tcp_input()`: "drop it, but check the ACK") read it.
    pub fin_retransmit_ack: bool,
    /// Read by a socket layer, not by `step`: closing a socket with received text unread
    /// aborts the connection (RFC 9293 §3.6 SHLD-2, Linux `__tcp_close()`); otherwise the
    /// text is discarded and the close sends a FIN (FreeBSD `tcp_disconnect()`).
    pub abort_on_unread_close: bool,
    /// Delayed ACKs (RFC 9293 §3.8.6.3 SHLD-18, MUST-40; RFC 1122 §4.2.3.2): `None` ACKs
    /// every segment at once (allowed, and RFC 9293's default here); `Some(ato)` lets an
    /// ACK of text wait up to `ato` ticks for the delayed-ACK timer, as Linux decides
    /// (`__tcp_ack_snd_check()`): at once in quick-ACK mode, when more than one full
    /// segment is unacknowledged, or for out-of-order text; else by the timer, unless
    /// something we send carries the ACK first (see [`AckState`]).
    pub delayed_ack: Option<u32>,
    /// Which rule decides, with `delayed_ack` set, whether an ACK of text waits
    /// ([`AckPolicy`]).
    pub ack_policy: AckPolicy,
    /// Quick-ACK mode's budget with delayed ACKs on: how many ACKs of new text go out at
    /// once at the start, or after a gap (Linux `TCP_MAX_QUICKACKS`, 16;
    /// `tcp_incr_quickack()` takes at most RCV.WND / (2 × rcv_mss) of them).
    pub max_quickacks: u8,
    /// With timestamps on, a non-RST segment without TSopt is processed (true: Linux,
    /// whose `tcp_validate_incoming()` runs PAWS only when `saw_tstamp`) rather than
    /// dropped silently (false: RFC 7323 §3.2's SHOULD).
    pub accept_without_ts: bool,
    /// TS.Recent takes SEG.TSval only once the ACK field was accepted and processed
    /// (true: Linux's `tcp_ack()` with `FLAG_UPDATE_TS_RECENT`, never for an ACK of unsent
    /// data), rather than before the ACK is looked at (false: RFC 7323 §4.3, §5.3 R3).
    pub ts_recent_after_ack: bool,
    /// PSH also on a segment that fills the send window while text stays queued (true:
    /// Linux, whose `forced_push()` marks a push once more than half the largest window
    /// was written since the last); false: only on the segment that empties the queue
    /// (FreeBSD's `tcp_output()`). RFC 1122 §4.2.2.2 asks PSH on "the last buffered
    /// segment" and leaves the rest to the implementation.
    pub push_at_window_edge: bool,
    /// PSH on every text segment (Linux as packetdrill sees it: every TSO/GSO packet its
    /// `tcp_sendmsg_locked()` hands the device carries PSH, as the corpus's `mss/`,
    /// `eor/` and `timestamping/` scripts expect, and one segment of a packet is what the
    /// interpreter merges back into one, `engine::offloaded`).
    pub push_every_segment: bool,
    /// Every ACK sent from FIN-WAIT-1, CLOSING or LAST-ACK while our FIN is
    /// unacknowledged carries the FIN again, at its sequence number (FreeBSD's
    /// `tcp_output()`: `tcp_outflags[]` has FIN in those states, and with `TF_SENTFIN`
    /// `snd_nxt` steps back onto the FIN). RFC 9293 sends a bare ACK. A challenge ACK
    /// stays bare (`tcp_send_challenge_ack()` sends it with `tcp_respond()`).
    pub ack_carries_fin: bool,
    /// TIME-WAIT answers as FreeBSD's `tcp_twcheck()` (sys/netinet/tcp_timewait.c)
    /// rather than by §3.10.7.4's steps: a RST is dropped (the profile's rows), a SYN
    /// without ACK above RCV.NXT is a new connection request (`syn`), any other segment
    /// without ACK is dropped (`no_ack`), a FIN retransmission ending just at RCV.NXT is
    /// acknowledged and restarts the 2MSL timer (`fin_retransmit`), a pure duplicate ACK
    /// (only ACK set, no text, SEG.SEQ = RCV.NXT, SEG.ACK = SND.NXT) is absorbed (`ack`),
    /// and everything else, acceptable or not, is answered with an ACK (`unacceptable`:
    /// "Acknowledge the segment if it has data or is not a duplicate ACK").
    pub time_wait_acks_all: bool,
    /// A SYN in a synchronized state is answered by RFC 5961 §4.2's challenge ACK
    /// "irrespective of the sequence number", before the acceptability test: one outside
    /// the window gets the same bare ACK as one inside, never the FIN that
    /// [`Config::ack_carries_fin`] puts on the ACK of another unacceptable segment
    /// (FreeBSD's `tcp_do_segment()`: the SYN check and `tcp_send_challenge_ack()` come
    /// before PAWS and the trimming of the segment to the window).
    pub syn_challenge_first: bool,
    /// A segment with both SYN and FIN is dropped before any connection (or closed port)
    /// sees it, RST or not (FreeBSD's `tcp_input()`: `net.inet.tcp.drop_synfin = 1`,
    /// `V_drop_synfin`). Off by default, as in FreeBSD.
    pub drop_synfin: bool,
    /// Text and a FIN that arrive in the window beyond RCV.NXT are held for later
    /// processing (RFC 9293 §3.10.7.4, SHLD-31; Linux `tcp_data_queue_ofo()`), within the
    /// receive window, and taken in order once the gap before them fills; with SACK
    /// negotiated, our ACKs report them (RFC 2018). Off (the default, and the model
    /// checker's), such a segment is answered like an unacceptable one and dropped. The
    /// interpreter turns it on.
    pub hold_out_of_order: bool,
    /// D-SACK (RFC 2883): with SACK negotiated, the ACK answering a segment whose text we
    /// already have reports that text in a first SACK block (Linux `net.ipv4.tcp_dsack` =
    /// 1: `tcp_dsack_set()`, `tcp_send_dupack()`).
    pub dsack: bool,
    /// Measure round trips and set the RTO from them ([`crate::rtt`]): RFC 6298's
    /// estimator or Linux's, with Karn's algorithm (RFC 6298 §3) and timestamp samples
    /// (RFC 7323 §4). `None` (the default) keeps the RTO at `rto`, doubled per
    /// retransmission since the last new acknowledgment: the model checker's choice, as
    /// its ticks are abstract. The interpreter measures. The fields below up to
    /// `syn_linear_timeouts` are read only when this is set, and are left out of the
    /// checker's state with [`Tcb::rtt`].
    pub rtt: Option<Estimator>,
    /// The least RTO (RFC 6298 (2.4): "SHOULD be rounded up to 1 second"), or under
    /// Linux's estimator the least deviation term (`TCP_RTO_MIN`, 200 ms), so that the
    /// RTO is at least SRTT plus it.
    pub rto_min: u32,
    /// RFC 6298's G, the clock granularity: the least variance term (RFC), or the unit
    /// Linux rounds the RTO up to (a jiffy, `usecs_to_jiffies()`).
    pub clock_granularity: u32,
    /// What the handshake leaves the RTO at when it gave no good sample (RFC 6298 §5.7).
    pub syn_fallback: SynFallback,
    /// The RTO [`Config::syn_fallback`] sets: 3 s (RFC 6298 §5.7; Linux
    /// `TCP_TIMEOUT_FALLBACK`).
    pub rto_fallback: u32,
    /// SYN retransmissions (in SYN-SENT) before the RTO backs off, which are then also
    /// added to `syn_retries` (Linux `net.ipv4.tcp_syn_linear_timeouts`:
    /// `tcp_retransmit_timer()`, `tcp_write_timeout()`); 0: back off from the first.
    pub syn_linear_timeouts: u8,
    /// Added to every RTO computed after the initial one, backed off or measured, the
    /// sum at most `rto_max` (FreeBSD's `TCPT_RANGESET()`: `net.inet.tcp.rexmit_slop`,
    /// 200 ms, in `tcp_timer_rexmt()` and `tcp_xmit_timer()`). 0 (RFC 6298, Linux): none.
    pub rto_slop: u32,
    /// A tail loss probe (RFC 8985 §7, Linux `tcp_schedule_loss_probe()`,
    /// `tcp_send_loss_probe()`) with SACK on and no RTO recovery under way: the
    /// retransmission timer first fires after PTO = 2·SRTT plus the RTO minimum with one
    /// segment in flight (time for a delayed ACK), plus this with more (Linux
    /// `TCP_TIMEOUT_MIN_US`, 2 ms), never after the RTO would, and resends the last
    /// segment, once, without backing off. `None`: no probe. Read only with `rtt` set.
    pub tail_loss_probe: Option<u32>,
    /// The user timeout (RFC 9293 §3.9.1 USER TIMEOUT, RFC 5482; Linux's
    /// `TCP_USER_TIMEOUT`, `icsk_user_timeout`), in ticks: the longest the connection
    /// waits for an acknowledgment of what it sent before it is aborted (the user is told
    /// the connection timed out, the TCB is deleted, nothing is sent: §3.10.8). Set, it is
    /// R2 measured in time rather than in retransmissions (RFC 1122 §4.2.3.5 lets R2 be
    /// either; Linux's `retransmits_timed_out()` then ignores `tcp_retries2`); in SYN-SENT
    /// and SYN-RECEIVED the SYN retry counts apply as well (`tcp_write_timeout()`). The
    /// retransmission timer is clamped so that it fires when the timeout passes
    /// (`tcp_clamp_rto_to_user_timeout()`). `None` (the default, and the checker's): R2
    /// counts retransmissions. An endpoint input: a socket layer sets it per connection
    /// (`setsockopt`), as §3.9.1's OPEN and SEND calls take it.
    pub user_timeout: Option<u32>,
    /// The user timeout counts from the first retransmission by the retransmission timer
    /// since the last forward progress (true: Linux, whose `tcp_retransmit_skb()` saves
    /// `retrans_stamp` there and `retransmits_timed_out()` measures from it; a tail loss
    /// probe does not start it; in SYN-SENT from the first SYN, `tcp_connect()`), rather
    /// than from when the oldest unacknowledged segment went out, or from the last ACK of
    /// new data since (false: RFC 5482 §1, how long "transmitted data may remain
    /// unacknowledged").
    pub user_timeout_from_retransmit: bool,
    /// Read by a socket layer, not by `step`: text that arrives in FIN-WAIT-1 or
    /// FIN-WAIT-2 after close() (nobody will read it) deletes the TCB without a word and
    /// is answered as at a closed port, `<SEQ=SEG.ACK><CTL=RST>` (true: Linux's
    /// `tcp_rcv_state_process()` calls `tcp_reset()` and returns non-zero, so
    /// `tcp_v4_do_rcv()` answers the segment with `tcp_v4_send_reset()`), rather than by
    /// ABORT's reset from the connection (false: RFC 9293 §3.6.1 SHLD-2 with §3.10.5).
    /// The same code resets a connection whose peer's FIN is in (CLOSE-WAIT, CLOSING,
    /// LAST-ACK) on text that starts before RCV.NXT and goes past it, beyond the FIN
    /// (true: `tcp_rcv_state_process()` falls through to FIN-WAIT's "RFC 1122 says we
    /// MUST send a reset" when the segment starts before RCV.NXT; RFC 9293 ignores such
    /// text, §3.10.7.4's seventh step).
    pub abort_on_data_reply: bool,
    /// Read by a socket layer, not by `step`: a passively opened connection still in
    /// SYN-RECEIVED outlives its listener's close() (true: Linux keeps the request
    /// socket hashed, `inet_csk_listen_stop()` only empties the accept queue): it is
    /// dropped, nothing sent (ABORT's row), when its SYN,ACK timer next fires
    /// (`reqsk_timer_handler()`: the listener is not in LISTEN) or when a segment reaches
    /// it (`tcp_v4_rcv()`: `inet_csk_reqsk_queue_drop_and_put()`, then the segment is
    /// looked up again, as at a closed port when nothing else listens). False: RFC 9293
    /// §3.10.4's CLOSE of a listener aborts it at once (ABORT, §3.10.5).
    pub request_outlives_listener: bool,
    /// Read by a socket layer, not by `step`: a connection that reached ESTABLISHED and
    /// was closed (reset) before `accept()` stays in its listener's accept queue, and
    /// `accept()` hands it out, CLOSED, with its error (true: Linux, `tcp_reset()` ->
    /// `tcp_done()` leaves a child that is not orphaned where it is, and
    /// `inet_csk_accept()` takes the queue's head whatever its state). False: the TCB is
    /// deleted (RFC 9293 §3.10.7.4) and nothing is left to accept.
    pub reset_child_accepted: bool,
    /// A passively opened SYN-RECEIVED checks a segment's ACK before its sequence number
    /// (Linux's request socket, `tcp_check_req()`: "Invalid ACK: reset will be sent by
    /// listening socket"): a segment with ACK, without RST, whose SEG.ACK is not ISS+1 is
    /// `ack_unacceptable` (answered `<SEQ=SEG.ACK><CTL=RST>`, the connection kept),
    /// wherever it lies and whether or not it carries SYN. RFC 9293 §3.10.7.4 checks the
    /// sequence number first (an unacceptable segment is answered with an ACK) and a SYN
    /// before the ACK. A RST is judged by its sequence number alone, as RFC 9293's
    /// second step does (Linux 6.18.44, as measured: an exact one drops the request
    /// whatever its ACK, one elsewhere in the window draws an ACK, one outside is
    /// dropped).
    pub syn_received_ack_first: bool,
    /// A passively opened SYN-RECEIVED tests the peer's SYN,ACK again (SEG.SEQ = IRS,
    /// nothing but the SYN) whole against its window, where it lies just below RCV.NXT:
    /// `unacceptable`, answered with an ACK, the connection kept (Linux's request socket,
    /// `tcp_check_req()`: `tcp_in_window()` before "Truncate SYN"). RFC 9293 (Figure 7,
    /// §3.10.7.4's "only the new parts") trims the old SYN and takes the ACK of ours.
    pub syn_received_window_untrimmed: bool,
    /// In SYN-SENT, a segment whose ACK is unacceptable (answered with a reset, or a RST
    /// dropped) re-arms the retransmission timer to this many ticks while our SYN has not
    /// been retransmitted, so the SYN goes again at once (Linux
    /// `tcp_rcv_synsent_state_process()`: "Previous FIN/ACK or RST/ACK might be ignored",
    /// `TCP_TIMEOUT_MIN`); the timer's firing is an ordinary retransmission, counted and
    /// timed as any other. `None`: the timer runs on (RFC 9293 §3.10.7.3).
    pub syn_retransmit_after_bad_ack: Option<u32>,
    /// Out-of-window ACKs are at most one per this many ticks: a challenge ACK
    /// ([`Emit::ChallengeAck`]), the ACK for a bad ACK field ([`Emit::AckOfBadAck`]), and
    /// the ACK for an unacceptable segment ([`Emit::DupAck`], [`Emit::AckOrSynAck`]) when
    /// that segment has no text and no FIN, or has SYN, is skipped if the last one sent
    /// went less than this long ago (Linux `__tcp_oow_rate_limited()`,
    /// `net.ipv4.tcp_invalid_ratelimit`); each one sent restarts the count. The time is
    /// the connection's ([`AckState::last_oow_ack`]), forgotten when a request sock
    /// becomes a full socket and when TIME-WAIT begins. `None`: every one is sent (RFC
    /// 9293; RFC 5961 §7 leaves throttling to the implementation).
    pub oow_ack_rate_limit: Option<u32>,
    /// Once the peer's FIN is in (CLOSE-WAIT, CLOSING, LAST-ACK), a segment whose text
    /// or FIN lies beyond RCV.NXT in the window is read for its ACK alone (an ACK event:
    /// no answer of its own) rather than answered as unacceptable (Linux
    /// `tcp_rcv_state_process()`: step 5, then step 7 breaks out for these states when
    /// `!before(seq, rcv_nxt)`; rows 9024–9026 do the same for a FIN at RCV.NXT).
    pub ignore_beyond_after_fin: bool,
    /// After a retransmission timeout while our SYN is unacknowledged (SYN-SENT or
    /// SYN-RECEIVED), a FIN queued before the ACK of our SYN waits for it, as text does
    /// (true: Linux, whose `tcp_retransmit_timer()` -> `tcp_enter_loss()` leaves a
    /// congestion window of one segment, which the SYN,ACK in flight fills, so
    /// `tcp_write_xmit()`'s `tcp_cwnd_test()` holds the FIN that `__tcp_close()` ->
    /// `tcp_send_fin()` queued in SYN-RECEIVED). False: RFC 9293 §3.10.4, a CLOSE in
    /// SYN-RECEIVED with nothing queued sends its FIN at once.
    pub fin_held_after_handshake_loss: bool,
    /// Text on a SYN (no Fast Open) is discarded, not held or taken: a listener's SYN
    /// (Linux `tcp_conn_request()` queues no text without a TFO cookie), and a SYN or
    /// SYN,ACK in SYN-SENT (`tcp_rcv_synsent_state_process()` ACKs the SYN,ACK's SYN
    /// alone and frees the segment; "discard packet for sanity" for a simultaneous
    /// open's SYN). The peer sends the text again. RFC 9293 §3.10.7.2 and §3.10.7.3 hold
    /// or take it (false).
    pub syn_text_dropped: bool,
    /// Linux's initial receive window (`tcp_select_initial_window()`): `Some(space)`
    /// starts RCV.WND at the smaller of `space` and `rcv_buf`, rounded down to a multiple
    /// of the MSS the peer's text comes in (our MSS, less the timestamp option in a
    /// passive open that agreed to timestamps: `tcp_openreq_init_rwin()`; an active
    /// open's SYN does not subtract it, `tcp_connect_init()`). `space` is
    /// `tcp_full_space()`: `net.ipv4.tcp_rmem[1]` at the default scaling ratio of one
    /// half (`tcp_win_from_space()`). `None`: RCV.WND starts at `rcv_buf`.
    pub initial_rcv_space: Option<u32>,
    /// A FIN queued behind text not yet sent rides on the segment that empties the
    /// queue (`FP.`), and a retransmission of the last text carries the FIN sent after it
    /// when both fit one segment (Linux `tcp_send_fin()` sets FIN on the write queue's
    /// unsent tail; `tcp_retrans_try_collapse()` merges the FIN into the retransmitted
    /// text, net.ipv4.tcp_retrans_collapse = 1). RFC 9293 §3.10.4 sends the FIN after
    /// the text, on a segment of its own (false). (Linux's window test also counts the
    /// FIN's sequence number, `tcp_snd_wnd_test()`; here the FIN rides whenever the text
    /// goes.)
    pub fin_on_last_segment: bool,
    /// A segment that starts just at the right edge of the window, SEG.SEQ =
    /// RCV.NXT+RCV.WND, is acceptable (RFC 9293's test: not): a full socket takes one
    /// that ends there too or carries no text but a FIN, or any while no text waits to be
    /// read (Linux `tcp_sequence()` drops only a segment starting after the edge, "Only
    /// accept this packet if receive queue is empty", and lets a FIN lie past it); a passive SYN-RECEIVED (Linux's request socket) only one of no
    /// length (`tcp_in_window()`: `seq == e_win && seq == end_seq`). Not TIME-WAIT. The
    /// edge is the one the last ACK advertised ([`AckState::rcv_edge`], Linux `rcv_wup +
    /// rcv_wnd`) where one was sent.
    pub right_edge_acceptable: bool,
    /// Nagle's algorithm (RFC 896; RFC 1122 §4.2.3.4; RFC 9293 §3.7.4 SHLD-7), in
    /// Minshall's variant as Linux runs it (`tcp_nagle_test()` -> `tcp_nagle_check()`,
    /// `tcp_minshall_check()`): the segment that empties the send queue, when shorter
    /// than the effective MSS and without a FIN on it, is held while something is in
    /// flight and the last short segment sent ([`Tcb::snd_sml`]) is unacknowledged; it
    /// goes when that is acknowledged, or as a tail loss probe (`tcp_send_loss_probe()`
    /// sends new text with `TCP_NAGLE_OFF`). A socket layer turns it off per connection
    /// (`TCP_NODELAY`). False: every segment goes as soon as the window allows.
    pub nagle: bool,
    /// After a retransmission timeout, new text and a FIN wait while anything sent is
    /// unacknowledged, until an ACK of new data (true: Linux's loss window,
    /// `tcp_enter_loss()` sets the congestion window to the packets in flight + 1 with
    /// all of them marked lost, so once the timer resends the oldest segment
    /// `tcp_write_xmit()`'s `tcp_cwnd_test()` holds the rest; RFC 5681 §3.1's loss window
    /// of one segment). False: the send window alone limits what goes (congestion
    /// control is otherwise not modelled).
    pub loss_window: bool,
    /// A simultaneous open's SYN-RECEIVED tests a segment as Linux's full socket does
    /// there (`tcp_rcv_state_process()` in `TCP_SYN_RECV`, not the request socket's
    /// `tcp_check_req()`): text or a FIN ending at RCV.NXT passes the sequence test
    /// (`tcp_sequence()`: only a segment ending before RCV.WUP is old), so its ACK is read;
    /// and SEG.ACK = SND.UNA is acceptable (`tcp_ack()` refuses only an ACK before SND.UNA
    /// or after SND.NXT), so the connection is established with our SYN unacknowledged
    /// (its SYN,ACK goes again on the retransmission timer). An ACK outside SND.UNA =<
    /// SEG.ACK =< SND.NXT is answered `<SEQ=SEG.ACK><CTL=RST>` (`tcp_ack()` <= 0 in
    /// `TCP_SYN_RECV`: "send one RST"). Its SYN,ACK retransmissions count to
    /// `syn_retries`, not `synack_retries` (`tcp_write_timeout()`: `TCPF_SYN_SENT |
    /// TCPF_SYN_RECV` use `tcp_syn_retries`; `tcp_synack_retries` is the request
    /// socket's). RFC 9293 §3.10.7.4: the strict sequence test, and SND.UNA < SEG.ACK =<
    /// SND.NXT (false).
    pub simultaneous_open_full_socket: bool,
    /// A simultaneous open's SYN,ACK is our SYN sent again (Linux `tcp_send_synack()`
    /// sets ACK on the SYN's own buffer; `tcp_transmit_skb()` -> `tcp_syn_options()`): it
    /// offers every option our SYN offered, whatever the peer's SYN did. And with a peer
    /// whose SYN offered no window scale, our windows are still shifted by the scale our
    /// SYN offered (the peer's are not): `tcp_rcv_synsent_state_process()` clears
    /// `rcv_wscale` only in its SYN,ACK branch ("if (!tp->rx_opt.wscale_ok)"), not in the
    /// crossed-SYN one (measured on 6.18.44: `win 502` for 64240). RFC 7323 §2.2: no
    /// scaling unless both SYNs offered it, and the SYN,ACK carries what was agreed
    /// (false).
    pub simultaneous_open_resends_syn: bool,
    /// An old ACK (SEG.ACK < SND.UNA) is a harmless duplicate only within the bytes the
    /// peer has acknowledged so far, not just MAX.SND.WND back: below SND.UNA -
    /// min(MAX.SND.WND, bytes acknowledged) it is unacceptable, answered with an ACK and
    /// the segment dropped, text and all (Linux `tcp_ack()`: "do not accept ACK for bytes
    /// we never sent", `min(tp->max_window, tp->bytes_acked)`; a passive child starts
    /// with SND.UNA = ISS+1 and none acknowledged, so right after the handshake every
    /// ACK below SND.UNA is too old). The count is taken modulo the sequence space
    /// (Linux's is 64-bit). RFC 5961 §5.2 bounds by MAX.SND.WND alone (false).
    pub old_ack_within_bytes_acked: bool,
    /// The peer's FIN takes one from RCV.WND, as a byte of text would, and gives it back
    /// never: the window offered after it ends where the last one did (Linux: the FIN's
    /// skb is queued for the reader, so `__tcp_select_window()` finds less free space
    /// than the window already offered and `tcp_select_window()` keeps the old right
    /// edge, `rcv_wup + rcv_wnd`: "win 64239" after "win 64240"). RFC 9293: a FIN takes
    /// a sequence number but no buffer (false).
    pub fin_takes_window: bool,
    /// The sequence test's left edge is the RCV.NXT our last ACK carried (Linux
    /// `tp->rcv_wup`), and a segment passes if it ends there or after (`tcp_sequence()`:
    /// `before(end_seq, rcv_wup)` drops), so one that is all old text, ending at RCV.NXT
    /// or inside text not yet acknowledged, is acceptable; RFC 9293 §3.10.7.4 asks part
    /// of it at RCV.NXT or after (false). Such a segment, and one with text or FIN at the
    /// right edge ([`Config::right_edge_acceptable`]), then has its ACK field checked
    /// (`tcp_ack()`: a refused ACK draws a challenge ACK and drops it) before its text,
    /// which is answered at once as a duplicate or out of the window (`tcp_data_queue()`:
    /// an immediate ACK, not rate-limited); a bare ACK is read. Not in SYN-RECEIVED or
    /// TIME-WAIT. (Linux also reads a good ACK field of such a segment with text; here it
    /// is answered unread.)
    pub acceptable_to_rcv_wup: bool,
    /// In CLOSE-WAIT, CLOSING and LAST-ACK a RST numbered RCV.NXT-1, the sequence
    /// number of the peer's FIN, resets the connection as one at RCV.NXT does, whether
    /// or not the first step finds it in the window (true: Linux `tcp_validate_incoming()`
    /// -> `tcp_reset_check()`, in both its not-acceptable and its RST branch: a peer may
    /// number its RST before its FIN). False: RFC 9293 §3.10.7.4 (RFC 5961 §3.2), only a
    /// RST at RCV.NXT resets; one outside the window is dropped, one inside it gets a
    /// challenge ACK.
    pub rst_before_fin_resets: bool,
    /// Read by a socket layer, not by `step`: once a connection that never reached
    /// ESTABLISHED was reset or timed out (a refused or failed connect) and its error
    /// was reported, a read returns 0, end of file (true: Linux `tcp_done()` sets
    /// `sk_shutdown = SHUTDOWN_MASK`, and `tcp_recvmsg_locked()` tests RCV_SHUTDOWN before
    /// it says ENOTCONN for TCP_CLOSE; `tcp_disconnect()` clears it again). And text
    /// queued unread when any connection was reset or timed out is read before the
    /// error (`tcp_done()` leaves `sk_receive_queue`, which `tcp_recvmsg_locked()` reads
    /// before `sk_err`). False: RFC 9293 §3.10.3, RECEIVE in CLOSED says "connection
    /// does not exist" (ENOTCONN), and §3.10.7.4 flushes the queues on a reset.
    pub read_after_reset_eof: bool,
}

/// How an endpoint with delayed ACKs ([`Config::delayed_ack`]) decides that an ACK of
/// in-order text waits for the delayed-ACK timer. Either way out-of-order text, or text
/// that finds the out-of-order queue not empty, is ACKed at once (RFC 5681 §4.2), and
/// so are duplicates and (but under Linux's `tcp_fin()` rows) a FIN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AckPolicy {
    /// Linux's `__tcp_ack_snd_check()`: at once in quick-ACK mode or when more than one
    /// full segment is unacknowledged; else by the timer (see [`AckState`]).
    #[default]
    Linux,
    /// FreeBSD's `DELAY_ACK()` (`sys/netinet/tcp_input.c`): the ACK waits only if the
    /// delayed-ACK timer is not running already (so every second segment is ACKed at
    /// once, RFC 1122 §4.2.3.2), the segment is at most the MSS (`t_maxseg`) and no
    /// D-SACK block is pending (text partly below RCV.NXT); no quick-ACK mode. Not
    /// modelled: `TF_RXWIN0SENT` (no delay after a zero window
    /// was advertised).
    Freebsd,
}

/// What our SYN offers (RFC 9293 §3.7.1, RFC 7323, RFC 2018).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SynOptions {
    /// The MSS option's value (the largest text we receive), if sent.
    pub mss: Option<u16>,
    /// Our window scale shift (Rcv.Wind.Shift, RFC 7323 §2.2; at most 14), if offered.
    pub wscale: Option<u8>,
    /// Offer SACK-permitted (RFC 2018).
    pub sack_permitted: bool,
    /// Offer timestamps (RFC 7323 §3).
    pub timestamps: bool,
}

impl SynOptions {
    /// No options at all.
    pub const NONE: SynOptions = SynOptions {
        mss: None,
        wscale: None,
        sack_permitted: false,
        timestamps: false,
    };
    /// RFC 9293's default: the MSS option (1460) and nothing else.
    pub const MSS_ONLY: SynOptions = SynOptions {
        mss: Some(1_460),
        ..SynOptions::NONE
    };
    /// What Linux offers: `<mss 1460,sackOK,TS val .. ecr 0,nop,wscale 7>`.
    pub const LINUX: SynOptions = SynOptions {
        mss: Some(1_460),
        wscale: Some(7),
        sack_permitted: true,
        timestamps: true,
    };
    /// What FreeBSD offers: `<mss 1460,nop,wscale 6,sackOK,TS val .. ecr 0>` (the shift is
    /// the smallest that covers `kern.ipc.maxsockbuf`, 2 MiB).
    pub const FREEBSD: SynOptions = SynOptions {
        mss: Some(1_460),
        wscale: Some(6),
        sack_permitted: true,
        timestamps: true,
    };
}

impl Default for SynOptions {
    fn default() -> SynOptions {
        SynOptions::MSS_ONLY
    }
}

impl Default for Config {
    /// RFC values, with 1 tick = 1 ms: MSL 2 minutes, RTO 1 s (backing off to 60 s),
    /// 15 retransmissions (Linux's `tcp_retries2`), a 64 KiB buffer.
    fn default() -> Config {
        Config {
            space: SeqSpace::TCP,
            msl: 120_000,
            time_wait: None,
            rto: 1_000,
            rto_max: 60_000,
            backoff: true,
            max_retransmits: 15,
            rcv_buf: 65_535,
            rcv_buf_mss_multiple: false,
            scaled_window_rounds_up: false,
            mss: 1_460,
            fin_timeout: 60_000,
            syn_options: SynOptions::MSS_ONLY,
            syn_retries: None,
            synack_retries: None,
            fin_retransmit_ack: false,
            abort_on_unread_close: true,
            delayed_ack: None,
            ack_policy: AckPolicy::Linux,
            max_quickacks: 16,
            accept_without_ts: false,
            ts_recent_after_ack: false,
            push_at_window_edge: true,
            push_every_segment: false,
            ack_carries_fin: false,
            time_wait_acks_all: false,
            syn_challenge_first: false,
            drop_synfin: false,
            hold_out_of_order: false,
            dsack: false,
            rtt: None,
            rto_min: 1_000,
            clock_granularity: 1,
            syn_fallback: SynFallback::SynRetransmitted,
            rto_fallback: 3_000,
            syn_linear_timeouts: 0,
            rto_slop: 0,
            tail_loss_probe: None,
            user_timeout: None,
            user_timeout_from_retransmit: false,
            abort_on_data_reply: false,
            request_outlives_listener: false,
            reset_child_accepted: false,
            syn_received_ack_first: false,
            syn_received_window_untrimmed: false,
            syn_retransmit_after_bad_ack: None,
            oow_ack_rate_limit: None,
            ignore_beyond_after_fin: false,
            fin_held_after_handshake_loss: false,
            syn_text_dropped: false,
            initial_rcv_space: None,
            fin_on_last_segment: false,
            right_edge_acceptable: false,
            nagle: false,
            loss_window: false,
            simultaneous_open_full_socket: false,
            simultaneous_open_resends_syn: false,
            old_ack_within_bytes_acked: false,
            fin_takes_window: false,
            acceptable_to_rcv_wup: false,
            rst_before_fin_resets: false,
            read_after_reset_eof: false,
        }
    }
}

impl Config {
    /// How long a timer of this span runs.
    pub fn span(&self, span: Span) -> u32 {
        match span {
            Span::TwoMsl => self.time_wait.unwrap_or(self.msl.saturating_mul(2)),
            Span::OneMsl => self.msl,
            Span::FinTimeout => self.fin_timeout,
        }
    }

    /// `max_retransmits` for an R2 of infinity, which RFC 1122 §4.2.3.5 lets an application
    /// set ("an interactive application might set R2 to infinity"): the connection never
    /// gives up, and the retry count stops growing once the RTO stops growing.
    pub const R2_INFINITE: u8 = u8::MAX;

    /// The retry count after one more retransmission: with an infinite R2 it stops where
    /// the backed-off RTO reaches its bound (so a state never counts retries forever).
    fn retries_after(&self, retries: u8) -> u8 {
        let next = retries.saturating_add(1);
        if self.max_retransmits == Self::R2_INFINITE
            && self.rto_after(next) == self.rto_after(retries)
        {
            retries
        } else {
            next
        }
    }

    /// What the estimator reads ([`crate::rtt::Params`]), when RTTs are measured.
    pub fn rtt_params(&self) -> Option<rtt::Params> {
        self.rtt.map(|estimator| rtt::Params {
            estimator,
            granularity: u64::from(self.clock_granularity),
            rto_min: u64::from(self.rto_min),
            rto_max: u64::from(self.rto_max),
        })
    }

    /// The fixed RTO (RTTs not measured) after `retries` retransmissions.
    pub fn rto_after(&self, retries: u8) -> u32 {
        if self.backoff {
            let shifted = (self.rto as u64) << retries.min(32);
            shifted.min(self.rto_max as u64) as u32
        } else {
            self.rto
        }
    }
}

/// Timer deadlines, in ticks; `None` when not running.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Timers {
    /// Retransmission.
    pub retransmit: Option<u64>,
    /// TIME-WAIT (2MSL).
    pub time_wait: Option<u64>,
    /// FIN-WAIT-2.
    pub fin_wait_2: Option<u64>,
    /// Delayed ACK. Runs only with [`Config::delayed_ack`] set, which the model checker
    /// never sets: it is left out of the state's encoding and hash, so the checker's
    /// states are what they were.
    #[serde(skip)]
    pub delayed_ack: Option<u64>,
}

/// Hashes the checker's timers only (see [`Timers::delayed_ack`]).
impl std::hash::Hash for Timers {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (self.retransmit, self.time_wait, self.fin_wait_2).hash(h);
    }
}

/// Hashes what the model checker keeps of a TCB, packed into few words: the checker
/// fingerprints every state it reaches through this, so fewer hasher rounds is a faster
/// check. Every field is named, so a new one cannot be left out unnoticed; `opts`, `ack`,
/// `rtt`, `ooo` and `user_clock` stay at their defaults in the checker and hash to
/// nothing, as before.
impl std::hash::Hash for Tcb {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let Tcb {
            state,
            origin,
            iss,
            snd_una,
            snd_nxt,
            snd_wnd,
            snd_wl1,
            snd_wl2,
            max_snd_wnd,
            irs,
            rcv_nxt,
            rcv_wnd,
            send_queue,
            recv_queue,
            held_text,
            held_fin,
            fin_queued,
            close_deferred,
            fin_sent,
            fin_received,
            retries,
            timers,
            opts: _,
            ack: _,
            rtt: _,
            ooo: _,
            user_clock: _,
            snd_sml: _,
        } = self;
        let pair = |a: &u32, b: &u32| u64::from(*a) | u64::from(*b) << 32;
        h.write_u64(
            *state as u64
                | (*origin as u64) << 8
                | u64::from(*held_fin) << 16
                | u64::from(*fin_queued) << 17
                | u64::from(*fin_sent) << 18
                | u64::from(*fin_received) << 19
                | u64::from(*close_deferred) << 20
                | u64::from(*retries) << 24
                | u64::from(*held_text) << 32,
        );
        h.write_u64(pair(iss, snd_una));
        h.write_u64(pair(snd_nxt, snd_wnd));
        h.write_u64(pair(snd_wl1, snd_wl2));
        h.write_u64(pair(max_snd_wnd, irs));
        h.write_u64(pair(rcv_nxt, rcv_wnd));
        h.write_u64(pair(send_queue, recv_queue));
        timers.hash(h);
    }
}

impl Timers {
    fn slot(&mut self, timer: Timer) -> &mut Option<u64> {
        match timer {
            Timer::Retransmit => &mut self.retransmit,
            Timer::TimeWait => &mut self.time_wait,
            Timer::FinWait2 => &mut self.fin_wait_2,
            Timer::DelayedAck => &mut self.delayed_ack,
        }
    }

    /// The earliest running timer and its deadline.
    pub fn next(&self) -> Option<(Timer, u64)> {
        [
            (Timer::Retransmit, self.retransmit),
            (Timer::TimeWait, self.time_wait),
            (Timer::FinWait2, self.fin_wait_2),
            (Timer::DelayedAck, self.delayed_ack),
        ]
        .into_iter()
        .filter_map(|(t, d)| d.map(|d| (t, d)))
        .min_by_key(|&(t, d)| (d, t))
    }
}

/// The transmission control block (RFC 9293 §3.3.1) plus what connection management
/// needs to know about queues. Text is counted, never stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Tcb {
    /// The connection state.
    pub state: State,
    /// How the connection was opened (RFC 9293 Figure 5, note 1).
    pub origin: Origin,
    /// Initial send sequence number.
    pub iss: u32,
    /// Oldest unacknowledged sequence number.
    pub snd_una: u32,
    /// Next sequence number to send.
    pub snd_nxt: u32,
    /// Send window, as the peer offered it.
    pub snd_wnd: u32,
    /// Segment sequence number used for the last window update.
    pub snd_wl1: u32,
    /// Segment acknowledgment number used for the last window update.
    pub snd_wl2: u32,
    /// Largest window the peer has offered (RFC 5961 §5: MAX.SND.WND).
    pub max_snd_wnd: u32,
    /// Initial receive sequence number.
    pub irs: u32,
    /// Next sequence number expected.
    pub rcv_nxt: u32,
    /// Receive window.
    pub rcv_wnd: u32,
    /// Bytes the user has sent that are not yet segmentized.
    pub send_queue: u32,
    /// Bytes received and not yet read.
    pub recv_queue: u32,
    /// Text that came on the peer's SYN, held until ESTABLISHED (RFC 9293 §3.10.7.2,
    /// §3.10.7.3): not yet accepted, so RCV.NXT does not cover it.
    pub held_text: u32,
    /// A FIN that came on the peer's SYN, held like its text.
    pub held_fin: bool,
    /// CLOSE was called; the FIN goes after the queued text.
    pub fin_queued: bool,
    /// A CLOSE queued in SYN-RECEIVED for processing after entering ESTABLISHED
    /// ([`Action::DeferClose`]); nothing queued for sending yet.
    pub close_deferred: bool,
    /// Our FIN has been sent (it is SND.NXT - 1).
    pub fin_sent: bool,
    /// The peer's FIN has been received.
    pub fin_received: bool,
    /// Retransmissions since the last new acknowledgment.
    pub retries: u8,
    /// Running timers.
    pub timers: Timers,
    /// What the SYNs negotiated (RFC 7323, RFC 2018). Never part of the checker's state:
    /// its channel carries no options, so this stays at its default there; it is left out
    /// of the state's encoding and hash so the checker's states are what they were.
    #[serde(skip)]
    pub opts: Negotiated,
    /// Delayed-ACK bookkeeping, kept only with [`Config::delayed_ack`] set (never in the
    /// checker); left out of the state's encoding and hash like [`Tcb::opts`].
    #[serde(skip)]
    pub ack: AckState,
    /// Round-trip measurement and the RTO in force, kept only with [`Config::rtt`] set
    /// (never in the checker); left out of the state's encoding and hash like
    /// [`Tcb::opts`].
    #[serde(skip)]
    pub rtt: OutOfLine<Rtt>,
    /// Out-of-order text held, and the SACK blocks reported, kept only with
    /// [`Config::hold_out_of_order`] set (never in the checker); left out of the state's
    /// encoding and hash like [`Tcb::opts`].
    #[serde(skip)]
    pub ooo: OutOfLine<Reassembly>,
    /// When the user timeout's clock started, kept only with [`Config::user_timeout`]
    /// set (never in the checker); left out of the state's encoding and hash like
    /// [`Tcb::opts`].
    #[serde(skip)]
    pub user_clock: UserClock,
    /// The end of the last segment shorter than the MSS sent (Linux `tp->snd_sml`,
    /// `tcp_minshall_update()`), kept only with [`Config::nagle`] set (never in the
    /// checker); left out of the state's encoding and hash like [`Tcb::opts`]. `None`
    /// before any (Linux starts it at SND.UNA, `tcp_connect_init()`: the same test).
    #[serde(skip)]
    pub snd_sml: Option<u32>,
}

/// The user timeout's clock (RFC 9293 §3.9.1; Linux's `retrans_stamp` as
/// `retransmits_timed_out()` reads it), with [`Config::user_timeout`] set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct UserClock {
    /// When it started; `None` while it is not running (nothing unacknowledged, or, with
    /// [`Config::user_timeout_from_retransmit`], nothing retransmitted since the last
    /// forward progress).
    pub since: Option<u64>,
}

/// Leaves nothing to hash: see [`Tcb::user_clock`].
impl std::hash::Hash for UserClock {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// The out-of-order queue (RFC 9293 §3.10.7.4, SHLD-31; Linux's `out_of_order_queue`)
/// and the SACK blocks that report it (RFC 2018 §4; Linux's `selective_acks`). Ranges
/// are of sequence space: a held FIN counts, as in Linux's `end_seq`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Reassembly {
    /// Held ranges `[left, right)` beyond RCV.NXT, in order, neither overlapping nor
    /// touching.
    pub held: Vec<(u32, u32)>,
    /// The sequence number of a FIN held: it ends the last range.
    pub fin: Option<u32>,
    /// SACK blocks, the one holding the most recent segment first, then the most recently
    /// reported others (RFC 2018 §4): at most four (Linux `TCP_NUM_SACKS`).
    pub sacks: Vec<(u32, u32)>,
    /// A D-SACK block (RFC 2883) for the next segment we send (Linux `duplicate_sack`).
    pub dsack: Option<(u32, u32)>,
}

/// Leaves nothing to hash: see [`Tcb::ooo`].
impl std::hash::Hash for Reassembly {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

static_default!(Reassembly);
static_default!(Rtt);

/// What the delayed-ACK rule needs (Linux's `icsk_ack`), kept only with
/// [`Config::delayed_ack`] set. Not modelled: the adaptive ATO (Linux moves it between
/// `TCP_ATO_MIN` and `TCP_DELACK_MAX` with the gaps between segments and the RTT; here it
/// stays at `delayed_ack`), interactive (pingpong) mode entered by replies sent within
/// the ATO (`tcp_event_data_sent()`), and SACK compression.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AckState {
    /// Quick ACKs left (`icsk_ack.quick`): while above zero, and not interactive, every
    /// ACK of new text goes at once.
    pub quick: u8,
    /// Text has been received: the ATO is set (`icsk_ack.ato != 0`). Before that a delayed
    /// ACK (of a FIN) waits no time at all (`tcp_send_delayed_ack()` with ato 0).
    pub ato_on: bool,
    /// Interactive mode (`inet_csk_in_pingpong_mode()`): quick-ACK mode does not apply.
    /// Entered by a FIN in ESTABLISHED (`tcp_fin()`).
    pub pingpong: bool,
    /// An ACK is due (`inet_csk_ack_scheduled()`): text or a FIN arrived since the last
    /// ACK we sent.
    pub scheduled: bool,
    /// Segments shorter than `rcv_mss` since the last ACK, up to 2
    /// (`ICSK_ACK_PUSHED`, `ICSK_ACK_PUSHED2`): a read that empties the buffer then ACKs.
    pub pushed: u8,
    /// The peer's segment size as estimated from what arrives (`icsk_ack.rcv_mss`,
    /// `tcp_measure_rcv_mss()`); 0 until first needed.
    pub rcv_mss: u32,
    /// RCV.NXT when we last sent an ACK (`tp->rcv_wup`).
    pub rcv_wup: u32,
    /// The right edge that ACK advertised, RCV.NXT + RCV.WND then (`tp->rcv_wup +
    /// tp->rcv_wnd`: Linux's window does not move until the next ACK, though text
    /// arrives and a FIN takes a number but no buffer); `None` before any ACK.
    pub rcv_edge: Option<u32>,
    /// When text last arrived (`icsk_ack.lrcvtime`).
    pub last_rcv: u64,
    /// When the last out-of-window ACK went ([`Config::oow_ack_rate_limit`]; Linux
    /// `last_oow_ack_time`); `None`: none yet.
    pub last_oow_ack: Option<u64>,
}

/// Leaves nothing to hash: see [`Tcb::ack`].
impl std::hash::Hash for AckState {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// The options the two SYNs negotiated, and the timestamp state (RFC 7323 §4.3).
/// All zero (nothing negotiated, both shifts 0) until a SYN is taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Negotiated {
    /// Window scaling was negotiated (the shifts may still be 0).
    pub wscale_on: bool,
    /// Snd.Wind.Shift: the peer's shift, applied to SEG.WND of its non-SYN segments.
    pub snd_shift: u8,
    /// Rcv.Wind.Shift: ours, applied (right) to the window we advertise.
    pub rcv_shift: u8,
    /// Timestamps are on: every segment we send (but RSTs) carries TSval and TSecr.
    pub ts_ok: bool,
    /// TS.Recent: the timestamp to echo.
    pub ts_recent: u32,
    /// Last.ACK.sent: the ACK field of the last segment we sent (tracked only with
    /// timestamps on).
    pub last_ack_sent: u32,
    /// SACK-permitted was on both SYNs (no SACK blocks are modelled).
    pub sack_ok: bool,
}

/// Leaves nothing to hash: see [`Tcb::opts`]. Equal values still hash equally.
impl std::hash::Hash for Negotiated {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

/// A call from the user (RFC 9293 §3.9 user/TCP interface).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserCall {
    /// OPEN, passive.
    PassiveOpen,
    /// OPEN, active.
    ActiveOpen,
    /// SEND this many bytes.
    Send(u32),
    /// RECEIVE up to this many bytes.
    Receive(u32),
    /// CLOSE.
    Close,
    /// `shutdown(SHUT_WR)`.
    Shutdown,
    /// ABORT.
    Abort,
}

/// Anything an endpoint reacts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    /// A user call.
    Call(UserCall),
    /// A segment arrives.
    Segment(Segment),
    /// A timer expired (the caller fires it at or after its deadline).
    Timeout(Timer),
}

/// What the caller supplies from outside: the time, and the ISN a row may choose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Env {
    /// The current time in ticks.
    pub now: u64,
    /// The ISN to use if the row selects one.
    pub iss: u32,
}

/// What one step did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The classified event.
    pub event: Event,
    /// The row that applied.
    pub row: RowId,
    /// The state before.
    pub from: State,
    /// The state after.
    pub to: State,
    /// Segments sent, in order.
    pub segments: Vec<Segment>,
    /// What the user was told.
    pub signals: Vec<Signal>,
    /// The call was refused.
    pub error: Option<UserError>,
    /// Text bytes of the segment taken in.
    pub accepted: u32,
    /// Bytes handed to a RECEIVE.
    pub delivered: u32,
    /// The segment went to the out-of-order queue, or found it not empty: it is
    /// acknowledged at once (RFC 5681 §4.2; Linux `__tcp_ack_snd_check()`).
    #[serde(skip)]
    pub ack_now: bool,
}

impl Tcb {
    /// A CLOSED endpoint (no TCB yet).
    pub fn new() -> Tcb {
        Tcb::default()
    }

    /// The earliest running timer.
    pub fn next_timer(&self) -> Option<(Timer, u64)> {
        self.timers.next()
    }

    /// The RTO in force: the measured one ([`Config::rtt`]), backed off since, or else
    /// the fixed one after this many retransmissions.
    pub fn rto(&self, cfg: &Config) -> u64 {
        // FreeBSD's TCPT_RANGESET() adds the slop to every RTO it computes, backed off or
        // measured, but not to the initial one (Config::rto_slop).
        let (rto, computed) = if cfg.rtt.is_some() {
            (self.rtt.rto(u64::from(cfg.rto)), self.rtt.rto != 0)
        } else {
            (u64::from(cfg.rto_after(self.retries)), self.retries > 0)
        };
        if computed && cfg.rto_slop > 0 {
            rto.saturating_add(u64::from(cfg.rto_slop))
                .min(u64::from(cfg.rto_max))
        } else {
            rto
        }
    }

    /// Classify, look up, apply. See the module documentation.
    pub fn step(&mut self, table: &Table, cfg: &Config, input: Input, env: Env) -> Outcome {
        let event = if self.user_timed_out(cfg, &input, env.now) {
            self.timers.retransmit = None;
            Event::UserTimeout
        } else {
            self.classify(cfg, &input)
        };
        if let Some(out) = self.deferred_close_then_fin(table, cfg, event, &input, env) {
            return out;
        }
        // SND.UNA of a connection that was there before this step (a new TCB's is no
        // progress).
        let una_before =
            (!matches!(self.state, State::Closed | State::Listen)).then_some(self.snd_una);
        let row_id = table.lookup(self.state, event, self.origin);
        let row = table.row(row_id);
        // RFC 7323 §4.3 records TS.Recent before the ACK is looked at; Linux only once
        // tcp_ack() has accepted it (Config::ts_recent_after_ack).
        let ts_recent = match &input {
            Input::Segment(seg) => self.ts_recent_candidate(cfg.space, seg),
            _ => None,
        };
        let acks_processed = row.actions.contains(&Action::ProcessAck);
        if let Some(val) = ts_recent
            && !cfg.ts_recent_after_ack
        {
            self.opts.ts_recent = val;
        }
        if cfg.delayed_ack.is_some()
            && cfg.ack_policy == AckPolicy::Linux
            && event == Event::Unacceptable
            && let Input::Segment(seg) = &input
            && seg.seg_len() > 0
            && cfg.space.lt(seg.seq, self.rcv_nxt)
        {
            // Text (or a FIN: end_seq counts it) we already have: our ACK was lost, so ACK
            // quickly for a while (Linux tcp_send_dupack() -> tcp_enter_quickack_mode()).
            self.enter_quickack(cfg);
        }
        if let Input::Segment(seg) = &input {
            self.note_duplicate(cfg, event, seg);
        }
        let mut out = Outcome {
            event,
            row: row_id,
            from: self.state,
            to: row.to,
            segments: Vec::new(),
            signals: Vec::new(),
            error: None,
            accepted: 0,
            delivered: 0,
            ack_now: false,
        };
        for action in row.actions {
            self.apply(cfg, *action, &input, env, &mut out);
        }
        if let Input::Segment(seg) = &input {
            self.rearm_after_bad_ack(cfg, seg, env.now);
        }
        // A new socket keeps its own out-of-window ACK time: the child a request sock
        // becomes (tcp_create_openreq_child()) and the timewait sock (tcp_time_wait():
        // tw_last_oow_ack_time = 0).
        if (self.state == State::SynReceived
            && self.origin == Origin::Passive
            && !matches!(row.to, State::SynReceived | State::Listen))
            || (row.to == State::TimeWait && self.state != State::TimeWait)
        {
            self.ack.last_oow_ack = None;
        }
        self.state = row.to;
        self.run_deferred_close(table, cfg, env, &mut out);
        if let Some(val) = ts_recent
            && cfg.ts_recent_after_ack
            && acks_processed
            && self.opts.ts_ok
        {
            self.opts.ts_recent = val;
        }
        self.attach_options(cfg, env.now, &mut out);
        if cfg.delayed_ack.is_some() {
            self.ack_sent(cfg.space, &out);
        }
        self.run_user_clock(cfg, env.now, una_before);
        out
    }

    /// A CLOSE queued in SYN-RECEIVED ([`Action::DeferClose`]) is processed once the
    /// connection is synchronized, by the SHUTDOWN row of the state it entered (§3.10.4:
    /// "queue for processing after entering ESTABLISHED state"; Linux
    /// `tcp_rcv_state_process()`: `tcp_shutdown()` once TCP_SYN_RECV becomes
    /// TCP_ESTABLISHED). The outcome keeps the first row's number; its end state is the
    /// second row's. A segment with text or a FIN comes here as its ACK alone
    /// (`deferred_close_then_fin`).
    fn run_deferred_close(&mut self, table: &Table, cfg: &Config, env: Env, out: &mut Outcome) {
        if !self.close_deferred || matches!(self.state, State::SynReceived) {
            return;
        }
        self.close_deferred = false;
        if self.state != State::Established {
            // Reset or deleted meanwhile: nothing left to close.
            return;
        }
        let row = table.row(table.lookup(self.state, Event::Shutdown, self.origin));
        let call = Input::Call(UserCall::Shutdown);
        for action in row.actions {
            self.apply(cfg, *action, &call, env, out);
        }
        self.state = row.to;
        out.to = row.to;
    }

    /// Text or a FIN on the ACK of our SYN while a CLOSE is queued in SYN-RECEIVED
    /// ([`Action::DeferClose`]): Linux enters ESTABLISHED and sends its FIN
    /// (`tcp_rcv_state_process()`: `tcp_shutdown()`) before the segment's text and FIN
    /// are processed (`tcp_data_queue()`; a FIN there, `tcp_fin()`, finds FIN-WAIT-1 and
    /// leads to CLOSING). So the
    /// segment is taken in two steps: its ACK alone (ESTABLISHED, then the queued CLOSE:
    /// FIN-WAIT-1), then the whole segment in the state that left. `None` for any other
    /// step.
    fn deferred_close_then_fin(
        &mut self,
        table: &Table,
        cfg: &Config,
        event: Event,
        input: &Input,
        env: Env,
    ) -> Option<Outcome> {
        let Input::Segment(seg) = input else {
            return None;
        };
        let acks_syn = matches!(
            event,
            Event::AckOfSyn | Event::Ack | Event::AckOfFin | Event::Fin | Event::FinAckOfFin
        );
        if !self.close_deferred
            || self.state != State::SynReceived
            || !acks_syn
            || (seg.len == 0 && !seg.flags.fin())
        {
            return None;
        }
        // Its ACK alone, at RCV.NXT if the segment starts before (text over the peer's
        // SYN, or one ending at RCV.NXT: Config::simultaneous_open_full_socket), where an
        // empty segment is acceptable.
        let sp = cfg.space;
        let ack_only = Segment {
            flags: Flags::from_bits(seg.flags.bits() & !(Flags::FIN | Flags::PSH).bits()),
            seq: if sp.lt(seg.seq, self.rcv_nxt) {
                self.rcv_nxt
            } else {
                seg.seq
            },
            len: 0,
            ..*seg
        };
        let first = self.step(table, cfg, Input::Segment(ack_only), env);
        if self.close_deferred || self.state == State::SynReceived {
            // The ACK alone did not synchronize (it does, as the segment's row reads the
            // same ACK): keep the first step's outcome.
            return Some(first);
        }
        let mut out = self.step(table, cfg, *input, env);
        out.from = first.from;
        let mut segments = first.segments;
        segments.append(&mut out.segments);
        out.segments = segments;
        let mut signals = first.signals;
        signals.append(&mut out.signals);
        out.signals = signals;
        out.accepted += first.accepted;
        Some(out)
    }

    /// The retransmission timer fired and the user timeout has passed (Linux
    /// `tcp_write_timeout()`: `retransmits_timed_out()` with `icsk_user_timeout`).
    fn user_timed_out(&self, cfg: &Config, input: &Input, now: u64) -> bool {
        matches!(input, Input::Timeout(Timer::Retransmit))
            && cfg.user_timeout.is_some_and(|ut| {
                self.user_clock
                    .since
                    .is_some_and(|since| now >= since.saturating_add(u64::from(ut)))
            })
    }

    /// Starts, restarts or stops the user timeout's clock after a step, and clamps the
    /// retransmission timer to it, so that it fires when the timeout passes (Linux
    /// `tcp_clamp_rto_to_user_timeout()`). See [`Config::user_timeout`] and
    /// [`Config::user_timeout_from_retransmit`]; the retransmission itself starts the
    /// clock in `retransmit`.
    fn run_user_clock(&mut self, cfg: &Config, now: u64, una_before: Option<u32>) {
        let Some(ut) = cfg.user_timeout else {
            return;
        };
        let clock = &mut self.user_clock.since;
        if matches!(self.state, State::Closed | State::Listen | State::TimeWait)
            || self.snd_una == self.snd_nxt
        {
            // Nothing unacknowledged: nothing to time out.
            *clock = None;
            return;
        }
        if cfg.user_timeout_from_retransmit
            && self.state == State::SynReceived
            && self.origin == Origin::Passive
        {
            // Linux: a passive open's SYN,ACK is a request socket's, whose timer
            // (reqsk_timer_handler()) counts tcp_synack_retries only.
            *clock = None;
            return;
        }
        if una_before.is_some_and(|una| una != self.snd_una) {
            // Forward progress: the clock starts again (Linux: from the next
            // retransmission, icsk_retransmits being reset by tcp_ack()).
            *clock = (!cfg.user_timeout_from_retransmit).then_some(now);
        } else if clock.is_none()
            && (!cfg.user_timeout_from_retransmit || self.state == State::SynSent)
        {
            // Something went out with nothing unacknowledged before it (Linux, in
            // SYN-SENT: tcp_connect() sets retrans_stamp at the first SYN).
            *clock = Some(now);
        }
        if let (Some(since), Some(at)) = (*clock, self.timers.retransmit) {
            let deadline = since.saturating_add(u64::from(ut)).max(now);
            self.timers.retransmit = Some(at.min(deadline));
        }
    }

    /// [`Config::syn_retransmit_after_bad_ack`]: in SYN-SENT, a segment whose ACK is
    /// unacceptable (SEG.ACK =< ISS or SEG.ACK > SND.NXT, with or without RST) brings the
    /// SYN's retransmission forward while it has not been retransmitted (Linux
    /// `tcp_rcv_synsent_state_process()`: `icsk_retransmits == 0`,
    /// `tcp_reset_xmit_timer(sk, ICSK_TIME_RETRANS, TCP_TIMEOUT_MIN, false)`).
    fn rearm_after_bad_ack(&mut self, cfg: &Config, seg: &Segment, now: u64) {
        if let Some(soon) = cfg.syn_retransmit_after_bad_ack
            && self.state == State::SynSent
            && seg.flags.ack()
            && !cfg.space.in_open_closed(self.iss, seg.ack, self.snd_nxt)
            && self.retries == 0
        {
            self.timers.retransmit = Some(now.saturating_add(u64::from(soon)));
        }
    }

    /// RFC 7323 §4.3: the SEG.TSval TS.Recent takes from this segment, if any: one of an
    /// acceptable segment that is not older than TS.Recent and starts at or before
    /// Last.ACK.sent. PAWS (§5.3) is in `classify_synchronized`. Not modelled: §5.5's
    /// idle rule.
    fn ts_recent_candidate(&self, sp: SeqSpace, seg: &Segment) -> Option<u32> {
        let synchronized = !matches!(self.state, State::Closed | State::Listen | State::SynSent);
        let (val, _) = seg.opts.timestamps?;
        (self.opts.ts_ok
            && synchronized
            && !seg.flags.syn()
            && self.acceptable(sp, seg)
            && sp.le(seg.seq, self.opts.last_ack_sent)
            && val.wrapping_sub(self.opts.ts_recent) as i32 >= 0)
            .then_some(val)
    }

    /// Something we sent carries the ACK (Linux `tcp_event_ack_sent()`): a pending
    /// delayed ACK is no longer needed, and an ACK of new text spends a quick ACK
    /// (`tcp_dec_quickack_mode()`).
    fn ack_sent(&mut self, sp: SeqSpace, out: &Outcome) {
        if !out.segments.iter().any(|s| s.flags.ack()) {
            return;
        }
        let a = &mut self.ack;
        if a.scheduled {
            a.quick = a.quick.saturating_sub(1);
        }
        a.scheduled = false;
        a.pushed = 0;
        a.rcv_wup = self.rcv_nxt;
        a.rcv_edge = Some(sp.add(self.rcv_nxt, self.rcv_wnd));
        self.timers.delayed_ack = None;
    }

    /// Quick-ACK mode (Linux `tcp_incr_quickack()`): RCV.WND / (2 × rcv_mss) quick ACKs,
    /// 2 if that is none, at most `max_quickacks`, and never fewer than are left; the ATO
    /// is set (`tcp_enter_quickack_mode()`: `icsk_ack.ato = TCP_ATO_MIN`), so a later
    /// delayed ACK waits it out.
    fn enter_quickack(&mut self, cfg: &Config) {
        self.ack.ato_on = true;
        let mss = self.rcv_mss(cfg);
        let n = match self.rcv_wnd / (2 * mss) {
            0 => 2,
            n => n.min(u32::from(cfg.max_quickacks)) as u8,
        };
        self.ack.quick = self.ack.quick.max(n);
        self.ack.pingpong = false;
    }

    /// The largest text the peer sends us: our MSS option, less the timestamp option
    /// when on (Linux `tp->advmss`).
    fn adv_mss(&self, cfg: &Config) -> u32 {
        let ours = cfg.syn_options.mss.map_or(cfg.mss, u32::from);
        ours.saturating_sub(self.option_bytes()).max(1)
    }

    /// The estimate of the peer's segment size (Linux `tcp_initialize_rcv_mss()`: at
    /// most 536 to start with, and half the window).
    fn rcv_mss(&mut self, cfg: &Config) -> u32 {
        if self.ack.rcv_mss == 0 {
            self.ack.rcv_mss = self.adv_mss(cfg).min(self.rcv_wnd / 2).clamp(88, 536);
        }
        self.ack.rcv_mss
    }

    /// Bytes of options on every segment but a SYN: the timestamp option, padded
    /// (RFC 7323 §3.2, 10 + 2), when on.
    fn option_bytes(&self) -> u32 {
        if self.opts.ts_ok { 12 } else { 0 }
    }

    /// The effective send MSS (RFC 9293 §3.7.1: "TCPhdrsize is the size of the fixed TCP
    /// header and any options"): the send MSS less the options every segment carries.
    pub fn eff_mss(&self, cfg: &Config) -> u32 {
        cfg.mss.saturating_sub(self.option_bytes()).max(1)
    }

    /// An ACK of what arrived, now or by the delayed-ACK timer (RFC 9293 §3.8.6.3), as
    /// Linux decides: `tcp_event_data_recv()` for text, `tcp_fin()` for a FIN in
    /// ESTABLISHED (`fin`), then `__tcp_ack_snd_check()` and `tcp_send_delayed_ack()`.
    fn ack_or_delay(
        &mut self,
        cfg: &Config,
        ato: u32,
        seg: Option<Segment>,
        now: u64,
        fin: bool,
        out: &mut Outcome,
    ) {
        if cfg.ack_policy == AckPolicy::Freebsd {
            self.ack.scheduled = true;
            // tcp_do_segment(): in-order text with the reassembly queue empty sets
            // TF_DELACK if DELAY_ACK(), else TF_ACKNOW.
            // Text partly below RCV.NXT with a D-SACK block to report: TF_ACKNOW ("the
            // next in-sequence segment will clear the DSACK block again").
            let len = seg.map_or(0, |s| s.len).max(out.accepted);
            let dsack = self.ooo.dsack.is_some();
            if out.ack_now || fin || dsack || self.timers.delayed_ack.is_some() || len > cfg.mss {
                out.segments.push(self.ack_segment(cfg, None));
            } else {
                self.timers.delayed_ack = Some(now.saturating_add(u64::from(ato)));
            }
            return;
        }
        let mss = self.rcv_mss(cfg);
        self.ack.scheduled = true;
        if out.accepted > 0 {
            // tcp_measure_rcv_mss(): a segment at least as large as the estimate sets it.
            // (Text held from the peer's SYN counts with the segment that releases it.)
            let len = seg.map_or(0, |s| s.len).max(out.accepted);
            if len >= mss {
                self.ack.rcv_mss = len.min(self.adv_mss(cfg));
            } else {
                self.ack.pushed = (self.ack.pushed + 1).min(2);
            }
            // tcp_event_data_recv(): the first text starts quick-ACK mode, and so does
            // text after a gap longer than the RTO.
            let gap = now.saturating_sub(self.ack.last_rcv);
            if !self.ack.ato_on || gap > self.rto(cfg) {
                self.ack.ato_on = true;
                self.enter_quickack(cfg);
            }
            self.ack.last_rcv = now;
        }
        if fin {
            self.ack.pingpong = true;
        }
        // More than one full segment unacknowledged, quick-ACK mode, or out-of-order text
        // (RFC 5681 §4.2): at once.
        let unacked = cfg.space.sub(self.rcv_nxt, self.ack.rcv_wup);
        if unacked > self.ack.rcv_mss || (self.ack.quick > 0 && !self.ack.pingpong) || out.ack_now {
            out.segments.push(self.ack_segment(cfg, None));
            return;
        }
        // With no ATO yet the timer is armed for now, which fires at the next tick
        // (tcp_send_delayed_ack(): jiffies + 0): one clock unit, after anything else that
        // happens at this instant.
        let ato = if self.ack.ato_on {
            ato
        } else {
            cfg.clock_granularity.max(1)
        };
        let mut at = now.saturating_add(u64::from(ato));
        if let Some(d) = self.timers.delayed_ack {
            // A timer about to expire: ACK now. Else the earlier deadline stands.
            if d <= now.saturating_add(u64::from(ato / 4)) {
                out.segments.push(self.ack_segment(cfg, None));
                return;
            }
            at = at.min(d);
        }
        self.timers.delayed_ack = Some(at);
    }

    /// Options on what this step sends: a SYN offers [`Config::syn_options`]; a SYN,ACK
    /// carries the MSS and what was negotiated; with timestamps on, every other segment
    /// but a RST carries TSval (the time given) and TSecr = TS.Recent (ABORT's RST is
    /// stamped when sent, `stamp_reset`).
    fn attach_options(&mut self, cfg: &Config, now: u64, out: &mut Outcome) {
        let tsval = now as u32;
        let o = cfg.syn_options;
        for s in &mut out.segments {
            let f = s.flags;
            // Config::simultaneous_open_resends_syn: a simultaneous open's SYN,ACK offers
            // what the SYN did.
            let resent_syn = cfg.simultaneous_open_resends_syn && self.origin == Origin::Active;
            if f.syn() && (!f.ack() || resent_syn) {
                s.opts = TcpOptions {
                    mss: o.mss,
                    wscale: o.wscale.map(|w| w.min(14)),
                    sack_permitted: o.sack_permitted,
                    timestamps: o.timestamps.then_some((tsval, self.opts.ts_recent)),
                    ..TcpOptions::NONE
                };
            } else if f.syn() {
                let n = self.opts;
                s.opts = TcpOptions {
                    mss: o.mss,
                    wscale: n.wscale_on.then_some(n.rcv_shift),
                    sack_permitted: n.sack_ok,
                    timestamps: n.ts_ok.then_some((tsval, n.ts_recent)),
                    ..TcpOptions::NONE
                };
            } else if !f.rst() {
                if self.opts.ts_ok {
                    s.opts.timestamps = Some((tsval, self.opts.ts_recent));
                }
                if f.ack() {
                    s.opts.sack = self.sack_option();
                }
            }
            if self.opts.ts_ok && f.ack() && !f.rst() {
                self.opts.last_ack_sent = s.ack;
            }
        }
    }

    /// RFC 7323 §2.2, §3.2, RFC 2018 §2: an option is on when both SYNs carry it. Ours
    /// offered what `syn_options` says (a SYN,ACK only echoes what the SYN offered).
    fn negotiate(&mut self, cfg: &Config, peer: &TcpOptions) {
        let ours = cfg.syn_options;
        let ws = ours.wscale.is_some() && peer.wscale.is_some();
        let ts = ours.timestamps && peer.timestamps.is_some();
        self.opts = Negotiated {
            wscale_on: ws,
            // RFC 7323 §2.3: a shift above 14 is taken as 14.
            snd_shift: if ws {
                peer.wscale.unwrap_or(0).min(14)
            } else {
                0
            },
            rcv_shift: if ws {
                ours.wscale.unwrap_or(0).min(14)
            } else {
                0
            },
            ts_ok: ts,
            ts_recent: if ts {
                peer.timestamps.map_or(0, |t| t.0)
            } else {
                0
            },
            last_ack_sent: 0,
            sack_ok: ours.sack_permitted && peer.sack_permitted,
        };
    }

    /// SEG.WND as a window: shifted by Snd.Wind.Shift, but never on a SYN (RFC 7323 §2.2).
    pub fn seg_window(&self, seg: &Segment) -> u32 {
        if seg.flags.syn() {
            seg.wnd
        } else {
            ((seg.wnd as u64) << self.opts.snd_shift).min(u32::MAX as u64) as u32
        }
    }

    /// Step 1: what the input means to this TCB.
    pub fn classify(&mut self, cfg: &Config, input: &Input) -> Event {
        match *input {
            Input::Call(call) => match call {
                UserCall::PassiveOpen => Event::PassiveOpen,
                UserCall::ActiveOpen => Event::ActiveOpen,
                UserCall::Send(_) => Event::Send,
                UserCall::Receive(_) => Event::Receive,
                UserCall::Close => Event::Close,
                UserCall::Shutdown => Event::Shutdown,
                UserCall::Abort => Event::Abort,
            },
            Input::Timeout(timer) => {
                *self.timers.slot(timer) = None;
                let mut limit = match self.state {
                    State::SynSent => cfg.syn_retries,
                    // Linux tcp_write_timeout(): a full socket in TCP_SYN_RECV (a
                    // simultaneous open) counts to tcp_syn_retries, as in SYN-SENT
                    // (Config::simultaneous_open_full_socket).
                    State::SynReceived if self.full_socket_syn_received(cfg) => cfg.syn_retries,
                    State::SynReceived => cfg.synack_retries,
                    _ => None,
                }
                .unwrap_or(cfg.max_retransmits);
                if self.state == State::SynSent && cfg.rtt.is_some() && limit != Config::R2_INFINITE
                {
                    // Linux tcp_write_timeout(): tcp_syn_retries + tcp_syn_linear_timeouts.
                    limit = limit
                        .saturating_add(cfg.syn_linear_timeouts)
                        .min(Config::R2_INFINITE - 1);
                }
                match timer {
                    // A tail loss probe is no retransmission of the R2 count.
                    Timer::Retransmit if self.rtt.probe => Event::RetransmitTimeout,
                    // With a user timeout the time decides in the synchronized states,
                    // not the count (Linux retransmits_timed_out() with a timeout given).
                    Timer::Retransmit
                        if limit != Config::R2_INFINITE
                            && self.retries >= limit
                            && (cfg.user_timeout.is_none()
                                || matches!(self.state, State::SynSent | State::SynReceived)) =>
                    {
                        Event::UserTimeout
                    }
                    Timer::Retransmit => Event::RetransmitTimeout,
                    Timer::TimeWait => Event::TimeWaitTimeout,
                    Timer::FinWait2 => Event::FinWait2Timeout,
                    Timer::DelayedAck => Event::DelayedAckTimeout,
                }
            }
            Input::Segment(seg) => {
                let event = self.classify_segment(cfg, &seg);
                if event == Event::FinRetransmit
                    && cfg.fin_retransmit_ack
                    && self.acks_our_fin(&seg)
                {
                    Event::AckOfFin
                } else {
                    event
                }
            }
        }
    }

    fn classify_segment(&self, cfg: &Config, seg: &Segment) -> Event {
        let (sp, f) = (cfg.space, seg.flags);
        // FreeBSD's tcp_input() drops a SYN,FIN before the connection lookup
        // (Config::drop_synfin): classified as the one segment every state drops without
        // an answer, an unmatched RST.
        if cfg.drop_synfin && f.syn() && f.fin() {
            return Event::RstOutOfWindow;
        }
        match self.state {
            // §3.10.7.1–2: no window to test against; RSTs are dropped, any ACK is bad.
            State::Closed | State::Listen => {
                if f.rst() {
                    Event::RstOutOfWindow
                } else if f.ack() {
                    Event::AckUnacceptable
                } else if f.syn() {
                    Event::Syn
                } else {
                    Event::NoAck
                }
            }
            // §3.10.7.3: the ACK is checked first, then RST, then SYN.
            State::SynSent => {
                let ack_ok = f.ack() && sp.in_open_closed(self.iss, seg.ack, self.snd_nxt);
                if f.ack() && !ack_ok {
                    if f.rst() {
                        Event::RstOutOfWindow
                    } else {
                        Event::AckUnacceptable
                    }
                } else if f.rst() {
                    if ack_ok {
                        Event::RstExact
                    } else {
                        Event::RstOutOfWindow
                    }
                } else if f.syn() && ack_ok {
                    // A FIN on the SYN,ACK is processed (§3.10.7.3 continues at the sixth
                    // step) unless it lies beyond the window, trimmed with the text past it.
                    if f.fin() && seg.len < self.rcv_wnd {
                        Event::Fin
                    } else {
                        Event::SynAck
                    }
                } else if f.syn() {
                    Event::Syn
                } else if ack_ok {
                    Event::Ack
                } else {
                    Event::NoAck
                }
            }
            _ => self.classify_synchronized(cfg, seg),
        }
    }

    /// §3.10.7.4, for SYN-RECEIVED and the synchronized states.
    fn classify_synchronized(&self, cfg: &Config, seg: &Segment) -> Event {
        let (sp, f) = (cfg.space, seg.flags);
        if self.state == State::TimeWait && cfg.time_wait_acks_all && !f.rst() {
            return self.classify_twcheck(cfg, seg);
        }
        // Figure 7, step 6: in a simultaneous open the peer's SYN,ACK repeats the SYN we
        // already took, so the strict test of the first step would find it unacceptable;
        // the figure (and Linux's tcp_validate_incoming) take it as the ACK of our SYN. So
        // does FIN-WAIT-1 entered by a CLOSE in SYN-RECEIVED, while our SYN is unacknowledged.
        // Linux's request socket finds a bare SYN,ACK there outside its window
        // (Config::syn_received_window_untrimmed).
        let untrimmed = cfg.syn_received_window_untrimmed
            && self.origin == Origin::Passive
            && seg.seg_len() == 1;
        if self.syn_outstanding()
            && f.syn()
            && f.ack()
            && !f.rst()
            && seg.seq == self.irs
            && sp.in_open_closed(self.snd_una, seg.ack, self.snd_nxt)
        {
            return if untrimmed {
                Event::Unacceptable
            } else {
                Event::AckOfSyn
            };
        }
        // Linux's request socket reads the ACK of a segment without RST before its
        // sequence number, PAWS and the SYN bit (tcp_check_req();
        // Config::syn_received_ack_first): a bad one goes to the listener, which resets
        // it (tcp_rcv_state_process() in TCP_LISTEN, tcp_v4_send_reset()) and keeps the
        // request.
        if cfg.syn_received_ack_first
            && self.state == State::SynReceived
            && self.origin == Origin::Passive
            && f.ack()
            && !f.rst()
            && !sp.in_open_closed(self.snd_una, seg.ack, self.snd_nxt)
        {
            return Event::AckUnacceptable;
        }
        // RFC 7323 §3.2: "If a non-<RST> segment is received without a TSopt, a TCP
        // SHOULD silently drop the segment" (`no_ack`'s rows drop silently); Linux
        // processes it (Config::accept_without_ts).
        if self.opts.ts_ok && !f.rst() && seg.opts.timestamps.is_none() && !cfg.accept_without_ts {
            return Event::NoAck;
        }
        // RFC 7323 §5.3 R1 (PAWS): with timestamps on, a segment (not a RST) whose TSval is
        // older than TS.Recent is not acceptable: it is answered with an ACK and dropped.
        // (TS.Recent is taken as always valid: the 24-day idle rule of §5.5 is not modelled.)
        if self.paws_rejects(seg) {
            return Event::Unacceptable;
        }
        // Linux's tcp_reset_check() (Config::rst_before_fin_resets): once the peer's FIN
        // is in, a RST at the FIN's own sequence number resets, before the first step.
        if f.rst()
            && cfg.rst_before_fin_resets
            && matches!(
                self.state,
                State::CloseWait | State::Closing | State::LastAck
            )
            && seg.seq == sp.sub(self.rcv_nxt, 1)
        {
            return Event::RstExact;
        }
        // first: sequence number
        let rfc_acceptable = self.acceptable(sp, seg);
        if !rfc_acceptable
            && !self.at_right_edge(cfg, seg)
            && !self.ends_at_rcv_nxt_full_socket(cfg, seg)
            && !self.ends_after_rcv_wup(cfg, seg)
        {
            return if f.rst() {
                Event::RstOutOfWindow
            } else if f.fin() && self.fin_received && sp.add(seg.seq, seg.seg_len()) == self.rcv_nxt
            {
                Event::FinRetransmit
            } else {
                Event::Unacceptable
            };
        }
        // second: RST (RFC 5961 §3.2: only an exact match resets)
        if f.rst() {
            return if seg.seq == self.rcv_nxt {
                Event::RstExact
            } else {
                Event::RstInWindow
            };
        }
        // fourth: SYN, whatever its sequence number
        if f.syn() {
            return Event::Syn;
        }
        // fifth: ACK
        if !f.ack() {
            return Event::NoAck;
        }
        // Config::acceptable_to_rcv_wup: a segment only Linux's edges let in has its ACK
        // checked first (tcp_ack()), then any text or FIN, none of it in the window, is
        // answered at once (tcp_data_queue(): a duplicate, or out of the window).
        if !rfc_acceptable && cfg.acceptable_to_rcv_wup && self.state != State::SynReceived {
            if !self.ack_acceptable(cfg, seg) {
                return Event::AckUnacceptable;
            }
            if f.fin() && self.fin_received && sp.add(seg.seq, seg.seg_len()) == self.rcv_nxt {
                return Event::FinRetransmit;
            }
            if seg.seg_len() > 0 {
                return Event::Unacceptable;
            }
        }
        // Text or FIN beyond RCV.NXT is held for later with `hold_out_of_order` (SHLD-31),
        // its FIN not processed yet; without, the segment is answered like an unacceptable
        // one and the peer retransmits (RFC 9293 allows either). A bare
        // ACK there is acceptable and its ACK field is read (§3.10.7.4, SHLD-31): it is
        // what a peer sends after a FIN we have not seen yet. In SYN-RECEIVED, text held
        // from the peer's SYN comes first: text right after it is in order.
        let expected = sp.add(self.rcv_nxt, self.held_text + u32::from(self.held_fin));
        let beyond = (seg.len > 0 || f.fin()) && sp.lt(expected, seg.seq);
        // Such a segment passed the first step, so in SYN-RECEIVED the fifth step's reset
        // for an unacceptable ACK applies to it too ("If the segment acknowledgment is not
        // acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST>"), as Linux does.
        if beyond && self.state == State::SynReceived && !self.syn_received_ack_ok(cfg, seg) {
            return Event::AckUnacceptable;
        }
        let hold = beyond && self.holds_out_of_order(cfg);
        // Linux reads such a segment's ACK once the peer's FIN is in, and ignores the rest
        // (Config::ignore_beyond_after_fin): an ACK-only event.
        let ignored = beyond
            && cfg.ignore_beyond_after_fin
            && self.fin_received
            && matches!(
                self.state,
                State::CloseWait | State::Closing | State::LastAck
            );
        if beyond && !hold && !ignored {
            return Event::Unacceptable;
        }
        // Text or a FIN that starts at the right edge passed the first step only under
        // Config::right_edge_acceptable; once its ACK is read, Linux's tcp_data_queue()
        // finds it out of the window ("F.e. zero window probe"): dropped, ACKed at once.
        let at_edge = beyond && !ignored && !self.acceptable(sp, seg);
        // A FIN beyond the window is trimmed away with the text past it; a FIN held from
        // the peer's SYN is processed with the ACK of ours; a FIN held out of order once
        // the gap before it fills (the eighth step: "if the FIN is in sequence").
        let fin = (!hold
            && !ignored
            && f.fin()
            && sp.in_window(self.rcv_nxt, sp.add(seg.seq, seg.len), self.rcv_wnd))
            || self.held_fin
            || (!hold && self.fills_to_held_fin(sp, seg));
        if self.state == State::SynReceived {
            return if !self.syn_received_ack_ok(cfg, seg) {
                Event::AckUnacceptable
            } else if fin {
                Event::Fin
            } else {
                Event::AckOfSyn
            };
        }
        if !self.ack_acceptable(cfg, seg) {
            return Event::AckUnacceptable;
        }
        if at_edge {
            return Event::Unacceptable;
        }
        let acks_fin = self.acks_our_fin(seg);
        match (fin, acks_fin) {
            (true, true) => Event::FinAckOfFin,
            (true, false) => Event::Fin,
            (false, true) => Event::AckOfFin,
            (false, false) => Event::Ack,
        }
    }

    /// TIME-WAIT as FreeBSD's `tcp_twcheck()` reads a segment other than a RST
    /// ([`Config::time_wait_acks_all`]), in its order.
    fn classify_twcheck(&self, cfg: &Config, seg: &Segment) -> Event {
        let (sp, f) = (cfg.space, seg.flags);
        // "If a new connection request is received while in TIME_WAIT, drop the old
        // connection and start over if the sequence numbers are above the previous ones."
        if f.syn() && !f.ack() && sp.lt(self.rcv_nxt, seg.seq) {
            return Event::Syn;
        }
        // "Drop the segment if it does not contain an ACK."
        if !f.ack() {
            return Event::NoAck;
        }
        // RFC 7323 §3.2: timestamps negotiated, none on the segment: dropped silently.
        if self.opts.ts_ok && seg.opts.timestamps.is_none() && !cfg.accept_without_ts {
            return Event::NoAck;
        }
        // "Reset the 2MSL timer if this is a duplicate FIN" (and acknowledge it).
        let end = sp.add(seg.seq, seg.len + u32::from(f.syn()));
        if f.fin() && sp.add(end, 1) == self.rcv_nxt {
            return Event::FinRetransmit;
        }
        // "Acknowledge the segment if it has data or is not a duplicate ACK."
        let pure_duplicate = !f.syn()
            && !f.fin()
            && seg.len == 0
            && seg.seq == self.rcv_nxt
            && seg.ack == self.snd_nxt;
        if pure_duplicate {
            Event::Ack
        } else {
            Event::Unacceptable
        }
    }

    /// A simultaneous open's SYN-RECEIVED under [`Config::simultaneous_open_full_socket`].
    fn full_socket_syn_received(&self, cfg: &Config) -> bool {
        cfg.simultaneous_open_full_socket
            && self.state == State::SynReceived
            && self.origin == Origin::Active
    }

    /// SYN-RECEIVED's fifth step: SND.UNA < SEG.ACK =< SND.NXT (§3.10.7.4), or SND.UNA =<
    /// SEG.ACK =< SND.NXT in a simultaneous open as Linux's `tcp_ack()` reads it
    /// ([`Config::simultaneous_open_full_socket`]).
    fn syn_received_ack_ok(&self, cfg: &Config, seg: &Segment) -> bool {
        let sp = cfg.space;
        sp.in_open_closed(self.snd_una, seg.ack, self.snd_nxt)
            || (self.full_socket_syn_received(cfg) && seg.ack == self.snd_una)
    }

    /// [`Config::simultaneous_open_full_socket`]: text or a FIN (no SYN, no RST) ending
    /// just at RCV.NXT, which Linux's `tcp_sequence()` passes (its end is not before
    /// RCV.WUP) so that its ACK is read.
    fn ends_at_rcv_nxt_full_socket(&self, cfg: &Config, seg: &Segment) -> bool {
        let len = seg.seg_len();
        self.full_socket_syn_received(cfg)
            && !seg.flags.syn()
            && !seg.flags.rst()
            && len > 0
            && cfg.space.add(seg.seq, len) == self.rcv_nxt
    }

    /// RFC 7323 §5.3 R1 (PAWS): with timestamps on, a segment (not a RST) whose TSval is
    /// older than TS.Recent is not acceptable.
    fn paws_rejects(&self, seg: &Segment) -> bool {
        self.opts.ts_ok
            && !seg.flags.rst()
            && seg
                .opts
                .timestamps
                .is_some_and(|(val, _)| (val.wrapping_sub(self.opts.ts_recent) as i32) < 0)
    }

    /// SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT (RFC 5961 §5.2): an old ACK in that
    /// range is a duplicate, ignored, and the text processed (§3.10.7.4). At most half
    /// the space back (halved before narrowing: 2^32 does not fit in a u32).
    /// ([`Config::old_ack_within_bytes_acked`]: no further back than the bytes
    /// acknowledged.)
    fn ack_acceptable(&self, cfg: &Config, seg: &Segment) -> bool {
        let sp = cfg.space;
        let back = if cfg.old_ack_within_bytes_acked {
            self.max_snd_wnd.min(self.bytes_acked(sp))
        } else {
            self.max_snd_wnd
        };
        let oldest = sp.sub(self.snd_una, back.min((sp.modulus() / 2) as u32));
        let span = sp.sub(self.snd_nxt, oldest) as u64 + 1;
        (sp.sub(seg.ack, oldest) as u64) < span
    }

    /// [`Config::acceptable_to_rcv_wup`]: `seg` ends at or after the RCV.NXT our last ACK
    /// carried (Linux `rcv_wup`), and no later than RCV.NXT.
    fn ends_after_rcv_wup(&self, cfg: &Config, seg: &Segment) -> bool {
        let sp = cfg.space;
        let end = sp.add(seg.seq, seg.seg_len());
        let wup = match self.ack.rcv_edge {
            Some(_) => self.ack.rcv_wup,
            None => self.rcv_nxt,
        };
        cfg.acceptable_to_rcv_wup
            && !matches!(self.state, State::SynReceived | State::TimeWait)
            && sp.le(wup, end)
            && sp.le(end, self.rcv_nxt)
    }

    /// What the peer has acknowledged of ours beyond the SYN of a passive open, modulo the
    /// sequence space (Linux `tp->bytes_acked`: `tcp_snd_una_update()` counts every
    /// advance of SND.UNA; an active open's starts at ISS, so its SYN counts; a passive
    /// child is created with SND.UNA = ISS+1, `tcp_create_openreq_child()`).
    fn bytes_acked(&self, sp: SeqSpace) -> u32 {
        let acked = sp.sub(self.snd_una, self.iss);
        match self.origin {
            Origin::Passive => acked.saturating_sub(1),
            _ => acked,
        }
    }

    /// Whether `seg`, in a synchronized state, passes §3.10.7.4's first five steps and so
    /// reaches the seventh, its text: acceptable by the first step (the window, or its
    /// right edge under [`Config::right_edge_acceptable`]; PAWS), no RST and no SYN, and
    /// an acceptable ACK. Text or a FIN beyond RCV.NXT counts, held or not. A socket
    /// layer asks it before it answers text that arrives after close() (Linux
    /// `tcp_rcv_state_process()` tests RCV_SHUTDOWN at step 7, after `tcp_ack()`: a
    /// segment with a bad ACK gets its challenge ACK and goes no further).
    pub fn reaches_text_step(&self, cfg: &Config, seg: &Segment) -> bool {
        let f = seg.flags;
        if f.rst() || f.syn() || !f.ack() || !self.state.is_synchronized() {
            return false;
        }
        match self.clone().classify(cfg, &Input::Segment(*seg)) {
            Event::Ack | Event::AckOfFin | Event::Fin | Event::FinAckOfFin => true,
            // Beyond RCV.NXT and not held: its ACK was not read yet.
            Event::Unacceptable => {
                (self.acceptable(cfg.space, seg) || self.at_right_edge(cfg, seg))
                    && !self.paws_rejects(seg)
                    && self.ack_acceptable(cfg, seg)
            }
            _ => false,
        }
    }

    /// The segment's ACK acknowledges our FIN, which is outstanding.
    fn acks_our_fin(&self, seg: &Segment) -> bool {
        seg.flags.ack() && self.fin_sent && seg.ack == self.snd_nxt && self.snd_una != self.snd_nxt
    }

    /// The four cases of RFC 9293 §3.10.7.4's acceptability test.
    pub fn acceptable(&self, sp: SeqSpace, seg: &Segment) -> bool {
        let len = seg.seg_len();
        let (nxt, wnd) = (self.rcv_nxt, self.rcv_wnd);
        match (len, wnd) {
            (0, 0) => seg.seq == nxt,
            (0, _) => sp.in_window(nxt, seg.seq, wnd),
            (_, 0) => false,
            _ => {
                sp.in_window(nxt, seg.seq, wnd) || sp.in_window(nxt, sp.add(seg.seq, len - 1), wnd)
            }
        }
    }

    /// [`Config::right_edge_acceptable`]: `seg` starts at RCV.NXT+RCV.WND and Linux takes
    /// it there.
    fn at_right_edge(&self, cfg: &Config, seg: &Segment) -> bool {
        let len = seg.seg_len();
        cfg.right_edge_acceptable
            && self.state != State::TimeWait
            && seg.seq
                == self
                    .ack
                    .rcv_edge
                    .unwrap_or(cfg.space.add(self.rcv_nxt, self.rcv_wnd))
            && if self.state == State::SynReceived && self.origin == Origin::Passive {
                len == 0
            } else {
                // A FIN alone may lie past the edge ("Some stacks are known to handle FIN
                // incorrectly": tcp_sequence() tests end_seq - fin).
                len == 0 || self.recv_queue == 0 || seg.len == 0
            }
    }

    /// Step 3: one action of the row.
    fn apply(&mut self, cfg: &Config, action: Action, input: &Input, env: Env, out: &mut Outcome) {
        let sp = cfg.space;
        let seg = match input {
            Input::Segment(s) => Some(*s),
            _ => None,
        };
        match action {
            Action::CreatePassive => {
                *self = Tcb::fresh(cfg, Origin::Passive);
            }
            Action::CreateActive => {
                *self = Tcb::fresh(cfg, Origin::Active);
                self.choose_iss(env.iss);
            }
            Action::MakeActive => {
                self.origin = Origin::Active;
                self.choose_iss(env.iss);
            }
            Action::ChooseIss => self.choose_iss(env.iss),
            Action::RecordIrs => {
                if let Some(s) = seg {
                    if self.state == State::SynSent {
                        // FreeBSD tcp_input(): a SYN in SYN-SENT calls tcp_mss().
                        self.size_rcv_buf(cfg);
                    } else if cfg.rcv_buf_mss_multiple {
                        // FreeBSD syncache_add(): until the connection is made, its
                        // window is the SYN,ACK's, sc_wnd = min(buffer, TCP_MAXWIN).
                        self.rcv_wnd = self.rcv_wnd.min(u32::from(u16::MAX));
                    }
                    self.irs = s.seq;
                    self.rcv_nxt = sp.add(s.seq, 1);
                    // The SYN's window is never scaled (RFC 7323 §2.2).
                    self.negotiate(cfg, &s.opts);
                    if self.state == State::SynSent
                        && !s.flags.ack()
                        && cfg.simultaneous_open_resends_syn
                        && let Some(ours) = cfg.syn_options.wscale
                    {
                        // Config::simultaneous_open_resends_syn: Linux's crossed SYN
                        // leaves rcv_wscale as our SYN offered it.
                        self.opts.rcv_shift = ours.min(14);
                    }
                    if self.state == State::Listen && cfg.initial_rcv_space.is_some() {
                        // Config::initial_rcv_space: the timestamp option is known now.
                        self.rcv_wnd = self.initial_rcv_wnd(cfg);
                    }
                    self.snd_wnd = s.wnd;
                    self.max_snd_wnd = self.max_snd_wnd.max(s.wnd);
                    self.snd_wl1 = s.seq;
                    self.snd_wl2 = s.ack;
                }
            }
            Action::ProcessAck => {
                if let Some(s) = seg.filter(|s| s.flags.ack()) {
                    self.process_ack(cfg, &s, env.now);
                }
            }
            Action::HoldText => {
                if let Some(s) = seg {
                    // Config::syn_text_dropped: a SYN's text is not kept.
                    self.held_text = if cfg.syn_text_dropped { 0 } else { s.len };
                    self.held_fin = s.flags.fin();
                }
            }
            Action::AcceptText => {
                // First the text held since the peer's SYN, which comes at RCV.NXT ...
                let held = std::mem::take(&mut self.held_text);
                self.take_text(sp, held, out);
                // ... then this segment's (a SYN's text starts after the SYN).
                // (Config::syn_text_dropped: none from a SYN.)
                let seg = seg.filter(|s| !(s.flags.syn() && cfg.syn_text_dropped));
                if let Some(s) = seg.filter(|_| cfg.hold_out_of_order) {
                    self.receive_text(cfg, &s, out);
                } else if let Some(s) = seg.filter(|s| s.len > 0) {
                    let start = if s.flags.syn() {
                        sp.add(s.seq, 1)
                    } else {
                        s.seq
                    };
                    if sp.le(start, self.rcv_nxt) {
                        let skip = sp.sub(self.rcv_nxt, start);
                        self.take_text(sp, s.len.saturating_sub(skip), out);
                    }
                }
            }
            Action::AcceptFin => {
                self.rcv_nxt = sp.add(self.rcv_nxt, 1);
                if cfg.fin_takes_window {
                    self.rcv_wnd = self.rcv_wnd.saturating_sub(1);
                }
                self.fin_received = true;
                self.held_fin = false;
                // Nothing follows a FIN (Linux tcp_fin(): the out-of-order queue is
                // purged, the SACK blocks reset).
                if let Some(ooo) = self.ooo.if_present() {
                    *ooo = Reassembly {
                        dsack: ooo.dsack,
                        ..Reassembly::default()
                    };
                }
            }
            Action::DeferClose => self.close_deferred = true,
            Action::QueueText => {
                if let Input::Call(UserCall::Send(n)) = input {
                    self.send_queue = self.send_queue.saturating_add(*n);
                }
            }
            Action::ReadText => {
                if let Input::Call(UserCall::Receive(n)) = input {
                    let n = (*n).min(self.recv_queue);
                    self.recv_queue -= n;
                    self.rcv_wnd += n;
                    out.delivered = n;
                }
            }
            Action::Emit(emit) => self.emit(cfg, emit, seg, env.now, out),
            Action::Arm(timer, span) => {
                *self.timers.slot(timer) = Some(env.now.saturating_add(cfg.span(span) as u64));
            }
            Action::StopTimers => {
                self.timers = Timers::default();
                self.retries = 0;
                self.clear_probe();
            }
            Action::Signal(s) => out.signals.push(s),
            Action::Reject(e) => out.error = Some(e),
            Action::RejectIfNothingQueued(e) => {
                if out.delivered == 0 && self.recv_queue == 0 {
                    out.error = Some(e);
                }
            }
            Action::ReturnToListen => *self = Tcb::fresh(cfg, Origin::Passive),
            Action::DeleteTcb => *self = Tcb::default(),
        }
    }

    /// Accept `n` new in-order bytes at RCV.NXT, as far as the window allows.
    fn take_text(&mut self, sp: SeqSpace, n: u32, out: &mut Outcome) {
        let new = n.min(self.rcv_wnd);
        self.rcv_nxt = sp.add(self.rcv_nxt, new);
        self.rcv_wnd -= new;
        self.recv_queue += new;
        out.accepted += new;
    }

    fn fresh(cfg: &Config, origin: Origin) -> Tcb {
        let mut tcb = Tcb {
            origin,
            ..Tcb::default()
        };
        tcb.rcv_wnd = tcb.initial_rcv_wnd(cfg);
        tcb
    }

    /// RCV.WND of a new connection: `rcv_buf`, or as [`Config::initial_rcv_space`] says
    /// (Linux `tcp_select_initial_window()`: "Quantize space offering to a multiple of
    /// mss if possible").
    fn initial_rcv_wnd(&self, cfg: &Config) -> u32 {
        match cfg.initial_rcv_space {
            None => cfg.rcv_buf,
            Some(space) => {
                let space = space.min(cfg.rcv_buf);
                let mss = self.adv_mss(cfg);
                if space > mss {
                    space / mss * mss
                } else {
                    space
                }
            }
        }
    }

    fn choose_iss(&mut self, iss: u32) {
        self.iss = iss;
        self.snd_una = iss;
        self.snd_nxt = iss;
    }

    /// §3.10.7.4 fifth step, ESTABLISHED: advance SND.UNA, update the send window.
    fn process_ack(&mut self, cfg: &Config, s: &Segment, now: u64) {
        let sp = cfg.space;
        if self.state == State::SynReceived && sp.in_open_closed(self.snd_una, s.ack, self.snd_nxt)
        {
            // The ACK of our SYN,ACK makes the connection (FreeBSD syncache_socket()
            // calls tcp_mss() before the segment's text is taken).
            self.size_rcv_buf(cfg);
        }
        if sp.in_open_closed(self.snd_una, s.ack, self.snd_nxt) {
            self.snd_una = s.ack;
            self.retries = 0;
            if cfg.rtt.is_some() {
                self.measure(cfg, s, now);
                let una = self.snd_una;
                let over = |h: Option<u32>| h.filter(|&h| sp.lt(una, h));
                self.rtt.probe_high = over(self.rtt.probe_high);
                self.rtt.recovery = over(self.rtt.recovery);
            }
            // RFC 6298 §5.2–5.3: stop when all is acknowledged, else restart; or a tail
            // loss probe (Linux tcp_set_xmit_timer()).
            self.clear_probe();
            self.timers.retransmit =
                (self.snd_una != self.snd_nxt).then(|| now.saturating_add(self.rto(cfg)));
            if self.timers.retransmit.is_some() {
                self.schedule_probe(cfg, now, true);
            }
        }
        let ack_in_range = sp.le(self.snd_una, s.ack) && sp.le(s.ack, self.snd_nxt);
        let newer =
            sp.lt(self.snd_wl1, s.seq) || (self.snd_wl1 == s.seq && sp.le(self.snd_wl2, s.ack));
        if ack_in_range && newer {
            let wnd = self.seg_window(s);
            self.snd_wnd = wnd;
            self.snd_wl1 = s.seq;
            self.snd_wl2 = s.ack;
            self.max_snd_wnd = self.max_snd_wnd.max(wnd);
        }
    }

    /// [`Config::rcv_buf_mss_multiple`]: the receive buffer, `rcv_buf`, grows to a
    /// multiple of the send MSS when it is larger than one (FreeBSD `tcp_mss()`); RCV.WND
    /// grows with it. Idempotent: a buffer already that large stays.
    fn size_rcv_buf(&mut self, cfg: &Config) {
        let mss = cfg.mss.max(1);
        if !cfg.rcv_buf_mss_multiple || cfg.rcv_buf <= mss {
            return;
        }
        let want = cfg.rcv_buf.div_ceil(mss).saturating_mul(mss);
        let have = self.rcv_wnd.saturating_add(self.recv_queue);
        self.rcv_wnd += want.saturating_sub(have);
    }

    /// The receive buffer: RCV.WND and the text queued for the user.
    pub fn rcv_buffer(&self) -> u32 {
        self.rcv_wnd.saturating_add(self.recv_queue)
    }

    /// The window field of a segment we send: RCV.WND, at most the 16-bit field's 65,535
    /// (RFC 9293 §3.1); with window scaling, shifted right by Rcv.Wind.Shift (rounded up
    /// first where [`Config::scaled_window_rounds_up`] says), but never on a SYN
    /// (RFC 7323 §2.2). RCV.WND itself (what acceptability tests) is unscaled.
    fn window_field(&self, cfg: &Config, syn: bool) -> u32 {
        let shift = self.opts.rcv_shift;
        let wnd = if syn || shift == 0 {
            self.rcv_wnd
        } else if cfg.scaled_window_rounds_up {
            // roundup2(recwin, 1 << shift) >> shift
            u64::from(self.rcv_wnd)
                .div_ceil(1 << shift)
                .min(u64::from(u32::MAX)) as u32
        } else {
            self.rcv_wnd >> shift
        };
        wnd.min(u16::MAX as u32)
    }

    /// A segment from us, its window field as [`Tcb::window_field`] gives it.
    fn segment(&self, cfg: &Config, flags: Flags, seq: u32) -> Segment {
        let wnd = self.window_field(cfg, flags.syn());
        Segment::control(flags, seq, self.rcv_nxt, wnd)
    }

    /// An ACK: `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>`, or the FIN again where the
    /// profile's [`Config::ack_carries_fin`] says so.
    /// `answering` is the segment it answers, if any: a SYN there, under
    /// [`Config::syn_challenge_first`], gets the bare challenge ACK.
    fn ack_segment(&self, cfg: &Config, answering: Option<&Segment>) -> Segment {
        let fin_unacked = self.fin_sent && self.snd_una != self.snd_nxt;
        let challenge =
            cfg.syn_challenge_first && answering.is_some_and(|s| s.flags.syn() && !s.flags.rst());
        if cfg.ack_carries_fin
            && !challenge
            && fin_unacked
            && matches!(
                self.state,
                State::FinWait1 | State::Closing | State::LastAck
            )
        {
            return self.segment(cfg, Flags::FIN | Flags::ACK, cfg.space.sub(self.snd_nxt, 1));
        }
        self.segment(cfg, Flags::ACK, self.snd_nxt)
    }

    fn arm_retransmit(&mut self, cfg: &Config, now: u64) {
        if self.timers.retransmit.is_none() {
            self.timers.retransmit = Some(now.saturating_add(self.rto(cfg)));
        }
    }

    /// No tail loss probe is pending (without allocating the estimator's state to say so).
    fn clear_probe(&mut self) {
        if let Some(rtt) = self.rtt.if_present() {
            rtt.probe = false;
        }
    }

    /// Restarts the RTO (Linux `tcp_rearm_rto()`): from now, or, replacing a pending
    /// probe, from the oldest segment's last transmission (`tcp_rto_delta_us()`).
    fn rearm_rto(&mut self, cfg: &Config, now: u64) {
        let rto = self.rto(cfg);
        let base = match (self.rtt.probe, self.rtt.sent.front()) {
            (true, Some(head)) => head.last,
            _ => now,
        };
        self.clear_probe();
        self.timers.retransmit = Some(base.saturating_add(rto).max(now.saturating_add(1)));
    }

    /// Schedules a tail loss probe instead of the RTO, if one is due (RFC 8985 §7.2;
    /// Linux `tcp_schedule_loss_probe()`): [`Config::tail_loss_probe`] on, SACK on, our
    /// SYN acknowledged, something in flight, not recovering from an RTO. PTO is 2·SRTT
    /// (1 s before any sample: `TCP_TIMEOUT_INIT`), plus the RTO minimum with one segment
    /// in flight, else plus the configured margin; in whole clock units; but no later
    /// than the RTO: a full RTO from now after an ACK (`advancing`), else what is left of
    /// the oldest segment's.
    fn schedule_probe(&mut self, cfg: &Config, now: u64, advancing: bool) -> bool {
        let sp = cfg.space;
        let Some(margin) = cfg.tail_loss_probe.filter(|_| cfg.rtt.is_some()) else {
            return false;
        };
        let Some(head) = self.rtt.sent.front().copied() else {
            return false;
        };
        if !self.opts.sack_ok || self.rtt.recovery.is_some() || !sp.lt(self.iss, self.snd_una) {
            return false;
        }
        let g = u64::from(cfg.clock_granularity).max(1);
        let whole = |t: u64| t.div_ceil(g).saturating_mul(g);
        let pto = match self.rtt.srtt8 {
            0 => u64::from(cfg.rto),
            srtt8 => {
                let add = if self.rtt.sent.len() == 1 {
                    cfg.rto_min
                } else {
                    margin
                };
                whole((srtt8 / 4).saturating_add(u64::from(add)))
            }
        };
        let rto = self.rto(cfg);
        let left = if advancing {
            Some(rto)
        } else {
            head.last
                .saturating_add(rto)
                .checked_sub(now)
                .filter(|&d| d > 0)
        };
        let timeout = left.map_or(pto, |d| pto.min(whole(d)));
        self.timers.retransmit = Some(now.saturating_add(timeout));
        self.rtt.probe = true;
        true
    }

    /// The probe timer fired (Linux `tcp_send_loss_probe()`, RFC 8985 §7.3): resend the
    /// last segment sent, unless a probe is already outstanding, and restart the RTO from
    /// now, not backed off, no retransmission counted. New text the window allows is not
    /// sent as the probe: the endpoint sends all it can at once, so there is none.
    fn send_probe(&mut self, cfg: &Config, now: u64, out: &mut Outcome) {
        let sp = cfg.space;
        let last = self.rtt.sent.back().copied();
        let (Some(last), None) = (last, self.rtt.probe_high) else {
            // One probe per tail loss episode: back to the RTO of the oldest segment.
            self.rtt.probe = true;
            self.rearm_rto(cfg, now);
            return;
        };
        if self.send_queue > 0 {
            // New text first, Nagle's algorithm off (tcp_write_xmit(TCP_NAGLE_OFF)): the
            // short tail Config::nagle held, when the window allows it.
            let before = self.snd_nxt;
            self.flush_nagle(cfg, now, out, false);
            if self.snd_nxt != before {
                // probe_sent: no probe scheduled again (push_one = 2); the RTO from now.
                self.rtt.probe_high = Some(self.snd_nxt);
                self.clear_probe();
                self.timers.retransmit = Some(now.saturating_add(self.rto(cfg)));
                return;
            }
        }
        let s = if self.fin_sent && last.end == self.snd_nxt {
            self.segment(cfg, Flags::FIN | Flags::ACK, sp.sub(self.snd_nxt, 1))
        } else {
            let len = sp.sub(last.end, last.start).min(self.eff_mss(cfg)).max(1);
            let mut s = self.segment(cfg, Flags::ACK | Flags::PSH, sp.sub(last.end, len));
            s.len = len;
            s
        };
        self.rtt.retransmitted(sp, s.seq, s.seg_len(), now);
        out.segments.push(s);
        self.rtt.probe_high = Some(self.snd_nxt);
        self.timers.retransmit = Some(now.saturating_add(self.rto(cfg)));
    }

    /// A new segment `[start, start + len)` goes out: timed, when RTTs are measured.
    fn time_sent(&mut self, cfg: &Config, start: u32, len: u32, now: u64, syn: bool) {
        if cfg.rtt.is_some() {
            self.rtt.sent(start, cfg.space.add(start, len), now, syn);
        }
    }

    /// SND.UNA advanced (RFC 6298 §2–3, §5.7; Linux `tcp_clean_rtx_queue()`,
    /// `tcp_ack_update_rtt()`, `tcp_synack_rtt_meas()`, `tcp_init_metrics()`): a sample
    /// from the oldest segment acknowledged in full, unless one of them was retransmitted
    /// (Karn); then from the timestamp echo, which says which transmission is answered
    /// (RFC 7323 §4: taken only from an ACK that advances SND.UNA). A sample sets the RTO
    /// and ends any backoff; without one the RTO stays as it was, backed off or not.
    fn measure(&mut self, cfg: &Config, s: &Segment, now: u64) {
        let (sp, Some(p)) = (cfg.space, cfg.rtt_params()) else {
            return;
        };
        let acked = self.rtt.acked(sp, self.snd_una, now);
        let echo = match (self.opts.ts_ok, s.opts.timestamps, acked.oldest) {
            (true, Some((_, ecr)), Some(oldest)) => {
                // Our TSval is the time (attach_options). An echo of a time before the
                // oldest segment acknowledged was sent cannot be of that segment. (Linux
                // also skips a TSecr of 0, which its clock does not send; ours does, at
                // time 0.)
                let r = u64::from((now as u32).wrapping_sub(ecr));
                (r <= now.saturating_sub(oldest)).then_some(r)
            }
            _ => None,
        };
        if let Some(r) = acked.sample.or(echo) {
            self.rtt.sample(&p, r, self.snd_una, self.snd_nxt, sp);
        }
        if let Some(syn_retransmitted) = acked.syn {
            let fall_back = match cfg.syn_fallback {
                SynFallback::Off => false,
                SynFallback::SynRetransmitted => syn_retransmitted && cfg.rto < cfg.rto_fallback,
                SynFallback::NoSample => self.rtt.srtt().is_none(),
            };
            if fall_back {
                self.rtt.fall_back(u64::from(cfg.rto_fallback));
            }
        }
    }

    /// The peer's SYN again while ours is unacknowledged: SEG.SEQ = IRS, SYN without ACK
    /// or RST (other bits and text are ignored), its TSval not older than TS.Recent
    /// (Linux `tcp_check_req()`: `flg == TCP_FLAG_SYN && !paws_reject`).
    fn is_syn_again(&self, s: Segment) -> bool {
        let paws_reject = self.opts.ts_ok
            && s.opts
                .timestamps
                .is_some_and(|(val, _)| (val.wrapping_sub(self.opts.ts_recent) as i32) < 0);
        self.syn_outstanding()
            && s.seq == self.irs
            && s.flags.syn()
            && !s.flags.ack()
            && !s.flags.rst()
            && !paws_reject
    }

    /// The SYN is sent and not yet acknowledged.
    fn syn_outstanding(&self) -> bool {
        self.snd_una == self.iss && self.snd_nxt != self.iss
    }

    fn emit(
        &mut self,
        cfg: &Config,
        emit: Emit,
        seg: Option<Segment>,
        now: u64,
        out: &mut Outcome,
    ) {
        let sp = cfg.space;
        match emit {
            Emit::Syn => {
                out.segments.push(Segment::control(
                    Flags::SYN,
                    self.iss,
                    0,
                    self.window_field(cfg, true),
                ));
                self.snd_nxt = sp.add(self.iss, 1);
                if self.rtt.sent.iter().any(|r| r.syn) {
                    self.rtt.retransmitted(sp, self.iss, 1, now);
                } else {
                    self.time_sent(cfg, self.iss, 1, now, true);
                }
                self.arm_retransmit(cfg, now);
            }
            Emit::SynAck => {
                out.segments
                    .push(self.segment(cfg, Flags::SYN | Flags::ACK, self.iss));
                self.snd_nxt = sp.add(self.iss, 1);
                if !self.rtt.sent.iter().any(|r| r.syn) {
                    self.time_sent(cfg, self.iss, 1, now, true);
                } else if self.state == State::SynSent {
                    // Simultaneous open: Linux's tcp_send_synack() sends the SYN's own
                    // buffer again, as new (its send time restarts).
                    self.rtt.syn_resent_as_syn_ack(now);
                } else {
                    // Sent again for a duplicate SYN: inet_rtx_syn_ack() counts it in
                    // num_retrans, so tcp_synack_rtt_meas() takes no sample.
                    self.rtt.retransmitted(sp, self.iss, 1, now);
                }
                self.arm_retransmit(cfg, now);
            }
            Emit::Ack => out.segments.push(self.ack_segment(cfg, seg.as_ref())),
            Emit::DupAck | Emit::AckOfBadAck
                if self.oow_rate_limited(cfg, emit, seg.as_ref(), now) => {}
            Emit::DupAck | Emit::AckOfBadAck => {
                out.segments.push(self.ack_segment(cfg, seg.as_ref()))
            }
            Emit::ChallengeAck | Emit::AckOrSynAck
                if self.oow_rate_limited(cfg, emit, seg.as_ref(), now) => {}
            // Never the FIN again: FreeBSD's tcp_send_challenge_ack() builds it with
            // tcp_respond(TH_ACK), not tcp_output() (Config::ack_carries_fin).
            Emit::ChallengeAck => out
                .segments
                .push(self.segment(cfg, Flags::ACK, self.snd_nxt)),
            Emit::AckOrSynAck => match seg {
                Some(s) if self.is_syn_again(s) => {
                    // tcp_check_req() resends it (tcp_rtx_synack(): num_retrans, so no
                    // RTT sample) and restarts the request's timer from now at
                    // tcp_reqsk_timeout(), the backed-off RTO; num_timeout is unchanged.
                    out.segments
                        .push(self.segment(cfg, Flags::SYN | Flags::ACK, self.iss));
                    self.rtt.retransmitted(sp, self.iss, 1, now);
                    self.timers.retransmit = Some(now.saturating_add(self.rto(cfg)));
                }
                _ => out.segments.push(self.ack_segment(cfg, None)),
            },
            Emit::AckIfText if out.accepted > 0 || out.ack_now => match cfg.delayed_ack {
                Some(ato) => self.ack_or_delay(cfg, ato, seg, now, false, out),
                None => out.segments.push(self.ack_segment(cfg, None)),
            },
            Emit::AckIfText => {}
            Emit::AckIfTextOrSyn if seg.is_some_and(|s| s.seg_len() > 0) && out.accepted == 0 => {
                // tcp_data_queue(): nothing taken from a segment with length (a duplicate
                // such as the SYN,ACK, or out of window): tcp_send_dupack() or
                // out_of_window, quick-ACK mode, and the ACK at once.
                if cfg.delayed_ack.is_some() {
                    self.enter_quickack(cfg);
                }
                out.segments.push(self.ack_segment(cfg, None));
            }
            Emit::AckIfTextOrSyn => self.emit(cfg, Emit::AckIfText, seg, now, out),
            Emit::AckFinDelayable => match cfg.delayed_ack {
                Some(ato) => self.ack_or_delay(cfg, ato, seg, now, true, out),
                None => out.segments.push(self.ack_segment(cfg, None)),
            },
            Emit::Fin => {
                self.fin_queued = true;
                self.close_deferred = false;
                self.flush(cfg, now, out);
            }
            Emit::Data => self.flush(cfg, now, out),
            Emit::Rst => {
                let s = Segment::control(Flags::RST, self.snd_nxt, 0, 0);
                out.segments.push(self.stamp_reset(s, now));
            }
            Emit::RstAck => {
                let s = Segment::control(Flags::RST | Flags::ACK, self.snd_nxt, self.rcv_nxt, 0);
                out.segments.push(self.stamp_reset(s, now));
            }
            Emit::ResetReply => {
                if let Some(s) = seg {
                    out.segments.push(if s.flags.ack() {
                        Segment::control(Flags::RST, s.ack, 0, 0)
                    } else {
                        let ack = sp.add(s.seq, s.seg_len());
                        Segment::control(Flags::RST | Flags::ACK, 0, ack, 0)
                    });
                }
            }
            // Sent only when the window was zero before this RECEIVE: there is no persist
            // timer here, so the sender would otherwise not learn that it reopened.
            Emit::WindowUpdate => {
                if out.delivered > 0 && self.rcv_wnd == out.delivered {
                    out.segments.push(self.ack_segment(cfg, None));
                } else if cfg.delayed_ack.is_some()
                    && cfg.ack_policy == AckPolicy::Linux
                    && self.ack.scheduled
                {
                    // A read sends an ACK still due (Linux tcp_cleanup_rbuf()): more than
                    // one full segment unacknowledged, or a short segment and the read
                    // emptied the buffer.
                    let unacked = sp.sub(self.rcv_nxt, self.ack.rcv_wup);
                    let pushed =
                        self.ack.pushed == 2 || (self.ack.pushed == 1 && !self.ack.pingpong);
                    if unacked > self.ack.rcv_mss
                        || (out.delivered > 0 && pushed && self.recv_queue == 0)
                    {
                        out.segments.push(self.ack_segment(cfg, None));
                    }
                }
            }
            Emit::Retransmit => self.retransmit(cfg, now, out),
        }
    }

    /// [`Config::oow_ack_rate_limit`]: whether this out-of-window ACK is skipped. One
    /// that is sent (or would be, without the limit) restarts the count (Linux
    /// `__tcp_oow_rate_limited()`); [`Emit::DupAck`] and [`Emit::AckOrSynAck`] count only
    /// for a segment with no text and no FIN, or with SYN (`tcp_oow_rate_limited()`).
    fn oow_rate_limited(
        &mut self,
        cfg: &Config,
        emit: Emit,
        answering: Option<&Segment>,
        now: u64,
    ) -> bool {
        let Some(limit) = cfg.oow_ack_rate_limit else {
            return false;
        };
        let counted = match emit {
            Emit::DupAck | Emit::AckOrSynAck => {
                answering.is_none_or(|s| s.flags.syn() || (s.len == 0 && !s.flags.fin()))
            }
            _ => true,
        };
        if !counted {
            return false;
        }
        if let Some(last) = self.ack.last_oow_ack
            && now.saturating_sub(last) < u64::from(limit)
        {
            return true;
        }
        self.ack.last_oow_ack = Some(now);
        false
    }

    /// ABORT's reset carries the timestamp option when it is on: RFC 7323 §3.2, "SHOULD
    /// be sent in an <RST> segment" (Linux `tcp_send_active_reset()` does). Stamped here,
    /// before the row deletes the TCB; replies from no connection carry none.
    fn stamp_reset(&self, mut s: Segment, now: u64) -> Segment {
        if self.opts.ts_ok {
            s.opts.timestamps = Some((now as u32, self.opts.ts_recent));
        }
        s
    }

    /// Send queued text as the window allows, then a queued FIN (RFC 9293 §3.10.4:
    /// the FIN follows all preceding SENDs).
    ///
    /// Text waits until our SYN is acknowledged: SENDs in SYN-SENT and SYN-RECEIVED are
    /// queued "for transmission after entering ESTABLISHED state" (§3.10.2), and a CLOSE
    /// in SYN-RECEIVED with such text queues its FIN "for processing after entering
    /// ESTABLISHED state" (§3.10.4). Only a CLOSE with nothing queued sends its FIN before
    /// the SYN is acknowledged, as §3.10.4 says.
    fn flush(&mut self, cfg: &Config, now: u64, out: &mut Outcome) {
        self.flush_nagle(cfg, now, out, cfg.nagle);
    }

    /// [`Tcb::flush`], with Nagle's algorithm on or off for this call.
    fn flush_nagle(&mut self, cfg: &Config, now: u64, out: &mut Outcome, nagle: bool) {
        let sp = cfg.space;
        if self.fin_sent {
            return;
        }
        let in_flight = sp.sub(self.snd_nxt, self.snd_una);
        // Config::loss_window: after an RTO, one segment in flight fills the window.
        let lost = cfg.loss_window && self.retries > 0 && in_flight > 0;
        let mut usable = if self.syn_outstanding() || lost {
            0
        } else {
            self.snd_wnd.saturating_sub(in_flight)
        };
        let mut sent = false;
        while self.send_queue > 0 && usable > 0 {
            let n = self.send_queue.min(usable).min(self.eff_mss(cfg));
            // PSH on the segment that empties the queue (RFC 1122 §4.2.2.2: "the last
            // buffered segment"), as Linux's tcp_push() and FreeBSD's tcp_output() set it,
            // and where the profile says, on one that fills the window.
            let last = cfg.push_every_segment
                || n == self.send_queue
                || (cfg.push_at_window_edge && n == usable);
            let psh = if last { Flags::PSH } else { Flags::NONE };
            // Config::fin_on_last_segment: the FIN on the segment that empties the queue.
            let fin = cfg.fin_on_last_segment && self.fin_queued && n == self.send_queue;
            if nagle
                && !fin
                && n == self.send_queue
                && n < self.eff_mss(cfg)
                && self.minshall_holds(sp)
            {
                // Config::nagle: tcp_nagle_test() holds the queue's short tail.
                break;
            }
            let flags = Flags::ACK | psh | if fin { Flags::FIN } else { Flags::NONE };
            let mut s = self.segment(cfg, flags, self.snd_nxt);
            s.len = n;
            out.segments.push(s);
            let n_seq = n + u32::from(fin);
            self.time_sent(cfg, self.snd_nxt, n_seq, now, false);
            self.snd_nxt = sp.add(self.snd_nxt, n_seq);
            self.send_queue -= n;
            usable -= n;
            sent = true;
            if cfg.nagle && n < self.eff_mss(cfg) {
                // tcp_minshall_update(): the end of the last short segment.
                self.snd_sml = Some(self.snd_nxt);
            }
            if fin {
                self.fin_sent = true;
                break;
            }
        }
        // Linux: after a loss in the handshake the congestion window holds the FIN behind
        // our unacknowledged SYN (Config::fin_held_after_handshake_loss).
        // A simultaneous open established by an ACK of nothing (Config::
        // simultaneous_open_full_socket) has its congestion window set afresh by
        // tcp_init_transfer(): one segment only after more than one retransmission.
        let losses = u8::from(self.state == State::Established);
        let fin_held =
            cfg.fin_held_after_handshake_loss && self.syn_outstanding() && self.retries > losses;
        if self.fin_queued && !self.fin_sent && self.send_queue == 0 && !fin_held && !lost {
            out.segments
                .push(self.segment(cfg, Flags::FIN | Flags::ACK, self.snd_nxt));
            self.time_sent(cfg, self.snd_nxt, 1, now, false);
            self.snd_nxt = sp.add(self.snd_nxt, 1);
            self.fin_sent = true;
            sent = true;
        }
        if sent && cfg.tail_loss_probe.is_some() && cfg.rtt.is_some() {
            // tcp_event_new_data_sent(): the RTO restarts when nothing was in flight or a
            // probe was pending; then tcp_write_xmit() schedules a probe.
            if in_flight == 0 || self.rtt.probe || self.timers.retransmit.is_none() {
                self.rearm_rto(cfg, now);
            }
            self.schedule_probe(cfg, now, false);
        } else if sent {
            self.arm_retransmit(cfg, now);
        }
    }

    /// Minshall's test (Linux `tcp_minshall_check()` with `packets_out`): something is
    /// in flight and the last short segment sent ends after SND.UNA and by SND.NXT.
    fn minshall_holds(&self, sp: SeqSpace) -> bool {
        self.snd_sml.is_some_and(|sml| {
            self.snd_nxt != self.snd_una && sp.lt(self.snd_una, sml) && sp.le(sml, self.snd_nxt)
        })
    }

    /// Resend the oldest unacknowledged segment and back off (RFC 6298 §5.4–5.6).
    /// Linux does not back off the first `syn_linear_timeouts` SYN retransmissions
    /// (`tcp_retransmit_timer()`: `total_rto > sysctl_tcp_syn_linear_timeouts`).
    fn retransmit(&mut self, cfg: &Config, now: u64, out: &mut Outcome) {
        let sp = cfg.space;
        let in_flight = sp.sub(self.snd_nxt, self.snd_una);
        if in_flight == 0 {
            return;
        }
        if self.rtt.probe {
            self.clear_probe();
            self.send_probe(cfg, now, out);
            return;
        }
        if cfg.rtt.is_some() {
            // Loss recovery until all now in flight is acknowledged (Linux tcp_enter_loss():
            // high_seq = SND.NXT): no tail loss probe meanwhile.
            self.rtt.recovery = Some(self.snd_nxt);
        }
        if cfg.user_timeout.is_some() && self.user_clock.since.is_none() {
            // The first retransmission since the last forward progress (Linux
            // tcp_retransmit_skb(): "Save stamp of the first (attempted) retransmit").
            self.user_clock.since = Some(now);
        }
        if self.syn_outstanding() {
            out.segments.push(if self.state == State::SynSent {
                Segment::control(Flags::SYN, self.iss, 0, self.window_field(cfg, true))
            } else {
                self.segment(cfg, Flags::SYN | Flags::ACK, self.iss)
            });
        } else {
            let text = in_flight - u32::from(self.fin_sent);
            if text > 0 {
                let len = text.min(self.eff_mss(cfg));
                // PSH again only if this copy carries the last byte queued.
                let last = cfg.push_every_segment || (len == text && self.send_queue == 0);
                let psh = if last { Flags::PSH } else { Flags::NONE };
                // Config::fin_on_last_segment: the FIN collapsed into the last text.
                let fin = cfg.fin_on_last_segment && self.fin_sent && len == text;
                let fin = if fin { Flags::FIN } else { Flags::NONE };
                let mut s = self.segment(cfg, Flags::ACK | psh | fin, self.snd_una);
                s.len = len;
                out.segments.push(s);
            } else {
                out.segments
                    .push(self.segment(cfg, Flags::FIN | Flags::ACK, self.snd_una));
            }
        }
        // With nothing measured (never allocated) there is nothing to mark.
        if let (Some(s), Some(rtt)) = (out.segments.last(), self.rtt.if_present()) {
            rtt.retransmitted(sp, s.seq, s.seg_len(), now);
        }
        self.retries = cfg.retries_after(self.retries);
        if cfg.rtt.is_some() {
            let linear = self.state == State::SynSent
                && u32::from(self.retries) <= u32::from(cfg.syn_linear_timeouts);
            if !linear && cfg.backoff {
                self.rtt
                    .back_off(u64::from(cfg.rto), u64::from(cfg.rto_max));
            }
        }
        self.timers.retransmit = Some(now.saturating_add(self.rto(cfg)));
    }
}

/// The out-of-order queue and SACK (RFC 9293 §3.10.7.4 SHLD-31, RFC 2018, RFC 2883),
/// with [`Config::hold_out_of_order`] set.
impl Tcb {
    /// Where `x` lies from RCV.NXT: negative before it.
    fn rel(&self, sp: SeqSpace, x: u32) -> i64 {
        if sp.lt(x, self.rcv_nxt) {
            -(sp.sub(self.rcv_nxt, x) as i64)
        } else {
            sp.sub(x, self.rcv_nxt) as i64
        }
    }

    /// The sequence number `x` from RCV.NXT.
    fn abs(&self, sp: SeqSpace, x: i64) -> u32 {
        sp.add(self.rcv_nxt, x.rem_euclid(sp.modulus() as i64) as u32)
    }

    /// Text beyond RCV.NXT is held in this state: one whose row takes text (Linux
    /// `tcp_rcv_state_process()` queues text in ESTABLISHED and the FIN-WAIT states; a
    /// connection in SYN-RECEIVED becomes ESTABLISHED first), no FIN taken or held from
    /// the SYN.
    fn holds_out_of_order(&self, cfg: &Config) -> bool {
        cfg.hold_out_of_order
            && !self.held_fin
            && !self.fin_received
            && matches!(
                self.state,
                State::SynReceived | State::Established | State::FinWait1 | State::FinWait2
            )
    }

    /// This in-order segment fills the gap before a FIN held out of order: the FIN is now
    /// in sequence (Linux `tcp_ofo_queue()` calls `tcp_fin()`). Not if the segment's own
    /// text covers the FIN's number: that FIN is dropped with its range (`tcp_ofo_queue()`
    /// drops a queued segment that ends at or before RCV.NXT; see [`Tcb::drain`]).
    fn fills_to_held_fin(&self, sp: SeqSpace, seg: &Segment) -> bool {
        let Some(fin) = self.ooo.fin else {
            return false;
        };
        let held = i64::from(self.held_text);
        // A segment that starts beyond RCV.NXT (a bare ACK there) fills no gap.
        let start = self.rel(sp, seg.seq);
        let mut nxt = if start > held {
            held
        } else {
            held.max(start + i64::from(seg.len))
        };
        nxt = nxt.min(i64::from(self.rcv_wnd));
        if self.rel(sp, fin) < nxt {
            return false;
        }
        for &(a, b) in &self.ooo.held {
            if self.rel(sp, a) > nxt {
                break;
            }
            nxt = nxt.max(self.rel(sp, b));
        }
        self.rel(sp, fin) < nxt
    }

    /// The seventh step with the out-of-order queue: in-order text is taken (the part
    /// already received skipped), text beyond RCV.NXT held within the window, and held
    /// text that is now in order taken after it. A segment that finds the queue not empty,
    /// or leaves it so, is acknowledged at once.
    fn receive_text(&mut self, cfg: &Config, s: &Segment, out: &mut Outcome) {
        let sp = cfg.space;
        let start = if s.flags.syn() {
            sp.add(s.seq, 1)
        } else {
            s.seq
        };
        let fin = s.flags.fin();
        let len = s.len + u32::from(fin);
        // A bare ACK: nothing to take, no ACK due (Linux tcp_data_queue() drops it).
        if len == 0 {
            return;
        }
        let had = !self.ooo.held.is_empty();
        if cfg.dsack
            && self.opts.sack_ok
            && let Some(d) = self.duplicate_part(sp, start, sp.add(start, len))
        {
            self.ooo.dsack = Some(d);
        }
        let at = self.rel(sp, start);
        let mut fin_in_order = false;
        if at <= 0 {
            let skip = at.unsigned_abs().min(u64::from(s.len)) as u32;
            self.take_text(sp, s.len - skip, out);
            // The segment's own FIN is now in sequence: held text beyond it is not taken
            // (the eighth step processes the FIN; the FIN action empties the queue, as
            // Linux tcp_fin() purges it: "something out-of-order after FIN").
            fin_in_order = fin && self.rcv_nxt == sp.add(start, s.len);
        } else {
            self.hold(sp, start, s.len, fin);
        }
        // A FIN in order leaves no gap filled (what was held lies past it): its ACK is
        // the FIN's, as usual (Linux tcp_data_queue(): tcp_fin() purges the queue before
        // the "gap filled" test, so no ICSK_ACK_NOW).
        if (had || !self.ooo.held.is_empty()) && !fin_in_order {
            self.drain(sp, out);
            out.ack_now = true;
        }
    }

    /// What of `[start, end)` we already have, for a D-SACK block (RFC 2883 §4): its
    /// first overlap with the text below RCV.NXT or a held range, extended by the next
    /// ones that touch it (Linux `tcp_dsack_set()`, `tcp_dsack_extend()`).
    fn duplicate_part(&self, sp: SeqSpace, start: u32, end: u32) -> Option<(u32, u32)> {
        let (l, r) = (self.rel(sp, start), self.rel(sp, end));
        let mut have = vec![(i64::MIN, 0)];
        have.extend(
            self.ooo
                .held
                .iter()
                .map(|&(a, b)| (self.rel(sp, a), self.rel(sp, b))),
        );
        let mut dup: Option<(i64, i64)> = None;
        for (a, b) in have {
            let (lo, hi) = (a.max(l), b.min(r));
            if lo >= hi {
                continue;
            }
            dup = match dup {
                None => Some((lo, hi)),
                Some((dl, dh)) if lo <= dh => Some((dl, dh.max(hi))),
                keep => keep,
            };
        }
        dup.map(|(lo, hi)| (self.abs(sp, lo), self.abs(sp, hi)))
    }

    /// Hold a segment that starts beyond RCV.NXT, trimmed to the window (its FIN only if
    /// all its text fits), merged with what is held, and report it first in the SACK
    /// blocks.
    fn hold(&mut self, sp: SeqSpace, start: u32, len: u32, fin: bool) {
        let off = self.rel(sp, start);
        let wnd = i64::from(self.rcv_wnd);
        if off >= wnd {
            return;
        }
        let text = i64::from(len).min(wnd - off);
        let fin_held = fin && text == i64::from(len) && off + text < wnd;
        let (mut l, mut r) = (off, off + text + i64::from(fin_held));
        if l == r {
            return;
        }
        if fin_held {
            self.ooo.fin = Some(sp.add(start, text as u32));
        }
        let ranges = std::mem::take(&mut self.ooo.held);
        let mut kept = Vec::with_capacity(ranges.len() + 1);
        for (a, b) in ranges {
            let (ra, rb) = (self.rel(sp, a), self.rel(sp, b));
            if rb < l || ra > r {
                kept.push((ra, rb));
            } else {
                l = l.min(ra);
                r = r.max(rb);
            }
        }
        kept.push((l, r));
        kept.sort_unstable();
        self.ooo.held = kept
            .into_iter()
            .map(|(a, b)| (self.abs(sp, a), self.abs(sp, b)))
            .collect();
        if self.opts.sack_ok {
            let right = self.abs(sp, off + text + i64::from(fin_held));
            self.sack_new_block(sp, start, right);
        }
    }

    /// Take the held text RCV.NXT now reaches, up to a held FIN (left for the FIN
    /// action), and drop the SACK blocks RCV.NXT covers (Linux `tcp_ofo_queue()`,
    /// `tcp_sack_remove()`).
    fn drain(&mut self, sp: SeqSpace, out: &mut Outcome) {
        while let Some(&(a, b)) = self.ooo.held.first() {
            if self.rel(sp, a) > 0 {
                break;
            }
            self.ooo.held.remove(0);
            let fin = self
                .ooo
                .fin
                .filter(|&f| sp.le(a, f) && sp.lt(f, b))
                .is_some();
            // A FIN whose number text in order has covered is dropped (Linux
            // tcp_ofo_queue(): a queued segment ending at or before RCV.NXT goes unread).
            if fin && self.ooo.fin.is_some_and(|f| self.rel(sp, f) < 0) {
                self.ooo.fin = None;
                continue;
            }
            let text_end = self.rel(sp, b) - i64::from(fin);
            if text_end > 0 {
                self.take_text(sp, text_end as u32, out);
            }
            if fin {
                break;
            }
        }
        let nxt = self.rcv_nxt;
        if let Some(ooo) = self.ooo.if_present() {
            if ooo.held.is_empty() {
                ooo.sacks.clear();
            } else {
                ooo.sacks.retain(|&(a, _)| sp.lt(nxt, a));
            }
        }
    }

    /// RFC 2018 §4: the block holding the segment just received goes first, the others
    /// after it in the order they were last reported; a full list loses its oldest
    /// (Linux `tcp_sack_new_ofo_skb()`, `tcp_sack_extend()`, `tcp_sack_maybe_coalesce()`).
    fn sack_new_block(&mut self, sp: SeqSpace, left: u32, right: u32) {
        let touches = |(a, b): (u32, u32), (l, r): (u32, u32)| !sp.lt(r, a) && !sp.lt(b, l);
        let union = |(a, b): (u32, u32), (l, r): (u32, u32)| {
            (
                if sp.lt(l, a) { l } else { a },
                if sp.lt(b, r) { r } else { b },
            )
        };
        let new = (left, right);
        let sacks = &mut self.ooo.sacks;
        if let Some(i) = sacks.iter().position(|&blk| touches(blk, new)) {
            let first = union(sacks.remove(i), new);
            sacks.insert(0, first);
            let mut i = 1;
            while i < sacks.len() {
                if touches(sacks[i], sacks[0]) {
                    let other = sacks.remove(i);
                    sacks[0] = union(sacks[0], other);
                } else {
                    i += 1;
                }
            }
        } else {
            sacks.truncate(SackBlocks::MAX - 1);
            sacks.insert(0, new);
        }
    }

    /// A segment whose text (or FIN) we already have, answered with an ACK, is reported in
    /// a D-SACK block (RFC 2883 §4; Linux `tcp_send_dupack()`: the part below RCV.NXT).
    /// Not in SYN-RECEIVED or TIME-WAIT, where Linux's mini sockets keep no SACK state.
    fn note_duplicate(&mut self, cfg: &Config, event: Event, seg: &Segment) {
        let sp = cfg.space;
        let len = seg.seg_len();
        if cfg.dsack
            && self.opts.sack_ok
            && matches!(event, Event::Unacceptable | Event::FinRetransmit)
            && matches!(
                self.state,
                State::Established
                    | State::FinWait1
                    | State::FinWait2
                    | State::CloseWait
                    | State::Closing
                    | State::LastAck
            )
            && len > 0
            && !seg.flags.syn()
            && sp.lt(seg.seq, self.rcv_nxt)
        {
            let end = sp.add(seg.seq, len);
            let end = if sp.lt(self.rcv_nxt, end) {
                self.rcv_nxt
            } else {
                end
            };
            self.ooo.dsack = Some((seg.seq, end));
        }
    }

    /// The SACK option of a segment we send now (RFC 2018 §3): a pending D-SACK block
    /// first (sent once), then the SACK blocks, as many as fit beside the other options:
    /// 4, or 3 with timestamps (Linux `tcp_established_options()`).
    fn sack_option(&mut self) -> SackBlocks {
        if !self.opts.sack_ok {
            return SackBlocks::NONE;
        }
        let room = if self.opts.ts_ok { 3 } else { 4 };
        let mut blocks: Vec<(u32, u32)> = self.ooo.dsack.take().into_iter().collect();
        blocks.extend(self.ooo.sacks.iter().copied());
        blocks.truncate(room);
        SackBlocks::new(&blocks)
    }
}
