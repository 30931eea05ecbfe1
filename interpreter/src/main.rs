//! `interpreter`: run packetdrill-style scripts against the table's endpoint, or explore
//! it in a REPL.

use clap::{Args, Parser, Subcommand, ValueEnum};
use interpreter::run::{
    Run, Verdict, eprint_line, read_script, render_error, run_source, transcript,
};
use interpreter::session::Options;
use interpreter::{coverage, repl};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Run scripts against an endpoint that follows the transition table, or open a REPL.
#[derive(Parser)]
#[command(name = "interpreter", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    endpoint: EndpointArgs,
    /// Start the REPL in two-endpoint mode (A, B and the channel).
    #[arg(long)]
    pair: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run scripts; exit 0 if all pass, 1 if an expectation failed, 2 if a script is bad.
    Run {
        #[command(flatten)]
        script: ScriptArgs,
        /// After the runs, list the table rows they fired and why the others were not.
        #[arg(long)]
        coverage: bool,
        #[command(flatten)]
        endpoint: EndpointArgs,
    },
    /// Run scripts against this machine's Linux kernel (root: a private network
    /// namespace and a tun device per script); same output and exit codes as `run`.
    Live {
        #[command(flatten)]
        script: ScriptArgs,
        /// Stop a script (failing it) at a statement later than this: time is real.
        #[arg(long, default_value_t = 20)]
        max_seconds: u64,
        /// How many scripts run at once, each in its own network namespace (the runs
        /// mostly wait on real time); the output is in the scripts' order whatever the
        /// number. Default: four per core, at most 32.
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        #[command(flatten)]
        kernel: KernelArgs,
        #[command(flatten)]
        endpoint: EndpointArgs,
    },
    /// Run scripts on the model and on this machine's kernel (as `live`: root) and
    /// report, for each, agreement or the first line where the two differ (what each
    /// did, the table row behind the model's), then a table across scripts. Exit 0 when
    /// all agree, 1 when one differs, 2 on bad input or without the privileges.
    Diff {
        #[command(flatten)]
        script: ScriptArgs,
        /// Stop the kernel's run (failing it) at a statement later than this.
        #[arg(long, default_value_t = 20)]
        max_seconds: u64,
        /// How many scripts run at once, each in its own network namespace (the runs
        /// mostly wait on real time); the output is in the scripts' order whatever the
        /// number. Default: four per core, at most 32.
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        #[command(flatten)]
        kernel: KernelArgs,
        #[command(flatten)]
        endpoint: EndpointArgs,
    },
    /// Differential fuzzing (root, as `live`): random connection-management scripts
    /// from walks the model takes (the model's results and segments are the
    /// expectations), run on the kernel; each disagreement is minimized and saved. Exit 0
    /// when the kernel agrees on all, 1 when not, 2 without the privileges.
    FuzzDiff {
        /// How many scripts.
        #[arg(long, default_value_t = 20)]
        count: usize,
        /// The seed: the same seed draws the same scripts.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// At most this many steps after the opening.
        #[arg(long, default_value_t = 10)]
        max_steps: usize,
        /// Where disagreements are saved (one `.pkt` each).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print every script the model wrote.
        #[arg(long)]
        verbose: bool,
        /// How many scripts run at once, each in its own network namespace (the runs
        /// mostly wait on real time); the output is in the scripts' order whatever the
        /// number. Default: four per core, at most 32.
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        #[command(flatten)]
        endpoint: EndpointArgs,
    },
    /// The REPL (the default when no command is given).
    Repl {
        /// Start in two-endpoint mode (A, B and the channel).
        #[arg(long)]
        pair: bool,
        #[command(flatten)]
        endpoint: EndpointArgs,
    },
}

/// What `run`, `live` and `diff` take alike: the scripts and how to read and report them.
#[derive(Args)]
struct ScriptArgs {
    /// Script files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format (`summary`: a line per script).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Fail a script when its stack sends segments after its last `>` line
    /// (packetdrill, and the default, never reads them).
    #[arg(long)]
    strict: bool,
    /// Define NAME for `#ifdef NAME` blocks (repeatable; `linux` is always defined);
    /// `NAME=VALUE`, as packetdrill's `-D`, defines NAME (the value is not used).
    #[arg(long, value_name = "NAME")]
    define: Vec<String>,
}

/// How the kernel's namespace is set up for `live` and `diff` (never the host's).
#[derive(Args)]
struct KernelArgs {
    /// Set a sysctl in each script's private namespace before it runs (repeatable;
    /// only per-namespace `net.ipv4.tcp_*` and `net.core.*` names; applied after
    /// `--packetdrill-defaults`). A script's own `sysctl` commands are never run.
    #[arg(long, value_name = "NAME=VALUE")]
    sysctl: Vec<String>,
    /// Set the sysctls packetdrill's `defaults.sh` sets before each of its scripts
    /// (`tcp_rmem` 4096 540000 15728640, `tcp_wmem`, timestamps, SACK, ...) in each
    /// script's private namespace.
    #[arg(long)]
    packetdrill_defaults: bool,
}

impl KernelArgs {
    /// Puts the settings in `opts`, or says which one is refused.
    fn apply(&self, opts: &mut Options) -> Result<(), String> {
        opts.packetdrill_defaults = self.packetdrill_defaults;
        for s in &self.sysctl {
            opts.sysctls
                .push(interpreter::live::sysctl::Sysctl::parse(s)?);
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A transcript for people.
    Text,
    /// One JSON document with every run (and the coverage) for tools such as
    /// `diagrams sequence`.
    Json,
    /// One line per script: PASS, FAIL or BAD SCRIPT, with the place.
    Summary,
}

#[derive(Args, Clone)]
struct EndpointArgs {
    /// Profile(s) over RFC 9293, comma-separated (see `model table --list-profiles`).
    #[arg(long, global = true)]
    profile: Option<String>,
    /// The endpoint's ISN clock at time 0 (it ticks every 4 µs).
    #[arg(long, global = true)]
    iss: Option<u32>,
    /// Timing tolerance for expected segments and blocking calls, in milliseconds.
    #[arg(long, global = true)]
    tolerance_ms: Option<u64>,
    /// Maximum segment lifetime in seconds (TIME-WAIT lasts 2 MSL).
    #[arg(long, global = true)]
    msl: Option<u32>,
    /// Receive buffer, the window offered when empty (at most 2^30; a window field
    /// without window scaling carries at most 65535). Default 65535, `freebsd` 65536.
    #[arg(long, global = true)]
    rcv_buf: Option<u32>,
    /// Retransmissions before the user timeout (R2).
    #[arg(long, global = true)]
    retries: Option<u8>,
    /// Options our SYN offers: `mss` (RFC 9293, the default), `linux` (mss, sackOK, TS,
    /// wscale 7), `freebsd` (mss, wscale 6, sackOK, TS) or `none`; a script's
    /// `--syn_options=` line wins.
    #[arg(long, global = true, value_name = "SET")]
    syn_options: Option<String>,
    /// Our window scale shift (0 to 14) when our SYN offers window scaling (`linux`: 7).
    #[arg(long, global = true, value_name = "SHIFT")]
    wscale: Option<u8>,
}

impl EndpointArgs {
    /// The options, set as a script's `--name=value` lines set them (and checked the same way).
    fn options(&self) -> Result<Options, String> {
        let mut o = Options::default();
        let given = [
            ("profile", self.profile.clone()),
            ("iss", self.iss.map(|v| v.to_string())),
            (
                "tolerance_usecs",
                self.tolerance_ms
                    .map(|v| v.saturating_mul(1000).to_string()),
            ),
            ("msl_secs", self.msl.map(|v| v.to_string())),
            ("rcv_buf", self.rcv_buf.map(|v| v.to_string())),
            ("retries", self.retries.map(|v| v.to_string())),
            ("syn_options", self.syn_options.clone()),
            ("wscale", self.wscale.map(|v| v.to_string())),
        ];
        for (name, value) in given {
            if let Some(value) = value {
                o.set(name, &value).map_err(|e| e.to_string())?;
            }
        }
        Ok(o)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (endpoint, pair) = match &cli.command {
        Some(Command::Run { endpoint, .. })
        | Some(Command::Live { endpoint, .. })
        | Some(Command::Diff { endpoint, .. })
        | Some(Command::FuzzDiff { endpoint, .. }) => (endpoint, false),
        Some(Command::Repl { endpoint, pair }) => (endpoint, *pair),
        None => (&cli.endpoint, cli.pair),
    };
    let opts = match endpoint.options() {
        Ok(mut o) => {
            if let Some(
                Command::Run { script, .. }
                | Command::Live { script, .. }
                | Command::Diff { script, .. },
            ) = &cli.command
            {
                o.strict = script.strict;
                for d in &script.define {
                    // `--define NAME=VALUE`, as packetdrill's `-D`: only the name counts.
                    if let Err(e) = o.set("define", d) {
                        eprint_line(&format!("error: {e}"));
                        return ExitCode::from(2);
                    }
                }
            }
            o
        }
        Err(e) => {
            eprint_line(&format!("error: {e}"));
            return ExitCode::from(2);
        }
    };
    let code = match cli.command {
        Some(Command::Run {
            script, coverage, ..
        }) => run_files(&script.files, script.format, coverage, &opts, None),
        Some(Command::Live {
            script: ScriptArgs { files, format, .. },
            max_seconds,
            kernel,
            jobs,
            ..
        }) => {
            let mut opts = opts;
            opts.live_limit = max_seconds.saturating_mul(1_000_000);
            if let Err(e) = kernel.apply(&mut opts) {
                eprint_line(&format!("error: {e}"));
                return ExitCode::from(2);
            }
            // Never a partial run: without the privileges, nothing runs.
            if let Err(e) = interpreter::live::check_privileges() {
                eprint_line(&format!("error: {e}"));
                return ExitCode::from(2);
            }
            let jobs = jobs.unwrap_or_else(interpreter::pool::default_jobs);
            run_files(&files, format, false, &opts, Some(jobs))
        }
        Some(Command::Diff {
            script: ScriptArgs { files, format, .. },
            max_seconds,
            kernel,
            jobs,
            endpoint,
        }) => {
            let mut opts = opts;
            opts.live_limit = max_seconds.saturating_mul(1_000_000);
            if let Err(e) = kernel.apply(&mut opts) {
                eprint_line(&format!("error: {e}"));
                return ExitCode::from(2);
            }
            // The model follows the `linux` profile when there is one and no other is
            // asked for.
            if let Err(code) = linux_by_default(&mut opts, endpoint.profile.is_none()) {
                return code;
            }
            if let Err(e) = interpreter::live::check_privileges() {
                eprint_line(&format!("error: {e}"));
                return ExitCode::from(2);
            }
            let jobs = jobs.unwrap_or_else(interpreter::pool::default_jobs);
            diff_files(&files, format, &opts, jobs)
        }
        Some(Command::FuzzDiff {
            count,
            seed,
            max_steps,
            out,
            verbose,
            jobs,
            endpoint,
        }) => {
            let mut opts = opts;
            if let Err(code) = linux_by_default(&mut opts, endpoint.profile.is_none()) {
                return code;
            }
            if let Err(e) = interpreter::live::check_privileges() {
                eprint_line(&format!("error: {e}"));
                return ExitCode::from(2);
            }
            let out = out.unwrap_or_else(|| std::env::temp_dir().join("tcpfsm-fuzz-diff"));
            let jobs = jobs.unwrap_or_else(interpreter::pool::default_jobs);
            fuzz_diff(count, seed, max_steps, &out, verbose, jobs, &opts)
        }
        _ => repl::main(opts, pair),
    };
    ExitCode::from(code)
}

/// `diff` and `fuzz-diff` hold the model to the `linux` profile, rows and parameters
/// (SYN options, delayed ACKs, ...), unless a profile was asked for.
fn linux_by_default(opts: &mut Options, no_profile_given: bool) -> Result<(), ExitCode> {
    if no_profile_given && let Err(e) = opts.set("profile", "linux") {
        eprint_line(&format!("error: {e}"));
        return Err(ExitCode::from(2));
    }
    Ok(())
}

/// `run` (`live`: None) or `live` (`Some(jobs)`: that many scripts at once): each
/// script's report in the files' order; the worst exit code.
fn run_files(
    files: &[PathBuf],
    format: Format,
    with_coverage: bool,
    opts: &Options,
    live: Option<usize>,
) -> u8 {
    if let Err(e) = model::Table::from_spec(&opts.profile) {
        eprint_line(&format!("error: {e}"));
        return 2;
    }
    let color = std::io::stderr().is_terminal();
    let mut runs: Vec<Run> = Vec::new();
    let mut worst = 0;
    let mut out = std::io::stdout().lock();
    let one = |i: usize| -> Result<(String, Run), String> {
        let path = &files[i];
        let name = path.display().to_string();
        let source = read_script(path).map_err(|e| format!("error: {e}"))?;
        let ran = if live.is_some() {
            interpreter::live::run_source(&name, &source, opts)
        } else {
            run_source(&name, &source, opts)
        };
        ran.map(|r| (source, r))
            .map_err(|e| format!("error: {name}: {e}"))
    };
    interpreter::pool::ordered(files.len(), live.unwrap_or(1), one, |i, ran| {
        let (source, run) = match ran {
            Ok(r) => r,
            Err(e) => {
                eprint_line(&e);
                worst = worst.max(2);
                return true;
            }
        };
        worst = worst.max(run.exit_code());
        match format {
            Format::Text => {
                let _ = write!(out, "{}", transcript(&run));
            }
            Format::Summary => {
                let _ = writeln!(out, "{} {}", summary(&run), files[i].display());
            }
            Format::Json => {}
        }
        if let Some(err) = render_error(&run, &source, color) {
            eprint_line(&err);
        }
        runs.push(run);
        true
    });
    // Row ids belong to a profile's table: each profile's runs are counted apart.
    let mut coverage = Vec::new();
    if with_coverage {
        let mut profiles: Vec<&str> = runs.iter().map(|r| r.profile.as_str()).collect();
        profiles.sort();
        profiles.dedup();
        for profile in profiles {
            let Ok(table) = model::Table::from_spec(profile) else {
                continue;
            };
            let group: Vec<Run> = runs
                .iter()
                .filter(|r| r.profile == profile)
                .cloned()
                .collect();
            let report = coverage::Coverage::of(&table, &opts.config, &group);
            coverage.push((profile.to_string(), group.len(), table, report));
        }
    }
    if format == Format::Json {
        let coverage: Vec<serde_json::Value> = coverage
            .iter()
            .map(|(profile, scripts, table, report)| {
                serde_json::json!({
                    "profile": profile,
                    "scripts": scripts,
                    "fired": report.fired,
                    "unfired": report.unfired.iter().map(|(id, reason)| {
                        let row = table.row(*id);
                        serde_json::json!({
                            "row": id,
                            "from": row.from,
                            "event": row.event,
                            "reason": reason,
                        })
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut doc = serde_json::json!({
            "format": "tcpfsm-transcript",
            "version": 1,
            "runs": runs,
        });
        if with_coverage {
            doc["coverage"] = serde_json::Value::Array(coverage);
        }
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        );
    } else {
        for (profile, scripts, table, report) in &coverage {
            let _ = write!(
                out,
                "profile {profile} ({scripts} script{}): {}",
                if *scripts == 1 { "" } else { "s" },
                report.text(table)
            );
        }
    }
    let _ = out.flush();
    worst
}

/// `interpreter diff`: each script on the model and the kernel, `jobs` at once, reported
/// in the files' order; the worst exit code.
fn diff_files(files: &[PathBuf], format: Format, opts: &Options, jobs: usize) -> u8 {
    let mut out = std::io::stdout().lock();
    let mut worst = 0u8;
    let mut diffs = Vec::new();
    let one = |i: usize| -> Result<interpreter::diff::Diff, String> {
        let name = files[i].display().to_string();
        let source = read_script(&files[i]).map_err(|e| format!("error: {e}"))?;
        interpreter::diff::diff_source(&name, &source, opts)
            .map_err(|e| format!("error: {name}: {e}"))
    };
    interpreter::pool::ordered(files.len(), jobs, one, |_, d| {
        let d = match d {
            Ok(d) => d,
            Err(e) => {
                eprint_line(&e);
                worst = worst.max(2);
                return true;
            }
        };
        worst = worst.max(d.exit_code());
        if format == Format::Text {
            let _ = write!(out, "{}", d.text());
        }
        diffs.push(d);
        true
    });
    match format {
        Format::Json => {
            let doc = serde_json::json!({
                "format": "tcpfsm-diff",
                "version": 1,
                "diffs": diffs,
            });
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
        }
        Format::Text | Format::Summary => {
            if format == Format::Text {
                let _ = writeln!(out);
            }
            let _ = write!(out, "{}", interpreter::diff::summary(&diffs));
        }
    }
    let _ = out.flush();
    worst
}

/// `interpreter fuzz-diff`: the cases, `jobs` at once, a line each in the cases' order;
/// the disagreements saved.
fn fuzz_diff(
    count: usize,
    seed: u64,
    max_steps: usize,
    dir: &std::path::Path,
    verbose: bool,
    jobs: usize,
    opts: &Options,
) -> u8 {
    let mut out = std::io::stdout().lock();
    let (mut agree, mut differ, mut defects) = (0usize, 0usize, 0usize);
    let mut unexplained = 0usize;
    let mut failed = false;
    let started = std::time::Instant::now();
    let one = |index: usize| interpreter::fuzz::case(seed, index, max_steps, opts);
    interpreter::pool::ordered(count, jobs, one, |index, case| {
        let case = match case {
            Ok(c) => c,
            Err(e) => {
                eprint_line(&format!("error: case {index}: {e}"));
                failed = true;
                return false;
            }
        };
        let Some(case) = case else {
            defects += 1;
            let _ = writeln!(
                out,
                "case {index}: the model does not pass its own script (a generator defect)"
            );
            return true;
        };
        if verbose {
            let _ = write!(out, "{}", case.script);
        }
        let Some(d) = &case.diff.difference else {
            // The generator keeps scripts short of --max-seconds: never cut here.
            agree += 1;
            let _ = writeln!(out, "case {index}: agree");
            return true;
        };
        differ += 1;
        let class = interpreter::fuzz::explain(d);
        unexplained += usize::from(class.is_none());
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprint_line(&format!("error: {}: {e}", dir.display()));
            failed = true;
            return false;
        }
        let path = dir.join(format!("seed{seed}-case{index}.pkt"));
        // The header's four lines come first: the line named is the saved file's.
        let header = format!(
            "// interpreter fuzz-diff --seed {seed}: case {index}, minimized from {} to {} \
             statements.\n// The model ({}) and the kernel ({}) differ at line {}: {}\n\
             // model: {}\n// kernel: {}\n",
            case.drawn.0,
            case.drawn.1,
            case.diff.profile,
            case.diff.kernel,
            d.line + 4,
            d.statement,
            d.model.did,
            d.kernel.did
        );
        let _ = std::fs::write(&path, format!("{header}{}", case.script));
        let _ = writeln!(
            out,
            "case {index}: DIFFER at {}:{} {} (kernel: {}) [{}] -> {}",
            d.line,
            d.column,
            d.statement,
            d.kernel.did,
            class.unwrap_or("unexplained"),
            path.display()
        );
        let _ = out.flush();
        true
    });
    if failed {
        return 2;
    }
    let _ = writeln!(
        out,
        "{count} script(s), seed {seed}: {agree} agree, {differ} differ ({} explained, \
         {unexplained} unexplained), {defects} generator defect(s), {:.1} s",
        differ - unexplained,
        started.elapsed().as_secs_f64()
    );
    let _ = out.flush();
    if differ > 0 || defects > 0 { 1 } else { 0 }
}

/// PASS, or where and why not.
fn summary(run: &Run) -> String {
    match &run.verdict {
        Verdict::Pass => "PASS".to_string(),
        Verdict::Fail { failure: f } => format!("FAIL {}:{} {}", f.line, f.column, f.message),
        Verdict::BadScript {
            line,
            column,
            message,
        } => format!("BAD SCRIPT {line}:{column} {message}"),
    }
}
