//! Breadth-first exploration of the whole state graph.
//!
//! stateright 0.31's BFS can report a counterexample that is not the shortest (a later
//! discovery overwrites the first), and its `sometimes` properties vanish from its report
//! when they have no example. This explorer keeps the first-discovery parent of every
//! state, so each path it reports is a shortest one, and reports every property.

use super::liveness::{self, Finding, Graph};
use super::properties::{Check, Kind, PROPERTIES, Property};
use super::system::{Act, Side, Sys, System};
use crate::segment::Segment;
use crate::table::{RowId, State};
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use serde::Serialize;
use std::collections::BTreeSet;
use std::hash::BuildHasher;

use std::time::Instant;

/// Limits on a run. A run stopped by one is INCOMPLETE, never a proof.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    /// Explore on after a safety property fails, for every verdict.
    pub all: bool,
    /// Threads for runs that split (a sweep's points run in parallel); one exploration
    /// is sequential: on 2 cores a batched parallel merge measured slower than this loop.
    pub threads: usize,
    /// Stop at the first counterexample of this property only (other failures found on
    /// the way are reported too).
    pub focus: Option<&'static str>,
    /// Stop after this many unique states.
    pub max_states: Option<usize>,
    /// Stop after this many seconds.
    pub max_seconds: Option<f64>,
    /// Stop when the process's resident memory passes this many bytes (checked every
    /// 4,096 states), so a run too big for the machine ends INCOMPLETE, not killed.
    pub max_memory: Option<u64>,
}

/// 80% of the machine's memory (`MemTotal`), the default `--max-memory`; `None` where
/// unknown.
pub fn default_max_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024 / 10 * 8)
}

/// One step of a counterexample or example path.
#[derive(Clone, Debug, Serialize)]
pub struct PathStep {
    /// The step taken.
    pub act: Act,
    /// Human-readable description (`A -> B  SYN seq=3`).
    pub text: String,
    /// A's state after the step.
    pub a: State,
    /// B's state after the step.
    pub b: State,
    /// Segments sent in this step.
    pub sent: Vec<(Side, Segment)>,
    /// The segment delivered, dropped or duplicated, if any, and its destination.
    pub segment: Option<(Side, Segment)>,
    /// The delivered segment belonged to an earlier incarnation.
    pub stale: bool,
    /// The table rows fired in this step, by side, in order (what `diagrams export
    /// --highlight` draws: the rows themselves, never a guess from the states).
    pub rows: Vec<(Side, RowId)>,
}

/// A property's verdict.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Verdict {
    /// An `always` property with no counterexample in a complete run.
    Holds,
    /// A `sometimes` property with an example (the shortest path to it).
    Reached {
        /// The path.
        path: Vec<PathStep>,
    },
    /// An `always` property with a counterexample (a shortest one), or a liveness property
    /// with a deadlock at the end of this path.
    Fails {
        /// The path.
        path: Vec<PathStep>,
    },
    /// A liveness property with a fair cycle: the path, whose steps from `loop_from` on
    /// repeat forever.
    Lasso {
        /// The prefix, then one round of the cycle.
        path: Vec<PathStep>,
        /// Index in `path` where the cycle starts.
        loop_from: usize,
    },
    /// A `sometimes` property with no example in a complete run: a failure.
    NeverReached,
    /// A finding the complete run did not meet (neither a pass nor a failure).
    NotFound,
    /// A reachability property the configuration rules out (a client and a server never
    /// open simultaneously): not a failure.
    NotApplicable,
    /// The run stopped early and found nothing either way.
    Unknown,
}

impl Verdict {
    /// Whether the verdict is a failure: a counterexample, or no example in a complete run.
    /// (`Unknown` is neither a pass nor a failure.)
    pub fn failed(&self) -> bool {
        matches!(
            self,
            Verdict::Fails { .. } | Verdict::Lasso { .. } | Verdict::NeverReached
        )
    }

    /// Whether the verdict is a pass.
    pub fn passed(&self) -> bool {
        // (Lasso and Fails are failures; Unknown is neither.)
        matches!(
            self,
            Verdict::Holds | Verdict::Reached { .. } | Verdict::NotFound | Verdict::NotApplicable
        )
    }
}

/// A property and its verdict.
#[derive(Clone, Debug, Serialize)]
pub struct PropertyResult {
    /// Stable name.
    pub name: &'static str,
    /// Always or sometimes.
    pub kind: Kind,
    /// What it means.
    pub description: &'static str,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// What a run found.
#[derive(Clone, Debug, Serialize)]
pub struct Exploration {
    /// Per property.
    pub properties: Vec<PropertyResult>,
    /// States generated (with repeats).
    pub states: u64,
    /// Unique states.
    pub unique_states: usize,
    /// Longest shortest path (BFS depth).
    pub depth: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Peak resident memory of the process at the end of the run, in bytes (Linux; 0
    /// where unknown).
    pub peak_memory: u64,
    /// The whole reachable graph was explored.
    pub complete: bool,
    /// The limit that stopped the run (`max-states`, `max-seconds`, `max-memory`), if
    /// one did: nothing is final then.
    pub stopped_by: Option<&'static str>,
    /// The chance that a fingerprint collision hid a state (n^2 / 2^65).
    pub collision_probability: f64,
    /// Rows of the table fired somewhere.
    #[serde(skip)]
    pub rows_fired: BTreeSet<RowId>,
    /// The reachable graph, when kept (for the liveness check).
    #[serde(skip)]
    pub graph: Graph,
    /// Up to 16 distinct TCBs seen in each state (to explain rows never fired).
    #[serde(skip)]
    pub samples: Vec<Vec<crate::Tcb>>,
}

struct Found {
    state: u32,
    /// For a step property, the action taken from `state`.
    act: Option<Act>,
}

/// Where a run is, for a progress display.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Unique states so far.
    pub unique_states: usize,
    /// Current BFS depth.
    pub depth: usize,
    /// Seconds so far.
    pub seconds: f64,
    /// States found for the next level so far.
    pub frontier: usize,
}

/// Explores `model` breadth-first.
pub fn explore(model: &System, limits: Limits, keep_graph: bool) -> Exploration {
    explore_with(model, limits, keep_graph, &mut |_| {})
}

/// A 64-bit fingerprint of a state (foldhash, fixed seed: runs are repeatable).
fn fingerprint(s: &Sys) -> u64 {
    foldhash::quality::FixedState::with_seed(0x7cf5_1d2b).hash_one(s)
}

/// The action class of a step, for weak fairness (see `liveness`).
fn class_of(s: &Sys, act: Act) -> u8 {
    match act {
        Act::Call(_, crate::UserCall::Abort, _) | Act::Drop(_) | Act::Dup(_) | Act::Crash(_) => {
            liveness::FAULT
        }
        Act::Call(Side::A, ..) => liveness::USER_A,
        Act::Call(Side::B, ..) => liveness::USER_B,
        Act::Fire(Side::A, _) => liveness::TIMER_A,
        Act::Fire(Side::B, _) => liveness::TIMER_B,
        Act::Deliver(i, _) => match s.chan[i as usize].to {
            Side::A => liveness::DELIVER_A,
            Side::B => liveness::DELIVER_B,
        },
        Act::Tick => liveness::TICK,
    }
}

/// The probability that two of `n` distinct states share a 64-bit fingerprint, so that
/// one of them is never explored (the bound TLC reports: n^2 / 2^65).
pub fn collision_probability(n: usize) -> f64 {
    let n = n as f64;
    (n * n / 2f64.powi(65)).min(1.0)
}

/// Explores `model` breadth-first, reporting progress every 65,536 states.
///
/// The visited set keeps a 64-bit fingerprint and an id per state, not the state: states
/// live only in the frontier (one BFS level and the next). Each state's first-discovery
/// parent and action are kept, so a path is rebuilt by replaying actions from the initial
/// state, and every path printed is a shortest one.
pub fn explore_with(
    model: &System,
    limits: Limits,
    keep_graph: bool,
    progress: &mut dyn FnMut(Progress),
) -> Exploration {
    let start = Instant::now();
    let props: Vec<Property> = PROPERTIES.to_vec();
    let mut found: Vec<Option<Found>> = props.iter().map(|_| None).collect();
    // Fingerprint -> id; the fingerprint is kept beside the id so growing the table never
    // hashes a state again (no rehash stall).
    let mut index: HashTable<(u64, u32)> = HashTable::new();
    let mut parent: Vec<(u32, Option<Act>)> = Vec::new();
    let mut graph = Graph::default();
    let mut samples: Vec<Vec<crate::Tcb>> = vec![Vec::new(); State::ALL.len()];
    let mut sample_hashes: Vec<Vec<u64>> = vec![Vec::new(); State::ALL.len()];
    let mut fired = vec![false; model.table.id_bound()];
    let mut generated: u64 = 0;
    let mut complete = true;
    let mut stopped_by = None;

    let init = model.init();
    index.insert_unique(fingerprint(&init), (fingerprint(&init), 0), |e| e.0);
    parent.push((0, None));
    let mut frontier: Vec<Sys> = vec![init];
    let mut next_level: Vec<Sys> = Vec::new();
    let mut actions = Vec::new();
    let mut depth = 0;
    let mut id: u32 = 0;
    let mut counted: usize = 1;

    'levels: while !frontier.is_empty() {
        for s in frontier.drain(..) {
            if id.trailing_zeros() >= 16 {
                progress(Progress {
                    unique_states: counted,
                    depth,
                    seconds: start.elapsed().as_secs_f64(),
                    frontier: next_level.len(),
                });
            }
            for (p, prop) in props.iter().enumerate() {
                if let Check::State(f) = prop.check
                    && found[p].is_none()
                    && (f(model, &s) == matches!(prop.kind, Kind::Sometimes | Kind::Finding))
                {
                    found[p] = Some(Found {
                        state: id,
                        act: None,
                    });
                }
            }
            let mut always = props
                .iter()
                .zip(&found)
                .filter(|(p, _)| p.kind == Kind::Always);
            let failed = if let Some(name) = limits.focus {
                props
                    .iter()
                    .zip(&found)
                    .any(|(p, f)| p.name == name && f.is_some())
            } else if limits.all {
                always.all(|(_, f)| f.is_some())
            } else {
                always.any(|(_, f)| f.is_some())
            };
            if failed {
                // The first counterexample is a shortest one; unless asked for every
                // verdict, stop there as other model checkers do.
                complete = false;
                break 'levels;
            }
            let limit = if limits.max_states.is_some_and(|m| counted >= m) {
                Some("max-states")
            } else if id % 1024 == 0
                && limits
                    .max_seconds
                    .is_some_and(|m| start.elapsed().as_secs_f64() >= m)
            {
                Some("max-seconds")
            } else if id % 4096 == 0
                && limits
                    .max_memory
                    .is_some_and(|m| proc_status_bytes("VmRSS:") >= m)
            {
                Some("max-memory")
            } else {
                None
            };
            if limit.is_some() {
                complete = false;
                stopped_by = limit;
                break 'levels;
            }
            for ep in &s.ep {
                let st = ep.tcb.state as usize;
                if samples[st].len() < 16 {
                    let h = FxBuildHasher.hash_one(&ep.tcb);
                    if !sample_hashes[st].contains(&h) {
                        sample_hashes[st].push(h);
                        samples[st].push(ep.tcb.clone());
                    }
                }
            }
            actions.clear();
            model.actions(&s, &mut actions);
            if keep_graph {
                // Ids are handed out in queue order, so rows arrive in id order.
                debug_assert_eq!(graph.goal.len(), id as usize);
                graph.offsets.push(graph.edges.len() as u32);
                graph.goal.push(model.settled(&s));
                graph
                    .idle
                    .push(!actions.contains(&Act::Tick) && model.nothing_pending(&s));
                graph.enabled.push(0);
            }
            for &act in &actions {
                let Some((n, fx)) = model.next(&s, act) else {
                    continue;
                };
                generated += 1;
                for &(_, r) in &fx.rows {
                    fired[r.0 as usize] = true;
                }
                for (p, prop) in props.iter().enumerate() {
                    if let Check::Step(f) = prop.check
                        && found[p].is_none()
                        && (f(model, &s, &fx, &n)
                            == matches!(prop.kind, Kind::Sometimes | Kind::Finding))
                    {
                        found[p] = Some(Found {
                            state: id,
                            act: Some(act),
                        });
                    }
                }
                let fp = fingerprint(&n);
                let next_id = match index.find(fp, |e| e.0 == fp) {
                    Some(&(_, nid)) => nid,
                    None => {
                        let nid = counted as u32;
                        index.insert_unique(fp, (fp, nid), |e| e.0);
                        parent.push((id, Some(act)));
                        next_level.push(n);
                        counted += 1;
                        nid
                    }
                };
                if keep_graph {
                    let class = class_of(&s, act);
                    graph.edges.push(next_id);
                    graph.class.push(class);
                    *graph.enabled.last_mut().expect("pushed above") |= 1 << class;
                }
            }
            id += 1;
        }
        std::mem::swap(&mut frontier, &mut next_level);
        if !frontier.is_empty() {
            depth += 1;
        }
    }
    drop(frontier);
    drop(next_level);

    let acts_to = |state: u32| -> Vec<Act> {
        let mut acts = Vec::new();
        let mut cur = state;
        while let (p, Some(a)) = parent[cur as usize] {
            acts.push(a);
            cur = p;
        }
        acts.reverse();
        acts
    };
    let path_to = |f: &Found| -> Vec<PathStep> {
        let mut acts = acts_to(f.state);
        acts.extend(f.act);
        replay(model, &acts)
    };
    let mut properties: Vec<PropertyResult> = props
        .iter()
        .zip(&found)
        .map(|(prop, f)| PropertyResult {
            name: prop.name,
            kind: prop.kind,
            description: prop.description,
            verdict: match (prop.kind, f, complete) {
                (Kind::Sometimes, None, _) if !model.applicable(prop.name) => {
                    Verdict::NotApplicable
                }
                (Kind::Always | Kind::Eventually, Some(f), _) => {
                    Verdict::Fails { path: path_to(f) }
                }
                (Kind::Sometimes | Kind::Finding, Some(f), _) => {
                    Verdict::Reached { path: path_to(f) }
                }
                (Kind::Finding, None, true) => Verdict::NotFound,
                (Kind::Always | Kind::Eventually, None, true) => Verdict::Holds,
                (Kind::Sometimes, None, true) => Verdict::NeverReached,
                (_, None, false) => Verdict::Unknown,
            },
        })
        .collect();
    if keep_graph {
        graph.offsets.push(graph.edges.len() as u32);
        let verdict = if !complete {
            Verdict::Unknown
        } else {
            match liveness::check(&graph) {
                Finding::Holds => Verdict::Holds,
                Finding::Deadlock { state } => Verdict::Fails {
                    path: replay(model, &acts_to(state)),
                },
                Finding::Cycle { entry, cycle } => {
                    let mut acts = acts_to(entry);
                    let loop_from = acts.len();
                    let mut cur = replay_state(model, &acts);
                    let mut from = entry;
                    for target in cycle {
                        // The edge's class picks among actions that reach the same state.
                        let (a, b) = (
                            graph.offsets[from as usize] as usize,
                            graph.offsets[from as usize + 1] as usize,
                        );
                        let want = (a..b)
                            .find(|&e| graph.edges[e] == target)
                            .map(|e| graph.class[e]);
                        let mut step = None;
                        actions.clear();
                        model.actions(&cur, &mut actions);
                        for &act in &actions {
                            if let Some((n, _)) = model.next(&cur, act) {
                                let fp = fingerprint(&n);
                                let to = index.find(fp, |e| e.0 == fp).map(|e| e.1);
                                if to == Some(target)
                                    && (step.is_none() || Some(class_of(&cur, act)) == want)
                                {
                                    let exact = Some(class_of(&cur, act)) == want;
                                    step = Some((act, n));
                                    if exact {
                                        break;
                                    }
                                }
                            }
                        }
                        let (act, n) = step.expect("a cycle edge is an action");
                        acts.push(act);
                        cur = n;
                        from = target;
                    }
                    Verdict::Lasso {
                        path: replay(model, &acts),
                        loop_from,
                    }
                }
            }
        };
        properties.push(PropertyResult {
            name: "eventually-settled",
            kind: Kind::Eventually,
            description: "once a connection is attempted, both sides end up CLOSED (or LISTEN)",
            verdict,
        });
    }
    let rows_fired = (0..fired.len())
        .filter(|&i| fired[i])
        .map(|i| RowId(i as u16))
        .collect();
    Exploration {
        properties,
        states: generated,
        unique_states: counted,
        depth,
        seconds: start.elapsed().as_secs_f64(),
        peak_memory: peak_memory(),
        complete,
        stopped_by,
        collision_probability: collision_probability(counted),
        rows_fired,
        graph,
        samples,
    }
}

/// How a step from `s` is printed in counterexamples (`A -> B  SYN seq=0  delivered`).
pub fn describe_step(s: &Sys, act: Act) -> String {
    let segment = match act {
        Act::Deliver(i, _) | Act::Drop(i) | Act::Dup(i) => {
            s.chan.get(i as usize).map(|f| (f.to, Segment::from(f.seg)))
        }
        _ => None,
    };
    describe(act, segment)
}

/// The state reached by `acts` from the initial state.
fn replay_state(model: &System, acts: &[Act]) -> Sys {
    let mut s = model.init();
    for &a in acts {
        s = model.next(&s, a).expect("a recorded action is enabled").0;
    }
    s
}

/// Replays actions from the initial state, describing each step.
pub fn replay(model: &System, acts: &[Act]) -> Vec<PathStep> {
    let mut s = model.init();
    let mut out = Vec::new();
    for &act in acts {
        let segment = match act {
            Act::Deliver(i, _) | Act::Drop(i) | Act::Dup(i) => {
                s.chan.get(i as usize).map(|f| (f.to, Segment::from(f.seg)))
            }
            _ => None,
        };
        let stale_tag = match act {
            Act::Deliver(i, _) => s.chan.get(i as usize).map(|f| f.stale),
            _ => None,
        };
        let mut text = describe(act, segment);
        if act == Act::Tick {
            // A segment at the end of its life vanishes with the tick (paid from the loss
            // budget): say which, or the path would hide a loss.
            let gone: Vec<String> = s
                .chan
                .iter()
                .filter(|f| model.expires(f))
                .map(|f| {
                    format!(
                        "{} -> {}  {}",
                        f.to.peer(),
                        f.to,
                        segment_text(&f.seg.into())
                    )
                })
                .collect();
            if !gone.is_empty() {
                text = format!("tick: {} LOST (MSL)", gone.join("; "));
            }
        }
        let Some((n, fx)) = model.next(&s, act) else {
            break;
        };
        out.push(PathStep {
            act,
            text,
            a: n.ep[0].tcb.state,
            b: n.ep[1].tcb.state,
            sent: fx.sent.to_vec(),
            segment,
            stale: stale_tag.unwrap_or(false),
            rows: fx.rows.to_vec(),
        });
        s = n;
    }
    out
}

/// A segment as the charts and counterexamples print it (`SYN,ACK seq=4 ack=1`).
pub fn segment_text(s: &Segment) -> String {
    let mut flags = Vec::new();
    for (on, name) in [
        (s.flags.syn(), "SYN"),
        (s.flags.fin(), "FIN"),
        (s.flags.rst(), "RST"),
        (s.flags.ack(), "ACK"),
    ] {
        if on {
            flags.push(name);
        }
    }
    let mut t = format!("{} seq={}", flags.join(","), s.seq);
    if s.flags.ack() {
        t += &format!(" ack={}", s.ack);
    }
    if s.len > 0 {
        t += &format!(" len={}", s.len);
    }
    t
}

fn describe(act: Act, segment: Option<(Side, Segment)>) -> String {
    let seg = |verb: &str| match segment {
        Some((to, s)) => format!("{} -> {to}  {}{verb}", to.peer(), segment_text(&s)),
        None => "?".into(),
    };
    match act {
        Act::Call(side, call, iss) => match call {
            crate::UserCall::ActiveOpen => format!("{side}: active OPEN (ISS={iss})"),
            crate::UserCall::PassiveOpen => format!("{side}: passive OPEN"),
            c => format!("{side}: {c:?}"),
        },
        Act::Deliver(_, _) => seg("  delivered"),
        Act::Drop(_) => seg("  LOST"),
        Act::Dup(_) => seg("  DUPLICATED"),
        Act::Tick => "tick".into(),
        Act::Fire(side, t) => format!("{side}: {t} timer fires"),
        Act::Crash(side) => format!("{side}: host crashes (TCB and ISN clock lost)"),
    }
}

/// The process's peak resident set size (`VmHWM`), in bytes; 0 where unknown.
pub fn peak_memory() -> u64 {
    proc_status_bytes("VmHWM:")
}

/// A memory field of `/proc/self/status` (`VmHWM:`, `VmRSS:`), in bytes; 0 where unknown.
pub fn proc_status_bytes(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with(field))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}
