//! Tests that need an external tool (Chromium, Graphviz's `dot`, tmux, mermaid.js).
//!
//! Without the tool such a test says loudly on stderr that it is skipped, and why, and
//! passes; with `TCPFSM_REQUIRE_TOOLS=1` (which `.ci/run` sets once it has installed the
//! tools) it fails instead. This one file is the whole helper: the `tests` crate exports
//! it, and model's, interpreter's and diagrams' own tests, which cannot depend on the
//! `tests` crate, include it by path (`#[path = "../../tests/src/tools.rs"] mod tools;`).
#![allow(dead_code)]

use std::io::Write as _;
use std::process::{Command, Stdio};

/// Whether `TCPFSM_REQUIRE_TOOLS=1` is set: a missing tool is then a failure.
pub fn required() -> bool {
    std::env::var("TCPFSM_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// Whether `program arg` runs and succeeds (`chromium --version`, `dot -V`, `tmux -V`).
pub fn runs(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The decision for a test whose tool is `missing` (None: present). Returns true when
/// the test should go on; false when it is skipped (after a banner on stderr); panics
/// when `strict` (see [`required`]).
pub fn decide(test: &str, missing: Option<&str>, strict: bool) -> bool {
    let Some(why) = missing else {
        return true;
    };
    if strict {
        panic!("{test}: {why} (TCPFSM_REQUIRE_TOOLS=1: a missing tool fails the test)");
    }
    // Straight to stderr: the test harness captures `eprintln!` of a passing test, and a
    // skip must be seen.
    let rule = "=".repeat(78);
    let _ = writeln!(
        std::io::stderr(),
        "\n{rule}\nSKIPPED: {test}: {why}\n  (the test passes without running; TCPFSM_REQUIRE_TOOLS=1 makes this a \
         failure)\n{rule}"
    );
    false
}

/// Chromium's command (`chromium` or `chromium-browser`), or None after the skip banner.
pub fn chromium(test: &str) -> Option<&'static str> {
    let found = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| runs(c, "--version"));
    let why = "chromium not found on PATH; install with `apt-get install chromium`";
    decide(test, found.is_none().then_some(why), required())
        .then_some(found)
        .flatten()
}

/// Whether Graphviz's `dot` runs (else the skip banner).
pub fn graphviz(test: &str) -> bool {
    let why = "Graphviz `dot` not found on PATH; install with `apt-get install graphviz`";
    decide(test, (!runs("dot", "-V")).then_some(why), required())
}

/// Whether tmux runs (else the skip banner).
pub fn tmux(test: &str) -> bool {
    let why = "tmux not found on PATH; install with `apt-get install tmux`";
    decide(test, (!runs("tmux", "-V")).then_some(why), required())
}

/// Whether the file `what` names exists (else the skip banner, with `install`).
pub fn file(test: &str, what: &str, path: &std::path::Path, install: &str) -> bool {
    let why = format!(
        "{what} not found at {}; install with `{install}`",
        path.display()
    );
    decide(test, (!path.exists()).then_some(why.as_str()), required())
}
