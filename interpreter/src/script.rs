//! The script language: a subset of packetdrill's, parsed with winnow.
//!
//! A script is a list of statements, one per line (a statement may continue onto further
//! lines inside brackets, comments, `%{ }%` blocks and backticks). Each statement starts
//! with a time and holds one of: an inbound segment (`<`), an expected outbound segment
//! (`>`), a system call, a state assertion, or a skipped block. The parser keeps the byte
//! span of everything a later error may point at.

use model::{Flags, State};
use serde::Serialize;
use std::ops::Range;
use winnow::ascii::{digit1, hex_digit1};
use winnow::combinator::{alt, cut_err, delimited, opt, preceded, separated, terminated};
use winnow::error::{ContextError, ErrMode, ModalResult, StrContext, StrContextValue};
use winnow::prelude::*;
use winnow::stream::{LocatingSlice, Location, Stream};
use winnow::token::{any, one_of, take, take_till, take_until, take_while};

type In<'a> = LocatingSlice<&'a str>;

/// A byte range in the script's text.
pub type Span = Range<usize>;

/// A parsed script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// `--name=value` lines before the first statement, as packetdrill allows.
    pub options: Vec<ScriptOption>,
    /// The statements, in order.
    pub statements: Vec<Statement>,
}

/// A `--name=value` line, or a `--name` line (a flag: its value is empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptOption {
    /// The name, without the dashes.
    pub name: String,
    /// The value as written; empty for a flag (`--strict_segments`).
    pub value: String,
    /// Where the line is.
    pub span: Span,
}

/// One statement: a time and what happens then.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The whole statement.
    pub span: Span,
    /// When it happens.
    pub when: When,
    /// What happens.
    pub action: Action,
}

/// A point in time as written: absolute, or relative to the previous statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Time {
    /// Written with a leading `+`.
    pub relative: bool,
    /// Microseconds.
    pub micros: u64,
}

/// The time of a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// No time written (the REPL allows this; it means `+0`).
    Omitted,
    /// `0.100` or `+.1`.
    At(Time),
    /// `*`: whenever it happens.
    Any,
    /// `a~b`: at some time between the two.
    Within(Time, Time),
    /// `a...b`: a blocking call that starts at `a` and returns at `b`.
    Blocking(Time, Time),
}

/// What a statement does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `<`: a segment the script injects.
    Inbound(Packet),
    /// `>`: a segment the endpoint must send.
    Outbound(Packet),
    /// A system call and its expected result.
    Call(Call),
    /// `state ESTABLISHED` or `%{ assert tcpi_state == TCP_ESTABLISHED }%`, with a notice
    /// when the block held other lines (skipped).
    Assert(State, Span, Option<String>),
    /// A backtick command or a `%{ }%` block: never executed.
    Skip(Skipped),
    /// `< icmp unreachable port_unreachable`: an ICMP message the script injects.
    IcmpIn(Icmp),
    /// `> icmp ...`: an ICMP message the endpoint must send.
    IcmpOut(Icmp),
}

/// An ICMP line: `< icmp unreachable port_unreachable [mtu N] [1:1(0)]` (the quoted
/// segment may also be written before `icmp`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Icmp {
    /// `unreachable`, `time_exceeded`, ...
    pub kind: String,
    /// `port_unreachable`, `frag_needed`, ...; empty when not written.
    pub code: String,
    /// The TCP sequence number of the segment it quotes (`[1:1(0)]`), when written.
    pub echoed: Option<u32>,
    /// `mtu N`.
    pub mtu: Option<u32>,
    /// `id N` (an echo's identifier): parsed, not modelled.
    pub id: Option<u32>,
    /// Whether the quoted packet is TCP (not `[udp (N)]` or `[raw (N)]`).
    pub quotes_tcp: bool,
    /// IP-level marks written in brackets (`ect0`, `tos 0x2`): parsed, not modelled.
    pub ip: Vec<String>,
}

/// What kind of block was skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Skipped {
    /// `` `shell command` ``.
    Shell,
    /// `%{ python }%`.
    Python,
}

/// A TCP segment line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Control bits (ECE, CWR and URG are parsed and dropped).
    pub flags: Flags,
    /// Where the flags are written.
    pub flags_span: Span,
    /// Flags written that the model does not have (`E`, `W`, `U`).
    pub unmodelled_flags: String,
    /// First sequence number.
    pub start: u32,
    /// Sequence number after the text.
    pub end: u32,
    /// Text length.
    pub len: u32,
    /// Where `start:end(len)` is written.
    pub seq_span: Span,
    /// The sequence number was written `...`: any matches (only on `>`).
    pub any_seq: bool,
    /// The length (or end) was written `...`: any matches (only on `>`).
    pub any_len: bool,
    /// IP-level marks written in brackets (`[ect0]`, `[ce]`, `[tos 0x2]`), or IP header
    /// fields in parentheses as FreeBSD's suite writes them for nplab's packetdrill
    /// (`(ttl 4)`, `(hlim 4)`, `(tos 0x28)`, `(class 0x28)`): not modelled.
    pub ip: Vec<String>,
    /// A `!` after the sequence range (nplab's packetdrill; FreeBSD's suite writes it on
    /// RST,ACKs with `<SEQ=0>`): parsed, not modelled (the numbers are compared as
    /// written).
    pub bang: bool,
    /// `/udp(SRC > DST)` after the segment: carried in UDP (FreeBSD's TCP over UDP,
    /// `net.inet.tcp.udp_tunneling_port`, RFC 6951's encapsulation): parsed, not
    /// modelled; the segment is taken as plain TCP.
    pub udp: Option<String>,
    /// `ack N`.
    pub ack: Option<u32>,
    /// Where the acknowledgment number is written.
    pub ack_span: Option<Span>,
    /// `win N`.
    pub win: Option<u32>,
    /// Names of the TCP options written in `<...>` (the modelled ones are also in `tcp`) ...
    pub options: Vec<String>,
    /// ... the MSS option's value, which sets the endpoint's send MSS (RFC 9293 §3.7.1).
    pub mss: Option<u16>,
    /// The modelled options with their values (MSS, window scale, SACK-permitted,
    /// timestamps): passed to the endpoint on `<` lines, compared on `>` lines.
    pub tcp: model::TcpOptions,
}

/// A system call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// `connect`, `write`, ...
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// The arguments.
    pub args: Vec<Arg>,
    /// The expected result.
    pub result: Expect,
}

/// An argument of a system call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// Where it is written.
    pub span: Span,
    /// What it is.
    pub value: Value,
}

/// The value of an argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `...`: anything.
    Ellipsis,
    /// A number.
    Int(i64),
    /// A symbol: `SOCK_STREAM`.
    Name(String),
    /// `A|B`.
    Or(Vec<Arg>),
    /// `[n]`.
    List(Vec<Arg>),
    /// `{l_onoff=1, l_linger=0}`.
    Struct(Vec<(String, Arg)>),
    /// `"text"`.
    Str(String),
    /// `htonl(1)`, `inet_addr("192.0.2.1")`: a function applied, kept as written.
    Apply(String, Vec<Arg>),
}

impl Value {
    /// The number, when the value is one.
    pub fn int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            Value::List(items) if items.len() == 1 => items[0].value.int(),
            _ => None,
        }
    }

    /// A struct's field (`msg_iov(1)=...` is found as `msg_iov`).
    pub fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Struct(fields) => fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, a)| &a.value),
            _ => None,
        }
    }

    /// Whether this value names `name`, alone or in an `A|B`.
    pub fn has_name(&self, name: &str) -> bool {
        match self {
            Value::Name(n) => n == name,
            Value::Or(items) => items.iter().any(|a| a.value.has_name(name)),
            _ => false,
        }
    }
}

/// `= result [ERRNO [(text)]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    /// The return value.
    pub value: i64,
    /// `EAGAIN`, for -1.
    pub errno: Option<String>,
    /// Where the result is written.
    pub span: Span,
}

/// A parse error: where, and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset.
    pub offset: usize,
    /// What went wrong.
    pub message: String,
}

/// The system calls the interpreter knows.
pub const SYSCALLS: &[&str] = &[
    "socket",
    "bind",
    "listen",
    "accept",
    "connect",
    "read",
    "write",
    "send",
    "recv",
    "shutdown",
    "close",
    "setsockopt",
    "fcntl",
    "getsockopt",
    "sendto",
    "recvfrom",
    "recvmsg",
    "sendmsg",
    "readv",
    "writev",
    "ioctl",
    "poll",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "pipe",
    "open",
    "splice",
    "sendfile",
];

/// [`SYSCALLS`] as an error lists them.
const SYSCALL_LIST: &str = "socket, bind, listen, accept, connect, read, write, send, recv, \
shutdown, close, setsockopt, fcntl, getsockopt, sendto, recvfrom, recvmsg, sendmsg, readv, \
writev, ioctl, poll, epoll_create, epoll_create1, epoll_ctl, epoll_wait, pipe, open, splice \
or sendfile";

/// Names `#ifdef` finds defined without any `--define`: packetdrill's own (it runs on Linux).
pub const DEFAULT_DEFINES: &[&str] = &["linux"];

/// Parses a whole script with packetdrill's default defines ([`DEFAULT_DEFINES`]).
/// `times_required` is false in the REPL, where a statement without a time means `+0`.
pub fn parse(text: &str, times_required: bool) -> Result<Script, ParseError> {
    let defines: Vec<String> = DEFAULT_DEFINES.iter().map(|d| d.to_string()).collect();
    parse_with(text, times_required, &defines)
}

/// Parses a whole script; `#ifdef NAME` blocks are kept when `NAME` is in `defines` (or
/// given by a `--define=NAME` line of the script).
pub fn parse_with(
    text: &str,
    times_required: bool,
    defines: &[String],
) -> Result<Script, ParseError> {
    let kept = preprocess(text, defines)?;
    let mut input = LocatingSlice::new(kept.as_str());
    let mut statements = Vec::new();
    let mut options = Vec::new();
    // Option lines may come until the first timed statement (untimed backtick commands,
    // such as packetdrill's `sysctl` set-up lines, may come before them).
    let mut timed = false;
    loop {
        blank(&mut input).map_err(|e| error(&input, e))?;
        if input.starts_with("--") && !timed {
            options.push(option_line(&mut input).map_err(|e| error(&input, e))?);
            end_of_line(&mut input).map_err(|e| error(&input, e))?;
            continue;
        }
        if input.is_empty() {
            break;
        }
        // An untimed backtick command, anywhere: skipped, never executed.
        let required = times_required && !input.starts_with("`");
        let s = statement(required)
            .parse_next(&mut input)
            .map_err(|e| error(&input, e))?;
        timed |= s.when != When::Omitted;
        statements.push(s);
        end_of_line(&mut input).map_err(|e| error(&input, e))?;
    }
    Ok(Script {
        options,
        statements,
    })
}

/// `#ifdef NAME` / `#ifndef NAME` / `#else` / `#endif`: the lines of a branch not taken,
/// and the directives themselves, become blanks of the same length, so every byte
/// offset (and so every line and column an error gives) is the original's.
fn preprocess(text: &str, defines: &[String]) -> Result<String, ParseError> {
    let mut defined: std::collections::HashSet<String> = defines.iter().cloned().collect();
    // (where the `#if...` is, whether its branch is kept, whether `#else` was seen)
    let mut open: Vec<(usize, bool, bool)> = Vec::new();
    let mut skipped = 0usize;
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let trimmed = line.trim_start();
        let hash = start + (line.len() - trimmed.len());
        let mut words = trimmed.split_whitespace();
        let directive = words.next().filter(|w| {
            matches!(
                *w,
                "#ifdef" | "#ifndef" | "#else" | "#endif" | "#if" | "#elif"
            )
        });
        // Kept when no open branch is one not taken (a count: nesting stays linear).
        let kept = skipped == 0;
        let fail = |message: String| ParseError {
            offset: hash,
            message,
        };
        match directive {
            Some(d @ ("#ifdef" | "#ifndef")) => {
                let name = words
                    .next()
                    .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                    .ok_or_else(|| fail(format!("`{d}` needs a name: `{d} NAME`")))?;
                if words.next().is_some_and(|w| !w.starts_with("//")) {
                    return Err(fail(format!("`{d}` takes one name")));
                }
                let is = defined.contains(name);
                let taken = is == (d == "#ifdef");
                skipped += usize::from(!taken);
                open.push((hash, taken, false));
            }
            Some("#else") => match open.last_mut() {
                Some((_, k, seen_else)) if !*seen_else => {
                    *k = !*k;
                    *seen_else = true;
                    if *k {
                        skipped -= 1;
                    } else {
                        skipped += 1;
                    }
                }
                Some(_) => return Err(fail("a second `#else` for one `#ifdef`".to_string())),
                None => return Err(fail("`#else` without `#ifdef`".to_string())),
            },
            Some("#endif") => match open.pop() {
                Some((_, taken, _)) => skipped -= usize::from(!taken),
                None => return Err(fail("`#endif` without `#ifdef`".to_string())),
            },
            Some(d) => {
                return Err(fail(format!(
                    "`{d}` is not supported: only `#ifdef`, `#ifndef`, `#else` and `#endif`"
                )));
            }
            None => {
                if kept {
                    if let Some(name) = trimmed
                        .strip_prefix("--define=")
                        .and_then(|r| r.split_whitespace().next())
                    {
                        defined.insert(name.split('=').next().unwrap_or(name).to_string());
                    }
                    out.push_str(line);
                    continue;
                }
            }
        }
        // A directive, or a line of a branch not taken: blanked.
        out.extend(line.chars().map(|c| match c {
            '\n' => "\n".to_string(),
            c => " ".repeat(c.len_utf8()),
        }));
    }
    if let Some((hash, _, _)) = open.last() {
        return Err(ParseError {
            offset: *hash,
            message: "this `#ifdef` has no `#endif`".to_string(),
        });
    }
    Ok(out)
}

fn option_line(input: &mut In<'_>) -> ModalResult<ScriptOption> {
    let start = input.current_token_start();
    let _: &str = "--".parse_next(input)?;
    let name: &str = cut_err(take_while(1.., |c: char| {
        c.is_ascii_alphanumeric() || c == '_'
    }))
    .context(StrContext::Label("option"))
    .context(expected("`--name=value` or `--name`"))
    .parse_next(input)?;
    // `--name` alone is a flag (packetdrill's `--strict_segments`).
    let value: &str = if opt('=').parse_next(input)?.is_some() {
        cut_err(take_while(1.., |c: char| !c.is_whitespace()))
            .context(StrContext::Label("option"))
            .context(expected("a value after `=`"))
            .parse_next(input)?
    } else {
        let cp = input.checkpoint();
        ws(input)?;
        if !input.is_empty() && !input.starts_with("\n") {
            return Err(ErrMode::Cut(
                ContextError::new()
                    .with(StrContext::Label("option"))
                    .with(expected(
                        "`--name=value` (no spaces) or a flag `--name` alone",
                    )),
            ));
        }
        input.reset(&cp);
        ""
    };
    Ok(ScriptOption {
        name: name.to_string(),
        value: value.to_string(),
        span: start..input.current_token_start(),
    })
}

fn error(input: &In<'_>, e: ErrMode<ContextError>) -> ParseError {
    let e = match e {
        ErrMode::Backtrack(e) | ErrMode::Cut(e) => e,
        ErrMode::Incomplete(_) => ContextError::new(),
    };
    let mut label = None;
    let mut expected = Vec::new();
    for c in e.context() {
        match c {
            StrContext::Label(l) => label = label.or(Some(*l)),
            StrContext::Expected(v) => expected.push(v.to_string()),
            _ => {}
        }
    }
    let message = match (label, expected.is_empty()) {
        (Some(l), true) => format!("invalid {l}"),
        (Some(l), false) => format!("invalid {l}: expected {}", expected.join(" or ")),
        (None, false) => format!("expected {}", expected.join(" or ")),
        (None, true) => "unexpected input".to_string(),
    };
    ParseError {
        offset: input.current_token_start(),
        message,
    }
}

fn expected(what: &'static str) -> StrContext {
    StrContext::Expected(StrContextValue::Description(what))
}

/// Spaces, tabs and comments, on one line (a `/* */` comment may span lines).
fn ws(input: &mut In<'_>) -> ModalResult<()> {
    loop {
        let _: &str = take_while(0.., [' ', '\t', '\r']).parse_next(input)?;
        if input.starts_with("/*") {
            let _: &str = "/*".parse_next(input)?;
            let _: &str = cut_err(take_until(0.., "*/"))
                .context(StrContext::Label("comment"))
                .context(expected("`*/` closing the comment"))
                .parse_next(input)?;
            let _: &str = "*/".parse_next(input)?;
        } else if input.starts_with("//") {
            let _: &str = take_till(0.., ['\n']).parse_next(input)?;
        } else {
            return Ok(());
        }
    }
}

/// Whitespace, comments and newlines.
fn blank(input: &mut In<'_>) -> ModalResult<()> {
    loop {
        ws(input)?;
        if input.starts_with("\n") {
            let _ = any::<_, ContextError>.parse_next(input);
        } else {
            return Ok(());
        }
    }
}

fn end_of_line(input: &mut In<'_>) -> ModalResult<()> {
    ws(input)?;
    if input.is_empty() || input.starts_with("\n") {
        return Ok(());
    }
    Err(ErrMode::Cut(
        ContextError::new().with(expected("end of line")),
    ))
}

trait With {
    fn with(self, c: StrContext) -> Self;
}
impl With for ContextError {
    fn with(mut self, c: StrContext) -> Self {
        self.push(c);
        self
    }
}

fn statement<'a>(times_required: bool) -> impl Parser<In<'a>, Statement, ErrMode<ContextError>> {
    move |input: &mut In<'a>| {
        let start = input.current_token_start();
        let when = when(input, times_required)?;
        ws(input)?;
        let action = action(input)?;
        let end = input.current_token_start();
        Ok(Statement {
            span: start..end,
            when,
            action,
        })
    }
}

/// `0`, `1.5`, `.100`: seconds with up to microsecond resolution.
fn seconds(input: &mut In<'_>) -> ModalResult<u64> {
    let whole: Option<&str> = opt(digit1).parse_next(input)?;
    let frac: Option<&str> = opt(preceded('.', digit1)).parse_next(input)?;
    if whole.is_none() && frac.is_none() {
        return Err(ErrMode::Backtrack(
            ContextError::new().with(expected("a time")),
        ));
    }
    let bad = || {
        ErrMode::Cut(
            ContextError::new()
                .with(StrContext::Label("time"))
                .with(expected("seconds below 10^12, to the microsecond")),
        )
    };
    let whole: u64 = match whole {
        Some(w) if w.len() > 12 => return Err(bad()),
        Some(w) => w.parse().map_err(|_| bad())?,
        None => 0,
    };
    let frac = frac.unwrap_or("");
    if frac.len() > 6 {
        return Err(bad());
    }
    let micros: u64 = format!("{frac:0<6}").parse().map_err(|_| bad())?;
    Ok(whole * 1_000_000 + micros)
}

fn time(input: &mut In<'_>) -> ModalResult<Time> {
    let relative = opt('+').parse_next(input)?.is_some();
    if relative {
        // packetdrill's lexer makes `+` a token of its own: `+ 1.00` is `+1.00`.
        let _: &str = take_while(0.., [' ', '\t']).parse_next(input)?;
    }
    let micros = if relative {
        cut_err(seconds)
            .context(StrContext::Label("time"))
            .parse_next(input)?
    } else {
        seconds(input)?
    };
    Ok(Time { relative, micros })
}

fn when(input: &mut In<'_>, required: bool) -> ModalResult<When> {
    if opt('*').parse_next(input)?.is_some() {
        return Ok(When::Any);
    }
    let Some(start) = opt(time).parse_next(input)? else {
        return if required {
            Err(ErrMode::Cut(
                ContextError::new()
                    .with(StrContext::Label("statement"))
                    .with(expected("a time (`0`, `+0.1`, `*`, `1~2`, `+0...0.2`)")),
            ))
        } else {
            Ok(When::Omitted)
        };
    };
    if opt('~').parse_next(input)?.is_some() {
        let end = cut_err(time)
            .context(StrContext::Label("time range"))
            .context(expected("the end of the range"))
            .parse_next(input)?;
        return Ok(When::Within(start, end));
    }
    // `a...b`, also written `a ... b` or `a ...b`.
    let before_dots = input.checkpoint();
    let _: &str = take_while(0.., [' ', '\t']).parse_next(input)?;
    if opt("...").parse_next(input)?.is_some() {
        let _: &str = take_while(0.., [' ', '\t']).parse_next(input)?;
        let end = cut_err(time)
            .context(StrContext::Label("blocking time"))
            .context(expected("the time the call returns"))
            .parse_next(input)?;
        return Ok(When::Blocking(start, end));
    }
    input.reset(&before_dots);
    Ok(When::At(start))
}

fn action(input: &mut In<'_>) -> ModalResult<Action> {
    if input.starts_with("<") || input.starts_with(">") {
        let inbound = input.starts_with("<");
        let _ = any::<_, ContextError>.parse_next(input);
        let (ip, echoed) = ip_prefix(input)?;
        if input.starts_with("icmp") {
            let mut m = cut_err(icmp).parse_next(input)?;
            m.ip = ip;
            m.echoed = echoed.or(m.echoed);
            return Ok(if inbound {
                Action::IcmpIn(m)
            } else {
                Action::IcmpOut(m)
            });
        }
        if input.starts_with("udp") || input.starts_with("sctp") {
            return Err(ErrMode::Cut(
                ContextError::new()
                    .with(StrContext::Label("packet"))
                    .with(expected(
                        "a TCP segment or an ICMP message (UDP and SCTP are not modelled)",
                    )),
            ));
        }
        let mut p = cut_err(|i: &mut In<'_>| packet(i, inbound)).parse_next(input)?;
        p.ip = ip;
        return Ok(if inbound {
            Action::Inbound(p)
        } else {
            Action::Outbound(p)
        });
    }
    if input.starts_with("`") {
        let _ = any::<_, ContextError>.parse_next(input);
        let _: &str = cut_err(take_until(0.., "`"))
            .context(StrContext::Label("command"))
            .context(expected("a closing backtick"))
            .parse_next(input)?;
        let _ = any::<_, ContextError>.parse_next(input);
        return Ok(Action::Skip(Skipped::Shell));
    }
    if input.starts_with("%{") {
        return python(input);
    }
    let before_name = input.checkpoint();
    let (name, span) = cut_err(identifier.with_span())
        .context(StrContext::Label("statement"))
        .context(expected(
            "`<`, `>`, a system call, `state`, `%{ }%` or a backtick command",
        ))
        .parse_next(input)?;
    if name == "state" {
        let _: &str = take_while(1.., [' ', '\t']).parse_next(input)?;
        let (s, span) = cut_err(state_name.with_span()).parse_next(input)?;
        return Ok(Action::Assert(s, span, None));
    }
    if !SYSCALLS.contains(&name) {
        input.reset(&before_name);
        return Err(ErrMode::Cut(
            ContextError::new()
                .with(StrContext::Label("system call"))
                .with(expected(SYSCALL_LIST)),
        ));
    }
    call(input, name.to_string(), span).map(Action::Call)
}

fn identifier<'a>(input: &mut In<'a>) -> ModalResult<&'a str> {
    (
        one_of(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(0.., |c: char| c.is_ascii_alphanumeric() || c == '_'),
    )
        .take()
        .parse_next(input)
}

fn state_name(input: &mut In<'_>) -> ModalResult<State> {
    let before = input.checkpoint();
    let word: &str = take_while(1.., |c: char| {
        c.is_ascii_alphanumeric() || c == '_' || c == '-'
    })
    .context(expected(
        "a state name (ESTABLISHED, SYN-SENT, TCP_FIN_WAIT1, ...)",
    ))
    .parse_next(input)?;
    parse_state(word).ok_or_else(|| {
        input.reset(&before);
        ErrMode::Cut(
            ContextError::new()
                .with(StrContext::Label("state"))
                .with(expected(
                    "one of the eleven states (ESTABLISHED, SYN-SENT, TCP_FIN_WAIT1, ...)",
                )),
        )
    })
}

/// A state in RFC (`SYN-RECEIVED`), id (`SYN_RECEIVED`) or Linux spelling, with or
/// without Linux's `TCP_` prefix (`SYN_RECV`); `TCPI_ESTABLISHED` as `TCP_ESTABLISHED`,
/// and FreeBSD's `TCPI_CLOSED`, `TCPI_FIN_WAIT_1` (its `TCPS_` names) as the RFC's.
pub fn parse_state(word: &str) -> Option<State> {
    let word = match word.strip_prefix("TCPI_") {
        Some(rest) => format!("TCP_{rest}"),
        None => word.to_string(),
    };
    State::parse(&word)
        .or_else(|| State::parse(&format!("TCP_{word}")))
        .or_else(|| word.strip_prefix("TCP_").and_then(State::parse))
}

/// `%{ ... }%`: an `assert tcpi_state == TCP_X` inside is checked; anything else is skipped.
fn python(input: &mut In<'_>) -> ModalResult<Action> {
    let before = input.checkpoint();
    let block_start = input.current_token_start();
    let _: &str = "%{".parse_next(input)?;
    let body_start = input.current_token_start();
    let body: &str = cut_err(take_until(0.., "}%"))
        .context(StrContext::Label("block"))
        .context(expected("`}%` closing the block"))
        .parse_next(input)?;
    let _: &str = "}%".parse_next(input)?;
    let code: Vec<(usize, &str)> = body
        .split('\n')
        .scan(body_start, |at, line| {
            let here = *at;
            *at += line.len() + 1;
            Some((here, line))
        })
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    // `assert tcpi_state == TCP_X` lines (a message after a comma is allowed) are checked;
    // the block's other lines are Python and are skipped.
    let mut found: Option<(State, Span)> = None;
    let mut other = 0;
    for (at, line) in &code {
        let trimmed = line.trim();
        let lead = line.len() - line.trim_start().len();
        let Some(rest) = trimmed
            .strip_prefix("assert")
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix("tcpi_state"))
        else {
            other += 1;
            continue;
        };
        let name = rest.trim_start().strip_prefix("==").map(|n| {
            n.trim_start()
                .split([',', ' ', '\t', ')'])
                .next()
                .unwrap_or("")
        });
        let start = at + lead + trimmed.find(name.unwrap_or("\u{0}")).unwrap_or(0);
        match name.and_then(parse_state) {
            Some(state) if found.is_none() => {
                found = Some((state, start..start + name.unwrap_or("").len()));
            }
            Some(state) if found.as_ref().is_some_and(|(s, _)| *s == state) => {}
            Some(_) | None => {
                // Point at the line at fault.
                input.reset(&before);
                let _: &str = take(at + lead - block_start).parse_next(input)?;
                let what = if name.and_then(parse_state).is_some() {
                    "one state per block"
                } else {
                    "`assert tcpi_state == TCP_<STATE>`"
                };
                return Err(ErrMode::Cut(
                    ContextError::new()
                        .with(StrContext::Label("tcpi_state assertion"))
                        .with(expected(what)),
                ));
            }
        }
    }
    if let Some((state, span)) = found {
        let skipped = (other > 0).then(|| {
            format!(
                "{other} other line(s) of the %{{ }}% block skipped: only tcpi_state is checked"
            )
        });
        return Ok(Action::Assert(state, span, skipped));
    }
    Ok(Action::Skip(Skipped::Python))
}

fn number<'a>(input: &mut In<'a>) -> ModalResult<u64> {
    let digits: &str = digit1.parse_next(input)?;
    digits.parse().map_err(|_| {
        ErrMode::Cut(
            ContextError::new()
                .with(StrContext::Label("number"))
                .with(expected("a number below 2^64")),
        )
    })
}

fn seq_number(input: &mut In<'_>) -> ModalResult<u32> {
    let n = number
        .context(expected("a sequence number"))
        .parse_next(input)?;
    u32::try_from(n).map_err(|_| {
        ErrMode::Cut(
            ContextError::new()
                .with(StrContext::Label("number"))
                .with(expected("a 32-bit number (at most 4294967295)")),
        )
    })
}

fn sp1(input: &mut In<'_>) -> ModalResult<()> {
    let _: &str = take_while(1.., [' ', '\t']).parse_next(input)?;
    ws(input)
}

/// The `start:end(length)` of a TCP segment an ICMP message quotes: its start.
fn quoted_start(input: &mut In<'_>) -> ModalResult<Option<u32>> {
    let (start, _, _) = cut_err(range)
        .context(StrContext::Label("quoted segment"))
        .context(expected("`[start:end(length)]`"))
        .parse_next(input)?;
    Ok(start)
}

/// `[ect0]`, `[tos 0x2]`, `[1:1(0)]` after `<` or `>`: IP-level marks (parsed, not
/// modelled) and, for ICMP, the sequence number of the TCP segment it quotes.
fn ip_prefix(input: &mut In<'_>) -> ModalResult<(Vec<String>, Option<u32>)> {
    let mut ip = Vec::new();
    let mut echoed = None;
    loop {
        ws(input)?;
        if input.starts_with("(") {
            // nplab packetdrill's IP header fields: `(ttl 4)`, `(hlim 4)`, `(tos 0x28)`,
            // `(class 0x28)`.
            let _ = any::<_, ContextError>.parse_next(input);
            let words: &str = cut_err(take_while(1.., |c: char| {
                c.is_ascii_alphanumeric() || " \t_.,".contains(c)
            }))
            .context(StrContext::Label("IP header fields"))
            .context(expected("`(ttl N)`, `(hlim N)`, `(tos N)` or `(class N)`"))
            .parse_next(input)?;
            let _: char = cut_err(')')
                .context(StrContext::Label("IP header fields"))
                .context(expected("`)`"))
                .parse_next(input)?;
            ip.push(words.trim().to_string());
            continue;
        }
        if !input.starts_with("[") {
            return Ok((ip, echoed));
        }
        let _ = any::<_, ContextError>.parse_next(input);
        ws(input)?;
        if input.starts_with(|c: char| c.is_ascii_digit()) {
            echoed = quoted_start(input)?;
        } else {
            let words: &str = cut_err(take_while(1.., |c: char| {
                c.is_ascii_alphanumeric() || " \t_.,()".contains(c)
            }))
            .context(StrContext::Label("IP marks"))
            .context(expected(
                "`[ect0]`, `[ect1]`, `[ce]`, `[noecn]` or `[tos N]`",
            ))
            .parse_next(input)?;
            ip.push(words.trim().to_string());
        }
        ws(input)?;
        let _: char = cut_err(']')
            .context(StrContext::Label("IP marks"))
            .context(expected("`]`"))
            .parse_next(input)?;
    }
}

/// `icmp unreachable port_unreachable [mtu N] [id N] [1:1(0)]` (packetdrill's words).
fn icmp(input: &mut In<'_>) -> ModalResult<Icmp> {
    let _: &str = "icmp".parse_next(input)?;
    let _: Option<char> = opt('6').parse_next(input)?;
    cut_err(sp1)
        .context(StrContext::Label("ICMP message"))
        .context(expected(
            "a type after `icmp` (`unreachable`, `time_exceeded`, ...)",
        ))
        .parse_next(input)?;
    let kind: &str = cut_err(identifier)
        .context(StrContext::Label("ICMP message"))
        .context(expected("a type (`unreachable`, `time_exceeded`, ...)"))
        .parse_next(input)?;
    let mut m = Icmp {
        kind: kind.to_string(),
        code: String::new(),
        echoed: None,
        mtu: None,
        id: None,
        quotes_tcp: true,
        ip: Vec::new(),
    };
    loop {
        ws(input)?;
        if input.starts_with("mtu") && m.mtu.is_none() {
            let _: &str = "mtu".parse_next(input)?;
            cut_err(sp1).parse_next(input)?;
            m.mtu = Some(
                cut_err(seq_number)
                    .context(StrContext::Label("MTU"))
                    .parse_next(input)?,
            );
        } else if (input.starts_with("id ") || input.starts_with("id\t")) && m.id.is_none() {
            // packetdrill's `id N` (an echo's identifier): parsed, not modelled.
            let _: &str = "id".parse_next(input)?;
            cut_err(sp1).parse_next(input)?;
            m.id = Some(
                cut_err(seq_number)
                    .context(StrContext::Label("ICMP id"))
                    .parse_next(input)?,
            );
        } else if input.starts_with("[") {
            // The quoted segment, where packetdrill writes it: `[start:end(len)]`, or
            // `[udp (N)]` / `[raw (N)]` (quoting no TCP segment).
            let _ = any::<_, ContextError>.parse_next(input);
            ws(input)?;
            if input.starts_with(|c: char| c.is_ascii_digit()) {
                m.echoed = quoted_start(input)?;
            } else {
                let _: &str = cut_err(alt(("udp", "raw")))
                    .context(StrContext::Label("quoted segment"))
                    .context(expected(
                        "`[start:end(length)]`, `[udp (N)]` or `[raw (N)]`",
                    ))
                    .parse_next(input)?;
                ws(input)?;
                let _: (char, u64, char) = cut_err(('(', number, ')'))
                    .context(StrContext::Label("quoted segment"))
                    .context(expected("`(length)`"))
                    .parse_next(input)?;
                m.quotes_tcp = false;
            }
            ws(input)?;
            let _: char = cut_err(']')
                .context(StrContext::Label("quoted segment"))
                .context(expected("`]`"))
                .parse_next(input)?;
        } else if m.code.is_empty()
            && let Some(code) = opt(identifier).parse_next(input)?
        {
            m.code = code.to_string();
        } else {
            return Ok(m);
        }
    }
}

/// A number, or `...` (returned as `None`).
fn seq_or_any(input: &mut In<'_>) -> ModalResult<Option<u32>> {
    if opt("...").parse_next(input)?.is_some() {
        return Ok(None);
    }
    seq_number.map(Some).parse_next(input)
}

/// `start:end(length)`, any of them `...`.
fn range(input: &mut In<'_>) -> ModalResult<(Option<u32>, Option<u32>, Option<u32>)> {
    (
        seq_or_any,
        preceded(':'.context(expected("`:`")), seq_or_any),
        delimited(
            '('.context(expected("`(`")),
            seq_or_any,
            ')'.context(expected("`)`")),
        ),
    )
        .parse_next(input)
}

fn packet(input: &mut In<'_>, inbound: bool) -> ModalResult<Packet> {
    ws(input)?;
    let flags_start = input.checkpoint();
    let (flag_text, flags_span): (&str, Span) = take_while(1.., |c: char| {
        c.is_ascii_alphabetic() || c == '.' || c == '-'
    })
    .context(StrContext::Label("segment"))
    .context(expected("flags (`S`, `S.`, `F.`, `P.`, `R`, `.`, `-`)"))
    .with_span()
    .parse_next(input)?;
    let mut flags = Flags::NONE;
    let mut unmodelled = String::new();
    let body = flag_text.strip_suffix('.');
    for c in body.unwrap_or(flag_text).chars() {
        flags = flags
            | match c {
                'F' => Flags::FIN,
                'S' => Flags::SYN,
                'R' => Flags::RST,
                'P' => Flags::PSH,
                '-' if flag_text == "-" => Flags::NONE,
                'E' | 'W' | 'U' => {
                    unmodelled.push(c);
                    Flags::NONE
                }
                _ => {
                    input.reset(&flags_start);
                    return Err(ErrMode::Cut(
                        ContextError::new()
                            .with(StrContext::Label("flags"))
                            .with(expected(
                                "flags from F, S, R, P, E, W, U, then `.` for ACK; or `-` for none",
                            )),
                    ));
                }
            };
    }
    if body.is_some() {
        flags = flags | Flags::ACK;
    }
    if (flag_text.contains('-') && flag_text != "-")
        || flag_text[..flag_text.len() - 1].contains('.')
    {
        input.reset(&flags_start);
        return Err(ErrMode::Cut(
            ContextError::new()
                .with(StrContext::Label("flags"))
                .with(expected("`-` alone")),
        ));
    }
    cut_err(sp1)
        .context(expected("a space after the flags"))
        .parse_next(input)?;
    let before_range = input.checkpoint();
    let ((start, end, len), seq_span) = cut_err(range)
        .context(StrContext::Label("sequence range"))
        .context(expected("`start:end(length)`"))
        .with_span()
        .parse_next(input)?;
    let bang = opt('!').parse_next(input)?.is_some();
    let (any_seq, any_len) = (start.is_none(), end.is_none() || len.is_none());
    if inbound && (any_seq || any_len) {
        input.reset(&before_range);
        return Err(ErrMode::Cut(
            ContextError::new()
                .with(StrContext::Label("sequence range"))
                .with(expected(
                    "numbers on an injected segment (`...` matches on `>` lines only)",
                )),
        ));
    }
    // A wildcard stands for what the others give: `1:...(100)` is 1:101(100).
    let start = start.unwrap_or(0);
    let len = len.or(end.map(|e| e.wrapping_sub(start))).unwrap_or(0);
    let end = end.unwrap_or(start.wrapping_add(len));
    if !any_seq && !any_len && end.wrapping_sub(start) != len {
        let mut e = ContextError::new();
        e.push(StrContext::Label("sequence range"));
        e.push(expected("end - start to equal the length"));
        // Point at the range rather than after it.
        input.reset(&before_range);
        return Err(ErrMode::Cut(e));
    }
    let mut p = Packet {
        flags,
        flags_span,
        unmodelled_flags: unmodelled,
        start,
        end,
        len,
        seq_span,
        any_seq,
        any_len,
        ip: Vec::new(),
        bang: false,
        udp: None,
        ack: None,
        ack_span: None,
        win: None,
        options: Vec::new(),
        mss: None,
        tcp: model::TcpOptions::NONE,
    };
    p.bang = bang;
    loop {
        ws(input)?;
        if input.starts_with("ack") && p.ack.is_none() {
            let _: &str = "ack".parse_next(input)?;
            cut_err(sp1).parse_next(input)?;
            // `ack ...`: any acknowledgment number.
            let (n, span) = cut_err(seq_or_any.with_span())
                .context(StrContext::Label("ack"))
                .parse_next(input)?;
            p.ack = n;
            p.ack_span = n.map(|_| span);
            if inbound && n.is_none() {
                return Err(ErrMode::Cut(
                    ContextError::new()
                        .with(StrContext::Label("ack"))
                        .with(expected("a number on an injected segment")),
                ));
            }
        } else if input.starts_with("urg") {
            // The urgent pointer: parsed, not modelled (as the `U` flag).
            let _: &str = "urg".parse_next(input)?;
            cut_err(sp1).parse_next(input)?;
            let _ = cut_err(seq_or_any)
                .context(StrContext::Label("urgent pointer"))
                .parse_next(input)?;
            if !p.unmodelled_flags.contains('U') {
                p.unmodelled_flags.push('U');
            }
        } else if input.starts_with("win") && p.win.is_none() {
            let _: &str = "win".parse_next(input)?;
            cut_err(sp1).parse_next(input)?;
            let before_win = input.checkpoint();
            if !inbound && opt("...").parse_next(input)?.is_some() {
                // `win ...`: any window.
                continue;
            }
            let win = cut_err(seq_number)
                .context(StrContext::Label("window"))
                .parse_next(input)?;
            // The window field has 16 bits, and no window scaling is modelled.
            if win > u32::from(u16::MAX) {
                input.reset(&before_win);
                return Err(ErrMode::Cut(
                    ContextError::new()
                        .with(StrContext::Label("window"))
                        .with(expected(
                            "a 16-bit window, at most 65535 (no window scaling)",
                        )),
                ));
            }
            p.win = Some(win);
        } else if input.starts_with("<") && p.options.is_empty() {
            (p.options, p.tcp) = options(input)?;
            p.mss = p.tcp.mss;
        } else if input.starts_with("/udp") && p.udp.is_none() {
            let _: &str = "/udp".parse_next(input)?;
            let _: char = cut_err('(')
                .context(StrContext::Label("UDP encapsulation"))
                .context(expected("`/udp(SRC > DST)`"))
                .parse_next(input)?;
            let ports: &str = cut_err(take_while(1.., |c: char| {
                c.is_ascii_digit() || " \t>".contains(c)
            }))
            .context(StrContext::Label("UDP encapsulation"))
            .context(expected("`/udp(SRC > DST)` with port numbers"))
            .parse_next(input)?;
            let _: char = cut_err(')')
                .context(StrContext::Label("UDP encapsulation"))
                .context(expected("`)` after the ports"))
                .parse_next(input)?;
            p.udp = Some(ports.split_whitespace().collect::<Vec<_>>().join(" "));
        } else {
            break;
        }
    }
    Ok(p)
}

/// `<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>`: the names are kept, and the
/// modelled options' values (a bad value is a script error, never a panic).
fn options(input: &mut In<'_>) -> ModalResult<(Vec<String>, model::TcpOptions)> {
    let before = input.checkpoint();
    let _ = any::<_, ContextError>.parse_next(input);
    // packetdrill's `<...>`: any options.
    if opt("...>").parse_next(input)?.is_some() {
        return Ok((vec!["...".to_string()], model::TcpOptions::NONE));
    }
    let items: Vec<(String, String)> = cut_err(separated(
        1..,
        delimited(
            blank,
            (
                identifier,
                take_while(0.., |c: char| {
                    c.is_ascii_alphanumeric() || " \t:_.-".contains(c)
                }),
            )
                .map(|(name, rest): (&str, &str)| (name.to_string(), rest.trim().to_string())),
            blank,
        ),
        ',',
    ))
    .context(StrContext::Label("TCP options"))
    .context(expected("`<option, option, ...>`"))
    .parse_next(input)?;
    let _: char = cut_err('>')
        .context(StrContext::Label("TCP options"))
        .context(expected("`>` closing the options"))
        .parse_next(input)?;
    let mut tcp = model::TcpOptions::NONE;
    let bad = |label: &'static str, what: &'static str| {
        Err(ErrMode::Cut(
            ContextError::new()
                .with(StrContext::Label(label))
                .with(expected(what)),
        ))
    };
    for (name, value) in &items {
        match name.as_str() {
            "mss" => {
                let Ok(v) = value.parse::<u16>() else {
                    input.reset(&before);
                    return bad("MSS option", "`mss N` with N below 65536");
                };
                tcp.mss = Some(v);
            }
            "wscale" => {
                let Ok(v) = value.parse::<u8>() else {
                    input.reset(&before);
                    return bad("window scale option", "`wscale N` with N below 256");
                };
                tcp.wscale = Some(v);
            }
            "sackOK" => tcp.sack_permitted = true,
            "sack" => {
                // `sack L:R L:R ...`: one to four blocks (RFC 2018 §3).
                let blocks: Option<Vec<(u32, u32)>> = value
                    .split_whitespace()
                    .map(|b| {
                        let (l, r) = b.split_once(':')?;
                        l.parse::<u32>().ok().zip(r.parse::<u32>().ok())
                    })
                    .collect();
                let Some(blocks) = blocks.filter(|b| (1..=4).contains(&b.len())) else {
                    input.reset(&before);
                    return bad(
                        "SACK option",
                        "`sack L:R ...` with one to four blocks of 32-bit numbers",
                    );
                };
                tcp.sack = model::SackBlocks::new(&blocks);
            }
            "TS" => {
                // `TS val N ecr M`
                let words: Vec<&str> = value.split_whitespace().collect();
                let parsed = match words.as_slice() {
                    ["val", v, "ecr", e] => v.parse::<u32>().ok().zip(e.parse::<u32>().ok()),
                    _ => None,
                };
                let Some(ts) = parsed else {
                    input.reset(&before);
                    return bad("timestamps option", "`TS val N ecr M` with 32-bit numbers");
                };
                tcp.timestamps = Some(ts);
            }
            _ => {}
        }
    }
    Ok((items.into_iter().map(|(n, _)| n).collect(), tcp))
}

fn call(input: &mut In<'_>, name: String, name_span: Span) -> ModalResult<Call> {
    ws(input)?;
    let _: char = cut_err('(').context(expected("`(`")).parse_next(input)?;
    let args = cut_err(arg_list(')'))
        .context(StrContext::Label("arguments"))
        .parse_next(input)?;
    let _: char = cut_err(')')
        .context(expected("`)` or `,`"))
        .parse_next(input)?;
    ws(input)?;
    let _: char = cut_err('=')
        .context(StrContext::Label("system call"))
        .context(expected("`= result`"))
        .parse_next(input)?;
    ws(input)?;
    let start = input.current_token_start();
    let value = cut_err(int)
        .context(StrContext::Label("result"))
        .context(expected("a number"))
        .parse_next(input)?;
    let mut errno = None;
    ws(input)?;
    if let Some(e) = opt(identifier).parse_next(input)? {
        errno = Some(e.to_string());
    }
    let end = input.current_token_start();
    ws(input)?;
    if input.starts_with("(") {
        let _ = any::<_, ContextError>.parse_next(input);
        let _: &str = cut_err(take_till(0.., [')', '\n'])).parse_next(input)?;
        let _: char = cut_err(')')
            .context(expected("`)` closing the comment"))
            .parse_next(input)?;
    }
    Ok(Call {
        name,
        name_span,
        args,
        result: Expect {
            value,
            errno,
            span: start..end,
        },
    })
}

fn int(input: &mut In<'_>) -> ModalResult<i64> {
    let neg = opt('-').parse_next(input)?.is_some();
    let magnitude: u64 = if input.starts_with("0x") || input.starts_with("0X") {
        let _: &str = alt(("0x", "0X")).parse_next(input)?;
        let h: &str = cut_err(hex_digit1).parse_next(input)?;
        u64::from_str_radix(h, 16)
            .map_err(|_| ErrMode::Cut(ContextError::new().with(expected("a 64-bit number"))))?
    } else {
        number(input)?
    };
    let v = i64::try_from(magnitude)
        .map_err(|_| ErrMode::Cut(ContextError::new().with(expected("a 64-bit number"))))?;
    Ok(if neg { -v } else { v })
}

fn arg_list<'a>(close: char) -> impl Parser<In<'a>, Vec<Arg>, ErrMode<ContextError>> {
    move |input: &mut In<'a>| {
        blank(input)?;
        if input.starts_with(close) {
            return Ok(Vec::new());
        }
        let args: Vec<Arg> = separated(1.., delimited(blank, arg, blank), ',').parse_next(input)?;
        Ok(args)
    }
}

fn arg(input: &mut In<'_>) -> ModalResult<Arg> {
    let first = atom(input)?;
    let mut alts = vec![first];
    loop {
        let cp = input.checkpoint();
        // Arguments may continue over lines: `A |` newline `B`.
        blank(input)?;
        if opt('|').parse_next(input)?.is_some() {
            blank(input)?;
            alts.push(cut_err(atom).parse_next(input)?);
        } else {
            input.reset(&cp);
            break;
        }
    }
    if alts.len() == 1 {
        return Ok(alts.pop().expect("one"));
    }
    let span = alts[0].span.start..alts[alts.len() - 1].span.end;
    Ok(Arg {
        span,
        value: Value::Or(alts),
    })
}

/// How deep `[...]` and `{...}` may nest: deeper input is an error, not a stack overflow.
const MAX_NESTING: usize = 16;

thread_local! {
    static NESTING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// One level of nesting, given back when dropped (also when parsing fails).
struct Nested;

impl Nested {
    fn enter() -> Option<Nested> {
        NESTING.with(|n| {
            (n.get() < MAX_NESTING).then(|| {
                n.set(n.get() + 1);
                Nested
            })
        })
    }
}

impl Drop for Nested {
    fn drop(&mut self) {
        NESTING.with(|n| n.set(n.get() - 1));
    }
}

/// A struct's item: `name=value`, or a value alone (its name is then empty). packetdrill
/// writes an array's length after a name (`msg_iov(1)=[...]`), which is dropped.
fn struct_item(input: &mut In<'_>) -> ModalResult<(String, Arg)> {
    let cp = input.checkpoint();
    let name: Option<&str> = opt(terminated(
        identifier,
        opt(delimited('(', alt(("...", digit1)), ')')),
    ))
    .parse_next(input)?;
    if let Some(name) = name {
        blank(input)?;
        if opt('=').parse_next(input)?.is_some() {
            blank(input)?;
            return Ok((name.to_string(), arg(input)?));
        }
    }
    input.reset(&cp);
    Ok((String::new(), arg(input)?))
}

fn atom(input: &mut In<'_>) -> ModalResult<Arg> {
    let start = input.current_token_start();
    let _level = if input.starts_with("[") || input.starts_with("{") {
        Some(Nested::enter().ok_or_else(|| {
            ErrMode::Cut(
                ContextError::new()
                    .with(StrContext::Label("argument"))
                    .with(expected("at most 16 levels of `[` and `{`")),
            )
        })?)
    } else {
        None
    };
    let value = if opt("...").parse_next(input)?.is_some() {
        Value::Ellipsis
    } else if input.starts_with("[") {
        let _ = any::<_, ContextError>.parse_next(input);
        let items = arg_list(']').parse_next(input)?;
        let _: char = cut_err(']').context(expected("`]`")).parse_next(input)?;
        Value::List(items)
    } else if input.starts_with("{") {
        let _ = any::<_, ContextError>.parse_next(input);
        let mut fields: Vec<(String, Arg)> =
            separated(0.., delimited(blank, struct_item, blank), ',').parse_next(input)?;
        // Items written without a name (`{..., 100}`, packetdrill's iovec) are named by
        // position: `0`, `1`, ...
        for (i, (name, _)) in fields.iter_mut().enumerate() {
            if name.is_empty() {
                *name = i.to_string();
            }
        }
        blank(input)?;
        let _: char = cut_err('}').context(expected("`}`")).parse_next(input)?;
        Value::Struct(fields)
    } else if input.starts_with("\"") {
        let _ = any::<_, ContextError>.parse_next(input);
        let s: &str = cut_err(take_till(0.., ['"', '\n'])).parse_next(input)?;
        let _: char = cut_err('"')
            .context(expected("`\"` closing the string"))
            .parse_next(input)?;
        Value::Str(s.to_string())
    } else if let Some(name) = opt(identifier).parse_next(input)? {
        if input.starts_with("(") {
            // `htonl(1)`: a function applied.
            let _level = Nested::enter().ok_or_else(|| {
                ErrMode::Cut(
                    ContextError::new()
                        .with(StrContext::Label("argument"))
                        .with(expected("at most 16 levels of `[`, `{` and `(`")),
                )
            })?;
            let _ = any::<_, ContextError>.parse_next(input);
            let args = arg_list(')').parse_next(input)?;
            let _: char = cut_err(')').context(expected("`)`")).parse_next(input)?;
            Value::Apply(name.to_string(), args)
        } else {
            Value::Name(name.to_string())
        }
    } else {
        Value::Int(int.context(expected("an argument")).parse_next(input)?)
    };
    Ok(Arg {
        span: start..input.current_token_start(),
        value,
    })
}
