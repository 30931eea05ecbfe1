//! A private network namespace per script.
//!
//! `unshare(CLONE_NEWNET)` moves the calling thread (only it) into a new network
//! namespace that holds nothing but a loopback device. The script runs on that thread:
//! its sockets and its tun device belong to the namespace, and the host's interfaces,
//! addresses and routes are never seen nor changed. The namespace is freed by the kernel
//! when its last user goes: the thread exits and its sockets and tun descriptor are
//! closed, also when the process is killed (Ctrl-C), so nothing is left to clean up.

use super::LiveError;
use std::io;

/// Runs `f` on a new thread inside a fresh network namespace, with `lo` up, and returns
/// what it returns. Fails (with nothing run) when the namespace cannot be created.
pub fn in_private_netns<T, F>(f: F) -> Result<T, LiveError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let handle = std::thread::Builder::new()
        .name("tcpfsm-netns".to_string())
        .spawn(move || -> Result<T, LiveError> {
            // SAFETY: unshare takes flags only; it changes this thread's namespace.
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                return Err(LiveError::Namespace(io::Error::last_os_error()));
            }
            // A namespace made from this one gets a TCP established hash of its own,
            // small (`net.ipv4.tcp_child_ehash_entries`, Linux 6.1): every `sock_diag`
            // dump (the script's `state`, after each statement) then walks a few hundred
            // buckets instead of the host's shared table (262,144 here, a millisecond and
            // more a dump), which matters with many runs at once. Without the sysctl
            // (older kernels) the shared table is used, as before.
            if std::fs::write("/proc/sys/net/ipv4/tcp_child_ehash_entries", "1024").is_ok() {
                // SAFETY: as above; the intermediate namespace goes when the thread leaves it.
                if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                    return Err(LiveError::Namespace(io::Error::last_os_error()));
                }
            }
            set_up("lo").map_err(|source| LiveError::Configure {
                device: "lo".to_string(),
                what: "bring up",
                source,
            })?;
            Ok(f())
        })
        .map_err(|e| LiveError::Thread(e.to_string()))?;
    handle
        .join()
        .map_err(|_| LiveError::Thread("it panicked".to_string()))?
}

/// A datagram socket to configure interfaces with (ioctls), in this thread's namespace.
pub(crate) fn control_socket() -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket(2); the descriptor is owned right away.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor nobody else owns.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// An `ifreq` naming `device` (the name cut to IFNAMSIZ - 1 bytes).
pub(crate) fn ifreq(device: &str) -> libc::ifreq {
    // SAFETY: ifreq is plain old data; all zeroes is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req
        .ifr_name
        .iter_mut()
        .zip(device.bytes().take(libc::IFNAMSIZ - 1))
    {
        *dst = src as libc::c_char;
    }
    req
}

/// Sets IFF_UP (and IFF_RUNNING) on `device`.
pub(crate) fn set_up(device: &str) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let sock = control_socket()?;
    let mut req = ifreq(device);
    // SAFETY: SIOCGIFFLAGS/SIOCSIFFLAGS read and write the ifreq we own.
    unsafe {
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) != 0 {
            return Err(io::Error::last_os_error());
        }
        req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
