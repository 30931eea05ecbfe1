//! The kernel as a [`Stack`]: this machine's Linux TCP, in the private namespace the
//! calling thread is in, its segments read from and written to a tun device.
//!
//! Time is real: the script's time 0 is when the stack is made, and every segment the
//! kernel sends is stamped with the time it left the kernel (a packet socket's
//! timestamp, as packetdrill takes it), not the later time the runner read it.

use super::{Called, Mismatch, RawStep, Ready, Sent, Stack, Wait};
use crate::live::kernel::{self as k, Fds, Real};
use crate::live::packet::{self, Addr};
use crate::live::sniff::{Sniffer, realtime_ns};
use crate::live::tun::Tun;
use crate::live::{LOCAL, LiveError, PORT, REMOTE, REMOTE_PORT, TUN_NAME};
use crate::script::{Call, Icmp, Value};
use crate::syscall::{Errno, args, events};
use model::{Segment, State};
use std::collections::{BTreeSet, VecDeque};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// How often the runner looks at the kernel while time passes.
const TICK: u64 = 1_000;

/// Socket options set and read as ints: name, level, option.
const INT_OPTIONS: &[(&str, libc::c_int, libc::c_int)] = &[
    ("SO_REUSEADDR", libc::SOL_SOCKET, libc::SO_REUSEADDR),
    ("SO_REUSEPORT", libc::SOL_SOCKET, libc::SO_REUSEPORT),
    ("SO_KEEPALIVE", libc::SOL_SOCKET, libc::SO_KEEPALIVE),
    ("SO_RCVBUF", libc::SOL_SOCKET, libc::SO_RCVBUF),
    ("SO_SNDBUF", libc::SOL_SOCKET, libc::SO_SNDBUF),
    ("SO_RCVLOWAT", libc::SOL_SOCKET, libc::SO_RCVLOWAT),
    ("SO_OOBINLINE", libc::SOL_SOCKET, libc::SO_OOBINLINE),
    ("TCP_NODELAY", libc::IPPROTO_TCP, libc::TCP_NODELAY),
    ("TCP_MAXSEG", libc::IPPROTO_TCP, libc::TCP_MAXSEG),
    ("TCP_CORK", libc::IPPROTO_TCP, libc::TCP_CORK),
    ("TCP_KEEPIDLE", libc::IPPROTO_TCP, libc::TCP_KEEPIDLE),
    ("TCP_KEEPINTVL", libc::IPPROTO_TCP, libc::TCP_KEEPINTVL),
    ("TCP_KEEPCNT", libc::IPPROTO_TCP, libc::TCP_KEEPCNT),
    ("TCP_SYNCNT", libc::IPPROTO_TCP, libc::TCP_SYNCNT),
    ("TCP_LINGER2", libc::IPPROTO_TCP, libc::TCP_LINGER2),
    (
        "TCP_DEFER_ACCEPT",
        libc::IPPROTO_TCP,
        libc::TCP_DEFER_ACCEPT,
    ),
    (
        "TCP_WINDOW_CLAMP",
        libc::IPPROTO_TCP,
        libc::TCP_WINDOW_CLAMP,
    ),
    ("TCP_QUICKACK", libc::IPPROTO_TCP, libc::TCP_QUICKACK),
    (
        "TCP_USER_TIMEOUT",
        libc::IPPROTO_TCP,
        libc::TCP_USER_TIMEOUT,
    ),
    (
        "TCP_NOTSENT_LOWAT",
        libc::IPPROTO_TCP,
        libc::TCP_NOTSENT_LOWAT,
    ),
];

/// The kernel behind a tun device, with the script's descriptors.
pub struct KernelStack {
    start: Instant,
    /// `start` on the real-time clock the packet socket's stamps use (ns).
    start_real: u128,
    tun: Tun,
    /// What the kernel transmits on the tun, with the kernel's timestamps.
    sniff: Sniffer,
    fds: Fds,
    outbound: VecDeque<Sent>,
    /// The kernel's end of the connection on the wire (learned from what it sends).
    us: Addr,
    /// The script's peer.
    them: Addr,
    /// The last TSval the kernel sent: what the peer's TSecr echoes.
    last_ts_val: Option<u32>,
    noticed: BTreeSet<String>,
    /// A connection was handed to the script (`connect` called, `accept` returned): once
    /// none is on the wire, `state` is CLOSED, not the listener's, as the model has it
    /// (the connection's socket is then `TCP_CLOSE`).
    had_conn: bool,
    /// The fds whose pending read has a NULL buffer (`read(4, NULL, 1000)`).
    null_reads: BTreeSet<i64>,
    /// Other traffic and unreadable packets seen (not segments of the connection).
    pub ignored: Vec<String>,
}

impl KernelStack {
    /// The kernel in the calling thread's namespace (see
    /// [`crate::live::netns::in_private_netns`]): makes the tun device; time 0 is now.
    pub fn new() -> Result<KernelStack, LiveError> {
        let tun = Tun::open(TUN_NAME, LOCAL, REMOTE)?;
        let sniff = Sniffer::open(TUN_NAME)?;
        // The probe: a RST from the peer to a port nobody uses, which the kernel drops
        // without an answer (RFC 9293 §3.10.7.1: a RST to a closed port is discarded).
        let probe = packet::build(
            Addr {
                ip: REMOTE,
                port: REMOTE_PORT,
            },
            Addr { ip: LOCAL, port: 9 },
            &Segment::control(model::Flags::RST, 0, 0, 0),
            &[],
        )
        .map_err(|e| LiveError::Io {
            what: "build the probe",
            source: std::io::Error::other(e.to_string()),
        })?;
        sniff.wait_for_stamps(|| tun.send(&probe))?;
        start_in_a_jiffy();
        real_time_priority();
        Ok(KernelStack {
            start: Instant::now(),
            start_real: realtime_ns(),
            tun,
            sniff,
            fds: Fds::default(),
            had_conn: false,
            outbound: VecDeque::new(),
            us: Addr {
                ip: LOCAL,
                port: PORT,
            },
            them: Addr {
                ip: REMOTE,
                port: REMOTE_PORT,
            },
            last_ts_val: None,
            noticed: BTreeSet::new(),
            null_reads: BTreeSet::new(),
            ignored: Vec::new(),
        })
    }

    fn elapsed(&self) -> u64 {
        self.start.elapsed().as_micros().min(u128::from(u64::MAX)) as u64
    }

    /// Reads every packet the kernel sent: from the packet socket, with the time it
    /// left the kernel; the tun's own copies are read and dropped (so its queue never
    /// fills).
    fn drain(&mut self) -> Result<(), Mismatch> {
        while self
            .tun
            .recv()
            .map_err(|e| Mismatch::fail(e.to_string()))?
            .is_some()
        {}
        while let Some((bytes, stamp)) = self
            .sniff
            .recv()
            .map_err(|e| Mismatch::fail(e.to_string()))?
        {
            let time =
                (stamp.saturating_sub(self.start_real) / 1_000).min(u128::from(u64::MAX)) as u64;
            match packet::parse(&bytes) {
                Ok(p) if p.from.ip == LOCAL && p.to.ip == REMOTE => {
                    self.us = p.from;
                    self.them = p.to;
                    if let Some((val, _)) = p.seg.opts.timestamps {
                        self.last_ts_val = Some(val);
                    }
                    self.outbound.push_back(Sent { time, seg: p.seg });
                }
                Ok(p) => self.ignored.push(format!("{:?} -> {:?}", p.from, p.to)),
                Err(e) if e.is_other_traffic() => {}
                Err(e) => self.ignored.push(e.to_string()),
            }
        }
        Ok(())
    }

    fn real(&self, fd: Option<i64>) -> Result<i32, Errno> {
        fd.and_then(|f| self.fds.get(f))
            .map(|r| r.fd.as_raw_fd())
            .ok_or(Errno::EBADF)
    }

    fn notice_once(&mut self, key: &str, text: String) -> Option<String> {
        self.noticed.insert(key.to_string()).then_some(text)
    }

    fn revents(&self, fd: i64, ev: u32) -> u32 {
        match self.fds.get(fd) {
            None => events::POLLNVAL,
            Some(r) => {
                let got = k::poll_one(r.fd.as_raw_fd(), ev as libc::c_short);
                got & (ev | events::POLLERR | events::POLLHUP | events::POLLNVAL)
            }
        }
    }

    /// The state of the connection on the wire (the kernel's port and the peer's) if a
    /// script's descriptor holds it and it is not closed: what [`Stack::state`] finds
    /// first in `sock_diag`'s list, then.
    fn held_connection_state(&self) -> Option<State> {
        self.fds.iter().find_map(|(_, r)| {
            if !r.socket {
                return None;
            }
            let fd = r.fd.as_raw_fd();
            let state = k::tcp_state(fd).ok()?;
            if matches!(state, State::Closed | State::Listen) {
                return None;
            }
            // getpeername() says ENOTCONN in SYN-SENT (inet_getname()); a script's
            // connect goes to the peer's port.
            let peer = k::peer_addr(fd).or((state == State::SynSent).then_some((REMOTE, PORT)));
            let (local, peer) = (k::local_addr(fd)?, peer?);
            (local.1 == self.us.port && peer == (self.them.ip, self.them.port)).then_some(state)
        })
    }

    /// The TCP connections of the namespace (not listeners), whether a socket listens,
    /// and how many connections the listeners' accept queues hold.
    fn sockets(&self) -> (Vec<k::Diag>, bool, u32) {
        let all = k::diag().unwrap_or_default();
        let listeners = all.iter().filter(|d| d.state == State::Listen);
        let listening = listeners.clone().next().is_some();
        let queued = listeners.map(|d| d.rqueue).sum();
        let conns = all
            .into_iter()
            .filter(|d| d.dst == REMOTE && d.state != State::Closed)
            .collect();
        (conns, listening, queued)
    }
}

/// As packetdrill's `set_scheduling_priority()`: with more than one CPU, this thread
/// (the script's) runs under `SCHED_RR` at the lowest real-time priority, so a loaded
/// machine does not wake it late (measured here, at a load average of 30 on 2 cores: a
/// normal thread's 80 ms sleep ended up to 300 ms late). Refused (no CAP_SYS_NICE), it
/// runs as it is. Real-time throttling (`sched_rt_runtime_us`) still leaves the others
/// their share.
fn real_time_priority() {
    // SAFETY: sysconf(3) takes a constant.
    if unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) } <= 1 {
        return;
    }
    // SAFETY: sched_param is plain old data; all zeroes is valid.
    let mut param: libc::sched_param = unsafe { std::mem::zeroed() };
    // SAFETY: sched_get_priority_min(2) takes a constant.
    param.sched_priority = unsafe { libc::sched_get_priority_min(libc::SCHED_RR) };
    // SAFETY: sched_setscheduler(2) on the calling thread (0) with a param we own.
    unsafe { libc::sched_setscheduler(0, libc::SCHED_RR, &param) };
}

/// As packetdrill's `schedule_start_time_usecs()`: the script's time 0 is 250 µs after
/// the kernel's jiffies clock ticks (seen through `times(2)`, which counts in its units),
/// so that times the script puts on millisecond boundaries fall at the same place within
/// a jiffy from run to run, and the kernel's timers (the delayed ACK's, counted in
/// jiffies) fire at the same script time. packetdrill watches 10 ticks; 3 are enough to
/// skip the first, partial one. Spins at most about 30 ms.
///
/// It spins before [`real_time_priority`], at the thread's ordinary priority: under
/// `SCHED_RR`, two runners spinning at once hold both cores, and the kernel's timers
/// that `ksoftirqd` runs meanwhile fire late (measured: the SYN a bad ACK in SYN-SENT
/// sends again 8 ms later missed its range in 3 of 3 runs of `fuzz_diff`'s tests, which
/// run side by side; spinning first, in none of 3).
fn start_in_a_jiffy() {
    // SAFETY: times(2) with NULL returns the clock ticks and writes nothing.
    let ticks = || unsafe { libc::times(std::ptr::null_mut()) };
    let mut last = ticks();
    let mut seen = 0;
    let mut edge = Instant::now();
    let limit = Instant::now() + Duration::from_millis(100);
    while seen < 3 && Instant::now() < limit {
        let t = ticks();
        if t != last {
            edge = Instant::now();
            seen += 1;
        }
        last = t;
    }
    let start = edge + Duration::from_micros(250);
    while Instant::now() < start {
        std::hint::spin_loop();
    }
}

fn done(r: Result<i64, Errno>) -> Called {
    match r {
        Ok(v) => Called::Done(v, None),
        Err(e) => Called::Done(-1, Some(e)),
    }
}

fn ready(r: Result<i64, Errno>) -> Ready {
    match r {
        Ok(v) => Ready::Done(v, None),
        Err(e) if e == Errno::EAGAIN || e == Errno::EINPROGRESS => Ready::Block,
        Err(e) => Ready::Done(-1, Some(e)),
    }
}

impl Stack for KernelStack {
    const REAL_TIME: bool = true;

    fn handle_segment(
        &mut self,
        _now: u64,
        mut seg: Segment,
        names: &[String],
    ) -> Result<(), Mismatch> {
        // The peer echoes the kernel's latest TSval, as a real peer does (the script's
        // TSecr is in its own numbering; 0 stays 0).
        if let Some((val, ecr)) = seg.opts.timestamps
            && ecr != 0
        {
            seg.opts.timestamps = Some((val, self.last_ts_val.unwrap_or(ecr)));
        }
        let order = packet::options_in_order(names, &seg.opts);
        let bytes = packet::build(self.them, self.us, &seg, &order)
            .map_err(|e| Mismatch::bad(e.to_string()))?;
        self.tun
            .send(&bytes)
            .map_err(|e| Mismatch::fail(e.to_string()))?;
        // The kernel answers in the writer's context, usually before write returns.
        self.drain()
    }

    fn handle_icmp(&mut self, _now: u64, icmp: &Icmp, _offset: u32) -> String {
        format!(
            "ICMP {} {}: not sent to the kernel (live ICMP is not built yet), ignored",
            icmp.kind, icmp.code
        )
    }

    fn call(
        &mut self,
        _now: u64,
        call: &Call,
        _blocking: bool,
    ) -> Result<(Called, Option<String>), Mismatch> {
        let a = &call.args;
        let fd = a.first().and_then(|x| x.value.int());
        let expect = call.result.value;
        let mut notice = None;
        let called = match call.name.as_str() {
            "socket" => {
                let ty = a.get(1).map(|x| &x.value);
                if let Some(ty) = ty
                    && !matches!(ty, Value::Ellipsis)
                    && !ty.has_name("SOCK_STREAM")
                {
                    return Err(Mismatch::bad("only SOCK_STREAM sockets are run live"));
                }
                match k::socket() {
                    Ok(s) => {
                        let label = self.fds.label(expect);
                        self.fds.insert(
                            label,
                            Real {
                                fd: s,
                                nonblocking: ty.is_some_and(|t| t.has_name("SOCK_NONBLOCK")),
                                socket: true,
                            },
                        );
                        Called::Done(label, None)
                    }
                    Err(e) => Called::Done(-1, Some(e)),
                }
            }
            "bind" => done(self.real(fd).and_then(k::bind)),
            "listen" => {
                let backlog = a.get(1).and_then(|x| x.value.int()).unwrap_or(1);
                // A script that never binds (the model needs no port) listens on
                // packetdrill's port, not on one the kernel picks: bind first; a socket
                // already bound says EINVAL, which is ignored.
                let real = self.real(fd);
                if let Ok(f) = real {
                    let _ = k::bind(f);
                }
                done(real.and_then(|f| k::listen(f, backlog)))
            }
            "connect" => {
                let r = self.real(fd).and_then(k::connect);
                self.had_conn |= !matches!(r, Err(Errno::EBADF));
                match r {
                    Err(e) if e == Errno::EINPROGRESS => {
                        Called::Wait(Wait::Connect(fd.unwrap_or(-1)))
                    }
                    r => done(r),
                }
            }
            "accept" | "accept4" => match self.real(fd) {
                Ok(_) => Called::Wait(Wait::Accept(fd.unwrap_or(-1), expect)),
                Err(e) => Called::Done(-1, Some(e)),
            },
            "read" | "recv" | "recvfrom" | "recvmsg" | "readv" => match self.real(fd) {
                Ok(_) => {
                    let fd = fd.unwrap_or(-1);
                    // A NULL buffer is handed to the kernel as NULL.
                    if args::null_buffer(call) {
                        self.null_reads.insert(fd);
                    } else {
                        self.null_reads.remove(&fd);
                    }
                    Called::Wait(Wait::Read(
                        fd,
                        args::read_len(&call.name, a),
                        args::peek(call),
                    ))
                }
                Err(e) => Called::Done(-1, Some(e)),
            },
            "write" | "send" | "sendto" | "sendmsg" | "writev" | "sendfile" => {
                let n = match args::write_len(&call.name, a) {
                    Some(n) => n,
                    None => {
                        notice = Some(format!(
                            "{}: the length is not written, the expected result ({expect}) is taken as it",
                            call.name
                        ));
                        expect.max(0)
                    }
                };
                let n = n.clamp(0, i64::from(u32::MAX)) as u32;
                let null = args::null_buffer(call);
                // The real socket is always non-blocking: a blocking write waits here
                // until the kernel takes it (or says why not). A NULL buffer is tried at
                // once, for the kernel's EFAULT.
                match fd.and_then(|f| self.fds.get(f)) {
                    Some(r) if !r.nonblocking && r.socket && !null => {
                        Called::Wait(Wait::Write(fd.unwrap_or(-1), n))
                    }
                    _ => done(self.real(fd).and_then(|f| k::write(f, n, null))),
                }
            }
            "shutdown" => {
                let how = a.get(1).map(|x| &x.value);
                let how = if how.is_some_and(|h| h.has_name("SHUT_RD")) {
                    libc::SHUT_RD
                } else if how.is_some_and(|h| h.has_name("SHUT_RDWR")) {
                    libc::SHUT_RDWR
                } else {
                    libc::SHUT_WR
                };
                done(self.real(fd).and_then(|f| k::shutdown(f, how)))
            }
            "close" => {
                if fd.is_some_and(|f| self.fds.close(f)) {
                    Called::Done(0, None)
                } else {
                    Called::Done(-1, Some(Errno::EBADF))
                }
            }
            "setsockopt" => {
                let name = args::name(a.get(2)).unwrap_or("").to_string();
                if name == "SO_LINGER" {
                    // Checked before the call (`args::check`).
                    let l = a
                        .get(3)
                        .and_then(|v| args::linger(v).ok())
                        .ok_or_else(|| Mismatch::bad("SO_LINGER needs a struct linger"))?;
                    done(self.real(fd).and_then(|f| k::set_linger(f, l.on, l.secs)))
                } else if let Some((_, level, opt)) =
                    INT_OPTIONS.iter().find(|(n, _, _)| *n == name)
                {
                    let v = args::int_or_boxed(a.get(3)).unwrap_or(0);
                    done(
                        self.real(fd)
                            .and_then(|f| k::setsockopt_int(f, *level, *opt, v)),
                    )
                } else {
                    Called::Unmodelled(format!("setsockopt {name} is not run live"))
                }
            }
            "getsockopt" => {
                let name = args::name(a.get(2)).unwrap_or("").to_string();
                let real = self.real(fd);
                if name == "SO_ERROR" {
                    let actual = real.and_then(k::so_error);
                    let wanted = a.get(3).map(|x| &x.value);
                    if let Ok(e) = actual {
                        let ok = match wanted {
                            None | Some(Value::Ellipsis) => true,
                            Some(v) => match v.int() {
                                Some(n) => n == i64::from(e),
                                None => match v {
                                    Value::List(items) if items.len() == 1 => {
                                        match &items[0].value {
                                            Value::Int(n) => *n == i64::from(e),
                                            Value::Name(n) => Errno::from_name(n) == Some(Errno(e)),
                                            _ => true,
                                        }
                                    }
                                    _ => true,
                                },
                            },
                        };
                        if !ok {
                            let shown = if e == 0 {
                                "0".to_string()
                            } else {
                                Errno(e).name()
                            };
                            return Err(Mismatch::fail("getsockopt(SO_ERROR) found another error")
                                .with("[0]".to_string(), format!("[{shown}]")));
                        }
                    }
                    done(actual.map(|_| 0))
                } else if name == "TCP_INFO" {
                    let wanted = a
                        .get(3)
                        .and_then(|x| x.value.field("tcpi_state"))
                        .and_then(|v| match v {
                            Value::Name(n) => crate::script::parse_state(n),
                            _ => None,
                        });
                    match real.and_then(k::tcp_state) {
                        Ok(actual) => {
                            if let Some(w) = wanted
                                && w != actual
                            {
                                return Err(Mismatch::fail("the kernel is in another state")
                                    .with(w.to_string(), actual.to_string()));
                            }
                            notice = self.notice_once(
                                "TCP_INFO",
                                "TCP_INFO: tcpi_state is checked, its other fields are not"
                                    .to_string(),
                            );
                            Called::Done(0, None)
                        }
                        Err(e) => Called::Done(-1, Some(e)),
                    }
                } else if let Some((_, level, opt)) =
                    INT_OPTIONS.iter().find(|(n, _, _)| *n == name)
                {
                    match real.and_then(|f| k::getsockopt_int(f, *level, *opt)) {
                        Ok(v) => {
                            if let Some(w) = args::int_or_boxed(a.get(3))
                                && w != v
                            {
                                return Err(Mismatch::fail(format!(
                                    "getsockopt({name}) found another value"
                                ))
                                .with(format!("[{w}]"), format!("[{v}]")));
                            }
                            Called::Done(0, None)
                        }
                        Err(e) => Called::Done(-1, Some(e)),
                    }
                } else {
                    Called::Unmodelled(format!("getsockopt {name} is not run live"))
                }
            }
            "fcntl" => {
                let cmd = a.get(1).map(|x| &x.value);
                let arg = a.get(2).map(|x| &x.value);
                match fd.and_then(|f| self.fds.get_mut(f)) {
                    None => Called::Done(-1, Some(Errno::EBADF)),
                    Some(r) if cmd.is_some_and(|c| c.has_name("F_SETFL")) => {
                        r.nonblocking = arg.is_some_and(|x| x.has_name("O_NONBLOCK"));
                        Called::Done(0, None)
                    }
                    Some(r) if cmd.is_some_and(|c| c.has_name("F_GETFL")) => Called::Done(
                        i64::from(libc::O_RDWR)
                            | if r.nonblocking {
                                i64::from(libc::O_NONBLOCK)
                            } else {
                                0
                            },
                        None,
                    ),
                    Some(_) => {
                        return Err(Mismatch::bad("fcntl: only F_GETFL and F_SETFL are run"));
                    }
                }
            }
            "ioctl" => {
                let cmd = a.get(1).map(|x| &x.value);
                if cmd.is_some_and(|c| c.has_name("SIOCINQ") || c.has_name("FIONREAD")) {
                    match self.real(fd).and_then(k::inq) {
                        Ok(v) => {
                            if let Some(w) = args::int_or_boxed(a.get(2))
                                && w != v
                            {
                                return Err(Mismatch::fail(
                                    "ioctl found another number of bytes queued",
                                )
                                .with(format!("[{w}]"), format!("[{v}]")));
                            }
                            Called::Done(0, None)
                        }
                        Err(e) => Called::Done(-1, Some(e)),
                    }
                } else {
                    Called::Unmodelled("this ioctl is not run live".to_string())
                }
            }
            "poll" => {
                let items = args::list_items(a.first().map(|x| &x.value));
                let mut watch = Vec::new();
                for item in &items {
                    let fd = item.field("fd").and_then(Value::int).unwrap_or(-1);
                    let ev = item.field("events").and_then(events::bits).unwrap_or(0);
                    watch.push((fd, ev));
                }
                let ready_now = watch.iter().any(|&(f, ev)| self.revents(f, ev) != 0);
                if ready_now {
                    for item in &items {
                        let fd = item.field("fd").and_then(Value::int).unwrap_or(-1);
                        let ev = item.field("events").and_then(events::bits).unwrap_or(0);
                        if let Some(wanted) = item.field("revents").and_then(events::bits) {
                            let actual = self.revents(fd, ev);
                            if actual != wanted {
                                return Err(Mismatch::fail(format!(
                                    "poll found fd {fd} in another state"
                                ))
                                .with(events::text(wanted), events::text(actual)));
                            }
                        }
                    }
                }
                let timeout = match a.get(2).and_then(|x| x.value.int()) {
                    Some(ms) if ms >= 0 => self.elapsed().saturating_add((ms as u64) * 1000),
                    _ => u64::MAX,
                };
                Called::Wait(Wait::Poll(watch, usize::MAX, timeout))
            }
            other => Called::Unmodelled(format!("{other} is not run live")),
        };
        Ok((called, notice))
    }

    fn attempt(&mut self, _now: u64, wait: &Wait) -> Result<Ready, Mismatch> {
        Ok(match wait {
            Wait::Connect(fd) => ready(self.real(Some(*fd)).and_then(k::connect_done)),
            Wait::Accept(fd, wanted) => match self.real(Some(*fd)).and_then(k::accept) {
                Ok(s) => {
                    self.had_conn = true;
                    let label = self.fds.label(*wanted);
                    self.fds.insert(
                        label,
                        Real {
                            fd: s,
                            nonblocking: false,
                            socket: true,
                        },
                    );
                    Ready::Done(label, None)
                }
                Err(e) => ready(Err(e)),
            },
            Wait::Read(fd, n, peek) => {
                let null = self.null_reads.contains(fd);
                let r = ready(
                    self.real(Some(*fd))
                        .and_then(|f| k::read(f, *n, null, *peek)),
                );
                if matches!(r, Ready::Done(..)) {
                    self.null_reads.remove(fd);
                }
                r
            }
            Wait::Write(fd, n) => ready(self.real(Some(*fd)).and_then(|f| k::write(f, *n, false))),
            Wait::Poll(watch, max, _) => {
                let n = watch
                    .iter()
                    .filter(|&&(fd, ev)| self.revents(fd, ev) != 0)
                    .count()
                    .min(*max);
                if n > 0 {
                    Ready::Done(n as i64, None)
                } else {
                    Ready::Block
                }
            }
        })
    }

    fn nonblocking(&self, wait: &Wait) -> bool {
        let fd = match wait {
            Wait::Connect(fd) | Wait::Accept(fd, _) | Wait::Read(fd, ..) | Wait::Write(fd, _) => {
                *fd
            }
            Wait::Poll(..) => return false,
        };
        self.fds.get(fd).is_some_and(|r| r.nonblocking)
    }

    fn handle_timeout(&mut self, now: u64) -> Result<Option<&'static str>, Mismatch> {
        loop {
            let before = self.outbound.len();
            self.drain()?;
            let elapsed = self.elapsed();
            // Back to the runner at `now`, or as soon as the kernel sent something.
            if elapsed >= now || self.outbound.len() > before {
                return Ok(None);
            }
            self.sniff
                .wait(Duration::from_micros(now - elapsed))
                .map_err(|e| Mismatch::fail(e.to_string()))?;
        }
    }

    fn take_steps(&mut self) -> Vec<RawStep> {
        Vec::new()
    }

    fn poll_transmit(&mut self) -> Option<Sent> {
        self.outbound.pop_front()
    }

    fn wall_clock(&self) -> Option<u64> {
        Some(self.elapsed())
    }

    fn poll_timeout(&self) -> Option<u64> {
        Some(self.elapsed().saturating_add(TICK))
    }

    fn state(&self) -> State {
        // The connection on the wire, when a descriptor holds it: `TCP_INFO` on it, a
        // getsockopt (every entry of the transcript asks, and a `sock_diag` dump walks
        // every TCP socket of the host, a fraction of a millisecond each time).
        if let Some(state) = self.held_connection_state() {
            return state;
        }
        let (conns, listening, queued) = self.sockets();
        let on_wire = conns
            .iter()
            .find(|d| d.sport == self.us.port && d.dport == self.them.port)
            .or_else(|| conns.iter().find(|d| d.state != State::TimeWait))
            .or_else(|| conns.first());
        match on_wire {
            Some(d) => d.state,
            None if self.had_conn => State::Closed,
            // A connection closed (reset) before accept() stays in the accept queue,
            // TCP_CLOSE and unhashed (tcp_done()): sock_diag lists it no more, but its
            // listener counts it. The script's connection is gone, CLOSED, as the model
            // says; LISTEN is for a listener with no connection left.
            None if queued > 0 => State::Closed,
            None if listening => State::Listen,
            None => State::Closed,
        }
    }

    fn describe(&self, _offset: u32) -> (State, String) {
        let all = k::diag().unwrap_or_default();
        if all.is_empty() {
            return (State::Closed, "kernel: no TCP socket (CLOSED)".to_string());
        }
        let parts: Vec<String> = all
            .iter()
            .map(|d| {
                if d.state == State::Listen && d.rqueue > 0 {
                    format!(
                        "listener :{} LISTEN, {} in its accept queue",
                        d.sport, d.rqueue
                    )
                } else if d.state == State::Listen {
                    format!("listener :{} LISTEN", d.sport)
                } else {
                    format!("{}:{} > {}:{} {}", LOCAL, d.sport, d.dst, d.dport, d.state)
                }
            })
            .collect();
        (self.state(), format!("kernel: {}", parts.join("; ")))
    }
}
