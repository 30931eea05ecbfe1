//! The system as a `stateright::Model`, for stateright's Explorer web UI.
//!
//! stateright formats an action without its state and a state with `{:#?}`; both are
//! wrapped here so the UI shows readable steps (`A -> B  SYN seq=0  delivered`) and each
//! endpoint's state in RFC spelling. `as_svg` draws the path so far as a message
//! sequence chart.

use super::explore::describe_step;
use super::system::{Act, Side, Sys, System};
use crate::State;
use crate::segment::Segment;
use std::fmt;
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

/// A message sequence chart of a path (see [`crate::msc`]).
pub fn chart(path: &[(View, Option<Step>)]) -> String {
    let Some((first, _)) = path.first() else {
        return crate::msc::svg((State::Closed, State::Closed), &[]);
    };
    let steps: Vec<crate::msc::Step> = path
        .windows(2)
        .filter_map(|w| {
            let step = w[0].1.as_ref()?;
            let after = &w[1].0.0;
            Some(msc_step(&w[0].0.0, step.act, after))
        })
        .collect();
    crate::msc::svg(first.0.states(), &steps)
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

/// Serves the Explorer on `addr`, after checking that the address can be bound (stateright
/// would panic). Blocks while serving.
pub fn serve(system: System, addr: SocketAddr) -> Result<(), String> {
    TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    use stateright::Model;
    let _ = Explorer(system).checker().serve(addr);
    Ok(())
}
