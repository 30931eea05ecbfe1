//! `model`: print the transition table (and, later, model-check it).

use clap::{Parser, Subcommand, ValueEnum};
use model::{Table, render};
use std::process::ExitCode;

/// TCP connection management (RFC 9293), made precise and checkable.
#[derive(Parser)]
#[command(name = "model", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the transition table: every (state, event) row with its actions, next state
    /// and RFC reference.
    Table {
        /// Profile(s) to layer over RFC 9293, comma-separated, e.g. `rfc1337` or
        /// `rfc1337,fin-wait-2-timeout`. `--list-profiles` names them all.
        #[arg(long, default_value = "rfc9293")]
        profile: String,
        /// Output format: `markdown` for people, `json` (stable field names) for tools.
        #[arg(long, value_enum, default_value_t = Format::Markdown)]
        format: Format,
        /// List the profiles (standard ones and the marked mutants) and exit.
        #[arg(long)]
        list_profiles: bool,
        /// Instead of a table, list what changes from profile spec FROM to TO (e.g.
        /// `--diff rfc9293 linux`): rows per (state, event) and endpoint parameters, each
        /// with its source.
        #[arg(long, num_args = 2, value_names = ["FROM", "TO"], conflicts_with_all = ["profile", "list_profiles"])]
        diff: Option<Vec<String>>,
    },
    /// Model-check two endpoints and a channel that reorders, loses and duplicates
    /// segments (within budgets) and delivers each within MSL. Exit 0: every property
    /// holds; 1: one fails (with a shortest counterexample); 2: a limit stopped the run,
    /// or bad arguments.
    Check(CheckArgs),
    /// Serve stateright's Explorer web UI: walk the system step by step in a browser, with
    /// each path drawn as a message sequence chart. Takes the options of `check`.
    Explore {
        /// Address to listen on, `HOST:PORT` (a name that resolves, such as
        /// `localhost:3000`, or an IP address); loopback by default. Any other address makes
        /// the Explorer reachable from other hosts, and it says so.
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: String,
        #[command(flatten)]
        check: CheckArgs,
    },
}

/// The name of a safety property.
fn property_name(text: &str) -> Result<&'static str, String> {
    use model::check::properties::{Kind, PROPERTIES};
    PROPERTIES
        .iter()
        .find(|p| p.name == text && p.kind == Kind::Always)
        .map(|p| p.name)
        .ok_or_else(|| {
            let names: Vec<&str> = PROPERTIES
                .iter()
                .filter(|p| p.kind == Kind::Always)
                .map(|p| p.name)
                .collect();
            format!(
                "`{text}` is not a safety property; one of: {}",
                names.join(", ")
            )
        })
}

/// A size in bytes: `4096`, `512M`, `16G`.
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("`{text}`: the suffix must be K, M or G")),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("`{text}` is not a positive size (e.g. 4096, 512M, 16G)"))
}

/// The defaults of `check`: the one place they are set is `Options::default()`.
fn defaults() -> model::check::Options {
    model::check::Options::default()
}

/// Options of `check`.
#[derive(clap::Args)]
struct CheckArgs {
    /// Profile(s) to layer over RFC 9293, comma-separated (`model table --list-profiles`).
    #[arg(long, default_value = "rfc9293")]
    profile: String,
    /// Maximum segment lifetime, in ticks: a segment sent at tick t is delivered before
    /// tick t + MSL, unless the loss budget (--drops) lets it vanish.
    #[arg(long, default_value_t = defaults().msl)]
    msl: u32,
    /// TIME-WAIT length in ticks (default: 2 x MSL, as the table's rows say).
    #[arg(long)]
    time_wait: Option<u32>,
    /// How many times each side may open the connection.
    #[arg(long, default_value_t = defaults().incarnations)]
    incarnations: u8,
    /// Size of the sequence-number space (4 to 2^32); small so old segments can land in
    /// a new window, large enough that no verdict depends on wrapping it.
    #[arg(long, default_value_t = defaults().seq_space)]
    seq_space: u64,
    /// Segments the channel may lose.
    #[arg(long, default_value_t = defaults().drops)]
    drops: u8,
    /// Segments the channel may duplicate.
    #[arg(long, default_value_t = defaults().dups)]
    dups: u8,
    /// ABORT calls the users may make.
    #[arg(long, default_value_t = defaults().aborts)]
    aborts: u8,
    /// Host crashes: a host loses its TCBs and its ISN clock (the quiet time guards this).
    #[arg(long, default_value_t = defaults().crashes)]
    crashes: u8,
    /// Retransmissions before the user timeout (R2), 0 to 254, or `infinite` (RFC 1122
    /// §4.2.3.5: an application may set R2 to infinity; the connection never gives up).
    #[arg(long, default_value = "2", value_parser = parse_retransmits)]
    retransmits: u8,
    /// Retransmission timeout, in ticks. Default: MSL, the largest that keeps a close clean
    /// (the peer's retransmitted FIN reaches TIME-WAIT before 2MSL ends) when no data is in
    /// flight; with `--data` a late ACK of data restarts the FIN's timer, and no RTO of 2
    /// ticks or more is short enough (README: the `--data` counterexample). At least 1: a
    /// timer due at once would fire forever without time passing.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    rto: Option<u32>,
    /// Each side also sends one byte of data per incarnation.
    #[arg(long)]
    data: bool,
    /// Remove guards (comma-separated or repeated): time-wait, full-time-wait, isn-clock,
    /// rfc1337, quiet-time, fin-wait-2-timeout. All are in force by default.
    #[arg(long, value_enum, value_delimiter = ',')]
    without: Vec<model::check::Guard>,
    /// The form of the ISN guard: `clock` (RFC 9293 §3.4.1, advances with time) or
    /// `ideal` (a new ISN is always beyond the old connection's numbers: an assumption
    /// no clock keeps).
    #[arg(long, value_enum, default_value_t = defaults().isn)]
    isn: model::check::IsnMode,
    /// How far the ISN clock advances per tick.
    #[arg(long, default_value_t = defaults().isn_rate)]
    isn_rate: u32,
    /// Let A's first ISN range over the space too (turns off the rotation-symmetry
    /// reduction that fixes it at 0).
    #[arg(long)]
    no_symmetry: bool,
    /// Who opens how: `client-server`, `both-active`, or `any` (B may do either).
    #[arg(long, value_enum, default_value_t = defaults().scenario)]
    scenario: model::check::Scenario,
    /// Stop after this many unique states (the run is then INCOMPLETE, exit 2).
    #[arg(long)]
    max_states: Option<usize>,
    /// Stop after this many seconds (the run is then INCOMPLETE, exit 2); a finite number
    /// above 0.
    #[arg(long, value_parser = positive_seconds)]
    max_seconds: Option<f64>,
    /// Stop when resident memory passes this (bytes, or with K, M, G suffix; default 80%
    /// of the machine's): the run is then INCOMPLETE, exit 2, never an out-of-memory kill.
    #[arg(long, value_parser = parse_size)]
    max_memory: Option<u64>,
    /// Skip the liveness check (it keeps the whole state graph in memory).
    #[arg(long)]
    no_liveness: bool,
    /// Instead of one check, sweep a parameter: `time-wait` checks the stale-segment
    /// property for each TIME-WAIT length from 0 to --sweep-max ticks; `rto` checks
    /// clean-close for each retransmission timeout from 1 to --sweep-max.
    #[arg(long, value_enum)]
    sweep: Option<model::check::sweep::Param>,
    /// Largest value of the swept parameter (default: 4 x MSL).
    #[arg(long)]
    sweep_max: Option<u32>,
    /// Explore on after the first counterexample, to give every property a verdict.
    #[arg(long)]
    all: bool,
    /// Explore on until this property has its counterexample (or the run ends), whatever
    /// else fails first: `no-stale-segment-accepted`, `clean-close`, ...
    #[arg(long, value_parser = property_name)]
    property: Option<&'static str>,
    /// Threads: they expand each BFS level's states in parallel (states, verdicts and
    /// counterexamples are the same for every count); --sweep runs its points in
    /// parallel instead. Default: the machine's cores.
    #[arg(long, default_value_t = default_threads(), value_parser = thread_count)]
    threads: usize,
    /// Keep every state beside its fingerprint, so no fingerprint collision can hide a
    /// state (the report's collision bound is then 0; costs memory).
    #[arg(long)]
    exact: bool,
    /// Keep BFS levels on disk in DIR, and spill the visited fingerprints to a sorted file
    /// there when memory passes half of --max-memory, so a run larger than memory
    /// completes. Safety only: needs --no-liveness; not with --exact.
    #[arg(long, value_name = "DIR")]
    disk: Option<std::path::PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Also list every row the run never fired.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Markdown,
    Json,
}

/// Writes to stdout; a closed pipe (`model table | head`) ends the program quietly.
fn write_stdout(text: &str) -> ExitCode {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: writing output: {e}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(a) => check(a),
        Command::Explore { addr, check } => {
            let system = match model::check::System::new(options(&check)) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            match model::check::explorer::serve(system, &addr) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Table {
            profile,
            format,
            list_profiles,
            diff,
        } => {
            if let Some([from, to]) = diff.as_deref() {
                return match model::diff::diff(from, to) {
                    Ok(d) => write_stdout(&match format {
                        Format::Markdown => d.markdown(),
                        Format::Json => d.json() + "\n",
                    }),
                    Err(e) => {
                        eprintln!("error: {e}");
                        ExitCode::from(2)
                    }
                };
            }
            if list_profiles {
                let list: String = model::PROFILES
                    .iter()
                    .map(|p| format!("{:<20} {}\n", p.name, p.description))
                    .collect();
                return write_stdout(&list);
            }
            let table = match Table::from_spec(&profile) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let text = match format {
                Format::Markdown => render::markdown(&table),
                Format::Json => render::json(&table) + "\n",
            };
            write_stdout(&text)
        }
    }
}

fn options(a: &CheckArgs) -> model::check::Options {
    model::check::Options {
        profile: a.profile.clone(),
        msl: a.msl,
        time_wait: a.time_wait,
        seq_space: a.seq_space,
        incarnations: a.incarnations,
        drops: a.drops,
        dups: a.dups,
        aborts: a.aborts,
        crashes: a.crashes,
        retransmits: a.retransmits,
        rto: a.rto.unwrap_or(model::check::Options::default_rto(a.msl)),
        data: a.data,
        window: defaults().window,
        without: a.without.clone(),
        scenario: a.scenario,
        isn: a.isn,
        isn_rate: a.isn_rate,
        symmetry: !a.no_symmetry,
    }
}

/// A `--threads` value: 1 to 1,024.
fn thread_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n @ 1..=1024) => Ok(n),
        _ => Err(format!("`{s}` is not a thread count from 1 to 1024")),
    }
}

/// The machine's cores, the default `--threads`.
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn check(a: CheckArgs) -> ExitCode {
    use model::check::{Limits, System, report::Report};
    let limits = Limits {
        all: a.all,
        threads: a.threads,
        exact: a.exact,
        disk: None,
        max_states: a.max_states,
        focus: a.property,
        max_seconds: a.max_seconds,
        max_memory: a
            .max_memory
            .or_else(model::check::explore::default_max_memory),
    };
    let mut limits = limits;
    if let Some(dir) = &a.disk {
        let refuse = if !a.no_liveness {
            Some(
                "--disk checks safety only: add --no-liveness (the liveness graph stays in memory)",
            )
        } else if a.exact {
            Some("--disk keeps fingerprints, --exact whole states: choose one")
        } else if !dir.is_dir() {
            Some("--disk needs an existing directory")
        } else if model::check::disk::Scratch::create(dir, "probe").is_err() {
            Some("--disk needs a directory this user can write")
        } else {
            None
        };
        if let Some(why) = refuse {
            eprintln!("error: {why} (--disk {})", dir.display());
            return ExitCode::from(2);
        }
        // One directory for the whole run: a command line's lifetime.
        limits.disk = Some(model::check::explore::Disk {
            dir: Box::leak(dir.clone().into_boxed_path()),
            spill_at: limits.max_memory.map_or(u64::MAX, |m| m / 2),
        });
    }
    let system = match System::new(options(&a)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(param) = a.sweep {
        return run_sweep(
            &system.opts,
            limits,
            param,
            a.sweep_max.unwrap_or(4 * a.msl),
            a.format,
        );
    }
    let run = with_progress(|tick| {
        model::check::explore::explore_with(&system, limits, !a.no_liveness, tick)
    });
    let report = Report::new(&system, &run);
    let text = match a.format {
        CheckFormat::Text => report.text(a.verbose),
        CheckFormat::Json => {
            serde_json::to_string_pretty(&report).expect("report serializes") + "\n"
        }
    };
    match write_stdout(&text) {
        c if c == ExitCode::SUCCESS => ExitCode::from(report.exit_code),
        c => c,
    }
}

fn run_sweep(
    opts: &model::check::Options,
    limits: model::check::Limits,
    param: model::check::sweep::Param,
    max: u32,
    format: CheckFormat,
) -> ExitCode {
    use model::check::sweep;
    let points = match sweep::sweep(opts, limits, param, max) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let safe = sweep::safe_bound(param, &points);
    let name = match param {
        sweep::Param::TimeWait => "time-wait",
        sweep::Param::Rto => "rto",
    };
    let text = match format {
        CheckFormat::Json => {
            let doc = serde_json::json!({
                "parameter": name,
                "property": param.property(),
                "points": points,
                "safe_bound": safe,
            });
            serde_json::to_string_pretty(&doc).expect("serializes") + "\n"
        }
        CheckFormat::Text => {
            let mut s = format!(
                "{} by {name} (MSL {} ticks; other options as given)\n",
                param.property(),
                opts.msl
            );
            s += &format!("{name:>9}  verdict  counterexample  unique states  seconds\n");
            for p in &points {
                s += &format!(
                    "{:>9}  {:<7}  {:>14}  {:>13}  {:>7.2}\n",
                    p.value,
                    p.verdict,
                    p.counterexample_steps
                        .map_or("-".to_string(), |n| format!("{n} steps")),
                    p.unique_states,
                    p.seconds
                );
            }
            let range = param.values(max);
            let (lo, hi) = (range.start(), range.end());
            s += &match (param, safe) {
                (sweep::Param::TimeWait, Some(v)) => {
                    format!("smallest safe TIME-WAIT in {lo}..={hi}: {v} ticks\n")
                }
                (sweep::Param::Rto, Some(v)) => {
                    format!("largest RTO in {lo}..={hi} that keeps the close clean: {v} ticks\n")
                }
                (_, None) => format!("no {name} in {lo}..={hi} is safe\n"),
            };
            s
        }
    };
    let incomplete = points.iter().any(|p| p.verdict == "unknown");
    match write_stdout(&text) {
        c if c == ExitCode::SUCCESS && incomplete => ExitCode::from(2),
        c => c,
    }
}

/// Runs `f` with a spinner on stderr when stderr is a terminal (none in a pipe).
fn with_progress<T>(f: impl FnOnce(&mut dyn FnMut(model::check::explore::Progress)) -> T) -> T {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return f(&mut |_| {});
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let out = f(&mut |p| {
        let done = p.done().map_or("levels still growing".to_string(), |d| {
            format!(
                "~{:.0}% of an estimated {}",
                d * 100.0,
                p.estimate.unwrap_or(0)
            )
        });
        bar.set_message(format!(
            "{} unique states ({done}), depth {} ({}/{} of the level), next level {}, {:.0} states/s, {:.0} MiB, {:.0} s",
            p.unique_states,
            p.depth,
            p.level.1,
            p.level.0,
            p.frontier,
            p.unique_states as f64 / p.seconds.max(1e-9),
            model::check::explore::proc_status_bytes("VmRSS:") as f64 / (1u64 << 20) as f64,
            p.seconds
        ));
    });
    bar.finish_and_clear();
    out
}

/// `--max-seconds`: a finite number of seconds above 0 (`NaN` compares false with every
/// elapsed time, so it would never stop the run it is meant to bound).
fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(_) => Err(format!("`{s}` is not a finite number of seconds above 0")),
        Err(e) => Err(e.to_string()),
    }
}

/// `--retransmits`: a count below 255, or `infinite`.
fn parse_retransmits(s: &str) -> Result<u8, String> {
    if s == "infinite" {
        return Ok(model::Config::R2_INFINITE);
    }
    match s.parse::<u8>() {
        Ok(n) if n != model::Config::R2_INFINITE => Ok(n),
        _ => Err(format!(
            "`{s}` is not a retransmission count: 0 to 254, or `infinite`"
        )),
    }
}
