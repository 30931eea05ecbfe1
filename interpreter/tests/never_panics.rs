//! No input makes the interpreter panic: random text, random statements built from the
//! grammar, and random REPL lines, in one endpoint and in pair mode; and a bounded fuzzing
//! run over every input path with byte-level mutations of the corpus (long lines, large
//! files, NUL bytes, invalid UTF-8): script files, REPL lines (single and pair mode, and the
//! binary's stdin), and the binary's command-line arguments. Each path prints how many
//! inputs it ran.

use interpreter::repl::Repl;
use interpreter::run::{MAX_INPUT, read_script, render_error, run_source, transcript};
use interpreter::session::Options;
use proptest::prelude::*;
use std::ffi::OsString;
use std::io::Write as _;
use std::os::unix::ffi::OsStringExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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
        Just("--strict_segments".to_string()),
        Just("#ifdef linux\n".to_string()),
        Just("#ifndef X\n".to_string()),
        Just("#else\n".to_string()),
        Just("#endif\n".to_string()),
        Just("icmp unreachable port_unreachable".to_string()),
        Just("[ect0]".to_string()),
        Just("[1:1(0)]".to_string()),
        Just("...:...(...)".to_string()),
        Just("{events=POLLIN, revents=POLLIN}".to_string()),
        Just("msg_iov(1)=[{iov_len=5}]".to_string()),
        Just("htonl(".to_string()),
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
            "[{fd=3, events=POLLIN|POLLOUT, revents=POLLOUT}]",
            "[{fd=4, events=POLLIN}]",
            "{msg_iov(1)=[{iov_base=..., iov_len=10}]}",
            "EPOLL_CTL_ADD",
            "SIOCINQ",
            "[5, 6]",
            "TCP_INFO",
        ]),
        prop::sample::select(vec![
            "...",
            "O_NONBLOCK",
            "SO_LINGER",
            "{l_onoff=1, l_linger=0}",
            "100",
            "0",
            "{events=EPOLLIN, fd=3}",
            "[0]",
            "{tcpi_state=TCP_ESTABLISHED}",
            "-1",
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
            1 => prop::sample::select(vec!["state ESTABLISHED", "state LISTEN", "%{ assert tcpi_state == TCP_CLOSE }%", "`ls`", "< icmp unreachable port_unreachable", "< [0:0(0)] icmp unreachable net_unreachable", "> icmp unreachable", "> P. ...:...(...) ack ... win ...", "< [ect0] . 1:1(0) ack 1"]).prop_map(String::from),
        ],
    )
        .prop_map(|(t, s)| format!("{t} {s}"))
}

#[track_caller]
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

// ---- Byte-level fuzzing of every input path -------------------------------------------

/// The corpus scripts, as bytes.
fn corpus() -> &'static [(String, Vec<u8>)] {
    static CORPUS: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scripts");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("tests/scripts")
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pkt"))
            .collect();
        files.sort();
        assert!(files.len() >= 30, "the corpus is there");
        files
            .into_iter()
            .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
            .collect()
    })
}

/// One byte-level change to an input.
#[derive(Clone, Debug)]
enum Mutation {
    /// Insert these bytes (random, or a tricky token: NUL, invalid UTF-8, CR LF, ...).
    Insert(usize, Vec<u8>),
    /// Delete up to this many bytes.
    Delete(usize, usize),
    /// Repeat a slice many times: long lines, large files.
    Repeat(usize, usize, usize),
    /// Replace a byte.
    Set(usize, u8),
    /// Cut the input short.
    Truncate(usize),
    /// A run of one byte, past the 65,535 columns miette's renderer handles.
    Run(usize, u8, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let tricky: Vec<Vec<u8>> = [
        &b"\0"[..],
        b"\xff",
        b"\xc3",
        b"\xed\xa0\x80",
        b"\xf0\x9f\x98",
        "é€😀".as_bytes(),
        b"\r\n",
        b"\n",
        b"\r",
        b"%{",
        b"}%",
        b"/*",
        b"`",
        b"...",
        b"<",
        b">",
        b"~",
        b"+999999999999",
        b"4294967296",
        b"-1",
        b"--mss=",
        b"[",
        b"{",
    ]
    .iter()
    .map(|t| t.to_vec())
    .collect();
    prop_oneof![
        3 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8)).prop_map(|(p, b)| Mutation::Insert(p, b)),
        3 => (any::<usize>(), prop::sample::select(tricky)).prop_map(|(p, b)| Mutation::Insert(p, b)),
        2 => (any::<usize>(), 1usize..64).prop_map(|(p, n)| Mutation::Delete(p, n)),
        1 => (any::<usize>(), 1usize..80, 2usize..3000).prop_map(|(p, n, k)| Mutation::Repeat(p, n, k)),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Set(p, b)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), prop::sample::select(vec![b' ', b'0', b'x', b'\t', 0, b'(']), 65_000usize..70_000)
            .prop_map(|(p, b, n)| Mutation::Run(p, b, n)),
    ]
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let at = |p: usize, len: usize| p % (len + 1);
    match m {
        Mutation::Insert(p, b) => {
            let i = at(*p, bytes.len());
            bytes.splice(i..i, b.iter().copied());
        }
        Mutation::Delete(p, n) => {
            let i = at(*p, bytes.len());
            let j = (i + n).min(bytes.len());
            bytes.drain(i..j);
        }
        Mutation::Repeat(p, n, k) => {
            let i = at(*p, bytes.len());
            let j = (i + n).min(bytes.len());
            let piece = bytes[i..j].to_vec();
            if !piece.is_empty() {
                let copies: Vec<u8> = piece
                    .iter()
                    .copied()
                    .cycle()
                    .take(piece.len() * k)
                    .collect();
                bytes.splice(j..j, copies);
            }
        }
        Mutation::Set(p, b) => {
            if !bytes.is_empty() {
                let i = p % bytes.len();
                bytes[i] = *b;
            }
        }
        Mutation::Truncate(p) => bytes.truncate(at(*p, bytes.len())),
        Mutation::Run(p, b, n) => {
            let i = at(*p, bytes.len());
            bytes.splice(i..i, std::iter::repeat_n(*b, *n));
        }
    }
}

/// A corpus script with some mutations applied.
fn mutated_script() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<prop::sample::Index>(),
        prop::collection::vec(mutation(), 0..6),
    )
        .prop_map(|(i, ms)| {
            let corpus = corpus();
            let mut bytes = corpus[i.index(corpus.len())].1.clone();
            for m in &ms {
                mutate(&mut bytes, m);
            }
            bytes
        })
}

/// A scratch directory per fuzzing test, removed when it ends.
fn scratch_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tcpfsm-{name}-{}", std::process::id()))
}

/// A file of a fuzzing test's own, for an input that goes through a path.
fn scratch_file_in(name: &str, bytes: &[u8]) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = scratch_dir(name);
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("s{}.pkt", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Counts per input path, printed (past the harness's capture) when a path is done.
static SCRIPT_BYTES: AtomicUsize = AtomicUsize::new(0);
static REPL_LINES: AtomicUsize = AtomicUsize::new(0);

fn report(text: String) {
    let _ = writeln!(std::io::stderr(), "never_panics: {text}");
}

/// A script file through the path `interpreter run` takes: read (size and UTF-8
/// checked), parsed, run, rendered as text, an error with a caret, and JSON.
#[track_caller]
fn script_file(bytes: &[u8]) {
    let path = scratch_file_in("fuzz-scripts", bytes);
    match read_script(&path) {
        Ok(source) => check(&source, &Options::default()),
        Err(e) => assert!(e.starts_with(&path.display().to_string()), "{e}"),
    }
    let _ = std::fs::remove_file(&path);
    SCRIPT_BYTES.fetch_max(bytes.len(), Ordering::Relaxed);
}

/// REPL commands of both modes, to mutate.
const REPL_WORDS: &[&str] = &[
    "pair",
    "single",
    "a listen",
    "b connect",
    "a close",
    "b abort",
    "a shutdown",
    "a send 10",
    "b recv 5",
    "a send",
    "deliver 1",
    "deliver 2",
    "deliver 3",
    "drop 1",
    "dup 2",
    "tick",
    "tick 0.5",
    "tick 1e400",
    "net",
    "state",
    "tcb",
    "trace",
    "reset",
    "help",
    "help script",
    "profile rfc793",
    "profile rfc1337,,",
    "chart",
    "--msl_secs=0",
    "--retries=3",
    "quit",
];

fn repl_line() -> impl Strategy<Value = Vec<u8>> {
    let corpus_line = any::<prop::sample::Index>().prop_map(|i| {
        let lines: Vec<&[u8]> = corpus()
            .iter()
            .flat_map(|(_, b)| b.split(|&c| c == b'\n'))
            .collect();
        lines[i.index(lines.len())].to_vec()
    });
    (
        prop_oneof![
            2 => prop::sample::select(REPL_WORDS).prop_map(|w| w.as_bytes().to_vec()),
            2 => corpus_line,
        ],
        prop::collection::vec(mutation(), 0..3),
    )
        .prop_map(|(mut line, ms)| {
            for m in &ms {
                mutate(&mut line, m);
            }
            line
        })
}

/// Runs the binary with these arguments and stdin; it must exit 0, 1 or 2 within 30 s
/// (never 101, a panic, nor a signal).
#[track_caller]
fn binary(args: &[OsString], stdin: Vec<u8>) -> i32 {
    // In a scratch directory: whatever the arguments name is relative to it.
    let dir = scratch_dir("fuzz-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_interpreter"))
        .args(args)
        .current_dir(&dir)
        .env("HOME", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the interpreter");
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&stdin);
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("interpreter {args:?} ran for 30 s");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = writer.join();
    match status.code() {
        Some(c @ 0..=2) => c,
        other => panic!("interpreter {args:?} exited with {other:?} ({status:?})"),
    }
}

/// Arguments for the binary: its words, corpus and mutated files, endless and missing
/// files, and random bytes (no NUL: an argument cannot hold one).
fn argument(file: PathBuf) -> impl Strategy<Value = OsString> {
    let corpus_file = any::<prop::sample::Index>()
        .prop_map(|i| OsString::from(&corpus()[i.index(corpus().len())].0));
    let words: Vec<&str> = vec![
        "run",
        "repl",
        "--pair",
        "--format",
        "json",
        "summary",
        "text",
        "xml",
        "--coverage",
        "--profile",
        "rfc793",
        "rfc1337,fin-wait-2-timeout",
        "rfc1337,,",
        "",
        "nope",
        "--msl",
        "0",
        "1",
        "2147",
        "2148",
        "4294967296",
        "-1",
        "--iss",
        "--tolerance-ms",
        "18446744073709551615",
        "--rcv-buf",
        "65536",
        "--retries",
        "255",
        "256",
        "--help",
        "-h",
        "--version",
        "-V",
        "/dev/null",
        "/dev/zero",
        "/dev/stdin",
        "/nonexistent",
        "/",
        "-",
        "--",
        "--msl=1",
        "--profile=",
    ];
    prop_oneof![
        6 => prop::sample::select(words).prop_map(OsString::from),
        2 => corpus_file,
        1 => Just(file.into_os_string()),
        1 => prop::collection::vec(any::<u8>().prop_filter("no NUL", |b| *b != 0), 0..12)
            .prop_map(OsString::from_vec),
    ]
}

/// Runs `test` on `cases` inputs from `strategy` (random each run; a failure is shrunk
/// to a smallest input and shown), and prints the count.
fn fuzz<S: Strategy>(
    path: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let start = Instant::now();
    proptest::test_runner::TestRunner::new(config)
        .run(&strategy, test)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    report(format!(
        "{path}: {cases} inputs in {:.1} s",
        start.elapsed().as_secs_f64()
    ));
}

/// Script files: corpus scripts mutated byte by byte, through `interpreter run`'s path.
#[test]
fn fuzz_script_files() {
    fuzz("script files", 4000, mutated_script(), |bytes| {
        script_file(&bytes);
        Ok(())
    });
    report(format!(
        "script files: the largest was {} bytes (the limit is {MAX_INPUT})",
        SCRIPT_BYTES.load(Ordering::Relaxed)
    ));
    // Huge files: one byte past the limit is refused, naming the file and the limit.
    let mut huge = corpus()[0].1.repeat(MAX_INPUT / corpus()[0].1.len() + 1);
    huge.truncate(MAX_INPUT + 1);
    let path = scratch_file_in("fuzz-scripts", &huge);
    let e = read_script(&path).expect_err("past the limit");
    assert!(
        e.contains(&path.display().to_string()) && e.contains("16 MiB limit"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(scratch_dir("fuzz-scripts"));
}

/// REPL lines, in single and pair mode, as `Repl::handle` takes them from the binary's
/// stdin (each line as text), and `load` of a mutated file.
#[test]
fn fuzz_repl_lines() {
    let inputs = (
        any::<bool>(),
        prop::collection::vec(repl_line(), 1..30),
        mutated_script(),
    );
    fuzz("REPL sessions", 600, inputs, |(pair, lines, script)| {
        let file = scratch_file_in("fuzz-repl", &script);
        let mut repl = Repl::new(Options::default(), pair).unwrap();
        let mut all = lines;
        all.push(format!("load {}", file.display()).into_bytes());
        for bytes in &all {
            let text = String::from_utf8_lossy(bytes);
            for line in text.split('\n') {
                let r = repl.handle(line);
                prop_assert!(r.code <= 2);
                let _ = repl.prompt();
                REPL_LINES.fetch_add(1, Ordering::Relaxed);
                if r.quit {
                    break;
                }
            }
        }
        let _ = std::fs::remove_file(&file);
        Ok(())
    });
    let _ = std::fs::remove_dir_all(scratch_dir("fuzz-repl"));
    report(format!(
        "REPL sessions: {} lines in all",
        REPL_LINES.load(Ordering::Relaxed)
    ));
}

/// The binary: random argument vectors, with random bytes on stdin (REPL lines, or a
/// script read from `/dev/stdin`), and a mutated script among the files.
#[test]
fn fuzz_the_binary() {
    let inputs = mutated_script().prop_flat_map(|script| {
        let file = scratch_file_in("fuzz-bin", &script);
        (
            prop::collection::vec(argument(file), 0..7),
            prop::collection::vec(repl_line(), 0..20).prop_map(|ls| ls.join(&b'\n')),
        )
    });
    fuzz(
        "command lines (binary runs)",
        400,
        inputs,
        |(args, stdin)| {
            binary(&args, stdin);
            Ok(())
        },
    );
    let _ = std::fs::remove_dir_all(scratch_dir("fuzz-bin"));
}
