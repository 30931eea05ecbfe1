//! State diagrams drawn from the transition table: never restated, always read.
//!
//! [`graph`] turns a [`Table`] into a petgraph graph of the eleven states, in one of two
//! views; [`dot`], [`mermaid`] and [`svg`] write it out.
//! - `classic`: what RFC 9293 Figure 5 draws (the rows marked `classic`).
//! - `full`: every row. Transitions between two states are grouped on one edge; the rows
//!   that stay in a state are listed on its self-loop. Edges are styled by what drives
//!   them: the client path, the server path, closing, resets and aborts, timeouts.

#![warn(missing_docs)]

use model::table::{Event, EventKind, Row, State, Table};
use petgraph::graph::{DiGraph, NodeIndex};
use std::fmt::Write;

/// Which rows to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// RFC 9293 Figure 5.
    Classic,
    /// Every row.
    Full,
}

/// What drives an edge, for styling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The usual client path (active open, active close).
    Client,
    /// The usual server path (passive open, passive close).
    Server,
    /// Other transitions.
    Other,
    /// RST received or ABORT.
    Reset,
    /// A timer.
    Timeout,
    /// Rows that stay in the state (full view only).
    Stay,
}

/// An edge: the labels of the rows it stands for.
#[derive(Clone, Debug)]
pub struct Edge {
    /// One label per distinct row label, in table order.
    pub labels: Vec<String>,
    /// Styling class.
    pub kind: Kind,
    /// Taken by the trace being highlighted.
    pub highlight: bool,
}

/// The graph of a table in a view: one node per state, in RFC order.
pub fn graph(table: &Table, view: View) -> DiGraph<State, Edge> {
    let mut g = DiGraph::new();
    let nodes: Vec<NodeIndex> = State::ALL.iter().map(|&s| g.add_node(s)).collect();
    let node = |s: State| nodes[s as usize];
    let rows: Vec<&Row> = table
        .rows()
        .iter()
        .filter(|r| match view {
            View::Classic => r.classic,
            View::Full => true,
        })
        .collect();
    // One edge per (from, to, kind), in order of its first row: deterministic, follows
    // the table, and never mixes a reset with a timeout on one arrow.
    let mut groups: Vec<(State, State, Kind)> = Vec::new();
    for r in &rows {
        let key = (r.from, r.to, row_kind(r));
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    for (from, to, kind) in groups {
        let group: Vec<&&Row> = rows
            .iter()
            .filter(|r| r.from == from && r.to == to && row_kind(r) == kind)
            .collect();
        let mut labels: Vec<String> = Vec::new();
        for r in &group {
            let label = if from == to {
                r.event.id().to_string()
            } else {
                r.label.to_string()
            };
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        g.add_edge(
            node(from),
            node(to),
            Edge {
                labels,
                kind,
                highlight: false,
            },
        );
    }
    g
}

fn row_kind(row: &Row) -> Kind {
    use State::*;
    let (from, to) = (row.from, row.to);
    if from == to {
        return Kind::Stay;
    }
    match row.event {
        Event::RstExact | Event::RstInWindow | Event::RstOutOfWindow | Event::Abort => {
            return Kind::Reset;
        }
        e if e.kind() == EventKind::Timeout => return Kind::Timeout,
        _ => {}
    }
    match (from, to) {
        (Closed, SynSent)
        | (SynSent, Established)
        | (Established, FinWait1)
        | (FinWait1, FinWait2)
        | (FinWait2, TimeWait)
        | (TimeWait, Closed) => Kind::Client,
        (Closed, Listen)
        | (Listen, SynReceived)
        | (SynReceived, Established)
        | (Established, CloseWait)
        | (CloseWait, LastAck)
        | (LastAck, Closed) => Kind::Server,
        _ => Kind::Other,
    }
}

fn style(kind: Kind) -> &'static str {
    match kind {
        Kind::Client => "color=\"#1f5fbf\", fontcolor=\"#1f5fbf\", penwidth=2",
        Kind::Server => "color=\"#1d8a3c\", fontcolor=\"#1d8a3c\", penwidth=2",
        Kind::Other => "color=\"#333333\"",
        Kind::Reset => "color=\"#c0392b\", fontcolor=\"#c0392b\", style=dashed",
        Kind::Timeout => "color=\"#7f7f7f\", fontcolor=\"#7f7f7f\", style=dotted",
        Kind::Stay => "color=\"#aaaaaa\", fontcolor=\"#777777\"",
    }
}

/// An RFC-style label on two lines: the event, then what is done.
fn two_lines(label: &str) -> String {
    match label.split_once(" / ") {
        Some((event, action)) => format!("{event} /\n{action}"),
        None => label.to_string(),
    }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// DOT with stable node ids (`SYN_SENT`) and deterministic output.
pub fn dot(g: &DiGraph<State, Edge>, title: &str) -> String {
    dot_with(g, title, false)
}

/// DOT; with `fold_stays`, the rows that stay in a state are counted in its node label
/// instead of drawn as a self-loop (what a layout engine without good loops needs).
fn dot_with(g: &DiGraph<State, Edge>, title: &str, fold_stays: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "digraph tcp {{");
    let _ = writeln!(s, "  label=\"{}\";", dot_escape(title));
    let _ = writeln!(s, "  labelloc=t;");
    let _ = writeln!(
        s,
        "  node [shape=box, style=rounded, fontname=\"Helvetica\"];"
    );
    let _ = writeln!(s, "  edge [fontname=\"Helvetica\", fontsize=10];");
    for n in g.node_indices() {
        let st = g[n];
        let stays: usize = g
            .edges_connecting(n, n)
            .map(|e| e.weight().labels.len())
            .sum();
        let label = if fold_stays && stays > 0 {
            format!("{}\n({stays} rows stay)", st.rfc_name())
        } else {
            st.rfc_name().to_string()
        };
        let _ = writeln!(s, "  {} [label=\"{}\"];", st.id(), dot_escape(&label));
    }
    for e in g.edge_indices() {
        let (a, b) = g.edge_endpoints(e).expect("an edge has ends");
        let edge = &g[e];
        if fold_stays && a == b {
            continue;
        }
        let label = match edge.kind {
            Kind::Stay => wrap(&edge.labels, 3),
            _ => edge
                .labels
                .iter()
                .map(|l| two_lines(l))
                .collect::<Vec<_>>()
                .join("\n"),
        };
        let highlight = if edge.highlight {
            ", color=\"#e67e22\", penwidth=4"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "  {} -> {} [label=\"{}\", {}{highlight}];",
            g[a].id(),
            g[b].id(),
            dot_escape(&label),
            style(edge.kind)
        );
    }
    s.push_str("}\n");
    s
}

/// Joins `items` a few per line.
fn wrap(items: &[String], per_line: usize) -> String {
    items
        .chunks(per_line)
        .map(|c| c.join(", "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A label Mermaid accepts after `:` (no `:`, `;` or `#`).
fn mermaid_label(s: &str) -> String {
    s.replace([':', ';'], ",")
        .replace('#', "")
        .replace('"', "'")
}

/// Mermaid `stateDiagram-v2`, as GitHub renders it.
pub fn mermaid(g: &DiGraph<State, Edge>) -> String {
    let mut s = String::from("stateDiagram-v2\n    [*] --> CLOSED\n");
    for e in g.edge_indices() {
        let (a, b) = g.edge_endpoints(e).expect("an edge has ends");
        let edge = &g[e];
        let label = match edge.kind {
            Kind::Stay => format!("{} rows stay", edge.labels.len()),
            _ => edge.labels.join(" or "),
        };
        let _ = writeln!(
            s,
            "    {} --> {} : {}",
            g[a].id(),
            g[b].id(),
            mermaid_label(&label)
        );
    }
    for n in g.node_indices() {
        let st = g[n];
        if st.id() != st.rfc_name() {
            let _ = writeln!(s, "    state \"{}\" as {}", st.rfc_name(), st.id());
        }
    }
    s
}

/// SVG rendered in pure Rust (layout-rs), from the DOT text: no Graphviz needed.
pub fn svg(g: &DiGraph<State, Edge>, title: &str) -> Result<String, String> {
    use layout::backends::svg::SVGWriter;
    use layout::gv::{DotParser, GraphBuilder};
    let text = dot_with(g, title, true);
    let mut parser = DotParser::new(&text);
    let ast = parser.process().map_err(|e| format!("layout: {e}"))?;
    let mut builder = GraphBuilder::new();
    builder.visit_graph(&ast);
    let mut visual = builder.get();
    let mut writer = SVGWriter::new();
    visual.do_it(false, false, false, &mut writer);
    Ok(writer.finalize())
}

/// A counterexample read from `model check --format json`, or a run read from
/// `interpreter run --format json`: what it shows, and its steps.
pub struct Chart {
    /// The property it refutes, or the script it ran.
    pub property: String,
    /// The lifelines: A and B, or the script and the endpoint.
    pub lanes: model::msc::Lifelines,
    /// The table transitions taken, when the source lists them (a transcript does).
    pub taken: Option<Vec<(State, State)>>,
    /// Both sides' states at the start.
    pub start: (State, State),
    /// The steps.
    pub steps: Vec<model::msc::Step>,
}

/// A state written in a JSON document (RFC spelling or id).
fn json_state(x: &serde_json::Value, document: &str) -> Result<State, String> {
    x.as_str()
        .and_then(State::parse)
        .ok_or_else(|| format!("bad state {x} in the {document}"))
}

/// Reads the counterexample to `property` (or the first one) from the JSON report of
/// `model check --format json`. Errors name the line and column of bad JSON.
pub fn chart_from_check_json(text: &str, property: Option<&str>) -> Result<Chart, String> {
    use model::msc::{Arrow, Mark, Step};
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("not a `model check --format json` report: {e}"))?;
    let props = v["properties"]
        .as_array()
        .ok_or("not a `model check --format json` report: no `properties`")?;
    let chosen = props
        .iter()
        .find(|p| p["path"].is_array() && property.is_none_or(|name| p["name"] == name))
        .ok_or_else(|| match property {
            Some(name) => format!("no counterexample to `{name}` in the report"),
            None => "the report has no counterexample: every property holds".to_string(),
        })?;
    let state = |x: &serde_json::Value| json_state(x, "report");
    let mut steps = Vec::new();
    for p in chosen["path"].as_array().expect("checked above") {
        let text = p["text"].as_str().unwrap_or_default().to_string();
        let act = &p["act"];
        let mark = if act.get("Deliver").is_some() {
            Some(Mark::Delivered)
        } else if act.get("Drop").is_some() {
            Some(Mark::Lost)
        } else if act.get("Dup").is_some() {
            Some(Mark::Duplicated)
        } else {
            None
        };
        let arrow = match (mark, p["segment"].as_array()) {
            (Some(mark), Some(seg)) => Some(Arrow {
                a_to_b: seg.first().and_then(|s| s.as_str()) == Some("B"),
                text: text.split("  ").nth(1).unwrap_or(&text).to_string(),
                mark,
                stale: p["stale"] == true,
            }),
            _ => None,
        };
        steps.push(Step {
            label: text,
            arrow,
            a: state(&p["a"])?,
            b: state(&p["b"])?,
        });
    }
    Ok(Chart {
        property: chosen["name"].as_str().unwrap_or_default().to_string(),
        lanes: model::msc::Lifelines::default(),
        taken: None,
        start: (State::Closed, State::Closed),
        steps,
    })
}

/// Reads a chart from either kind of JSON: a `model check` report (the counterexample
/// to `pick`, or the first) or an `interpreter run` transcript (the run whose script
/// is named `pick`, or the first).
pub fn chart_from_json(text: &str, pick: Option<&str>) -> Result<Chart, String> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("not JSON from model or interpreter: {e}"))?;
    if v["format"] == "tcpfsm-transcript" {
        chart_from_transcript(&v, pick)
    } else {
        chart_from_check_json(text, pick)
    }
}

/// A run of `interpreter run --format json` as a chart: the script on the left, the
/// endpoint on the right with its state as it changes; each segment injected or sent
/// is an arrow, each call and timer a note.
fn chart_from_transcript(v: &serde_json::Value, script: Option<&str>) -> Result<Chart, String> {
    use model::msc::{Arrow, Lifelines, Mark, Step};
    let runs = v["runs"]
        .as_array()
        .ok_or("not an `interpreter run --format json` transcript: no `runs`")?;
    let named = |r: &&serde_json::Value| {
        let name = r["script"].as_str().unwrap_or_default();
        script.is_none_or(|s| {
            name == s
                || std::path::Path::new(name)
                    .file_stem()
                    .and_then(|f| f.to_str())
                    == Some(s)
        })
    };
    let run = runs.iter().find(named).ok_or_else(|| match script {
        Some(s) => format!("no run of `{s}` in the transcript"),
        None => "the transcript has no runs".to_string(),
    })?;
    let state = |x: &serde_json::Value| json_state(x, "transcript");
    let mut steps = Vec::new();
    let mut taken = Vec::new();
    let entries = run["transcript"]
        .as_array()
        .ok_or("a run without a transcript")?;
    for e in entries {
        let after = state(&e["state"])?;
        let kind = e["kind"].as_str().unwrap_or_default();
        let arrow = |a_to_b: bool, w: &serde_json::Value| Arrow {
            a_to_b,
            text: w["text"].as_str().unwrap_or_default().to_string(),
            mark: Mark::Delivered,
            stale: false,
        };
        let mut push = |label: String, arrow: Option<Arrow>| {
            steps.push(Step {
                label,
                arrow,
                a: State::Closed,
                b: after,
            })
        };
        match kind {
            "call" | "return" | "timer" => {
                let text = e["text"].as_str().unwrap_or_default();
                let label = if kind == "timer" {
                    format!("B: {text}")
                } else {
                    // Drop the time and the expected result: show the call and what it returned.
                    let call = text
                        .split_once(char::is_whitespace)
                        .map_or(text, |(_, c)| c.trim());
                    let call = call.split(" = ").next().unwrap_or(call);
                    let result = e["result"].as_str().unwrap_or_default();
                    format!("B: {call} -> {result}")
                };
                push(label, None);
            }
            "inbound" => {}
            _ => continue,
        }
        for step in e["steps"].as_array().into_iter().flatten() {
            taken.push((state(&step["from"])?, state(&step["to"])?));
            if step["received"].is_object() {
                push(String::new(), Some(arrow(true, &step["received"])));
            }
            for w in step["sent"].as_array().into_iter().flatten() {
                push(String::new(), Some(arrow(false, w)));
            }
        }
    }
    if run["result"] != "pass" {
        let why = run["failure"]["message"]
            .as_str()
            .or(run["message"].as_str())
            .unwrap_or("failed");
        let last = steps.last().map_or(State::Closed, |s| s.b);
        steps.push(Step {
            label: format!("FAIL: {why}"),
            arrow: None,
            a: State::Closed,
            b: last,
        });
    }
    taken.retain(|(from, to)| from != to);
    taken.dedup();
    Ok(Chart {
        property: run["script"].as_str().unwrap_or_default().to_string(),
        lanes: Lifelines {
            a: "script".to_string(),
            b: "endpoint".to_string(),
            a_states: false,
        },
        taken: Some(taken),
        start: (State::Closed, State::Closed),
        steps,
    })
}

/// The state changes a chart's steps make, per side, in order (`(from, to)` pairs).
pub fn transitions(chart: &Chart) -> Vec<(State, State)> {
    if let Some(taken) = &chart.taken {
        return taken.clone();
    }
    let mut out = Vec::new();
    let mut last = chart.start;
    for step in &chart.steps {
        for (before, after) in [(last.0, step.a), (last.1, step.b)] {
            if before != after && !out.contains(&(before, after)) {
                out.push((before, after));
            }
        }
        last = (step.a, step.b);
    }
    out
}

/// Marks the edges a trace took; returns the transitions no edge of this view draws.
pub fn highlight(g: &mut DiGraph<State, Edge>, taken: &[(State, State)]) -> Vec<(State, State)> {
    let mut missing = Vec::new();
    for &(from, to) in taken {
        let mut found = false;
        for e in g.edge_indices().collect::<Vec<_>>() {
            let (a, b) = g.edge_endpoints(e).expect("an edge has ends");
            if g[a] == from && g[b] == to {
                g[e].highlight = true;
                found = true;
            }
        }
        if !found {
            missing.push((from, to));
        }
    }
    missing
}

/// The pictures the README shows, by file name under `docs/`: the classic state diagram
/// and a counterexample (RFC 9293 without RFC 1337: TIME-WAIT assassinated, then old
/// segments reach the next incarnation). `tests/` checks the committed files are current.
pub fn readme_pictures() -> Result<Vec<(&'static str, String)>, String> {
    use model::check::explore::{Limits, explore};
    use model::check::report::Report;
    use model::check::{Guard, Options, System};
    let classic = svg(
        &graph(&Table::rfc9293(), View::Classic),
        "TCP connection states (RFC 9293 Figure 5)",
    )?;
    let m = System::new(Options {
        without: vec![Guard::Rfc1337],
        ..Options::default()
    })?;
    let run = explore(&m, Limits::default(), false);
    let json = serde_json::to_string(&Report::new(&m, &run)).map_err(|e| e.to_string())?;
    let chart = chart_from_check_json(&json, Some("no-stale-segment-accepted"))?;
    let cex = model::msc::svg(chart.start, &chart.steps);
    Ok(vec![
        ("classic.svg", classic),
        ("counterexample-without-rfc1337.svg", cex),
    ])
}

/// SVG laid out by Graphviz's `dot`, when it is on the PATH.
pub fn svg_with_graphviz(g: &DiGraph<State, Edge>, title: &str) -> Result<String, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("cannot run Graphviz `dot` ({e}); install graphviz or use --engine rust")
        })?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(dot(g, title).as_bytes())
        .map_err(|e| format!("writing to dot: {e}"))?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("running dot: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "dot failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("dot wrote no UTF-8: {e}"))
}
