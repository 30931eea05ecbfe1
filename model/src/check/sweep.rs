//! Sweeps: one property checked across a range of one parameter.

use super::explore::{Limits, Verdict, explore};
use super::system::{Options, System};
use serde::Serialize;

/// One point of a sweep.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    /// TIME-WAIT length, in ticks.
    pub time_wait: u32,
    /// `holds`, `fails` or `unknown` (a limit stopped the run).
    pub verdict: &'static str,
    /// Length of the shortest counterexample, when it fails.
    pub counterexample_steps: Option<usize>,
    /// Unique states explored.
    pub unique_states: usize,
    /// Seconds taken.
    pub seconds: f64,
}

/// The stale-segment property for each TIME-WAIT length in `0..=max`, all else as `opts`.
pub fn time_wait(opts: &Options, limits: Limits, max: u32) -> Result<Vec<Point>, String> {
    let lengths: Vec<u32> = (0..=max).collect();
    let threads = limits.threads.max(1);
    let chunk = lengths.len().div_ceil(threads).max(1);
    // Points are independent: run them on `threads` threads, keeping their order.
    std::thread::scope(|scope| {
        let workers: Vec<_> = lengths
            .chunks(chunk)
            .map(|c| {
                scope.spawn(move || {
                    c.iter()
                        .map(|&tw| point(opts, limits, tw))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a sweep worker panicked"))
            .collect()
    })
}

fn point(opts: &Options, limits: Limits, tw: u32) -> Result<Point, String> {
    {
        {
            let system = System::new(Options {
                time_wait: Some(tw),
                ..opts.clone()
            })?;
            let run = explore(&system, limits, false);
            let v = &run
                .properties
                .iter()
                .find(|p| p.name == "no-stale-segment-accepted")
                .expect("the property exists")
                .verdict;
            let (verdict, steps) = match v {
                Verdict::Fails { path } => ("fails", Some(path.len())),
                Verdict::Holds => ("holds", None),
                _ => ("unknown", None),
            };
            Ok(Point {
                time_wait: tw,
                verdict,
                counterexample_steps: steps,
                unique_states: run.unique_states,
                seconds: run.seconds,
            })
        }
    }
}

/// The smallest length from which every longer one in the sweep holds.
pub fn smallest_safe(points: &[Point]) -> Option<u32> {
    let last_bad = points.iter().rposition(|p| p.verdict != "holds");
    match last_bad {
        None => points.first().map(|p| p.time_wait),
        Some(i) => points.get(i + 1).map(|p| p.time_wait),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(tw: u32, verdict: &'static str) -> Point {
        Point {
            time_wait: tw,
            verdict,
            counterexample_steps: None,
            unique_states: 0,
            seconds: 0.0,
        }
    }

    #[test]
    fn the_smallest_safe_length_is_past_the_last_failure() {
        let pts = [
            point(0, "fails"),
            point(1, "holds"),
            point(2, "fails"),
            point(3, "holds"),
        ];
        assert_eq!(smallest_safe(&pts), Some(3));
        assert_eq!(smallest_safe(&[point(0, "holds")]), Some(0));
        assert_eq!(smallest_safe(&[point(0, "fails")]), None);
    }
}
