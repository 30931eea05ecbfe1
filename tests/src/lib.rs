//! Cross-crate tests live in `tests/tests/`; this is what several of them share.

use std::path::Path;
use std::process::Command;

pub mod tools;

/// Loads `page` (an HTML file) in headless Chromium (`chromium`, from [`tools::chromium`]), lets its scripts run for up to
/// `budget_ms` of virtual time, and returns the text of its `<pre id="out">`, where the
/// page writes its results (one per line, HTML entities decoded).
pub fn run_page_in_chromium(chromium: &str, page: &Path, budget_ms: u32) -> String {
    let profile = page.with_extension("profile");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
            &format!("--user-data-dir={}", profile.display()),
            &format!("--virtual-time-budget={budget_ms}"),
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .output()
        .expect("chromium is installed (.ci/run installs the Debian package)");
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&out.stdout);
    let open = "<pre id=\"out\">";
    let start = dom.find(open).expect("the page ran") + open.len();
    let end = dom[start..].find("</pre>").expect("the page's results") + start;
    dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// A fresh directory under the system's temporary one, for one test's files.
pub fn scratch(name: &str) -> std::path::PathBuf {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("tcpfsm-{name}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

#[cfg(test)]
mod unit {
    use super::tools::decide;

    #[test]
    fn a_present_tool_runs_the_test() {
        assert!(decide("t", None, false));
        assert!(decide("t", None, true));
    }

    #[test]
    fn a_missing_tool_skips_the_test() {
        assert!(!decide(
            "(a unit test of the skip: no test is skipped)",
            Some("nothing on PATH"),
            false
        ));
    }

    #[test]
    #[should_panic(expected = "t: nothing on PATH (TCPFSM_REQUIRE_TOOLS=1")]
    fn a_missing_tool_fails_the_test_when_tools_are_required() {
        decide("t", Some("nothing on PATH"), true);
    }
}
