//! `sysctl` set-up lines read as configuration, never executed.
//!
//! packetdrill scripts configure the stack under test with backtick commands before their
//! first system call (`` 0 `sysctl -w net.inet.tcp.insecure_rst=1` ``). Scripts are data:
//! the interpreter runs nothing in them. A command whose whole text is `sysctl [-w] [-q]
//! NAME=VALUE ...` (or several such joined by `;`) is parsed here, and each NAME found in
//! [`SYSCTLS`] becomes the option or profile change it stands for. Anything else in a
//! command leaves the whole command skipped, as before.

use crate::options::Options;

/// One `NAME=VALUE` of a `sysctl` command, with the byte offsets of its name and value in
/// the command's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// `net.inet.tcp.insecure_rst`.
    pub name: String,
    /// `1`.
    pub value: String,
    /// Where the name starts in the command.
    pub offset: usize,
}

/// What a backtick command is, as the set-up reader sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Only `sysctl` assignments: their names and values, in order.
    Sysctl(Vec<Assignment>),
    /// A `sysctl` command that is not a well-formed assignment: why, and the byte offset
    /// in the command's text.
    Malformed {
        /// Where, in the command's text.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// Anything else (another program, a `sysctl` read, shell syntax): skipped whole.
    Other,
}

/// Characters that make a command more than `sysctl` assignments (pipes, redirections,
/// substitutions, quotes, conditionals): such a command is skipped whole.
const SHELL: &[char] = &[
    '|', '&', '>', '<', '$', '`', '(', ')', '{', '}', '"', '\'', '\\', '*', '?', '!', '#', '\n',
];

/// Parses a backtick command's text (without the backticks).
pub fn parse_command(text: &str) -> Command {
    if text.contains(SHELL) {
        return Command::Other;
    }
    let mut out = Vec::new();
    let mut at = 0;
    for part in text.split(';') {
        let base = at;
        at += part.len() + 1;
        // Words and their offsets in `text`.
        let mut words = Vec::new();
        let mut start = None;
        for (i, c) in part.char_indices().chain([(part.len(), ' ')]) {
            match (c.is_whitespace(), start) {
                (false, None) => start = Some(i),
                (true, Some(s)) => {
                    words.push((base + s, &part[s..i]));
                    start = None;
                }
                _ => {}
            }
        }
        let Some(((_, first), rest)) = words.split_first() else {
            // An empty command between `;`s (or a trailing `;`).
            continue;
        };
        if *first != "sysctl" {
            return Command::Other;
        }
        let mut assigned = false;
        for &(offset, w) in rest {
            if let Some(flags) = w.strip_prefix('-') {
                if assigned || flags.is_empty() || !flags.chars().all(|f| f == 'w' || f == 'q') {
                    // Another flag (`-n`, `-a`) or a flag after a name: not set-up.
                    return Command::Other;
                }
                continue;
            }
            let Some((name, value)) = w.split_once('=') else {
                // `sysctl NAME` reads a value: not set-up.
                return Command::Other;
            };
            let bad = |s: &str| {
                s.is_empty()
                    || !s
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
            };
            if bad(name) {
                return Command::Malformed {
                    offset,
                    message: format!("`{w}`: a sysctl name is words joined by dots"),
                };
            }
            if bad(value) {
                return Command::Malformed {
                    offset: offset + name.len() + 1,
                    message: format!("`{w}`: the value is missing or not a plain word"),
                };
            }
            assigned = true;
            out.push(Assignment {
                name: name.to_string(),
                value: value.to_string(),
                offset,
            });
        }
        if !assigned {
            return Command::Malformed {
                offset: base + part.len() - part.trim_start().len(),
                message: "`sysctl` with no NAME=VALUE".to_string(),
            };
        }
    }
    if out.is_empty() {
        Command::Other
    } else {
        Command::Sysctl(out)
    }
}

/// What a recognised setting does to the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Layer this profile. With `under` set and that profile in the list, it goes just
    /// before it (the stack's own rows, e.g. FreeBSD's TIME-WAIT in `tcp_twcheck()`, are
    /// code the sysctl does not reach); otherwise last.
    Profile {
        /// The profile.
        name: &'static str,
        /// The stack profile it goes under, when present.
        under: Option<&'static str>,
    },
    /// The value the model has already: nothing changes.
    Default,
    /// Our SYN offers timestamps (RFC 7323 TSopt) or not.
    Timestamps(bool),
    /// Our SYN offers SACK-permitted (RFC 2018) or not.
    Sack(bool),
    /// Our SYN offers window scaling (RFC 7323 WSopt) or not.
    WindowScaling(bool),
    /// Both timestamps and window scaling (FreeBSD `net.inet.tcp.rfc1323`).
    Rfc1323(bool),
    /// A model parameter.
    Param(model::Param),
}

/// A sysctl the set-up reader knows.
#[derive(Clone, Copy, Debug)]
pub struct Known {
    /// The sysctl's name.
    pub name: &'static str,
    /// The system it belongs to (`freebsd`, `linux`).
    pub system: &'static str,
    /// Where its meaning comes from.
    pub source: &'static str,
    /// Its effect for a value, or why the value is not taken.
    pub effect: fn(&str) -> Result<Effect, String>,
}

fn flag(v: &str) -> Result<bool, String> {
    match v {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(format!("takes 0 or 1, not `{v}`")),
    }
}

fn count(v: &str) -> Result<u8, String> {
    v.parse()
        .map_err(|_| format!("takes a count from 0 to 255, not `{v}`"))
}

/// The sysctls read as set-up: name, system, source, value -> effect. One place; the
/// README lists it.
pub const SYSCTLS: &[Known] = &[
    Known {
        name: "net.inet.tcp.insecure_rst",
        system: "freebsd",
        source: "FreeBSD tcp_input.c: V_tcp_insecure_rst (1: an in-window RST resets, RFC 793; 0, the default: RFC 5961 challenge ACK)",
        effect: |v| {
            Ok(if flag(v)? {
                Effect::Profile {
                    name: "rfc793-rst",
                    under: Some("freebsd"),
                }
            } else {
                Effect::Default
            })
        },
    },
    Known {
        name: "net.inet.tcp.insecure_syn",
        system: "freebsd",
        source: "FreeBSD tcp_input.c: V_tcp_insecure_syn (1: an in-window SYN drops the connection, tcp_drop()'s RST,ACK from the TCB; 0, the default: RFC 5961 challenge ACK)",
        effect: |v| {
            Ok(if flag(v)? {
                Effect::Profile {
                    name: "freebsd-insecure-syn",
                    under: Some("freebsd"),
                }
            } else {
                Effect::Default
            })
        },
    },
    Known {
        name: "net.inet.tcp.drop_synfin",
        system: "freebsd",
        source: "FreeBSD tcp_input.c: V_drop_synfin (1: a segment with SYN and FIN is dropped before the connection lookup; 0, the default: processed)",
        effect: |v| flag(v).map(|b| Effect::Param(model::Param::DropSynfin(b))),
    },
    Known {
        name: "net.inet.tcp.rfc1323",
        system: "freebsd",
        source: "FreeBSD tcp_subr.c: V_tcp_do_rfc1323 (1, the default: SYN offers window scale and timestamps)",
        effect: |v| flag(v).map(Effect::Rfc1323),
    },
    Known {
        name: "net.inet.tcp.sack.enable",
        system: "freebsd",
        source: "FreeBSD tcp_sack.c: V_tcp_do_sack (1, the default: SYN offers SACK-permitted)",
        effect: |v| flag(v).map(Effect::Sack),
    },
    Known {
        name: "net.ipv4.tcp_rfc1337",
        system: "linux",
        source: "Linux tcp_timewait_state_process(): net.ipv4.tcp_rfc1337 (1: TIME-WAIT ignores RST; 0, the default: an exact RST kills it)",
        effect: |v| {
            Ok(if flag(v)? {
                Effect::Profile {
                    name: "rfc1337",
                    under: None,
                }
            } else {
                Effect::Default
            })
        },
    },
    Known {
        name: "net.ipv4.tcp_timestamps",
        system: "linux",
        source: "Linux tcp_syn_options(): net.ipv4.tcp_timestamps (1, the default: SYN offers TSopt)",
        effect: |v| match v {
            // 2 is "timestamps without random offsets": still offered.
            "2" => Ok(Effect::Timestamps(true)),
            _ => flag(v).map(Effect::Timestamps),
        },
    },
    Known {
        name: "net.ipv4.tcp_sack",
        system: "linux",
        source: "Linux tcp_syn_options(): net.ipv4.tcp_sack (1, the default: SYN offers SACK-permitted)",
        effect: |v| flag(v).map(Effect::Sack),
    },
    Known {
        name: "net.ipv4.tcp_window_scaling",
        system: "linux",
        source: "Linux tcp_syn_options(): net.ipv4.tcp_window_scaling (1, the default: SYN offers WSopt)",
        effect: |v| flag(v).map(Effect::WindowScaling),
    },
    Known {
        name: "net.ipv4.tcp_dsack",
        system: "linux",
        source: "Linux tcp_dsack_set(): net.ipv4.tcp_dsack (1, the default: duplicates reported in D-SACK blocks)",
        effect: |v| flag(v).map(|b| Effect::Param(model::Param::Dsack(b))),
    },
    Known {
        name: "net.ipv4.tcp_syn_retries",
        system: "linux",
        source: "Linux tcp_write_timeout(): net.ipv4.tcp_syn_retries (SYN retransmissions in SYN-SENT)",
        effect: |v| count(v).map(|n| Effect::Param(model::Param::SynRetries(n))),
    },
    Known {
        name: "net.ipv4.tcp_synack_retries",
        system: "linux",
        source: "Linux reqsk_timer_handler(): net.ipv4.tcp_synack_retries (SYN,ACK retransmissions)",
        effect: |v| count(v).map(|n| Effect::Param(model::Param::SynackRetries(n))),
    },
    Known {
        name: "net.ipv4.tcp_fin_timeout",
        system: "linux",
        source: "Linux tcp_fin_time(): net.ipv4.tcp_fin_timeout, seconds (the FIN-WAIT-2 timeout)",
        effect: |v| {
            let secs: u32 = v
                .parse()
                .ok()
                .filter(|s| *s <= 4_000)
                .ok_or_else(|| format!("takes seconds from 0 to 4000, not `{v}`"))?;
            Ok(Effect::Param(model::Param::FinTimeout(secs * 1_000)))
        },
    },
];

/// The known sysctl named `name`.
pub fn known(name: &str) -> Option<&'static Known> {
    SYSCTLS.iter().find(|k| k.name == name)
}

/// Applies one effect to `opts`; returns what it did, for the notice.
pub fn apply(effect: Effect, opts: &mut Options) -> Result<String, String> {
    let cfg = &mut opts.config;
    match effect {
        Effect::Profile { name, under } => {
            let mut list: Vec<String> = opts
                .profile
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| p != "rfc9293")
                .collect();
            if list.iter().any(|p| p == name) {
                return Ok(format!("profile {name} already in force"));
            }
            let at = under
                .and_then(|u| list.iter().position(|p| p == u))
                .unwrap_or(list.len());
            list.insert(at, name.to_string());
            // Settings made by name (script lines, command line, earlier set-up) survive
            // the re-layering.
            let before = opts.config;
            opts.set("profile", &list.join(","))
                .map_err(|e| e.to_string())?;
            for name in model::profile::Param::NAMES {
                if opts.explicit.iter().any(|e| e == name) {
                    restore(name, &before, &mut opts.config);
                }
            }
            return Ok(format!("profile {name} added ({})", opts.profile));
        }
        Effect::Default => return Ok("the model's default: nothing changed".to_string()),
        Effect::Timestamps(on) => cfg.syn_options.timestamps = on,
        Effect::Sack(on) => cfg.syn_options.sack_permitted = on,
        Effect::WindowScaling(on) | Effect::Rfc1323(on) => {
            if matches!(effect, Effect::Rfc1323(_)) {
                cfg.syn_options.timestamps = on;
            }
            if !on {
                cfg.syn_options.wscale = None;
            } else if cfg.syn_options.wscale.is_none() {
                // The shift `--wscale` gave, or the system's (Linux 7, FreeBSD 6).
                let freebsd = opts.profile.split(',').any(|p| p.trim() == "freebsd");
                cfg.syn_options.wscale = Some(opts.wscale.unwrap_or(if freebsd { 6 } else { 7 }));
            }
        }
        Effect::Param(p) => {
            // Options count in microseconds (1 tick = 1 µs); parameters in milliseconds.
            p.apply(cfg, 1_000);
            if !opts.explicit.iter().any(|e| e == p.name()) {
                opts.explicit.push(p.name().to_string());
            }
            return Ok(format!(
                "{} set to {}",
                p.name(),
                model::profile::Param::describe(p.name(), &opts.config, 1_000)
            ));
        }
    }
    // A later `--profile` keeps these SYN options.
    if !opts.explicit.iter().any(|e| e == "syn_options") {
        opts.explicit.push("syn_options".to_string());
    }
    Ok(format!(
        "our SYN offers {}",
        model::profile::Param::describe("syn_options", &opts.config, 1_000)
    ))
}

/// Copies the parameters set-up may set (by [`model::Param`] name) from `from`.
fn restore(name: &str, from: &model::Config, to: &mut model::Config) {
    match name {
        "syn_retries" => to.syn_retries = from.syn_retries,
        "synack_retries" => to.synack_retries = from.synack_retries,
        "fin_timeout" => to.fin_timeout = from.fin_timeout,
        "dsack" => to.dsack = from.dsack,
        _ => {}
    }
}

/// Reads the set-up of a backtick command `command` (its text without backticks) into
/// `opts`. Returns the notice for the statement, or `None` when the command is not
/// `sysctl` set-up (the usual skip notice stands). `place` gives the line and column of
/// an offset in the command, for a malformed one.
pub fn read(
    command: &str,
    opts: &mut Options,
    place: impl Fn(usize) -> (usize, usize),
) -> Option<String> {
    match parse_command(command) {
        Command::Other => None,
        Command::Malformed { offset, message } => {
            let (line, column) = place(offset);
            Some(format!(
                "shell command skipped, not read as set-up: {line}:{column}: {message}; nothing executed"
            ))
        }
        Command::Sysctl(assignments) => {
            let mut read = Vec::new();
            let mut skipped = Vec::new();
            for a in &assignments {
                let Some(k) = known(&a.name) else {
                    skipped.push(format!("{} (not modelled)", a.name));
                    continue;
                };
                match (k.effect)(&a.value).and_then(|e| apply(e, opts)) {
                    Ok(what) => read.push(format!(
                        "sysctl {}={} read as set-up: {what}",
                        a.name, a.value
                    )),
                    Err(why) => skipped.push(format!("{}={} ({} {why})", a.name, a.value, a.name)),
                }
            }
            if read.is_empty() {
                return None;
            }
            let mut n = read.join("; ");
            if !skipped.is_empty() {
                n.push_str(&format!("; skipped: {}", skipped.join(", ")));
            }
            n.push_str("; nothing executed");
            Some(n)
        }
    }
}

/// Reads the `sysctl` set-up of a script: its backtick commands before the first
/// statement that is not a skipped block (the first system call, segment or assertion).
/// Commands after that (a script's clean-up) stay skipped. Returns each set-up command's
/// notice, by the statement's byte offset.
pub fn read_script(
    source: &str,
    statements: &[crate::script::Statement],
    opts: &mut Options,
) -> Vec<(usize, String)> {
    let src = crate::transcript::Source::new(source);
    let mut out = Vec::new();
    for (at, start, command) in setup_commands(source, statements) {
        let place = |offset: usize| {
            let p = src.place(start + offset);
            (p.line, p.column)
        };
        if let Some(n) = read(command, opts, place) {
            out.push((at, n));
        }
    }
    out
}

/// The backtick commands before the first statement that is not a skipped block: each
/// with its statement's offset, the command's offset, and its text (no backticks).
fn setup_commands<'a>(
    source: &'a str,
    statements: &[crate::script::Statement],
) -> Vec<(usize, usize, &'a str)> {
    use crate::script::{Action, Skipped};
    let mut out = Vec::new();
    for st in statements {
        let Action::Skip(kind) = st.action else {
            break;
        };
        if kind != Skipped::Shell {
            continue;
        }
        let text = &source[st.span.clone()];
        if let (Some(open), Some(close)) = (text.find('`'), text.rfind('`'))
            && open < close
        {
            out.push((
                st.span.start,
                st.span.start + open + 1,
                &text[open + 1..close],
            ));
        }
    }
    out
}

/// A live run's set-up: the recognised Linux sysctls (`net.ipv4.tcp_*` in [`SYSCTLS`])
/// of the script's set-up join `opts.sysctls`, which the live runner writes in the run's
/// private network namespace with `live --sysctl`'s typed writer (nothing is executed;
/// the host is untouched). Returns each such command's notice by the statement's offset.
pub fn read_script_live(
    source: &str,
    statements: &[crate::script::Statement],
    opts: &mut Options,
) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (at, _, command) in setup_commands(source, statements) {
        let Command::Sysctl(assignments) = parse_command(command) else {
            continue;
        };
        let mut written = Vec::new();
        for a in &assignments {
            let linux = known(&a.name).filter(|k| k.system == "linux");
            let Some(k) = linux else { continue };
            if (k.effect)(&a.value).is_err() {
                continue;
            }
            if let Ok(s) = crate::live::sysctl::Sysctl::parse(&format!("{}={}", a.name, a.value)) {
                written.push(format!("{}={}", s.name, s.value));
                opts.sysctls.push(s);
            }
        }
        if !written.is_empty() {
            out.push((
                at,
                format!(
                    "sysctl {} read as set-up: written in the run's own network namespace (as `live --sysctl`); nothing executed",
                    written.join(" ")
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(c: &Command) -> Vec<(String, String)> {
        match c {
            Command::Sysctl(a) => a
                .iter()
                .map(|a| (a.name.clone(), a.value.clone()))
                .collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn sysctl_assignments_are_recognised_with_w_and_q() {
        for text in [
            "sysctl -w net.inet.tcp.insecure_rst=1",
            "sysctl -q net.inet.tcp.insecure_rst=1",
            "sysctl net.inet.tcp.insecure_rst=1",
            "sysctl -qw net.inet.tcp.insecure_rst=1",
            "  sysctl   -w  net.inet.tcp.insecure_rst=1  ",
        ] {
            assert_eq!(
                names(&parse_command(text)),
                vec![("net.inet.tcp.insecure_rst".into(), "1".into())],
                "{text}"
            );
        }
    }

    #[test]
    fn several_assignments_and_joined_commands_are_recognised() {
        let c = parse_command("sysctl -q a.b=1 c.d=0; sysctl -w e.f=2;");
        assert_eq!(
            names(&c),
            vec![
                ("a.b".into(), "1".into()),
                ("c.d".into(), "0".into()),
                ("e.f".into(), "2".into())
            ]
        );
    }

    #[test]
    fn anything_but_sysctl_assignments_is_not_set_up() {
        for text in [
            "sysctl -w x=1; touch /tmp/should-not-exist",
            "sysctl -w x=1 && rm -rf /",
            "sysctl -w x=$(id)",
            "sysctl net.inet.tcp.insecure_rst",
            "sysctl -n net.inet.tcp.insecure_rst",
            "sockstat -4 -P tcp -s | grep -c TIME_WAIT",
            "echo sysctl -w x=1",
            "tcpdrop -s TIME_WAIT",
            "",
            ";",
        ] {
            assert_eq!(parse_command(text), Command::Other, "{text}");
        }
    }

    #[test]
    fn a_malformed_sysctl_gives_where() {
        assert_eq!(
            parse_command("sysctl -w net.inet.tcp.x="),
            Command::Malformed {
                offset: 25,
                message: "`net.inet.tcp.x=`: the value is missing or not a plain word".into()
            }
        );
        assert!(matches!(
            parse_command("sysctl -w =1"),
            Command::Malformed { offset: 10, .. }
        ));
        assert!(matches!(
            parse_command("sysctl -w"),
            Command::Malformed { offset: 0, .. }
        ));
    }

    #[test]
    fn insecure_rst_goes_under_freebsd_and_rfc1337_last() {
        let mut o = Options::default();
        o.set("profile", "freebsd").unwrap();
        let n = read("sysctl -w net.inet.tcp.insecure_rst=1", &mut o, |_| (1, 1)).unwrap();
        assert_eq!(o.profile, "rfc793-rst,freebsd");
        assert!(n.contains("profile rfc793-rst added"), "{n}");
        let mut o = Options::default();
        o.set("profile", "linux").unwrap();
        read("sysctl -q net.ipv4.tcp_rfc1337=1", &mut o, |_| (1, 1)).unwrap();
        assert_eq!(o.profile, "linux,rfc1337");
    }

    #[test]
    fn unknown_names_and_bad_values_keep_the_skip_notice() {
        let mut o = Options::default();
        assert_eq!(
            read("sysctl -w kern.ipc.maxsockbuf=1", &mut o, |_| (1, 1)),
            None
        );
        assert_eq!(
            read("sysctl -w net.ipv4.tcp_sack=7", &mut o, |_| (1, 1)),
            None
        );
        assert_eq!(o.profile, "rfc9293");
    }

    #[test]
    fn a_live_run_takes_only_the_linux_sysctls_for_its_namespace() {
        let script = "0 `sysctl -q net.ipv4.tcp_timestamps=0 net.inet.tcp.insecure_rst=1`\n\
                      +0 `sysctl -q net.ipv4.tcp_sack=0; touch /tmp/x`\n\
                      +0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
                      +0 `sysctl -q net.ipv4.tcp_sack=0`\n";
        let parsed = crate::script::parse(script, true).unwrap();
        let mut o = Options::default();
        let notes = read_script_live(script, &parsed.statements, &mut o);
        assert_eq!(
            o.sysctls,
            vec![crate::live::sysctl::Sysctl::parse("net.ipv4.tcp_timestamps=0").unwrap()]
        );
        assert_eq!(notes.len(), 1);
        assert_eq!(o.profile, "rfc9293");
    }

    #[test]
    fn linux_syn_option_sysctls_change_what_our_syn_offers() {
        let mut o = Options::default();
        o.set("profile", "linux").unwrap();
        read(
            "sysctl -q net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=0 net.ipv4.tcp_window_scaling=0",
            &mut o,
            |_| (1, 1),
        )
        .unwrap();
        let s = o.config.syn_options;
        assert!(!s.timestamps && !s.sack_permitted && s.wscale.is_none());
        read("sysctl -q net.ipv4.tcp_fin_timeout=5", &mut o, |_| (1, 1)).unwrap();
        assert_eq!(o.config.fin_timeout, 5_000_000);
        // A profile added later keeps what earlier set-up set.
        read("sysctl -q net.ipv4.tcp_rfc1337=1", &mut o, |_| (1, 1)).unwrap();
        assert_eq!(o.profile, "linux,rfc1337");
        assert_eq!(o.config.fin_timeout, 5_000_000);
        assert!(!o.config.syn_options.timestamps);
    }
}
