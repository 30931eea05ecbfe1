//! Liveness over the whole reachable graph: "once a connection has been attempted, both
//! sides eventually reach CLOSED".
//!
//! stateright 0.31's `eventually` only sees paths that end in a terminal state: it misses
//! cycles, and it has no fairness. Here a violation is either
//! - a **deadlock**: a reachable state with no successor in which the property's goal does
//!   not hold, or
//! - a **fair cycle**: a fair infinite run that, from some point on, never meets the goal.
//!
//! **Fairness**, stated once. Every step belongs to one of eight *action classes*
//! ([`USER_A`] to [`FAULT`]): the user calls of A, of B (ABORT excepted), the timers of
//! A, of B, the deliveries to A, to B, the tick, and the faults (loss, duplication,
//! ABORT, crash). An infinite run is fair when
//! 1. **time diverges**: the run takes a tick infinitely often, or it passes infinitely
//!    often through an *idle* state, where nothing can make time pass (no tick is
//!    enabled: no timer runs, nothing is in flight; time may pass there without a step).
//!    A cycle of zero-time steps (two endpoints trading ACKs forever) is not a run;
//! 2. **weak fairness per class**: for every class in [`FAIR_CLASSES`] (all but
//!    [`FAULT`]), if some step of the class is enabled in every state from some point on,
//!    the run takes steps of that class infinitely often. A user whose CLOSE stays
//!    enabled eventually calls it (users do not idle forever); a side with a segment in
//!    flight to it all along eventually receives one. Fairness is per class, not per
//!    step: delivering some segment to A again and again satisfies it while another
//!    segment to A stays in flight. Faults are allowed but never forced.
//!
//! A fair run that avoids the goal forever ends up inside one strongly connected component
//! of the goal-free states (found by an iterative Tarjan, in Pearce's space-saving form),
//! and such a component holds one iff it holds a tick edge or an idle state, and an
//! internal step of every fair class that is enabled in all its states (see [`check`]).
//! A violation is printed as a lasso: the shortest path into the component, then a cycle
//! through it that is itself a fair run when repeated forever: it takes a step of every
//! fair class enabled in all of its states, and a tick unless it passes an idle state.

use std::collections::{HashMap, VecDeque};

/// Action class 0: a user call of A (ABORT is a [`FAULT`]).
pub const USER_A: u8 = 0;
/// Action class 1: a user call of B (ABORT is a [`FAULT`]).
pub const USER_B: u8 = 1;
/// Action class 2: a timer of A fires.
pub const TIMER_A: u8 = 2;
/// Action class 3: a timer of B fires.
pub const TIMER_B: u8 = 3;
/// Action class 4: a segment is delivered to A.
pub const DELIVER_A: u8 = 4;
/// Action class 5: a segment is delivered to B.
pub const DELIVER_B: u8 = 5;
/// Action class 6: a tick (time passes).
pub const TICK: u8 = 6;
/// Action class 7: a fault: loss, duplication, ABORT, crash. Never forced by fairness.
pub const FAULT: u8 = 7;
/// The classes weak fairness applies to, as a mask (bit `1 << class`): all but [`FAULT`].
pub const FAIR_CLASSES: u8 = !(1 << FAULT);

/// The mask of one class.
const fn bit(class: u8) -> u8 {
    1 << class
}

/// The reachable graph, in compressed rows: the successors of state `i` are
/// `edges[offsets[i]..offsets[i + 1]]`.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// Row starts, one per state plus one.
    pub offsets: Vec<u32>,
    /// Successor ids.
    pub edges: Vec<u32>,
    /// Per edge: its action class, [`USER_A`] to [`FAULT`].
    pub class: Vec<u8>,
    /// Per state: the classes with at least one enabled step there, as a mask (bit
    /// `1 << class`); it includes the class of each of the state's edges.
    pub enabled: Vec<u8>,
    /// Per state: the liveness goal holds (no pending attempt: both CLOSED, or none yet).
    pub goal: Vec<bool>,
    /// Per state: nothing can make time pass (no tick is enabled).
    pub idle: Vec<bool>,
}

impl Graph {
    /// Number of states.
    pub fn len(&self) -> usize {
        self.goal.len()
    }

    /// Whether the graph has no state.
    pub fn is_empty(&self) -> bool {
        self.goal.is_empty()
    }

    /// The successors of `i`, with the class of each step.
    fn succ(&self, i: u32) -> impl Iterator<Item = (u32, u8)> + '_ {
        let (a, b) = (
            self.offsets[i as usize] as usize,
            self.offsets[i as usize + 1] as usize,
        );
        self.edges[a..b]
            .iter()
            .copied()
            .zip(self.class[a..b].iter().copied())
    }
}

/// What the check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// No violation.
    Holds,
    /// A goal-free state with no successor.
    Deadlock {
        /// The state.
        state: u32,
    },
    /// A fair goal-free cycle, entered at `entry` and going round `cycle` back to it.
    Cycle {
        /// Where the cycle starts.
        entry: u32,
        /// The states after `entry`, ending with `entry` again.
        cycle: Vec<u32>,
    },
}

/// Looks for a deadlock or a fair cycle among goal-free states.
///
/// A fair run that never meets the goal eventually stays among goal-free states; the states
/// it visits infinitely often are strongly connected, so they lie inside one component `C`
/// of the goal-free subgraph. The run that goes round every state and edge of `C`
/// infinitely often is the fairest run inside `C`, so `C` admits a fair run iff
/// - it holds a tick edge or an idle state (time diverges), and
/// - it holds an internal edge of every fair class that is enabled in all its states.
///
/// Of the components that admit one, the one with the smallest entry is reported.
pub fn check(g: &Graph) -> Finding {
    let n = g.len();
    debug_assert_eq!(g.offsets.len(), n + 1, "one row start per state, plus one");
    debug_assert_eq!(g.class.len(), g.edges.len(), "one class per edge");
    debug_assert_eq!(g.enabled.len(), n, "one enabled mask per state");
    debug_assert_eq!(g.idle.len(), n, "one idle flag per state");
    debug_assert!(
        (0..n as u32).all(|i| g
            .succ(i)
            .all(|(_, k)| k <= FAULT && g.enabled[i as usize] & bit(k) != 0)),
        "each edge's class is a class, and enabled in its source"
    );
    for i in 0..n as u32 {
        if !g.goal[i as usize] && g.offsets[i as usize] == g.offsets[i as usize + 1] {
            return Finding::Deadlock { state: i };
        }
    }
    // The best fair component so far: its entry (the smallest id, the first discovered,
    // so the prefix is a shortest path) and its members.
    let mut best: Option<(u32, Vec<u32>)> = None;
    goal_free_sccs(g, |comp, rindex| {
        let entry = *comp.iter().min().expect("a component is nonempty");
        if best.as_ref().is_some_and(|(e, _)| *e < entry) {
            return;
        }
        if comp.len() == 1 && !g.succ(entry).any(|(j, _)| j == entry) {
            return; // trivial: no cycle
        }
        if fair(g, comp, |j| rindex[j as usize] == IN) {
            best = Some((entry, comp.to_vec()));
        }
    });
    match best {
        Some((entry, mut comp)) => {
            comp.sort_unstable();
            let inside = |j| comp.binary_search(&j).is_ok();
            let steps = lasso(g, inside, entry, true)
                .or_else(|| lasso(g, inside, entry, false))
                .expect("a fair component has a fair cycle");
            Finding::Cycle {
                entry,
                cycle: steps.into_iter().map(|(j, _)| j).collect(),
            }
        }
        None => Finding::Holds,
    }
}

/// The classes a fair run staying in `comp` must take: every fair class enabled in all its
/// states, and the tick unless an idle state lets time pass without one.
///
/// Weak fairness needs no recursion into parts of a component (unlike strong fairness): if
/// a class `c` is enabled in every state of `comp` but no edge of `c` lies inside it, then
/// `c` is also enabled in every state of any part of `comp`, and no edge of `c` lies inside
/// that part either, so no run staying in `comp` is fair. The same holds for the tick
/// without an idle state.
///
/// Tick is itself a fair class: where it is enabled in every state there is no idle state
/// (idle means no tick is enabled), and the two conditions ask the same thing, a tick edge.
/// Where some state is idle, the tick is not enabled there, so neither asks for it.
fn required(g: &Graph, comp: &[u32]) -> u8 {
    let mut always = FAIR_CLASSES;
    let mut idle = false;
    for &s in comp {
        always &= g.enabled[s as usize];
        idle |= g.idle[s as usize];
    }
    if idle { always } else { always | bit(TICK) }
}

/// Whether the component `comp` (its members are those `inside` says) admits a fair run.
fn fair(g: &Graph, comp: &[u32], inside: impl Fn(u32) -> bool) -> bool {
    let need = required(g, comp);
    let mut taken = 0u8;
    for &s in comp {
        for (j, k) in g.succ(s) {
            if inside(j) {
                taken |= bit(k);
            }
        }
        if need & !taken == 0 {
            return true;
        }
    }
    need & !taken == 0
}

/// `rindex` of the members of the component being reported.
const IN: u32 = u32::MAX - 1;
/// `rindex` of the members of components already reported.
const DONE: u32 = u32::MAX;

/// Calls `f` on each strongly connected component of the goal-free states (trivial ones
/// too), with `rindex`, in which exactly the component's members are [`IN`].
///
/// Pearce's variant of Tarjan's algorithm ("A space-efficient algorithm for finding
/// strongly connected components", 2016), made iterative: graphs of tens of millions of
/// states have depth-first paths far deeper than a thread's stack (petgraph's `tarjan_scc`
/// recurses). Memory: one `u32` per state, plus the two stacks.
fn goal_free_sccs(g: &Graph, mut f: impl FnMut(&[u32], &[u32])) {
    /// A depth-first call: the state, its next edge, and whether it is still its own root.
    struct Frame {
        v: u32,
        pos: u32,
        root: bool,
    }
    let n = g.len();
    assert!(n < IN as usize, "too many states");
    // 0: not visited; a visit index (lowered to the smallest reachable on the stack);
    // or IN / DONE, above every visit index.
    let mut rindex = vec![0u32; n];
    let mut index = 1u32;
    let mut stack: Vec<u32> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    for s in 0..n as u32 {
        if g.goal[s as usize] || rindex[s as usize] != 0 {
            continue;
        }
        rindex[s as usize] = index;
        index += 1;
        frames.push(Frame {
            v: s,
            pos: g.offsets[s as usize],
            root: true,
        });
        while let Some(top) = frames.last_mut() {
            let v = top.v;
            if top.pos < g.offsets[v as usize + 1] {
                let w = g.edges[top.pos as usize];
                top.pos += 1;
                if g.goal[w as usize] {
                    continue;
                }
                if rindex[w as usize] == 0 {
                    rindex[w as usize] = index;
                    index += 1;
                    frames.push(Frame {
                        v: w,
                        pos: g.offsets[w as usize],
                        root: true,
                    });
                } else if rindex[w as usize] < rindex[v as usize] {
                    rindex[v as usize] = rindex[w as usize];
                    top.root = false;
                }
                continue;
            }
            let root = top.root;
            frames.pop();
            if root {
                // The component: `v` and the states above it on the stack.
                let mut start = stack.len();
                while start > 0 && rindex[stack[start - 1] as usize] >= rindex[v as usize] {
                    start -= 1;
                }
                stack.push(v);
                for &w in &stack[start..] {
                    rindex[w as usize] = IN;
                }
                f(&stack[start..], &rindex);
                for &w in &stack[start..] {
                    rindex[w as usize] = DONE;
                }
                stack.truncate(start);
            } else {
                stack.push(v);
            }
            // Back in the caller: the edge to `v` is done.
            if let Some(parent) = frames.last_mut()
                && rindex[v as usize] < rindex[parent.v as usize]
            {
                rindex[parent.v as usize] = rindex[v as usize];
                parent.root = false;
            }
        }
    }
}

/// A cycle from `entry` back to itself inside a fair component (whose members are those
/// `inside` says) that is a fair run when repeated forever: it takes an edge of every fair
/// class enabled in all the states it visits, and a tick unless it visits an idle state.
/// Built by chaining shortest paths: from where the cycle is, to the nearest step that
/// meets an outstanding demand, and at the end back to `entry`. Returns each state after
/// `entry` with the class of the step into it.
///
/// Every class enabled in all of the component's states is taken. A class enabled along the
/// cycle so far but not everywhere in the component is met the nearest way: by taking it or
/// by visiting a state where it is disabled. Each stretch meets a demand and adds none
/// (more states only shrink what is enabled all along), so there are at most eight.
///
/// A [`Finding::Cycle`] names states, not edges, and the exploration replays a step between
/// two states as the first action that joins them, the first such edge of the row. With
/// `printed`, a step counts as that edge's class, so the cycle is fair as printed; that can
/// fail (a class whose only steps inside are shadowed by an earlier parallel edge of another
/// class: two actions with the same successor), and then `None`. Without, every edge
/// counts as itself, which never fails in a fair component.
fn lasso(
    g: &Graph,
    inside: impl Fn(u32) -> bool,
    entry: u32,
    printed: bool,
) -> Option<Vec<(u32, u8)>> {
    let mut cycle = Vec::new();
    let mut cur = entry;
    // The fair classes enabled in every state of the cycle so far, those taken, and
    // whether an idle state was visited.
    let mut along = g.enabled[entry as usize] & FAIR_CLASSES;
    let mut taken = 0u8;
    let mut idle = g.idle[entry as usize];
    loop {
        let open = along & !taken;
        let need_tick = !idle && taken & bit(TICK) == 0;
        let want = open | if need_tick { bit(TICK) } else { 0 };
        if want == 0 {
            break;
        }
        let meets =
            |s: u32| g.enabled[s as usize] & open != open || (need_tick && g.idle[s as usize]);
        // In a fair component each open class is disabled somewhere or has an edge inside,
        // and the tick has an edge or an idle state: only `printed` can fail here.
        let path = shortest(g, &inside, printed, cur, meets, |k| want & bit(k) != 0)?;
        for &(j, k) in &path {
            along &= g.enabled[j as usize];
            taken |= bit(k);
            idle |= g.idle[j as usize];
            cur = j;
        }
        cycle.extend(path);
    }
    if cur != entry || cycle.is_empty() {
        cycle.extend(shortest(
            g,
            &inside,
            printed,
            cur,
            |s| s == entry,
            |_| false,
        )?);
    }
    Some(cycle)
}

/// A shortest path inside the component from `from` (at least one step) whose last step has
/// a class `edge_ok` accepts or ends in a state `state_ok` accepts: the states after
/// `from`, each with the class of the step into it (with `printed`, the class of the first
/// edge joining the two states).
fn shortest(
    g: &Graph,
    inside: &impl Fn(u32) -> bool,
    printed: bool,
    from: u32,
    state_ok: impl Fn(u32) -> bool,
    edge_ok: impl Fn(u8) -> bool,
) -> Option<Vec<(u32, u8)>> {
    let mut prev: HashMap<u32, (u32, u8)> = HashMap::new();
    let mut q = VecDeque::from([from]);
    while let Some(s) = q.pop_front() {
        for (j, k) in g.succ(s) {
            if !inside(j) {
                continue;
            }
            let k = if printed {
                g.succ(s).find(|&(t, _)| t == j).map_or(k, |(_, c)| c)
            } else {
                k
            };
            if edge_ok(k) || state_ok(j) {
                // Walk back from the last step to the start, then reverse.
                let mut path = vec![(j, k)];
                let mut cur = s;
                while cur != from {
                    let (p, c) = prev[&cur];
                    path.push((cur, c));
                    cur = p;
                }
                path.reverse();
                return Some(path);
            }
            if j != from && !prev.contains_key(&j) {
                prev.insert(j, (s, k));
                q.push_back(j);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a graph from adjacency lists of (successor, class); a state's enabled classes
    /// are the classes of its steps.
    fn graph(adj: &[&[(u32, u8)]], goal: &[bool], idle: &[bool]) -> Graph {
        let mut g = Graph {
            goal: goal.to_vec(),
            idle: idle.to_vec(),
            ..Graph::default()
        };
        for succ in adj {
            g.offsets.push(g.edges.len() as u32);
            let mut enabled = 0;
            for &(j, k) in *succ {
                g.edges.push(j);
                g.class.push(k);
                enabled |= bit(k);
            }
            g.enabled.push(enabled);
        }
        g.offsets.push(g.edges.len() as u32);
        g
    }

    /// The steps round a cycle as the exploration replays them: each the first edge
    /// joining its two states.
    fn as_printed(g: &Graph, entry: u32, cycle: &[u32]) -> Vec<(u32, u8)> {
        let mut cur = entry;
        let mut steps = Vec::new();
        for &j in cycle {
            let step = g
                .succ(cur)
                .find(|&(t, _)| t == j)
                .unwrap_or_else(|| panic!("{cur} -> {j} is not an edge"));
            steps.push(step);
            cur = j;
        }
        steps
    }

    /// Asserts that going round `steps` (the states after `entry`, each with the class of
    /// the step into it) forever is a fair goal-free run.
    fn assert_fair_steps(g: &Graph, entry: u32, steps: &[(u32, u8)]) {
        let mut cur = entry;
        let mut taken = 0;
        for &(j, k) in steps {
            assert!(
                g.succ(cur).any(|e| e == (j, k)),
                "{cur} -> {j} is no step of class {k}"
            );
            taken |= bit(k);
            cur = j;
        }
        assert_eq!(cur, entry, "the cycle ends where it started");
        assert!(steps.iter().all(|&(s, _)| !g.goal[s as usize]), "goal-free");
        let along = steps
            .iter()
            .fold(FAIR_CLASSES, |m, &(s, _)| m & g.enabled[s as usize]);
        assert_eq!(along & !taken, 0, "a class enabled all along is taken");
        assert!(
            taken & bit(TICK) != 0 || steps.iter().any(|&(s, _)| g.idle[s as usize]),
            "time diverges"
        );
    }

    /// Asserts that the lasso found, as the exploration prints it, is a fair run.
    fn assert_fair_lasso(g: &Graph, finding: &Finding) {
        let Finding::Cycle { entry, cycle } = finding else {
            panic!("expected a cycle, got {finding:?}");
        };
        assert_fair_steps(g, *entry, &as_printed(g, *entry, cycle));
    }

    #[test]
    fn a_timed_cycle_that_avoids_the_goal_is_found_as_a_lasso() {
        // 0 -> 1 -> 2 -tick-> 1, and 1 -> 3 (goal). The cycle 1-2-1 never reaches 3.
        let g = graph(
            &[
                &[(1, USER_A)],
                &[(2, DELIVER_B), (3, USER_A)],
                &[(1, TICK)],
                &[(3, TICK)],
            ],
            &[true, false, false, true],
            &[false; 4],
        );
        let found = check(&g);
        assert_eq!(
            found,
            Finding::Cycle {
                entry: 1,
                cycle: vec![2, 1]
            }
        );
        assert_fair_lasso(&g, &found);
    }

    #[test]
    fn a_zero_time_cycle_is_not_a_fair_run() {
        let g = graph(
            &[
                &[(1, USER_A)],
                &[(2, DELIVER_B), (3, USER_A)],
                &[(1, DELIVER_A)],
                &[(3, TICK)],
            ],
            &[true, false, false, true],
            &[false; 4],
        );
        assert_eq!(check(&g), Finding::Holds);
    }

    #[test]
    fn an_idle_cycle_needs_no_tick() {
        // Users alone go round 1-2-1 (no tick anywhere); 1 is idle.
        let g = graph(
            &[
                &[(1, USER_A)],
                &[(2, USER_A), (3, FAULT)],
                &[(1, USER_B)],
                &[(3, TICK)],
            ],
            &[true, false, false, true],
            &[false, true, false, false],
        );
        let found = check(&g);
        assert_eq!(
            found,
            Finding::Cycle {
                entry: 1,
                cycle: vec![2, 1]
            }
        );
        assert_fair_lasso(&g, &found);
    }

    #[test]
    fn a_goal_free_dead_end_is_a_deadlock() {
        let g = graph(&[&[(1, USER_A)], &[]], &[true, false], &[false, true]);
        assert_eq!(check(&g), Finding::Deadlock { state: 1 });
    }

    #[test]
    fn a_deadlock_is_reported_before_a_fair_cycle() {
        // 1-2-1 is a fair timed cycle, and 4 is a dead end.
        let g = graph(
            &[
                &[(1, USER_A), (4, USER_B)],
                &[(2, DELIVER_B)],
                &[(1, TICK)],
                &[],
                &[],
            ],
            &[true, false, false, true, false],
            &[false; 5],
        );
        assert_eq!(check(&g), Finding::Deadlock { state: 4 });
    }

    #[test]
    fn cycles_through_the_goal_are_fine() {
        let g = graph(&[&[(1, TICK)], &[(0, TICK)]], &[true, false], &[false; 2]);
        assert_eq!(check(&g), Finding::Holds);
    }

    /// 0 (goal) opens into the timed cycle 1 -tick-> 2 -deliver-> 1; B's CLOSE (to the goal
    /// state 3) is enabled in 1, and in 2 when `close_in_2`; with `close_inside`, 2 can also
    /// call it and stay in the cycle, through 4.
    fn close_enabled_along_a_timed_cycle(close_in_2: bool, close_inside: bool) -> Graph {
        let mut two = vec![(1, DELIVER_B)];
        if close_in_2 {
            two.push((3, USER_B));
        }
        if close_inside {
            two.push((4, USER_B));
        }
        graph(
            &[
                &[(1, USER_A)],
                &[(2, TICK), (3, USER_B)],
                &two,
                &[(3, TICK)],
                &[(1, DELIVER_B), (3, USER_B)],
            ],
            &[true, false, false, true, false],
            &[false; 5],
        )
    }

    #[test]
    fn a_call_enabled_all_along_but_never_taken_in_the_cycle_is_not_a_fair_run() {
        // The audit's false lasso: B's CLOSE is enabled at every state of the cycle, and
        // taking it leaves the cycle for the goal.
        let g = close_enabled_along_a_timed_cycle(true, false);
        assert_eq!(check(&g), Finding::Holds);
    }

    #[test]
    fn a_call_disabled_somewhere_on_the_cycle_is_not_forced() {
        let g = close_enabled_along_a_timed_cycle(false, false);
        let found = check(&g);
        assert_eq!(
            found,
            Finding::Cycle {
                entry: 1,
                cycle: vec![2, 1]
            }
        );
        assert_fair_lasso(&g, &found);
    }

    #[test]
    fn a_cycle_that_takes_the_call_enabled_all_along_is_a_fair_run() {
        let g = close_enabled_along_a_timed_cycle(true, true);
        let found = check(&g);
        assert_eq!(
            found,
            Finding::Cycle {
                entry: 1,
                cycle: vec![2, 4, 1]
            }
        );
        assert_fair_lasso(&g, &found);
    }

    #[test]
    fn a_fault_enabled_all_along_is_never_forced() {
        // Loss is possible at every state of the timed cycle 1-2-1 and always leads to the
        // goal: still a fair run avoids it.
        let g = graph(
            &[
                &[(1, USER_A)],
                &[(2, TICK), (3, FAULT)],
                &[(1, DELIVER_A), (3, FAULT)],
                &[(3, TICK)],
            ],
            &[true, false, false, true],
            &[false; 4],
        );
        let found = check(&g);
        assert_eq!(
            found,
            Finding::Cycle {
                entry: 1,
                cycle: vec![2, 1]
            }
        );
        assert_fair_lasso(&g, &found);
    }

    #[test]
    fn the_lasso_takes_every_class_enabled_all_along() {
        // A's calls and B's timers are enabled everywhere in {1..5} (and lead to the goal
        // 0), and taken inside only at 1 -> 4 and 3 -> 5; the tick only at 2 -> 3. The
        // shortest cycle 1-2-1 takes none of them.
        let out = [(0, USER_A), (0, TIMER_B)];
        let row = |inner: &[(u32, u8)]| [inner, &out[..]].concat();
        let rows = [
            vec![(1, USER_A), (0, TICK)],
            row(&[(2, DELIVER_A), (4, USER_A)]),
            row(&[(1, DELIVER_B), (3, TICK)]),
            row(&[(1, DELIVER_A), (5, TIMER_B)]),
            row(&[(1, DELIVER_B)]),
            row(&[(2, DELIVER_A)]),
        ];
        let adj: Vec<&[(u32, u8)]> = rows.iter().map(|r| &r[..]).collect();
        let mut goal = [false; 6];
        goal[0] = true;
        let g = graph(&adj, &goal, &[false; 6]);
        let found = check(&g);
        let Finding::Cycle { entry, cycle } = &found else {
            panic!("expected a cycle, got {found:?}");
        };
        assert_eq!(*entry, 1);
        let taken = as_printed(&g, *entry, cycle)
            .iter()
            .fold(0, |m, &(_, k)| m | bit(k));
        for k in [USER_A, TIMER_B, TICK] {
            assert!(taken & bit(k) != 0, "class {k} taken round {cycle:?}");
        }
        assert_fair_lasso(&g, &found);
    }

    #[test]
    fn the_lasso_is_itself_a_fair_run() {
        // The component {1, 2, 3} is fair: B's CLOSE is disabled at 3. The shortest timed
        // cycle 1-2-1 keeps it enabled all along and never takes it, so the lasso shown
        // goes through 3.
        let g = graph(
            &[
                &[(1, USER_A)],
                &[(2, TICK), (0, USER_B)],
                &[(1, DELIVER_A), (0, USER_B), (3, DELIVER_B)],
                &[(1, DELIVER_A)],
            ],
            &[true, false, false, false],
            &[false; 4],
        );
        let found = check(&g);
        assert_eq!(
            found,
            Finding::Cycle {
                entry: 1,
                cycle: vec![2, 3, 1]
            }
        );
        assert_fair_lasso(&g, &found);
    }

    /// 1 -> 2 by a loss or (a later action, with the same successor) a delivery to A, and
    /// 2 -tick-> 1; with `detour`, also 1 -deliver-> 3 -tick-> 1. Deliveries to A are
    /// enabled everywhere (leading to the goal 0 from 2 and 3).
    fn a_delivery_shadowed_by_a_loss(detour: bool) -> Graph {
        let mut one = vec![(2, FAULT), (2, DELIVER_A)];
        if detour {
            one.push((3, DELIVER_A));
        }
        graph(
            &[
                &[(1, USER_A)],
                &one,
                &[(1, TICK), (0, DELIVER_A)],
                &[(1, TICK), (0, DELIVER_A)],
            ],
            &[true, false, false, false],
            &[false; 4],
        )
    }

    #[test]
    fn the_lasso_avoids_a_step_the_replay_would_print_as_another_class() {
        // Replayed, 1 -> 2 shows as the loss: the lasso delivers through 3 instead.
        let g = a_delivery_shadowed_by_a_loss(true);
        let found = check(&g);
        assert_eq!(
            found,
            Finding::Cycle {
                entry: 1,
                cycle: vec![3, 1]
            }
        );
        assert_fair_lasso(&g, &found);
    }

    #[test]
    fn a_fair_component_whose_only_required_step_is_shadowed_is_still_reported() {
        let g = a_delivery_shadowed_by_a_loss(false);
        assert_eq!(
            check(&g),
            Finding::Cycle {
                entry: 1,
                cycle: vec![2, 1]
            }
        );
    }

    #[test]
    fn the_fair_component_with_the_smallest_entry_is_reported() {
        // 0 (goal) -> 3-4-3 (timed, fair) and 0 -> 1-2-1 (zero time, unfair) -> 3 and
        // 0 -> 5-6-5 (timed, fair).
        let g = graph(
            &[
                &[(3, USER_A), (1, USER_B), (5, USER_A)],
                &[(2, DELIVER_A), (3, DELIVER_B)],
                &[(1, DELIVER_B)],
                &[(4, TICK)],
                &[(3, DELIVER_A)],
                &[(6, TICK)],
                &[(5, TIMER_A)],
            ],
            &[true, false, false, false, false, false, false],
            &[false; 7],
        );
        assert_eq!(
            check(&g),
            Finding::Cycle {
                entry: 3,
                cycle: vec![4, 3]
            }
        );
    }

    #[test]
    fn a_self_loop_is_a_cycle() {
        let g = graph(
            &[&[(1, USER_A)], &[(1, TICK), (0, FAULT)]],
            &[true, false],
            &[false; 2],
        );
        assert_eq!(
            check(&g),
            Finding::Cycle {
                entry: 1,
                cycle: vec![1]
            }
        );
    }

    #[test]
    fn random_graphs_agree_with_petgraph_components_and_the_fairness_rule() {
        // Components against petgraph's (recursive) Tarjan, verdicts against the rule
        // applied to them, and every lasso fair.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut rand = |below: u32| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % below as u64) as u32
        };
        for _ in 0..3000 {
            let n = 1 + rand(10);
            let mut g = Graph::default();
            for i in 0..n {
                g.offsets.push(g.edges.len() as u32);
                let mut enabled = 0;
                let steps = if rand(16) == 0 { 0 } else { 1 + rand(3) };
                for _ in 0..steps {
                    let k = rand(8) as u8;
                    g.edges.push(rand(n));
                    g.class.push(k);
                    enabled |= bit(k);
                }
                // Sometimes a class is enabled with no stored step (say, one that no
                // successor was kept for).
                if rand(4) == 0 {
                    enabled |= bit(rand(8) as u8);
                }
                g.enabled.push(enabled);
                g.goal.push(i == 0 || rand(5) == 0);
                g.idle.push(enabled & bit(TICK) == 0 && rand(3) == 0);
            }
            g.offsets.push(g.edges.len() as u32);

            let mut ours = Vec::new();
            goal_free_sccs(&g, |comp, rindex| {
                assert!((0..n).all(|j| (rindex[j as usize] == IN) == comp.contains(&j)));
                let mut comp = comp.to_vec();
                comp.sort_unstable();
                ours.push(comp);
            });
            let mut sub = petgraph::graph::DiGraph::<(), ()>::new();
            for _ in 0..n {
                sub.add_node(());
            }
            for i in 0..n {
                for (j, _) in g.succ(i) {
                    if !g.goal[i as usize] && !g.goal[j as usize] {
                        sub.add_edge(i.into(), j.into(), ());
                    }
                }
            }
            let mut theirs: Vec<Vec<u32>> = petgraph::algo::tarjan_scc(&sub)
                .into_iter()
                .map(|c| {
                    let mut c: Vec<u32> = c.into_iter().map(|x| x.index() as u32).collect();
                    c.sort_unstable();
                    c
                })
                .filter(|c| !g.goal[c[0] as usize])
                .collect();
            ours.sort();
            theirs.sort();
            assert_eq!(ours, theirs, "components of {g:?}");

            let deadlock = (0..n).find(|&i| !g.goal[i as usize] && g.succ(i).next().is_none());
            let expected = theirs
                .iter()
                .filter(|c| c.len() > 1 || g.succ(c[0]).any(|(j, _)| j == c[0]))
                .filter(|c| {
                    let need = required(&g, c);
                    let taken = c.iter().fold(0, |m, &s| {
                        g.succ(s)
                            .filter(|(j, _)| c.contains(j))
                            .fold(m, |m, (_, k)| m | bit(k))
                    });
                    need & !taken == 0
                })
                .map(|c| c[0])
                .min();
            match (check(&g), deadlock, expected) {
                (Finding::Deadlock { state }, Some(d), _) => assert_eq!(state, d),
                (Finding::Holds, None, None) => {}
                (found @ Finding::Cycle { entry, .. }, None, Some(e)) => {
                    assert_eq!(entry, e, "{g:?}");
                    let comp = theirs.iter().find(|c| c[0] == e).expect("a component");
                    let inside = |j| comp.contains(&j);
                    match lasso(&g, inside, e, true) {
                        Some(_) => assert_fair_lasso(&g, &found),
                        None => {
                            let steps = lasso(&g, inside, e, false).expect("a fair cycle");
                            assert_fair_steps(&g, e, &steps);
                        }
                    }
                }
                (found, d, e) => panic!("{found:?}, deadlock {d:?}, fair entry {e:?}: {g:?}"),
            }
        }
    }

    #[test]
    fn a_million_state_cycle_does_not_overflow_the_stack() {
        // 0 (goal) -> 1 -> 2 -> ... -> N -tick-> 1: one depth-first path of N states.
        const N: u32 = 1 << 20;
        let mut g = Graph::default();
        for i in 0..=N {
            g.offsets.push(g.edges.len() as u32);
            let (j, k) = if i == N {
                (1, TICK)
            } else {
                (i + 1, DELIVER_A)
            };
            g.edges.push(j);
            g.class.push(k);
            g.enabled.push(bit(k));
            g.goal.push(i == 0);
            g.idle.push(false);
        }
        g.offsets.push(g.edges.len() as u32);
        let Finding::Cycle { entry, cycle } = check(&g) else {
            panic!("expected a cycle");
        };
        assert_eq!(entry, 1);
        assert_eq!(cycle.len(), N as usize);
    }
}
