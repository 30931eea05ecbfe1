//! The script language: what parses to what, and where errors point.

use interpreter::script::{Action, Skipped, Time, Value, When, parse};
use interpreter::session::place;
use model::{Flags, State};

#[track_caller]
fn one(text: &str) -> interpreter::script::Statement {
    let s = parse(text, true).unwrap_or_else(|e| panic!("{text}: {e:?}"));
    assert_eq!(s.statements.len(), 1, "{text}");
    s.statements.into_iter().next().unwrap()
}

/// (line, column, message) of a parse error.
#[track_caller]
fn error(text: &str) -> (usize, usize, String) {
    let e = parse(text, true).expect_err(text);
    let p = place(text, e.offset);
    (p.line, p.column, e.message)
}

#[test]
fn times_absolute_relative_ranges_any_and_blocking() {
    let t = |relative, micros| Time { relative, micros };
    assert_eq!(one("0 state CLOSED").when, When::At(t(false, 0)));
    assert_eq!(one("0.100 state CLOSED").when, When::At(t(false, 100_000)));
    assert_eq!(one("+.1 state CLOSED").when, When::At(t(true, 100_000)));
    assert_eq!(
        one("+1.000001 state CLOSED").when,
        When::At(t(true, 1_000_001))
    );
    assert_eq!(one("* state CLOSED").when, When::Any);
    assert_eq!(
        one("0.1~0.2 state CLOSED").when,
        When::Within(t(false, 100_000), t(false, 200_000))
    );
    assert_eq!(
        one("+0...0.200 accept(3, ..., ...) = 4").when,
        When::Blocking(t(true, 0), t(false, 200_000))
    );
}

#[test]
fn segment_lines_keep_flags_numbers_and_option_names() {
    let s = one("+0 < S. 0:0(0) ack 1 win 32792 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");
    let Action::Inbound(p) = s.action else {
        panic!()
    };
    assert_eq!(p.flags, Flags::SYN | Flags::ACK);
    assert_eq!(
        (p.start, p.end, p.len, p.ack, p.win),
        (0, 0, 0, Some(1), Some(32792))
    );
    assert_eq!(p.options, ["mss", "sackOK", "TS", "nop", "wscale"]);
    assert_eq!(p.mss, Some(1460));
    let (_, _, m) = error("0 < S 0:0(0) <mss 70000>");
    assert!(m.contains("MSS"), "{m}");
    let s = one("+0 > FP. 1:1001(1000) ack 4294967295");
    let Action::Outbound(p) = s.action else {
        panic!()
    };
    assert_eq!(p.flags, Flags::FIN | Flags::PSH | Flags::ACK);
    assert_eq!((p.len, p.ack, p.win), (1000, Some(u32::MAX), None));
    for (text, flags) in [
        ("R", Flags::RST),
        ("R.", Flags::RST | Flags::ACK),
        (".", Flags::ACK),
        ("-", Flags::NONE),
        ("P.", Flags::PSH | Flags::ACK),
        ("F.", Flags::FIN | Flags::ACK),
    ] {
        let Action::Inbound(p) = one(&format!("0 < {text} 1:1(0)")).action else {
            panic!()
        };
        assert_eq!(p.flags, flags, "{text}");
    }
    let Action::Inbound(p) = one("0 < SEW 0:0(0)").action else {
        panic!()
    };
    assert_eq!((p.flags, p.unmodelled_flags.as_str()), (Flags::SYN, "EW"));
}

#[test]
fn system_calls_keep_arguments_and_results() {
    let s = one("+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0");
    let Action::Call(c) = s.action else { panic!() };
    assert_eq!(c.name, "setsockopt");
    assert!(matches!(&c.args[3].value, Value::Struct(f) if f.len() == 2));
    let s = one("+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0");
    let Action::Call(c) = s.action else { panic!() };
    assert!(c.args[2].value.has_name("O_NONBLOCK"));
    let s = one("0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)");
    let Action::Call(c) = s.action else { panic!() };
    assert_eq!(
        (c.result.value, c.result.errno.as_deref()),
        (-1, Some("EINPROGRESS"))
    );
    assert!(matches!(c.args[1].value, Value::Ellipsis));
    let s = one("0 fcntl(3, F_GETFL) = 0x802 (flags O_RDWR|O_NONBLOCK)");
    let Action::Call(c) = s.action else { panic!() };
    assert_eq!(c.result.value, 0x802);
    let s = one("0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0");
    let Action::Call(c) = s.action else { panic!() };
    assert_eq!(c.args[3].value.int(), Some(1));
}

#[test]
fn comments_blocks_and_backticks() {
    let s = parse(
        "// a comment\n/* a\n block */ 0 state LISTEN // trailing\n+0 `rm -rf /`\n+0 %{\nprint(1)\n}%\n+0 %{ assert tcpi_state == TCP_SYN_RECV }%\n",
        true,
    )
    .unwrap();
    assert_eq!(s.statements.len(), 4);
    assert!(matches!(
        s.statements[0].action,
        Action::Assert(State::Listen, _, _)
    ));
    assert!(matches!(
        s.statements[1].action,
        Action::Skip(Skipped::Shell)
    ));
    assert!(matches!(
        s.statements[2].action,
        Action::Skip(Skipped::Python)
    ));
    assert!(matches!(
        s.statements[3].action,
        Action::Assert(State::SynReceived, _, _)
    ));
}

#[test]
fn options_lines_come_before_statements() {
    let s = parse(
        "--tolerance_usecs=10000\n--profile=rfc793\n0 state CLOSED\n",
        true,
    )
    .unwrap();
    assert_eq!(s.options.len(), 2);
    assert_eq!(
        (s.options[1].name.as_str(), s.options[1].value.as_str()),
        ("profile", "rfc793")
    );
}

#[test]
fn every_state_spelling_is_accepted() {
    for state in State::ALL {
        for word in [
            state.to_string(),
            state.id().to_string(),
            state.linux_name().to_string(),
        ] {
            let s = one(&format!("0 state {word}"));
            assert!(
                matches!(s.action, Action::Assert(st, _, _) if st == state),
                "{word}"
            );
        }
    }
}

#[test]
fn sack_options_keep_their_blocks_and_bad_ones_are_errors() {
    let s = one("+0 > . 1:1(0) ack 1 <nop,nop,sack 3001:4001 1001:2001>");
    let Action::Outbound(p) = s.action else {
        panic!()
    };
    assert_eq!(p.options, ["nop", "nop", "sack"]);
    assert_eq!(p.tcp.sack.as_slice(), [(3001, 4001), (1001, 2001)]);
    for bad in [
        "sack",
        "sack 1",
        "sack 1:2 3:4 5:6 7:8 9:10",
        "sack 1:4294967296",
    ] {
        let (l, c, m) = error(&format!("0 < . 1:1(0) ack 1 <{bad}>"));
        assert_eq!((l, c), (1, 20), "{bad}");
        assert!(m.contains("SACK"), "{bad}: {m}");
    }
}

#[test]
fn errors_point_at_line_and_column() {
    assert_eq!(error("0 state CLOSED\n+0 < S 0:5(0)\n").0, 2);
    assert_eq!(error("0 state CLOSED\n+0 < S 0:5(0)\n").1, 8);
    let (l, c, m) = error("0 < SX 0:0(0)");
    assert_eq!((l, c), (1, 5));
    assert!(m.contains("flags"), "{m}");
    let (l, c, m) = error("0 state CLOSED\n\n  +0 frobnicate(3) = 0");
    assert_eq!((l, c), (3, 6));
    assert!(m.contains("system call"), "{m}");
    let (l, c, m) = error("0 state NOWHERE");
    assert_eq!((l, c), (1, 9));
    assert!(m.contains("state"), "{m}");
    let (l, c, _) = error("< S 0:0(0)");
    assert_eq!((l, c), (1, 1));
    let (l, c, m) = error("0 < S 0:0(0) win 100 junk");
    assert_eq!((l, c), (1, 22));
    assert!(m.contains("end of line"), "{m}");
    let (l, _, m) = error("0 state CLOSED /* never closed\n");
    assert_eq!(l, 1);
    assert!(m.contains("*/"), "{m}");
    let (_, _, m) = error("0 < S 0:0(0) ack 4294967296");
    assert!(m.contains("32-bit"), "{m}");
    let (_, c, _) = error("0 connect(3, ..., ...) = EINPROGRESS");
    assert_eq!(c, 26);
    let (_, _, m) = error("0 %{ assert tcpi_state == TCP_NOPE }%");
    assert!(m.contains("tcpi_state"), "{m}");
    let (_, _, m) = error("--tolerance_usecs 5\n");
    assert!(m.contains("="), "{m}");
}

#[test]
fn the_repl_may_leave_the_time_out() {
    let s = parse("< S 0:0(0)", false).unwrap();
    assert_eq!(s.statements[0].when, When::Omitted);
}

#[test]
fn packetdrill_idioms_parse() {
    let Action::Outbound(p) = one("+0 > S 0:0(0) <...>").action else {
        panic!()
    };
    assert_eq!(p.options, ["..."]);
    let s = one("+0 %{\nassert tcpi_state == TCP_CLOSE_WAIT, tcpi_state\nassert tcpi_rto > 0\n}%");
    let Action::Assert(state, _, notice) = s.action else {
        panic!()
    };
    assert_eq!(state, State::CloseWait);
    assert!(notice.unwrap().contains("1 other line"));
    let (l, c, m) =
        error("0 %{\nassert tcpi_state == TCP_LISTEN\n  assert tcpi_state == TCP_CLOSE\n}%");
    assert_eq!((l, c), (3, 3));
    assert!(m.contains("one state"), "{m}");
    let Action::Call(c) =
        one("+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0").action
    else {
        panic!()
    };
    assert!(matches!(&c.args[3].value, Value::List(v) if v[0].value.has_name("ECONNREFUSED")));
}

#[test]
fn limits_are_errors_not_crashes() {
    let deep = format!("0 close({}) = 0", "[".repeat(100_000));
    let (l, c, m) = error(&deep);
    assert_eq!((l, c), (1, 25));
    assert!(m.contains("levels"), "{m}");
    let (_, c, m) = error("0 < . 1:1(0) ack 1 win 65536");
    assert_eq!(c, 24);
    assert!(m.contains("16-bit window"), "{m}");
    assert!(parse("0 < . 1:1(0) ack 1 win 65535", true).is_ok());
}

/// The line index gives every offset the line and column that counting from the start
/// gives, and maps them back.
#[test]
fn the_line_index_agrees_with_counting() {
    let text = "0 socket(...)\n\n+0 < S 0:0(0) // é ü\r\n\tÿ€x\n last line without newline";
    let src = interpreter::session::Source::new(text);
    for offset in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
        let p = src.place(offset);
        assert_eq!((p.line, p.column), (line, column), "offset {offset}");
        assert_eq!(src.offset_of(line, column), offset, "offset {offset}");
    }
    // Past the end, and inside a character, are clamped.
    assert_eq!(src.place(10_000).line, 5);
    assert_eq!(src.place(text.find('é').unwrap() + 1).column, 18);
    assert_eq!(src.offset_of(99, 1), text.len());
}

#[test]
fn state_names_in_every_spelling_scripts_use() {
    use interpreter::script::parse_state;
    for (word, state) in [
        ("ESTABLISHED", State::Established),
        ("SYN-RECEIVED", State::SynReceived),
        ("TCP_SYN_RECV", State::SynReceived),
        ("SYN_RECV", State::SynReceived),
        ("TCPI_ESTABLISHED", State::Established),
        // FreeBSD's scripts assert its TCPS_ names with packetdrill's TCPI_ prefix.
        ("TCPI_CLOSED", State::Closed),
        ("TCPI_FIN_WAIT_1", State::FinWait1),
        ("TCPI_SYN_RECEIVED", State::SynReceived),
        ("TCPI_TIME_WAIT", State::TimeWait),
    ] {
        assert_eq!(parse_state(word), Some(state), "{word}");
    }
    assert_eq!(parse_state("TCPI_OPEN"), None);
}

#[test]
fn a_relative_time_may_have_a_space_after_its_plus_sign() {
    // packetdrill's lexer reads `+` as a token of its own (FreeBSD's suite writes
    // `+ 1.00`).
    let t = |micros| {
        When::At(Time {
            relative: true,
            micros,
        })
    };
    assert_eq!(one("+ 1.00 state CLOSED").when, t(1_000_000));
    assert_eq!(one("+\t.5 state CLOSED").when, t(500_000));
    // A `+` with no time after it is still an error, at the place the time should be.
    assert_eq!(error("+  state CLOSED").0, 1);
}

#[test]
fn freebsd_suite_ip_fields_bang_and_udp_suffix_parse_and_bad_ones_point_at_the_place() {
    // nplab packetdrill's IP header fields, `!` after the range, TCP over UDP.
    let s = one("+0 > (ttl 4) R. 0:0(0)! ack 2 win 0 <nop,nop,md5 valid>/udp(9811 > 1)");
    let Action::Outbound(p) = s.action else {
        panic!("{s:?}")
    };
    assert_eq!(p.ip, vec!["ttl 4".to_string()]);
    assert!(p.bang);
    assert_eq!(p.udp.as_deref(), Some("9811 > 1"));
    assert_eq!(p.options, vec!["nop", "nop", "md5"]);
    let s = one("+0 < (class 0x28) S 0:0(0) win 32767");
    let Action::Inbound(p) = s.action else {
        panic!("{s:?}")
    };
    assert_eq!(
        (p.ip, p.bang, p.udp),
        (vec!["class 0x28".to_string()], false, None)
    );
    // Unclosed or empty: a line:column error.
    let at = |text: &str| {
        let (line, column, _) = error(text);
        (line, column)
    };
    assert_eq!(at("+0 < (ttl 4 S 0:0(0) win 1"), (1, 16));
    assert_eq!(at("+0 < S 0:0(0) win 1/udp(x)"), (1, 25));
}
