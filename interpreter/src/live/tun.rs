//! The tun device: the kernel's segments to the remote peer are read from it, and the
//! peer's segments (built by the runner) are written to it.

use super::LiveError;
use super::netns::{control_socket, ifreq, set_up};
use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// A tun device (IP packets, no packet information header), non-blocking, with the
/// kernel's address on it and a route to the peer through it (point to point).
#[derive(Debug)]
pub struct Tun {
    fd: OwnedFd,
    name: String,
}

fn sockaddr(ip: Ipv4Addr) -> libc::sockaddr {
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from(ip).to_be(),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: sockaddr_in and sockaddr have the same size; this is how the ioctls take it.
    unsafe { std::mem::transmute::<libc::sockaddr_in, libc::sockaddr>(sin) }
}

impl Tun {
    /// Creates `name` in the calling thread's network namespace, gives it `local` with
    /// `peer` at the other end (a host route to `peer` through it), and brings it up.
    pub fn open(name: &str, local: Ipv4Addr, peer: Ipv4Addr) -> Result<Tun, LiveError> {
        let path = c"/dev/net/tun";
        // SAFETY: open(2) with a NUL-terminated path.
        let raw = unsafe {
            libc::open(
                path.as_ptr(),
                libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC,
            )
        };
        if raw < 0 {
            return Err(LiveError::Tun {
                what: "open /dev/net/tun",
                source: io::Error::last_os_error(),
            });
        }
        // SAFETY: raw is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut req = ifreq(name);
        req.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short;
        // SAFETY: TUNSETIFF reads the ifreq we own.
        if unsafe { libc::ioctl(fd.as_raw_fd(), libc::TUNSETIFF, &req) } != 0 {
            return Err(LiveError::Tun {
                what: "TUNSETIFF",
                source: io::Error::last_os_error(),
            });
        }
        let configure = |what: &'static str| {
            move |source| LiveError::Configure {
                device: name.to_string(),
                what,
                source,
            }
        };
        let ctl = control_socket().map_err(configure("socket"))?;
        let set = |request: libc::c_ulong, addr: Ipv4Addr| -> io::Result<()> {
            let mut req = ifreq(name);
            req.ifr_ifru.ifru_addr = sockaddr(addr);
            // SAFETY: the SIOCSIF*ADDR ioctls read the ifreq we own.
            if unsafe { libc::ioctl(ctl.as_raw_fd(), request, &req) } != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        };
        set(libc::SIOCSIFADDR, local).map_err(configure("set the address"))?;
        // Point to point: the peer's address makes the kernel route it through the tun.
        set(libc::SIOCSIFDSTADDR, peer).map_err(configure("set the peer address"))?;
        set_up(name).map_err(configure("bring up"))?;
        Ok(Tun {
            fd,
            name: name.to_string(),
        })
    }

    /// The device's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next packet the kernel sent, if one is waiting.
    pub fn recv(&self) -> Result<Option<Vec<u8>>, LiveError> {
        let mut buf = vec![0u8; 65_536];
        // SAFETY: read(2) into a buffer we own, at most its length.
        let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::WouldBlock {
                return Ok(None);
            }
            return Err(LiveError::Io {
                what: "read",
                source: e,
            });
        }
        buf.truncate(n as usize);
        Ok(Some(buf))
    }

    /// Hands a packet to the kernel, as if it arrived from the peer.
    pub fn send(&self, packet: &[u8]) -> Result<(), LiveError> {
        // SAFETY: write(2) from a buffer we own.
        let n = unsafe { libc::write(self.fd.as_raw_fd(), packet.as_ptr().cast(), packet.len()) };
        if n < 0 {
            return Err(LiveError::Io {
                what: "write",
                source: io::Error::last_os_error(),
            });
        }
        Ok(())
    }

    /// Waits until a packet can be read or `timeout` passes; whether one can.
    pub fn wait(&self, timeout: Duration) -> Result<bool, LiveError> {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
        // SAFETY: poll(2) on one pollfd we own.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                return Ok(false);
            }
            return Err(LiveError::Io {
                what: "poll",
                source: e,
            });
        }
        Ok(n > 0)
    }
}
