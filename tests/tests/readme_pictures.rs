//! The README's pictures are generated from the table and the model checker; this test
//! fails when a committed picture no longer matches. Regenerate with
//! `UPDATE_PICTURES=1 cargo test -p tests --test readme_pictures`.

#[test]
fn readme_pictures_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let update = std::env::var_os("UPDATE_PICTURES").is_some();
    let mut stale = Vec::new();
    for (name, svg) in diagrams::readme_pictures().unwrap() {
        let path = dir.join(name);
        if update {
            std::fs::write(&path, &svg).unwrap();
        } else {
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            // layout-rs places nodes differently from run to run, so a laid-out picture is
            // compared by what it says (every text in it), ours byte for byte.
            let (a, b) = if name == "classic.svg" {
                (texts(&committed), texts(&svg))
            } else {
                (vec![committed], vec![svg])
            };
            if a != b {
                let first = a.iter().zip(&b).find(|(x, y)| x != y);
                eprintln!(
                    "{name}: first difference {first:?} ({} against {} texts)",
                    a.len(),
                    b.len()
                );
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing under docs/: {stale:?}; run \
         UPDATE_PICTURES=1 cargo test -p tests --test readme_pictures, and look at them"
    );
}

/// Every text drawn in an SVG, sorted.
fn texts(svg: &str) -> Vec<String> {
    let Ok(doc) = roxmltree::Document::parse(svg) else {
        return vec!["<not XML>".into()];
    };
    let mut t: Vec<String> = doc
        .descendants()
        // The stylesheet's class names vary with the layout; the words drawn do not.
        .filter(|n| n.is_text())
        .filter(|n| {
            n.parent_element()
                .is_none_or(|p| p.tag_name().name() != "style")
        })
        .filter_map(|n| n.text())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    t.sort();
    t
}
