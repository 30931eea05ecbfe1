//! One endpoint under test, driven statement by statement.
//!
//! The endpoint is `model::Tcb::step` and nothing else: this module ([`ModelStack`]) only
//! maps the socket API onto the RFC's user calls (RFC 9293 §3.9) and routes segments to
//! the right TCB; the runner ([`Engine`]) keeps time and compares what the endpoint sends
//! with what the script expects. The options, the transcript types and the numbering are
//! in [`crate::options`], [`crate::transcript`] and [`crate::numbering`], re-exported here.
//!
//! Sockets follow BSD: a listening socket stays in LISTEN and a SYN gives it a child
//! connection, which `accept` hands out. One remote peer is modelled, so at most one
//! connection is on the wire at a time; segments with no connection and no listener go
//! to a closed port (the table's CLOSED rows answer them).

use crate::engine::Engine;
pub use crate::numbering::describe_tcb;
use crate::options::MIN_MSS;
pub use crate::options::{Options, PACKETDRILL_OPTIONS, SCRIPT_OPTIONS};
use crate::run::RunError;
use crate::script::{Call, Value};
use crate::stack::{Called, Mismatch, RawStep, Ready as SReady, Sent, Stack, Wait};
use crate::syscall::Errno;
use crate::syscall::args::{iov_total, list_items, null_buffer, peek};
use crate::syscall::events::{bits as event_bits, text as events_text, *};
pub use crate::transcript::{
    Entry, Failure, Kind, Place, Source, Step, Wire, place, seconds, time_wait_restart,
};
use model::Event;
use model::endpoint::Env;
use model::table::Timer;
use model::{Config, Input, Outcome, RowId, Segment, Signal, State, Table, Tcb, UserCall};
use std::collections::{BTreeSet, VecDeque};

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
    /// `setsockopt(TCP_USER_TIMEOUT)`, ms: the connection's user timeout (RFC 9293
    /// §3.9.1, RFC 5482; Linux's `icsk_user_timeout`, which children inherit from their
    /// listener); `None` for 0, the default.
    user_timeout: Option<u32>,
    /// `setsockopt(TCP_NODELAY)`: Nagle's algorithm off for this connection (Linux's
    /// `tp->nonagle`, which children inherit from their listener).
    nodelay: bool,
    /// A pending socket error (`sk_err`), reported by the next call.
    error: Option<&'static str>,
    /// A soft error (an ICMP message, RFC 1122 §4.2.3.9): reported only if the
    /// connection times out (Linux's `sk_err_soft`).
    soft_error: Option<&'static str>,
    /// The connection was established once (so EOF and EPIPE, not ENOTCONN).
    connected: bool,
    /// The connection was reset or timed out (Linux's `tcp_done()`: `sk_shutdown =
    /// SHUTDOWN_MASK`), so a read after the error is end of file under
    /// [`Config::read_after_reset_eof`].
    done: bool,
    /// Text that was queued, unread, when the connection was reset or timed out: still
    /// read before the error under [`Config::read_after_reset_eof`] (Linux's `tcp_done()`
    /// leaves `sk_receive_queue` to the socket).
    unread_after_reset: u32,
    /// Accepted, or opened by the user: handed out.
    owned: bool,
    /// A request (a passive SYN-RECEIVED) whose listener was closed, kept until its
    /// timer fires or a segment reaches it ([`Config::request_outlives_listener`]).
    orphaned: bool,
    /// Closed before `accept()`, and kept in the accept queue for it
    /// ([`Config::reset_child_accepted`]).
    queued: bool,
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
            user_timeout: None,
            nodelay: false,
            error: None,
            soft_error: None,
            connected: false,
            done: false,
            unread_after_reset: 0,
            owned: fd.is_some(),
            orphaned: false,
            queued: false,
        }
    }
}

enum Ready {
    Done(i64, Option<&'static str>),
    Block,
}

/// A file descriptor that is not a TCP socket: parsed calls give them out, nothing
/// is modelled behind them but an epoll's interest list.
enum OtherFd {
    /// `epoll_create`: the fds watched and the events asked.
    Epoll(Vec<(i64, u32)>),
    /// `pipe`, `open`: a label only.
    Plain,
}

/// The table's endpoint as a [`Stack`]: BSD sockets onto RFC 9293's user calls, each
/// connection a `model::Tcb` stepped through the table.
pub struct ModelStack {
    table: Table,
    opts: Options,
    now: u64,
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
    /// Rows applied and not yet taken by the runner.
    steps: Vec<RawStep>,
    /// The state the last connection was left in (a listener's is not a connection).
    last_conn: Option<State>,
    /// Eff.snd.MSS (RFC 9293 §3.7.1): the peer's MSS option, 536 without one, at most
    /// our own limit (`--mss`).
    send_mss: u32,
    fired: BTreeSet<RowId>,
    samples: Vec<Vec<Tcb>>,
    noticed: BTreeSet<String>,
}

/// The runner driving the table's endpoint: what `run` and the REPL use.
pub type Session = Engine<ModelStack>;

impl Engine<ModelStack> {
    /// A session with nothing open. Fails on an unknown profile.
    pub fn new(opts: Options) -> Result<Session, RunError> {
        Ok(Engine::with_stack(ModelStack::new(opts.clone())?, opts))
    }

    /// The table the endpoint follows.
    pub fn table(&self) -> &Table {
        &self.stack().table
    }

    /// Rows fired so far.
    pub fn fired(&self) -> &BTreeSet<RowId> {
        &self.stack().fired
    }

    /// Up to a few TCBs seen in each state (for coverage reasons).
    pub fn samples(&self) -> &[Vec<Tcb>] {
        &self.stack().samples
    }

    /// The TCB the wire talks to (the connection, else the listener), if any.
    pub fn focus(&self) -> Option<&Tcb> {
        self.stack().focus()
    }

    /// Every socket, its file descriptor and state.
    pub fn sockets(&self) -> Vec<(Option<i64>, State)> {
        self.stack().sockets()
    }
}

impl ModelStack {
    /// The endpoint with nothing open. Fails on an unknown profile.
    pub fn new(opts: Options) -> Result<ModelStack, RunError> {
        let table = Table::from_spec(&opts.profile).map_err(RunError::Profile)?;
        Ok(ModelStack {
            table,
            last_conn: None,
            send_mss: opts.config.mss,
            opts,
            now: 0,
            socks: Vec::new(),
            others: std::collections::BTreeMap::new(),
            watch: Vec::new(),
            watch_epoll: None,
            edge_seen: std::collections::BTreeMap::new(),
            outbound: VecDeque::new(),
            steps: Vec::new(),
            fired: BTreeSet::new(),
            samples: vec![Vec::new(); State::ALL.len()],
            noticed: BTreeSet::new(),
        })
    }

    /// The table the endpoint follows.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Rows fired so far.
    pub fn fired(&self) -> &BTreeSet<RowId> {
        &self.fired
    }

    /// Up to a few TCBs seen in each state (for coverage reasons).
    pub fn samples(&self) -> &[Vec<Tcb>] {
        &self.samples
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

    /// The focused TCB, its state and text in script numbering (`offset`: live =
    /// script + offset).
    fn focus_text(&self, offset: u32) -> (State, String) {
        match self.focus() {
            None => (State::Closed, "no TCB (CLOSED)".to_string()),
            Some(t) => (t.state, describe_tcb(t, offset)),
        }
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

    /// Steps socket `i` through the table, queueing what it sends.
    /// Steps socket `i` through the table, queueing what it sends and the row applied.
    fn step(&mut self, i: usize, input: Input, who: String) -> Outcome {
        let env = Env {
            now: self.now,
            // RFC 9293 §3.4.1: the ISN clock ticks every 4 microseconds.
            iss: self.opts.iss.wrapping_add((self.now / 4) as u32),
        };
        let user_mss = self.socks[i].user_mss.unwrap_or(u32::MAX);
        let mut cfg = Config {
            mss: self.send_mss.min(user_mss),
            // The socket's user timeout is the endpoint's (1 tick = 1 µs).
            user_timeout: self.socks[i]
                .user_timeout
                .map(|ms| ms.saturating_mul(1_000)),
            nagle: self.opts.config.nagle && !self.socks[i].nodelay,
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
        if cfg.read_after_reset_eof
            && self.socks[i].tcb.state == State::Closed
            && out
                .signals
                .iter()
                .any(|s| matches!(s, Signal::Reset | Signal::TimedOut))
        {
            self.socks[i].unread_after_reset = was.0;
        }
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
            Input::Segment(s) => Some(s),
            _ => None,
        };
        self.after(i, &out);
        self.steps.push(RawStep {
            socket: who,
            event: out.event,
            row: out.row,
            from: out.from,
            to: out.to,
            sent: out.segments.to_vec(),
            received,
            note,
        });
        out
    }

    /// `getsockopt(SO_RCVBUF)` reports the receive buffer: a profile sets it (FreeBSD's
    /// `net.inet.tcp.recvspace`, which `SO_RCVBUF` reads back). Linux's (`sk_rcvbuf`,
    /// twice what `SO_RCVBUF` set) is not the window here, so it stays unchecked.
    fn rcv_buf_modelled(&self) -> bool {
        model::Profile::parse_list(&self.opts.profile).is_ok_and(|p| {
            model::profile::settings(&p)
                .iter()
                .any(|(_, s)| matches!(s.param, model::Param::RcvBuf(_)))
        })
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
        if out.to == State::Listen && !idle(out.from) {
            // A child reset back to LISTEN (§3.10.7.4) is a connection gone: the state is
            // the listener's again, and CLOSED once it is closed (as the kernel has it).
            self.last_conn = None;
        } else if !idle(out.from) || !idle(out.to) {
            self.last_conn = Some(out.to);
        }
        let tcb = &self.socks[i].tcb;
        let seen = &mut self.samples[tcb.state as usize];
        if seen.len() < 8 && !seen.contains(tcb) {
            seen.push(tcb.clone());
        }
        for s in &out.segments {
            self.outbound.push_back(Sent {
                time: self.now,
                seg: *s,
            });
        }
    }

    fn after(&mut self, i: usize, out: &Outcome) {
        let freebsd = self.opts.freebsd_sockets();
        let reset_child_accepted = self.opts.config.reset_child_accepted;
        let s = &mut self.socks[i];
        // A RST in CLOSING or LAST-ACK: RFC 9293 §3.10.7.4 deletes the TCB and signals
        // nothing, but the socket still held reports the reset, on Linux (tcp_reset():
        // ECONNRESET for every state but SYN-SENT and CLOSE-WAIT) and FreeBSD
        // (tcp_input(): so_error = ECONNRESET through TCPS_LAST_ACK).
        if matches!(out.event, Event::RstExact | Event::RstInWindow)
            && matches!(out.from, State::Closing | State::LastAck)
            && out.to == State::Closed
            && !out.signals.contains(&Signal::Reset)
        {
            s.error = Some("ECONNRESET");
        }
        for sig in &out.signals {
            match sig {
                Signal::Established => s.connected = true,
                // Errno as a reset is reported: refused while opening; a broken pipe once
                // the peer had closed its side (Linux's tcp_reset(): TCP_CLOSE_WAIT gives
                // EPIPE), but a reset under FreeBSD (tcp_input()); else reset.
                Signal::Reset => {
                    s.done = true;
                    s.error = Some(match out.from {
                        State::SynSent => "ECONNREFUSED",
                        State::CloseWait if !freebsd => "EPIPE",
                        _ => "ECONNRESET",
                    })
                }
                Signal::Refused => {
                    s.done = true;
                    s.error = Some("ECONNREFUSED");
                }
                // A soft error seen before is what the user is told (Linux, as RFC 1122
                // §4.2.3.9's discussion allows).
                Signal::TimedOut => {
                    s.done = true;
                    s.error = Some(s.soft_error.take().unwrap_or("ETIMEDOUT"));
                }
                Signal::Closing => {}
            }
        }
        if matches!(s.tcb.state, State::Established | State::CloseWait) {
            s.connected = true;
        }
        // A connection closed before accept() stays in the accept queue under Linux
        // (Config::reset_child_accepted); one that never got there (a request) is gone.
        if reset_child_accepted
            && s.fd.is_none()
            && !s.owned
            && s.connected
            && s.tcb.state == State::Closed
            && out.from != State::Closed
        {
            s.queued = true;
        }
    }

    /// Forget sockets nobody holds that have nothing left to do.
    fn reap(&mut self) {
        self.socks.retain(|s| {
            s.fd.is_some() || s.queued || !matches!(s.tcb.state, State::Closed | State::Listen)
        });
    }

    fn socket_name(&self, i: usize) -> String {
        match self.socks[i].fd {
            Some(fd) => format!("fd {fd}"),
            None => "connection".to_string(),
        }
    }

    /// Delivers an inbound segment: to the connection, else the listener, else a closed port.
    fn inject(&mut self, seg: Segment) {
        if let Some(i) = self.wire().filter(|&i| self.socks[i].orphaned) {
            // Linux's tcp_v4_rcv(): a request whose listener is not in LISTEN is dropped
            // (inet_csk_reqsk_queue_drop_and_put()) and the segment looked up again.
            self.drop_request(
                i,
                "a segment reached it (tcp_v4_rcv(): inet_csk_reqsk_queue_drop_and_put(), \
                 then the segment is looked up again)",
            );
            self.inject(seg);
            return;
        }
        if let Some(i) = self.wire() {
            let who = self.socket_name(i);
            let past_fin = self.text_past_fin(i, &seg);
            // Both tests read the ACK field first (Tcb::reaches_text_step).
            if (self.text_after_close(i, &seg) || past_fin) && self.opts.config.abort_on_data_reply
            {
                // Linux: tcp_rcv_state_process() resets the connection (tcp_reset():
                // tcp_done(), nothing sent) and tcp_v4_do_rcv() answers the segment with
                // tcp_v4_send_reset(), as a closed port would (Config::abort_on_data_reply).
                // tcp_reset()'s error: EPIPE in CLOSE-WAIT, ECONNRESET else.
                let reset_child_accepted = self.opts.config.reset_child_accepted;
                let s = &mut self.socks[i];
                // A child not yet accepted stays in the accept queue, its error pending
                // (Config::reset_child_accepted, as after a RST).
                let queued_child =
                    reset_child_accepted && s.fd.is_none() && !s.owned && s.connected;
                if queued_child {
                    s.queued = true;
                }
                if s.fd.is_some() || queued_child {
                    s.error = Some(if s.tcb.state == State::CloseWait {
                        "EPIPE"
                    } else {
                        "ECONNRESET"
                    });
                    s.done = true;
                    if self.opts.config.read_after_reset_eof {
                        s.unread_after_reset = s.tcb.recv_queue;
                    }
                }
                s.tcb = Tcb::default();
                self.last_conn = Some(State::Closed);
                self.closed_port(seg);
                if let Some(step) = self.steps.last_mut() {
                    let what = if past_fin {
                        "text past the peer's FIN"
                    } else {
                        "text after close() (or shutdown(SHUT_RD)): nobody will read it,"
                    };
                    step.note = Some(format!(
                        "{what} the connection is reset without a word and the segment \
                         answered as at a closed port (Linux tcp_rcv_state_process(), \
                         tcp_v4_send_reset())"
                    ));
                }
                return;
            }
            if self.text_after_close(i, &seg) {
                // RFC 9293 §3.6.1 SHLD-2 (RFC 1122 §4.2.2.13): close() is a full close,
                // nobody will read this text, so the connection is aborted (Linux:
                // tcp_rcv_state_process, LINUX_MIB_TCPABORTONDATA).
                self.step(i, Input::Call(UserCall::Abort), who);
                if let Some(step) = self.steps.last_mut() {
                    step.received = Some(seg);
                    step.note = Some(
                        "text after close(): nobody will read it, the connection is aborted \
                         (RFC 9293 §3.6.1 SHLD-2)"
                            .to_string(),
                    );
                }
                return;
            }
            self.step(i, Input::Segment(seg), who);
            return;
        }
        if let Some(l) = self.listener() {
            let saved = self.socks[l].tcb.clone();
            let name = self.socket_name(l);
            self.step(l, Input::Segment(seg), format!("listener {name}"));
            if !matches!(self.socks[l].tcb.state, State::Listen | State::Closed) {
                // BSD: the SYN makes a child connection and the listener keeps listening;
                // the step is the child's (as `state` lists it), not the listener's.
                let child = std::mem::replace(&mut self.socks[l].tcb, saved);
                self.socks.push(Socket {
                    user_mss: self.socks[l].user_mss,
                    user_timeout: self.socks[l].user_timeout,
                    nodelay: self.socks[l].nodelay,
                    ..Socket::new(child, None)
                });
                if let Some(step) = self.steps.last_mut() {
                    step.socket = format!("new connection (listener {name} stays LISTEN)");
                }
            }
            return;
        }
        self.closed_port(seg);
    }

    /// A segment reaches no connection and no listener: the table's CLOSED rows answer.
    fn closed_port(&mut self, seg: Segment) {
        self.socks.push(Socket::new(Tcb::new(), None));
        let i = self.socks.len() - 1;
        self.step(i, Input::Segment(seg), "closed port".to_string());
        self.socks.pop();
    }

    /// Whether `seg` brings new text to a connection its user closed with close() (a
    /// full close: no descriptor reads it any more) in FIN-WAIT-1 or FIN-WAIT-2: text
    /// that goes beyond RCV.NXT, on a segment that reaches the seventh step (acceptable,
    /// its ACK too: §3.10.7.4 drops one with a bad ACK first, as Linux's `tcp_ack()`
    /// does with a challenge ACK). Under [`Config::abort_on_data_reply`], as Linux's
    /// `tcp_rcv_state_process()` tests RCV_SHUTDOWN: the read side shut by
    /// `shutdown(SHUT_RD)` counts as close() does, and so does a FIN beyond RCV.NXT
    /// ("Receive out of order FIN after close()": `end_seq - fin` after `rcv_nxt`).
    fn text_after_close(&self, i: usize, seg: &Segment) -> bool {
        let s = &self.socks[i];
        let t = &s.tcb;
        let linux = self.opts.config.abort_on_data_reply;
        let text = seg.len.saturating_sub(u32::from(seg.flags.fin()));
        let closed = (s.owned && s.fd.is_none()) || (linux && s.shut_rd);
        let beyond = seg.seq.wrapping_add(text).wrapping_sub(t.rcv_nxt) as i32 > 0;
        closed
            && matches!(t.state, State::FinWait1 | State::FinWait2)
            && (text > 0 || (linux && seg.flags.fin()))
            && beyond
            && t.reaches_text_step(&self.opts.config, seg)
    }

    /// Whether `seg` carries text past the peer's FIN, to a connection in CLOSE-WAIT,
    /// CLOSING or LAST-ACK: text that starts before RCV.NXT (a segment starting at or
    /// after it is read for its ACK alone, `Config::ignore_beyond_after_fin`) and ends
    /// after it, on a segment without SYN or RST whose ACK is acceptable (Linux
    /// `tcp_rcv_state_process()`: after `tcp_ack()`, `before(seq, rcv_nxt)` falls
    /// through to "RFC 1122 says we MUST send a reset").
    fn text_past_fin(&self, i: usize, seg: &Segment) -> bool {
        let t = &self.socks[i].tcb;
        let text = seg.len.saturating_sub(u32::from(seg.flags.fin()));
        let starts_before = (t.rcv_nxt.wrapping_sub(seg.seq) as i32) > 0;
        let ends_after = (seg.seq.wrapping_add(text).wrapping_sub(t.rcv_nxt) as i32) > 0;
        matches!(t.state, State::CloseWait | State::Closing | State::LastAck)
            && !seg.flags.syn()
            && !seg.flags.rst()
            && text > 0
            && starts_before
            && ends_after
            // Step 7, after tcp_ack(): a bad ACK gets its challenge ACK first.
            && t.reaches_text_step(&self.opts.config, seg)
    }

    fn next_deadline(&self) -> Option<(usize, Timer, u64)> {
        self.socks
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.tcb.next_timer().map(|(t, d)| (i, t, d)))
            .min_by_key(|&(i, t, d)| (d, i, t))
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
    fn icmp(&mut self, m: &crate::script::Icmp, offset: u32) -> String {
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
            let live = seq.wrapping_add(offset);
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
            // Linux's tcp_v4_err(): tcp_done_with_error().
            s.done = true;
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

    /// A system call on the model's sockets.
    fn syscall(
        &mut self,
        call: &Call,
        blocking: bool,
    ) -> Result<(Called, Option<String>), Mismatch> {
        let mut e = Notes::default();
        let fd = || call.args.first().and_then(|a| a.value.int());
        let expect = (call.result.value, call.result.errno.clone());
        let wait = match call.name.as_str() {
            "socket" => {
                let ty = call.args.get(1).map(|a| &a.value);
                if let Some(ty) = ty
                    && !matches!(ty, Value::Ellipsis)
                    && !ty.has_name("SOCK_STREAM")
                {
                    return Err(Mismatch::bad("only SOCK_STREAM sockets are modelled"));
                }
                let fd = self.label(expect.0);
                self.socks.push(Socket {
                    nonblocking: ty.is_some_and(|t| t.has_name("SOCK_NONBLOCK")),
                    ..Socket::new(Tcb::new(), Some(fd))
                });
                Ok(Ready::Done(fd, None))
            }
            "bind" => Ok(self.with_fd(fd(), |_, _| Ready::Done(0, None))),
            "listen" => self.user_call(fd(), UserCall::PassiveOpen)?,
            "connect" => self.user_call(fd(), UserCall::ActiveOpen)?,
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
                    Some(fd) if self.by_fd(fd).is_some() => Err(Wait::Read(
                        fd,
                        n.clamp(0, u32::MAX as i64) as u32,
                        peek(call),
                    )),
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
                } else if let Some(err) = self.linux_send_error(fd()) {
                    Ok(Ready::Done(-1, Some(err)))
                } else if let Some(fd) = fd().filter(|&fd| self.linux_waits_to_send(fd)) {
                    Err(Wait::Write(fd, n))
                } else {
                    self.user_call(fd(), UserCall::Send(n))?
                }
            }
            "ioctl" => {
                let cmd = call.args.get(1).map(|a| &a.value);
                let Some(i) = fd().and_then(|fd| self.by_fd(fd)) else {
                    return Ok((
                        Called::Unmodelled(
                            "ioctl on a descriptor that is not a socket".to_string(),
                        ),
                        None,
                    ));
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
                            let mut f =
                                Mismatch::fail("ioctl found another number of bytes queued");
                            f.expected = Some(format!("[{}]", wanted.unwrap_or(0)));
                            f.actual = Some(format!("[{queued}]"));
                            return Err(f);
                        }
                        Ok(Ready::Done(0, None))
                    }
                } else {
                    return Ok((
                        Called::Unmodelled("this ioctl is not modelled".to_string()),
                        None,
                    ));
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
                        if actual != wanted && (ready_now || !blocking) {
                            let mut f =
                                Mismatch::fail(format!("poll found fd {fd} in another state"));
                            f.expected = Some(events_text(wanted));
                            f.actual = Some(events_text(actual));
                            return Err(f);
                        }
                    }
                }
                let timeout = self.poll_timeout(call.args.get(2));
                Err(Wait::Poll(self.watch.clone(), usize::MAX, timeout))
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
                        self.watch.clone(),
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
                return Ok((Called::Unmodelled("not modelled".to_string()), None));
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
                if self.opts.linux_sockets()
                    && let Some(done) = self.linux_shutdown(fd(), reads, writes)
                {
                    Ok(done)
                } else if writes {
                    self.user_call(fd(), UserCall::Shutdown)?
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
                fd => self.close(fd)?,
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
                        return Err(Mismatch::bad("getsockopt on a descriptor that is not open"));
                    };
                    let actual = self.socks[i].tcb.state;
                    if actual != wanted {
                        let mut f = Mismatch::fail("the endpoint is in another state");
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
                        return Err(Mismatch::bad("getsockopt on a descriptor that is not open"));
                    };
                    let actual = i64::from(self.maxseg(i));
                    let wanted = call.args.get(3).and_then(|a| a.value.int());
                    if wanted.is_some_and(|w| w != actual) {
                        let mut f = Mismatch::fail("getsockopt(TCP_MAXSEG) found another MSS");
                        f.expected = Some(format!("[{}]", wanted.unwrap_or(0)));
                        f.actual = Some(format!("[{actual}]"));
                        return Err(f);
                    }
                    Ok(Ready::Done(0, None))
                } else if opt.is_some_and(|o| o.has_name("TCP_USER_TIMEOUT")) {
                    let Some(i) = fd().and_then(|fd| self.by_fd(fd)) else {
                        return Err(Mismatch::bad("getsockopt on a descriptor that is not open"));
                    };
                    let actual = i64::from(self.socks[i].user_timeout.unwrap_or(0));
                    let wanted = call.args.get(3).and_then(|a| a.value.int());
                    if wanted.is_some_and(|w| w != actual) {
                        let mut f =
                            Mismatch::fail("getsockopt(TCP_USER_TIMEOUT) found another timeout");
                        f.expected = Some(format!("[{}]", wanted.unwrap_or(0)));
                        f.actual = Some(format!("[{actual}]"));
                        return Err(f);
                    }
                    Ok(Ready::Done(0, None))
                } else if opt.is_some_and(|o| o.has_name("SO_RCVBUF")) && self.rcv_buf_modelled() {
                    // The receive buffer (FreeBSD's so_rcv.sb_hiwat), where a profile sets
                    // it: grown to a multiple of the MSS once the peer's SYN came.
                    let Some(i) = fd().and_then(|fd| self.by_fd(fd)) else {
                        return Err(Mismatch::bad("getsockopt on a descriptor that is not open"));
                    };
                    let tcb = &self.socks[i].tcb;
                    let actual = if tcb.state == State::Closed {
                        i64::from(self.opts.config.rcv_buf)
                    } else {
                        i64::from(tcb.rcv_buffer())
                    };
                    let wanted = call.args.get(3).and_then(|a| a.value.int());
                    if wanted.is_some_and(|w| w != actual) {
                        let mut f = Mismatch::fail("getsockopt(SO_RCVBUF) found another size");
                        f.expected = Some(format!("[{}]", wanted.unwrap_or(0)));
                        f.actual = Some(format!("[{actual}]"));
                        return Err(f);
                    }
                    Ok(Ready::Done(0, None))
                } else if opt.is_some_and(|o| o.has_name("SO_ERROR")) {
                    // The pending error, as `[0]` or `[ECONNREFUSED]`; reading clears it.
                    let Some(i) = fd().and_then(|fd| self.by_fd(fd)) else {
                        return Err(Mismatch::bad("getsockopt on a descriptor that is not open"));
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
                        let mut f = Mismatch::fail("getsockopt(SO_ERROR) found another error");
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
                } else if opt.is_some_and(|o| o.has_name("TCP_USER_TIMEOUT")) {
                    // Linux's tcp_sock_set_user_timeout(): ms, 0 for none, EINVAL if
                    // negative.
                    let v = val.and_then(Value::int).unwrap_or(-1);
                    Ok(self.with_fd(fd(), |s, _| match v {
                        0 => {
                            s.user_timeout = None;
                            Ready::Done(0, None)
                        }
                        1.. => {
                            s.user_timeout = Some(v.min(i64::from(u32::MAX)) as u32);
                            Ready::Done(0, None)
                        }
                        _ => Ready::Done(-1, Some("EINVAL")),
                    }))
                } else if opt.is_some_and(|o| o.has_name("TCP_NODELAY")) {
                    // Linux's __tcp_sock_set_nodelay(): non-zero turns Nagle off (and
                    // pushes what it held: the next step that sends sends it).
                    let on = val.and_then(Value::int).unwrap_or(1) != 0;
                    Ok(self.with_fd(fd(), |s, _| {
                        s.nodelay = on;
                        Ready::Done(0, None)
                    }))
                } else if opt.is_some_and(|o| o.has_name("SO_LINGER")) {
                    // Checked before the call (`args::check`).
                    let l = call
                        .args
                        .get(3)
                        .and_then(|a| crate::syscall::args::linger(a).ok())
                        .ok_or_else(|| Mismatch::bad("SO_LINGER needs a struct linger"))?;
                    Ok(self.with_fd(fd(), |s, _| {
                        s.linger0 = l.on && l.secs == 0;
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
                    return Err(Mismatch::bad(
                        "fcntl: only F_GETFL and F_SETFL are modelled",
                    ));
                }
            }
            other => return Err(Mismatch::bad(format!("unknown system call `{other}`"))),
        };
        self.reap();
        let called = match wait {
            Ok(Ready::Done(value, errno)) => Called::Done(value, errno.map(errno_of)),
            // Only a wait blocks; a direct result never does.
            Ok(Ready::Block) => Called::Done(-1, Some(Errno::EAGAIN)),
            Err(w) => Called::Wait(w),
        };
        Ok((called, e.notice))
    }

    /// When a poll with this timeout (milliseconds; negative: none) returns 0.
    fn poll_timeout(&self, ms: Option<&crate::script::Arg>) -> u64 {
        match ms.and_then(|a| a.value.int()) {
            Some(ms) if ms >= 0 => self.now.saturating_add((ms as u64).saturating_mul(1000)),
            _ => u64::MAX,
        }
    }

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

    /// What `poll` reports for `fd` asked for `events`, from the socket's state as
    /// Linux's `tcp_poll` derives it (ERR and HUP are always reported).
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
                .any(|c| !c.owned && (c.tcb.state.is_synchronized() || c.queued));
            if acceptable {
                m |= POLLIN | POLLRDNORM;
            }
        } else {
            let ended = s.connected || (s.done && self.opts.config.read_after_reset_eof);
            let read_shut = t.fin_received || s.shut_rd || (ended && t.state == State::Closed);
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

    fn with_fd(&mut self, fd: Option<i64>, f: impl FnOnce(&mut Socket, i64) -> Ready) -> Ready {
        match fd.and_then(|fd| self.by_fd(fd).map(|i| (i, fd))) {
            Some((i, fd)) => f(&mut self.socks[i], fd),
            None => Ready::Done(-1, Some("EBADF")),
        }
    }

    /// Under Linux's socket layer, the error a write gets before the table sees it:
    /// `tcp_sendmsg_locked()` waits for the connection (`sk_stream_wait_connect()`) in
    /// SYN-SENT and SYN-RECEIVED, which a non-blocking socket cannot (`EAGAIN`), and
    /// fails on a listener (`EPIPE`), where RFC 9293 queues the SEND or makes it an
    /// active open. (A blocking one waits there; the interpreter still queues it.)
    fn linux_send_error(&self, fd: Option<i64>) -> Option<&'static str> {
        if !self.opts.linux_sockets() {
            return None;
        }
        let s = &self.socks[fd.and_then(|fd| self.by_fd(fd))?];
        if s.error.is_some() {
            return None;
        }
        match s.tcb.state {
            State::SynSent | State::SynReceived if s.nonblocking => Some("EAGAIN"),
            State::Listen => Some("EPIPE"),
            _ => None,
        }
    }

    /// Under Linux's socket layer, whether a write on a blocking socket waits for the
    /// handshake to end (`sk_stream_wait_connect()`) rather than being queued as RFC
    /// 9293's SEND in SYN-SENT and SYN-RECEIVED is.
    fn linux_waits_to_send(&self, fd: i64) -> bool {
        self.opts.linux_sockets()
            && self.by_fd(fd).is_some_and(|i| {
                let s = &self.socks[i];
                !s.nonblocking
                    && s.error.is_none()
                    && matches!(s.tcb.state, State::SynSent | State::SynReceived)
            })
    }

    /// `shutdown` as Linux's `inet_shutdown()` does it, where that differs from CLOSE on
    /// the connection: a socket whose TCB is gone or in TIME-WAIT (the descriptor's
    /// socket is then `TCP_CLOSE`) says `ENOTCONN` whatever `how` is; a listener ignores
    /// `SHUT_WR` and is closed by `SHUT_RD` (`tcp_disconnect()` →
    /// `inet_csk_listen_stop()`, children reset), the descriptor staying open; SYN-SENT
    /// is disconnected silently by any `how`, the next call getting `ECONNRESET`. `None`:
    /// as the RFC call (`SHUT_WR` is CLOSE).
    fn linux_shutdown(&mut self, fd: Option<i64>, reads: bool, writes: bool) -> Option<Ready> {
        let Some(i) = fd.and_then(|fd| self.by_fd(fd)) else {
            return Some(Ready::Done(-1, Some("EBADF")));
        };
        let who = self.socket_name(i);
        match self.socks[i].tcb.state {
            State::Closed | State::TimeWait => Some(Ready::Done(-1, Some("ENOTCONN"))),
            State::Listen if !reads => Some(Ready::Done(0, None)),
            // tcp_disconnect() leaves a fresh socket, its shutdown flags cleared: a read
            // is then ENOTCONN, not end of file.
            State::Listen => {
                self.socks[i].shut_rd = false;
                self.step(i, Input::Call(UserCall::Close), who);
                self.abort_orphans(i);
                Some(Ready::Done(0, None))
            }
            // ... and in SYN-SENT it sets `sk_err` to ECONNRESET, which the next call gets.
            State::SynSent => {
                self.socks[i].shut_rd = false;
                self.socks[i].error = Some("ECONNRESET");
                self.step(i, Input::Call(UserCall::Abort), who);
                self.socks[i].done = false;
                Some(Ready::Done(0, None))
            }
            _ if !writes => Some(Ready::Done(0, None)),
            _ => None,
        }
    }

    /// Connections listener `l` had not handed out die with it (Linux
    /// `inet_csk_listen_stop()`): ABORT on each. Under
    /// [`Config::request_outlives_listener`] one still in SYN-RECEIVED (a request) is
    /// left until its timer or its next segment ([`ModelStack::drop_request`]); one
    /// already closed in the accept queue goes without a word (`inet_child_forget()`:
    /// `tcp_disconnect()` of a `TCP_CLOSE` socket sends nothing).
    fn abort_orphans(&mut self, l: usize) {
        let keep_requests = self.opts.config.request_outlives_listener;
        for j in 0..self.socks.len() {
            let s = &mut self.socks[j];
            if s.owned || s.fd.is_some() || j == l {
                continue;
            }
            if s.queued {
                s.queued = false;
            } else if keep_requests && s.tcb.state == State::SynReceived {
                s.orphaned = true;
            } else {
                self.step(
                    j,
                    Input::Call(UserCall::Abort),
                    "unaccepted connection".to_string(),
                );
                // Aborted with its listener: not left in a queue.
                self.socks[j].queued = false;
            }
        }
    }

    /// A request whose listener is gone is dropped: ABORT's row, with `why` in the
    /// transcript (Linux: `reqsk_timer_handler()` or `tcp_v4_rcv()`, nothing sent).
    fn drop_request(&mut self, i: usize, why: &str) {
        self.socks[i].orphaned = false;
        self.step(
            i,
            Input::Call(UserCall::Abort),
            "request (its listener closed)".to_string(),
        );
        if let Some(step) = self.steps.last_mut() {
            step.note = Some(format!(
                "the listener was closed and this request outlived it until {why}: it is \
                 dropped (request_outlives_listener)"
            ));
        }
    }

    /// A call that is one RFC user call on the socket's TCB.
    fn user_call(
        &mut self,
        fd: Option<i64>,
        call: UserCall,
    ) -> Result<Result<Ready, Wait>, Mismatch> {
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
            return Err(Mismatch::bad(
                "one connection at a time: the interpreter models a single remote peer",
            ));
        }
        let who = self.socket_name(i);
        let out = self.step(i, Input::Call(call), who);
        let err = out.error;
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
            (UserCall::ActiveOpen, None) => Err(Wait::Connect(self.socks[i].fd.unwrap_or(-1))),
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

    fn close(&mut self, fd: Option<i64>) -> Result<Result<Ready, Wait>, Mismatch> {
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
        self.step(i, Input::Call(call), who);
        self.socks[i].fd = None;
        if was_listener {
            // Connections not yet accepted die with their listener.
            self.abort_orphans(i);
        }
        Ok(Ok(Ready::Done(0, None)))
    }

    /// Whether a (possibly blocking) call can complete now.
    fn attempt_wait(&mut self, w: Wait) -> Result<Ready, Mismatch> {
        Ok(match w {
            Wait::Connect(fd) => {
                let Some(s) = self.by_fd(fd).and_then(|i| self.socks.get_mut(i)) else {
                    return Ok(Ready::Done(-1, Some("EBADF")));
                };
                if let Some(err) = s.error.take() {
                    Ready::Done(-1, Some(err))
                } else if s.connected || s.tcb.state.is_synchronized() {
                    Ready::Done(0, None)
                } else if s.tcb.state == State::Closed {
                    Ready::Done(-1, Some("ECONNABORTED"))
                } else {
                    Ready::Block
                }
            }
            Wait::Poll(watch, max, _) => {
                self.watch = watch;
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
                    Ready::Done(n as i64, None)
                } else {
                    Ready::Block
                }
            }
            Wait::Accept(fd, wanted) => {
                let Some(l) = self.by_fd(fd) else {
                    return Ok(Ready::Done(-1, Some("EBADF")));
                };
                if self.socks[l].tcb.state != State::Listen {
                    return Ok(Ready::Done(-1, Some("EINVAL")));
                }
                // The accept queue: connections established, or closed there
                // (Config::reset_child_accepted), handed out with their pending error.
                let ready = self
                    .socks
                    .iter()
                    .position(|s| !s.owned && (s.tcb.state.is_synchronized() || s.queued));
                match ready {
                    Some(c) => {
                        let nfd = self.label(wanted);
                        let s = &mut self.socks[c];
                        s.fd = Some(nfd);
                        s.owned = true;
                        s.queued = false;
                        s.connected = true;
                        Ready::Done(nfd, None)
                    }
                    None => Ready::Block,
                }
            }
            Wait::Write(fd, n) => {
                let Some(i) = self.by_fd(fd) else {
                    return Ok(Ready::Done(-1, Some("EBADF")));
                };
                let s = &mut self.socks[i];
                // sk_stream_wait_connect(): the socket's error first (a RST or the SYN
                // retries spent), then EPIPE for any state but the two it waits in.
                if let Some(err) = s.error.take() {
                    Ready::Done(-1, Some(err))
                } else if matches!(s.tcb.state, State::SynSent | State::SynReceived) {
                    Ready::Block
                } else if matches!(s.tcb.state, State::Established | State::CloseWait) {
                    match self.user_call(Some(fd), UserCall::Send(n))? {
                        Ok(r) => r,
                        Err(_) => Ready::Block,
                    }
                } else {
                    Ready::Done(-1, Some("EPIPE"))
                }
            }
            Wait::Read(fd, n, peek) => {
                let Some(i) = self.by_fd(fd) else {
                    return Ok(Ready::Done(-1, Some("EBADF")));
                };
                let s = &mut self.socks[i];
                // Linux: text queued before a reset is read first, then the error
                // (tcp_recvmsg_locked() reads sk_receive_queue before sk_err).
                if s.unread_after_reset > 0 {
                    let k = n.min(s.unread_after_reset);
                    if !peek {
                        s.unread_after_reset -= k;
                    }
                    return Ok(Ready::Done(i64::from(k), None));
                }
                if let Some(err) = s.error.take() {
                    return Ok(Ready::Done(-1, Some(err)));
                }
                // After SHUT_RD a read returns end of file instead of waiting, but text
                // already queued is still read: Linux's tcp_recvmsg only checks
                // RCV_SHUTDOWN when nothing is queued (and it keeps queueing what arrives).
                if s.shut_rd && s.tcb.recv_queue == 0 {
                    return Ok(Ready::Done(0, None));
                }
                // MSG_PEEK copies queued text and leaves it queued: no RECEIVE, so the
                // window does not reopen and the next read returns the same bytes.
                if peek && s.tcb.recv_queue > 0 && s.tcb.state != State::Listen {
                    return Ok(Ready::Done(i64::from(n.min(s.tcb.recv_queue)), None));
                }
                let listening = s.tcb.state == State::Listen;
                let who = self.socket_name(i);
                // RECEIVE goes to the table each time (its row may queue the request);
                // the call returns once there is text, an end of file, or an error.
                let out = self.step(i, Input::Call(UserCall::Receive(n)), who);
                let s = &self.socks[i];
                if out.error.is_some() {
                    // Linux: a reset or timed-out socket reads end of file, not ENOTCONN
                    // (Config::read_after_reset_eof).
                    if s.connected || (s.done && self.opts.config.read_after_reset_eof) {
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
                }
            }
        })
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

/// What a call says besides its result.
#[derive(Default)]
struct Notes {
    notice: Option<String>,
}

/// The model names its errors as Linux does; every name it uses is in [`Errno`]'s table.
fn errno_of(name: &str) -> Errno {
    Errno::from_name(name).unwrap_or(Errno(0))
}

impl Stack for ModelStack {
    const REAL_TIME: bool = false;

    fn handle_segment(
        &mut self,
        now: u64,
        seg: Segment,
        _names: &[String],
    ) -> Result<(), Mismatch> {
        self.now = now;
        if seg.flags.syn() {
            // The MSS option only counts on a SYN; without one, 536 (§3.7.1).
            let peer = seg.opts.mss.map_or(536, u32::from);
            self.send_mss = peer.clamp(MIN_MSS, self.opts.config.mss.max(MIN_MSS));
        }
        self.inject(seg);
        self.reap();
        Ok(())
    }

    fn handle_icmp(&mut self, now: u64, icmp: &crate::script::Icmp, offset: u32) -> String {
        self.now = now;
        let notice = self.icmp(icmp, offset);
        self.reap();
        notice
    }

    fn call(
        &mut self,
        now: u64,
        call: &Call,
        blocking: bool,
    ) -> Result<(Called, Option<String>), Mismatch> {
        self.now = now;
        self.syscall(call, blocking)
    }

    fn attempt(&mut self, now: u64, wait: &Wait) -> Result<SReady, Mismatch> {
        self.now = now;
        Ok(match self.attempt_wait(wait.clone())? {
            Ready::Done(v, e) => SReady::Done(v, e.map(errno_of)),
            Ready::Block => SReady::Block,
        })
    }

    fn nonblocking(&self, wait: &Wait) -> bool {
        let fd = match wait {
            Wait::Connect(fd) | Wait::Accept(fd, _) | Wait::Read(fd, ..) | Wait::Write(fd, _) => {
                *fd
            }
            Wait::Poll(..) => return false,
        };
        self.by_fd(fd).is_some_and(|i| self.socks[i].nonblocking)
    }

    fn handle_timeout(&mut self, now: u64) -> Result<Option<&'static str>, Mismatch> {
        self.now = now;
        let Some((i, timer, _)) = self.next_deadline().filter(|&(_, _, d)| d <= now) else {
            return Ok(None);
        };
        if self.socks[i].orphaned {
            // Linux's reqsk_timer_handler(): the listener is not in LISTEN, so the
            // request is dropped instead of sending its SYN,ACK again.
            self.drop_request(
                i,
                "its SYN,ACK timer fired (reqsk_timer_handler(): the listener is not in \
                 TCP_LISTEN, inet_csk_reqsk_queue_drop_and_put())",
            );
        } else {
            let who = self.socket_name(i);
            self.step(i, Input::Timeout(timer), who);
        }
        self.reap();
        Ok(Some(timer_text(timer)))
    }

    fn take_steps(&mut self) -> Vec<RawStep> {
        std::mem::take(&mut self.steps)
    }

    fn poll_transmit(&mut self) -> Option<Sent> {
        self.outbound.pop_front()
    }

    fn wall_clock(&self) -> Option<u64> {
        None
    }

    fn poll_timeout(&self) -> Option<u64> {
        self.next_deadline().map(|(_, _, d)| d)
    }

    fn state(&self) -> State {
        ModelStack::state(self)
    }

    fn describe(&self, offset: u32) -> (State, String) {
        self.focus_text(offset)
    }
}
