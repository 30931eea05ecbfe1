//! packetdrill's language as its scripts are written: each test is one behaviour, shown
//! with a small script of our own.

use interpreter::run::{Run, Verdict, run_source, transcript};
use interpreter::script::{Action, parse, parse_with};
use interpreter::session::Options;

const LISTEN: &str = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n";
/// A listener on fd 3 and an accepted connection on fd 4, with `rest` after it.
fn established(rest: &str) -> String {
    format!(
        "{LISTEN}+0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1\n+0 < . 1:1(0) ack 1 win 1000\n\
         +0 accept(3, ..., ...) = 4\n{rest}"
    )
}

#[track_caller]
fn run_with(script: &str, opts: &Options) -> Run {
    run_source("t.pkt", script, opts).unwrap()
}

#[track_caller]
fn run(script: &str) -> Run {
    run_with(script, &Options::default())
}

#[track_caller]
fn passes(script: &str) -> Run {
    let r = run(script);
    assert!(matches!(r.verdict, Verdict::Pass), "{}", transcript(&r));
    r
}

#[track_caller]
fn fails(script: &str) -> (usize, String) {
    match run(script).verdict {
        Verdict::Fail { failure } => (failure.line, failure.message),
        other => panic!("expected a failed expectation, got {other:?}"),
    }
}

#[track_caller]
fn bad(script: &str) -> (usize, usize, String) {
    match run(script).verdict {
        Verdict::BadScript {
            line,
            column,
            message,
        } => (line, column, message),
        other => panic!("expected a bad script, got {other:?}"),
    }
}

fn notices(r: &Run) -> String {
    r.transcript
        .iter()
        .filter_map(|e| e.notice.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn backtick_commands_without_a_time_are_skipped_and_never_executed() {
    let dir = std::env::temp_dir().join(format!("tcpfsm-backtick-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (first, middle, last) = (dir.join("first"), dir.join("middle"), dir.join("last"));
    let script = format!(
        "`touch {}`\n`sysctl -q net.ipv4.tcp_timestamps=0`\n{LISTEN}`touch {}`\n\
         +0 state LISTEN\n`touch {}\ntouch {}`\n",
        first.display(),
        middle.display(),
        last.display(),
        last.display()
    );
    let r = passes(&script);
    for f in [&first, &middle, &last] {
        assert!(
            !f.exists(),
            "{} was created: a script ran a command",
            f.display()
        );
    }
    let skipped = r
        .transcript
        .iter()
        .filter(|e| {
            e.notice
                .as_deref()
                .is_some_and(|n| n.contains("nothing in them is executed"))
        })
        .count();
    assert_eq!(skipped, 3);
    // The `sysctl` before the first statement is read as set-up, not run either.
    let read = r
        .transcript
        .iter()
        .filter(|e| {
            e.notice.as_deref().is_some_and(|n| {
                n.contains("sysctl net.ipv4.tcp_timestamps=0 read as set-up")
                    && n.ends_with("nothing executed")
            })
        })
        .count();
    assert_eq!(read, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn option_lines_without_a_value_are_flags() {
    let r = passes(&format!(
        "`sysctl -q x=1`\n--strict_segments\n--tcp_ts_ecr_scaled\n--tolerance_usecs=5000\n{LISTEN}"
    ));
    let n = notices(&r);
    assert!(n.contains("--strict_segments is packetdrill's own"), "{n}");
    assert!(
        n.contains("--tcp_ts_ecr_scaled is packetdrill's own"),
        "{n}"
    );
    // A modelled option still needs its value; a space instead of `=` is pointed at.
    let (line, _, m) = bad("--tolerance_usecs\n0 state CLOSED\n");
    assert_eq!(line, 1);
    assert!(m.contains("needs a number"), "{m}");
    let (line, column, m) = bad("--tolerance_usecs 5\n0 state CLOSED\n");
    assert_eq!((line, column), (1, 19));
    assert!(m.contains("no spaces"), "{m}");
}

#[test]
fn recvmsg_sendmsg_readv_and_writev_move_the_bytes_of_their_buffers() {
    passes(&established(
        "+0 < P. 1:101(100) ack 1 win 1000\n+0 > . 1:1(0) ack 101\n\
         +0 recvmsg(4, {msg_name(...)=...,\n    msg_iov(1)=[{iov_base=..., iov_len=60}],\n    msg_flags=0}, 0) = 60\n\
         +0 readv(4, [{iov_base=..., iov_len=30}, {iov_base=..., iov_len=30}], 2) = 40\n\
         +0 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{iov_base=..., iov_len=50}], msg_flags=0}, 0) = 50\n\
         +0 > P. 1:51(50) ack 101\n\
         +0 writev(4, [{iov_base=..., iov_len=10}, {iov_base=..., iov_len=20}], 2) = 30\n\
         +0 > P. 51:81(30) ack 101\n",
    ));
}

#[test]
fn ioctl_siocinq_gives_the_bytes_queued_to_read() {
    let s = established(
        "+0 < P. 1:101(100) ack 1 win 1000\n+0 > . 1:1(0) ack 101\n+0 ioctl(4, SIOCINQ, [100]) = 0\n\
         +0 read(4, ..., 40) = 40\n+0 ioctl(4, FIONREAD, [60]) = 0\n",
    );
    passes(&s);
    let (line, m) = fails(&established("+0 ioctl(4, SIOCINQ, [7]) = 0\n"));
    assert_eq!(line, 7);
    assert!(m.contains("bytes queued"), "{m}");
    // Other requests are accepted with a notice.
    let r = passes(&established("+0 ioctl(4, SIOCGSTAMP, [0]) = 0\n"));
    assert!(notices(&r).contains("not modelled"), "{}", notices(&r));
}

#[test]
fn poll_reports_readiness_from_the_socket_state() {
    passes(&established(
        "+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1\n\
         +0 poll([{fd=4, events=POLLIN, revents=0}], 1, 0) = 0\n\
         +0 < P. 1:11(10) ack 1 win 1000\n+0 > . 1:1(0) ack 11\n\
         +0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1\n\
         +0 read(4, ..., 10) = 10\n\
         +0 < F. 11:11(0) ack 1 win 1000\n+0 > . 1:1(0) ack 12\n\
         +0 poll([{fd=4, events=POLLIN|POLLRDHUP, revents=POLLIN|POLLRDHUP}], 1, 0) = 1\n",
    ));
    // A poll that waits returns when the socket becomes ready, or 0 at its timeout.
    passes(&established(
        "+0...0.2 poll([{fd=4, events=POLLIN}], 1, 1000) = 1\n\
         +.2 < P. 1:11(10) ack 1 win 1000\n+0 > . 1:1(0) ack 11\n",
    ));
    passes(&established(
        "+0...0.5 poll([{fd=4, events=POLLIN}], 1, 500) = 0\n",
    ));
    // A listener is readable once a connection can be accepted.
    passes(&format!(
        "{LISTEN}+0 poll([{{fd=3, events=POLLIN, revents=0}}], 1, 0) = 0\n\
         +0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1\n+0 < . 1:1(0) ack 1 win 1000\n\
         +0 poll([{{fd=3, events=POLLIN, revents=POLLIN}}], 1, 0) = 1\n"
    ));
    let (_, m) = fails(&established(
        "+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLIN}], 1, 0) = 1\n",
    ));
    assert!(m.contains("poll found fd 4"), "{m}");
}

#[test]
fn epoll_wait_counts_the_ready_descriptors_of_its_interest_list() {
    passes(&established(
        "+0 epoll_create(1) = 5\n\
         +0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN, fd=4}) = 0\n\
         +0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN, fd=4}) = -1 EEXIST\n\
         +0 epoll_wait(5, {events=EPOLLIN, fd=4}, 1, 0) = 0\n\
         +0 < P. 1:11(10) ack 1 win 1000\n+0 > . 1:1(0) ack 11\n\
         +0 epoll_wait(5, {events=EPOLLIN, fd=4}, 1, 0) = 1\n\
         +0 epoll_ctl(5, EPOLL_CTL_DEL, 4, {events=0, fd=4}) = 0\n\
         +0 epoll_wait(5, {events=EPOLLIN, fd=4}, 1, 0) = 0\n\
         +0 close(5) = 0\n",
    ));
}

#[test]
fn pipe_open_splice_and_sendfile_are_accepted() {
    let r = passes(&established(
        "+0 pipe([7, 8]) = 0\n+0 open(\"/etc/passwd\", O_RDONLY) = 9\n\
         +0 splice(7, ..., 4, ..., 100, 0) = 100\n\
         +0 sendfile(4, 9, [0], 20) = 20\n+0 > P. 1:21(20) ack 1\n+0 close(9) = 0\n",
    ));
    let n = notices(&r);
    assert!(n.contains("pipe: descriptors given out"), "{n}");
    assert!(n.contains("no file is opened"), "{n}");
    assert!(n.contains("splice: not modelled"), "{n}");
}

#[test]
fn unsupported_socket_options_are_accepted_with_a_notice() {
    let r = passes(&format!(
        "{LISTEN}+0 setsockopt(3, SOL_TCP, TCP_FASTOPEN, [1], 4) = 0\n\
         +0 getsockopt(3, SOL_TCP, TCP_KEEPIDLE, [7200], [4]) = 0\n"
    ));
    let n = notices(&r);
    assert!(n.contains("setsockopt TCP_FASTOPEN is not modelled"), "{n}");
    assert!(n.contains("getsockopt TCP_KEEPIDLE is not modelled"), "{n}");
}

const CONNECTING: &str = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n";

#[test]
fn icmp_port_unreachable_in_syn_sent_makes_a_blocking_connect_fail_with_econnrefused() {
    // A hard error (RFC 9293 §3.9.2.2 SHLD-26): the TCB is deleted, nothing is sent.
    let r = passes(&format!(
        "{CONNECTING}+0...0.01 connect(3, ..., ...) = -1 ECONNREFUSED\n\
         +0 > S 0:0(0)\n+.01 < [0:0(0)] icmp unreachable port_unreachable\n\
         +0 state CLOSED\n"
    ));
    let n = notices(&r);
    assert!(n.contains("hard error, the connection is aborted"), "{n}");
    assert!(n.contains("SHLD-26"), "{n}");
    // Nothing more is sent: no RST, no retransmitted SYN.
    let r = run(&format!(
        "--strict\n{CONNECTING}+0...0.01 connect(3, ..., ...) = -1 ECONNREFUSED\n\
         +0 > S 0:0(0)\n+.01 < icmp unreachable port_unreachable\n+5 state CLOSED\n"
    ));
    assert!(matches!(r.verdict, Verdict::Pass), "{}", transcript(&r));
}

#[test]
fn icmp_protocol_unreachable_aborts_an_established_connection() {
    // The next call reports the error (ENOPROTOOPT, as a Linux socket), then the socket
    // is closed: a write finds no connection.
    let r = passes(&established(
        "+0 < icmp unreachable protocol_unreachable\n+0 state CLOSED\n\
         +0 getsockopt(4, SOL_SOCKET, SO_ERROR, [ENOPROTOOPT], [4]) = 0\n",
    ));
    assert!(
        notices(&r).contains("in ESTABLISHED: a hard error"),
        "{}",
        notices(&r)
    );
}

#[test]
fn icmp_host_unreachable_in_syn_sent_does_not_abort_and_the_handshake_completes() {
    // A soft error (MUST-56): the SYN is retransmitted, the handshake can still complete.
    let r = passes(&format!(
        "{CONNECTING}+0...1.01 connect(3, ..., ...) = 0\n\
         +0 > S 0:0(0)\n+.01 < [0:0(0)] icmp unreachable host_unreachable\n\
         +0 state SYN-SENT\n+.99 > S 0:0(0)\n+.01 < S. 0:0(0) ack 1 win 1000\n\
         +0 > . 1:1(0) ack 1\n+0 state ESTABLISHED\n"
    ));
    let n = notices(&r);
    assert!(
        n.contains("soft error, the connection is not aborted"),
        "{n}"
    );
    assert!(n.contains("MUST-56"), "{n}");
}

#[test]
fn icmp_soft_errors_are_reported_only_when_the_connection_times_out() {
    let r = passes(
        "--retries=1\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
         +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 connect(3, ..., ...) = -1 EINPROGRESS\n\
         +0 > S 0:0(0)\n+.01 < [0:0(0)] icmp unreachable net_unreachable\n+0 state SYN-SENT\n\
         +0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n\
         +0...2.99 poll([{fd=3, events=POLLOUT}], 1, 5000) = 1\n1 > S 0:0(0)\n\
         3.1 getsockopt(3, SOL_SOCKET, SO_ERROR, [ENETUNREACH], [4]) = 0\n",
    );
    assert!(notices(&r).contains("soft error"), "{}", notices(&r));
    // An ICMP message quoting a segment not in flight is ignored (RFC 5927 §4.1), even a
    // hard error.
    let r = passes(
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
         +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 connect(3, ..., ...) = -1 EINPROGRESS\n\
         +0 > S 0:0(0)\n+0 < [500:500(0)] icmp unreachable port_unreachable\n+0 state SYN-SENT\n",
    );
    assert!(notices(&r).contains("not in flight"), "{}", notices(&r));
}

#[test]
fn icmp_fragmentation_needed_does_not_abort() {
    // Path MTU discovery (RFC 1191), not an error: ignored with a notice.
    let r = passes(&established(
        "+0 write(4, ..., 100) = 100\n+0 > P. 1:101(100) ack 1\n\
         +.01 < [1:1(0)] icmp unreachable frag_needed mtu 576\n+0 state ESTABLISHED\n\
         +0 < . 1:1(0) ack 101 win 1000\n+0 write(4, ..., 10) = 10\n+0 > P. 101:111(10) ack 1\n",
    ));
    assert!(
        notices(&r).contains("path MTU discovery"),
        "{}",
        notices(&r)
    );
}

#[test]
fn icmp_lines_parse_as_packetdrill_writes_them() {
    for line in [
        "0 < icmp unreachable port_unreachable",
        "0 < [1:1(0)] icmp unreachable frag_needed mtu 1200",
        "0 < [ect0] icmp time_exceeded",
        "0 > icmp unreachable port_unreachable",
    ] {
        let s = parse(line, true).unwrap_or_else(|e| panic!("{line}: {e:?}"));
        assert!(
            matches!(
                s.statements[0].action,
                Action::IcmpIn(_) | Action::IcmpOut(_)
            ),
            "{line}"
        );
    }
    let e = parse("0 < udp (100)", true).unwrap_err();
    assert_eq!(e.offset, 4);
    assert!(e.message.contains("UDP"), "{}", e.message);
    let e = parse("0 < icmp", true).unwrap_err();
    assert!(e.message.contains("type"), "{}", e.message);
    // The endpoint sends no ICMP: a `> icmp` line fails the run, not the parse.
    let (line, m) = fails("0 state CLOSED\n+0 > icmp unreachable port_unreachable\n");
    assert_eq!(line, 2);
    assert!(m.contains("no ICMP"), "{m}");
}

#[test]
fn ecn_marks_are_parsed_and_ignored_with_a_notice() {
    let r = passes(&format!(
        "{LISTEN}+0 < [ect0] S 0:0(0) win 1000\n+0 > [noecn] S. 0:0(0) ack 1\n\
         +0 < [ce] . 1:1(0) ack 1 win 1000\n+0 < [ect1] . 1:1(0) ack 1 win 1000\n"
    ));
    assert!(
        notices(&r)
            .contains("IP marks not modelled (no ECN, TTL or traffic class), ignored: [ect0]"),
        "{}",
        notices(&r)
    );
    let e = parse("0 < [ect0 S 0:0(0)", true).unwrap_err();
    assert_eq!(e.offset, 13);
    assert!(e.message.contains("`]`"), "{}", e.message);
}

#[test]
fn arguments_may_span_several_lines() {
    passes(&format!(
        "{LISTEN}+0 setsockopt(3, SOL_SOCKET, SO_LINGER,\n    {{l_onoff=1,\n     l_linger=0}},\n    8) = 0\n\
         +0 setsockopt(3, SOL_SOCKET, SO_TIMESTAMPING,\n    SOF_TIMESTAMPING_SOFTWARE |\n    SOF_TIMESTAMPING_OPT_ID, 4) = 0\n\
         +0 setsockopt(3, IPPROTO_IP, IP_TOS, [htonl(1)], 4) = 0\n+0 state LISTEN\n"
    ));
}

#[test]
fn file_descriptors_are_labels() {
    passes(
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 5\n+0 listen(5, 1) = 0\n\
         +0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1\n+0 < . 1:1(0) ack 1 win 1000\n\
         +0 accept(5, ..., ...) = 9\n+0 write(9, ..., 10) = 10\n+0 > P. 1:11(10) ack 1\n\
         +0 close(5) = 0\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
    );
}

#[test]
fn ifdef_blocks_follow_the_defines() {
    let script = "#ifdef linux\n0 state CLOSED\n#else\n0 state LISTEN\n#endif\n\
                  #ifndef FREEBSD\n+0 state CLOSED\n#endif\n\
                  #ifdef FREEBSD\n+0 state SYN-SENT\n#else\n+0 state CLOSED\n#endif\n";
    let r = passes(script);
    assert_eq!(r.transcript.len(), 3);
    // `--define FREEBSD` (here as the options do it) takes the other branches.
    let opts = Options {
        defines: vec!["FREEBSD".to_string()],
        ..Options::default()
    };
    let r = run_with(script, &opts);
    assert!(
        matches!(r.verdict, Verdict::Fail { .. }),
        "{}",
        transcript(&r)
    );
    // A script may define a name itself.
    passes("--define=X\n#ifdef X\n0 state CLOSED\n#endif\n");
    // Errors keep their place: line and column of the directive, or of the statement.
    let e = parse_with("0 state CLOSED\n  #endif\n", true, &[]).unwrap_err();
    assert_eq!((e.offset, e.message.contains("without")), (17, true));
    let e = parse_with("#ifdef A\n0 state CLOSED\n", true, &[]).unwrap_err();
    assert_eq!((e.offset, e.message.contains("no `#endif`")), (0, true));
    let e = parse_with("#if A\n#endif\n", true, &[]).unwrap_err();
    assert!(e.message.contains("not supported"), "{}", e.message);
    let (line, column, _) =
        bad("#ifdef linux\n0 state CLOSED\n#else\n0 state\n#endif\n+0 state X\n");
    assert_eq!((line, column), (6, 10));
}

#[test]
fn tcpi_prefixed_state_names_are_accepted() {
    passes(&established(
        "+0 %{ assert tcpi_state == TCPI_ESTABLISHED }%\n+0 state TCPI_ESTABLISHED\n\
         +0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED, tcpi_rto=...}, [104]) = 0\n",
    ));
    let (_, m) = fails(&established(
        "+0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCPI_CLOSE_WAIT}, [104]) = 0\n",
    ));
    assert!(m.contains("another state"), "{m}");
}

#[test]
fn wildcards_match_any_sequence_number_length_ack_and_window() {
    passes(&established(
        "+0 write(4, ..., 10) = 10\n+0 > P. ...:...(...) ack ... win ...\n\
         +0 write(4, ..., 10) = 10\n+0 > P. 11:...(10) ack 1\n",
    ));
    // An injected segment needs its numbers.
    let e = parse("0 < . ...:1(0) ack 1", true).unwrap_err();
    assert_eq!(e.offset, 6);
    assert!(e.message.contains("injected"), "{}", e.message);
    let e = parse("0 < . 1:1(0) ack ...", true).unwrap_err();
    assert!(e.message.contains("injected"), "{}", e.message);
}

#[test]
fn ewouldblock_is_eagain() {
    passes(&established(
        "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 read(4, ..., 10) = -1 EWOULDBLOCK (Resource temporarily unavailable)\n",
    ));
}

#[test]
fn segments_after_the_last_expected_line_are_not_read_unless_strict() {
    let script = established("+0 write(4, ..., 10) = 10\n");
    let r = passes(&script);
    let n = notices(&r);
    assert!(
        n.contains("1 segment(s) sent after the last `>` line not checked"),
        "{n}"
    );
    assert!(n.contains("P. 1:11(10) ack 1"), "{n}");
    let strict = Options {
        strict: true,
        ..Options::default()
    };
    let r = run_with(&script, &strict);
    let Verdict::Fail { failure } = r.verdict else {
        panic!("{}", transcript(&r));
    };
    assert!(
        failure.message.contains("no `>` line expects"),
        "{}",
        failure.message
    );
}

#[test]
fn iovecs_written_without_field_names_count_their_second_item_as_the_length() {
    // packetdrill's iovec `{..., N}`, in a msghdr and in a readv list.
    passes(&established(
        "+0 < P. 1:101(100) ack 1 win 1000\n+0 > . 1:1(0) ack 101\n\
         +0 recvmsg(4, {msg_name(...)=...,\n    msg_iov(1)=[{..., 60}],\n    msg_flags=0}, 0) = 60\n\
         +0 readv(4, [{..., 30}, {...,30}], 2) = 40\n\
         +0 sendmsg(4, {msg_name(...)=..., msg_iov(3)=[{..., 0}, {..., 20}, {..., 30}], msg_flags=0}, 0) = 50\n\
         +0 > P. 1:51(50) ack 101\n",
    ));
    // A struct mixing named and positional items parses; a function call is an item too.
    let s = parse(
        "0 setsockopt(3, SOL_SOCKET, SO_LINGER, {1, l_linger=htons(0)}, 8) = 0",
        true,
    )
    .unwrap();
    let Action::Call(c) = &s.statements[0].action else {
        panic!("a call")
    };
    let v = &c.args[3].value;
    assert_eq!(v.field("0").and_then(|v| v.int()), Some(1));
    assert!(v.field("l_linger").is_some());
}

#[test]
fn blocking_times_may_have_spaces_around_the_dots() {
    for line in [
        "0 ... 0.1 read(3, ..., 10) = 0",
        "0 ...0.1 read(3, ..., 10) = 0",
        "+0 ... .1 read(3, ..., 10) = 0",
        "0\t...\t0.1 read(3, ..., 10) = 0",
    ] {
        let s = parse(line, true).unwrap_or_else(|e| panic!("{line}: {e:?}"));
        assert!(
            matches!(
                s.statements[0].when,
                interpreter::script::When::Blocking(..)
            ),
            "{line}"
        );
    }
    let e = parse("0 ... read(3, ..., 10) = 0", true).unwrap_err();
    assert_eq!(e.offset, 6, "{}", e.message);
}

#[test]
fn icmp_lines_take_the_quoted_segment_after_the_message_as_packetdrill_writes_it() {
    for line in [
        "0 < icmp unreachable [300:400(100)]",
        "0 < icmp unreachable frag_needed mtu 576 [0:500(500)]",
        "0 < icmp6 packet_too_big mtu 1280 [0:700(700)]",
        "0 < icmp unreachable port_unreachable [udp (100)]",
        "0 < icmp echo_reply id 7 [raw (20)]",
    ] {
        let s = parse(line, true).unwrap_or_else(|e| panic!("{line}: {e:?}"));
        assert!(
            matches!(s.statements[0].action, Action::IcmpIn(_)),
            "{line}"
        );
    }
    let Action::IcmpIn(m) = parse(
        "0 < icmp unreachable frag_needed mtu 576 [0:500(500)]",
        true,
    )
    .unwrap()
    .statements[0]
        .action
        .clone()
    else {
        panic!("icmp")
    };
    assert_eq!(
        (m.code.as_str(), m.mtu, m.echoed),
        ("frag_needed", Some(576), Some(0))
    );
    let e = parse("0 < icmp unreachable [tcp (1)]", true).unwrap_err();
    assert_eq!(e.offset, 22, "{}", e.message);
    // The quoted segment written after is checked as the one written before: not in
    // flight, the message is ignored.
    let r = passes(
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
         +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 connect(3, ..., ...) = -1 EINPROGRESS\n\
         +0 > S 0:0(0)\n+0 < icmp unreachable port_unreachable [500:500(0)]\n+0 state SYN-SENT\n\
         +0 < icmp unreachable port_unreachable [udp (10)]\n+0 state SYN-SENT\n",
    );
    let n = notices(&r);
    assert!(n.contains("not in flight"), "{n}");
    assert!(n.contains("UDP or raw packet"), "{n}");
}

#[test]
fn wscale_sets_the_shift_our_syn_offers() {
    let script = |extra: &str| {
        format!(
            "--syn_options=linux\n{extra}{LISTEN}+0 < S 0:0(0) win 1000 <mss 1000,wscale 7>\n\
             +0 > S. 0:0(0) ack 1 <mss 1460,wscale 8>\n"
        )
    };
    passes(&script("--wscale=8\n"));
    let (line, m) = fails(&script(""));
    assert_eq!(line, 5);
    assert!(m.contains("TCP options"), "{m}");
    // Written before `--syn_options`, it still applies.
    passes(&format!(
        "--wscale=8\n--syn_options=linux\n{LISTEN}+0 < S 0:0(0) win 1000 <mss 1000,wscale 7>\n\
         +0 > S. 0:0(0) ack 1 <mss 1460,wscale 8>\n"
    ));
    let (line, _, m) = bad("--wscale=15\n0 state CLOSED\n");
    assert_eq!(line, 1);
    assert!(m.contains("at most 14"), "{m}");
}

#[test]
fn segments_sent_at_once_match_a_line_that_expects_them_as_one_offloaded_segment() {
    // The endpoint sends two MSS-sized segments; Linux would hand them to the device as
    // one TSO/GSO packet, which is what packetdrill's scripts expect. (PSH only on the
    // segment that empties the queue, RFC 1122 §4.2.2.2.)
    let syn = "+0 < S 0:0(0) win 4000 <mss 1000>\n+0 > S. 0:0(0) ack 1\n\
               +0 < . 1:1(0) ack 1 win 4000\n+0 accept(3, ..., ...) = 4\n";
    let r = passes(&format!(
        "{LISTEN}{syn}+0 write(4, ..., 2500) = 2500\n+0 > . 1:2001(2000) ack 1\n\
         +0 > P. 2001:2501(500) ack 1\n"
    ));
    assert!(
        notices(&r).contains("2 segments sent at once matched as one"),
        "{}",
        notices(&r)
    );
    // Segments one by one still match their own lines.
    passes(&format!(
        "{LISTEN}{syn}+0 write(4, ..., 2000) = 2000\n+0 > . 1:1001(1000) ack 1\n\
         +0 > P. 1001:2001(1000) ack 1\n"
    ));
    // A run that does not add up to the length expected is not merged.
    let (line, m) = fails(&format!(
        "{LISTEN}{syn}+0 write(4, ..., 2000) = 2000\n+0 > . 1:1501(1500) ack 1\n"
    ));
    assert_eq!(line, 8);
    assert!(m.contains("length"), "{m}");
    // Segments sent at different times are not one packet.
    let (line, m) = fails(&format!(
        "{LISTEN}{syn}+0 write(4, ..., 1000) = 1000\n+.1 write(4, ..., 1000) = 1000\n\
         +0 > P. 1:2001(2000) ack 1\n"
    ));
    assert_eq!(line, 9);
    assert!(m.contains("length"), "{m}");
}

#[test]
fn text_queued_after_shut_rd_is_still_read_then_reads_return_end_of_file() {
    // Linux acknowledges and queues text that arrives after SHUT_RD, and a read returns
    // it; with nothing queued a read returns 0 at once.
    passes(&established(
        "+0 shutdown(4, SHUT_RD) = 0\n+0 read(4, ..., 100) = 0\n\
         +0 < P. 1:101(100) ack 1 win 1000\n+0 > . 1:1(0) ack 101\n\
         +0 read(4, ..., 1000) = 100\n+0 read(4, ..., 1000) = 0\n",
    ));
}

#[test]
fn tcp_maxseg_sets_the_mss_offered_and_sent_and_getsockopt_reports_it() {
    // On a listener, inherited by the connection: the SYN,ACK offers 1100, text is sent
    // in segments of at most 1100 (the peer offered 1300).
    passes(&format!(
        "{LISTEN}+0 getsockopt(3, SOL_TCP, TCP_MAXSEG, [536], [4]) = 0\n\
         +0 setsockopt(3, SOL_TCP, TCP_MAXSEG, [1100], 4) = 0\n\
         +0 getsockopt(3, SOL_TCP, TCP_MAXSEG, [1100], [4]) = 0\n\
         +0 < S 0:0(0) win 8000 <mss 1300>\n+0 > S. 0:0(0) ack 1 <mss 1100>\n\
         +0 < . 1:1(0) ack 1 win 8000\n+0 accept(3, ..., ...) = 4\n\
         +0 getsockopt(4, SOL_TCP, TCP_MAXSEG, [1100], [4]) = 0\n\
         +0 write(4, ..., 1500) = 1500\n+0 > . 1:1101(1100) ack 1\n+0 > P. 1101:1501(400) ack 1\n"
    ));
    // Without it, the peer's MSS; a wrong value fails the run.
    let (line, m) = fails(&format!(
        "{LISTEN}+0 < S 0:0(0) win 8000 <mss 1300>\n+0 > S. 0:0(0) ack 1\n\
         +0 < . 1:1(0) ack 1 win 8000\n+0 accept(3, ..., ...) = 4\n\
         +0 getsockopt(4, SOL_TCP, TCP_MAXSEG, [1460], [4]) = 0\n"
    ));
    assert_eq!(line, 7);
    assert!(m.contains("TCP_MAXSEG"), "{m}");
    // Out of Linux's range: EINVAL.
    passes(&format!(
        "{LISTEN}+0 setsockopt(3, SOL_TCP, TCP_MAXSEG, [20], 4) = -1 EINVAL\n"
    ));
}

#[test]
fn a_null_buffer_fails_with_efault_and_moves_no_text() {
    passes(&format!(
        "--strict\n{}",
        established(
            "+0 write(4, NULL, 100) = -1 EFAULT (Bad address)\n\
             +0 send(4, NULL, 100, 0) = -1 EFAULT\n\
             +0 < P. 1:101(100) ack 1 win 1000\n+0 > . 1:1(0) ack 101\n\
             +0 read(4, NULL, 100) = -1 EFAULT\n+0 recv(4, NULL, 100, 0) = -1 EFAULT\n\
             +0 ioctl(4, SIOCINQ, [100]) = 0\n+0 read(4, ..., 100) = 100\n",
        )
    ));
    // Nothing to copy: no fault (an empty read of a NULL buffer waits as any read).
    passes(&established(
        "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 read(4, NULL, 100) = -1 EAGAIN\n\
         +0 write(4, NULL, 0) = 0\n",
    ));
}

#[test]
fn text_arriving_after_close_aborts_the_connection_but_not_after_shutdown() {
    // close() is a full close: nobody will read the text, so the connection is aborted
    // (RFC 9293 §3.6.1 SHLD-2), with ABORT's <SEQ=SND.NXT><CTL=RST>.
    let r = passes(&format!(
        "--strict\n{}",
        established(
            "+0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n+.1 < . 1:11(10) ack 1 win 1000\n\
             +0 > R 2:2(0)\n+0 state CLOSED\n",
        )
    ));
    let steps: Vec<String> = r
        .transcript
        .iter()
        .flat_map(|e| e.steps.iter().filter_map(|s| s.note.clone()))
        .collect();
    assert!(steps.iter().any(|n| n.contains("SHLD-2")), "{steps:?}");
    // In FIN-WAIT-2 too; a FIN alone or an old duplicate brings no new text.
    passes(&format!(
        "--strict\n{}",
        established(
            "+0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n+0 < . 1:1(0) ack 2 win 1000\n\
             +0 state FIN_WAIT_2\n+0 < . 1:1(0) ack 2 win 1000\n+0 state FIN_WAIT_2\n\
             +0 < P. 1:6(5) ack 2 win 1000\n+0 > R 2:2(0)\n",
        )
    ));
    // After shutdown(SHUT_WR) the user can still read: the text is acknowledged.
    passes(&format!(
        "--strict\n{}",
        established(
            "+0 shutdown(4, SHUT_WR) = 0\n+0 > F. 1:1(0) ack 1\n\
             +.1 < . 1:11(10) ack 2 win 1000\n+0 > . 2:2(0) ack 11\n+0 read(4, ..., 10) = 10\n",
        )
    ));
}

#[test]
fn edge_triggered_epoll_reports_a_socket_once_per_wake_up() {
    passes(&established(
        "+0 epoll_create(1) = 5\n\
         +0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN|EPOLLOUT|EPOLLET, fd=4}) = 0\n\
         +0 epoll_wait(5, {events=EPOLLOUT, fd=4}, 1, 0) = 1\n\
         +0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0\n\
         +0 < P. 1:11(10) ack 1 win 1000\n+0 > . 1:1(0) ack 11\n\
         +0 epoll_wait(5, {events=EPOLLIN|EPOLLOUT, fd=4}, 1, 0) = 1\n\
         +0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0\n\
         +0 read(4, ..., 5) = 5\n+0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0\n\
         +0 < P. 11:21(10) ack 1 win 1000\n+0 > . 1:1(0) ack 21\n\
         +0 epoll_wait(5, {events=EPOLLIN|EPOLLOUT, fd=4}, 1, 0) = 1\n\
         +0 epoll_ctl(5, EPOLL_CTL_MOD, 4, {events=EPOLLIN|EPOLLET, fd=4}) = 0\n\
         +0 epoll_wait(5, {events=EPOLLIN, fd=4}, 1, 0) = 1\n\
         +0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0\n\
         +0 < F. 21:21(0) ack 1 win 1000\n+0 > . 1:1(0) ack 22\n\
         +0 epoll_wait(5, {events=EPOLLIN, fd=4}, 1, 0) = 1\n",
    ));
    // Level-triggered, the same socket is reported as long as it is ready.
    passes(&established(
        "+0 epoll_create(1) = 5\n\
         +0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLOUT, fd=4}) = 0\n\
         +0 epoll_wait(5, {events=EPOLLOUT, fd=4}, 1, 0) = 1\n\
         +0 epoll_wait(5, {events=EPOLLOUT, fd=4}, 1, 0) = 1\n",
    ));
}
