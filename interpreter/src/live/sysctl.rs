//! Kernel settings for a live run: `live --sysctl NAME=VALUE` and `live
//! --packetdrill-defaults`, written to `/proc/sys` from the script's own namespace only.
//!
//! A script's shell commands are never run (scripts are data), so the sysctls that
//! packetdrill's `defaults.sh` sets before each script are offered as typed options.
//! Only TCP's and the core socket layer's per-namespace settings are taken
//! (`net.ipv4.tcp_*`, `net.core.*`): `/proc/sys/net` shows the calling thread's own
//! namespace (`net_ctl_header_lookup()` looks the table up in `current`'s netns), and
//! [`apply`] refuses to write unless that thread is in a namespace of its own, so the
//! host's values are never changed.

use super::LiveError;
use std::io;

/// One setting: a sysctl name (dotted) and the value written to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sysctl {
    /// `net.ipv4.tcp_rmem`.
    pub name: String,
    /// `4096 540000 15728640`.
    pub value: String,
}

/// The prefixes a name may have: TCP's settings and the core socket layer's, both
/// per network namespace on current Linux.
pub const ALLOWED_PREFIXES: &[&str] = &["net.ipv4.tcp_", "net.core."];

/// The sysctls of packetdrill's `gtests/net/tcp/common/defaults.sh` (its `sysctl`
/// lines, as of packetdrill's main branch), set before every script of its corpus.
/// Its other commands need no setting here: `ip tcp_metrics flush` (a fresh namespace
/// has no metrics) and `tc qdisc add dev tun0 root pfifo` (a namespace's tun gets
/// `pfifo_fast`, which does not pace either).
pub const PACKETDRILL_DEFAULTS: &[(&str, &str)] = &[
    ("net.ipv4.tcp_rmem", "4096 540000 15728640"),
    ("net.ipv4.tcp_wmem", "4096 262144 4194304"),
    ("net.ipv4.tcp_timestamps", "1"),
    ("net.ipv4.tcp_syn_retries", "5"),
    ("net.ipv4.tcp_synack_retries", "5"),
    ("net.ipv4.tcp_frto", "2"),
    ("net.ipv4.tcp_sack", "1"),
    ("net.ipv4.tcp_dsack", "1"),
    ("net.ipv4.tcp_reordering", "3"),
    ("net.ipv4.tcp_congestion_control", "cubic"),
    ("net.ipv4.tcp_slow_start_after_idle", "0"),
    ("net.ipv4.tcp_early_retrans", "4"),
    ("net.ipv4.tcp_recovery", "1"),
    ("net.ipv4.tcp_tso_win_divisor", "3"),
    ("net.ipv4.tcp_ecn", "0"),
    ("net.ipv4.tcp_ecn_option", "2"),
    ("net.ipv4.tcp_pacing_ss_ratio", "200"),
    ("net.ipv4.tcp_pacing_ca_ratio", "120"),
    ("net.ipv4.tcp_notsent_lowat", "4294967295"),
    ("net.ipv4.tcp_fastopen", "0x70403"),
    (
        "net.ipv4.tcp_fastopen_key",
        "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4",
    ),
    ("net.ipv4.tcp_syncookies", "1"),
];

impl Sysctl {
    /// Reads `NAME=VALUE` (the name dotted or with slashes), checking the name is one
    /// of [`ALLOWED_PREFIXES`] and the value plain text (letters, digits, spaces and
    /// `._,:-`, at most 256 characters).
    pub fn parse(text: &str) -> Result<Sysctl, String> {
        let Some((name, value)) = text.split_once('=') else {
            return Err(format!(
                "--sysctl takes NAME=VALUE (e.g. net.ipv4.tcp_timestamps=0), not `{text}`"
            ));
        };
        let name = name.trim().replace('/', ".");
        let value = value.trim();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
            || name.contains("..")
            || name.ends_with('.')
        {
            return Err(format!(
                "--sysctl: `{name}` is not a sysctl name (lower-case letters, digits, `_`, dots)"
            ));
        }
        if !ALLOWED_PREFIXES
            .iter()
            .any(|p| name.len() > p.len() && name.starts_with(p))
        {
            return Err(format!(
                "--sysctl: `{name}` is not allowed: only {} names, which are per network \
                 namespace, are set (in the script's own namespace)",
                ALLOWED_PREFIXES
                    .iter()
                    .map(|p| format!("{p}*"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        }
        if value.is_empty()
            || value.len() > 256
            || !value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b" \t._,:-".contains(&b))
        {
            return Err(format!(
                "--sysctl: the value of {name} must be 1 to 256 characters of letters, \
                 digits, spaces and `._,:-`, not `{value}`"
            ));
        }
        Ok(Sysctl {
            name,
            value: value.to_string(),
        })
    }

    /// The `/proc/sys` file.
    pub fn path(&self) -> String {
        format!("/proc/sys/{}", self.name.replace('.', "/"))
    }
}

/// packetdrill's defaults ([`PACKETDRILL_DEFAULTS`]) as settings.
pub fn packetdrill_defaults() -> Vec<Sysctl> {
    PACKETDRILL_DEFAULTS
        .iter()
        .map(|(n, v)| Sysctl {
            name: (*n).to_string(),
            value: (*v).to_string(),
        })
        .collect()
}

/// Whether the calling thread is in a network namespace other than the process's main
/// thread's (which stays in the host's).
fn in_own_namespace() -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let mine = std::fs::metadata("/proc/thread-self/ns/net")?.ino();
    let main = std::fs::metadata("/proc/self/ns/net")?.ino();
    Ok(mine != main)
}

/// Writes the settings, in order, in the calling thread's namespace. `required`
/// settings fail the set-up when refused; the others (packetdrill's defaults, which
/// `defaults.sh` sets with `sysctl -q`, going on after a refusal) give a notice. Returns
/// the notices. Writes nothing unless the thread is in a namespace of its own.
pub fn apply(settings: &[(Sysctl, bool)]) -> Result<Vec<String>, LiveError> {
    if settings.is_empty() {
        return Ok(Vec::new());
    }
    let refuse = |source: io::Error| LiveError::Sysctl {
        name: "(any)".to_string(),
        source,
    };
    if !in_own_namespace().map_err(refuse)? {
        return Err(refuse(io::Error::other(
            "not in a private network namespace: nothing is written",
        )));
    }
    let mut notices = Vec::new();
    for (s, required) in settings {
        let written = std::fs::write(s.path(), format!("{}\n", s.value));
        match written {
            Ok(()) => {}
            Err(source) if *required => {
                return Err(LiveError::Sysctl {
                    name: s.name.clone(),
                    source,
                });
            }
            Err(e) => notices.push(format!(
                "{}={} not set ({e}); the namespace keeps {}",
                s.name,
                s.value,
                std::fs::read_to_string(s.path())
                    .map(|v| v.trim().to_string())
                    .unwrap_or_else(|_| "its default".to_string())
            )),
        }
    }
    Ok(notices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tcp_sysctl_is_taken_with_its_path() {
        let s = Sysctl::parse("net.ipv4.tcp_rmem=4096 540000 15728640").unwrap();
        assert_eq!(s.name, "net.ipv4.tcp_rmem");
        assert_eq!(s.value, "4096 540000 15728640");
        assert_eq!(s.path(), "/proc/sys/net/ipv4/tcp_rmem");
        let slashed = Sysctl::parse("net/core/somaxconn=128").unwrap();
        assert_eq!(slashed.name, "net.core.somaxconn");
    }

    #[test]
    fn names_outside_tcp_and_core_are_refused() {
        for bad in [
            "net.ipv4.ip_forward=1",
            "kernel.core_pattern=x",
            "net.ipv6.conf.all.forwarding=1",
            "net.ipv4.tcp_=1",
            "net.core.=1",
        ] {
            let e = Sysctl::parse(bad).unwrap_err();
            assert!(
                e.contains("not allowed") || e.contains("not a sysctl"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn paths_and_shell_text_are_refused() {
        for bad in [
            "net.ipv4.tcp_../../kernel/x=1",
            "net.ipv4.tcp_timestamps=1; reboot",
            "net.ipv4.tcp_timestamps=$(id)",
            "net.ipv4.tcp_timestamps=",
            "net.ipv4.tcp_timestamps",
            "NET.IPV4.TCP_SACK=1",
        ] {
            assert!(Sysctl::parse(bad).is_err(), "{bad} was taken");
        }
    }

    #[test]
    fn packetdrill_defaults_are_all_allowed_names() {
        for (n, v) in PACKETDRILL_DEFAULTS {
            let s = Sysctl::parse(&format!("{n}={v}")).unwrap();
            assert_eq!((s.name.as_str(), s.value.as_str()), (*n, *v));
        }
    }
}
