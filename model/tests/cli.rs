//! The `model` binary: `table` output, formats and errors.

use std::process::Command;

fn model(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_model"))
        .args(args)
        .output()
        .expect("run model");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn table_json_has_stable_field_names_and_every_row() {
    let (code, stdout, _) = model(&["table", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["profile"], "rfc9293");
    assert_eq!(v["broken"], false);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), model::Table::rfc9293().rows().len());
    let syn = rows
        .iter()
        .find(|r| r["from"] == "LISTEN" && r["event"] == "syn")
        .unwrap();
    assert_eq!(syn["to"], "SYN_RECEIVED");
    assert_eq!(syn["classic"], true);
    assert_eq!(syn["rfc"], "§3.10.7.2");
    assert_eq!(syn["actions"][1], "hold_text");
    assert_eq!(syn["actions"][3]["emit"], "syn_ack");
    let mut keys: Vec<&str> = syn
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "actions", "classic", "event", "from", "guard", "id", "label", "rfc", "to"
        ]
    );
}

#[test]
fn a_mutant_profile_is_marked_broken() {
    let (code, stdout, _) = model(&["table", "--profile", "no-time-wait", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["broken"], true);
}

#[test]
fn an_unknown_profile_is_a_clear_error_with_exit_code_2() {
    let (code, stdout, stderr) = model(&["table", "--profile", "rfc9999"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("unknown profile `rfc9999`"), "{stderr}");
    assert!(stderr.contains("rfc1337"), "lists the known ones: {stderr}");
}

#[test]
fn an_empty_profile_list_or_name_is_an_error_not_the_default() {
    for (args, message) in [
        (&["table", "--profile", ""][..], "no profile given"),
        (
            &["table", "--profile", "rfc1337,,"][..],
            "empty profile name in `rfc1337,,`",
        ),
        // The error quotes what the user typed, not the guards' layers around it.
        (&["check", "--profile", ""][..], "no profile given"),
        (
            &["check", "--profile", ",rfc793"][..],
            "empty profile name in `,rfc793`",
        ),
    ] {
        let (code, _, stderr) = model(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[test]
fn a_bad_format_is_rejected_by_the_argument_parser() {
    let (code, _, stderr) = model(&["table", "--format", "xml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid value 'xml'"), "{stderr}");
}

#[test]
fn markdown_table_of_rfc9293() {
    let (code, stdout, _) = model(&["table"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(stdout);
}

#[test]
fn check_json_reports_every_property_and_exits_0_when_all_hold() {
    let (code, stdout, _) = model(&[
        "check",
        "--incarnations",
        "1",
        "--drops",
        "0",
        "--scenario",
        "both-active",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let props = v["properties"].as_array().unwrap();
    let names: Vec<&str> = props.iter().map(|p| p["name"].as_str().unwrap()).collect();
    for name in [
        "no-stale-segment-accepted",
        "isns-agree",
        "eventually-settled",
        "reach-CLOSING",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert!(v["unique_states"].as_u64().unwrap() > 0);
    assert_eq!(v["complete"], true);
    // Two active opens cannot reach LISTEN: reported as a failing reachability property.
    let listen = props.iter().find(|p| p["name"] == "reach-LISTEN").unwrap();
    assert_eq!(listen["verdict"], "never_reached");
    assert_eq!(code, 1);
}

#[test]
fn check_prints_a_counterexample_as_a_message_sequence_and_exits_1() {
    let (code, stdout, _) = model(&["check", "--profile", "two-way-handshake"]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("synchronized-after-syn-acked       FAILS"),
        "{stdout}"
    );
    assert!(stdout.contains("A -> B  SYN seq=0  delivered"), "{stdout}");
    assert!(stdout.contains("B ESTABLISHED"), "{stdout}");
}

#[test]
fn check_stopped_by_a_limit_is_incomplete_with_exit_code_2() {
    let (code, stdout, _) = model(&["check", "--max-states", "50"]);
    assert_eq!(code, 2);
    assert!(stdout.contains("INCOMPLETE"), "{stdout}");
}

#[test]
fn check_refuses_bad_options_clearly() {
    let (code, _, stderr) = model(&["check", "--seq-space", "3"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("sequence space 3 is out of range"),
        "{stderr}"
    );
    let (code, _, stderr) = model(&["check", "--without", "tme-wait"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid value 'tme-wait'"), "{stderr}");
    let (code, _, stderr) = model(&["check", "--incarnations", "9"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--incarnations must be between 1 and 4"),
        "{stderr}"
    );
}

#[test]
fn a_zero_rto_and_a_nan_time_limit_are_refused() {
    for args in [
        &["check", "--rto", "0"][..],
        &["check", "--max-seconds", "NaN"],
        &["check", "--max-seconds=-1"],
        &["check", "--max-seconds", "inf"],
    ] {
        let (code, stdout, err) = model(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("invalid value"), "{args:?}: {err}");
        assert!(stdout.is_empty(), "{args:?} ran a check");
    }
}

/// Random argument vectors, drawn from the real options and values plus junk (long
/// strings, control bytes, invalid UTF-8), never crash `model`: the exit code is 0, 1 or 2.
/// Every `check` is bounded so no run can grow: `--max-states 2000`.
#[test]
fn random_arguments_never_crash_the_model_binary() {
    use proptest::prelude::*;
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let words: Vec<&str> = vec![
        "table",
        "check",
        "explore",
        "--profile",
        "rfc1337",
        "",
        ",",
        "no-time-wait",
        "--format",
        "json",
        "markdown",
        "text",
        "--list-profiles",
        "--msl",
        "0",
        "1",
        "3",
        "-1",
        "4294967296",
        "NaN",
        "inf",
        "--time-wait",
        "--incarnations",
        "9",
        "--seq-space",
        "3",
        "--drops",
        "--dups",
        "--aborts",
        "--crashes",
        "--rto",
        "--isn",
        "ideal",
        "clock",
        "--isn-rate",
        "64",
        "--without",
        "time-wait,rfc1337",
        "quiet-time",
        "--sweep",
        "rto",
        "time-wait",
        "--sweep-max",
        "999999",
        "--threads",
        "0",
        "--property",
        "clean-close",
        "nope",
        "--max-memory",
        "1K",
        "0G",
        "12X",
        "--max-seconds",
        "--scenario",
        "any",
        "--no-symmetry",
        "--all",
        "-v",
        "--help",
    ];
    let config = ProptestConfig {
        cases: 150,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let runs = std::sync::atomic::AtomicUsize::new(0);
    proptest!(config, |(picks in prop::collection::vec((0..words.len() + 3, any::<u8>()), 0..8))| {
        let mut args: Vec<OsString> = picks
            .iter()
            .map(|&(i, b)| match i.checked_sub(words.len()) {
                None => OsString::from(words[i]),
                Some(0) => OsString::from("x".repeat(70_000)),
                // (argv cannot hold a NUL byte: the nearest controls instead)
                Some(1) => OsString::from_vec(vec![b'-', 1, b.max(1)]),
                Some(_) => OsString::from_vec(vec![0xff, 0xfe, b.max(1)]),
            })
            .collect();
        if args.first().is_some_and(|a| a == "check" || a == "explore") {
            // Bounded, and never a server that waits for a browser.
            args[0] = "check".into();
            args.extend(["--max-states", "2000", "--no-liveness"].map(OsString::from));
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_model"))
            .args(&args)
            .output()
            .unwrap();
        runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let code = out.status.code();
        prop_assert!(
            matches!(code, Some(0..=2)),
            "{args:?}: exit {code:?}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    eprintln!(
        "random_arguments_never_crash_the_model_binary: {} command lines",
        runs.into_inner()
    );
}

#[test]
fn disk_runs_refuse_liveness_exact_and_a_missing_directory_with_exit_code_2() {
    let tmp = std::env::temp_dir();
    let dir = tmp.to_str().unwrap();
    for (args, why) in [
        (vec!["check", "--disk", dir], "--no-liveness"),
        (
            vec!["check", "--disk", dir, "--no-liveness", "--exact"],
            "--exact",
        ),
        (
            vec!["check", "--disk", "/nonexistent/tcpfsm", "--no-liveness"],
            "existing directory",
        ),
        (
            vec!["check", "--disk", "/proc", "--no-liveness"],
            "can write",
        ),
    ] {
        let (code, _, err) = model(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(why), "{args:?}: {err}");
    }
}

#[test]
fn a_disk_run_completes_and_leaves_no_file_behind() {
    let dir = std::env::temp_dir().join(format!("tcpfsm-cli-disk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (code, out, err) = model(&[
        "check",
        "--incarnations",
        "1",
        "--no-liveness",
        "--disk",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("no-stale-segment-accepted          holds"),
        "{out}"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

/// A `--disk` run whose files cannot grow (a full disk, here a file-size limit) stops
/// cleanly: exit 2, INCOMPLETE with the error, no panic, no file left behind.
#[test]
fn a_disk_run_that_runs_out_of_space_stops_incomplete_with_exit_code_2() {
    use std::os::unix::process::CommandExt;
    let dir = std::env::temp_dir().join(format!("tcpfsm-cli-full-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_model"));
    cmd.args(["check", "--no-liveness", "--threads", "2", "--disk"])
        .arg(&dir);
    // SAFETY: between fork and exec, only async-signal-safe calls: a write past the limit
    // then fails with EFBIG (as a full disk fails with ENOSPC) instead of raising SIGXFSZ.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 256 << 10,
                rlim_max: 256 << 10,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().expect("run model");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stdout.contains("INCOMPLETE: --disk failed (writing ") && stdout.contains("File too large"),
        "{stdout}"
    );
    assert!(stdout.contains("unknown (incomplete run)"), "{stdout}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn a_thread_count_outside_1_to_1024_is_refused() {
    for n in ["0", "1025", "two"] {
        let (code, _, err) = model(&["check", "--threads", n]);
        assert_eq!(code, 2, "--threads {n}");
        assert!(err.contains("thread count"), "{err}");
    }
}

#[test]
fn retransmits_takes_a_count_or_infinite_and_refuses_anything_else() {
    for bad in ["255", "256", "forever"] {
        let (code, _, err) = model(&["check", "--retransmits", bad]);
        assert_eq!(code, 2, "--retransmits {bad}");
        assert!(err.contains("0 to 254, or `infinite`"), "{err}");
    }
    let (code, out, err) = model(&[
        "check",
        "--retransmits",
        "infinite",
        "--incarnations",
        "1",
        "--no-liveness",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("retransmissions without end (R2 = infinity)"),
        "{out}"
    );
}

#[test]
fn table_diff_lists_linux_rows_and_parameters_with_their_sources() {
    let (code, stdout, stderr) = model(&["table", "--diff", "rfc9293", "linux"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
}

#[test]
fn table_diff_json_names_each_change_and_its_source() {
    let (code, stdout, _) = model(&["table", "--diff", "rfc9293", "freebsd", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["from"], "rfc9293");
    assert_eq!(v["to"], "freebsd");
    let rows = v["rows"].as_array().unwrap();
    let abort = rows
        .iter()
        .find(|r| r["state"] == "ESTABLISHED" && r["event"] == "abort")
        .expect("ABORT in ESTABLISHED differs");
    assert_eq!(abort["kind"], "replaced");
    assert_eq!(abort["after"][0]["actions"][0]["emit"], "rst_ack");
    assert!(
        abort["after"][0]["rfc"]
            .as_str()
            .unwrap()
            .contains("tcp_drop()")
    );
    assert!(
        abort["after"][0]["id"].as_u64().unwrap() >= 10_000,
        "freebsd's block"
    );
    let params = v["params"].as_array().unwrap();
    let msl = params.iter().find(|p| p["name"] == "msl").unwrap();
    assert_eq!(msl["after"], "30 s");
    assert_eq!(msl["timing"], true);
    assert!(msl["source"].as_str().unwrap().contains("net.inet.tcp.msl"));
    // Every change says where it comes from.
    for p in params {
        assert!(!p["source"].as_str().unwrap().is_empty(), "{p}");
    }
}

#[test]
fn table_diff_of_a_profile_with_itself_is_empty_and_a_bad_spec_exits_2() {
    let (code, stdout, _) = model(&["table", "--diff", "linux", "linux"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("## Rows: 0 (state, event) pairs differ"),
        "{stdout}"
    );
    assert!(stdout.contains("## Parameters: 0 differ"), "{stdout}");
    let (code, stdout, stderr) = model(&["table", "--diff", "rfc9293", "linux,,"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("empty profile name"), "{stderr}");
    let (code, _, stderr) = model(&["table", "--diff", "rfc9293"]);
    assert_eq!(code, 2, "{stderr}");
}
