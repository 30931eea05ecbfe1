//! The kernel side of `interpreter live`: this machine's Linux TCP, in a private network
//! namespace, reached through a tun device.
//!
//! - [`netns`]: a thread in a fresh network namespace (the host's network is never
//!   touched; the namespace dies with the thread's last socket and device).
//! - [`tun`]: the tun device, its address and the route to the remote peer.
//! - [`packet`]: IPv4 and TCP segments built and parsed (etherparse), checksums and options.
//! - [`sniff`]: a packet socket on the tun: the kernel's segments with the time they left.
//! - [`sysctl`]: `--sysctl` and `--packetdrill-defaults`, set in the private namespace.
//! - [`kernel`]: real sockets for a script's system calls (libc), always non-blocking
//!   underneath, with the script's blocking semantics kept by the runner.
//!
//! The addresses are packetdrill's: the kernel's side is [`LOCAL`] (on the tun), the
//! script's peer is [`REMOTE`], routed through the tun.

pub mod kernel;
pub mod netns;
pub mod packet;
pub mod sniff;
pub mod sysctl;
pub mod tun;

use std::net::Ipv4Addr;

/// The kernel's address, on the tun device (packetdrill's `--local_ip` default).
pub const LOCAL: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 1);
/// The script's peer, routed through the tun (packetdrill's `--remote_ip` default).
pub const REMOTE: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// The port a script's `bind` and `connect` use (packetdrill's `--bind_port` and
/// `--connect_port` default).
pub const PORT: u16 = 8080;
/// The peer's port when the script's peer opens the connection.
pub const REMOTE_PORT: u16 = 40_000;
/// The tun device's name inside the namespace.
pub const TUN_NAME: &str = "tun0";

/// Why the kernel side could not be set up or driven.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// `unshare(CLONE_NEWNET)` was refused: not root (no CAP_SYS_ADMIN).
    #[error(
        "cannot create a private network namespace (unshare(CLONE_NEWNET): {0}); `live` needs root \
         (CAP_SYS_ADMIN and CAP_NET_ADMIN), e.g. `sudo interpreter live FILE...`"
    )]
    Namespace(#[source] std::io::Error),
    /// `/dev/net/tun` is missing or refused.
    #[error(
        "cannot create a tun device ({what}: {source}); `live` needs /dev/net/tun (the tun \
         module) and CAP_NET_ADMIN"
    )]
    Tun {
        /// The step that failed.
        what: &'static str,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// Configuring an interface (address, route, up) failed.
    #[error("cannot configure {device} ({what}: {source})")]
    Configure {
        /// The interface.
        device: String,
        /// The step that failed.
        what: &'static str,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing the tun device failed mid-run.
    #[error("the tun device failed ({what}: {source})")]
    Io {
        /// The step that failed.
        what: &'static str,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// A `--sysctl` setting was refused (or the namespace was not the script's own).
    #[error("cannot set the sysctl {name} in the script's namespace ({source})")]
    Sysctl {
        /// The sysctl.
        name: String,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// The thread that holds the namespace panicked or could not start.
    #[error("the namespace's thread failed: {0}")]
    Thread(String),
}

/// Checks, before any script runs, that this process can create a network namespace
/// and a tun device in it (so a run is never partial). The probe's namespace and device
/// are gone when it returns.
pub fn check_privileges() -> Result<(), LiveError> {
    netns::in_private_netns(|| tun::Tun::open(TUN_NAME, LOCAL, REMOTE).map(drop))?
}

/// Runs a script against this machine's kernel, in a private namespace of its own (made
/// for this run and gone when it returns). The run has the same transcript, JSON and
/// verdicts as a model run; `profile` names the kernel.
pub fn run_source(
    name: &str,
    source: &str,
    opts: &crate::session::Options,
) -> Result<crate::run::Run, crate::run::RunError> {
    let (name, source, opts) = (name.to_string(), source.to_string(), opts.clone());
    let outcome = netns::in_private_netns(move || {
        crate::run::run_engine(&name, &source, &opts, |o| {
            // The namespace's settings first, before any socket exists.
            let notices = sysctl::apply(&o.live_sysctls())?;
            let stack = crate::stack::kernel::KernelStack::new()?;
            let mut engine = crate::engine::Engine::with_stack(stack, o.clone());
            for n in notices {
                engine.notice(1, 1, "live set-up".to_string(), n);
            }
            Ok(engine)
        })
        .map(|(mut run, _)| {
            run.profile = kernel_name();
            run
        })
    });
    outcome?
}

/// `linux 6.18.44` (this machine's kernel, from uname).
pub fn kernel_name() -> String {
    // SAFETY: utsname is plain old data; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: uname(2) into a struct we own.
    if unsafe { libc::uname(&mut u) } != 0 {
        return "linux".to_string();
    }
    let release: String = u
        .release
        .iter()
        .take_while(|c| **c != 0)
        .map(|c| *c as u8 as char)
        .collect();
    format!("linux {release} (live)")
}
