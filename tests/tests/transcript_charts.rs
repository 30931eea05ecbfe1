//! Interpreter transcripts drawn by the diagrams package: a message sequence chart with
//! one arrow per segment, and the state diagram with the transitions the run took.

use interpreter::run::run_source;
use interpreter::session::Options;
use model::State;
use std::path::Path;

#[track_caller]
fn transcript_json(script: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(script);
    let source = std::fs::read_to_string(&path).unwrap();
    let run = run_source(
        script,
        &source,
        &Options {
            strict: true,
            ..Options::default()
        },
    )
    .unwrap();
    serde_json::json!({"format": "tcpfsm-transcript", "version": 1, "runs": [run]}).to_string()
}

#[test]
fn a_transcript_becomes_a_sequence_chart_with_an_arrow_per_segment() {
    let json = transcript_json("simultaneous-close.pkt");
    let chart = diagrams::chart_from_json(&json, None).unwrap();
    let svg = model::msc::svg_with(&chart.lanes, chart.start, &chart.steps);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let arrows = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("segment"))
        .count();
    // Every segment injected or sent is one arrow, counted from the transcript itself:
    // here SYN, ACK, FIN and ACK in, and SYN,ACK, FIN and ACK out.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut expected = 0;
    for e in v["runs"][0]["transcript"].as_array().unwrap() {
        for s in e["steps"].as_array().unwrap() {
            expected += s["sent"].as_array().unwrap().len();
            expected += usize::from(s["received"].is_object());
        }
    }
    assert_eq!(arrows, expected);
    assert_eq!(expected, 7);
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    for s in [
        "script",
        "endpoint",
        "FIN-WAIT-1",
        "CLOSING",
        "TIME-WAIT",
        "F. 1:1(0) ack 1 win 65535",
    ] {
        assert!(texts.iter().any(|t| t.contains(s)), "{s} not drawn");
    }
}

#[test]
fn a_transcript_chart_in_mermaid_is_as_reviewed() {
    let json = transcript_json("close-in-syn-sent.pkt");
    let chart = diagrams::chart_from_json(&json, Some("close-in-syn-sent")).unwrap();
    insta::assert_snapshot!(model::msc::mermaid_with(
        &chart.lanes,
        chart.start,
        &chart.steps
    ));
}

#[test]
fn highlight_takes_the_transitions_the_run_fired() {
    let json = transcript_json("passive-close.pkt");
    let chart = diagrams::chart_from_json(&json, None).unwrap();
    let table = model::Table::rfc9293();
    let rows = chart.rows.clone().expect("a transcript records its rows");
    let taken: Vec<(State, State)> = rows
        .iter()
        .map(|&r| table.row(r))
        .filter(|r| r.is_transition())
        .map(|r| (r.from, r.to))
        .collect();
    assert_eq!(
        taken,
        [
            (State::Closed, State::SynSent),
            (State::SynSent, State::Established),
            (State::Established, State::CloseWait),
            (State::CloseWait, State::LastAck),
            (State::LastAck, State::Closed),
        ]
    );
    let mut g = diagrams::graph(&table, diagrams::View::Classic);
    assert!(diagrams::highlight(&mut g, &table, &rows).is_empty());
    let dot = diagrams::dot(&g, "t");
    assert_eq!(dot.matches("penwidth=4").count(), taken.len());
}

#[test]
fn a_failed_run_ends_its_chart_with_the_failure() {
    let run = run_source(
        "f.pkt",
        "0 state LISTEN\n",
        &Options {
            strict: true,
            ..Options::default()
        },
    )
    .unwrap();
    let json = serde_json::json!({"format": "tcpfsm-transcript", "runs": [run]}).to_string();
    let chart = diagrams::chart_from_json(&json, None).unwrap();
    assert!(
        chart
            .steps
            .last()
            .unwrap()
            .label
            .starts_with("FAIL: the endpoint is in another state")
    );
    assert!(diagrams::chart_from_json(&json, Some("other")).is_err());
}
