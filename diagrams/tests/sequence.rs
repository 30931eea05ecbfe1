//! Counterexamples from the model checker drawn as message sequence charts.

use model::check::explore::{Limits, explore};
use model::check::report::Report;
use model::check::{Guard, Options, System};

/// The JSON report of `model check --without rfc1337`: a counterexample with old segments.
fn report() -> String {
    let m = System::new(Options {
        without: vec![Guard::Rfc1337],
        ..Options::default()
    })
    .unwrap();
    let run = explore(&m, Limits::default(), false);
    serde_json::to_string(&Report::new(&m, &run)).unwrap()
}

#[test]
fn a_counterexample_becomes_a_chart_with_one_arrow_per_segment_moved() {
    let json = report();
    let chart = diagrams::chart_from_check_json(&json, None).unwrap();
    assert_eq!(chart.property, "no-stale-segment-accepted");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let path = v["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "no-stale-segment-accepted")
        .unwrap()["path"]
        .as_array()
        .unwrap()
        .clone();
    let moved = path.iter().filter(|p| !p["segment"].is_null()).count();
    assert_eq!(
        chart.steps.iter().filter(|s| s.arrow.is_some()).count(),
        moved
    );
    assert!(
        chart.steps.last().unwrap().arrow.as_ref().unwrap().stale,
        "ends on an old segment"
    );

    let svg = model::msc::svg(chart.start, &chart.steps);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let arrows = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("segment"))
        .count();
    assert_eq!(arrows, moved);
    let text: String = doc
        .descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("|");
    assert!(text.contains("TIME-WAIT") && text.contains("OLD"), "{text}");
}

#[test]
fn the_mermaid_chart_is_a_sequence_diagram_with_states_as_notes() {
    let chart =
        diagrams::chart_from_check_json(&report(), Some("no-stale-segment-accepted")).unwrap();
    let m = model::msc::mermaid(chart.start, &chart.steps);
    assert!(m.starts_with("sequenceDiagram\n    participant A\n    participant B\n"));
    for line in m.lines().skip(1) {
        let body = line.split_once(": ").map_or("", |(_, b)| b);
        assert!(!body.contains([';', '#']), "{line}");
    }
    insta::assert_snapshot!("without_rfc1337_mermaid", m);
}

#[test]
fn bad_reports_get_clear_errors() {
    let e = diagrams::chart_from_check_json("{\n  \"properties\": [", None)
        .err()
        .unwrap();
    assert!(e.contains("line 2 column"), "{e}");
    let e = diagrams::chart_from_check_json("{}", None).err().unwrap();
    assert!(e.contains("no `properties`"), "{e}");
    let e = diagrams::chart_from_check_json(r#"{"properties": []}"#, None)
        .err()
        .unwrap();
    assert!(e.contains("every property holds"), "{e}");
    let e = diagrams::chart_from_check_json(&report(), Some("isns-agree"))
        .err()
        .unwrap();
    assert!(e.contains("no counterexample to `isns-agree`"), "{e}");
}
