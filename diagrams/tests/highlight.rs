//! `export --highlight` draws exactly the rows a counterexample fired (issue 11): never a
//! transition guessed from the states, so the RST that ends TIME-WAIT in the
//! `--without rfc1337` counterexample is not drawn as the 2MSL timeout.

use diagrams::{View, graph, highlight};
use model::check::explore::{Limits, explore};
use model::check::report::Report;
use model::check::{Guard, Options, System};
use model::{RowId, State, Table};
use std::fmt::Write;

/// The guards whose counterexamples are found in a few seconds, each with the options
/// under which it is needed (the README's guard table): `isn-clock` and `quiet-time` take
/// tens of seconds and gigabytes, too much for this test.
const GUARDS: [Guard; 4] = [
    Guard::TimeWait,
    Guard::FullTimeWait,
    Guard::Rfc1337,
    Guard::FinWait2Timeout,
];

/// The JSON report of `model check --without GUARD` (default options otherwise; for the
/// FIN-WAIT-2 timer, one ABORT and one incarnation, so a peer can vanish).
fn report(guard: Guard) -> String {
    let liveness = guard == Guard::FinWait2Timeout;
    let m = System::new(Options {
        without: vec![guard],
        aborts: u8::from(liveness),
        incarnations: if liveness { 1 } else { 2 },
        ..Options::default()
    })
    .unwrap();
    // RFC 1337's harm is the stale segment after the assassination (the README's picture).
    let limits = Limits {
        focus: (guard == Guard::Rfc1337).then_some("no-stale-segment-accepted"),
        ..Limits::default()
    };
    let run = explore(&m, limits, liveness);
    serde_json::to_string(&Report::new(&m, &run)).unwrap()
}

/// What the classic view highlights for a report: the edges thickened, and the notes.
fn drawn(json: &str) -> (Table, Vec<RowId>, Vec<String>, Vec<String>) {
    let chart = diagrams::chart_from_json(json, None).unwrap();
    let table = Table::from_spec(chart.profile.as_deref().unwrap()).unwrap();
    let rows = chart
        .rows
        .clone()
        .expect("the report records each step's rows");
    let mut g = graph(&table, View::Classic);
    let notes = highlight(&mut g, &table, &rows);
    let mut edges = Vec::new();
    for e in g.edge_indices() {
        if g[e].highlight {
            let (a, b) = g.edge_endpoints(e).unwrap();
            edges.push(format!("{} -> {}: {}", g[a], g[b], g[e].labels.join(" | ")));
        }
    }
    (table, rows, edges, notes)
}

#[test]
fn each_guards_counterexample_highlights_exactly_the_rows_it_fired() {
    let mut pinned = String::new();
    for guard in GUARDS {
        let json = report(guard);
        let (table, rows, edges, notes) = drawn(&json);
        // Exactly: every classic row fired is on a thick edge, and every thick edge
        // stands for a row fired.
        let mut g = graph(&table, View::Classic);
        highlight(&mut g, &table, &rows);
        for e in g.edge_weights() {
            assert_eq!(
                e.highlight,
                e.rows.iter().any(|r| rows.contains(r)),
                "{}: {:?}",
                guard.name(),
                e.labels
            );
        }
        let _ = writeln!(pinned, "--without {}:", guard.name());
        for e in &edges {
            let _ = writeln!(pinned, "  thick  {e}");
        }
        for n in &notes {
            let _ = writeln!(pinned, "  note   {n}");
        }
    }
    insta::assert_snapshot!("highlights_per_guard", pinned);
}

#[test]
fn the_rst_that_assassinates_time_wait_is_not_drawn_as_the_2msl_timeout() {
    let (table, rows, edges, notes) = drawn(&report(Guard::Rfc1337));
    assert!(
        !edges.iter().any(|e| e.contains("Timeout=2MSL")),
        "TIME-WAIT ended by the RST, not by 2MSL: {edges:#?}"
    );
    let rst = rows
        .iter()
        .map(|&r| table.row(r))
        .find(|r| r.from == State::TimeWait && r.to == State::Closed)
        .expect("the counterexample leaves TIME-WAIT");
    assert_ne!(rst.event, model::Event::TimeWaitTimeout, "{rst:?}");
    assert!(
        notes.iter().any(|n| n.contains("TIME-WAIT -> CLOSED")),
        "the view does not draw the RST out of TIME-WAIT, and says so: {notes:#?}"
    );
}

#[test]
fn a_report_without_rows_is_refused_not_guessed() {
    let json = report(Guard::Rfc1337);
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for p in v["properties"].as_array_mut().unwrap() {
        if let Some(path) = p["path"].as_array_mut() {
            for step in path {
                step.as_object_mut().unwrap().remove("rows");
            }
        }
    }
    let old = serde_json::to_string(&v).unwrap();
    let chart = diagrams::chart_from_json(&old, None).unwrap();
    assert!(chart.rows.is_none());
    let dir = std::env::temp_dir().join(format!("tcpfsm-hl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("old.json");
    std::fs::write(&file, old).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_diagrams"))
        .args(["export", "--format", "dot", "--highlight"])
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("do not record the rows"), "{err}");
    assert!(out.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
