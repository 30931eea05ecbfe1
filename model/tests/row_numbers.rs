//! A row keeps its number under every profile (issue 11): `check`, `table` and the
//! interpreter cite one number for one row, whatever profiles are layered.

use model::table::PROFILE_ROW_BLOCK;
use model::{Event, Origin, PROFILES, Profile, RowId, State, Table};
use std::collections::BTreeMap;

/// Every table a user can ask for with one or two profiles.
fn tables() -> Vec<Table> {
    let mut out = vec![Table::rfc9293()];
    for p in &PROFILES {
        for q in &PROFILES {
            let layered: Vec<&Profile> = if p.name == q.name {
                vec![p]
            } else {
                vec![p, q]
            };
            if let Ok(t) = Table::with_profiles(&layered) {
                out.push(t);
            }
        }
    }
    out
}

#[test]
fn the_same_row_has_the_same_number_under_every_profile() {
    let base = Table::rfc9293();
    // Every number means one row, in every table that has it.
    let mut seen: BTreeMap<RowId, (String, model::Row)> = BTreeMap::new();
    for t in tables() {
        let mut ids: Vec<RowId> = t.ids().to_vec();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), t.rows().len(), "{}: a number twice", t.name());
        for (id, row) in t.numbered() {
            if id.0 < PROFILE_ROW_BLOCK {
                assert_eq!(
                    base.get(id),
                    Some(row),
                    "{}: row {id} is not RFC 9293's",
                    t.name()
                );
            }
            if let Some((other, first)) = seen.get(&id) {
                assert_eq!(
                    first,
                    row,
                    "row {id} differs between {other} and {}",
                    t.name()
                );
            } else {
                seen.insert(id, (t.name().to_string(), *row));
            }
            assert_eq!(t.row(id), row);
        }
    }
    // Base rows are numbered from 0 in table order.
    assert_eq!(
        base.ids(),
        (0..base.rows().len() as u16).map(RowId).collect::<Vec<_>>()
    );
}

#[test]
fn established_rst_exact_is_cited_alike_under_rfc9293_and_rfc1337() {
    // The example: 164 under rfc9293, 165 under rfc1337.
    let n = |spec: &str| {
        let t = Table::from_spec(spec).unwrap();
        t.lookup(State::Established, Event::RstExact, Origin::Active)
    };
    let id = n("rfc9293");
    for spec in [
        "rfc1337",
        "rfc1337,fin-wait-2-timeout",
        "fin-wait-2-timeout,rfc1337",
    ] {
        assert_eq!(n(spec), id, "{spec}");
    }
    // A profile's own rows are numbered in its block: rfc1337 is PROFILES[2].
    let t = Table::from_spec("rfc1337").unwrap();
    let tw = t.lookup(State::TimeWait, Event::RstExact, Origin::Active);
    assert_eq!(tw.0 / PROFILE_ROW_BLOCK, 2, "{tw}");
    let t2 = Table::from_spec("fin-wait-2-timeout,rfc1337").unwrap();
    assert_eq!(
        t2.lookup(State::TimeWait, Event::RstExact, Origin::Active),
        tw
    );
}

#[test]
fn markdown_and_json_cite_the_stable_numbers() {
    let t = Table::from_spec("rfc1337").unwrap();
    let id = t.lookup(State::Established, Event::RstExact, Origin::Active);
    let json: serde_json::Value = serde_json::from_str(&model::render::json(&t)).unwrap();
    let row = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["from"] == "ESTABLISHED" && r["event"] == "rst_exact")
        .unwrap();
    assert_eq!(row["id"], id.0);
    assert!(model::render::markdown(&t).contains(&format!("| {} | rst_exact |", id.0)));
}
