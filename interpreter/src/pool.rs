//! Running independent jobs concurrently and reporting them in order: `--jobs N` of
//! `fuzz-diff`, `live` and `diff`.
//!
//! A kernel run is bound by real time (the script's clock is the wall clock: most of a
//! run is spent waiting on the tun), not by the processor, so several run at once, each
//! on its own thread in its own network namespace ([`crate::live::netns`]). The results
//! are handed back in job order, whatever order they finish in, so the output and the
//! files written from it are the same for any number of jobs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// How far apart the workers start.
const STAGGER: std::time::Duration = std::time::Duration::from_millis(10);

/// The default number of jobs for a workload that mostly sleeps: four per core, at most
/// 32 (each job holds a thread, a namespace and a tun device).
pub fn default_jobs() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores * 4).clamp(1, 32)
}

/// Runs `work(0)`, ..., `work(count - 1)` on up to `jobs` threads and calls `report`
/// with each result in index order (`report(0, ..)` first), as soon as it and all before
/// it are done. `report` returns whether to go on: after `false` no new job starts, the
/// running ones finish, and their results are dropped. With `jobs` of 0 or 1 everything
/// runs on the calling thread, one after the other.
pub fn ordered<T, W, R>(count: usize, jobs: usize, work: W, mut report: R)
where
    T: Send,
    W: Fn(usize) -> T + Sync,
    R: FnMut(usize, T) -> bool,
{
    if jobs <= 1 || count <= 1 {
        for i in 0..count {
            if !report(i, work(i)) {
                return;
            }
        }
        return;
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, T)>();
        for w in 0..jobs.min(count) {
            let tx = tx.clone();
            let (next, stop, work) = (&next, &stop, &work);
            scope.spawn(move || {
                // The workers start a little apart: a burst of namespaces made at once
                // delays the first runs' segments by tens of milliseconds.
                std::thread::sleep(STAGGER * w as u32);
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    if tx.send((i, work(i))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut due = 0;
        for (i, result) in rx {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&due) {
                if !report(due, result) {
                    stop.store(true, Ordering::Relaxed);
                    return;
                }
                due += 1;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn results_come_back_in_index_order_whatever_order_they_finish_in() {
        for jobs in [1, 2, 4, 9] {
            let mut seen = Vec::new();
            ordered(
                12,
                jobs,
                |i| {
                    // The later jobs finish first.
                    std::thread::sleep(Duration::from_millis(2 * (12 - i as u64)));
                    i * 10
                },
                |i, r| {
                    seen.push((i, r));
                    true
                },
            );
            let want: Vec<(usize, usize)> = (0..12).map(|i| (i, i * 10)).collect();
            assert_eq!(seen, want, "jobs {jobs}");
        }
    }

    #[test]
    fn reporting_false_starts_no_further_job_and_reports_nothing_more() {
        let started = AtomicUsize::new(0);
        let mut seen = Vec::new();
        ordered(
            100,
            4,
            |i| {
                started.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
                i
            },
            |i, _| {
                seen.push(i);
                i < 2
            },
        );
        assert_eq!(seen, [0, 1, 2]);
        assert!(started.load(Ordering::Relaxed) < 20);
    }

    #[test]
    fn the_default_is_four_jobs_a_core_at_most_32() {
        let n = default_jobs();
        assert!((1..=32).contains(&n), "{n}");
    }
}
