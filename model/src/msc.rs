//! Message sequence charts: two lifelines (A and B), each segment an arrow, lost and
//! duplicated ones marked, each side's state written beside its lifeline as it changes.
//! One renderer for the Explorer, the model checker's counterexamples and traces.

use crate::table::State;
use std::fmt::Write;

/// What happened to a segment in a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// It arrived.
    Delivered,
    /// It was lost.
    Lost,
    /// It was duplicated in the network.
    Duplicated,
}

/// A segment drawn as an arrow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrow {
    /// The arrow goes from A to B (else from B to A).
    pub a_to_b: bool,
    /// The segment, as text (`SYN seq=0`).
    pub text: String,
    /// Delivered, lost or duplicated.
    pub mark: Mark,
    /// It belonged to an earlier incarnation.
    pub stale: bool,
}

/// One step of the chart, and both sides' states after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What happened, when it is not an arrow (`A: active OPEN`, `tick`).
    pub label: String,
    /// The segment, when the step moves one.
    pub arrow: Option<Arrow>,
    /// A's state after the step.
    pub a: State,
    /// B's state after the step.
    pub b: State,
}

/// The two lifelines: their names, and whether each one's states are drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifelines {
    /// The left lifeline's name.
    pub a: String,
    /// The right lifeline's name.
    pub b: String,
    /// Draw A's states (false when A is a script with no state machine).
    pub a_states: bool,
}

impl Default for Lifelines {
    /// Two endpoints, `A` and `B`, both with states.
    fn default() -> Lifelines {
        Lifelines {
            a: "A".to_string(),
            b: "B".to_string(),
            a_states: true,
        }
    }
}

/// Text made safe for XML: markup escaped, and the characters XML 1.0 forbids (NUL and
/// other C0 controls but tab and newlines, U+FFFE, U+FFFF), which a trace's text may carry
/// (`\u0000` in JSON), replaced by U+FFFD.
pub fn escape(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => '\u{fffd}',
            c => c,
        })
        .collect();
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
}

/// The chart as SVG, starting from both sides' initial states.
pub fn svg(start: (State, State), steps: &[Step]) -> String {
    svg_with(&Lifelines::default(), start, steps)
}

/// The widest text a chart line holds, in characters of its 11 px monospace font (about
/// 6.6 px each) across the chart's 560 px.
const NOTE_CHARS: usize = 80;

/// `text` cut to `max` characters, with `…` when cut (the whole text goes in a tooltip).
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// `text` wrapped at spaces into lines of at most `width` characters, at most `lines` of
/// them (the last one cut with `…` if the text does not fit).
fn wrap(text: &str, width: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    if out.len() > lines {
        let rest = out[lines - 1..].join(" ");
        out.truncate(lines - 1);
        out.push(rest);
    }
    out.into_iter().map(|l| fit(&l, width)).collect()
}

/// The chart as SVG under a title (the property or script, its verdict, the configuration),
/// wrapped onto at most three lines.
pub fn svg_titled(lanes: &Lifelines, title: &str, start: (State, State), steps: &[Step]) -> String {
    render(lanes, &wrap(title, NOTE_CHARS, 3), start, steps)
}

/// The chart as SVG, with named lifelines.
pub fn svg_with(lanes: &Lifelines, start: (State, State), steps: &[Step]) -> String {
    render(lanes, &[], start, steps)
}

fn render(lanes: &Lifelines, title: &[String], start: (State, State), steps: &[Step]) -> String {
    const XA: i32 = 110;
    const XB: i32 = 430;
    const ROW: i32 = 26;
    let top = if title.is_empty() {
        0
    } else {
        8 + 16 * title.len() as i32
    };
    let h = 66 + ROW * steps.len() as i32;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns='http://www.w3.org/2000/svg' width='560' height='{}' viewBox='0 0 560 {}' \
         font-family='monospace' font-size='11'>\
         <defs><marker id='arrow' markerWidth='10' markerHeight='8' refX='10' refY='4' \
         orient='auto'><polygon points='0 0, 10 4, 0 8'/></marker></defs>\
         <rect width='100%' height='100%' fill='white'/>",
        h + top,
        h + top
    );
    for (i, l) in title.iter().enumerate() {
        let _ = write!(
            s,
            "<text class='title' x='280' y='{}' text-anchor='middle' font-weight='bold'>{}</text>",
            16 + 16 * i as i32,
            escape(l)
        );
    }
    if top > 0 {
        let _ = write!(s, "<g transform='translate(0,{top})'>");
    }
    let _ = write!(
        s,
        "<text x='{XA}' y='14' text-anchor='middle' font-weight='bold'>{}</text>\
         <text x='{XB}' y='14' text-anchor='middle' font-weight='bold'>{}</text>\
         <line x1='{XA}' y1='20' x2='{XA}' y2='{h}' stroke='#888'/>\
         <line x1='{XB}' y1='20' x2='{XB}' y2='{h}' stroke='#888'/>",
        escape(&lanes.a),
        escape(&lanes.b)
    );
    let mut last = (None, None);
    let mut states = vec![start];
    states.extend(steps.iter().map(|st| (st.a, st.b)));
    for (i, &(a, b)) in states.iter().enumerate() {
        let y = 40 + ROW * i as i32;
        if lanes.a_states && last.0 != Some(a) {
            let _ = write!(
                s,
                "<text x='{}' y='{y}' text-anchor='end' fill='#1a5'>{a}</text>",
                XA - 6
            );
        }
        if last.1 != Some(b) {
            let _ = write!(s, "<text x='{}' y='{y}' fill='#1a5'>{b}</text>", XB + 6);
        }
        last = (Some(a), Some(b));
        let Some(step) = steps.get(i) else { continue };
        let y2 = y + ROW;
        match &step.arrow {
            Some(arrow) => {
                let (x1, x2) = if arrow.a_to_b { (XA, XB) } else { (XB, XA) };
                let (dash, colour, note) = match arrow.mark {
                    Mark::Delivered => ("", "#000", ""),
                    Mark::Lost => (" stroke-dasharray='4 3'", "#c33", " (lost)"),
                    Mark::Duplicated => (" stroke-dasharray='1 3'", "#36c", " (duplicated)"),
                };
                let stale = if arrow.stale { " OLD" } else { "" };
                let text = format!("{}{note}{stale}", arrow.text);
                let _ = write!(
                    s,
                    "<line class='segment' x1='{x1}' y1='{}' x2='{x2}' y2='{y2}' stroke='{colour}'{dash} \
                     marker-end='url(#arrow)'/><text x='270' y='{}' text-anchor='middle' \
                     fill='{colour}'>{}<title>{}</title></text>",
                    y + 6,
                    y + 10,
                    // Between the lifelines: 320 px, about 46 characters.
                    escape(&fit(&text, 46)),
                    escape(&text)
                );
            }
            None => {
                // Notes say which side they are about by its name.
                let label = match step.label.split_once(": ") {
                    Some(("A", rest)) => format!("{}: {rest}", lanes.a),
                    Some(("B", rest)) => format!("{}: {rest}", lanes.b),
                    _ => step.label.clone(),
                };
                let _ = write!(
                    s,
                    "<text class='note' x='270' y='{}' text-anchor='middle' fill='#555'>{}<title>{}</title></text>",
                    y + 14,
                    escape(&fit(&label, NOTE_CHARS)),
                    escape(&label)
                );
            }
        }
    }
    if top > 0 {
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

/// The chart as a Mermaid `sequenceDiagram`.
pub fn mermaid(start: (State, State), steps: &[Step]) -> String {
    mermaid_with(&Lifelines::default(), start, steps)
}

/// Mermaid front matter giving a diagram its title (mermaid 10 and later draw it above
/// the diagram): a YAML double-quoted string on one line.
pub fn mermaid_title(title: &str) -> String {
    let t: String = title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!(
        "---\ntitle: \"{}\"\n---\n",
        t.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

/// The chart as a Mermaid `sequenceDiagram` under a title (see [`svg_titled`]).
pub fn mermaid_titled(
    lanes: &Lifelines,
    title: &str,
    start: (State, State),
    steps: &[Step],
) -> String {
    mermaid_title(title) + &mermaid_with(lanes, start, steps)
}

/// The chart as a Mermaid `sequenceDiagram`, with named lifelines.
pub fn mermaid_with(lanes: &Lifelines, start: (State, State), steps: &[Step]) -> String {
    let clean = |t: &str| t.replace([';', '#'], " ");
    let mut s = String::from("sequenceDiagram\n");
    for (id, name) in [("A", &lanes.a), ("B", &lanes.b)] {
        if name == id {
            let _ = writeln!(s, "    participant {id}");
        } else {
            let _ = writeln!(
                s,
                "    participant {id} as {}",
                clean(name).replace(':', " ")
            );
        }
    }
    if lanes.a_states {
        let _ = writeln!(s, "    Note over A: {}", start.0);
    }
    let _ = writeln!(s, "    Note over B: {}", start.1);
    let mut last = start;
    for step in steps {
        match &step.arrow {
            Some(arrow) => {
                let (from, to) = if arrow.a_to_b { ("A", "B") } else { ("B", "A") };
                let (head, note) = match arrow.mark {
                    Mark::Delivered => ("->>", ""),
                    Mark::Lost => ("-x", " (lost)"),
                    Mark::Duplicated => ("-)", " (duplicated)"),
                };
                let stale = if arrow.stale { " OLD" } else { "" };
                let _ = writeln!(
                    s,
                    "    {from}{head}{to}: {}{note}{stale}",
                    clean(&arrow.text)
                );
            }
            None => match step.label.split_once(": ") {
                // A user call or timer on one side: note it over that side.
                Some((side @ ("A" | "B"), what)) => {
                    let _ = writeln!(s, "    Note over {side}: {}", clean(what));
                }
                _ => {
                    let _ = writeln!(s, "    Note over A,B: {}", clean(&step.label));
                }
            },
        }
        if lanes.a_states && step.a != last.0 {
            let _ = writeln!(s, "    Note over A: {}", step.a);
        }
        if step.b != last.1 {
            let _ = writeln!(s, "    Note over B: {}", step.b);
        }
        last = (step.a, step.b);
    }
    s
}
