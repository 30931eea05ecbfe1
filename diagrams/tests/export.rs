//! The diagrams read the table: checked structurally, as XML, and by reviewed snapshots.

use diagrams::{Kind, View, dot, graph, mermaid, svg};
use model::{State, Table};

#[test]
fn the_classic_view_draws_figure_5s_twenty_transitions() {
    let g = graph(&Table::rfc9293(), View::Classic);
    assert_eq!(g.node_count(), 11);
    assert_eq!(g.edge_count(), 20);
    assert!(g.edge_weights().all(|e| e.kind != Kind::Stay));
}

#[test]
fn the_full_view_accounts_for_every_row() {
    let t = Table::rfc9293();
    let g = graph(&t, View::Full);
    // Each distinct (from, to, label) of the table appears on exactly one edge.
    let drawn: usize = g.edge_weights().map(|e| e.labels.len()).sum();
    let mut distinct: Vec<(State, State, String)> = t
        .rows()
        .iter()
        .map(|r| {
            let l = if r.from == r.to {
                r.event.id().to_string()
            } else {
                r.label.to_string()
            };
            (r.from, r.to, l)
        })
        .collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(drawn, distinct.len());
    // Every state has its self-loop of rows that stay, and resets are told apart.
    assert_eq!(
        g.edge_weights().filter(|e| e.kind == Kind::Stay).count(),
        11
    );
    assert!(g.edge_weights().any(|e| e.kind == Kind::Reset));
    assert!(g.edge_weights().any(|e| e.kind == Kind::Timeout));
}

#[test]
fn a_profile_changes_the_drawing_through_the_table() {
    let t = Table::from_spec("no-time-wait").unwrap();
    let g = graph(&t, View::Classic);
    let into_tw = g
        .edge_indices()
        .filter(|&e| g[g.edge_endpoints(e).unwrap().1] == State::TimeWait)
        .count();
    assert_eq!(into_tw, 0, "no TIME-WAIT, no arrow into it");
}

#[test]
fn dot_uses_stable_ids_and_is_deterministic() {
    let t = Table::rfc9293();
    let a = dot(&graph(&t, View::Classic), "t");
    let b = dot(&graph(&t, View::Classic), "t");
    assert_eq!(a, b);
    assert!(a.contains("SYN_SENT -> SYN_RECEIVED"));
    insta::assert_snapshot!("classic_dot", a);
}

#[test]
fn mermaid_ids_have_no_hyphens_and_labels_no_forbidden_characters() {
    let m = mermaid(&graph(&Table::rfc9293(), View::Full));
    for line in m.lines().filter(|l| l.contains("-->")) {
        let (arrow, label) = line.split_once(" : ").unwrap_or((line, ""));
        assert!(!arrow.replace("-->", "").contains('-'), "{line}");
        assert!(!label.contains([':', ';', '#']), "{line}");
    }
    insta::assert_snapshot!(
        "classic_mermaid",
        mermaid(&graph(&Table::rfc9293(), View::Classic))
    );
}

#[test]
fn svg_is_xml_and_names_all_eleven_states() {
    let s = svg(&graph(&Table::rfc9293(), View::Classic), "t").unwrap();
    let doc = roxmltree::Document::parse(&s).expect("well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let text: String = doc
        .descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("|");
    for st in State::ALL {
        assert!(text.contains(st.rfc_name()), "{st} missing");
    }
}

#[test]
fn highlighting_marks_the_edges_a_trace_took_and_names_the_ones_the_view_lacks() {
    let mut g = graph(&Table::rfc9293(), View::Classic);
    let taken = [
        (State::Closed, State::SynSent),
        (State::SynSent, State::Established),
        (State::FinWait1, State::TimeWait), // Figure 5 omits this one (note 2)
    ];
    let missing = diagrams::highlight(&mut g, &taken);
    assert_eq!(missing, vec![(State::FinWait1, State::TimeWait)]);
    assert_eq!(g.edge_weights().filter(|e| e.highlight).count(), 2);
    let d = dot(&g, "t");
    assert_eq!(d.matches("penwidth=4").count(), 2);
    let mut full = graph(&Table::rfc9293(), View::Full);
    assert!(diagrams::highlight(&mut full, &taken).is_empty());
}
