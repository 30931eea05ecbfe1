//! The kernel's segments as they leave it, with the kernel's own timestamp: a packet
//! socket on the tun device, as packetdrill sniffs (`packet_socket_linux.c`).
//!
//! Reading the tun tells what the kernel sent but not when: the runner reads it when it
//! gets the CPU, late on a loaded machine. A packet socket (`AF_PACKET`) bound to the
//! device gets a copy of each packet the kernel transmits, stamped with the real time at
//! `dev_queue_xmit_nit()` (`SO_TIMESTAMPNS`); that stamp is what a `>` line's time is
//! compared with, as packetdrill compares it.

use super::LiveError;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// A packet socket on one device, reading what the kernel transmits on it.
#[derive(Debug)]
pub struct Sniffer {
    fd: OwnedFd,
}

/// `PACKET_OUTGOING`: a packet this host sent (`sll_pkttype`).
const PACKET_OUTGOING: u8 = 4;

/// The current real time (`CLOCK_REALTIME`), in nanoseconds: the clock the stamps use.
pub fn realtime_ns() -> u128 {
    // SAFETY: timespec is plain old data; clock_gettime fills it.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: clock_gettime(2) into a timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128
}

impl Sniffer {
    /// A packet socket on `device` (in the calling thread's namespace), non-blocking,
    /// with receive timestamps on.
    pub fn open(device: &str) -> Result<Sniffer, LiveError> {
        let fail = |what: &'static str| move |source: io::Error| LiveError::Tun { what, source };
        let proto = (libc::ETH_P_ALL as u16).to_be();
        // SAFETY: socket(2); the descriptor is owned right away.
        let raw = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                i32::from(proto),
            )
        };
        if raw < 0 {
            return Err(fail("packet socket")(io::Error::last_os_error()));
        }
        // SAFETY: raw is fresh and ours.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let name = std::ffi::CString::new(device)
            .map_err(|_| fail("device name")(io::Error::other("NUL in the name")))?;
        // SAFETY: if_nametoindex(3) with a NUL-terminated name.
        let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if index == 0 {
            return Err(fail("if_nametoindex")(io::Error::last_os_error()));
        }
        // SAFETY: sockaddr_ll is plain old data; all zeroes is valid.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = proto;
        sll.sll_ifindex = index as i32;
        // SAFETY: bind(2) with a sockaddr_ll we own and its size.
        if unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sll as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        } != 0
        {
            return Err(fail("bind the packet socket")(io::Error::last_os_error()));
        }
        let one: libc::c_int = 1;
        // SAFETY: setsockopt with an int we own.
        if unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_TIMESTAMPNS,
                (&one as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        } != 0
        {
            return Err(fail("SO_TIMESTAMPNS")(io::Error::last_os_error()));
        }
        Ok(Sniffer { fd })
    }

    /// The next packet the kernel transmitted on the device, if one is waiting, with the
    /// real time it left (nanoseconds, `CLOCK_REALTIME`). Packets in the other direction
    /// (the ones the runner injects) are skipped.
    pub fn recv(&self) -> Result<Option<(Vec<u8>, u128)>, LiveError> {
        self.recv_from(true)
    }

    /// The next packet in either direction: `outgoing` (the kernel's) or the others.
    fn recv_from(&self, outgoing: bool) -> Result<Option<(Vec<u8>, u128)>, LiveError> {
        loop {
            let mut buf = vec![0u8; 65_536];
            // SAFETY: sockaddr_ll is plain old data.
            let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
            let mut control = [0u64; 16];
            let mut iov = libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: buf.len(),
            };
            // SAFETY: msghdr is plain old data; the pointers set below are ours.
            let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
            msg.msg_name = (&mut from as *mut libc::sockaddr_ll).cast();
            msg.msg_namelen = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = size_of_val(&control);
            // SAFETY: recvmsg(2) into the buffers the msghdr points at, all ours.
            let n = unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut msg, 0) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::WouldBlock {
                    return Ok(None);
                }
                return Err(LiveError::Io {
                    what: "read the packet socket",
                    source: e,
                });
            }
            if (from.sll_pkttype == PACKET_OUTGOING) != outgoing {
                continue;
            }
            let mut stamp = None;
            // SAFETY: the CMSG macros walk the control buffer recvmsg filled, within
            // msg_controllen.
            unsafe {
                let mut c = libc::CMSG_FIRSTHDR(&msg);
                while !c.is_null() {
                    if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SO_TIMESTAMPNS
                    {
                        let ts: libc::timespec =
                            std::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
                        stamp = Some(ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128);
                    }
                    c = libc::CMSG_NXTHDR(&msg, c);
                }
            }
            buf.truncate(n as usize);
            return Ok(Some((buf, stamp.unwrap_or_else(realtime_ns))));
        }
    }

    /// Waits until the kernel stamps packets as they pass: `SO_TIMESTAMPNS` turns on
    /// `netstamp_needed_key`, and the first user's `net_enable_timestamp()` does it
    /// later, from a work queue; until then a packet is stamped when it is read. `probe`
    /// writes a packet to the device (one the kernel answers with nothing); once its
    /// stamp is the time it was written, not the time it was read, stamps are on.
    /// Gives up after about a second (stamps are then read times); whether they are on.
    pub fn wait_for_stamps(
        &self,
        probe: impl Fn() -> Result<(), LiveError>,
    ) -> Result<bool, LiveError> {
        for _ in 0..200 {
            let written = realtime_ns();
            probe()?;
            // A packet stamped when read is stamped after this pause.
            std::thread::sleep(Duration::from_millis(2));
            let mut on = false;
            while let Some((_, stamp)) = self.recv_from(false)? {
                on |= stamp < written + 1_000_000;
            }
            if on {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Waits until a packet can be read or `timeout` passes; whether one can.
    pub fn wait(&self, timeout: Duration) -> Result<bool, LiveError> {
        let ts = libc::timespec {
            tv_sec: timeout.as_secs() as libc::time_t,
            tv_nsec: libc::c_long::from(timeout.subsec_nanos() as i32),
        };
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: ppoll(2) on one pollfd we own, with a timespec we own and no mask.
        let n = unsafe { libc::ppoll(&mut pfd, 1, &ts, std::ptr::null()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                return Ok(false);
            }
            return Err(LiveError::Io {
                what: "poll the packet socket",
                source: e,
            });
        }
        Ok(n > 0)
    }
}
