//! `interpreter diff`: the model and the kernel on the same script, and where they part.
//!
//! The comparison itself is tested without privileges (two model runs under different
//! profiles stand in for the two stacks). The command's tests need root and /dev/net/tun:
//! without them each says so loudly and passes; with `TCPFSM_REQUIRE_TOOLS=1` they fail.

#[path = "../../tests/src/tools.rs"]
mod tools;

use interpreter::diff::{compare, summary};
use interpreter::run::run_source;
use interpreter::session::Options;
use std::process::{Command, Output};

/// Whether the kernel side can run here (else the skip banner, or a failure when required).
#[track_caller]
fn kernel_available(test: &str) -> bool {
    let why = interpreter::live::check_privileges().err().map(|e| {
        format!("no network namespace and tun device ({e}); run as root with /dev/net/tun")
    });
    tools::decide(test, why.as_deref(), tools::required())
}

#[track_caller]
fn diff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_interpreter"))
        .arg("diff")
        .args(args)
        .output()
        .expect("runs the interpreter")
}

fn corpus(name: &str) -> String {
    format!("{}/../tests/scripts/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[track_caller]
fn run_with(source: &str, profile: &str) -> interpreter::run::Run {
    let mut opts = Options::default();
    opts.set("profile", profile).expect("a known profile");
    run_source("t.pkt", source, &opts).expect("runs")
}

const ACTIVE_CLOSE: &str = "\
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 0:0(0) win 65535
+0  > S. 0:0(0) ack 1
+.1 < . 1:1(0) ack 1 win 65535
+0  accept(3, ..., ...) = 4
+0  close(4) = 0
+0  > F. 1:1(0) ack 1
+.1 < . 1:1(0) ack 2 win 65535
+.1 < F. 1:1(0) ack 2 win 65535
+0  > . 2:2(0) ack 2
+0  state TIME_WAIT
";

#[test]
fn two_runs_that_pass_agree() {
    let a = run_with(ACTIVE_CLOSE, "rfc9293");
    let b = run_with(ACTIVE_CLOSE, "rfc9293");
    let d = compare(ACTIVE_CLOSE, a, b);
    assert!(d.agree && d.difference.is_none(), "{}", d.text());
    assert_eq!(d.exit_code(), 0);
    assert!(d.text().contains("AGREE (both pass)"), "{}", d.text());
}

#[test]
fn the_first_difference_is_the_line_where_one_run_departs_with_what_each_did_and_the_row() {
    // Without TIME-WAIT the connection is CLOSED where the script asserts TIME_WAIT.
    let model = run_with(ACTIVE_CLOSE, "rfc9293");
    let other = run_with(ACTIVE_CLOSE, "no-time-wait");
    let d = compare(ACTIVE_CLOSE, model, other);
    assert!(!d.agree);
    assert_eq!(d.exit_code(), 1);
    let x = d.difference.as_ref().expect("a difference");
    assert_eq!(x.line, 13);
    assert_eq!(x.statement, "+0  state TIME_WAIT");
    assert_eq!(x.model.verdict, "pass");
    assert_eq!(x.model.did, "in TIME-WAIT");
    assert!(x.kernel.did.contains("CLOSED"), "{:?}", x.kernel);
    // The row that took the model there: the peer's FIN in FIN-WAIT-2.
    assert!(
        x.rows.iter().any(|r| r.contains("FIN-WAIT-2 -> TIME-WAIT")),
        "{:?}",
        x.rows
    );
    let table = summary(&[d]);
    assert!(
        table.contains("1 script(s): 0 agree, 1 differ, 0 cut short, 0 bad"),
        "{table}"
    );
}

#[test]
fn a_segment_the_model_sent_is_shown_as_sent_where_the_other_sent_another() {
    let source = ACTIVE_CLOSE.replace("+0  state TIME_WAIT\n", "");
    let model = run_with(&source, "rfc9293");
    // The same script expecting the other FIN: the "kernel" here departs at line 9.
    let mut other = run_with(
        &source.replace("> F. 1:1(0) ack 1", "> F. 5:5(0) ack 1"),
        "rfc9293",
    );
    other.script = model.script.clone();
    let d = compare(&source, model, other);
    let x = d.difference.expect("a difference");
    assert_eq!(x.line, 9);
    assert!(
        x.model.did.starts_with("sent F. 1:1(0) ack 1"),
        "{:?}",
        x.model
    );
    assert!(x.kernel.did.contains("sequence number"), "{:?}", x.kernel);
}

#[test]
fn a_kernel_run_cut_at_max_seconds_is_not_a_difference_nor_an_agreement() {
    let model = run_with(ACTIVE_CLOSE, "rfc9293");
    let mut kernel = model.clone();
    let mut failure = match &run_with(ACTIVE_CLOSE, "no-time-wait").verdict {
        interpreter::run::Verdict::Fail { failure } => failure.clone(),
        v => panic!("the other profile departs: {v:?}"),
    };
    failure.message = format!(
        "{} 240 s of real time (live --max-seconds 20): not run further",
        interpreter::engine::PAST_REAL_TIME_LIMIT
    );
    kernel.verdict = interpreter::run::Verdict::Fail { failure };
    let d = compare(ACTIVE_CLOSE, model, kernel);
    assert!(d.cut_short && !d.agree && d.difference.is_none());
    assert_eq!(d.exit_code(), 1);
    assert!(d.text().contains("CUT SHORT"), "{}", d.text());
    assert!(summary(&[d]).contains("0 agree, 0 differ, 1 cut short"));
}

#[test]
fn diff_of_a_missing_file_or_without_privileges_exits_2() {
    let out = diff(&["/nonexistent/script.pkt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error"));
}

#[test]
fn diff_of_a_script_the_kernel_agrees_with_exits_0_and_says_agree() {
    if !kernel_available("diff_of_a_script_the_kernel_agrees_with_exits_0_and_says_agree") {
        return;
    }
    let out = diff(&[&corpus("closed-port.pkt"), &corpus("connect-refused.pkt")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches("AGREE (both pass)").count(), 2, "{stdout}");
    assert!(
        stdout.contains("2 script(s): 2 agree, 0 differ, 0 cut short, 0 bad"),
        "{stdout}"
    );
}

#[test]
fn diff_names_the_line_where_the_kernel_departs_what_each_did_and_the_models_row() {
    if !kernel_available(
        "diff_names_the_line_where_the_kernel_departs_what_each_did_and_the_models_row",
    ) {
        return;
    }
    // A write of two segments: the model sets PSH on both (as packetdrill sees Linux's
    // GSO packets); on the wire Linux's first segment has none (tcp_gso_segment()).
    let out = diff(&[
        "--format",
        "json",
        &corpus("linux/push-on-last-segment.pkt"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["format"], "tcpfsm-diff");
    let d = &doc["diffs"][0];
    assert_eq!(d["agree"], false);
    let x = &d["difference"];
    assert_eq!(x["line"], 15);
    assert!(
        x["model"]["did"]
            .as_str()
            .is_some_and(|m| m.starts_with("sent P. 1:537(536)")),
        "{x}"
    );
    assert!(
        x["kernel"]["did"]
            .as_str()
            .is_some_and(|k| k.contains("the segment sent differs")),
        "{x}"
    );
    assert!(
        x["rows"][0].as_str().is_some_and(|r| r.starts_with("row ")),
        "{x}"
    );
}

#[test]
fn diff_holds_the_model_to_the_linux_profiles_parameters_by_default() {
    if !kernel_available("diff_holds_the_model_to_the_linux_profiles_parameters_by_default") {
        return;
    }
    // No --profile: the model runs under `linux`, its rows and its parameters. The SYN's
    // options are a parameter (Linux's tcp_syn_options()), not a row, so a profile set by
    // name alone would still send RFC 9293's bare <mss 1460>.
    let script = corpus("linux/blocking-write-waits-for-the-handshake.pkt");
    let out = diff(&["--format", "json", &script]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let d = &doc["diffs"][0];
    assert_eq!(d["profile"], "linux", "{d}");
    let syn = d["runs"][0]["transcript"]
        .as_array()
        .expect("a transcript")
        .iter()
        .flat_map(|e| e["steps"].as_array().into_iter().flatten())
        .flat_map(|s| s["sent"].as_array().into_iter().flatten())
        .find(|seg| seg["flags"] == "S")
        .expect("the model sent a SYN")
        .clone();
    let opts = &syn["live"]["opts"];
    assert_eq!(opts["sack_permitted"], true, "{syn}");
    assert_eq!(opts["wscale"], 7, "{syn}");
    assert!(opts["timestamps"].is_array(), "{syn}");
}

#[test]
fn diff_of_a_bad_script_exits_2_without_running_the_kernel() {
    if !kernel_available("diff_of_a_bad_script_exits_2_without_running_the_kernel") {
        return;
    }
    let path = std::env::temp_dir().join(format!("tcpfsm-diff-bad-{}.pkt", std::process::id()));
    std::fs::write(&path, "0 frobnicate(3) = 0\n").expect("writes");
    let out = diff(&[path.to_str().expect("utf-8")]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("BAD SCRIPT"));
}
