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
            // Every picture is deterministic now (the classic view has fixed places), so
            // each is compared byte for byte.
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            if committed != svg {
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
