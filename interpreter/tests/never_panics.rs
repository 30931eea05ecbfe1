//! No input makes the interpreter panic: random text, random statements built from the
//! grammar, and random REPL lines, in one endpoint and in pair mode.

use interpreter::repl::Repl;
use interpreter::run::{render_error, run_source, transcript};
use interpreter::session::Options;
use proptest::prelude::*;

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("+0".to_string()),
        Just("+.1".to_string()),
        Just("*".to_string()),
        Just("0.1~0.2".to_string()),
        Just("+0...1".to_string()),
        Just("<".to_string()),
        Just(">".to_string()),
        Just("S".to_string()),
        Just("S.".to_string()),
        Just("F.".to_string()),
        Just("R".to_string()),
        Just(".".to_string()),
        Just("-".to_string()),
        Just("1:1(0)".to_string()),
        Just("0:0(0)".to_string()),
        Just("ack".to_string()),
        Just("win".to_string()),
        Just("<mss 1460,nop>".to_string()),
        Just("socket(..., SOCK_STREAM, IPPROTO_TCP) = 3".to_string()),
        Just("listen(3, 1) = 0".to_string()),
        Just("accept(3, ..., ...) = 4".to_string()),
        Just("close(4) = 0".to_string()),
        Just("state".to_string()),
        Just("%{".to_string()),
        Just("}%".to_string()),
        Just("/*".to_string()),
        Just("`".to_string()),
        Just("\n".to_string()),
        Just("--retries=".to_string()),
        any::<u32>().prop_map(|n| n.to_string()),
        "[ -~]{0,6}",
        "\\PC{0,3}",
    ]
}

fn call() -> impl Strategy<Value = String> {
    let fd = prop_oneof![Just(3i64), Just(4), Just(5), any::<i64>()];
    (
        prop::sample::select(interpreter::script::SYSCALLS.to_vec()),
        fd,
        prop::sample::select(vec![
            "...",
            "SOCK_STREAM",
            "SHUT_WR",
            "SHUT_RD",
            "SHUT_RDWR",
            "F_SETFL",
            "F_GETFL",
            "O_RDWR|O_NONBLOCK",
            "SOL_SOCKET",
            "SO_LINGER",
            "{l_onoff=1, l_linger=0}",
            "[1]",
            "-1",
            "99999999999",
        ]),
        prop::sample::select(vec![
            "...",
            "O_NONBLOCK",
            "SO_LINGER",
            "{l_onoff=1, l_linger=0}",
            "100",
            "0",
        ]),
        prop_oneof![
            Just("0".to_string()),
            Just("-1 EAGAIN".to_string()),
            any::<i32>().prop_map(|n| n.to_string())
        ],
    )
        .prop_map(|(name, fd, a, b, r)| format!("{name}({fd}, {a}, {b}) = {r}"))
}

fn segment() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["<", ">"]),
        prop::sample::select(vec!["S", "S.", "F.", "FP.", "P.", "R", "R.", ".", "-"]),
        any::<u32>(),
        0u32..3000,
        prop::option::of(any::<u32>()),
        prop::option::of(any::<u16>()),
    )
        .prop_map(|(dir, flags, seq, len, ack, win)| {
            let mut s = format!("{dir} {flags} {seq}:{}({len})", seq.wrapping_add(len));
            if let Some(a) = ack {
                s.push_str(&format!(" ack {a}"));
            }
            if let Some(w) = win {
                s.push_str(&format!(" win {w}"));
            }
            s
        })
}

fn time() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("+0".to_string()),
        Just("*".to_string()),
        (0u64..300_000_000).prop_map(|us| format!("+{}.{:06}", us / 1_000_000, us % 1_000_000)),
        (0u64..5).prop_map(|s| format!("+0...{s}")),
        (0u64..4).prop_map(|s| format!("+0~+{s}")),
        Just("999999999999".to_string()),
        Just("+999999999999.999999".to_string()),
    ]
}

fn statement() -> impl Strategy<Value = String> {
    (
        time(),
        prop_oneof![
            4 => segment(),
            4 => call(),
            1 => prop::sample::select(vec!["state ESTABLISHED", "state LISTEN", "%{ assert tcpi_state == TCP_CLOSE }%", "`ls`"]).prop_map(String::from),
        ],
    )
        .prop_map(|(t, s)| format!("{t} {s}"))
}

fn check(source: &str, opts: &Options) {
    let run = run_source("p.pkt", source, opts).expect("profile");
    let _ = transcript(&run);
    let _ = render_error(&run, source, false);
    let _ = serde_json::to_string(&run).expect("JSON");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_text_never_panics(parts in prop::collection::vec(token(), 0..40), seps in prop::collection::vec(prop::sample::select(vec![" ", "", "\n", ", ", "\t"]), 40)) {
        let source: String = parts.iter().zip(seps.iter().cycle()).map(|(p, s)| format!("{p}{s}")).collect();
        check(&source, &Options::default());
    }

    #[test]
    fn random_scripts_never_panic(lines in prop::collection::vec(statement(), 1..40), profile in prop::sample::select(model::PROFILES.iter().map(|p| p.name).collect::<Vec<_>>())) {
        let source = format!("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n{}\n", lines.join("\n"));
        let opts = Options { profile: profile.to_string(), ..Options::default() };
        check(&source, &opts);
    }

    #[test]
    fn random_repl_lines_never_panic(lines in prop::collection::vec(prop_oneof![
        statement(),
        prop::sample::select(vec![
            "pair", "single", "a listen", "b connect", "a close", "b abort", "a send 10",
            "b recv 5", "deliver 1", "deliver 2", "drop 1", "dup 2", "tick", "tick 0.5",
            "tick 1e400", "tick -1", "net", "state", "tcb", "trace", "reset", "help",
            "help script", "profile rfc793", "profile nope", "load /nonexistent",
            "--retries=x", "a", "deliver x", "quit",
        ]).prop_map(String::from),
        "[ -~]{0,20}",
    ], 0..50)) {
        let mut repl = Repl::new(Options::default(), false).unwrap();
        for line in &lines {
            let r = repl.handle(line);
            prop_assert!(r.code <= 2);
            let _ = repl.prompt();
        }
    }
}
