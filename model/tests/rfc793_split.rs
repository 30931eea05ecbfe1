//! `rfc793` is the union of `rfc793-rst` and `rfc793-syn` (FreeBSD's
//! `net.inet.tcp.insecure_rst` and `insecure_syn` switch the halves one at a time).

use model::{Event, Origin, State, Table};

/// The row that applies to every (state, event, origin) of `spec`'s table.
fn behaviour(spec: &str) -> Vec<model::Row> {
    let t = Table::from_spec(spec).unwrap();
    let mut out = Vec::new();
    for s in State::ALL {
        for e in Event::ALL {
            for o in [Origin::Passive, Origin::Active] {
                out.push(*t.row(t.lookup(s, e, o)));
            }
        }
    }
    out
}

#[test]
fn rfc793_behaves_as_its_rst_and_syn_halves_layered() {
    assert_eq!(behaviour("rfc793"), behaviour("rfc793-rst,rfc793-syn"));
    assert_eq!(behaviour("rfc793"), behaviour("rfc793-syn,rfc793-rst"));
}

#[test]
fn the_rst_half_resets_on_an_in_window_rst_and_leaves_syn_to_rfc_5961() {
    let rst = Table::from_spec("rfc793-rst").unwrap();
    let base = Table::rfc9293();
    let at = |t: &Table, e| *t.row(t.lookup(State::Established, e, Origin::Active));
    assert_eq!(at(&rst, Event::RstInWindow).to, State::Closed);
    assert_eq!(at(&rst, Event::Syn), at(&base, Event::Syn));
    let syn = Table::from_spec("rfc793-syn").unwrap();
    assert_eq!(at(&syn, Event::Syn).to, State::Closed);
    assert_eq!(at(&syn, Event::RstInWindow), at(&base, Event::RstInWindow));
}

#[test]
fn rfc793_keeps_its_row_numbers() {
    // rfc793 is PROFILES[1]: its rows are numbered 1000 and up, as before the split.
    let t = Table::from_spec("rfc793").unwrap();
    let id = t.lookup(State::Established, Event::RstInWindow, Origin::Active);
    assert_eq!(id.0, 1000);
    let syn = t.lookup(State::Established, Event::Syn, Origin::Active);
    assert!((1000..2000).contains(&syn.0), "{syn}");
}
