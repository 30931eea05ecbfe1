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
fn highlighting_marks_the_edges_of_the_rows_fired_and_names_the_ones_the_view_lacks() {
    let t = Table::rfc9293();
    let id = |from, event| t.lookup(from, event, model::Origin::Active);
    let rows = [
        id(State::Closed, model::Event::ActiveOpen),
        id(State::SynSent, model::Event::SynAck),
        id(State::FinWait1, model::Event::FinAckOfFin), // Figure 5 omits it (note 2)
        id(State::Established, model::Event::Ack),      // stays: not drawn, no note
    ];
    let mut g = graph(&t, View::Classic);
    let notes = diagrams::highlight(&mut g, &t, &rows);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("FIN-WAIT-1 -> TIME-WAIT"), "{notes:?}");
    assert_eq!(g.edge_weights().filter(|e| e.highlight).count(), 2);
    let d = dot(&g, "t");
    assert_eq!(d.matches("penwidth=4").count(), 2);
    let mut full = graph(&t, View::Full);
    assert!(diagrams::highlight(&mut full, &t, &rows).is_empty());
    // A row the table does not have (a profile's, drawn over another profile) is named.
    let notes = diagrams::highlight(&mut g, &t, &[model::RowId(2000)]);
    assert!(
        notes[0].contains("row 2000 is not in table rfc9293"),
        "{notes:?}"
    );
}

#[test]
fn the_classic_svg_is_figure_5_byte_for_byte_and_titled() {
    let t = Table::rfc9293();
    let a = svg(
        &graph(&t, View::Classic),
        &diagrams::title(&t, View::Classic),
    )
    .unwrap();
    let b = svg(
        &graph(&t, View::Classic),
        &diagrams::title(&t, View::Classic),
    )
    .unwrap();
    assert_eq!(a, b, "deterministic");
    assert!(
        a.contains("TCP connection states: profile rfc9293,"),
        "titled"
    );
    assert!(a.contains("note 1: The transition from SYN-RECEIVED to LISTEN"));
    // One font size: no text sets its own.
    let doc = roxmltree::Document::parse(&a).unwrap();
    assert!(
        doc.descendants()
            .all(|n| n.attribute("font-size").is_none() || n.has_tag_name("svg"))
    );
    insta::assert_snapshot!("classic_svg", a);
}

#[test]
fn a_mutant_is_titled_as_one() {
    let t = Table::from_spec("rfc1337,no-time-wait").unwrap();
    let title = diagrams::title(&t, View::Classic);
    assert!(
        title.contains("profile rfc1337,no-time-wait (MUTANT)"),
        "{title}"
    );
    let s = svg(&graph(&t, View::Classic), &title).unwrap();
    assert!(s.contains("(MUTANT)"));
    let full = svg(&graph(&t, View::Full), &diagrams::title(&t, View::Full)).unwrap();
    assert!(full.contains("(MUTANT)"), "the full view is titled too");
}
