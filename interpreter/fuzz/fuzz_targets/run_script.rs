//! Any bytes, as a script: parse, run under the first byte's profile, render the
//! transcript, the error and the JSON. Nothing may panic.
#![no_main]

use interpreter::run::{render_error, run_source, transcript};
use interpreter::session::Options;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(source) = std::str::from_utf8(rest) else {
        return;
    };
    let profiles = model::PROFILES;
    let opts = Options {
        profile: profiles[pick as usize % profiles.len()].name.to_string(),
        ..Options::default()
    };
    let run = run_source("fuzz.pkt", source, &opts).expect("a known profile");
    let _ = transcript(&run);
    let _ = render_error(&run, source, false);
    let _ = serde_json::to_string(&run);
});
