//! The classic view is laid out as RFC 9293 Figure 5, at fixed places: the same bytes on
//! every run, and, as headless Chromium renders it, no text overlapping another, no label
//! on a state's box, and every label on its own arrow (within 12 px of it).

use tests::{run_page_in_chromium, scratch, tools};

fn classic() -> String {
    let t = model::Table::rfc9293();
    let g = diagrams::graph(&t, diagrams::View::Classic);
    diagrams::svg(&g, &diagrams::title(&t, diagrams::View::Classic)).unwrap()
}

/// For each SVG: the texts drawn, the labels, the states, and every fault found.
fn measure(chromium: &str, svgs: &[String]) -> Vec<(usize, usize, usize, Vec<String>)> {
    let html = format!(
        r#"<!doctype html><html><body><pre id="out">pending</pre><div id="host"></div><script>
const svgs = {};
const out = [];
const meet = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const box = e => {{ const r = e.getBBox(); return {{ x: r.x, y: r.y, w: r.width, h: r.height }}; }};
// Distance from point p to segment ab.
const seg = (p, a, b) => {{
  const dx = b.x - a.x, dy = b.y - a.y, l = dx * dx + dy * dy;
  const t = l ? Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / l)) : 0;
  return Math.hypot(p.x - a.x - t * dx, p.y - a.y - t * dy);
}};
for (const s of svgs) {{
  const host = document.getElementById('host');
  host.innerHTML = s;
  const texts = [...host.querySelectorAll('svg text')]
    .map(t => Object.assign(box(t), {{ t: t.textContent.trim(), c: t.getAttribute('class'), e: t }}))
    .filter(b => b.w > 0 && b.t);
  const faults = [];
  for (let i = 0; i < texts.length; i++)
    for (let j = i + 1; j < texts.length; j++)
      if (meet(texts[i], texts[j])) faults.push('overlap: ' + texts[i].t + ' / ' + texts[j].t);
  const rects = [...host.querySelectorAll('svg rect.state')].map(box);
  const labels = texts.filter(t => t.c === 'label');
  for (const l of labels) {{
    for (const r of rects) if (meet(l, r)) faults.push('on a state: ' + l.t);
    const from = l.e.getAttribute('data-from'), to = l.e.getAttribute('data-to');
    const line = host.querySelector(`polyline[data-from="${{from}}"][data-to="${{to}}"]`);
    const pts = line.getAttribute('points').split(' ').map(p => {{ const [x, y] = p.split(',').map(Number); return {{ x, y }}; }});
    // The nearest point of the label's box to its arrow.
    let best = Infinity;
    for (let k = 0; k + 1 < pts.length; k++)
      for (const x of [l.x, l.x + l.w / 2, l.x + l.w])
        for (const y of [l.y, l.y + l.h / 2, l.y + l.h])
          best = Math.min(best, seg({{ x, y }}, pts[k], pts[k + 1]));
    if (best > 12) faults.push('away from its arrow (' + Math.round(best) + ' px): ' + l.t);
  }}
  const sizes = new Set(texts.map(t => getComputedStyle(t.e).fontSize));
  if (sizes.size !== 1) faults.push('font sizes: ' + [...sizes].join(' '));
  out.push(JSON.stringify([texts.length, labels.length, texts.filter(t => t.c === 'state').length, faults]));
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
fn the_classic_view_is_deterministic_and_every_label_sits_on_its_arrow() {
    let svg = classic();
    assert_eq!(svg, classic(), "the same bytes on every run");
    let Some(chromium) =
        tools::chromium("the_classic_view_is_deterministic_and_every_label_sits_on_its_arrow")
    else {
        return;
    };
    let results = measure(chromium, &[svg]);
    let (_, labels, states, faults) = &results[0];
    // Figure 5's twenty transition labels; eleven states, CLOSED drawn twice.
    assert_eq!((*labels, *states), (20, 12));
    assert!(faults.is_empty(), "{faults:#?}");
}

/// The measurement itself finds faults: two texts on top of each other, a label far from
/// its arrow, and two font sizes.
#[test]
fn the_measurement_sees_the_faults() {
    let Some(chromium) = tools::chromium("the_measurement_sees_the_faults") else {
        return;
    };
    let svg = "<svg xmlns='http://www.w3.org/2000/svg' width='300' height='100'>\
               <polyline data-from='A' data-to='B' points='0,90 300,90'/>\
               <text x='10' y='50' font-size='15'>rcv SYN / snd SYN,ACK</text>\
               <text x='40' y='55' font-size='10'>CLOSE / snd FIN</text>\
               <text class='label' data-from='A' data-to='B' x='10' y='20'>far</text></svg>";
    let results = measure(chromium, &[svg.to_string()]);
    let faults = &results[0].3;
    assert!(
        faults.contains(&"overlap: rcv SYN / snd SYN,ACK / CLOSE / snd FIN".to_string()),
        "{faults:?}"
    );
    assert!(
        faults.iter().any(|f| f.starts_with("away from its arrow")),
        "{faults:?}"
    );
    assert!(
        faults.iter().any(|f| f.starts_with("font sizes")),
        "{faults:?}"
    );
}
