//! Parallel exploration and `--exact` change how a run is done, never what it finds:
//! the same states, ids, verdicts, shortest paths and graph for every thread count.

use model::check::explore::{Disk, Exploration, Limits, Verdict, explore};
use model::check::{Guard, Options, System};

fn run(opts: &Options, threads: usize, exact: bool, keep_graph: bool) -> Exploration {
    // Every verdict, so a run that fails early still explores the whole graph.
    let limits = Limits {
        threads,
        exact,
        all: true,
        ..Limits::default()
    };
    explore(&System::new(opts.clone()).unwrap(), limits, keep_graph)
}

/// Everything a run found, as JSON (paths included), without the timings.
fn findings(r: &Exploration) -> String {
    let mut v = serde_json::to_value(r).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("seconds");
    o.remove("peak_memory");
    o.remove("collision_probability");
    serde_json::to_string(&v).unwrap()
}

#[track_caller]
fn assert_same(a: &Exploration, b: &Exploration) {
    assert_eq!(findings(a), findings(b));
    assert_eq!(a.rows_fired, b.rows_fired);
    assert_eq!(a.graph.offsets, b.graph.offsets);
    assert_eq!(a.graph.edges, b.graph.edges);
    assert_eq!(a.graph.class, b.graph.class);
    assert_eq!(a.graph.enabled, b.graph.enabled);
    assert_eq!(a.graph.goal, b.graph.goal);
    assert_eq!(a.graph.idle, b.graph.idle);
}

fn configurations() -> Vec<(&'static str, Options)> {
    vec![
        (
            "one incarnation, liveness holds",
            Options {
                incarnations: 1,
                ..Options::default()
            },
        ),
        (
            "no TIME-WAIT, MSL of one tick: clean-close fails",
            Options {
                without: vec![Guard::TimeWait],
                msl: 1,
                rto: Options::default_rto(1),
                ..Options::default()
            },
        ),
        (
            "no FIN-WAIT-2 timeout, an abort: a deadlock",
            Options {
                without: vec![Guard::FinWait2Timeout],
                aborts: 1,
                incarnations: 1,
                ..Options::default()
            },
        ),
    ]
}

#[test]
fn every_thread_count_finds_the_same_states_verdicts_paths_and_graph() {
    for (what, opts) in configurations() {
        let one = run(&opts, 1, false, true);
        assert!(one.unique_states > 10_000, "{what}: too small to split");
        for threads in [2, 3, 8] {
            let many = run(&opts, threads, false, true);
            assert_same(&one, &many);
        }
        let fails = one.properties.iter().any(|p| p.verdict.failed());
        assert_eq!(fails, !what.contains("holds"), "{what}");
    }
}

#[test]
fn a_counterexample_found_in_parallel_is_the_sequential_shortest_one() {
    let opts = Options {
        without: vec![Guard::TimeWait],
        ..Options::default()
    };
    let path = |r: &Exploration| match &r
        .properties
        .iter()
        .find(|p| p.name == "clean-close")
        .unwrap()
        .verdict
    {
        Verdict::Fails { path } => path.iter().map(|s| s.text.clone()).collect::<Vec<_>>(),
        v => panic!("clean-close should fail: {v:?}"),
    };
    // Stopped at the first counterexample, as `check` does by default.
    let first = |threads| {
        let limits = Limits {
            threads,
            ..Limits::default()
        };
        explore(&System::new(opts.clone()).unwrap(), limits, false)
    };
    let (one, two) = (first(1), first(2));
    assert_eq!(path(&one), path(&two));
    assert_eq!(one.unique_states, two.unique_states);
}

#[test]
fn exact_mode_finds_what_fingerprints_find_and_bounds_no_collision() {
    for (what, opts) in configurations() {
        let fp = run(&opts, 2, false, true);
        let exact = run(&opts, 2, true, true);
        assert_same(&fp, &exact);
        assert!(fp.collision_probability > 0.0, "{what}");
        assert_eq!(exact.collision_probability, 0.0, "{what}");
    }
}

#[test]
fn limits_stop_a_parallel_run_too() {
    let opts = Options::default();
    let limits = Limits {
        threads: 2,
        max_states: Some(5_000),
        ..Limits::default()
    };
    let r = explore(&System::new(opts).unwrap(), limits, true);
    assert!(!r.complete);
    assert_eq!(r.stopped_by, Some("max-states"));
    assert!(r.unique_states < 5_000 + 20_000, "{}", r.unique_states);
    assert!(
        r.properties
            .iter()
            .all(|p| !matches!(p.verdict, Verdict::Holds)),
        "nothing holds in an incomplete run"
    );
}

#[test]
fn a_run_on_disk_finds_what_a_run_in_memory_finds() {
    let dir = std::env::temp_dir().join(format!("tcpfsm-parallel-disk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir: &'static std::path::Path = Box::leak(dir.into_boxed_path());
    for (what, opts) in configurations() {
        let memory = run(&opts, 2, false, false);
        for threads in [1, 2] {
            // Spill the visited set at every level: lookups then go to the file.
            let limits = Limits {
                threads,
                all: true,
                disk: Some(Disk { dir, spill_at: 0 }),
                ..Limits::default()
            };
            let disk = explore(&System::new(opts.clone()).unwrap(), limits, false);
            assert_eq!(findings(&memory), findings(&disk), "{what}");
            assert_eq!(memory.rows_fired, disk.rows_fired, "{what}");
        }
    }
    assert_eq!(
        std::fs::read_dir(dir).unwrap().count(),
        0,
        "the run's files are removed"
    );
}

/// Past 2^20 states the parent links go to disk too (a block at a time); the shortest
/// counterexamples rebuilt from them are the ones a run in memory prints.
#[test]
fn counterexamples_rebuilt_from_parents_on_disk_are_the_same() {
    let dir = std::env::temp_dir().join(format!("tcpfsm-parents-disk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir: &'static std::path::Path = Box::leak(dir.into_boxed_path());
    let opts = Options {
        without: vec![Guard::TimeWait],
        ..Options::default()
    };
    let limits = Limits {
        threads: 2,
        all: true,
        max_states: Some(2_000_000),
        ..Limits::default()
    };
    let memory = explore(&System::new(opts.clone()).unwrap(), limits, false);
    let disk = explore(
        &System::new(opts).unwrap(),
        Limits {
            disk: Some(Disk { dir, spill_at: 0 }),
            ..limits
        },
        false,
    );
    assert!(disk.unique_states > 1 << 20, "{}", disk.unique_states);
    assert!(
        disk.properties
            .iter()
            .any(|p| matches!(p.verdict, Verdict::Fails { .. })),
        "a counterexample to rebuild"
    );
    assert_eq!(findings(&memory), findings(&disk));
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 0);
}

#[test]
fn progress_estimates_the_total_once_levels_shrink() {
    let system = System::new(Options::default()).unwrap();
    let mut seen = Vec::new();
    let limits = Limits {
        threads: 2,
        ..Limits::default()
    };
    let r = model::check::explore::explore_with(&system, limits, false, &mut |p| {
        seen.push((p.unique_states, p.depth, p.level, p.estimate));
    });
    assert!(r.complete);
    let total = r.unique_states as f64;
    for &(_, depth, (len, done), _) in &seen {
        assert!(done <= len, "depth {depth}: {done} of {len}");
    }
    // In the last fifth of the run, the estimate is within 30% of the truth.
    let late: Vec<_> = seen
        .iter()
        .filter(|s| s.0 as f64 > 0.8 * total)
        .filter_map(|s| s.3)
        .collect();
    assert!(!late.is_empty(), "no estimate late in the run");
    for e in late {
        assert!((e as f64 - total).abs() < 0.3 * total, "{e} vs {total}");
    }
}
