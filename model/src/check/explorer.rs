//! The system as a `stateright::Model`, for stateright's Explorer web UI.
//!
//! stateright formats an action without its state and a state with `{:#?}`; both are
//! wrapped here so the UI shows readable steps (`A -> B  SYN seq=0  delivered`) and each
//! endpoint's state in RFC spelling. `as_svg` draws the path so far as a message
//! sequence chart.

use super::explore::describe_step;
use super::properties::{Check, Kind, PROPERTIES};
use super::system::{Act, Side, Sys, System};
use crate::State;
use crate::segment::Segment;
use std::fmt;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// A step of the system, with the words the UI shows for it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Step {
    /// The step.
    pub act: Act,
    /// How it reads.
    pub label: String,
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// A state of the system, printed for people, and which step properties the step into it
/// satisfied (bit `i` for `PROPERTIES[i]`; stateright's properties look at states only, so
/// a step property is carried into the state the step reaches).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct View(pub Sys, pub u32);

impl fmt::Debug for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        for side in Side::BOTH {
            let ep = s.ep(side);
            let t = &ep.tcb;
            write!(f, "{side}: {}", t.state)?;
            if t.state != crate::State::Closed {
                write!(
                    f,
                    "  ISS={} SND.UNA={} SND.NXT={} IRS={} RCV.NXT={} RCV.WND={}",
                    t.iss, t.snd_una, t.snd_nxt, t.irs, t.rcv_nxt, t.rcv_wnd
                )?;
            }
            for (name, d) in [
                ("retransmit", t.timers.retransmit),
                ("2MSL", t.timers.time_wait),
                ("FIN-WAIT-2", t.timers.fin_wait_2),
            ] {
                if let Some(d) = d {
                    write!(f, "  {name} in {d}")?;
                }
            }
            writeln!(f, "  (opened {} time(s))", ep.inc)?;
        }
        if s.chan.is_empty() {
            writeln!(f, "nothing in flight")?;
        }
        for fl in &s.chan {
            // The notation of the steps and the charts: `SYN,ACK seq=4 ack=1`.
            let seg = super::explore::segment_text(&Segment::from(fl.seg));
            let stale = if fl.stale { "  OLD DUPLICATE" } else { "" };
            writeln!(
                f,
                "{} -> {}  {seg}  age {}{stale}",
                fl.to.peer(),
                fl.to,
                fl.age
            )?;
        }
        write!(f, "losses left {}, duplications left {}", s.drops, s.dups)
    }
}

/// The Explorer's model: the same `System`.
pub struct Explorer(pub System);

impl stateright::Model for Explorer {
    type State = View;
    type Action = Step;

    fn init_states(&self) -> Vec<View> {
        vec![View(self.0.init(), 0)]
    }

    fn actions(&self, state: &View, actions: &mut Vec<Step>) {
        let mut acts = Vec::new();
        self.0.actions(&state.0, &mut acts);
        actions.extend(acts.into_iter().map(|act| Step {
            act,
            label: describe_step(&state.0, act),
        }));
    }

    fn next_state(&self, last: &View, step: Step) -> Option<View> {
        let (n, fx) = self.0.next(&last.0, step.act)?;
        let mut bits = 0;
        for (i, p) in PROPERTIES.iter().enumerate().take(32) {
            if let Check::Step(f) = p.check {
                if f(&self.0, &last.0, &fx, &n) {
                    bits |= 1 << i;
                }
            }
        }
        Some(View(n, bits))
    }

    fn format_action(&self, step: &Step) -> String {
        step.label.clone()
    }

    /// Every property `check` reports, by the same names: the state and step properties,
    /// then `eventually-settled`, which stateright checks on the paths that end (a fair
    /// cycle that never settles is `check`'s liveness check's to find).
    fn properties(&self) -> Vec<stateright::Property<Self>> {
        let mut out: Vec<stateright::Property<Self>> = PROPERTIES
            .iter()
            .zip(HOLDS)
            .map(|(p, f)| match p.kind {
                Kind::Always => stateright::Property::always(p.name, f),
                Kind::Sometimes | Kind::Finding => stateright::Property::sometimes(p.name, f),
                Kind::Eventually => stateright::Property::eventually(p.name, f),
            })
            .collect();
        out.push(stateright::Property::eventually(
            "eventually-settled",
            |m: &Explorer, s: &View| m.0.settled(&s.0) && s.0.ep.iter().any(|e| e.inc >= 1),
        ));
        out
    }

    fn as_svg(&self, path: stateright::Path<View, Step>) -> Option<String> {
        let path = path.into_vec();
        let n = path.len().saturating_sub(1);
        let title = format!(
            "Explorer path, {n} step{} — profile {}",
            if n == 1 { "" } else { "s" },
            self.0.profile
        );
        Some(chart_titled(&path, &title))
    }
}

/// Whether `PROPERTIES[I]` holds in a state (a state property) or on the step into it (a
/// step property). stateright takes plain functions, so each property gets its own.
fn holds<const I: usize>(m: &Explorer, s: &View) -> bool {
    match PROPERTIES.get(I).map(|p| p.check) {
        Some(Check::State(f)) => f(&m.0, &s.0),
        Some(Check::Step(_)) => s.1 & (1 << I) != 0,
        None => true,
    }
}

/// One function per property, in `PROPERTIES` order (room for 32).
#[rustfmt::skip]
const HOLDS: [fn(&Explorer, &View) -> bool; 32] = [
    holds::<0>, holds::<1>, holds::<2>, holds::<3>, holds::<4>, holds::<5>, holds::<6>,
    holds::<7>, holds::<8>, holds::<9>, holds::<10>, holds::<11>, holds::<12>, holds::<13>,
    holds::<14>, holds::<15>, holds::<16>, holds::<17>, holds::<18>, holds::<19>,
    holds::<20>, holds::<21>, holds::<22>, holds::<23>, holds::<24>, holds::<25>,
    holds::<26>, holds::<27>, holds::<28>, holds::<29>, holds::<30>, holds::<31>,
];

// Each property needs its function in HOLDS, and its bit in View.
const _: () = assert!(PROPERTIES.len() <= HOLDS.len());

/// A message sequence chart of a path (see [`crate::msc`]).
pub fn chart(path: &[(View, Option<Step>)]) -> String {
    chart_titled(path, "")
}

/// A message sequence chart of a path under a title (none when `title` is empty).
pub fn chart_titled(path: &[(View, Option<Step>)], title: &str) -> String {
    let lanes = crate::msc::Lifelines::default();
    let draw = |start, steps: &[crate::msc::Step]| {
        if title.is_empty() {
            crate::msc::svg_with(&lanes, start, steps)
        } else {
            crate::msc::svg_titled(&lanes, title, start, steps)
        }
    };
    let Some((first, _)) = path.first() else {
        return draw((State::Closed, State::Closed), &[]);
    };
    let steps: Vec<crate::msc::Step> = path
        .windows(2)
        .filter_map(|w| {
            let step = w[0].1.as_ref()?;
            let after = &w[1].0.0;
            Some(msc_step(&w[0].0.0, step.act, after))
        })
        .collect();
    draw(first.0.states(), &steps)
}

/// One step of a path, for the chart.
pub fn msc_step(before: &Sys, act: Act, after: &Sys) -> crate::msc::Step {
    use crate::msc::{Arrow, Mark};
    let arrow = match act {
        Act::Deliver(i, _) | Act::Drop(i) | Act::Dup(i) => {
            before.chan.get(i as usize).map(|f| Arrow {
                a_to_b: f.to == Side::B,
                text: super::explore::segment_text(&Segment::from(f.seg)),
                mark: match act {
                    Act::Deliver(..) => Mark::Delivered,
                    Act::Drop(..) => Mark::Lost,
                    _ => Mark::Duplicated,
                },
                stale: f.stale && matches!(act, Act::Deliver(..)),
            })
        }
        _ => None,
    };
    let (a, b) = after.states();
    crate::msc::Step {
        label: describe_step(before, act),
        arrow,
        a,
        b,
    }
}

/// The most connections served at once; more wait in the listen queue.
const MAX_CLIENTS: usize = 32;
/// The largest request read (the UI sends short GETs and one empty POST).
const MAX_REQUEST: usize = 64 * 1024;

/// Serves the Explorer on `addr` (`HOST:PORT`; a host name is resolved). Blocks while
/// serving.
///
/// The address is bound before anything is printed, so a busy port or a bad name is an
/// error, not a promise followed by a panic. stateright's server (tiny_http) panics a
/// thread for every client that disconnects before its response is written, so it listens
/// on a private loopback port, and this function relays each request to it: the relay
/// reads every response in full, whatever its own client does, and a client that goes
/// away only ends its own relay thread.
pub fn serve(system: System, addr: &str) -> Result<(), String> {
    let addrs: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?
        .collect();
    let listener =
        TcpListener::bind(&addrs[..]).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let inner = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("cannot listen on a loopback port: {e}"))?;
    std::thread::spawn(move || {
        use stateright::Model;
        let _ = Explorer(system).checker().serve(inner);
    });
    if !local.ip().is_loopback() {
        eprintln!(
            "WARNING: the Explorer listens on {local}, which other hosts can reach: anyone \
             who can connect can drive the model checker on this machine (it has no \
             authentication). Use --addr 127.0.0.1:{} to keep it local.",
            local.port()
        );
    }
    eprintln!("Explorer: http://{local}/  (Ctrl-C to stop)");
    let clients = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        while clients.load(std::sync::atomic::Ordering::Acquire) >= MAX_CLIENTS {
            std::thread::sleep(Duration::from_millis(5));
        }
        clients.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        let clients = std::sync::Arc::clone(&clients);
        let spawned = std::thread::Builder::new().spawn(move || {
            let _ = relay(conn, inner);
            clients.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
        });
        if spawned.is_err() {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(())
}

/// Relays one request from `client` to stateright's server at `inner`, and its response
/// back. Every error ends this relay only.
fn relay(mut client: TcpStream, inner: SocketAddr) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    client.set_write_timeout(Some(Duration::from_secs(10)))?;
    // The request head, then as much body as Content-Length says.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_REQUEST {
            return client.write_all(b"HTTP/1.0 431 Request Header Fields Too Large\r\n\r\n");
        }
        let n = client.read(&mut chunk)?;
        if n == 0 {
            return Ok(()); // gone before asking anything
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request = lines.next().unwrap_or_default().split(' ');
    let (method, path) = (
        request.next().unwrap_or_default(),
        request.next().unwrap_or_default(),
    );
    if !matches!(method, "GET" | "POST") || !path.starts_with('/') {
        return client.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n");
    }
    let length: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    if length > MAX_REQUEST {
        return client.write_all(b"HTTP/1.0 413 Content Too Large\r\n\r\n");
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = client.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    // stateright's server starts in its own thread: give it a moment on the first request.
    let mut upstream = None;
    for _ in 0..100 {
        match TcpStream::connect(inner) {
            Ok(s) => {
                upstream = Some(s);
                break;
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let Some(mut upstream) = upstream else {
        return client.write_all(b"HTTP/1.0 503 Service Unavailable\r\n\r\n");
    };
    // HTTP/1.0: one request, and the server closes when the response is complete.
    write!(
        upstream,
        "{method} {path} HTTP/1.0\r\nHost: localhost\r\nContent-Length: {length}\r\n\r\n"
    )?;
    upstream.write_all(&body)?;
    let mut response = Vec::new();
    upstream.read_to_end(&mut response)?;
    client.write_all(&response)?;
    client.flush()
}
