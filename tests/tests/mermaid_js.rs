//! Every Mermaid diagram the project writes is parsed and rendered by mermaid.js itself
//! (the npm package GitHub's renderer is built on), in headless Chromium. Two broken
//! diagrams are controls: mermaid must reject them, or the harness proves nothing.
//!
//! mermaid.js comes from npm: `.ci/run` runs `npm install --prefix target/npm mermaid@11`;
//! `MERMAID_JS` may point at another `mermaid.min.js`.

use interpreter::run::run_source;
use interpreter::session::Options;
use std::path::{Path, PathBuf};
use tests::{run_page_in_chromium, scratch, tools};

/// mermaid.js, or None (after the skip banner) when it is not installed.
fn mermaid_js(test: &str) -> Option<PathBuf> {
    let p = match std::env::var_os("MERMAID_JS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/npm/node_modules/mermaid/dist/mermaid.min.js"),
    };
    let install = "npm install --prefix target/npm mermaid@11.17.2";
    tools::file(test, "mermaid.js", &p, install).then_some(p)
}

/// (name, diagram, words the rendered SVG must show, whether mermaid must accept it)
fn diagrams() -> Vec<(String, String, Vec<&'static str>, bool)> {
    let mut out = Vec::new();
    for profile in model::PROFILES {
        let table = model::Table::from_spec(profile.name).unwrap();
        for (view, name) in [
            (diagrams::View::Classic, "classic"),
            (diagrams::View::Full, "full"),
        ] {
            // As `diagrams export --format mermaid` writes it: titled.
            let title = diagrams::title(&table, view);
            let text = model::msc::mermaid_title(&title)
                + &diagrams::mermaid(&diagrams::graph(&table, view));
            let mut words = vec!["SYN-RECEIVED", "ESTABLISHED", "TIME-WAIT", profile.name];
            if profile.broken {
                words.push("(MUTANT)");
            }
            out.push((format!("{} {name}", profile.name), text, words, true));
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/simultaneous-close.pkt");
    let run = run_source(
        "s",
        &std::fs::read_to_string(script).unwrap(),
        &Options {
            strict: true,
            ..Options::default()
        },
    )
    .unwrap();
    let json = serde_json::json!({"format": "tcpfsm-transcript", "runs": [run]}).to_string();
    let chart = diagrams::chart_from_json(&json, None).unwrap();
    out.push((
        "transcript chart".to_string(),
        model::msc::mermaid_titled(&chart.lanes, &chart.title, chart.start, &chart.steps),
        vec![
            "endpoint",
            "CLOSING",
            "F. 1:1(0) ack 1 win 65535",
            "s passes — profile rfc9293",
        ],
        true,
    ));
    let steps = [model::msc::Step {
        label: "A: active OPEN".to_string(),
        arrow: Some(model::msc::Arrow {
            a_to_b: true,
            text: "SYN seq=0".to_string(),
            mark: model::msc::Mark::Lost,
            stale: true,
        }),
        a: model::State::SynSent,
        b: model::State::Listen,
    }];
    out.push((
        "checker chart".to_string(),
        model::msc::mermaid((model::State::Closed, model::State::Listen), &steps),
        vec!["SYN seq=0 (lost) OLD", "SYN-SENT"],
        true,
    ));
    // Controls: a hyphen in a state id, and a message without text.
    out.push((
        "control: hyphenated id".into(),
        "stateDiagram-v2\n    SYN-SENT --> CLOSED\n".into(),
        vec![],
        false,
    ));
    out.push((
        "control: no message".into(),
        "sequenceDiagram\n    A->>B\n".into(),
        vec![],
        false,
    ));
    out
}

#[test]
fn mermaid_js_parses_and_renders_every_diagram() {
    let test = "mermaid_js_parses_and_renders_every_diagram";
    let Some(chromium) = tools::chromium(test) else {
        return;
    };
    let Some(js) = mermaid_js(test) else {
        return;
    };
    let cases = diagrams();
    let texts: Vec<&String> = cases.iter().map(|c| &c.1).collect();
    let html = format!(
        r#"<!doctype html><html><body><pre id="out">pending</pre>
<script src="file://{}"></script>
<script>
const diagrams = {};
(async () => {{
  mermaid.initialize({{ startOnLoad: false }});
  const results = [];
  for (let i = 0; i < diagrams.length; i++) {{
    try {{
      await mermaid.parse(diagrams[i]);
      const r = await mermaid.render('d' + i, diagrams[i]);
      const text = new DOMParser().parseFromString(r.svg, 'image/svg+xml').documentElement.textContent;
      results.push('ok ' + JSON.stringify(text));
    }} catch (e) {{
      results.push('error ' + JSON.stringify(String(e.message || e)));
    }}
  }}
  document.getElementById('out').textContent = results.join('\n');
}})();
</script></body></html>"#,
        js.display(),
        serde_json::to_string(&texts).unwrap()
    );
    let page = scratch("mermaid").join("page.html");
    std::fs::write(&page, html).unwrap();
    let results = run_page_in_chromium(chromium, &page, 60_000);
    let lines: Vec<&str> = results.lines().collect();
    assert_eq!(
        lines.len(),
        cases.len(),
        "one result per diagram:\n{}",
        lines.join("\n")
    );
    for ((name, _, words, valid), line) in cases.iter().zip(&lines) {
        let (verdict, detail) = line.split_once(' ').unwrap_or((line, ""));
        let detail: String = serde_json::from_str(detail).unwrap_or_default();
        assert_eq!(verdict == "ok", *valid, "{name}: {line}");
        for w in words {
            assert!(
                detail.contains(w),
                "{name}: the rendering lacks {w:?}: {detail}"
            );
        }
    }
}
