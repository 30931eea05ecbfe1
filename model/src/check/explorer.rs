//! The system as a `stateright::Model`, for stateright's Explorer web UI.
//!
//! stateright formats an action without its state and a state with `{:#?}`; both are
//! wrapped here so the UI shows readable steps (`A -> B  SYN seq=0  delivered`) and each
//! endpoint's state in RFC spelling. `as_svg` draws the path so far as a message
//! sequence chart.

use super::explore::describe_step;
use super::system::{Act, Side, Sys, System};
use crate::segment::Segment;
use std::fmt::{self, Write};
use std::net::{SocketAddr, TcpListener};

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

/// A state of the system, printed for people.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct View(pub Sys);

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
            let seg = Segment::from(fl.seg);
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
        vec![View(self.0.init())]
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
        self.0.next(&last.0, step.act).map(|(n, _)| View(n))
    }

    fn format_action(&self, step: &Step) -> String {
        step.label.clone()
    }

    fn properties(&self) -> Vec<stateright::Property<Self>> {
        vec![
            stateright::Property::always("isns-agree", |m: &Explorer, s: &View| {
                super::properties::check_state(&m.0, &s.0, "isns-agree")
            }),
            stateright::Property::always("tcb-invariants", |m: &Explorer, s: &View| {
                super::properties::check_state(&m.0, &s.0, "tcb-invariants")
            }),
            stateright::Property::sometimes("reach-TIME-WAIT", |m: &Explorer, s: &View| {
                super::properties::check_state(&m.0, &s.0, "reach-TIME-WAIT")
            }),
        ]
    }

    fn as_svg(&self, path: stateright::Path<View, Step>) -> Option<String> {
        Some(chart(&path.into_vec()))
    }
}

/// A message sequence chart of a path: A's and B's lifelines, each delivered segment an
/// arrow, lost and duplicated ones marked, and each side's state written as it changes.
pub fn chart(path: &[(View, Option<Step>)]) -> String {
    const XA: i32 = 110;
    const XB: i32 = 430;
    const ROW: i32 = 26;
    let h = 50 + ROW * path.len() as i32;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns='http://www.w3.org/2000/svg' width='560' height='{h}' viewBox='0 0 560 {h}' \
         font-family='monospace' font-size='11'>\
         <defs><marker id='arrow' markerWidth='10' markerHeight='8' refX='10' refY='4' \
         orient='auto'><polygon points='0 0, 10 4, 0 8'/></marker></defs>\
         <rect width='100%' height='100%' fill='white'/>\
         <text x='{XA}' y='14' text-anchor='middle' font-weight='bold'>A</text>\
         <text x='{XB}' y='14' text-anchor='middle' font-weight='bold'>B</text>\
         <line x1='{XA}' y1='20' x2='{XA}' y2='{h}' stroke='#888'/>\
         <line x1='{XB}' y1='20' x2='{XB}' y2='{h}' stroke='#888'/>"
    );
    let mut last = (None, None);
    for (i, (view, step)) in path.iter().enumerate() {
        let y = 40 + ROW * i as i32;
        let (a, b) = view.0.states();
        if last.0 != Some(a) {
            let _ = write!(
                s,
                "<text x='{}' y='{y}' text-anchor='end' fill='#1a5'>{a}</text>",
                XA - 6
            );
        }
        if last.1 != Some(b) {
            let _ = write!(s, "<text x='{}' y='{y}' fill='#1a5'>{b}</text>", XB + 6);
        }
        last = (Some(a), Some(b));
        // The step that leads *out of* this state is drawn below it.
        let Some(step) = step else { continue };
        let y2 = y + ROW;
        let label = escape(&step.label);
        match step.act {
            Act::Deliver(..) | Act::Drop(..) | Act::Dup(..) => {
                let to_b = step.label.starts_with("A ->");
                let (x1, x2) = if to_b { (XA, XB) } else { (XB, XA) };
                let (dash, colour) = match step.act {
                    Act::Drop(..) => (" stroke-dasharray='4 3'", "#c33"),
                    Act::Dup(..) => (" stroke-dasharray='1 3'", "#36c"),
                    _ => ("", "#000"),
                };
                let _ = write!(
                    s,
                    "<line x1='{x1}' y1='{}' x2='{x2}' y2='{y2}' stroke='{colour}'{dash} \
                     marker-end='url(#arrow)'/><text x='270' y='{}' text-anchor='middle' \
                     fill='{colour}'>{}</text>",
                    y + 6,
                    y + 14,
                    escape(step.label.split("  ").nth(1).unwrap_or(&step.label))
                        + match step.act {
                            Act::Drop(..) => " (lost)",
                            Act::Dup(..) => " (duplicated)",
                            _ => "",
                        }
                );
            }
            _ => {
                let _ = write!(
                    s,
                    "<text x='270' y='{}' text-anchor='middle' fill='#555'>{label}</text>",
                    y + 14
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
}

/// Serves the Explorer on `addr`, after checking that the address can be bound (stateright
/// would panic). Blocks while serving.
pub fn serve(system: System, addr: SocketAddr) -> Result<(), String> {
    TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    use stateright::Model;
    let _ = Explorer(system).checker().serve(addr);
    Ok(())
}
