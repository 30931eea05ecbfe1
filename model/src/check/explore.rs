//! Breadth-first exploration of the whole state graph.
//!
//! stateright 0.31's BFS can report a counterexample that is not the shortest (a later
//! discovery overwrites the first), and its `sometimes` properties vanish from its report
//! when they have no example. This explorer keeps the first-discovery parent of every
//! state, so each path it reports is a shortest one, and reports every property.

use super::disk::{DiskSet, LevelFile};
pub use super::level::encode;
use super::level::{Level, decode, fingerprint};
use super::liveness::{self, Finding, Graph};
use super::properties::{Check, Kind, PROPERTIES, Property};
use super::system::{Act, Side, Sys, System};
use super::visited::{Blocks, NEW, Visited};
use crate::segment::Segment;
use crate::table::{RowId, State};
use rustc_hash::FxBuildHasher;
use serde::Serialize;
use std::collections::BTreeSet;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use std::time::Instant;

/// Limits on a run. A run stopped by one is INCOMPLETE, never a proof.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    /// Explore on after a safety property fails, for every verdict.
    pub all: bool,
    /// Threads that expand a level's states (0 or 1: the calling thread alone). A
    /// sweep runs its points in parallel instead, one thread each.
    pub threads: usize,
    /// Stop at the first counterexample of this property only (other failures found on
    /// the way are reported too).
    pub focus: Option<&'static str>,
    /// Keep every state's encoding beside its fingerprint, so a fingerprint collision
    /// can never hide a state (`--exact`; costs the encoded size per state).
    pub exact: bool,
    /// Keep BFS levels in files, and spill visited fingerprints to a sorted file
    /// (`--disk`): safety only (the liveness graph stays in memory), not with `exact`.
    pub disk: Option<Disk>,
    /// Stop after this many unique states.
    pub max_states: Option<usize>,
    /// Stop after this many seconds.
    pub max_seconds: Option<f64>,
    /// Stop when the process's resident memory passes this many bytes (checked every
    /// 4,096 states), so a run too big for the machine ends INCOMPLETE, not killed.
    pub max_memory: Option<u64>,
}

/// Where and when a run keeps its states on disk.
#[derive(Clone, Copy, Debug)]
pub struct Disk {
    /// The directory for the run's files (removed when it ends).
    pub dir: &'static std::path::Path,
    /// Spill the visited fingerprints at the end of a level once resident memory passes
    /// this many bytes (`check --disk` uses half of `--max-memory`; 0 spills every level).
    pub spill_at: u64,
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
    /// With `stopped_by` "disk": the I/O error that stopped the run.
    pub failure: Option<String>,
    /// The chance that a fingerprint collision hid a state (n^2 / 2^65; 0 with `exact`).
    pub collision_probability: f64,
    /// The mean size of a state's compact encoding (what the BFS levels hold), in bytes.
    pub encoded_bytes: f64,
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
    /// States in the level being explored, and how many of them are done.
    pub level: (usize, usize),
    /// The run's total states, estimated once levels shrink: the states up to the end
    /// of this level, plus a geometric tail at the last shrink ratio. `None` while levels
    /// grow (no estimate can be made then).
    pub estimate: Option<usize>,
}

impl Progress {
    /// The estimated fraction of the run done, if one can be made.
    pub fn done(&self) -> Option<f64> {
        self.estimate
            .map(|t| (self.unique_states as f64 / t.max(1) as f64).min(1.0))
    }
}

/// Explores `model` breadth-first.
pub fn explore(model: &System, limits: Limits, keep_graph: bool) -> Exploration {
    explore_with(model, limits, keep_graph, &mut |_| {})
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

/// Chunks a thread may expand ahead of the in-order merge, per thread (bounds memory).
const AHEAD: usize = 4;

/// Whether a property's check returning `v` is what the run records (a counterexample of
/// an `always`, an example of a `sometimes` or a finding).
fn records(kind: Kind, v: bool) -> bool {
    v == matches!(kind, Kind::Sometimes | Kind::Finding)
}

/// One state of a chunk, as its expansion found it.
struct Expansion {
    /// Bit `p`: property `p` is recorded at this state.
    props: u64,
    /// Where the state's encoding starts in the chunk.
    at: u32,
    /// The two endpoints' states (to pick samples without decoding).
    states: [State; 2],
    /// End of its successors in [`Expanded::succs`].
    succ_end: u32,
    /// The liveness goal holds here.
    goal: bool,
    /// No tick is enabled and nothing is pending.
    idle: bool,
}

/// One successor: the step and the state it reaches.
struct Successor {
    fp: u64,
    act: Act,
    /// The step's position among the parent's actions (what a path stores).
    index: u16,
    class: u8,
    /// Bit `p`: step property `p` is recorded on this step.
    props: u64,
    /// The id of the state reached if an earlier level has it, else [`NEW`].
    to: u32,
    /// Length of its encoding in [`Expanded::bytes`] (0 unless [`NEW`]).
    len: u32,
}

/// What expanding one chunk found: everything the in-order merge needs.
#[derive(Default)]
struct Expanded {
    /// The chunk's encoded states.
    chunk: Vec<u8>,
    /// The successors of the state being expanded (scratch).
    next: Vec<Sys>,
    states: Vec<Expansion>,
    succs: Vec<Successor>,
    bytes: Vec<u8>,
    fired: Vec<RowId>,
    /// Reading the chunk failed (`--disk`): nothing was expanded, and the run stops.
    failure: Option<String>,
}

/// What expanding a level needs: the model, the states of earlier levels (read-only
/// while the level runs), and the properties.
#[derive(Clone, Copy)]
struct Expander<'a> {
    model: &'a System,
    known: &'a Visited,
    props: &'a [Property],
    keep_graph: bool,
}

impl Expander<'_> {
    /// Expands chunk `c` of `level` into `out`.
    fn expand(
        &self,
        skip: u64,
        level: &Level,
        c: usize,
        out: &mut Expanded,
        actions: &mut Vec<Act>,
    ) {
        #[cfg(test)]
        if tests::PANIC_IN_CHUNK.load(Ordering::Relaxed) == c
            && tests::PANIC_FOR_MODEL.load(Ordering::Relaxed) == self.model as *const _ as usize
        {
            panic!("a worker's bug, simulated");
        }
        let mut chunk = std::mem::take(&mut out.chunk);
        out.failure = level.read_chunk(c, &mut chunk).err().map(|e| e.to_string());
        if out.failure.is_some() {
            chunk.clear();
        }
        self.expand_chunk(skip, &chunk, out, actions);
        out.chunk = chunk;
    }

    /// Expands every state of `chunk`; `skip` has the properties already recorded (their
    /// checks are not run again). Pure: any thread may run it, in any order.
    fn expand_chunk(&self, skip: u64, chunk: &[u8], out: &mut Expanded, actions: &mut Vec<Act>) {
        let Expander {
            model,
            known,
            props,
            keep_graph,
        } = *self;
        out.states.clear();
        out.succs.clear();
        out.bytes.clear();
        out.fired.clear();
        let mut rest = chunk;
        while !rest.is_empty() {
            let at = (chunk.len() - rest.len()) as u32;
            let (s, r) = decode(rest);
            rest = r;
            let mut hit = 0u64;
            for (p, prop) in props.iter().enumerate() {
                if let Check::State(f) = prop.check
                    && skip & (1 << p) == 0
                    && records(prop.kind, f(model, &s))
                {
                    hit |= 1 << p;
                }
            }
            actions.clear();
            model.actions(&s, actions);
            // First every successor and its fingerprint, then the lookups one after the
            // other: independent probes, whose cache misses the processor overlaps.
            let first = out.succs.len();
            out.next.clear();
            for (index, &act) in actions.iter().enumerate() {
                let Some((n, fx)) = model.next(&s, act) else {
                    continue;
                };
                out.fired.extend(fx.rows.iter().map(|&(_, r)| r));
                let mut step = 0u64;
                for (p, prop) in props.iter().enumerate() {
                    if let Check::Step(f) = prop.check
                        && skip & (1 << p) == 0
                        && records(prop.kind, f(model, &s, &fx, &n))
                    {
                        step |= 1 << p;
                    }
                }
                out.succs.push(Successor {
                    fp: fingerprint(&n),
                    act,
                    index: u16::try_from(index).expect("under 65,536 actions per state"),
                    class: class_of(&s, act),
                    props: step,
                    to: NEW,
                    len: 0,
                });
                out.next.push(n);
            }
            // Most steps lead to a state of an earlier level: look it up here, in
            // parallel, and encode only the others for the merge (`--exact` compares
            // encodings, so it encodes every one).
            if !known.exact {
                for succ in &mut out.succs[first..] {
                    succ.to = known.get(succ.fp, &[]).unwrap_or(NEW);
                }
            }
            for (succ, n) in out.succs[first..].iter_mut().zip(&out.next) {
                let from = out.bytes.len();
                if known.exact {
                    encode(n, &mut out.bytes);
                    succ.to = known.get(succ.fp, &out.bytes[from..]).unwrap_or(NEW);
                    if succ.to != NEW {
                        out.bytes.truncate(from);
                    }
                } else if succ.to == NEW {
                    encode(n, &mut out.bytes);
                }
                succ.len = (out.bytes.len() - from) as u32;
            }
            out.states.push(Expansion {
                props: hit,
                at,
                states: [s.ep[0].tcb.state, s.ep[1].tcb.state],
                succ_end: out.succs.len() as u32,
                goal: keep_graph && model.settled(&s),
                idle: keep_graph && !actions.contains(&Act::Tick) && model.nothing_pending(&s),
            });
        }
        out.fired.sort_unstable();
        out.fired.dedup();
    }
}

/// The visited set and everything kept per state, filled by merging expanded chunks in
/// queue order: ids, parents and verdicts are the same for every thread count.
struct Search<'a> {
    model: &'a System,
    limits: Limits,
    keep_graph: bool,
    start: Instant,
    props: Vec<Property>,
    found: Vec<Option<Found>>,
    /// The states this level found (earlier levels' are in the [`Visited`] the level
    /// is given, read-only).
    fresh: Visited,
    /// Each state's first-discovery parent, and the step's position among the parent's
    /// actions: a path is rebuilt by replaying them.
    parent: Blocks<u32>,
    via: Blocks<u16>,
    graph: Graph,
    samples: Vec<Vec<crate::Tcb>>,
    sample_hashes: Vec<Vec<u64>>,
    fired: Vec<bool>,
    generated: u64,
    next: Level,
    /// States merged so far (the id of the next one).
    merged: u32,
    depth: usize,
    stopped_by: Option<&'static str>,
    /// What stopped a `--disk` run (with `stopped_by` "disk").
    failure: Option<String>,
    failed: bool,
    progress: &'a mut dyn FnMut(Progress),
    /// The first id of the level being explored, its size, and the previous level's.
    level_sizes: (u32, usize, usize),
    /// Bytes of the encodings of the states found (for the mean).
    encoded: u64,
}

impl Search<'_> {
    /// The properties recorded so far, as a mask.
    fn recorded(&self) -> u64 {
        self.found
            .iter()
            .enumerate()
            .filter(|(_, f)| f.is_some())
            .fold(0, |m, (p, _)| m | 1 << p)
    }

    /// Whether the run must stop before expanding the next state: a counterexample it
    /// stops at, or a limit.
    fn must_stop(&mut self) -> bool {
        let limits = self.limits;
        let mut always = self
            .props
            .iter()
            .zip(&self.found)
            .filter(|(p, _)| p.kind == Kind::Always);
        let failed = if let Some(name) = limits.focus {
            self.props
                .iter()
                .zip(&self.found)
                .any(|(p, f)| p.name == name && f.is_some())
        } else if limits.all {
            always.all(|(_, f)| f.is_some())
        } else {
            always.any(|(_, f)| f.is_some())
        };
        if failed {
            // The first counterexample is a shortest one; unless asked for every
            // verdict, stop there as other model checkers do.
            self.failed = true;
            return true;
        }
        let id = self.merged;
        let limit = if limits
            .max_states
            .is_some_and(|m| self.fresh.end() as usize >= m)
        {
            Some("max-states")
        } else if id % 1024 == 0
            && limits
                .max_seconds
                .is_some_and(|m| self.start.elapsed().as_secs_f64() >= m)
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
        self.stopped_by = limit;
        limit.is_some()
    }

    /// Stops the run on a failure of `--disk` (a full disk, an unreadable file): what
    /// was explored stands, and the run is incomplete.
    fn disk_failed(&mut self, failure: impl std::fmt::Display) -> bool {
        self.stopped_by = Some("disk");
        self.failure = Some(failure.to_string());
        false
    }

    /// Merges one expanded chunk, in order; false when the run stops.
    fn merge(&mut self, known: &Visited, ex: &Expanded) -> bool {
        if let Some(e) = ex.failure.as_ref().or(known.failure.get()) {
            return self.disk_failed(e);
        }
        let chunk = &ex.chunk;
        for &r in &ex.fired {
            self.fired[r.0 as usize] = true;
        }
        let mut succ = 0usize;
        let mut bytes = 0usize;
        for st in &ex.states {
            let id = self.merged;
            if id.trailing_zeros() >= 16 {
                let (start, len, prev) = self.level_sizes;
                let ratio = len as f64 / prev.max(1) as f64;
                (self.progress)(Progress {
                    unique_states: self.fresh.end() as usize,
                    depth: self.depth,
                    seconds: self.start.elapsed().as_secs_f64(),
                    frontier: self.next.len,
                    level: (len, (id - start) as usize),
                    estimate: (ratio < 0.95 && prev > 0).then(|| {
                        let tail = len as f64 * ratio / (1.0 - ratio);
                        (self.fresh.end() as usize)
                            .max(self.fresh.base as usize + self.next.len + tail as usize)
                    }),
                });
            }
            for (p, f) in self.found.iter_mut().enumerate() {
                if f.is_none() && st.props & (1 << p) != 0 {
                    *f = Some(Found {
                        state: id,
                        act: None,
                    });
                }
            }
            if self.must_stop() {
                return false;
            }
            if st
                .states
                .iter()
                .any(|s| self.samples[*s as usize].len() < 16)
            {
                let (s, _) = decode(&chunk[st.at as usize..]);
                for ep in &s.ep {
                    let i = ep.tcb.state as usize;
                    let h = FxBuildHasher.hash_one(&ep.tcb);
                    if self.samples[i].len() < 16 && !self.sample_hashes[i].contains(&h) {
                        self.sample_hashes[i].push(h);
                        self.samples[i].push(ep.tcb.clone());
                    }
                }
            }
            if self.keep_graph {
                // Ids are handed out in queue order, so rows arrive in id order.
                debug_assert_eq!(self.graph.goal.len(), id as usize);
                self.graph.offsets.push(self.graph.edges.len() as u32);
                self.graph.goal.push(st.goal);
                self.graph.idle.push(st.idle);
                self.graph.enabled.push(0);
            }
            for s in &ex.succs[succ..st.succ_end as usize] {
                self.generated += 1;
                for (p, f) in self.found.iter_mut().enumerate() {
                    if f.is_none() && s.props & (1 << p) != 0 {
                        *f = Some(Found {
                            state: id,
                            act: Some(s.act),
                        });
                    }
                }
                let encoded = &ex.bytes[bytes..bytes + s.len as usize];
                bytes += s.len as usize;
                let (to, new) = match s.to {
                    NEW => self.fresh.visit(s.fp, encoded),
                    to => (to, false),
                };
                if new {
                    self.encoded += encoded.len() as u64;
                    self.parent.push(id);
                    self.via.push(s.index);
                    if let Err(e) = self.next.push(encoded) {
                        return self.disk_failed(e);
                    }
                }
                if self.keep_graph {
                    self.graph.edges.push(to);
                    self.graph.class.push(s.class);
                    *self.graph.enabled.last_mut().expect("pushed above") |= 1 << s.class;
                }
            }
            succ = st.succ_end as usize;
            self.merged += 1;
        }
        true
    }

    /// Explores one level, on `threads` threads; false when the run stops.
    fn level(&mut self, known: &Visited, level: &Level, threads: usize) -> bool {
        let props = self.props.clone();
        let expander = Expander {
            model: self.model,
            known,
            props: &props,
            keep_graph: self.keep_graph,
        };
        let n = level.chunks();
        let mut actions = Vec::new();
        if threads <= 1 {
            let mut ex = Expanded::default();
            for c in 0..n {
                expander.expand(self.recorded(), level, c, &mut ex, &mut actions);
                if !self.merge(known, &ex) {
                    return false;
                }
            }
            return true;
        }
        // Workers expand chunks ahead of the merge, which takes them in order.
        struct Ring {
            slots: Vec<Option<Expanded>>,
            spare: Vec<Expanded>,
            merged: usize,
            stop: bool,
            /// A worker panicked (a bug): its chunk will never come, so the merge must not
            /// wait for it. The scope then re-raises the panic; the run never hangs.
            panicked: bool,
        }
        let ring = Mutex::new(Ring {
            slots: (0..n).map(|_| None).collect(),
            spare: Vec::new(),
            merged: 0,
            stop: false,
            panicked: false,
        });
        let changed = Condvar::new();
        let next = AtomicUsize::new(0);
        let skip = AtomicU64::new(self.recorded());
        let lock = || ring.lock().unwrap_or_else(|e| e.into_inner());
        /// Raised when a worker unwinds: tells the merge and the other workers to stop.
        struct Alarm<'r> {
            ring: &'r Mutex<Ring>,
            changed: &'r Condvar,
        }
        impl Drop for Alarm<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    let mut r = self.ring.lock().unwrap_or_else(|e| e.into_inner());
                    r.panicked = true;
                    r.stop = true;
                    drop(r);
                    self.changed.notify_all();
                }
            }
        }
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    let _alarm = Alarm {
                        ring: &ring,
                        changed: &changed,
                    };
                    let mut actions = Vec::new();
                    loop {
                        let c = next.fetch_add(1, Ordering::Relaxed);
                        if c >= n {
                            return;
                        }
                        let mut ex = {
                            let mut r = lock();
                            while !r.stop && c >= r.merged + AHEAD * threads {
                                r = changed.wait(r).unwrap_or_else(|e| e.into_inner());
                            }
                            if r.stop {
                                return;
                            }
                            r.spare.pop().unwrap_or_default()
                        };
                        let mask = skip.load(Ordering::Relaxed);
                        expander.expand(mask, level, c, &mut ex, &mut actions);
                        lock().slots[c] = Some(ex);
                        changed.notify_all();
                    }
                });
            }
            for c in 0..n {
                let ex = {
                    let mut r = lock();
                    loop {
                        if let Some(ex) = r.slots[c].take() {
                            break Some(ex);
                        }
                        if r.panicked {
                            break None;
                        }
                        r = changed.wait(r).unwrap_or_else(|e| e.into_inner());
                    }
                };
                // The scope re-raises the worker's panic once every thread has stopped.
                let Some(ex) = ex else { return false };
                let go_on = self.merge(known, &ex);
                skip.store(self.recorded(), Ordering::Relaxed);
                let mut r = lock();
                r.merged = c + 1;
                r.spare.push(ex);
                r.stop = !go_on;
                drop(r);
                changed.notify_all();
                if !go_on {
                    return false;
                }
            }
            true
        })
    }
}

/// Explores `model` breadth-first, reporting progress every 65,536 states.
///
/// The visited set keeps a 64-bit fingerprint per state (with `exact`, the state's
/// encoding too), not the state: states live only in the frontier (one BFS level and the
/// next), encoded. Each state's first-discovery parent and step are kept, so a path is
/// rebuilt by replaying steps from the initial state, and every path printed is a
/// shortest one. Threads expand chunks of a level in parallel and one merge takes them
/// in queue order, so ids, counts and paths do not depend on the thread count.
pub fn explore_with(
    model: &System,
    limits: Limits,
    keep_graph: bool,
    progress: &mut dyn FnMut(Progress),
) -> Exploration {
    let props: Vec<Property> = PROPERTIES.to_vec();
    assert!(props.len() <= 64, "property masks are 64 bits");
    let mut search = Search {
        model,
        limits,
        keep_graph,
        start: Instant::now(),
        found: props.iter().map(|_| None).collect(),
        props,
        fresh: Visited::new(limits.exact, keep_graph),
        parent: Blocks::new(),
        via: Blocks::new(),
        graph: Graph::default(),
        samples: vec![Vec::new(); State::ALL.len()],
        sample_hashes: vec![Vec::new(); State::ALL.len()],
        fired: vec![false; model.table.id_bound()],
        generated: 0,
        next: Level::default(),
        merged: 0,
        depth: 0,
        stopped_by: None,
        failure: None,
        failed: false,
        progress,
        level_sizes: (0, 1, 0),
        encoded: 0,
    };
    let mut encoded = Vec::new();
    encode(&model.init(), &mut encoded);
    let mut visited = Visited::new(limits.exact, keep_graph);
    let mut frontier = Level::default();
    let mut complete = true;
    if let Some(Disk { dir, .. }) = limits.disk {
        assert!(
            !keep_graph && !limits.exact,
            "--disk checks safety only, without --exact"
        );
        let files = LevelFile::create(dir, "level-a")
            .and_then(|a| Ok((a, LevelFile::create(dir, "level-b")?, DiskSet::create(dir)?)));
        match files {
            Ok((a, b, set)) => {
                frontier.file = Some(a);
                search.next.file = Some(b);
                visited.disk = Some(set);
            }
            Err(e) => complete = search.disk_failed(format!("{}: {e}", dir.display())),
        }
    }
    visited.visit(fingerprint(&model.init()), &encoded);
    search.fresh.base = 1;
    search.parent.push(0);
    search.via.push(u16::MAX);
    if complete && let Err(e) = frontier.push(&encoded).and_then(|()| frontier.seal()) {
        complete = search.disk_failed(e);
    }
    let threads = limits.threads.max(1);
    while complete && frontier.len > 0 {
        let go_on = search.level(&visited, &frontier, threads);
        visited.absorb(&mut search.fresh);
        if !go_on {
            complete = false;
            break;
        }
        let next = search.next.len;
        search.level_sizes = (visited.end() - next as u32, next, frontier.len);
        std::mem::swap(&mut frontier, &mut search.next);
        search.next.clear();
        if let Err(e) = frontier.seal() {
            complete = search.disk_failed(e);
            break;
        }
        if let Some(disk) = limits.disk
            && (disk.spill_at == 0 || proc_status_bytes("VmRSS:") >= disk.spill_at)
            && let Err(e) = visited
                .spill()
                .and_then(|()| search.parent.spill(disk.dir, "parents"))
                .and_then(|()| search.via.spill(disk.dir, "steps"))
        {
            complete = search.disk_failed(e);
            break;
        }
        if frontier.len > 0 {
            search.depth += 1;
        }
    }
    drop(frontier);
    let Search {
        props,
        found,
        parent,
        via,
        mut graph,
        samples,
        fired,
        generated,
        depth,
        stopped_by,
        failure,
        start,
        encoded,
        ..
    } = search;
    let counted = visited.end() as usize;
    let mut actions = Vec::new();

    // With --disk, parents may be read back from a file: a failure loses that path only.
    let acts_to = |state: u32| -> std::io::Result<Vec<Act>> {
        let mut steps = Vec::new();
        let mut cur = state as usize;
        while cur != 0 {
            steps.push(via.get(cur)?);
            cur = parent.get(cur)? as usize;
        }
        let mut s = model.init();
        let mut acts = Vec::new();
        let mut list = Vec::new();
        for &i in steps.iter().rev() {
            list.clear();
            model.actions(&s, &mut list);
            let act = list[i as usize];
            s = model.next(&s, act).expect("a recorded step is enabled").0;
            acts.push(act);
        }
        Ok(acts)
    };
    let mut lost_path = None;
    let mut path_to = |f: &Found| -> Option<Vec<PathStep>> {
        match acts_to(f.state) {
            Ok(mut acts) => {
                acts.extend(f.act);
                Some(replay(model, &acts))
            }
            Err(e) => {
                lost_path.get_or_insert(e.to_string());
                None
            }
        }
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
                    path_to(f).map_or(Verdict::Unknown, |path| Verdict::Fails { path })
                }
                (Kind::Sometimes | Kind::Finding, Some(f), _) => {
                    path_to(f).map_or(Verdict::Unknown, |path| Verdict::Reached { path })
                }
                (Kind::Finding, None, true) => Verdict::NotFound,
                (Kind::Always | Kind::Eventually, None, true) => Verdict::Holds,
                (Kind::Sometimes, None, true) => Verdict::NeverReached,
                (_, None, false) => Verdict::Unknown,
            },
        })
        .collect();
    let (mut complete, mut stopped_by, mut failure) = (complete, stopped_by, failure);
    if let Some(e) = lost_path {
        complete = false;
        stopped_by = Some("disk");
        failure.get_or_insert(e);
    }
    if keep_graph {
        graph.offsets.push(graph.edges.len() as u32);
        let verdict = if !complete {
            Verdict::Unknown
        } else {
            match liveness::check(&graph) {
                Finding::Holds => Verdict::Holds,
                // A liveness run keeps its paths in memory (--disk is safety only).
                Finding::Deadlock { state } => Verdict::Fails {
                    path: replay(model, &acts_to(state).expect("paths in memory")),
                },
                Finding::Cycle { entry, cycle } => {
                    let mut acts = acts_to(entry).expect("paths in memory");
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
                                let mut buf = Vec::new();
                                encode(&n, &mut buf);
                                let to = visited.get(fingerprint(&n), &buf);
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
        failure,
        collision_probability: if limits.exact {
            0.0
        } else {
            collision_probability(counted)
        },
        encoded_bytes: encoded as f64 / counted.saturating_sub(1).max(1) as f64,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Options;

    /// The chunk whose expansion panics, and the model (its address) whose run it is, so
    /// that no other test's run is touched.
    pub(super) static PANIC_IN_CHUNK: AtomicUsize = AtomicUsize::new(usize::MAX);
    pub(super) static PANIC_FOR_MODEL: AtomicUsize = AtomicUsize::new(0);

    /// A bug that panics in a worker thread ends the run with that panic; the merge, which
    /// waits for the chunks in order, does not wait for it for ever.
    #[test]
    fn a_panicking_worker_ends_the_run_instead_of_hanging_it() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let model = System::new(Options::default()).unwrap();
            PANIC_FOR_MODEL.store(&model as *const _ as usize, Ordering::Relaxed);
            PANIC_IN_CHUNK.store(3, Ordering::Relaxed);
            let limits = Limits {
                threads: 2,
                max_states: Some(200_000),
                ..Limits::default()
            };
            let run = std::panic::catch_unwind(|| explore(&model, limits, false));
            PANIC_IN_CHUNK.store(usize::MAX, Ordering::Relaxed);
            tx.send(run.is_err()).unwrap();
        });
        let panicked = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the run hung after a worker panicked");
        assert!(panicked, "the worker's panic reaches the caller");
    }
}
