//! Sweeps: one property checked across a range of one parameter.

use super::explore::{Limits, Verdict, explore};
use super::system::{Options, System};
use serde::Serialize;

/// A swept parameter, and the property it is swept against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Param {
    /// TIME-WAIT's length, against `no-stale-segment-accepted` (reason 2: old duplicates
    /// die first). Safe lengths are the long ones.
    TimeWait,
    /// The retransmission timeout, against `clean-close` (reason 1: the peer's
    /// retransmitted FIN must reach TIME-WAIT before 2MSL ends). Safe values are bounded
    /// above.
    Rto,
}

impl Param {
    /// The property the sweep checks.
    pub fn property(self) -> &'static str {
        match self {
            Param::TimeWait => "no-stale-segment-accepted",
            Param::Rto => "clean-close",
        }
    }

    /// The values swept, up to `max`.
    pub fn values(self, max: u32) -> std::ops::RangeInclusive<u32> {
        match self {
            Param::TimeWait => 0..=max,
            Param::Rto => 1..=max.max(1),
        }
    }

    fn apply(self, opts: &Options, v: u32) -> Options {
        match self {
            Param::TimeWait => Options {
                time_wait: Some(v),
                ..opts.clone()
            },
            Param::Rto => Options {
                rto: v,
                ..opts.clone()
            },
        }
    }
}

/// The most points a sweep may have (each is a whole exploration).
pub const MAX_POINTS: u32 = 64;

/// One point of a sweep.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    /// The parameter's value, in ticks.
    pub value: u32,
    /// `holds`, `fails` or `unknown` (a limit stopped the run).
    pub verdict: &'static str,
    /// Length of the shortest counterexample, when it fails.
    pub counterexample_steps: Option<usize>,
    /// Unique states explored.
    pub unique_states: usize,
    /// Seconds taken.
    pub seconds: f64,
}

/// `param`'s property for each value up to `max`, all else as `opts`. Points run on
/// `limits.threads` threads, one exploration at a time per thread.
pub fn sweep(opts: &Options, limits: Limits, param: Param, max: u32) -> Result<Vec<Point>, String> {
    let values: Vec<u32> = param.values(max).collect();
    if values.len() as u32 > MAX_POINTS {
        return Err(format!(
            "--sweep-max {max} would run {} explorations; at most {MAX_POINTS}",
            values.len()
        ));
    }
    let threads = limits.threads.clamp(1, values.len().max(1));
    let chunk = values.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = values
            .chunks(chunk)
            .map(|c| {
                scope.spawn(move || {
                    c.iter()
                        .map(|&v| point(opts, limits, param, v))
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

fn point(opts: &Options, limits: Limits, param: Param, v: u32) -> Result<Point, String> {
    let system = System::new(param.apply(opts, v))?;
    // Explore on past other properties' failures: the sweep is about this one.
    let limits = Limits {
        focus: Some(param.property()),
        threads: 1,
        ..limits
    };
    let run = explore(&system, limits, false);
    let verdict = &run
        .properties
        .iter()
        .find(|p| p.name == param.property())
        .expect("the property exists")
        .verdict;
    let (verdict, steps) = match verdict {
        Verdict::Fails { path } => ("fails", Some(path.len())),
        Verdict::Holds => ("holds", None),
        _ => ("unknown", None),
    };
    Ok(Point {
        value: v,
        verdict,
        counterexample_steps: steps,
        unique_states: run.unique_states,
        seconds: run.seconds,
    })
}

/// The safe bound: for TIME-WAIT the smallest length from which every longer one in the
/// sweep holds; for the RTO the largest value that holds.
pub fn safe_bound(param: Param, points: &[Point]) -> Option<u32> {
    match param {
        Param::TimeWait => {
            let last_bad = points.iter().rposition(|p| p.verdict != "holds");
            match last_bad {
                None => points.first().map(|p| p.value),
                Some(i) => points.get(i + 1).map(|p| p.value),
            }
        }
        // Too short an RTO spends the retransmissions before a loss is repaired; too
        // long a one misses TIME-WAIT: the bound is the largest that holds.
        Param::Rto => points
            .iter()
            .rev()
            .find(|p| p.verdict == "holds")
            .map(|p| p.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(v: u32, verdict: &'static str) -> Point {
        Point {
            value: v,
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
        assert_eq!(safe_bound(Param::TimeWait, &pts), Some(3));
        assert_eq!(safe_bound(Param::TimeWait, &[point(0, "holds")]), Some(0));
        assert_eq!(safe_bound(Param::TimeWait, &[point(0, "fails")]), None);
    }

    #[test]
    fn the_largest_safe_rto_is_the_largest_that_holds() {
        let pts = [point(1, "fails"), point(2, "holds"), point(3, "fails")];
        assert_eq!(safe_bound(Param::Rto, &pts), Some(2));
        assert_eq!(safe_bound(Param::Rto, &pts[..2]), Some(2));
        assert_eq!(safe_bound(Param::Rto, &pts[2..]), None);
    }
}
