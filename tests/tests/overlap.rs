//! On the classic view no label overlaps another. layout-rs places nodes differently from
//! one call to the next, so several layouts are made and each is measured: headless
//! Chromium renders the SVG and reports every text's bounding box (axis-aligned, so a
//! label along a slanted edge counts with its whole box: the check errs on the strict side).

use std::collections::BTreeSet;
use tests::{run_page_in_chromium, scratch, tools};

const RUNS: usize = 8;

fn layout() -> String {
    let g = diagrams::graph(&model::Table::rfc9293(), diagrams::View::Classic);
    diagrams::svg(&g, "TCP connection states (RFC 9293 Figure 5)").unwrap()
}

/// For each SVG, the texts drawn and the pairs whose boxes intersect.
fn measure(chromium: &str, svgs: &[String]) -> Vec<(usize, Vec<String>)> {
    let html = format!(
        r#"<!doctype html><html><body><pre id="out">pending</pre><div id="host"></div><script>
const svgs = {};
const out = [];
for (const s of svgs) {{
  const host = document.getElementById('host');
  host.innerHTML = s;
  const boxes = [...host.querySelectorAll('svg text')]
    .map(t => {{ const r = t.getBoundingClientRect(); return {{ x: r.left, y: r.top, w: r.width, h: r.height, t: t.textContent.trim() }}; }})
    .filter(b => b.w > 0 && b.t);
  const hits = [];
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {{
      const a = boxes[i], b = boxes[j];
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
        hits.push(a.t + ' / ' + b.t);
    }}
  out.push(JSON.stringify([boxes.length, hits]));
}}
document.getElementById('out').textContent = out.join('\n');
</script></body></html>"#,
        serde_json::to_string(svgs).unwrap()
    );
    let page = scratch("overlap").join("page.html");
    std::fs::write(&page, html).unwrap();
    run_page_in_chromium(chromium, &page, 10_000)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn no_label_overlaps_another_in_any_classic_layout() {
    let Some(chromium) = tools::chromium("no_label_overlaps_another_in_any_classic_layout") else {
        return;
    };
    let svgs: Vec<String> = (0..RUNS).map(|_| layout()).collect();
    let distinct: BTreeSet<&String> = svgs.iter().collect();
    eprintln!("{} distinct layouts out of {RUNS} runs", distinct.len());
    let results = measure(chromium, &svgs);
    assert_eq!(results.len(), RUNS);
    for (i, (texts, hits)) in results.iter().enumerate() {
        // The eleven states and Figure 5's twenty transition labels.
        assert_eq!(*texts, 31, "layout {i} draws {texts} texts");
        assert!(hits.is_empty(), "layout {i}: overlapping labels {hits:?}");
    }
}

/// The measurement itself finds overlaps: two texts drawn on top of each other.
#[test]
fn the_measurement_sees_an_overlap() {
    let Some(chromium) = tools::chromium("the_measurement_sees_an_overlap") else {
        return;
    };
    let svg = "<svg xmlns='http://www.w3.org/2000/svg' width='200' height='100'>\
               <text x='10' y='50'>rcv SYN / snd SYN,ACK</text>\
               <text x='40' y='55'>CLOSE / snd FIN</text>\
               <text x='10' y='95'>apart</text></svg>";
    let results = measure(chromium, &[svg.to_string()]);
    assert_eq!(results[0].0, 3);
    assert_eq!(results[0].1, ["rcv SYN / snd SYN,ACK / CLOSE / snd FIN"]);
}
