//! Real sockets for a script's system calls, in the calling thread's namespace.
//!
//! Every socket is non-blocking underneath: a call that would block returns `EAGAIN`
//! (or `EINPROGRESS`), and the runner, which knows whether the script made the socket
//! blocking, either reports that or keeps the call pending and tries again as time
//! passes. Descriptors are the script's labels, mapped onto the real ones.

use super::{PORT, REMOTE};
use crate::syscall::Errno;
use model::State;
use std::collections::BTreeMap;
use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// A real descriptor behind a script's label.
#[derive(Debug)]
pub struct Real {
    /// The kernel's descriptor.
    pub fd: OwnedFd,
    /// The script asked for a non-blocking socket (`SOCK_NONBLOCK`, `O_NONBLOCK`).
    pub nonblocking: bool,
    /// A socket (else an epoll instance, a pipe end, ...).
    pub socket: bool,
}

/// A system call's result: the value, or -1 with an errno.
pub type Res = Result<i64, Errno>;

fn check(r: libc::c_int) -> Res {
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(i64::from(r))
    }
}

fn sockaddr_in(ip: Ipv4Addr, port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(ip).to_be(),
        },
        sin_zero: [0; 8],
    }
}

/// A new non-blocking TCP socket.
pub fn socket() -> Result<OwnedFd, Errno> {
    // SAFETY: socket(2); the descriptor is owned right away.
    let fd = unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            libc::IPPROTO_TCP,
        )
    };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: fd is fresh and ours.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `bind` to packetdrill's port, any local address.
pub fn bind(fd: RawFd) -> Res {
    let one: libc::c_int = 1;
    // SAFETY: setsockopt with an int we own.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            (&one as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    let sa = sockaddr_in(Ipv4Addr::UNSPECIFIED, PORT);
    // SAFETY: bind(2) with a sockaddr_in we own and its size.
    check(unsafe {
        libc::bind(
            fd,
            (&sa as *const libc::sockaddr_in).cast(),
            size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    })
}

/// `listen(fd, backlog)`.
pub fn listen(fd: RawFd, backlog: i64) -> Res {
    // SAFETY: listen(2).
    check(unsafe { libc::listen(fd, backlog.clamp(0, i64::from(i32::MAX)) as libc::c_int) })
}

/// `connect` to the script's peer (packetdrill's remote address and port).
pub fn connect(fd: RawFd) -> Res {
    let sa = sockaddr_in(REMOTE, PORT);
    // SAFETY: connect(2) with a sockaddr_in we own.
    check(unsafe {
        libc::connect(
            fd,
            (&sa as *const libc::sockaddr_in).cast(),
            size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    })
}

/// A non-blocking connect's outcome, once the socket is writable: `Ok(0)`, the error,
/// or `EINPROGRESS` while it is still under way.
pub fn connect_done(fd: RawFd) -> Res {
    let ev = poll_one(fd, libc::POLLOUT);
    if ev & (libc::POLLOUT | libc::POLLERR | libc::POLLHUP) as u32 == 0 {
        return Err(Errno::EINPROGRESS);
    }
    match so_error(fd)? {
        0 => {
            // A refused connection can leave POLLHUP and no error once read.
            if ev & libc::POLLHUP as u32 != 0 && ev & libc::POLLOUT as u32 == 0 {
                Err(Errno(libc::ECONNABORTED))
            } else {
                Ok(0)
            }
        }
        e => Err(Errno(e)),
    }
}

/// The connection's pending error (`SO_ERROR`), cleared by reading it.
pub fn so_error(fd: RawFd) -> Result<i32, Errno> {
    let mut v: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt into an int we own.
    check(unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut v as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    Ok(v)
}

/// `accept`: a new non-blocking socket.
pub fn accept(fd: RawFd) -> Result<OwnedFd, Errno> {
    // SAFETY: accept4(2) without an address.
    let n = unsafe {
        libc::accept4(
            fd,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    };
    if n < 0 {
        return Err(Errno::last());
    }
    // SAFETY: n is fresh and ours.
    Ok(unsafe { OwnedFd::from_raw_fd(n) })
}

/// Reads up to `n` bytes (discarded): how many were read, 0 at end of file. With `null`
/// the buffer is a NULL pointer, as the script wrote it: the kernel answers (`EFAULT`
/// when there is text to copy). With `peek` (`MSG_PEEK`) the text stays queued.
pub fn read(fd: RawFd, n: u32, null: bool, peek: bool) -> Res {
    let mut buf = vec![0u8; if null { 0 } else { n.min(1 << 24) as usize }];
    let (ptr, len) = if null {
        (std::ptr::null_mut(), n as usize)
    } else {
        (buf.as_mut_ptr().cast(), buf.len())
    };
    // SAFETY: recv(2) into a buffer we own, at most its length, or into NULL, which the
    // kernel checks (it never writes through it).
    let flags = if peek { libc::MSG_PEEK } else { 0 };
    let r = unsafe { libc::recv(fd, ptr, len, flags) };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as i64)
    }
}

/// Writes `n` zero bytes: how many were taken (`EPIPE`, never SIGPIPE). With `null` the
/// buffer is a NULL pointer, as the script wrote it: the kernel answers (`EFAULT` when
/// it has to copy).
pub fn write(fd: RawFd, n: u32, null: bool) -> Res {
    let buf = vec![0u8; if null { 0 } else { n.min(1 << 24) as usize }];
    let (ptr, len) = if null {
        (std::ptr::null(), n as usize)
    } else {
        (buf.as_ptr().cast(), buf.len())
    };
    // SAFETY: send(2) from a buffer we own, or from NULL, which the kernel checks.
    let r = unsafe { libc::send(fd, ptr, len, libc::MSG_NOSIGNAL) };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as i64)
    }
}

/// `shutdown(fd, how)` with `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`.
pub fn shutdown(fd: RawFd, how: libc::c_int) -> Res {
    // SAFETY: shutdown(2).
    check(unsafe { libc::shutdown(fd, how) })
}

/// `setsockopt` with an int value.
pub fn setsockopt_int(fd: RawFd, level: libc::c_int, name: libc::c_int, v: i64) -> Res {
    let v = v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as libc::c_int;
    // SAFETY: setsockopt with an int we own.
    check(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&v as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
}

/// `getsockopt` of an int value.
pub fn getsockopt_int(fd: RawFd, level: libc::c_int, name: libc::c_int) -> Res {
    let mut v: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt into an int we own.
    check(unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            (&mut v as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    Ok(i64::from(v))
}

/// `SO_LINGER`.
pub fn set_linger(fd: RawFd, on: bool, secs: i64) -> Res {
    let l = libc::linger {
        l_onoff: libc::c_int::from(on),
        l_linger: secs.clamp(0, i64::from(i32::MAX)) as libc::c_int,
    };
    // SAFETY: setsockopt with a linger we own.
    check(unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&l as *const libc::linger).cast(),
            size_of::<libc::linger>() as libc::socklen_t,
        )
    })
}

fn sock_name(fd: RawFd, peer: bool) -> Option<(Ipv4Addr, u16)> {
    // SAFETY: sockaddr_in is plain old data.
    let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
    let p = (&mut sa as *mut libc::sockaddr_in).cast();
    // SAFETY: getsockname(2)/getpeername(2) into a sockaddr_in we own, its size given.
    let r = unsafe {
        if peer {
            libc::getpeername(fd, p, &mut len)
        } else {
            libc::getsockname(fd, p, &mut len)
        }
    };
    (r == 0 && i32::from(sa.sin_family) == libc::AF_INET).then(|| {
        (
            Ipv4Addr::from(u32::from_be(sa.sin_addr.s_addr)),
            u16::from_be(sa.sin_port),
        )
    })
}

/// The socket's own address and port (`getsockname`).
pub fn local_addr(fd: RawFd) -> Option<(Ipv4Addr, u16)> {
    sock_name(fd, false)
}

/// The connected peer's address and port (`getpeername`), if connected.
pub fn peer_addr(fd: RawFd) -> Option<(Ipv4Addr, u16)> {
    sock_name(fd, true)
}

/// Bytes queued to read (`SIOCINQ`).
pub fn inq(fd: RawFd) -> Res {
    let mut v: libc::c_int = 0;
    // SAFETY: FIONREAD (SIOCINQ) writes an int we own.
    check(unsafe { libc::ioctl(fd, libc::FIONREAD, &mut v) })?;
    Ok(i64::from(v))
}

/// The socket's TCP state (`TCP_INFO`'s `tcpi_state`).
pub fn tcp_state(fd: RawFd) -> Result<State, Errno> {
    // SAFETY: tcp_info is plain old data.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: getsockopt into a tcp_info we own, its size given.
    check(unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    })?;
    Ok(linux_state(info.tcpi_state))
}

/// Linux's `TCP_*` state numbers as RFC 9293 names them (`TCP_NEW_SYN_RECV`, a request
/// not yet a socket, is SYN-RECEIVED).
pub fn linux_state(n: u8) -> State {
    match n {
        1 => State::Established,
        2 => State::SynSent,
        3 | 12 => State::SynReceived,
        4 => State::FinWait1,
        5 => State::FinWait2,
        6 => State::TimeWait,
        8 => State::CloseWait,
        9 => State::LastAck,
        10 => State::Listen,
        11 => State::Closing,
        _ => State::Closed,
    }
}

/// What `poll` reports for one descriptor asked for `events` (at once, no waiting).
pub fn poll_one(fd: RawFd, events: libc::c_short) -> u32 {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: poll(2) on one pollfd we own, without waiting.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    if n <= 0 { 0 } else { p.revents as u16 as u32 }
}

/// One TCP socket of the namespace as `sock_diag` lists it: also the ones no descriptor
/// holds any more (closed by the user, in FIN-WAIT, TIME-WAIT, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Diag {
    /// Its state.
    pub state: State,
    /// Local port.
    pub sport: u16,
    /// Remote address (unspecified for a listener).
    pub dst: Ipv4Addr,
    /// Remote port.
    pub dport: u16,
    /// The socket's inode (0 for a TIME-WAIT socket).
    pub inode: u32,
    /// A listener's accept queue length (`idiag_rqueue` = `sk_ack_backlog`,
    /// `tcp_diag_get_info()`); a connection's unread bytes.
    pub rqueue: u32,
}

/// Every IPv4 TCP socket in this thread's namespace (`NETLINK_SOCK_DIAG`, as `ss` does).
pub fn diag() -> io::Result<Vec<Diag>> {
    // SAFETY: socket(2); owned right away.
    let raw = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            libc::NETLINK_SOCK_DIAG,
        )
    };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: raw is fresh and ours.
    let nl = unsafe { OwnedFd::from_raw_fd(raw) };
    // nlmsghdr (16) + inet_diag_req_v2 (56 - 16 = 40 + 16 = 56 in all).
    let mut req = Vec::with_capacity(72);
    let total: u32 = 16 + 56;
    req.extend_from_slice(&total.to_ne_bytes());
    req.extend_from_slice(&20u16.to_ne_bytes()); // SOCK_DIAG_BY_FAMILY
    req.extend_from_slice(&(0x1u16 | 0x300).to_ne_bytes()); // NLM_F_REQUEST | NLM_F_DUMP
    req.extend_from_slice(&1u32.to_ne_bytes());
    req.extend_from_slice(&0u32.to_ne_bytes());
    req.push(libc::AF_INET as u8);
    req.push(libc::IPPROTO_TCP as u8);
    req.push(0);
    req.push(0);
    req.extend_from_slice(&u32::MAX.to_ne_bytes()); // every state
    req.resize(16 + 56, 0); // the socket id: any
    // SAFETY: send(2) from a buffer we own.
    if unsafe { libc::send(nl.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut out = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        // SAFETY: recv(2) into a buffer we own.
        let n = unsafe { libc::recv(nl.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut msg = &buf[..n as usize];
        while msg.len() >= 16 {
            let len = u32::from_ne_bytes([msg[0], msg[1], msg[2], msg[3]]) as usize;
            let ty = u16::from_ne_bytes([msg[4], msg[5]]);
            if len < 16 || len > msg.len() {
                return Ok(out);
            }
            match ty {
                3 => return Ok(out), // NLMSG_DONE
                2 => return Err(io::Error::other("sock_diag answered with an error")),
                _ => {
                    let body = &msg[16..len];
                    if body.len() >= 72 {
                        let be16 = |i: usize| u16::from_be_bytes([body[i], body[i + 1]]);
                        out.push(Diag {
                            state: linux_state(body[1]),
                            sport: be16(4),
                            dport: be16(6),
                            dst: Ipv4Addr::new(body[24], body[25], body[26], body[27]),
                            inode: u32::from_ne_bytes([body[68], body[69], body[70], body[71]]),
                            rqueue: u32::from_ne_bytes([body[56], body[57], body[58], body[59]]),
                        });
                    }
                }
            }
            let step = len.div_ceil(4) * 4;
            msg = &msg[step.min(msg.len())..];
        }
    }
}

/// The script's descriptors and the real ones behind them.
#[derive(Debug, Default)]
pub struct Fds {
    map: BTreeMap<i64, Real>,
}

impl Fds {
    /// The real descriptor behind a label.
    pub fn get(&self, label: i64) -> Option<&Real> {
        self.map.get(&label)
    }

    /// The same, to change.
    pub fn get_mut(&mut self, label: i64) -> Option<&mut Real> {
        self.map.get_mut(&label)
    }

    /// packetdrill's fds are labels: the number the script expects when it is free, else
    /// the lowest free one (from 3).
    pub fn label(&self, wanted: i64) -> i64 {
        if wanted >= 0 && !self.map.contains_key(&wanted) {
            wanted
        } else {
            (3..)
                .find(|n| !self.map.contains_key(n))
                .unwrap_or(i64::MAX)
        }
    }

    /// Holds `real` under `label`.
    pub fn insert(&mut self, label: i64, real: Real) {
        self.map.insert(label, real);
    }

    /// Closes a label's descriptor; whether it was open.
    pub fn close(&mut self, label: i64) -> bool {
        self.map.remove(&label).is_some()
    }

    /// Every label and its descriptor.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &Real)> {
        self.map.iter().map(|(k, v)| (*k, v))
    }
}
