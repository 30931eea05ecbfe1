//! Counterexamples from the model checker drawn as message sequence charts.

use model::check::explore::{Limits, explore};
use model::check::report::Report;
use model::check::{Guard, Options, System};

/// The JSON report of `model check --without rfc1337 --property no-stale-segment-accepted`:
/// a counterexample with old segments.
fn report() -> String {
    let m = System::new(Options {
        without: vec![Guard::Rfc1337],
        ..Options::default()
    })
    .unwrap();
    let limits = Limits {
        focus: Some("no-stale-segment-accepted"),
        ..Limits::default()
    };
    let run = explore(&m, limits, false);
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
    assert!(e.contains("missing field `properties`"), "{e}");
    let e = diagrams::chart_from_check_json(r#"{"properties": []}"#, None)
        .err()
        .unwrap();
    assert!(e.contains("every property holds"), "{e}");
    let e = diagrams::chart_from_check_json(&report(), Some("isns-agree"))
        .err()
        .unwrap();
    // The run stopped at the first counterexample: other verdicts are unknown, not holds.
    assert!(e.contains("`isns-agree` is unknown"), "{e}");
    let e = diagrams::chart_from_check_json(&report(), Some("nonesuch"))
        .err()
        .unwrap();
    assert!(e.contains("no property `nonesuch`"), "{e}");
}

#[test]
fn a_path_that_is_not_a_list_is_an_error_not_an_empty_chart() {
    for path in ["\"x\"", "3", "{}", "[1]", "[{\"a\": \"CLOSED\"}]"] {
        let json = format!(
            r#"{{"properties": [{{"name": "isns-agree", "verdict": "fails", "path": {path}}}]}}"#
        );
        let e = diagrams::chart_from_check_json(&json, None).err();
        assert!(e.is_some(), "path {path} was drawn");
        let e = diagrams::chart_from_check_json(&json, Some("isns-agree")).err();
        assert!(e.is_some(), "path {path} was drawn");
    }
}

#[test]
fn a_report_cut_short_by_a_limit_says_so_instead_of_drawing_an_example() {
    let m = System::new(Options::default()).unwrap();
    let limits = Limits {
        max_states: Some(50),
        ..Limits::default()
    };
    let run = explore(&m, limits, false);
    assert!(!run.complete);
    let json = serde_json::to_string(&Report::new(&m, &run)).unwrap();
    let e = diagrams::chart_from_check_json(&json, None).err().unwrap();
    assert!(e.contains("cut short by a limit (INCOMPLETE)"), "{e}");
    let e = diagrams::chart_from_check_json(&json, Some("isns-agree"))
        .err()
        .unwrap();
    assert!(e.contains("INCOMPLETE") && e.contains("unknown"), "{e}");
    // The binary exits non-zero, with the reason.
    let file = std::env::temp_dir().join(format!("tcpfsm-incomplete-{}.json", std::process::id()));
    std::fs::write(&file, &json).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_diagrams"))
        .arg("sequence")
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("INCOMPLETE"));
    assert!(out.stdout.is_empty());
}

#[test]
fn the_chart_is_titled_with_property_verdict_and_configuration() {
    let chart =
        diagrams::chart_from_check_json(&report(), Some("no-stale-segment-accepted")).unwrap();
    assert!(
        chart.title.starts_with("no-stale-segment-accepted fails, "),
        "{}",
        chart.title
    );
    assert!(chart.title.contains("without rfc1337"), "{}", chart.title);
    let svg = model::msc::svg_titled(&chart.lanes, &chart.title, chart.start, &chart.steps);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let title: String = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("title"))
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(title.contains("no-stale-segment-accepted fails"), "{title}");
    // A long note is cut to fit the chart (the whole text stays in a tooltip).
    let long = model::msc::Step {
        label: format!("A: {}", "x".repeat(500)),
        arrow: None,
        a: model::State::Closed,
        b: model::State::Closed,
    };
    let svg = model::msc::svg_titled(&chart.lanes, &"t ".repeat(400), chart.start, &[long]);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    for n in doc.descendants().filter(|n| n.has_tag_name("text")) {
        let shown: String = n
            .children()
            .filter(|c| c.is_text())
            .filter_map(|c| c.text())
            .collect();
        assert!(shown.chars().count() <= 80, "{shown}");
    }
    assert_eq!(
        doc.descendants()
            .filter(|n| n.attribute("class") == Some("title"))
            .count(),
        3,
        "a long title wraps onto at most three lines"
    );
}

#[test]
fn control_characters_in_a_trace_still_make_well_formed_svg() {
    // Found by fuzz_json.rs: `\u0000` in a step's text became a NUL in the SVG.
    let json = r#"{"properties": [{"name": "p", "verdict": "fails", "path": [
        {"act": "Tick", "text": "tick\u0000\u0007", "a": "CLOSED", "b": "CLOSED", "rows": []}]}]}"#;
    let chart = diagrams::chart_from_check_json(json, None).unwrap();
    let svg = model::msc::svg_titled(&chart.lanes, &chart.title, chart.start, &chart.steps);
    roxmltree::Document::parse(&svg).expect("well-formed XML");
}
