//! State diagrams drawn from the transition table: never restated, always read.
//!
//! [`graph`] turns a [`Table`] into a petgraph graph of the eleven states, in one of two
//! views; [`dot`], [`mermaid`] and [`svg`] write it out.
//! - `classic`: what RFC 9293 Figure 5 draws (the rows marked `classic`).
//! - `full`: every row. Transitions between two states are grouped on one edge; the rows
//!   that stay in a state are listed on its self-loop. Edges are styled by what drives
//!   them: the client path, the server path, closing, resets and aborts, timeouts.

#![warn(missing_docs)]

mod classic;
pub mod input;

use model::table::{Event, EventKind, Row, RowId, State, Table};
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
    /// The numbers of the rows it stands for.
    pub rows: Vec<RowId>,
    /// Taken by the trace being highlighted.
    pub highlight: bool,
}

/// The graph of a table in a view: one node per state, in RFC order.
pub fn graph(table: &Table, view: View) -> DiGraph<State, Edge> {
    let mut g = DiGraph::new();
    let nodes: Vec<NodeIndex> = State::ALL.iter().map(|&s| g.add_node(s)).collect();
    let node = |s: State| nodes[s as usize];
    let rows: Vec<(RowId, &Row)> = table
        .numbered()
        .filter(|(_, r)| match view {
            View::Classic => r.classic,
            View::Full => true,
        })
        .collect();
    // One edge per (from, to, kind), in order of its first row: deterministic, follows
    // the table, and never mixes a reset with a timeout on one arrow.
    let mut groups: Vec<(State, State, Kind)> = Vec::new();
    for (_, r) in &rows {
        let key = (r.from, r.to, row_kind(r));
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    for (from, to, kind) in groups {
        let group: Vec<&(RowId, &Row)> = rows
            .iter()
            .filter(|(_, r)| r.from == from && r.to == to && row_kind(r) == kind)
            .collect();
        let mut labels: Vec<String> = Vec::new();
        for (_, r) in &group {
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
                rows: group.iter().map(|(id, _)| *id).collect(),
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

/// A picture's title: the profile(s), `MUTANT` when a layered profile is one, and the view.
pub fn title(table: &Table, view: View) -> String {
    let mutant = table.is_mutant();
    format!(
        "TCP connection states: profile {}{}, {}",
        table.name(),
        if mutant { " (MUTANT)" } else { "" },
        match view {
            View::Classic => "as RFC 9293 Figure 5 draws them",
            View::Full => "every row",
        }
    )
}

/// SVG rendered in pure Rust, no Graphviz needed. The classic view (a graph without
/// staying rows) is laid out as RFC 9293 Figure 5, at fixed places and byte for byte the
/// same on every run; the full view is laid out by layout-rs from the DOT text, under the
/// title.
pub fn svg(g: &DiGraph<State, Edge>, title: &str) -> Result<String, String> {
    if !g.edge_weights().any(|e| e.kind == Kind::Stay) {
        return Ok(classic::svg(g, title));
    }
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
    Ok(with_title(&writer.finalize(), title))
}

/// layout-rs draws no graph label: the title goes in a band added above the drawing.
fn with_title(svg: &str, title: &str) -> String {
    const BAND: f64 = 40.0;
    let attr = |name: &str| -> Option<f64> {
        let at = svg.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = svg[at..].find('"')? + at;
        svg[at..end].parse().ok()
    };
    let (Some(w), Some(h)) = (attr("width"), attr("height")) else {
        return svg.to_string();
    };
    let old = format!("width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\"");
    if !svg.contains(&old) {
        return svg.to_string();
    }
    let new = format!(
        "width=\"{w}\" height=\"{}\" viewBox=\"0 {} {w} {}\"",
        h + BAND,
        -BAND,
        h + BAND
    );
    let text = format!(
        "<text class=\"title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"15px\" \
         font-weight=\"bold\" font-family=\"Helvetica, Arial, sans-serif\">{}</text>",
        w / 2.0,
        -BAND / 2.0,
        model::msc::escape(title)
    );
    let svg = svg.replacen(&old, &new, 1);
    match svg.rfind("</svg>") {
        Some(at) => format!("{}{text}{}", &svg[..at], &svg[at..]),
        None => svg,
    }
}

/// A counterexample read from `model check --format json`, or a run read from
/// `interpreter run --format json`: what it shows, and its steps.
pub struct Chart {
    /// The property it refutes, or the script it ran.
    pub property: String,
    /// A one-line title: the property or script, its verdict, the configuration.
    pub title: String,
    /// The lifelines: A and B, or the script and the endpoint.
    pub lanes: model::msc::Lifelines,
    /// The profile(s) the trace ran under, as `--profile` takes them, when recorded.
    pub profile: Option<String>,
    /// The table rows fired, in order; `None` when the source does not record them (a
    /// report written before `model check` recorded each step's rows).
    pub rows: Option<Vec<RowId>>,
    /// Both sides' states at the start.
    pub start: (State, State),
    /// The steps.
    pub steps: Vec<model::msc::Step>,
}

/// Reads a chart from a file (or `-` for standard input), at most
/// [`input::MAX_INPUT`] bytes.
pub fn chart_from_path(path: &std::path::Path, pick: Option<&str>) -> Result<Chart, String> {
    let name = path.display().to_string();
    let bytes = if name == "-" {
        input::read_bounded(std::io::stdin().lock(), "standard input")?
    } else {
        let f = std::fs::File::open(path).map_err(|e| format!("reading {name}: {e}"))?;
        input::read_bounded(f, &name)?
    };
    chart_from_slice(&bytes, pick).map_err(|e| format!("{name}: {e}"))
}

/// Reads the counterexample to `property` (or the first one) from the JSON report of
/// `model check --format json`. Errors name the line and column of bad JSON.
pub fn chart_from_check_json(text: &str, property: Option<&str>) -> Result<Chart, String> {
    check_chart(text.as_bytes(), property)
}

fn check_chart(bytes: &[u8], property: Option<&str>) -> Result<Chart, String> {
    use model::msc::{Arrow, Mark, Step};
    let doc: input::CheckDoc = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a `model check --format json` report: {e}"))?;
    let incomplete = "the run was cut short by a limit (INCOMPLETE)";
    let chosen = match property {
        Some(name) => {
            let p = doc
                .properties
                .iter()
                .find(|p| p.name == name)
                .ok_or_else(|| format!("no property `{name}` in the report"))?;
            if p.path.is_none() {
                return Err(match p.verdict.as_deref() {
                    Some("unknown") => format!(
                        "{incomplete}: the verdict on `{name}` is unknown, there is no path to draw"
                    ),
                    Some(v) => format!("no counterexample to `{name}` in the report ({v})"),
                    None => format!("no counterexample to `{name}` in the report"),
                });
            }
            p
        }
        None => match doc
            .properties
            .iter()
            .find(|p| p.path.is_some() && matches!(p.verdict.as_deref(), Some("fails" | "lasso")))
        {
            Some(p) => p,
            None if !doc.complete => {
                return Err(format!(
                    "{incomplete} before any counterexample: nothing to draw (rerun with a \
                     larger --max-states or --max-seconds)"
                ));
            }
            None => {
                return Err("the report has no counterexample: every property holds".to_string());
            }
        },
    };
    let path = chosen.path.as_deref().unwrap_or_default();
    let mut steps = Vec::new();
    let mut rows = Some(Vec::new());
    for p in path {
        let mark = match &p.act {
            Some(input::ActDoc::Segment(s)) if s.deliver.is_some() => Some(Mark::Delivered),
            Some(input::ActDoc::Segment(s)) if s.drop.is_some() => Some(Mark::Lost),
            Some(input::ActDoc::Segment(s)) if s.dup.is_some() => Some(Mark::Duplicated),
            _ => None,
        };
        let arrow = match (mark, &p.segment) {
            (Some(mark), Some((to, _))) => Some(Arrow {
                a_to_b: *to == input::Side::B,
                text: p.text.split("  ").nth(1).unwrap_or(&p.text).to_string(),
                mark,
                stale: p.stale,
            }),
            _ => None,
        };
        match (&mut rows, &p.rows) {
            (Some(all), Some(these)) => all.extend(these.iter().map(|&(_, r)| RowId(r))),
            _ => rows = None,
        }
        steps.push(Step {
            label: p.text.clone(),
            arrow,
            a: p.a,
            b: p.b,
        });
    }
    let verdict = match chosen.verdict.as_deref() {
        Some("fails") => "fails",
        Some("lasso") => "fails (a fair cycle)",
        Some("reached") => "example",
        _ => "path",
    };
    let mut config = Vec::new();
    if let Some(p) = &doc.profile {
        config.push(format!("profile {p}"));
    }
    if let Some(o) = &doc.options {
        if !o.without.is_empty() {
            config.push(format!("without {}", o.without.join(",")));
        }
        for (name, v) in [
            ("MSL", o.msl),
            ("seq space", o.seq_space),
            ("incarnations", o.incarnations),
            ("drops", o.drops),
            ("dups", o.dups),
        ] {
            if let Some(v) = v {
                config.push(format!("{name} {v}"));
            }
        }
    }
    // A counterexample is definite even though the run stopped at it; an example from a
    // run a limit stopped is all that run saw.
    if !doc.complete && verdict == "example" {
        config.push("INCOMPLETE run".to_string());
    }
    let mut title = format!("{} {verdict}, {} steps", chosen.name, steps.len());
    if let Some(from) = chosen.loop_from {
        title += &format!(" (steps {}.. repeat)", from + 1);
    }
    if !config.is_empty() {
        title += &format!(" — {}", config.join(", "));
    }
    Ok(Chart {
        property: chosen.name.clone(),
        title,
        lanes: model::msc::Lifelines::default(),
        profile: doc.profile.clone(),
        rows,
        start: (State::Closed, State::Closed),
        steps,
    })
}

/// Reads a chart from either kind of JSON: a `model check` report (the counterexample
/// to `pick`, or the first) or an `interpreter run` transcript (the run whose script
/// is named `pick`, or the first).
pub fn chart_from_json(text: &str, pick: Option<&str>) -> Result<Chart, String> {
    chart_from_slice(text.as_bytes(), pick)
}

/// [`chart_from_json`] on bytes (which need not be UTF-8 to get a clear error).
pub fn chart_from_slice(bytes: &[u8], pick: Option<&str>) -> Result<Chart, String> {
    if bytes.len() as u64 > input::MAX_INPUT {
        return Err(format!("larger than {} MiB", input::MAX_INPUT >> 20));
    }
    let sniff: input::Sniff = serde_json::from_slice(bytes)
        .map_err(|e| format!("not JSON from model or interpreter: {e}"))?;
    if sniff.format.as_deref() == Some("tcpfsm-transcript") {
        transcript_chart(bytes, pick)
    } else {
        check_chart(bytes, pick)
    }
}

/// A run of `interpreter run --format json` as a chart: the script on the left, the
/// endpoint on the right with its state as it changes; each segment injected or sent
/// is an arrow, each call and timer a note.
fn transcript_chart(bytes: &[u8], script: Option<&str>) -> Result<Chart, String> {
    use model::msc::{Arrow, Lifelines, Mark, Step};
    let doc: input::TranscriptDoc = serde_json::from_slice(bytes)
        .map_err(|e| format!("not an `interpreter run --format json` transcript: {e}"))?;
    let named = |r: &&input::RunDoc| {
        let name = r.script.as_str();
        script.is_none_or(|s| {
            name == s
                || std::path::Path::new(name)
                    .file_stem()
                    .and_then(|f| f.to_str())
                    == Some(s)
        })
    };
    let run = doc.runs.iter().find(named).ok_or_else(|| match script {
        Some(s) => format!("no run of `{s}` in the transcript"),
        None => "the transcript has no runs".to_string(),
    })?;
    let mut steps = Vec::new();
    let mut rows = Vec::new();
    for e in &run.transcript {
        let after = e.state;
        let kind = e.kind.as_str();
        let arrow = |a_to_b: bool, w: &input::WireDoc| Arrow {
            a_to_b,
            text: w.text.clone(),
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
                let text = e.text.as_str();
                let label = if kind == "timer" {
                    format!("B: {text}")
                } else {
                    // Drop the time and the expected result: show the call and what it returned.
                    let call = text
                        .split_once(char::is_whitespace)
                        .map_or(text, |(_, c)| c.trim());
                    let call = call.split(" = ").next().unwrap_or(call);
                    let result = e.result.as_deref().unwrap_or_default();
                    format!("B: {call} -> {result}")
                };
                push(label, None);
            }
            "inbound" => {}
            _ => {
                rows.extend(e.steps.iter().map(input::RowStepDoc::row_id));
                continue;
            }
        }
        for step in &e.steps {
            rows.push(step.row_id());
            if let Some(w) = &step.received {
                push(String::new(), Some(arrow(true, w)));
            }
            for w in &step.sent {
                push(String::new(), Some(arrow(false, w)));
            }
        }
    }
    let passed = run.result.as_deref() == Some("pass");
    if !passed {
        let why = run
            .failure
            .as_ref()
            .and_then(|f| f.message.as_deref())
            .or(run.message.as_deref())
            .unwrap_or("failed");
        let last = steps.last().map_or(State::Closed, |s| s.b);
        steps.push(Step {
            label: format!("FAIL: {why}"),
            arrow: None,
            a: State::Closed,
            b: last,
        });
    }
    let profile = run.profile.clone();
    let title = format!(
        "{} {} — profile {}",
        run.script,
        if passed { "passes" } else { "fails" },
        profile.as_deref().unwrap_or("rfc9293")
    );
    Ok(Chart {
        property: run.script.clone(),
        title,
        lanes: Lifelines {
            a: "script".to_string(),
            b: "endpoint".to_string(),
            a_states: false,
        },
        profile,
        rows: Some(rows),
        start: (State::Closed, State::Closed),
        steps,
    })
}

/// Marks the edges that draw the rows a trace fired (by row number, exactly: never
/// guessed from the states). Returns a note for each state change the view does not draw,
/// and for each row the table does not have.
pub fn highlight(g: &mut DiGraph<State, Edge>, table: &Table, rows: &[RowId]) -> Vec<String> {
    let mut notes = Vec::new();
    for &id in rows {
        let Some(row) = table.get(id) else {
            let note = format!(
                "row {id} is not in table {} (draw with the trace's --profile)",
                table.name()
            );
            if !notes.contains(&note) {
                notes.push(note);
            }
            continue;
        };
        let mut found = false;
        for e in g.edge_indices().collect::<Vec<_>>() {
            if g[e].rows.contains(&id) {
                g[e].highlight = true;
                found = true;
            }
        }
        if !found && row.is_transition() {
            let note = format!(
                "the trace goes {} -> {} (row {id}, \"{}\"), which this view does not draw",
                row.from, row.to, row.label
            );
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
    }
    notes
}

/// The pictures the README shows, by file name under `docs/`: the classic state diagram
/// and a counterexample (RFC 9293 without RFC 1337: TIME-WAIT assassinated, then old
/// segments reach the next incarnation). `tests/` checks the committed files are current.
pub fn readme_pictures() -> Result<Vec<(&'static str, String)>, String> {
    use model::check::explore::{Limits, explore};
    use model::check::report::Report;
    use model::check::{Guard, Options, System};
    let table = Table::rfc9293();
    let classic = svg(&graph(&table, View::Classic), &title(&table, View::Classic))?;
    let m = System::new(Options {
        without: vec![Guard::Rfc1337],
        ..Options::default()
    })?;
    let limits = Limits {
        focus: Some("no-stale-segment-accepted"),
        ..Limits::default()
    };
    let run = explore(&m, limits, false);
    let json = serde_json::to_string(&Report::new(&m, &run)).map_err(|e| e.to_string())?;
    let chart = chart_from_check_json(&json, Some("no-stale-segment-accepted"))?;
    let cex = model::msc::svg_titled(&chart.lanes, &chart.title, chart.start, &chart.steps);
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
