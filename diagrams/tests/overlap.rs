//! On the classic view no label overlaps another. layout-rs places nodes differently from
//! run to run, so several runs of the binary are laid out and each is measured: headless
//! Chromium renders the SVG and reports every text's bounding box (axis-aligned, so a
//! label along a slanted edge counts with its whole box: the check errs on the strict side).

use std::collections::BTreeSet;
use std::process::Command;

const RUNS: usize = 8;

fn layout() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_diagrams"))
        .args(["export", "--format", "svg", "--view", "classic"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// For each SVG, the texts drawn and the pairs whose boxes intersect.
fn measure(svgs: &[String]) -> Vec<(usize, Vec<String>)> {
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
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("tcpfsm-overlap-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("page.html");
    std::fs::write(&page, html).unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", dir.join("profile").display()),
            "--virtual-time-budget=10000",
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .output()
        .expect("chromium is installed (.ci/run installs the Debian package)");
    let _ = std::fs::remove_dir_all(&dir);
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom.find("<pre id=\"out\">").expect("the page ran") + "<pre id=\"out\">".len();
    let end = dom[start..].find("</pre>").unwrap() + start;
    dom[start..end]
        .lines()
        .map(|l| serde_json::from_str(&l.replace("&quot;", "\"").replace("&amp;", "&")).unwrap())
        .collect()
}

#[test]
fn no_label_overlaps_another_in_any_classic_layout() {
    let svgs: Vec<String> = (0..RUNS).map(|_| layout()).collect();
    let distinct: BTreeSet<&String> = svgs.iter().collect();
    eprintln!("{} distinct layouts out of {RUNS} runs", distinct.len());
    let results = measure(&svgs);
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
    let svg = "<svg xmlns='http://www.w3.org/2000/svg' width='200' height='100'>\
               <text x='10' y='50'>rcv SYN / snd SYN,ACK</text>\
               <text x='40' y='55'>CLOSE / snd FIN</text>\
               <text x='10' y='95'>apart</text></svg>";
    let results = measure(&[svg.to_string()]);
    assert_eq!(results[0].0, 3);
    assert_eq!(results[0].1, ["rcv SYN / snd SYN,ACK / CLOSE / snd FIN"]);
}
