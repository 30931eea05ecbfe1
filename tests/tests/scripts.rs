//! The scenario corpus (`tests/scripts/*.pkt`) run through the interpreter: every script
//! passes under RFC 9293, its transcript is a reviewed snapshot, together they fire every
//! row an endpoint can reach, and the scripts catch the mutants.

use interpreter::coverage::{Coverage, Reason};
use interpreter::run::{Run, Verdict, run_source, transcript};
use interpreter::session::Options;
use model::Table;
use std::path::{Path, PathBuf};

/// The corpus runs strict: a segment sent after the last `>` line fails the script.
fn strict() -> Options {
    Options {
        strict: true,
        ..Options::default()
    }
}

fn scripts() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/scripts")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pkt"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "the corpus went missing: {files:?}");
    files
}

fn name(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

#[track_caller]
fn run(path: &Path, opts: &Options) -> Run {
    let source = std::fs::read_to_string(path).expect("script");
    run_source(&format!("tests/scripts/{}.pkt", name(path)), &source, opts).expect("profile")
}

#[test]
fn every_script_passes_under_rfc9293() {
    let mut failed = Vec::new();
    for path in scripts() {
        let r = run(&path, &strict());
        if !matches!(r.verdict, Verdict::Pass) {
            failed.push(transcript(&r));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// Each transcript is a snapshot: a change in what the endpoint does shows up as a diff.
#[test]
fn transcripts_are_as_reviewed() {
    for path in scripts() {
        let r = run(&path, &strict());
        insta::assert_snapshot!(name(&path), transcript(&r));
    }
}

#[test]
fn json_transcript_of_the_passive_handshake_is_as_reviewed() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/handshake-passive.pkt");
    let r = run(&path, &strict());
    let json = serde_json::to_value(&r).unwrap();
    insta::assert_json_snapshot!("handshake-passive-json", json);
}

/// Together the scripts fire every row an endpoint can reach; each row they do not fire
/// is one no segment classifies as, or a timer that cannot run in its state.
#[test]
fn corpus_fires_every_reachable_row() {
    let opts = strict();
    let runs: Vec<Run> = scripts()
        .iter()
        .map(|p| run(p, &opts))
        .filter(|r| r.profile == "rfc9293")
        .collect();
    let table = Table::rfc9293();
    let cov = Coverage::of(&table, &opts.config, &runs);
    let gaps: Vec<String> = cov
        .unfired
        .iter()
        .filter(|(_, r)| matches!(r, Reason::NotExercised | Reason::StateUnreached))
        .map(|(id, r)| {
            let row = table.row(*id);
            format!("row {} {} {}: {r:?}", id.0, row.from, row.event.id())
        })
        .collect();
    assert!(
        gaps.is_empty(),
        "rows no script fires:\n{}",
        gaps.join("\n")
    );
    let unclassifiable = cov
        .unfired
        .iter()
        .filter(|(_, r)| *r == Reason::Unclassifiable)
        .count();
    // The same 56 rows that model/tests/rows.rs proves no input reaches.
    assert_eq!(unclassifiable, 56);
    // Retransmission and user timeouts cannot happen in CLOSED, LISTEN, FIN-WAIT-2 and
    // TIME-WAIT (nothing is outstanding); 2MSL only runs in TIME-WAIT; RFC 9293 runs no
    // FIN-WAIT-2 timer at all, and its default here no delayed-ACK timer (every ACK goes
    // at once, `Config::delayed_ack` is off).
    let no_timer: Vec<(model::State, model::Event)> = cov
        .unfired
        .iter()
        .filter(|(_, r)| *r == Reason::NoSuchTimer)
        .map(|(id, _)| (table.row(*id).from, table.row(*id).event))
        .collect();
    use model::Event::*;
    use model::State::*;
    for (state, event) in &no_timer {
        let expected = match event {
            RetransmitTimeout | UserTimeout => {
                matches!(state, Closed | Listen | FinWait2 | TimeWait)
            }
            TimeWaitTimeout => *state != TimeWait,
            FinWait2Timeout | DelayedAckTimeout => true,
            _ => false,
        };
        assert!(
            expected,
            "{state} {} excused as a timer that cannot run",
            event.id()
        );
    }
    assert_eq!(no_timer.len(), 4 * 2 + 10 + 11 + 11);
    assert_eq!(cov.fired.len() + 56 + 40, table.rows().len());
}

/// The corpus is not a list of things that cannot fail: under each mutant profile some
/// scripts fail, each at an expectation.
#[test]
fn corpus_catches_every_mutant() {
    for mutant in model::PROFILES.iter().filter(|p| p.broken) {
        let opts = Options {
            profile: mutant.name.to_string(),
            ..strict()
        };
        let caught: Vec<String> = scripts()
            .iter()
            // Scripts that choose their own profile are not run under the mutant.
            .filter(|p| !name(p).starts_with("profile-"))
            .filter(|p| matches!(run(p, &opts).verdict, Verdict::Fail { .. }))
            .map(|p| name(p))
            .collect();
        assert!(
            !caught.is_empty(),
            "no script notices the mutant {}",
            mutant.name
        );
        eprintln!("{}: caught by {}", mutant.name, caught.join(", "));
    }
}

/// The script the README shows runs and passes.
#[test]
fn the_readme_example_passes() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let start = readme
        .find("```\n// Passive open")
        .expect("the README's example")
        + 4;
    let end = readme[start..].find("```").unwrap() + start;
    let r = run_source("README.md", &readme[start..end], &strict()).unwrap();
    assert!(matches!(r.verdict, Verdict::Pass), "{}", transcript(&r));
    assert!(r.transcript.len() >= 11);
}

/// `tests/scripts/linux/`: what the kernel does (or the model does and the kernel does
/// not, as each script's first line says), each passing strict under the `linux` profile.
#[test]
fn every_linux_script_passes_strict_under_the_linux_profile() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/linux");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/scripts/linux")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pkt"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "the linux scripts went missing: {files:?}"
    );
    let mut opts = strict();
    opts.set("profile", "linux").expect("the linux profile");
    let mut failed = Vec::new();
    for path in files {
        let source = std::fs::read_to_string(&path).expect("script");
        assert!(
            source.starts_with("// kernel: agrees\n")
                || source.starts_with("// kernel: differs at line "),
            "{}: the first line says what the kernel does",
            path.display()
        );
        let r = run_source(
            &format!("tests/scripts/linux/{}.pkt", name(&path)),
            &source,
            &opts,
        )
        .expect("profile");
        if !matches!(r.verdict, Verdict::Pass) {
            failed.push(transcript(&r));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
