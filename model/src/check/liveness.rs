//! Liveness over the whole reachable graph: "once a connection has been attempted, both
//! sides eventually reach CLOSED".
//!
//! stateright 0.31's `eventually` only sees paths that end in a terminal state: it misses
//! cycles, and it has no fairness. Here a violation is either
//! - a **deadlock**: a reachable state with no successor in which the property's goal does
//!   not hold, or
//! - a **fair cycle**: a nontrivial strongly connected component (Tarjan, via petgraph) of
//!   goal-free states that is fair.
//!
//! Fairness, stated once: time diverges (a run takes infinitely many ticks), unless the
//! run reaches a state where nothing can make time pass (no timer runs, nothing is in
//! flight). A cycle of zero-time steps (two endpoints trading ACKs forever) is therefore
//! not a run of the system, and every other enabled step is eventually taken or disabled:
//! users are not allowed to idle forever. A violation is printed as a lasso: the shortest
//! path into the component, then a cycle through it.

use petgraph::algo::tarjan_scc;
use petgraph::csr::Csr;

/// The reachable graph, in compressed rows: the successors of state `i` are
/// `edges[offsets[i]..offsets[i + 1]]`.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// Row starts, one per state plus one.
    pub offsets: Vec<u32>,
    /// Successor ids.
    pub edges: Vec<u32>,
    /// Whether each edge is a tick.
    pub tick: Vec<bool>,
    /// Per state: the liveness goal holds (no pending attempt: both CLOSED, or none yet).
    pub goal: Vec<bool>,
    /// Per state: nothing can make time pass.
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

    fn succ(&self, i: u32) -> impl Iterator<Item = (u32, bool)> + '_ {
        let (a, b) = (
            self.offsets[i as usize] as usize,
            self.offsets[i as usize + 1] as usize,
        );
        self.edges[a..b]
            .iter()
            .copied()
            .zip(self.tick[a..b].iter().copied())
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
pub fn check(g: &Graph) -> Finding {
    let n = g.len();
    for i in 0..n as u32 {
        if !g.goal[i as usize] && g.offsets[i as usize] == g.offsets[i as usize + 1] {
            return Finding::Deadlock { state: i };
        }
    }
    // The subgraph of goal-free states: edges into or out of goal states are left out.
    // Rows come in source order, so sorting each row's targets sorts the whole list.
    let mut sub: Vec<(u32, u32, bool)> = Vec::new();
    let mut row: Vec<(u32, bool)> = Vec::new();
    for i in 0..n as u32 {
        if g.goal[i as usize] {
            continue;
        }
        row.clear();
        row.extend(g.succ(i).filter(|&(j, _)| !g.goal[j as usize]));
        row.sort_unstable_by_key(|&(j, _)| j);
        row.dedup_by_key(|e| e.0);
        sub.extend(row.iter().map(|&(j, t)| (i, j, t)));
    }
    let csr: Csr<(), bool, petgraph::Directed, u32> =
        Csr::from_sorted_edges(&sub).unwrap_or_else(|_| Csr::with_nodes(n));
    let mut best: Option<(u32, Vec<u32>)> = None;
    let mut inside = vec![false; n];
    for scc in tarjan_scc(&csr) {
        let nontrivial = scc.len() > 1
            || sub
                .binary_search_by_key(&(scc[0], scc[0]), |e| (e.0, e.1))
                .is_ok();
        if !nontrivial || scc.iter().all(|&s| g.goal[s as usize]) {
            continue;
        }
        for &s in &scc {
            inside[s as usize] = true;
        }
        let has_tick = scc
            .iter()
            .any(|&s| g.succ(s).any(|(j, t)| t && inside[j as usize]));
        let has_idle = scc.iter().any(|&s| g.idle[s as usize]);
        // A zero-time cycle is not a run under the fairness assumption.
        if has_tick || has_idle {
            // The entry: the member discovered first (smallest BFS id: shortest prefix).
            let entry = *scc.iter().min().expect("nonempty");
            if best.as_ref().is_none_or(|(e, _)| entry < *e) {
                best = Some((entry, cycle_through(g, &inside, entry, has_tick)));
            }
        }
        for &s in &scc {
            inside[s as usize] = false;
        }
    }
    match best {
        Some((entry, cycle)) => Finding::Cycle { entry, cycle },
        None => Finding::Holds,
    }
}

/// A shortest cycle from `entry` back to itself inside the component, through a tick when
/// one exists (so the cycle shown is a fair one).
fn cycle_through(g: &Graph, inside: &[bool], entry: u32, want_tick: bool) -> Vec<u32> {
    use std::collections::{HashMap, VecDeque};
    // BFS over (state, ticked) pairs.
    let start = (entry, !want_tick);
    let mut prev: HashMap<(u32, bool), (u32, bool)> = HashMap::new();
    let mut q = VecDeque::from([start]);
    while let Some((s, ticked)) = q.pop_front() {
        for (j, t) in g.succ(s) {
            if !inside[j as usize] {
                continue;
            }
            let next = (j, ticked || t);
            if next == (entry, true) {
                // Walk back from the last step to the start, then reverse.
                let mut back = Vec::new();
                let mut cur = (s, ticked);
                while cur != start {
                    back.push(cur.0);
                    cur = prev[&cur];
                }
                let mut cycle: Vec<u32> = back.into_iter().rev().collect();
                cycle.push(entry);
                return cycle;
            }
            if !prev.contains_key(&next) && next != start {
                prev.insert(next, (s, ticked));
                q.push_back(next);
            }
        }
    }
    vec![entry]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a graph from adjacency lists; `t` marks tick edges.
    fn graph(adj: &[&[(u32, bool)]], goal: &[bool], idle: &[bool]) -> Graph {
        let mut g = Graph {
            goal: goal.to_vec(),
            idle: idle.to_vec(),
            ..Graph::default()
        };
        for succ in adj {
            g.offsets.push(g.edges.len() as u32);
            for &(j, t) in *succ {
                g.edges.push(j);
                g.tick.push(t);
            }
        }
        g.offsets.push(g.edges.len() as u32);
        g
    }

    #[test]
    fn a_timed_cycle_that_avoids_the_goal_is_found_as_a_lasso() {
        // 0 -> 1 -> 2 -tick-> 1, and 1 -> 3 (goal). The cycle 1-2-1 never reaches 3.
        let g = graph(
            &[
                &[(1, false)],
                &[(2, false), (3, false)],
                &[(1, true)],
                &[(3, true)],
            ],
            &[true, false, false, true],
            &[false; 4],
        );
        assert_eq!(
            check(&g),
            Finding::Cycle {
                entry: 1,
                cycle: vec![2, 1]
            }
        );
    }

    #[test]
    fn a_zero_time_cycle_is_not_a_fair_run() {
        let g = graph(
            &[
                &[(1, false)],
                &[(2, false), (3, false)],
                &[(1, false)],
                &[(3, true)],
            ],
            &[true, false, false, true],
            &[false; 4],
        );
        assert_eq!(check(&g), Finding::Holds);
    }

    #[test]
    fn a_goal_free_dead_end_is_a_deadlock() {
        let g = graph(&[&[(1, false)], &[]], &[true, false], &[false, true]);
        assert_eq!(check(&g), Finding::Deadlock { state: 1 });
    }

    #[test]
    fn cycles_through_the_goal_are_fine() {
        let g = graph(&[&[(1, true)], &[(0, true)]], &[true, false], &[false; 2]);
        assert_eq!(check(&g), Finding::Holds);
    }
}
