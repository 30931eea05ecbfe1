//! The REPL as a person uses it: `Repl::handle` line by line, and the real binary on a
//! terminal driven through tmux (line editing, completion, history).

use interpreter::repl::{Repl, completions};
use interpreter::session::Options;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "../../tests/src/tools.rs"]
mod tools;

#[track_caller]
fn ok(repl: &mut Repl, line: &str) -> String {
    let r = repl.handle(line);
    assert_eq!(r.code, 0, "{line}: {}", r.text);
    r.text
}

#[test]
fn pair_mode_walks_the_handshake_and_the_close() {
    let mut r = Repl::new(Options::default(), false).unwrap();
    assert!(ok(&mut r, "pair").contains("two-endpoint mode"));
    assert!(ok(&mut r, "a listen").contains("A: CLOSED -> LISTEN"));
    assert!(ok(&mut r, "b connect").contains("#1 S 300:300(0)"));
    assert!(ok(&mut r, "deliver 1").contains("A: LISTEN -> SYN-RECEIVED"));
    // The SYN,ACK is duplicated; the copy arrives later and is answered with an ACK.
    assert!(ok(&mut r, "dup 2").contains("dup #2 as #3"));
    assert!(ok(&mut r, "deliver 2").contains("B: SYN-SENT -> ESTABLISHED"));
    assert!(ok(&mut r, "deliver 4").contains("A: SYN-RECEIVED -> ESTABLISHED"));
    assert!(ok(&mut r, "deliver 3").contains("B: ESTABLISHED (stays) [unacceptable"));
    assert!(ok(&mut r, "drop 5").contains("drop #5"));
    assert!(r.prompt().contains("A:ESTABLISHED B:ESTABLISHED"));
    // B closes first; its FIN is lost once and retransmitted.
    assert!(ok(&mut r, "b close").contains("B: ESTABLISHED -> FIN-WAIT-1"));
    ok(&mut r, "drop 6");
    let t = ok(&mut r, "tick");
    assert!(t.contains("B retransmission timer expires"), "{t}");
    assert!(t.contains("#7 F. 301:301(0) ack 101"), "{t}");
    assert!(ok(&mut r, "deliver 7").contains("A: ESTABLISHED -> CLOSE-WAIT"));
    assert!(ok(&mut r, "deliver 8").contains("B: FIN-WAIT-1 -> FIN-WAIT-2"));
    assert!(ok(&mut r, "a close").contains("A: CLOSE-WAIT -> LAST-ACK"));
    assert!(ok(&mut r, "deliver 9").contains("B: FIN-WAIT-2 -> TIME-WAIT"));
    assert!(ok(&mut r, "deliver 10").contains("A: LAST-ACK -> CLOSED"));
    let t = ok(&mut r, "tick");
    assert!(t.contains("B: TIME-WAIT -> CLOSED"), "{t}");
    assert!(t.contains("time is now 241.000"), "{t}");
    assert!(ok(&mut r, "state").contains("A: CLOSED       B: CLOSED"));
    assert!(ok(&mut r, "trace").contains("deliver #1"));
    // The walk as a chart: one arrow per deliver, drop and dup (8 + 2 + 1).
    let dir = std::env::temp_dir().join(format!("tcpfsm-chart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("walk.svg");
    let mmd = dir.join("walk.mmd");
    assert!(ok(&mut r, &format!("chart {}", svg.display())).starts_with("wrote"));
    assert!(ok(&mut r, &format!("chart {}", mmd.display())).starts_with("wrote"));
    let svg = std::fs::read_to_string(svg).unwrap();
    assert_eq!(svg.matches("class='segment'").count(), 11);
    assert!(svg.contains("TIME-WAIT") && svg.contains("(lost)") && svg.contains("(duplicated)"));
    let mmd = std::fs::read_to_string(mmd).unwrap();
    assert_eq!(mmd.matches("-x").count(), 2, "{mmd}");
    assert!(mmd.contains("Note over B: close"), "{mmd}");
    assert_eq!(r.handle("chart walk.png").code, 2);
    let _ = std::fs::remove_dir_all(&dir);
    // Mistakes are errors, not panics, and do not change anything.
    for bad in ["deliver 99", "a fly", "tick soon", "a", "deliver"] {
        assert_eq!(r.handle(bad).code, 2, "{bad}");
    }
}

#[test]
fn single_mode_runs_statements_and_shows_the_endpoint() {
    let mut r = Repl::new(Options::default(), false).unwrap();
    ok(&mut r, "socket(..., SOCK_STREAM, IPPROTO_TCP) = 3");
    ok(&mut r, "listen(3, 1) = 0");
    assert!(r.prompt().contains("LISTEN"));
    assert!(ok(&mut r, "< S 0:0(0) win 1000").contains("sends S. 0:0(0) ack 1"));
    ok(&mut r, "> S. 0:0(0) ack 1");
    assert!(ok(&mut r, "tcb").contains("RCV.NXT=1"));
    assert!(ok(&mut r, "state").contains("SYN-RECEIVED"));
    // A failed expectation shows expected and actual, and the session goes on.
    let f = r.handle("state ESTABLISHED");
    assert_eq!(f.code, 1);
    assert!(f.text.contains("expected: ESTABLISHED"), "{}", f.text);
    let f = r.handle("< S 0:0(0");
    assert_eq!(f.code, 2);
    assert!(f.text.contains("<repl>:1:"), "{}", f.text);
    ok(&mut r, "+1 > S. 0:0(0) ack 1");
    assert!(ok(&mut r, "trace").contains("retransmission timer expires"));
    ok(&mut r, "reset");
    assert!(r.prompt().contains("CLOSED"));
    assert!(ok(&mut r, "profile rfc793").contains("profile rfc793"));
    assert_eq!(r.handle("profile nope").code, 2);
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scripts/active-close.pkt");
    assert!(ok(&mut r, &format!("load {}", script.display())).contains("TIME-WAIT -> CLOSED"));
    assert!(ok(&mut r, "help").contains("pair"));
    assert!(ok(&mut r, "help script").contains("--tolerance_usecs"));
    assert!(r.handle("quit").quit);
}

#[track_caller]
fn err(repl: &mut Repl, line: &str) -> String {
    let r = repl.handle(line);
    assert_eq!(r.code, 2, "{line}: {}", r.text);
    r.text
}

/// A pair walked to ESTABLISHED on both sides: A listens, B connects.
#[track_caller]
fn established_pair() -> Repl {
    let mut r = Repl::new(Options::default(), true).unwrap();
    for line in [
        "a listen",
        "b connect",
        "deliver 1",
        "deliver 2",
        "deliver 3",
    ] {
        ok(&mut r, line);
    }
    assert!(r.prompt().contains("A:ESTABLISHED B:ESTABLISHED"));
    r
}

#[test]
fn pair_mode_tcb_reads_like_single_mode() {
    let mut r = Repl::new(Options::default(), true).unwrap();
    assert_eq!(ok(&mut r, "tcb"), "A: CLOSED: no TCB\nB: CLOSED: no TCB");
    ok(&mut r, "a listen");
    ok(&mut r, "b connect");
    let t = ok(&mut r, "tcb");
    assert!(
        t.starts_with("A: LISTEN (Passive): no sequence numbers chosen yet\n"),
        "{t}"
    );
    assert!(
        t.contains("B: SYN-SENT (Active): ISS=300 SND.UNA=300 SND.NXT=301"),
        "{t}"
    );
    assert!(t.contains(" retransmit@1.000"), "timers in seconds: {t}");
    for rust in ["Tcb {", "SynSent", "Some(", "timers:"] {
        assert!(!t.contains(rust), "no Rust Debug output ({rust}): {t}");
    }
}

#[test]
fn pair_mode_speaks_the_rfc_not_rust() {
    let mut r = Repl::new(Options::default(), true).unwrap();
    let t = ok(&mut r, "a send 10");
    assert!(t.contains("error: connection does not exist"), "{t}");
    assert!(!t.contains("DoesNotExist"), "{t}");
    let mut r = established_pair();
    let t = r.handle("deliver 99").text;
    assert!(t.contains("no segment #99"), "{t}");
    let mut r2 = Repl::new(Options::default(), true).unwrap();
    ok(&mut r2, "a listen");
    ok(&mut r2, "b connect");
    ok(&mut r2, "deliver 1");
    let t = ok(&mut r2, "deliver 2");
    assert!(t.contains("tells the user: connection established"), "{t}");
    assert!(!t.contains("Established"), "{t}");
    let t = ok(&mut r, "a abort");
    assert!(t.contains("A: ESTABLISHED -> CLOSED"), "{t}");
    let t = ok(&mut r, "deliver 4");
    assert!(t.contains("tells the user: connection reset"), "{t}");
}

#[test]
fn pair_mode_usage_errors_say_what_is_missing() {
    let mut r = established_pair();
    assert_eq!(
        err(&mut r, "a send"),
        "error: `a send` needs a byte count, e.g. `a send 100`"
    );
    assert_eq!(
        err(&mut r, "b recv lots"),
        "error: `b recv` needs a byte count, not `lots`"
    );
    assert_eq!(
        err(&mut r, "deliver"),
        "error: `deliver` needs a segment number (see `net`), e.g. `deliver 1`"
    );
    let t = err(&mut r, "chart");
    assert!(t.contains("`chart` needs a FILE"), "{t}");
    assert!(!t.contains("unknown command"), "{t}");
    let mut single = Repl::new(Options::default(), false).unwrap();
    let t = err(&mut single, "chart walk.svg");
    assert!(t.contains("switch with `pair` first"), "{t}");
}

#[test]
fn the_pair_banner_describes_pair_mode() {
    let pair = Repl::new(Options::default(), true).unwrap();
    let b = pair.banner();
    assert!(
        b.contains("two-endpoint mode") && b.contains("a listen"),
        "{b}"
    );
    assert!(!b.contains("one endpoint following the table"), "{b}");
    let single = Repl::new(Options::default(), false).unwrap();
    assert!(single.banner().contains("one endpoint"));
}

#[test]
fn recv_says_how_many_bytes_came() {
    let mut r = established_pair();
    ok(&mut r, "a send 10");
    ok(&mut r, "deliver 4");
    let t = ok(&mut r, "b recv 100");
    assert!(t.contains("B: ESTABLISHED (stays) [receive"), "{t}");
    assert!(t.contains("received 10 of 100 bytes asked"), "{t}");
    let t = ok(&mut r, "b recv 100");
    assert!(t.contains("received 0 of 100 bytes asked"), "{t}");
}

#[test]
fn a_retransmitted_fin_in_time_wait_says_2msl_restarted() {
    let mut r = established_pair();
    // A closes actively; B's FIN is duplicated and the copy arrives in TIME-WAIT.
    ok(&mut r, "a close");
    ok(&mut r, "deliver 4");
    ok(&mut r, "b close");
    ok(&mut r, "dup 6");
    assert!(ok(&mut r, "deliver 5").contains("A: FIN-WAIT-1 -> FIN-WAIT-2"));
    let t = ok(&mut r, "deliver 6");
    assert!(t.contains("A: FIN-WAIT-2 -> TIME-WAIT"), "{t}");
    ok(&mut r, "tick 100");
    let t = ok(&mut r, "deliver 7");
    assert!(t.contains("A: TIME-WAIT (stays) [fin_retransmit"), "{t}");
    assert!(
        t.contains("2MSL restarted: TIME-WAIT now ends at t=340.000"),
        "{t}"
    );
    assert!(ok(&mut r, "tcb").contains("2MSL@340.000"));
    // Single mode's transcript says it too.
    let mut r = Repl::new(Options::default(), false).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/scripts/time-wait-refin.pkt");
    let t = ok(&mut r, &format!("load {}", script.display()));
    assert!(
        t.contains("[fin_retransmit · row 149]\n                 2MSL restarted: TIME-WAIT now ends at t=340.200"),
        "{t}"
    );
}

/// The step that a SYN to a listener causes is the new connection's: `state` then shows
/// the listener still in LISTEN and the connection in SYN-RECEIVED, and so does the line.
#[test]
fn a_listeners_state_line_agrees_with_state() {
    let mut r = Repl::new(Options::default(), false).unwrap();
    ok(&mut r, "socket(..., SOCK_STREAM, IPPROTO_TCP) = 3");
    ok(&mut r, "listen(3, 1) = 0");
    let t = ok(&mut r, "< S 0:0(0) win 1000");
    assert!(
        t.contains("new connection (listener fd 3 stays LISTEN): LISTEN -> SYN-RECEIVED"),
        "{t}"
    );
    assert!(!t.contains("listener fd 3: LISTEN -> SYN-RECEIVED"), "{t}");
    let s = ok(&mut r, "state");
    assert!(s.contains("fd 3: LISTEN"), "{s}");
    assert!(s.contains("connection (not accepted): SYN-RECEIVED"), "{s}");
}

#[test]
fn completion_knows_commands_flags_and_states() {
    let words = completions();
    for w in [
        "deliver",
        "tick",
        "connect",
        "S.",
        "FP.",
        "ESTABLISHED",
        "TCP_FIN_WAIT1",
        "SHUT_WR",
        "help",
    ] {
        assert!(words.iter().any(|x| x == w), "{w}");
    }
}

/// tmux runs the binary on a real terminal; keys are typed, the screen is read back.
struct Tmux {
    name: String,
}

impl Tmux {
    fn start(cmd: &str) -> Tmux {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("tcpfsm-{}-{n}", std::process::id());
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                "160",
                "-y",
                "50",
                cmd,
            ])
            .env("HOME", std::env::temp_dir())
            .status()
            .expect("tmux is needed for this test (.ci/run installs it)");
        assert!(status.success());
        Tmux { name }
    }
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }
    fn line(&self, text: &str) {
        self.keys(&["-l", text]);
        self.keys(&["Enter"]);
    }
    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-S", "-200", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "waited for {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

#[test]
fn a_person_walks_the_handshake_and_close_in_tmux() {
    if !tools::tmux("a_person_walks_the_handshake_and_close_in_tmux") {
        return;
    }
    let t = Tmux::start(env!("CARGO_BIN_EXE_interpreter"));
    t.wait_for("tcp 0.000 CLOSED>");
    t.line("pair");
    t.wait_for("pair A:CLOSED B:CLOSED>");
    // Each line waits for the previous one's answer: rustyline may drop keys typed while
    // it is not reading.
    t.line("a listen");
    t.wait_for("A: CLOSED -> LISTEN");
    t.line("b connect");
    t.wait_for("#1 S 300:300(0)");
    // Tab completes `deli` to `deliver`.
    t.keys(&["-l", "deli"]);
    t.keys(&["Tab"]);
    t.keys(&["-l", " 1"]);
    t.keys(&["Enter"]);
    t.wait_for("A: LISTEN -> SYN-RECEIVED");
    t.line("deliver 2");
    t.wait_for("B: SYN-SENT -> ESTABLISHED");
    t.line("deliver 3");
    t.wait_for("pair A:ESTABLISHED B:ESTABLISHED>");
    t.line("a close");
    t.wait_for("A: ESTABLISHED -> FIN-WAIT-1");
    t.line("deliver 4");
    t.wait_for("B: ESTABLISHED -> CLOSE-WAIT");
    t.line("deliver 5");
    t.wait_for("A: FIN-WAIT-1 -> FIN-WAIT-2");
    t.line("b close");
    t.wait_for("B: CLOSE-WAIT -> LAST-ACK");
    t.line("deliver 6");
    t.wait_for("A: FIN-WAIT-2 -> TIME-WAIT");
    // Up arrow recalls `deliver 6`; edited to `deliver 7`.
    t.keys(&["Up"]);
    t.keys(&["BSpace"]);
    t.keys(&["-l", "7"]);
    t.keys(&["Enter"]);
    t.wait_for("B: LAST-ACK -> CLOSED");
    t.line("tick");
    let s = t.wait_for("A: TIME-WAIT -> CLOSED");
    assert!(s.contains("pair A:CLOSED B:CLOSED>"), "{s}");
    t.line("quit");
}

/// `interpreter --pair` on a terminal says it is in two-endpoint mode, and how to start.
#[test]
fn the_pair_banner_on_a_terminal() {
    if !tools::tmux("the_pair_banner_on_a_terminal") {
        return;
    }
    let t = Tmux::start(&format!("{} --pair", env!("CARGO_BIN_EXE_interpreter")));
    let s = t.wait_for("pair A:CLOSED B:CLOSED>");
    assert!(
        s.contains("tcpfsm interpreter, two-endpoint mode: A and B follow the table"),
        "{s}"
    );
    assert!(!s.contains("one endpoint following the table"), "{s}");
    t.line("quit");
}

#[test]
fn the_repl_reads_sysctl_set_up_before_the_first_statement() {
    let mut opts = Options::default();
    opts.set("profile", "freebsd").unwrap();
    let mut r = Repl::new(opts, false).unwrap();
    let t = ok(&mut r, "`sysctl -w net.inet.tcp.insecure_rst=1`");
    assert!(
        t.contains("profile rfc793-rst added (rfc793-rst,freebsd); nothing executed"),
        "{t}"
    );
    ok(&mut r, "socket(..., SOCK_STREAM, IPPROTO_TCP) = 3");
    ok(&mut r, "bind(3, ..., ...) = 0");
    ok(&mut r, "listen(3, 1) = 0");
    ok(&mut r, "< S 0:0(0) win 65535 <mss 1460>");
    ok(&mut r, "> S. 0:0(0) ack 1 <...>");
    ok(&mut r, "< . 1:1(0) ack 1 win 65535");
    ok(&mut r, "accept(3, ..., ...) = 4");
    // RFC 793 §3.9: the in-window RST resets (RFC 5961 would send a challenge ACK).
    let t = ok(&mut r, "< R 100:100(0) win 65535");
    assert!(t.contains("ESTABLISHED -> CLOSED"), "{t}");
    // After the first statement, set-up is skipped as any command.
    let t = ok(&mut r, "`sysctl -w net.inet.tcp.insecure_rst=0`");
    assert!(t.contains("shell command skipped"), "{t}");
}
