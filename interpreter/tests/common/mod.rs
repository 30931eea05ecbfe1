//! Helpers shared by the interpreter's integration tests.

use interpreter::run::{Verdict, run_source, transcript};
use interpreter::session::Options;

/// Runs `script` (named `t.pkt`) on the model; `strict` makes a segment after the last
/// `>` line fail the run, as the corpus tests do.
fn verdict_passes(script: &str, strict: bool) -> (bool, String) {
    let options = Options {
        strict,
        ..Options::default()
    };
    let run = run_source("t.pkt", script, &options).unwrap();
    (matches!(run.verdict, Verdict::Pass), transcript(&run))
}

/// Asserts that `script` passes, strict; on failure prints the transcript.
#[track_caller]
pub fn assert_passes(script: &str) {
    let (pass, text) = verdict_passes(script, true);
    assert!(pass, "{text}");
}

/// Asserts that `script` fails (`strict` as for [`assert_passes`]); prints the transcript
/// of a run that passed.
#[track_caller]
pub fn assert_fails(script: &str, strict: bool) {
    let (pass, text) = verdict_passes(script, strict);
    assert!(!pass, "{text}");
}
