//! The properties checked, with stable names.

use super::system::{Effect, Side, Sys, System};
use crate::table::State;
use serde::Serialize;

/// What kind of claim a property makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Must hold in every reachable state (or on every step).
    Always,
    /// Must hold in at least one reachable state (or on one step): reachability.
    Sometimes,
    /// Must eventually hold on every fair run (liveness).
    Eventually,
    /// A hazard the model knows of and reports with its shortest example when the run
    /// meets it; meeting it or not is neither a pass nor a failure.
    Finding,
}

/// What a property looks at.
#[derive(Clone, Copy)]
pub enum Check {
    /// A reachable state.
    State(fn(&System, &Sys) -> bool),
    /// A step: the state before, what the step did, the state after.
    Step(fn(&System, &Sys, &Effect, &Sys) -> bool),
}

/// A named property.
#[derive(Clone, Copy)]
pub struct Property {
    /// Stable name, printed in reports.
    pub name: &'static str,
    /// Always or sometimes.
    pub kind: Kind,
    /// What it checks.
    pub check: Check,
    /// One line for the report.
    pub description: &'static str,
}

const fn always_step(
    name: &'static str,
    description: &'static str,
    f: fn(&System, &Sys, &Effect, &Sys) -> bool,
) -> Property {
    Property {
        name,
        kind: Kind::Always,
        check: Check::Step(f),
        description,
    }
}

const fn always(
    name: &'static str,
    description: &'static str,
    f: fn(&System, &Sys) -> bool,
) -> Property {
    Property {
        name,
        kind: Kind::Always,
        check: Check::State(f),
        description,
    }
}

const fn sometimes(
    name: &'static str,
    description: &'static str,
    f: fn(&System, &Sys) -> bool,
) -> Property {
    Property {
        name,
        kind: Kind::Sometimes,
        check: Check::State(f),
        description,
    }
}

const fn finding(
    name: &'static str,
    description: &'static str,
    f: fn(&System, &Sys, &Effect, &Sys) -> bool,
) -> Property {
    Property {
        kind: Kind::Finding,
        ..sometimes_step(name, description, f)
    }
}

const fn sometimes_step(
    name: &'static str,
    description: &'static str,
    f: fn(&System, &Sys, &Effect, &Sys) -> bool,
) -> Property {
    Property {
        name,
        kind: Kind::Sometimes,
        check: Check::Step(f),
        description,
    }
}

fn either_in<const S: usize>(_: &System, s: &Sys) -> bool {
    s.ep.iter().any(|e| e.tcb.state as usize == S)
}

fn row_fired(m: &System, fx: &Effect, from: State, to: State) -> bool {
    fx.rows.iter().any(|&(_, r)| {
        let row = m.table.row(r);
        row.from == from && row.to == to
    })
}

fn isns_agree(_: &System, s: &Sys) -> bool {
    let (a, b) = (s.ep(Side::A), s.ep(Side::B));
    let both = a.tcb.state == State::Established && b.tcb.state == State::Established;
    !both || (a.tcb.irs == b.tcb.iss && b.tcb.irs == a.tcb.iss)
}

fn tcb_invariants(m: &System, s: &Sys) -> bool {
    let sp = m.cfg.space;
    s.ep.iter().all(|e| {
        let t = &e.tcb;
        let sync = t.state.is_synchronized() || t.state == State::SynReceived;
        use State::*;
        // The state reflects the FINs: the peer's was received exactly in the states
        // after "rcv FIN", ours was sent exactly in those after "snd FIN".
        let peer_fin = matches!(t.state, CloseWait | Closing | LastAck | TimeWait);
        let our_fin = matches!(t.state, FinWait1 | FinWait2 | Closing | LastAck | TimeWait);
        // Config::fin_takes_window: the peer's FIN took one from RCV.WND (none from a
        // window already shut).
        let buffer = t.recv_queue + t.rcv_wnd;
        let buffer_ok = if m.cfg.fin_takes_window && t.fin_received {
            buffer == m.cfg.rcv_buf || buffer + 1 == m.cfg.rcv_buf
        } else {
            buffer == m.cfg.rcv_buf
        };
        !sync
            || (sp.le(t.snd_una, t.snd_nxt)
                && buffer_ok
                && (!t.fin_sent || t.fin_queued)
                && t.fin_received == peer_fin
                && (t.fin_sent || t.fin_queued) == our_fin)
    })
}

/// The seed's first reason for TIME-WAIT: a close both users asked for ends with each
/// side's FIN acknowledged. A side whose user closed, that has the peer's FIN and whose own
/// FIN is still unacknowledged (LAST-ACK, CLOSING) is never deleted except by the ACK of
/// that FIN: not by a RST, not by a timeout. Exempt: runs where a user aborted, a host
/// crashed, a FIN-WAIT-2 timer or a give-up after the last retransmission cut a close
/// short (those end by design without the exchange), and the literal-zero RST
/// coincidence (`rst-seq-zero-coincidence`).
fn clean_close(m: &System, before: &Sys, fx: &Effect, after: &Sys) -> bool {
    use crate::Event;
    if m.faulted(after) || after.cut || fx.seq_zero {
        return true;
    }
    fx.rows.iter().all(|&(side, r)| {
        let row = m.table.row(r);
        let t = &before.ep(side).tcb;
        let deleted = row.from != State::Closed && row.to == State::Closed;
        let fin_unacked = t.fin_sent && t.snd_una != t.snd_nxt;
        let acked_now = matches!(row.event, Event::AckOfFin | Event::FinAckOfFin);
        !(deleted && before.ep(side).closed && t.fin_received && fin_unacked && !acked_now)
    })
}

/// Every property, safety first.
pub const PROPERTIES: [Property; 24] = [
    always_step(
        "no-stale-segment-accepted",
        "no segment of a deleted TCB instance is taken as data or changes state (except within \
         the handshake, Figure 8), unless that instance ended by ABORT, a crash or a reset, which \
         skip TIME-WAIT by design (stale-segment-after-abort), or the segment is a RST,ACK whose \
         literal <SEQ=0> lands on RCV.NXT by coincidence (stale-rst-seq-zero)",
        |_, _, fx, _| !fx.stale || fx.orphan || fx.seq_zero,
    ),
    always_step(
        "clean-close",
        "when both users closed (no ABORT, crash or FIN-WAIT-2 timeout), a side whose FIN is \
         unacknowledged (LAST-ACK, CLOSING) leaves only by the ACK of it, never a RST or a \
         timeout",
        clean_close,
    ),
    always(
        "isns-agree",
        "when both sides are ESTABLISHED, each knows the other's ISN",
        isns_agree,
    ),
    always(
        "synchronized-after-syn-acked",
        "a side is in a synchronized state only once its own SYN is acknowledged (§3.5): \
         the peer has seen its ISN",
        |_, s| {
            s.ep.iter()
                .all(|e| !e.tcb.state.is_synchronized() || e.tcb.snd_una != e.tcb.iss)
        },
    ),
    always(
        "tcb-invariants",
        "SND.UNA =< SND.NXT; queued + window = buffer; FINs sent and received match the state",
        tcb_invariants,
    ),
    sometimes("reach-CLOSED", "", either_in::<0>),
    sometimes("reach-LISTEN", "", either_in::<1>),
    sometimes("reach-SYN-SENT", "", either_in::<2>),
    sometimes("reach-SYN-RECEIVED", "", either_in::<3>),
    sometimes("reach-ESTABLISHED", "", either_in::<4>),
    sometimes("reach-FIN-WAIT-1", "", either_in::<5>),
    sometimes("reach-FIN-WAIT-2", "", either_in::<6>),
    sometimes("reach-CLOSE-WAIT", "", either_in::<7>),
    sometimes("reach-CLOSING", "", either_in::<8>),
    sometimes("reach-LAST-ACK", "", either_in::<9>),
    sometimes("reach-TIME-WAIT", "", either_in::<10>),
    sometimes(
        "simultaneous-open",
        "both sides in SYN-RECEIVED after opening actively",
        |_, s| {
            s.ep.iter()
                .all(|e| e.tcb.state == State::SynReceived && e.tcb.origin == crate::Origin::Active)
        },
    ),
    sometimes("simultaneous-close", "both sides in CLOSING", |_, s| {
        s.ep.iter().all(|e| e.tcb.state == State::Closing)
    }),
    sometimes_step(
        "time-wait-from-fin-wait-2",
        "FIN-WAIT-2 -> TIME-WAIT on the peer's FIN",
        |m, _, fx, _| row_fired(m, fx, State::FinWait2, State::TimeWait),
    ),
    sometimes_step(
        "time-wait-from-closing",
        "CLOSING -> TIME-WAIT on the ACK of our FIN",
        |m, _, fx, _| row_fired(m, fx, State::Closing, State::TimeWait),
    ),
    sometimes_step(
        "time-wait-from-fin-wait-1",
        "FIN-WAIT-1 -> TIME-WAIT on FIN with the ACK of our FIN",
        |m, _, fx, _| row_fired(m, fx, State::FinWait1, State::TimeWait),
    ),
    finding(
        "stale-segment-after-abort",
        "a finding, not a failure: a segment of an instance that ended by ABORT, a crash or a \
         reset is accepted by a later incarnation: with no TIME-WAIT, only the ISN clock \
         stands in its way, and a connection that outran the clock gets past it",
        |_, _, fx, _| fx.stale && fx.orphan,
    ),
    finding(
        "rst-seq-zero-coincidence",
        "a finding, not a failure: a RST,ACK sent from CLOSED, whose <SEQ=0> is a literal \
         (§3.10.7.1), resets a connection because RCV.NXT happens to be 0: a 1-in-2^32 \
         coincidence in TCP (found with --no-symmetry)",
        |_, _, fx, _| fx.seq_zero,
    ),
    sometimes_step(
        "second-incarnation-established",
        "a later incarnation of the connection reaches ESTABLISHED",
        |_, _, _, s| {
            s.ep.iter()
                .any(|e| e.inc >= 2 && e.tcb.state == State::Established)
        },
    ),
];

/// Evaluates the state property `name` (for the Explorer, which wants plain functions).
pub fn check_state(m: &System, s: &Sys, name: &str) -> bool {
    PROPERTIES
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| match p.check {
            Check::State(f) => Some(f(m, s)),
            Check::Step(_) => None,
        })
        .unwrap_or(true)
}
