//! A bounded fuzzing run over `diagrams`' JSON inputs (issue 11): a real `model check`
//! report and a real `interpreter run` transcript, mutated byte by byte (truncation, NUL
//! bytes, invalid UTF-8, long lines, huge numbers, values of the wrong type, deep
//! nesting), each given to the built binary's `sequence` and `export --highlight`.
//!
//! The binary must exit 0, 1 or 2: never a panic (101) or a signal. And it must mean it:
//! an error writes nothing to stdout and says `error:` on stderr; a success writes a
//! well-formed picture, and a chart drawn from a check report is a counterexample's.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Inputs per run (`TCPFSM_FUZZ_CASES` overrides): each costs three processes, about
/// 7 ms in all; 2,000 take about 15 s on 2 cores.
const CASES: u32 = 2000;

fn report() -> Vec<u8> {
    use model::check::explore::{Limits, explore};
    use model::check::report::Report;
    use model::check::{Guard, Options, System};
    let m = System::new(Options {
        without: vec![Guard::TimeWait],
        ..Options::default()
    })
    .unwrap();
    let run = explore(&m, Limits::default(), false);
    serde_json::to_vec_pretty(&Report::new(&m, &run)).unwrap()
}

fn transcript() -> Vec<u8> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scripts/half-close.pkt");
    let source = std::fs::read_to_string(&script).unwrap();
    let run = interpreter::run::run_source(
        "half-close.pkt",
        &source,
        &interpreter::session::Options::default(),
    )
    .unwrap();
    let doc = serde_json::json!({"format": "tcpfsm-transcript", "version": 1, "runs": [run]});
    serde_json::to_vec_pretty(&doc).unwrap()
}

/// One byte-level mutation.
#[derive(Clone, Debug)]
enum Mutation {
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Flip(usize, u8),
    /// Replace the value after the n-th `":` with another JSON text.
    WrongType(usize, &'static str),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let inserted = prop_oneof![
        Just(vec![0u8]),
        Just(vec![0u8; 64]),
        Just(vec![0xff, 0xfe]),
        Just(vec![0xc3, 0x28]),
        Just(vec![0xed, 0xa0, 0x80]),
        Just(vec![b'a'; 1 << 20]),
        Just(
            b"\""
                .iter()
                .copied()
                .chain(std::iter::repeat_n(b'x', 200_000))
                .chain(*b"\"")
                .collect()
        ),
        Just(b"99999999999999999999999999999999999999".to_vec()),
        Just(b"1e999999".to_vec()),
        Just(b"-18446744073709551617".to_vec()),
        Just(vec![b'['; 10_000]),
        Just(b"\n\n\n".to_vec()),
        Just(b"\\u0000".to_vec()),
    ];
    let wrong = prop_oneof![
        Just("[]"),
        Just("{}"),
        Just("null"),
        Just("\"x\""),
        Just("true"),
        Just("3"),
        Just("-1"),
        Just("18446744073709551616"),
        Just("1e999"),
        Just("\"FIN-WAIT-3\""),
        Just("[[\"A\", 70000]]"),
        Just("\"\\u0000\""),
    ];
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), inserted).prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Flip(at, b)),
        (any::<usize>(), wrong).prop_map(|(n, v)| Mutation::WrongType(n, v)),
        (any::<usize>(), 1usize..4096).prop_map(|(at, n)| Mutation::Duplicate(at, n)),
    ]
}

fn apply(mut b: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
    match m {
        Mutation::Truncate(i) => {
            let i = at(*i, b.len());
            b.truncate(i);
        }
        Mutation::Insert(i, x) => {
            let i = at(*i, b.len());
            b.splice(i..i, x.iter().copied());
        }
        Mutation::Flip(i, x) => {
            if !b.is_empty() {
                let i = i % b.len();
                b[i] = *x;
            }
        }
        Mutation::WrongType(n, v) => {
            let keys: Vec<usize> = b
                .windows(2)
                .enumerate()
                .filter(|(_, w)| w == b"\":")
                .map(|(i, _)| i + 2)
                .collect();
            if !keys.is_empty() {
                let start = keys[n % keys.len()];
                // The value runs to the next `,`, `}` or `]` (a scalar; a nested value is cut
                // short, which is another kind of damage).
                let end = b[start..]
                    .iter()
                    .position(|c| b",}]".contains(c))
                    .map_or(b.len(), |p| start + p);
                b.splice(start..end, format!(" {v}").bytes());
            }
        }
        Mutation::Duplicate(i, n) => {
            let i = at(*i, b.len());
            let end = (i + n).min(b.len());
            let copy = b[i..end].to_vec();
            b.splice(i..i, copy);
        }
    }
    b
}

static RUN: AtomicUsize = AtomicUsize::new(0);

/// Runs the binary on `file` and checks what it did.
fn check(args: &[&str], file: &Path, from_report: bool) -> Result<(), TestCaseError> {
    let out = Command::new(env!("CARGO_BIN_EXE_diagrams"))
        .args(args)
        .arg(file)
        .output()
        .expect("run diagrams");
    let err = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    prop_assert!(
        matches!(code, Some(0..=2)),
        "{args:?}: exit {code:?} (a panic is 101, a signal none): {err}"
    );
    if code != Some(0) {
        prop_assert!(out.stdout.is_empty(), "{args:?}: an error wrote output");
        prop_assert!(err.starts_with("error: "), "{args:?}: {err}");
        return Ok(());
    }
    let text = String::from_utf8(out.stdout).map_err(|e| TestCaseError::fail(e.to_string()))?;
    if args.contains(&"dot") {
        prop_assert!(text.starts_with("digraph tcp {"), "{args:?}");
        return Ok(());
    }
    let doc = roxmltree::Document::parse(&text)
        .map_err(|e| TestCaseError::fail(format!("{args:?}: not XML: {e}")))?;
    if from_report && args[0] == "sequence" {
        let title: String = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("title"))
            .filter_map(|n| n.text())
            .collect::<Vec<_>>()
            .join(" ");
        prop_assert!(
            title.contains(" fails"),
            "a chart that is no counterexample: {title}"
        );
    }
    Ok(())
}

#[test]
fn mutated_reports_and_transcripts_never_crash_diagrams() {
    let seeds = [(report(), true), (transcript(), false)];
    let dir: PathBuf = std::env::temp_dir().join(format!("tcpfsm-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut runner = TestRunner::new(Config {
        cases: std::env::var("TCPFSM_FUZZ_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(CASES),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..seeds.len(), prop::collection::vec(mutation(), 1..4));
    let started = std::time::Instant::now();
    let result = runner.run(&strategy, |(seed, mutations)| {
        let (bytes, from_report) = &seeds[seed];
        let bytes = mutations.iter().fold(bytes.clone(), apply);
        let n = RUN.fetch_add(1, Ordering::Relaxed);
        let file = dir.join(format!("input-{n}.json"));
        std::fs::write(&file, &bytes).unwrap();
        check(&["sequence"], &file, *from_report)?;
        check(
            &["export", "--format", "svg", "--highlight"],
            &file,
            *from_report,
        )?;
        check(
            &["export", "--format", "dot", "--view", "full", "--highlight"],
            &file,
            *from_report,
        )?;
        let _ = std::fs::remove_file(&file);
        Ok(())
    });
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "fuzz_json: {} mutated inputs, {} runs of diagrams, in {:.1} s",
        RUN.load(Ordering::Relaxed),
        3 * RUN.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    result.unwrap();
}

/// The seeds themselves are drawn: the fuzzing starts from inputs that work.
#[test]
fn the_seeds_are_drawn() {
    let dir = std::env::temp_dir().join(format!("tcpfsm-seeds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in [("r.json", report()), ("t.json", transcript())] {
        let file = dir.join(name);
        std::fs::write(&file, bytes).unwrap();
        for args in [
            &["sequence"][..],
            &["export", "--format", "svg", "--highlight"],
        ] {
            let out = Command::new(env!("CARGO_BIN_EXE_diagrams"))
                .args(args)
                .arg(&file)
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{name} {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Random argument vectors for `diagrams`, from its real commands, options and values plus
/// junk (long strings, control bytes, invalid UTF-8, missing and unreadable files): the exit
/// code is always 0, 1 or 2.
#[test]
fn random_arguments_never_crash_diagrams() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let dir = std::env::temp_dir().join(format!("tcpfsm-diagrams-args-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report_file = dir.join("report.json");
    std::fs::write(&report_file, report()).unwrap();
    let out_file = dir.join("out.svg");
    let words: Vec<OsString> = [
        "export",
        "sequence",
        "--format",
        "svg",
        "dot",
        "mermaid",
        "png",
        "--view",
        "classic",
        "full",
        "wide",
        "--profile",
        "rfc1337",
        "no-time-wait",
        "",
        ",,",
        "--engine",
        "rust",
        "--highlight",
        "--property",
        "clean-close",
        "nope",
        "--script",
        "-o",
        "/dev/null",
        "/nonexistent/file.json",
        "/dev/null",
        "-",
        "--help",
        "-h",
    ]
    .iter()
    .map(OsString::from)
    .chain([report_file.into_os_string(), out_file.into_os_string()])
    .collect();
    let runs = AtomicUsize::new(0);
    let config = Config {
        cases: 150,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = prop::collection::vec((0..words.len() + 3, any::<u8>()), 0..7);
    runner
        .run(&strategy, |picks| {
            let args: Vec<OsString> = picks
                .iter()
                .map(|&(i, b)| match i.checked_sub(words.len()) {
                    None => words[i].clone(),
                    Some(0) => OsString::from("y".repeat(70_000)),
                    Some(1) => OsString::from_vec(vec![b'-', 1, b.max(1)]),
                    Some(_) => OsString::from_vec(vec![0xff, 0xfe, b.max(1)]),
                })
                .collect();
            let out = Command::new(env!("CARGO_BIN_EXE_diagrams"))
                .args(&args)
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            runs.fetch_add(1, Ordering::Relaxed);
            let code = out.status.code();
            prop_assert!(
                matches!(code, Some(0..=2)),
                "{args:?}: exit {code:?}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            Ok(())
        })
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "random_arguments_never_crash_diagrams: {} command lines",
        runs.into_inner()
    );
}
