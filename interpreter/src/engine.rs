//! The runner: one script's statements against one [`Stack`], written once for both
//! stacks. It keeps the script's clock (simulated for the model, the wall clock for the
//! kernel), the blocking calls, the sequence numbering (script and live numbers), the
//! matching of what the stack sends against the `>` lines, and the transcript.

use crate::numbering::Numbering;
use crate::options::Options;
use crate::script::{Action, Call, Packet, Span, Statement, Time, When};
use crate::stack::{Called, Mismatch, RawStep, Ready, Sent, Stack, Wait};
use crate::syscall::{Errno, result_text};
use crate::transcript::{
    Departure, Entry, Failure, Field, Kind, Place, Seen, Source, Step, Wire, seconds,
};
use model::{Segment, State};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

/// How a real-time run stopped at `--max-seconds` begins its failure's message (a run cut
/// short, not a departure from the script).
pub const PAST_REAL_TIME_LIMIT: &str = "the script goes on past";

/// How long a `*` (any time) expectation waits in real time before it gives up.
const REAL_ANY_WAIT: u64 = 10_000_000;

/// How close in real time the kernel's segments are read off the tun to count as sent
/// at once (one offloaded packet cut in segments).
const REAL_BURST: u64 = 2_000;

struct Pending {
    wait: Wait,
    line: usize,
    column: usize,
    text: String,
    expect: (i64, Option<String>),
    end: u64,
}

/// One script's run against a stack.
pub struct Engine<S: Stack> {
    stack: S,
    opts: Options,
    now: u64,
    /// The time of the previous statement: the base of relative times.
    last: u64,
    /// Real time: how late the runner injected its last segment or made its last call,
    /// past the statement's time (woken late on a loaded machine). The kernel cannot answer
    /// before it is asked, so a `>` line, or a blocking call's return, may come that much
    /// later than written: the tolerance judges the kernel, not the runner. Always 0 for
    /// the model.
    lag: u64,
    outbound: VecDeque<Sent>,
    pending: Option<Pending>,
    /// Script and live sequence numbers.
    num: Numbering,
    entries: Vec<Entry>,
    noticed: BTreeSet<String>,
    /// Notices for skipped commands read as set-up, by the statement's offset.
    setup_notices: std::collections::HashMap<usize, String>,
    line: usize,
    column: usize,
    /// The TSval a `>` line wrote, and the one the stack sent: an injected segment's TSecr
    /// that echoes the script's value echoes the stack's (packetdrill's `ts_val_map`).
    ts_vals: BTreeMap<u32, u32>,
}

impl<S: Stack> Engine<S> {
    /// A run against `stack` at time 0.
    pub fn with_stack(stack: S, opts: Options) -> Engine<S> {
        Engine {
            stack,
            num: Numbering::new(opts.iss, S::REAL_TIME),
            opts,
            now: 0,
            last: 0,
            lag: 0,
            outbound: VecDeque::new(),
            pending: None,
            entries: Vec::new(),
            noticed: BTreeSet::new(),
            setup_notices: std::collections::HashMap::new(),
            line: 0,
            column: 0,
            ts_vals: BTreeMap::new(),
        }
    }

    /// The stack.
    pub fn stack(&self) -> &S {
        &self.stack
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// The transcript so far.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The current time in microseconds.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// What `state X` checks: the connection's (CLOSED once it is gone), else the
    /// listener's, else CLOSED.
    pub fn state(&self) -> State {
        self.stack.state()
    }

    /// The stack's connection, in script numbering.
    pub fn tcb_text(&self) -> String {
        self.stack.describe(self.num.offset).1
    }

    /// live local sequence number = script number + this.
    pub fn offset(&self) -> u32 {
        self.num.offset
    }

    fn notice_once(&mut self, key: String, text: String) -> Option<String> {
        self.noticed.insert(key).then_some(text)
    }

    /// An outbound segment's sequence number in the script's numbering.
    fn script_seq(&self, seg: &Segment) -> u32 {
        self.num.script_seq(seg)
    }

    /// A segment in the script's numbering.
    pub fn wire_of(&self, seg: Segment, outbound: bool) -> Wire {
        self.num.wire_of(seg, outbound)
    }

    fn map_isn(&mut self, seg: &Segment) {
        self.num.map_isn(seg);
    }

    /// The rows the stack applied since last asked, in script numbering.
    fn steps(&mut self) -> Vec<Step> {
        let raw = self.stack.take_steps();
        raw.into_iter().map(|r| self.step_of(r)).collect()
    }

    fn step_of(&mut self, r: RawStep) -> Step {
        for s in &r.sent {
            self.map_isn(s);
        }
        Step {
            socket: r.socket,
            event: r.event,
            row: r.row,
            from: r.from,
            to: r.to,
            sent: r.sent.iter().map(|s| self.wire_of(*s, true)).collect(),
            received: r.received.map(|s| self.wire_of(s, false)),
            note: r.note,
        }
    }

    /// Takes what the stack sent into the queue the `>` lines read.
    fn collect(&mut self) {
        while let Some(s) = self.stack.poll_transmit() {
            self.map_isn(&s.seg);
            self.outbound.push_back(s);
        }
    }

    fn fail(&self, message: impl Into<String>) -> Failure {
        let (state, tcb) = self.stack.describe(self.num.offset);
        Failure {
            line: self.line,
            column: self.column,
            message: message.into(),
            expected: None,
            actual: None,
            state,
            tcb: tcb.into_boxed_str(),
            bad_script: false,
            how: Box::default(),
        }
    }

    fn bad(&self, message: impl Into<String>) -> Failure {
        Failure {
            bad_script: true,
            ..self.fail(message)
        }
    }

    fn failure_of(&self, m: Mismatch) -> Failure {
        Failure {
            expected: m.expected,
            actual: m.actual,
            bad_script: m.bad_script,
            ..self.fail(m.message)
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
            matched: None,
        }
    }

    fn push(&mut self, mut e: Entry) {
        e.state = self.state();
        self.entries.push(e);
    }

    /// Gives the skipped command at byte offset `offset` the notice `notice` (what its
    /// `sysctl` set-up set) instead of the usual one.
    pub fn setup_notice(&mut self, offset: usize, notice: String) {
        self.setup_notices.insert(offset, notice);
    }

    /// Puts back the entries of skipped lines shown before a restart (the REPL restarts
    /// a session when set-up changes its options).
    pub fn restore_entries(&mut self, entries: Vec<Entry>) {
        self.entries = entries;
    }

    /// Records a notice about a line that is not a statement (an ignored option).
    pub fn notice(&mut self, line: usize, column: usize, text: String, notice: String) {
        let mut e = self.entry(Kind::Skip, text);
        e.line = line;
        e.column = column;
        e.notice = Some(notice);
        self.push(e);
    }

    /// Lets time pass up to `t`: the stack's timers fire at their deadlines (the model),
    /// or the runner sleeps and reads what the kernel sends (the kernel).
    fn advance(&mut self, t: u64) -> Result<(), Failure> {
        self.advance_to(t, false)
    }

    /// [`Engine::advance`]; with `until_sent`, real time stops early as soon as the stack
    /// has sent something (a `>` line waiting for its segment), so the runner is never
    /// asleep when it could match one. The model ignores `until_sent`.
    fn advance_to(&mut self, t: u64, until_sent: bool) -> Result<(), Failure> {
        // The model's time is simulated: every timer due by `t` fires, as before.
        let until_sent = until_sent && S::REAL_TIME;
        loop {
            if let Some(p) = &self.pending
                && let Wait::Poll(_, _, timeout) = p.wait
                && t >= timeout
                && self.stack.poll_timeout().is_none_or(|d| d > timeout)
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
                let next = self.stack.poll_timeout().filter(|&d| d <= t.min(limit));
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
            if until_sent && !self.outbound.is_empty() {
                return Ok(());
            }
            // Real time with no call blocked: one sleep to `t` (the kernel's stack wakes
            // the runner when it sends), not a wake-up every tick, each a chance to be
            // scheduled late on a loaded machine.
            let idle = S::REAL_TIME && self.pending.is_none();
            let Some(deadline) = self.stack.poll_timeout().filter(|&d| d <= t && !idle) else {
                break;
            };
            // Real time: the clock is the wall's, read after the tick (which may end
            // early, when the kernel sends).
            if !S::REAL_TIME {
                self.now = self.now.max(deadline);
            }
            self.tick(deadline)?;
        }
        if S::REAL_TIME {
            // The kernel's stack may wake the runner before `t` (it sent something):
            // sleep on, unless that is what the caller waits for.
            loop {
                self.tick(t)?;
                let reached = self.stack.wall_clock().is_none_or(|w| w >= t);
                if reached || (until_sent && !self.outbound.is_empty()) {
                    break;
                }
            }
            if !until_sent || self.outbound.is_empty() {
                self.now = self.now.max(t);
            }
            return Ok(());
        }
        self.now = self.now.max(t);
        Ok(())
    }

    /// Real time: the runner's clock comes to the wall clock's, so a statement that
    /// happens late (the runner woke up late on a loaded machine) is recorded when it
    /// really happened, and the relative times after it count from then, as packetdrill
    /// counts them from `now_usecs()` when it schedules the next event.
    fn catch_up(&mut self) {
        if let Some(wall) = self.stack.wall_clock() {
            self.now = self.now.max(wall);
        }
    }

    /// The stack's clock comes to `at`: what fired goes in the transcript, and a blocked
    /// call is tried again.
    fn tick(&mut self, at: u64) -> Result<(), Failure> {
        let fired = self
            .stack
            .handle_timeout(at)
            .map_err(|m| self.failure_of(m))?;
        if S::REAL_TIME {
            self.catch_up();
        }
        if let Some(text) = fired {
            let mut e = self.entry(Kind::Timer, text);
            e.steps = self.steps();
            self.push(e);
        }
        self.collect();
        self.poll()
    }

    /// Tries to complete a blocking call.
    fn poll(&mut self) -> Result<(), Failure> {
        let Some(p) = &self.pending else {
            return Ok(());
        };
        let wait = p.wait.clone();
        let ready = self
            .stack
            .attempt(self.now, &wait)
            .map_err(|m| self.failure_of(m))?;
        let steps = self.steps();
        self.collect();
        let Ready::Done(value, errno) = ready else {
            // A RECEIVE that stays pending applies its row again next time; keep the
            // transcript to the attempt that completes.
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
        // Real time: a call that an injected segment ends returns as late as that segment
        // was injected (`Engine::lag`).
        if self.now.saturating_add(tol) < p.end
            || self.now > p.end.saturating_add(tol).saturating_add(self.lag)
        {
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
        errno: Option<Errno>,
        expect: &(i64, Option<String>),
        line: usize,
        column: usize,
    ) -> Result<(), Failure> {
        let errno_ok = match (&expect.1, errno) {
            // EWOULDBLOCK is EAGAIN (POSIX allows them to be one; on Linux they are).
            (Some(e), Some(a)) => Errno::from_name(e) == Some(a) || a.name() == *e,
            (None, _) => true,
            (Some(_), None) => false,
        };
        if value == expect.0 && errno_ok {
            return Ok(());
        }
        let mut f = self.fail("the system call returned something else");
        f.how.departure = Departure::CallResult {
            expected: expect.0,
            actual: value,
        };
        f.line = line;
        f.column = column;
        f.expected = Some(match &expect.1 {
            Some(e) => format!("{} {e}", expect.0),
            None => expect.0.to_string(),
        });
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
        // Real time runs on while the runner works: relative times count from when the
        // previous statement really happened, as packetdrill adjusts them.
        if let Some(wall) = self.stack.wall_clock() {
            self.now = self.now.max(wall);
        }
        let mut actual = None;
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
        if start < self.now && !matches!(st.when, When::Any) && !S::REAL_TIME {
            return Err(self.bad(format!(
                "time goes backwards: {} is before the current time {}",
                seconds(start),
                seconds(self.now)
            )));
        }
        if S::REAL_TIME && start > self.opts.live_limit {
            let mut f = self.fail(format!(
                "{PAST_REAL_TIME_LIMIT} {} s of real time (live --max-seconds {}): not run \
                 further",
                seconds(start),
                self.opts.live_limit / 1_000_000
            ));
            f.how.departure = Departure::PastRealTimeLimit;
            return Err(f);
        }
        match &st.action {
            Action::Outbound(pkt) => {
                let places = [
                    Some(at(&pkt.flags_span)),
                    Some(at(&pkt.seq_span)),
                    pkt.ack_span.as_ref().map(at),
                ];
                actual = Some(self.expect_outbound(pkt, &text, start, window, places)?);
            }
            Action::Inbound(pkt) => {
                self.advance(start)?;
                self.catch_up();
                self.lag = self.now.saturating_sub(start);
                let seg = self.inbound_segment(pkt);
                let mut e = self.entry(Kind::Inbound, text);
                e.notice = self.packet_notice(pkt, true);
                self.stack
                    .handle_segment(self.now, seg, &pkt.options)
                    .map_err(|m| self.failure_of(m))?;
                e.steps = self.steps();
                self.collect();
                self.push(e);
                self.poll()?;
            }
            Action::Call(call) => {
                if let Err((span, message)) = crate::syscall::args::check(call) {
                    let p = at(&span);
                    let mut f = self.bad(message);
                    (f.line, f.column) = (p.line, p.column);
                    return Err(f);
                }
                self.advance(start)?;
                self.catch_up();
                self.lag = self.now.saturating_sub(start);
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
                    f.how.departure = Departure::OtherState(self.state());
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
                e.notice = Some(self.stack.handle_icmp(self.now, m, self.num.offset));
                e.steps = self.steps();
                self.collect();
                self.push(e);
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
                let setup = self.setup_notices.remove(&st.span.start);
                e.notice = setup.or(Some(
                    match kind {
                        crate::script::Skipped::Shell => {
                            "shell command skipped: scripts are data, nothing in them is executed"
                        }
                        crate::script::Skipped::Python => {
                            "%{ }% block skipped: only `assert tcpi_state == TCP_X` is checked"
                        }
                    }
                    .to_string(),
                ));
                self.push(e);
            }
        }
        self.last = match st.when {
            When::Any => self.now,
            _ if S::REAL_TIME => actual.unwrap_or(self.now.max(start)),
            _ => start.max(self.last),
        };
        Ok(())
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
        self.collect();
        if !self.opts.strict && !self.outbound.is_empty() {
            // packetdrill never reads what is sent after the last `>` line.
            let n = self.outbound.len();
            let segs: Vec<Segment> = self.outbound.drain(..).map(|s| s.seg).collect();
            let texts: Vec<String> = segs
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
            f.how.departure = Departure::Unexpected;
            f.how.sent = Some(Seen::from(&w));
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
            // SACK blocks we send are compared; those we receive are not read (no
            // SACK-based loss recovery).
            .filter(|o| *o != "sack" || inbound)
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
                    "IP marks not modelled (no ECN, TTL or traffic class), ignored: [{}]",
                    pkt.ip.join("] [")
                ),
            )
        {
            parts.push(n);
        }
        if pkt.bang
            && let Some(n) = self.notice_once(
                "bang".to_string(),
                "`!` after the sequence range (nplab packetdrill) not modelled: the numbers are compared as written".to_string(),
            )
        {
            parts.push(n);
        }
        if let Some(udp) = &pkt.udp
            && let Some(n) = self.notice_once(
                format!("udp:{udp}"),
                format!(
                    "UDP encapsulation /udp({udp}) not modelled (FreeBSD net.inet.tcp.udp_tunneling_port): the segment is taken as plain TCP"
                ),
            )
        {
            parts.push(n);
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    fn inbound_segment(&self, pkt: &Packet) -> Segment {
        // SACK blocks acknowledge the stack's numbers, relative in the script like `ack`.
        let blocks: Vec<(u32, u32)> = pkt
            .tcp
            .sack
            .as_slice()
            .iter()
            .map(|&(l, r)| (self.num.live_ack(l), self.num.live_ack(r)))
            .collect();
        let mut opts = pkt.tcp;
        // packetdrill rewrites an injected ACK's TSecr from the script's TSval to the one
        // the stack sent with it (run_packet.c, `get_outbound_ts_val_mapping()`), so the
        // endpoint's RTT samples from timestamps (RFC 7323 §4) see its own clock. Not done
        // for the kernel, which takes its round trips from its segments' send times first
        // (`tcp_ack_update_rtt()`); a TSecr with no mapping is passed as written.
        if !S::REAL_TIME
            && pkt.flags.ack()
            && let Some((val, ecr)) = opts.timestamps
            && let Some(&actual) = self.ts_vals.get(&ecr)
        {
            opts.timestamps = Some((val, actual));
        }
        Segment {
            seq: pkt.start,
            ack: pkt.ack.map_or(0, |a| self.num.live_ack(a)),
            flags: pkt.flags,
            wnd: pkt.win.unwrap_or(self.opts.default_win),
            len: pkt.len,
            opts: model::TcpOptions {
                sack: model::SackBlocks::new(&blocks),
                ..opts
            },
        }
    }

    fn expect_outbound(
        &mut self,
        pkt: &Packet,
        text: &str,
        start: u64,
        window: Option<(u64, u64)>,
        places: [Option<Place>; 3],
    ) -> Result<u64, Failure> {
        let [flags_place, seq_place, ack_place] = places;
        let (flags_place, seq_place) = (flags_place.expect("flags"), seq_place.expect("range"));
        let deadline = window.map_or(start, |(_, b)| b);
        self.collect();
        // `*` or a range: let time run until something is sent or the range ends.
        if self.outbound.is_empty() && window.is_some() {
            let deadline = if S::REAL_TIME {
                deadline.min(self.now.saturating_add(REAL_ANY_WAIT))
            } else {
                deadline
            };
            while self.outbound.is_empty() {
                let Some(d) = self.stack.poll_timeout() else {
                    break;
                };
                if d > deadline {
                    break;
                }
                self.advance_to(d, true)?;
                self.collect();
            }
        } else {
            // Real time: a segment sent before its time is matched at once (its time is
            // the kernel's stamp, compared below); the model's time is simulated.
            self.advance_to(start, S::REAL_TIME)?;
            self.collect();
            // Real time: the segment may come a little late, within the tolerance.
            if S::REAL_TIME {
                let limit = start.saturating_add(self.opts.tolerance + self.lag);
                while self.outbound.is_empty() && self.now < limit {
                    let d = self.stack.poll_timeout().unwrap_or(limit).min(limit);
                    self.advance_to(d, true)?;
                    self.collect();
                }
            }
        }
        let expected = expected_text(pkt);
        let Some(sent) = self.outbound.pop_front() else {
            let mut f = self.fail("the endpoint sent nothing");
            f.how.departure = Departure::NothingSent;
            f.expected = Some(expected);
            f.actual = Some("no segment".to_string());
            return Err(f);
        };
        let (seg, merged) = self.offloaded(sent, pkt);
        let mut e = self.entry(Kind::Outbound, text);
        e.time = sent.time;
        e.matched = Some(self.wire_of(seg, true).text);
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
        let mismatch = |what: &str, field: Field, s: &Engine<S>| {
            let mut f = s.fail(format!("the segment sent differs: {what}"));
            let w = s.wire_of(seg, true);
            f.how.departure = Departure::SegmentDiffers(field);
            f.how.sent = Some(Seen::from(&w));
            f.expected = Some(expected.clone());
            f.actual = Some(w.text);
            f
        };
        if seg.flags != pkt.flags {
            let mut f = mismatch("flags", Field::Flags, self);
            f.column = flags_place.column;
            return Err(f);
        }
        if pkt.any_seq {
            // `...`: any sequence number.
        } else if pkt.flags.syn() {
            // packetdrill's mapping: the endpoint's ISN is the script's SYN number.
            self.num.map_syn(seg.seq, pkt.start);
        } else if self.script_seq(&seg) != pkt.start {
            let mut f = mismatch("sequence number", Field::Seq, self);
            f.column = seq_place.column;
            return Err(f);
        }
        if !pkt.any_len && seg.len != pkt.len {
            let mut f = mismatch("length", Field::Len, self);
            f.column = seq_place.column;
            return Err(f);
        }
        if let Some(a) = pkt.ack
            && seg.flags.ack()
            && seg.ack != a
        {
            let mut f = mismatch("acknowledgment number", Field::Ack, self);
            f.column = ack_place.map_or(f.column, |p| p.column);
            return Err(f);
        }
        if let Some(w) = pkt.win
            && seg.wnd != w
        {
            return Err(mismatch("window", Field::Window, self));
        }
        // Options are compared when the line lists them (not `<...>`), as packetdrill:
        // which options, the MSS and window scale values, the SACK blocks (the peer's
        // numbers, which are the script's own), and TSecr. TSval is the stack's
        // clock and, as packetdrill without `--tcp_ts_tick_usecs`, not compared; so is
        // the kernel's TSecr, which echoes the peer's TSval as the kernel holds it.
        if !pkt.options.is_empty() && pkt.options.iter().all(|o| o != "...") {
            let (e, a) = (pkt.tcp, seg.opts);
            let ecr_same = S::REAL_TIME || e.timestamps.map(|t| t.1) == a.timestamps.map(|t| t.1);
            let same = e.mss == a.mss
                && e.wscale == a.wscale
                && e.sack_permitted == a.sack_permitted
                && e.timestamps.is_some() == a.timestamps.is_some()
                && e.sack == a.sack
                && ecr_same;
            if !same {
                return Err(mismatch("TCP options", Field::Options, self));
            }
        }
        let tol = self.opts.tolerance;
        let (lo, hi) = window.unwrap_or((start, start));
        if sent.time.saturating_add(tol) < lo
            || sent.time > hi.saturating_add(tol).saturating_add(self.lag)
        {
            let late = if self.lag > 0 {
                format!(
                    " (and the {} ms the runner's last statement was late)",
                    self.lag as f64 / 1000.0
                )
            } else {
                String::new()
            };
            let mut f = self.fail(format!(
                "the segment was sent at {}, expected at {}{late}",
                seconds(sent.time),
                match window {
                    Some((_, u64::MAX)) => "any time".to_string(),
                    Some((a, b)) => format!("{}~{}", seconds(a), seconds(b)),
                    None => seconds(start),
                }
            ));
            let w = self.wire_of(seg, true);
            f.how.departure = Departure::Mistimed {
                sent: sent.time,
                earliest: lo,
                latest: hi,
            };
            f.how.sent = Some(Seen::from(&w));
            f.expected = Some(expected);
            f.actual = Some(w.text);
            return Err(f);
        }
        if let (Some((script, _)), Some((actual, _))) = (pkt.tcp.timestamps, seg.opts.timestamps) {
            self.ts_vals.insert(script, actual);
        }
        self.push(e);
        Ok(sent.time)
    }

    /// The segment a `>` line is compared with: the first one sent, or, when the line
    /// expects more text than it carries, the run of segments sent at the same time that
    /// continue it (same acknowledgment, no SYN or RST, a FIN only on the last) and add up
    /// to exactly the length expected, taken as one. Linux hands such runs to the device
    /// as one TSO/GSO packet, and packetdrill sees one segment; the endpoint sends
    /// segments of at most the MSS, and a tun without offloads gets the kernel's run cut
    /// in segments read off the wire within [`REAL_BURST`] of each other. Returns the
    /// segment and how many were merged.
    fn offloaded(&mut self, first: Sent, pkt: &Packet) -> (Segment, usize) {
        let mut seg = first.seg;
        let plain = |s: &Segment| !s.flags.syn() && !s.flags.rst() && s.len > 0;
        if pkt.any_len || pkt.len <= seg.len || !plain(&seg) || seg.flags.fin() {
            return (seg, 1);
        }
        let burst = if S::REAL_TIME { REAL_BURST } else { 0 };
        let mut n = 0;
        for next in &self.outbound {
            let s = next.seg;
            if next.time.abs_diff(first.time) > burst
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
        let expect = (call.result.value, call.result.errno.clone());
        let result = self.stack.call(self.now, call, end.is_some());
        e.steps = self.steps();
        self.collect();
        let (called, notice) = result.map_err(|m| self.failure_of(m))?;
        e.notice = notice;
        let (value, errno) = match called {
            Called::Done(value, errno) => (value, errno),
            Called::Unmodelled(why) => {
                e.result = Some(match &expect.1 {
                    Some(er) => format!("{} {er}", expect.0),
                    None => expect.0.to_string(),
                });
                e.notice = Some(format!(
                    "{}: {why}: the script's result is taken as given",
                    call.name
                ));
                self.push(e);
                return Ok(());
            }
            Called::Wait(w) => {
                let r = self
                    .stack
                    .attempt(self.now, &w)
                    .map_err(|m| self.failure_of(m))?;
                e.steps.extend(self.steps());
                self.collect();
                match r {
                    Ready::Done(value, errno) => (value, errno),
                    // A poll that finds nothing ready returns 0 (a timeout of 0).
                    Ready::Block if matches!(w, Wait::Poll(..)) && end.is_none() => (0, None),
                    Ready::Block if self.stack.nonblocking(&w) => {
                        let errno = match w {
                            Wait::Connect(_) => Errno::EINPROGRESS,
                            _ => Errno::EAGAIN,
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
}

fn expected_text(p: &Packet) -> String {
    let mut s = format!("{} {}:{}({})", p.flags, p.start, p.end, p.len);
    if let Some(a) = p.ack {
        let _ = write!(s, " ack {a}");
    }
    if let Some(w) = p.win {
        let _ = write!(s, " win {w}");
    }
    // The modelled options the line lists, as the actual segment shows them.
    if !p.tcp.is_empty() {
        let _ = write!(s, " <{}>", p.tcp);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{Verdict, run_engine};
    use crate::script::Icmp;
    use model::Flags;

    /// A real-time stack on a clock the test drives: the runner wakes `late` µs after each
    /// time it sleeps to, and the "kernel" answers a SYN with a SYN,ACK `reply` µs after
    /// the SYN arrives.
    struct Clocked {
        now: u64,
        late: u64,
        reply: u64,
        out: VecDeque<Sent>,
    }

    impl Stack for Clocked {
        const REAL_TIME: bool = true;
        fn handle_segment(&mut self, now: u64, seg: Segment, _: &[String]) -> Result<(), Mismatch> {
            let flags = Flags::SYN.union(Flags::ACK);
            let syn_ack = Segment::control(flags, 5000, seg.seq.wrapping_add(1), 65535);
            self.out.push_back(Sent {
                time: now + self.reply,
                seg: syn_ack,
            });
            Ok(())
        }
        fn handle_icmp(&mut self, _: u64, _: &Icmp, _: u32) -> String {
            String::new()
        }
        fn call(
            &mut self,
            _: u64,
            _: &Call,
            _: bool,
        ) -> Result<(Called, Option<String>), Mismatch> {
            Ok((Called::Done(0, None), None))
        }
        fn attempt(&mut self, _: u64, _: &Wait) -> Result<Ready, Mismatch> {
            Ok(Ready::Done(0, None))
        }
        fn nonblocking(&self, _: &Wait) -> bool {
            false
        }
        fn handle_timeout(&mut self, now: u64) -> Result<Option<&'static str>, Mismatch> {
            self.now = self.now.max(now + self.late);
            Ok(None)
        }
        fn take_steps(&mut self) -> Vec<RawStep> {
            Vec::new()
        }
        fn poll_transmit(&mut self) -> Option<Sent> {
            self.out.pop_front()
        }
        fn wall_clock(&self) -> Option<u64> {
            Some(self.now)
        }
        fn poll_timeout(&self) -> Option<u64> {
            None
        }
        fn state(&self) -> State {
            State::SynReceived
        }
        fn describe(&self, _: u32) -> (State, String) {
            (State::SynReceived, String::new())
        }
    }

    const SCRIPT: &str = "0.100 < S 0:0(0) win 65535\n0.100 > S. 0:0(0) ack 1\n";

    fn verdict(late: u64, reply: u64) -> Verdict {
        let opts = Options::default();
        let (run, _) = run_engine("t.pkt", SCRIPT, &opts, |o| {
            let stack = Clocked {
                now: 0,
                late,
                reply,
                out: VecDeque::new(),
            };
            Ok(Engine::with_stack(stack, o.clone()))
        })
        .unwrap();
        run.verdict
    }

    #[test]
    fn a_reply_late_only_because_the_runner_injected_late_is_on_time() {
        // The runner woke 20 ms late (5 times the tolerance) to inject the SYN; the kernel
        // answered at once.
        assert!(matches!(verdict(20_000, 0), Verdict::Pass));
    }

    #[test]
    fn a_kernel_late_by_itself_still_fails_the_line() {
        // The SYN went in on time and the answer came 20 ms later: that is the kernel's.
        let Verdict::Fail { failure } = verdict(0, 20_000) else {
            panic!("a reply 20 ms late passed");
        };
        assert!(
            failure.message.contains("expected at 0.100"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn the_runners_lateness_excuses_no_more_than_itself() {
        // Injected 20 ms late and answered 10 ms after that: 10 ms is still the kernel's.
        assert!(matches!(verdict(20_000, 10_000), Verdict::Fail { .. }));
        assert!(matches!(verdict(20_000, 3_000), Verdict::Pass));
    }
}
