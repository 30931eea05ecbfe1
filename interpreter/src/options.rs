//! How a run is set up: the options a command line or a script's `--name=value` lines
//! set, and the packetdrill options accepted and ignored.

use model::rtt::Estimator;
use model::{Config, SeqSpace, Table};

/// How the session is set up. Times are in microseconds (1 tick = 1 µs).
#[derive(Clone, Debug)]
pub struct Options {
    /// Profiles over RFC 9293, comma-separated (`rfc9293`, `rfc793,rfc1337`, ...).
    pub profile: String,
    /// The endpoint's ISN clock at time 0; it then ticks every 4 µs (RFC 9293 §3.4.1).
    pub iss: u32,
    /// How far a segment's time may be from the time the script gives it.
    pub tolerance: u64,
    /// The endpoint's parameters.
    pub config: Config,
    /// The window of an inbound segment that gives none.
    pub default_win: u32,
    /// Segments the endpoint sends after the last `>` line fail the run (`--strict`);
    /// packetdrill never reads them, and by default neither does the interpreter.
    pub strict: bool,
    /// Names `#ifdef` finds defined: the platform's ([`platform_defines`]: `linux`, or
    /// `__FreeBSD__` under the `freebsd` profile) and every `--define NAME`.
    pub defines: Vec<String>,
    /// The names given with `--define`, kept whatever the profile.
    pub user_defines: Vec<String>,
    /// `--wscale`: the window scale shift our SYN offers, when it offers one.
    pub wscale: Option<u8>,
    /// `--ip_version=ipv6`: segments travel in IPv6 (a 40-byte header).
    pub ipv6: bool,
    /// `--mtu`: the link's MTU (packetdrill's default, 1500).
    pub mtu: u32,
    /// A live run stops (failing) at a statement later than this, in microseconds:
    /// real time cannot be skipped (`live --max-seconds`, default 20).
    pub live_limit: u64,
    /// Options set by name (command line or script line): a profile's parameters
    /// (`model::Param`) never override them.
    pub explicit: Vec<String>,
    /// `live --packetdrill-defaults`: the kernel's namespace gets the sysctls of
    /// packetdrill's `defaults.sh` before the script runs (live runs only).
    pub packetdrill_defaults: bool,
    /// `live --sysctl NAME=VALUE`: sysctls set in the kernel's namespace after those
    /// defaults (live runs only).
    pub sysctls: Vec<crate::live::sysctl::Sysctl>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            profile: "rfc9293".to_string(),
            iss: 1_000_000,
            tolerance: 4_000,
            config: Config {
                space: SeqSpace::TCP,
                msl: 120_000_000,
                time_wait: None,
                rto: 1_000_000,
                rto_max: 60_000_000,
                backoff: true,
                max_retransmits: 15,
                rcv_buf: 65_535,
                mss: 1_460,
                fin_timeout: 60_000_000,
                // RFC 9293 §3.10.7.4 SHLD-31, and every stack: out-of-order text is held.
                hold_out_of_order: true,
                // RFC 6298: the RTO follows measured round trips (the checker's does not),
                // at least 1 s (2.4), 3 s after a retransmitted SYN (5.7).
                rtt: Some(Estimator::Rfc6298),
                rto_min: 1_000_000,
                clock_granularity: 1_000,
                rto_fallback: 3_000_000,
                // Times here are in microseconds; the rest is the endpoint's default.
                ..Config::default()
            },
            default_win: 65_535,
            strict: false,
            live_limit: 20_000_000,
            defines: crate::script::DEFAULT_DEFINES
                .iter()
                .map(|d| d.to_string())
                .collect(),
            user_defines: Vec::new(),
            ipv6: false,
            mtu: 1_500,
            wscale: None,
            explicit: Vec::new(),
            packetdrill_defaults: false,
            sysctls: Vec::new(),
        }
    }
}

/// The names `#ifdef` finds defined for the platform a profile list stands for: a script
/// written for both systems keeps its FreeBSD branch under `freebsd` (`#ifdef
/// __FreeBSD__`, the macro FreeBSD's compiler defines, and `#ifdef FreeBSD`, the name
/// FreeBSD's own test suite writes its expectations under, kept by the packetdrill it
/// runs on there), and its `#ifdef linux` branch otherwise, as packetdrill built on Linux
/// keeps it ([`crate::script::DEFAULT_DEFINES`]).
pub fn platform_defines(profile: &str) -> &'static [&'static str] {
    if profile.split(',').any(|p| p.trim() == "freebsd") {
        &["__FreeBSD__", "FreeBSD"]
    } else {
        crate::script::DEFAULT_DEFINES
    }
}

/// The smallest send MSS, as Linux clamps a peer's (`TCP_MIN_SND_MSS`).
pub(crate) const MIN_MSS: u32 = 48;

/// The options a script may set with `--name=value` lines, and what they do.
pub const SCRIPT_OPTIONS: &[(&str, &str)] = &[
    ("profile", "profiles over RFC 9293, comma-separated"),
    (
        "tolerance_usecs",
        "timing tolerance in microseconds (packetdrill's name)",
    ),
    ("iss", "the ISN clock at time 0"),
    ("msl_secs", "maximum segment lifetime in seconds"),
    ("rcv_buf", "receive buffer: the window offered when empty"),
    ("mss", "largest text per segment"),
    ("retries", "retransmissions before the user timeout (R2)"),
    (
        "syn_options",
        "options our SYN offers: mss (RFC 9293, the default), linux (mss, sackOK, TS, wscale 7), freebsd (mss, wscale 6, sackOK, TS), none",
    ),
    (
        "wscale",
        "our window scale shift, 0 to 14, when our SYN offers window scaling (linux: 7)",
    ),
    (
        "default_win",
        "window of an inbound segment that gives none",
    ),
    (
        "strict",
        "segments sent after the last `>` line fail the run (a flag)",
    ),
    (
        "ip_version",
        "ipv4, ipv4-mapped-ipv6 or ipv6 (packetdrill's): IPv6's 40-byte header lowers our MSS",
    ),
    (
        "mtu",
        "the link's MTU (packetdrill's, 1500): our MSS is the MTU less the IP and TCP headers",
    ),
];

/// packetdrill options about its own set-up (addresses, devices, wire mode): accepted in a
/// script and ignored, with a notice.
pub const PACKETDRILL_OPTIONS: &[&str] = &[
    "bind_port",
    "connect_port",
    "local_ip",
    "remote_ip",
    "gateway_ip",
    "netmask_ip",
    "speed",
    "init_scripts",
    "tolerance_percent",
    "tcp_ts_tick_usecs",
    "non_fatal",
    "dry_run",
    "verbose",
    "debug",
    "wire_client",
    "wire_server",
    "wire_server_ip",
    "wire_server_port",
    "wire_client_dev",
    "wire_server_dev",
    "strict_segments",
    "tcp_ts_ecr_scaled",
    "code_command",
    "code_format",
    "code_sockopt",
    "so_filename",
    "so_flags",
    "send_omit_free",
];

/// Options of packetdrill (Google's or nplab's, which FreeBSD's suite uses) for features
/// the model does not have: accepted in a script and ignored, with a notice saying what
/// is not modelled.
pub const UNMODELLED_OPTIONS: &[(&str, &str)] = &[
    (
        "udp_encapsulation",
        "segments carried in UDP (nplab packetdrill; FreeBSD's TCP over UDP, RFC 6951) are not modelled: they are taken as plain TCP",
    ),
    (
        "tcp_md5_secret",
        "TCP MD5 signatures (RFC 2385, TCP_MD5SIG) are not modelled: none is made or checked",
    ),
];

/// Why an option cannot be set (its message is what the user reads).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// Not an option the interpreter knows.
    #[error("unknown option --{name}; known: --{known}")]
    Unknown {
        /// The name given.
        name: String,
        /// The names known, as `a, --b, --c`.
        known: String,
    },
    /// A profile the table does not know.
    #[error("{0}")]
    Profile(String),
    /// A value the option does not take.
    #[error("{0}")]
    Value(String),
}

impl Options {
    /// Sets one option by name, as a `--name=value` script line does. Returns a notice
    /// when the option is packetdrill's own and ignored here.
    pub fn set(&mut self, name: &str, value: &str) -> Result<Option<String>, OptionError> {
        if name == "define" {
            // `--define=NAME`: `#ifdef` blocks were already chosen with it.
            let name = value.split('=').next().unwrap_or(value);
            if name.is_empty() {
                return Err(OptionError::Value(
                    "--define needs a name: --define=NAME".to_string(),
                ));
            }
            self.user_defines.push(name.to_string());
            self.defines.push(name.to_string());
            return Ok(None);
        }
        if let Some((_, why)) = UNMODELLED_OPTIONS.iter().find(|(n, _)| *n == name) {
            return Ok(Some(format!("--{name}: {why}; ignored")));
        }
        if PACKETDRILL_OPTIONS.contains(&name) {
            return Ok(Some(format!(
                "--{name} is packetdrill's own set-up: ignored"
            )));
        }
        self.set_modelled(name, value).map(|()| None)
    }

    /// The sysctls a live run sets in its namespace, in order, each with whether a
    /// refusal fails the set-up: Linux's default `net.ipv4.tcp_rmem`
    /// ([`model::profile::LINUX_TCP_RMEM`], which the `linux` profile's window and scale
    /// come from), packetdrill's defaults (`--packetdrill-defaults`; a
    /// refusal gives a notice, as `defaults.sh` goes on after one), then `--sysctl`'s.
    pub fn live_sysctls(&self) -> Vec<(crate::live::sysctl::Sysctl, bool)> {
        let defaults = if self.packetdrill_defaults {
            crate::live::sysctl::packetdrill_defaults()
        } else {
            Vec::new()
        };
        // Pinned first, so the host's own tcp_rmem (per namespace, inherited from the
        // host's) never changes the kernel's initial window and scale.
        let pinned = crate::live::sysctl::Sysctl {
            name: "net.ipv4.tcp_rmem".to_string(),
            value: model::profile::LINUX_TCP_RMEM
                .map(|v| v.to_string())
                .join(" "),
        };
        std::iter::once(pinned)
            .chain(defaults)
            .map(|s| (s, false))
            .chain(self.sysctls.iter().cloned().map(|s| (s, true)))
            .collect()
    }

    /// Whether the socket layer answers calls as Linux's does (the `linux` profile is in
    /// the list): a non-blocking write before the connection is up fails with `EAGAIN`
    /// and one on a listener with `EPIPE` (`tcp_sendmsg_locked()`,
    /// `sk_stream_wait_connect()`), and `shutdown` follows `inet_shutdown()`. Otherwise
    /// the calls are RFC 9293's user calls (a SEND is queued, or opens a listener actively).
    pub fn linux_sockets(&self) -> bool {
        self.profile.split(',').any(|p| p.trim() == "linux")
    }

    /// Whether the socket layer reports errors as FreeBSD's does (the `freebsd` profile is
    /// in the list): a RST in CLOSE-WAIT is `ECONNRESET` (`tcp_input()`), not Linux's
    /// `EPIPE`.
    pub fn freebsd_sockets(&self) -> bool {
        self.profile.split(',').any(|p| p.trim() == "freebsd")
    }

    /// `--wscale` sets the shift of a SYN that offers window scaling, whichever
    /// `--syn_options` comes first.
    /// The link's MSS sets the MSS our SYN offers and the largest text we send, unless
    /// `--mss` chose the latter (RFC 9293 §3.7.1: the MTU less the IP and TCP headers;
    /// 1460 for IPv4 and 1440 for IPv6 over 1500 bytes).
    fn apply_wscale(&mut self) {
        if let (Some(shift), Some(w)) = (self.wscale, self.config.syn_options.wscale.as_mut()) {
            *w = shift;
        }
        let ip_header = if self.ipv6 { 40 } else { 20 };
        let link_mss = self
            .mtu
            .saturating_sub(ip_header + 20)
            .clamp(MIN_MSS, 65_535);
        if let Some(m) = self.config.syn_options.mss.as_mut() {
            *m = link_mss as u16;
        }
        if !self.explicit.iter().any(|e| e == "mss") {
            self.config.mss = link_mss;
        }
    }

    fn set_modelled(&mut self, name: &str, value: &str) -> Result<(), OptionError> {
        fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, OptionError> {
            v.parse().map_err(|_| {
                OptionError::Value(format!("--{name} needs a number in range, not `{v}`"))
            })
        }
        match name {
            "profile" => {
                Table::from_spec(value).map_err(OptionError::Profile)?;
                self.profile = value.to_string();
                self.apply_profile_params()?;
                self.defines = platform_defines(&self.profile)
                    .iter()
                    .map(|d| d.to_string())
                    .chain(self.user_defines.iter().cloned())
                    .collect();
                return Ok(());
            }
            "tolerance_usecs" => self.tolerance = num(name, value)?,
            "iss" => self.iss = num(name, value)?,
            "msl_secs" => {
                // TIME-WAIT is then 2 MSL, whatever length a profile gave it.
                self.config.time_wait = None;
                let secs: u32 = num(name, value)?;
                if secs == 0 {
                    return Err(OptionError::Value(format!(
                        "--{name} must be at least 1 second: TIME-WAIT lasts 2 MSL"
                    )));
                }
                self.config.msl = secs
                    .checked_mul(1_000_000)
                    .filter(|m| m.checked_mul(2).is_some())
                    .ok_or_else(|| {
                        OptionError::Value("the MSL must be below 2148 seconds".to_string())
                    })?;
            }
            "rcv_buf" => {
                let n: u32 = num(name, value)?;
                // RFC 7323 §2.3: a window is at most 2^30 bytes.
                if n > 1 << 30 {
                    return Err(OptionError::Value(format!(
                        "--rcv_buf is at most 1073741824 bytes (RFC 7323 §2.3), not `{value}`"
                    )));
                }
                self.config.rcv_buf = n;
            }
            "mss" => self.config.mss = num::<u16>(name, value)?.max(MIN_MSS as u16).into(),
            "retries" => self.config.max_retransmits = num(name, value)?,
            "syn_options" => {
                self.config.syn_options = match value {
                    "mss" => model::SynOptions::MSS_ONLY,
                    "linux" => model::SynOptions::LINUX,
                    "freebsd" => model::SynOptions::FREEBSD,
                    "none" => model::SynOptions::NONE,
                    _ => {
                        return Err(OptionError::Value(format!(
                            "--syn_options takes mss, linux, freebsd or none, not `{value}`"
                        )));
                    }
                };
                self.apply_wscale();
            }
            "wscale" => {
                let shift: u8 = num(name, value)?;
                if shift > 14 {
                    return Err(OptionError::Value(format!(
                        "--wscale is at most 14 (RFC 7323 §2.3), not `{value}`"
                    )));
                }
                self.wscale = Some(shift);
                self.apply_wscale();
            }
            "default_win" => self.default_win = num::<u16>(name, value)?.into(),
            "ip_version" => {
                self.ipv6 = match value {
                    "ipv4" | "ipv4-mapped-ipv6" => false,
                    "ipv6" => true,
                    _ => {
                        return Err(OptionError::Value(format!(
                            "--ip_version takes ipv4, ipv4-mapped-ipv6 or ipv6, not `{value}`"
                        )));
                    }
                };
                self.apply_wscale();
            }
            "mtu" => {
                let mtu: u32 = num(name, value)?;
                // IPv4's minimum MTU (RFC 791: 68 bytes) up to 64 KiB.
                if !(68..=65_535).contains(&mtu) {
                    return Err(OptionError::Value(format!(
                        "--mtu is 68 to 65535 bytes, not `{value}`"
                    )));
                }
                self.mtu = mtu;
                self.apply_wscale();
            }
            "strict" => {
                self.strict = match value {
                    "" | "true" | "1" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(OptionError::Value(format!(
                            "--strict takes no value, not `{value}`"
                        )));
                    }
                }
            }
            _ => {
                let known: Vec<&str> = SCRIPT_OPTIONS.iter().map(|(n, _)| *n).collect();
                return Err(OptionError::Unknown {
                    name: name.to_string(),
                    known: known.join(", --"),
                });
            }
        }
        self.explicit.push(name.to_string());
        Ok(())
    }

    /// The profile's endpoint parameters (SYN options, RTO, TIME-WAIT, retries, ...) over
    /// the defaults, except where an option was set by name (`--msl_secs` keeps the MSL
    /// and a TIME-WAIT of 2 MSL, `--retries` R2, `--syn_options` the options, `--rcv_buf`
    /// the receive buffer).
    fn apply_profile_params(&mut self) -> Result<(), OptionError> {
        let profiles = model::Profile::parse_list(&self.profile).map_err(OptionError::Profile)?;
        // 1 tick = 1 µs here; parameters are in milliseconds.
        let want = model::profile::configure(Options::default().config, &profiles, 1_000);
        let kept = |name: &str| self.explicit.iter().any(|e| e == name);
        let (keep_syn, keep_msl, keep_retries, keep_rcv_buf) = (
            kept("syn_options"),
            kept("msl_secs"),
            kept("retries"),
            kept("rcv_buf"),
        );
        let c = &mut self.config;
        if !keep_syn {
            c.syn_options = want.syn_options;
        }
        if !keep_msl {
            c.msl = want.msl;
            c.time_wait = want.time_wait;
        }
        if !keep_retries {
            c.max_retransmits = want.max_retransmits;
        }
        if !keep_rcv_buf {
            c.rcv_buf = want.rcv_buf;
        }
        c.rcv_buf_mss_multiple = want.rcv_buf_mss_multiple;
        c.scaled_window_rounds_up = want.scaled_window_rounds_up;
        c.rto = want.rto;
        c.rto_max = want.rto_max;
        c.rtt = want.rtt;
        c.rto_min = want.rto_min;
        c.clock_granularity = want.clock_granularity;
        c.syn_fallback = want.syn_fallback;
        c.rto_fallback = want.rto_fallback;
        c.syn_linear_timeouts = want.syn_linear_timeouts;
        c.rto_slop = want.rto_slop;
        c.tail_loss_probe = want.tail_loss_probe;
        c.syn_retransmit_after_bad_ack = want.syn_retransmit_after_bad_ack;
        c.oow_ack_rate_limit = want.oow_ack_rate_limit;
        c.ignore_beyond_after_fin = want.ignore_beyond_after_fin;
        c.fin_held_after_handshake_loss = want.fin_held_after_handshake_loss;
        c.syn_received_ack_first = want.syn_received_ack_first;
        c.syn_received_window_untrimmed = want.syn_received_window_untrimmed;
        c.syn_text_dropped = want.syn_text_dropped;
        c.initial_rcv_space = want.initial_rcv_space;
        c.fin_on_last_segment = want.fin_on_last_segment;
        c.right_edge_acceptable = want.right_edge_acceptable;
        c.nagle = want.nagle;
        c.loss_window = want.loss_window;
        c.simultaneous_open_full_socket = want.simultaneous_open_full_socket;
        c.simultaneous_open_resends_syn = want.simultaneous_open_resends_syn;
        c.old_ack_within_bytes_acked = want.old_ack_within_bytes_acked;
        c.fin_takes_window = want.fin_takes_window;
        c.acceptable_to_rcv_wup = want.acceptable_to_rcv_wup;
        c.rst_before_fin_resets = want.rst_before_fin_resets;
        c.read_after_reset_eof = want.read_after_reset_eof;
        c.syn_retries = want.syn_retries;
        c.synack_retries = want.synack_retries;
        c.fin_timeout = want.fin_timeout;
        c.fin_retransmit_ack = want.fin_retransmit_ack;
        c.abort_on_unread_close = want.abort_on_unread_close;
        c.abort_on_data_reply = want.abort_on_data_reply;
        c.request_outlives_listener = want.request_outlives_listener;
        c.reset_child_accepted = want.reset_child_accepted;
        c.user_timeout_from_retransmit = want.user_timeout_from_retransmit;
        c.delayed_ack = want.delayed_ack;
        c.max_quickacks = want.max_quickacks;
        c.ack_policy = want.ack_policy;
        c.accept_without_ts = want.accept_without_ts;
        c.ts_recent_after_ack = want.ts_recent_after_ack;
        c.push_at_window_edge = want.push_at_window_edge;
        c.push_every_segment = want.push_every_segment;
        c.ack_carries_fin = want.ack_carries_fin;
        c.time_wait_acks_all = want.time_wait_acks_all;
        c.syn_challenge_first = want.syn_challenge_first;
        // A set-up line's `net.inet.tcp.drop_synfin` outlives a later profile change.
        if !kept("drop_synfin") {
            c.drop_synfin = want.drop_synfin;
        }
        c.dsack = want.dsack;
        self.apply_wscale();
        Ok(())
    }
}
