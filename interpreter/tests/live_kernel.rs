//! The kernel side of `interpreter live`, on its own: a private namespace, a tun device,
//! the kernel's own SYN read from it and the peer's segments written to it.
//!
//! These tests need root (a network namespace) and /dev/net/tun. Without them each says
//! so loudly and passes; with `TCPFSM_REQUIRE_TOOLS=1` they fail instead.

#[path = "../../tests/src/tools.rs"]
mod tools;

use interpreter::live::packet::{self, Addr, Opt};
use interpreter::live::sysctl::Sysctl;
use interpreter::live::{
    self, LOCAL, PORT, REMOTE, REMOTE_PORT, kernel, netns, sniff::Sniffer, tun::Tun,
};
use interpreter::session::Options;
use model::{Flags, Segment, State, TcpOptions};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// Whether the kernel side can run here (else the skip banner, or a failure when required).
#[track_caller]
fn kernel_available(test: &str) -> bool {
    let why = live::check_privileges().err().map(|e| {
        format!("no network namespace and tun device ({e}); run as root with /dev/net/tun")
    });
    tools::decide(test, why.as_deref(), tools::required())
}

/// The next TCP segment the kernel sends through the tun, within a second.
#[track_caller]
fn next_segment(tun: &Tun) -> packet::Parsed {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        if let Some(bytes) = tun.recv().expect("reads the tun") {
            match packet::parse(&bytes) {
                Ok(p) => return p,
                Err(e) if e.is_other_traffic() => continue,
                Err(e) => panic!("the kernel sent a packet we cannot read: {e}"),
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "the kernel sent nothing within a second");
        tun.wait(left).expect("polls the tun");
    }
}

#[test]
fn the_kernels_syn_is_read_from_the_tun_and_a_syn_ack_completes_its_connect() {
    if !kernel_available("the_kernels_syn_is_read_from_the_tun_and_a_syn_ack_completes_its_connect")
    {
        return;
    }
    let result = netns::in_private_netns(|| {
        let tun = Tun::open(live::TUN_NAME, LOCAL, REMOTE).expect("tun");
        let s = kernel::socket().expect("socket");
        let fd = s.as_raw_fd();
        assert_eq!(
            kernel::connect(fd),
            Err(interpreter::syscall::Errno::EINPROGRESS)
        );
        let syn = next_segment(&tun);
        assert_eq!(syn.seg.flags, Flags::SYN);
        assert_eq!(
            (syn.from.ip, syn.to),
            (
                LOCAL,
                Addr {
                    ip: REMOTE,
                    port: PORT
                }
            )
        );
        // Linux offers mss, sackOK, TS and wscale on its SYN.
        assert!(syn.seg.opts.mss.is_some() && syn.seg.opts.sack_permitted);
        assert!(syn.seg.opts.timestamps.is_some() && syn.seg.opts.wscale.is_some());
        assert_eq!(kernel::tcp_state(fd), Ok(State::SynSent));
        let syn_ack = Segment {
            seq: 1000,
            ack: syn.seg.seq.wrapping_add(1),
            flags: Flags::SYN | Flags::ACK,
            wnd: 65535,
            len: 0,
            opts: TcpOptions {
                mss: Some(1460),
                ..TcpOptions::NONE
            },
        };
        let bytes = packet::build(syn.to, syn.from, &syn_ack, &[Opt::Mss(1460)]).expect("builds");
        tun.send(&bytes).expect("injects");
        let ack = next_segment(&tun);
        assert_eq!(ack.seg.flags, Flags::ACK);
        assert_eq!(
            (ack.seg.seq, ack.seg.ack),
            (syn.seg.seq.wrapping_add(1), 1001)
        );
        assert_eq!(kernel::connect_done(fd), Ok(0));
        assert_eq!(kernel::tcp_state(fd), Ok(State::Established));
        // Text goes out as one segment of the length written.
        assert_eq!(kernel::write(fd, 100, false), Ok(100));
        let data = next_segment(&tun);
        assert_eq!(
            (data.seg.len, data.seg.flags),
            (100, Flags::PSH | Flags::ACK)
        );
        let states: Vec<State> = kernel::diag()
            .expect("sock_diag")
            .iter()
            .map(|d| d.state)
            .collect();
        assert_eq!(states, [State::Established]);
    });
    result.expect("the namespace");
}

#[test]
fn a_syn_written_to_the_tun_reaches_a_listener_that_answers_syn_ack() {
    if !kernel_available("a_syn_written_to_the_tun_reaches_a_listener_that_answers_syn_ack") {
        return;
    }
    netns::in_private_netns(|| {
        let tun = Tun::open(live::TUN_NAME, LOCAL, REMOTE).expect("tun");
        let l = kernel::socket().expect("socket");
        assert_eq!(kernel::bind(l.as_raw_fd()), Ok(0));
        assert_eq!(kernel::listen(l.as_raw_fd(), 1), Ok(0));
        let peer = Addr {
            ip: REMOTE,
            port: REMOTE_PORT,
        };
        let us = Addr {
            ip: LOCAL,
            port: PORT,
        };
        let syn = Segment::control(Flags::SYN, 0, 0, 65535);
        tun.send(&packet::build(peer, us, &syn, &[]).expect("builds"))
            .expect("injects");
        let syn_ack = next_segment(&tun);
        assert_eq!(syn_ack.seg.flags, Flags::SYN | Flags::ACK);
        assert_eq!(syn_ack.seg.ack, 1);
        // No MSS option from the peer: nothing but the MSS is offered back... by RFC; Linux
        // still answers with its own MSS.
        assert!(syn_ack.seg.opts.mss.is_some());
        let ack = Segment::control(Flags::ACK, 1, syn_ack.seg.seq.wrapping_add(1), 65535);
        tun.send(&packet::build(peer, us, &ack, &[]).expect("builds"))
            .expect("injects");
        let deadline = Instant::now() + Duration::from_secs(1);
        let conn = loop {
            match kernel::accept(l.as_raw_fd()) {
                Ok(c) => break c,
                Err(e) if e == interpreter::syscall::Errno::EAGAIN && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(1))
                }
                Err(e) => panic!("accept: {e}"),
            }
        };
        assert_eq!(kernel::tcp_state(conn.as_raw_fd()), Ok(State::Established));
        let mut states: Vec<State> = kernel::diag()
            .expect("sock_diag")
            .iter()
            .map(|d| d.state)
            .collect();
        states.sort();
        assert_eq!(states, [State::Listen, State::Established]);
    })
    .expect("the namespace");
}

#[test]
fn the_hosts_network_is_not_touched() {
    if !kernel_available("the_hosts_network_is_not_touched") {
        return;
    }
    let before = std::fs::read_to_string("/proc/net/dev").expect("reads /proc/net/dev");
    netns::in_private_netns(|| {
        let _tun = Tun::open(live::TUN_NAME, LOCAL, REMOTE).expect("tun");
        let inside = std::fs::read_to_string("/proc/thread-self/net/dev").expect("reads");
        assert!(inside.contains("tun0:"), "{inside}");
    })
    .expect("the namespace");
    let after = std::fs::read_to_string("/proc/net/dev").expect("reads /proc/net/dev");
    let names = |s: &str| -> Vec<String> {
        s.lines()
            .skip(2)
            .filter_map(|l| l.split(':').next())
            .map(|n| n.trim().to_string())
            .collect()
    };
    assert_eq!(names(&before), names(&after));
    assert!(!names(&after).contains(&"tun0".to_string()));
}

#[test]
fn interpreter_live_runs_a_corpus_script_against_the_kernel_and_it_agrees() {
    if !kernel_available("interpreter_live_runs_a_corpus_script_against_the_kernel_and_it_agrees") {
        return;
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_interpreter"))
        .args(["live", "--format", "summary"])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/scripts/closed-port.pkt"
        ))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/scripts/connect-refused.pkt"
        ))
        .output()
        .expect("runs the interpreter");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("PASS")).count(),
        2,
        "{stdout}"
    );
    // Run at once (`--jobs`, four a core by default), reported in the files' order.
    let names: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.rsplit('/').next())
        .collect();
    assert_eq!(
        names,
        ["closed-port.pkt", "connect-refused.pkt"],
        "{stdout}"
    );
}

#[test]
fn a_live_transcript_names_the_kernel_and_shows_what_it_sent() {
    if !kernel_available("a_live_transcript_names_the_kernel_and_shows_what_it_sent") {
        return;
    }
    let source = "0 < S 100:100(0) win 65535\n+0 > R. 0:0(0) ack 101\n+0 state CLOSED\n";
    let run =
        live::run_source("t.pkt", source, &interpreter::session::Options::default()).expect("runs");
    let text = interpreter::run::transcript(&run);
    assert!(text.contains("(live)"), "{text}");
    assert!(text.contains("> R. 0:0(0) ack 101  (matched)"), "{text}");
    assert!(text.ends_with("PASS\n"), "{text}");
}

/// `tests/scripts/linux/*.pkt` under `diff --profile linux`: each script's first line says
/// what the kernel does, and it must: `// kernel: agrees` agrees (both pass), `// kernel:
/// differs at line N (class)` differs there, the model passing (the class is still
/// there, as the README's table says).
#[test]
fn the_linux_corpus_runs_live_as_each_script_says() {
    if !kernel_available("the_linux_corpus_runs_live_as_each_script_says") {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scripts/linux");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/scripts/linux")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pkt"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_interpreter"))
        .args(["diff", "--profile", "linux", "--format", "json"])
        .args(&files)
        .output()
        .expect("runs the interpreter");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let diffs = doc["diffs"].as_array().expect("a diff per script");
    assert_eq!(diffs.len(), files.len());
    let mut wrong = Vec::new();
    for (path, d) in files.iter().zip(diffs) {
        let first = std::fs::read_to_string(path)
            .expect("script")
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        let ok = if first == "// kernel: agrees" {
            d["agree"] == true
        } else if let Some(rest) = first.strip_prefix("// kernel: differs at line ") {
            let line: u64 = rest
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            d["agree"] == false
                && d["model_verdict"] == "pass"
                && d["difference"]["line"].as_u64() == Some(line)
        } else {
            false
        };
        if !ok {
            wrong.push(format!(
                "{}: says `{first}`, but: {}",
                path.display(),
                d["difference"]
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the linux corpus took {:?} live",
        started.elapsed()
    );
}

/// A passive open whose SYN,ACK must offer window scale `shift` (Linux derives it from
/// `tcp_rmem`'s maximum in `tcp_select_initial_window()`).
fn syn_ack_offers_wscale(shift: u8) -> String {
    format!(
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
         +0 bind(3, ..., ...) = 0\n\
         +0 listen(3, 1) = 0\n\
         +0 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>\n\
         +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale {shift}>\n"
    )
}

#[test]
fn a_sysctl_is_set_in_the_scripts_namespace_and_never_on_the_host() {
    if !kernel_available("a_sysctl_is_set_in_the_scripts_namespace_and_never_on_the_host") {
        return;
    }
    let host = || std::fs::read_to_string("/proc/sys/net/ipv4/tcp_rmem").expect("host tcp_rmem");
    let before = host();
    // Linux's default maximum (6 MB) gives a shift of 7; packetdrill's (15 MB) one of 8.
    for (max, shift) in [(6_291_456, 7), (15_728_640, 8)] {
        let opts = Options {
            sysctls: vec![
                Sysctl::parse(&format!("net.ipv4.tcp_rmem=4096 131072 {max}")).expect("valid"),
            ],
            ..Options::default()
        };
        let run = live::run_source("t.pkt", &syn_ack_offers_wscale(shift), &opts).expect("runs");
        let text = interpreter::run::transcript(&run);
        assert!(text.ends_with("PASS\n"), "tcp_rmem max {max}: {text}");
    }
    assert_eq!(host(), before, "the host's tcp_rmem changed");
}

#[test]
fn packetdrill_defaults_give_the_window_scale_its_scripts_expect() {
    if !kernel_available("packetdrill_defaults_give_the_window_scale_its_scripts_expect") {
        return;
    }
    let opts = Options {
        packetdrill_defaults: true,
        ..Options::default()
    };
    let run = live::run_source("t.pkt", &syn_ack_offers_wscale(8), &opts).expect("runs");
    let text = interpreter::run::transcript(&run);
    assert!(text.ends_with("PASS\n"), "{text}");
}

#[test]
fn a_refused_sysctl_fails_the_set_up_before_the_script_runs() {
    if !kernel_available("a_refused_sysctl_fails_the_set_up_before_the_script_runs") {
        return;
    }
    // An allowed name the kernel does not have.
    let opts = Options {
        sysctls: vec![Sysctl::parse("net.ipv4.tcp_no_such_setting=1").expect("well formed")],
        ..Options::default()
    };
    let err = live::run_source(
        "t.pkt",
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
        &opts,
    )
    .expect_err("the set-up fails");
    assert!(
        err.to_string().contains("net.ipv4.tcp_no_such_setting"),
        "{err}"
    );
}

#[test]
fn live_refuses_a_sysctl_outside_tcp_and_core_before_anything_runs() {
    // No privileges needed: the name is checked before any namespace is made.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_interpreter"))
        .args([
            "live",
            "--sysctl",
            "kernel.core_pattern=x",
            "no-such-file.pkt",
        ])
        .output()
        .expect("runs the interpreter");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("kernel.core_pattern") && stderr.contains("not allowed"),
        "{stderr}"
    );
}

#[test]
fn a_null_buffer_goes_to_the_kernel_which_answers_efault() {
    if !kernel_available("a_null_buffer_goes_to_the_kernel_which_answers_efault") {
        return;
    }
    let source = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
                  +0 bind(3, ..., ...) = 0\n\
                  +0 listen(3, 1) = 0\n\
                  +0 < S 0:0(0) win 65535 <mss 1460>\n\
                  +0 > S. 0:0(0) ack 1 <mss 1460>\n\
                  +0 < . 1:1(0) ack 1 win 65535\n\
                  +0 accept(3, ..., ...) = 4\n\
                  +0 write(4, NULL, 1000) = -1 EFAULT (Bad address)\n\
                  +0 < P. 1:1001(1000) ack 1 win 65535\n\
                  +0 > . 1:1(0) ack 1001\n\
                  +0 read(4, NULL, 1000) = -1 EFAULT (Bad address)\n\
                  +0 read(4, ..., 1000) = 1000\n";
    let run = live::run_source("t.pkt", source, &Options::default()).expect("runs");
    let text = interpreter::run::transcript(&run);
    assert!(text.ends_with("PASS\n"), "{text}");
}

#[test]
fn a_segments_time_is_when_the_kernel_sent_it_not_when_it_was_read() {
    if !kernel_available("a_segments_time_is_when_the_kernel_sent_it_not_when_it_was_read") {
        return;
    }
    netns::in_private_netns(|| {
        let tun = Tun::open(live::TUN_NAME, LOCAL, REMOTE).expect("tun");
        let sniff = Sniffer::open(live::TUN_NAME).expect("packet socket");
        let peer = Addr {
            ip: REMOTE,
            port: REMOTE_PORT,
        };
        let nobody = Addr { ip: LOCAL, port: 9 };
        let rst = packet::build(peer, nobody, &Segment::control(Flags::RST, 0, 0, 0), &[])
            .expect("builds");
        assert!(
            sniff.wait_for_stamps(|| tun.send(&rst)).expect("probes"),
            "the kernel never stamped a packet as it passed"
        );
        let s = kernel::socket().expect("socket");
        let before = live::sniff::realtime_ns();
        assert_eq!(
            kernel::connect(s.as_raw_fd()),
            Err(interpreter::syscall::Errno::EINPROGRESS)
        );
        let after = live::sniff::realtime_ns();
        // Read the SYN late: its stamp is still the time connect sent it.
        std::thread::sleep(Duration::from_millis(50));
        let (bytes, stamp) = loop {
            if let Some(p) = sniff.recv().expect("reads") {
                break p;
            }
            assert!(sniff.wait(Duration::from_secs(1)).expect("polls"), "no SYN");
        };
        let syn = packet::parse(&bytes).expect("a segment");
        assert_eq!(syn.seg.flags, Flags::SYN);
        assert!(
            (before..=after).contains(&stamp),
            "stamped {} µs after connect returned",
            stamp.saturating_sub(after) / 1000
        );
    })
    .expect("the namespace");
}

#[test]
fn a_scripts_linux_sysctl_set_up_is_written_in_its_namespace_never_run() {
    if !kernel_available("a_scripts_linux_sysctl_set_up_is_written_in_its_namespace_never_run") {
        return;
    }
    let host = || {
        std::fs::read_to_string("/proc/sys/net/ipv4/tcp_timestamps").expect("host tcp_timestamps")
    };
    let before = host();
    // The passive open's SYN,ACK answers a SYN offering timestamps: with
    // tcp_timestamps=0 read from the script's set-up, it offers none back.
    let script = "0 `sysctl -q net.ipv4.tcp_timestamps=0`\n\
         +0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
         +0 bind(3, ..., ...) = 0\n\
         +0 listen(3, 1) = 0\n\
         +0 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>\n\
         +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>\n";
    // Linux's default tcp_rmem maximum (6 MB) gives a window scale of 7.
    let opts = Options {
        sysctls: vec![Sysctl::parse("net.ipv4.tcp_rmem=4096 131072 6291456").expect("valid")],
        ..Options::default()
    };
    let run = live::run_source("t.pkt", script, &opts).expect("runs");
    let text = interpreter::run::transcript(&run);
    assert!(text.ends_with("PASS\n"), "{text}");
    // Without the set-up line, the SYN,ACK offers timestamps: the line is what did it.
    let without = script.split_once('\n').unwrap().1;
    let run = live::run_source("t.pkt", without, &opts).expect("runs");
    assert!(
        interpreter::run::transcript(&run).contains("FAIL"),
        "the kernel offered no timestamps without the set-up"
    );
    assert!(
        text.contains("written in the run's own network namespace"),
        "{text}"
    );
    assert_eq!(host(), before, "the host's tcp_timestamps changed");
}
