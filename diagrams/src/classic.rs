//! The classic view laid out as RFC 9293 Figure 5 lays it out: every state at a fixed
//! place, every arrow of the figure routed as the figure routes it, every label on its
//! arrow, one font size, and the figure's notes. The output is a pure function of the
//! graph: byte-identical from run to run.
//!
//! Figure 5 (RFC 9293 §3.3.2) puts CLOSED at the top, LISTEN below it, SYN-RECEIVED and
//! SYN-SENT to the left and right, ESTABLISHED in the middle, FIN-WAIT-1 and FIN-WAIT-2 in
//! the left column, CLOSE-WAIT and LAST-ACK in the right one, CLOSING and TIME-WAIT in the
//! middle, and CLOSED a second time at the bottom right, where TIME-WAIT and LAST-ACK end.
//! Arrows the figure does not have (a profile's, a mutant's) are drawn straight between
//! their states, with the label at the middle.

use crate::{Edge, Kind};
use model::State;
use petgraph::graph::DiGraph;
use std::fmt::Write;

/// The one font size, in pixels.
const FONT: i32 = 13;
/// Approximate width of one character of the 13 px sans-serif font.
const CHAR_W: f64 = 7.2;
/// Line height of labels.
const LINE: i32 = 16;
/// Box half-width and half-height.
const HW: i32 = 66;
const HH: i32 = 20;
/// Canvas width.
const WIDTH: i32 = 1160;
/// Where the states start below the title.
const TOP: i32 = 56;

/// The columns and rows of the figure.
const LEFT: i32 = 200;
const MID: i32 = 580;
const RIGHT: i32 = 960;

/// A box: the state's name and its centre. `bottom` picks the lower CLOSED.
fn place(s: State, bottom: bool) -> (i32, i32) {
    use State::*;
    let (x, y) = match s {
        Closed if bottom => (RIGHT, 930),
        Closed => (MID, 20),
        Listen => (MID, 160),
        SynReceived => (LEFT, 320),
        SynSent => (RIGHT, 320),
        Established => (MID, 470),
        FinWait1 => (LEFT, 620),
        CloseWait => (RIGHT, 620),
        FinWait2 => (LEFT, 780),
        Closing => (MID, 780),
        LastAck => (RIGHT, 780),
        TimeWait => (MID, 930),
    };
    (x, y + TOP)
}

/// Whether an arrow into CLOSED from `from` ends at the lower CLOSED (as in the figure:
/// connections that were synchronized end there).
fn to_bottom_closed(from: State) -> bool {
    let (_, y) = place(from, false);
    y >= place(State::Established, false).1
}

/// How an arrow is drawn: its polyline, and where its label goes (`x`, `y` of the first
/// line's baseline, and the text anchor).
struct Route {
    points: Vec<(i32, i32)>,
    label: (i32, i32, &'static str),
}

/// Figure 5's route for an arrow, when the figure has it.
fn figure_route(from: State, to: State) -> Option<Route> {
    use State::*;
    let p = |s: State| place(s, false);
    let (cx, cy) = p(Closed);
    let (lx, ly) = p(Listen);
    let (rx, ry) = p(SynReceived);
    let (sx, sy) = p(SynSent);
    let (ex, ey) = p(Established);
    let (f1x, f1y) = p(FinWait1);
    let (cwx, cwy) = p(CloseWait);
    let (f2x, f2y) = p(FinWait2);
    let (gx, gy) = p(Closing);
    let (lax, lay) = p(LastAck);
    let (tx, ty) = p(TimeWait);
    let (bx, by) = place(Closed, true);
    let r =
        |points: Vec<(i32, i32)>, label: (i32, i32, &'static str)| Some(Route { points, label });
    match (from, to) {
        (Closed, Listen) => r(
            vec![(cx - 30, cy + HH), (lx - 30, ly - HH)],
            (cx - 40, cy + 52, "end"),
        ),
        (Listen, Closed) => r(
            vec![(lx + 30, ly - HH), (cx + 30, cy + HH)],
            (cx + 40, cy + 52, "start"),
        ),
        (Closed, SynSent) => r(
            vec![(cx + HW, cy - 8), (sx + 40, cy - 8), (sx + 40, sy - HH)],
            (sx + 50, cy + 70, "start"),
        ),
        (SynSent, Closed) => r(
            vec![(sx - 30, sy - HH), (sx - 30, cy + 8), (cx + HW, cy + 8)],
            (sx - 40, cy + 130, "end"),
        ),
        (Listen, SynSent) => r(
            vec![
                (lx + HW, ly + 10),
                (sx - 30, sy - HH - 40),
                (sx - 30, sy - HH),
            ],
            (lx + HW + 110, ly + 20, "start"),
        ),
        (Listen, SynReceived) => r(
            vec![
                (lx - HW, ly + 10),
                (rx + 30, ry - HH - 40),
                (rx + 30, ry - HH),
            ],
            (lx - HW - 110, ly + 20, "end"),
        ),
        (SynSent, SynReceived) => r(
            vec![(sx - HW, sy + 8), (rx + HW, ry + 8)],
            (MID, sy + 2 - LINE, "middle"),
        ),
        (SynReceived, Listen) => r(
            vec![(rx - 30, ry - HH), (rx - 30, ly), (lx - HW, ly)],
            ((rx + lx) / 2 - 30, ly - 8, "middle"),
        ),
        (SynReceived, Established) => r(
            vec![(rx + 40, ry + HH), (rx + 40, ey), (ex - HW, ey)],
            (rx + 52, ry + 78, "start"),
        ),
        (SynSent, Established) => r(
            vec![(sx - 40, sy + HH), (sx - 40, ey), (ex + HW, ey)],
            (sx - 52, sy + 78, "end"),
        ),
        (SynReceived, FinWait1) => r(
            vec![(rx - 40, ry + HH), (f1x - 40, f1y - HH)],
            (rx - 50, ry + 150, "end"),
        ),
        (Established, FinWait1) => r(
            vec![(ex - 30, ey + HH), (ex - 30, f1y), (f1x + HW, f1y)],
            (ex - 40, ey + 60, "end"),
        ),
        (Established, CloseWait) => r(
            vec![(ex + 30, ey + HH), (ex + 30, cwy), (cwx - HW, cwy)],
            (ex + 40, ey + 60, "start"),
        ),
        (FinWait1, FinWait2) => r(
            vec![(f1x - 30, f1y + HH), (f2x - 30, f2y - HH)],
            (f1x - 40, f1y + 72, "end"),
        ),
        (FinWait1, Closing) => r(
            vec![
                (f1x + 30, f1y + HH),
                (f1x + 30, f1y + 60),
                (gx, f1y + 60),
                (gx, gy - HH),
            ],
            (f1x + 160, f1y + 78, "start"),
        ),
        (CloseWait, LastAck) => r(
            vec![(cwx, cwy + HH), (lax, lay - HH)],
            (cwx + 10, cwy + 72, "start"),
        ),
        (FinWait2, TimeWait) => r(
            vec![(f2x, f2y + HH), (f2x, ty), (tx - HW, ty)],
            (f2x + 10, f2y + 80, "start"),
        ),
        (Closing, TimeWait) => r(
            vec![(gx, gy + HH), (tx, ty - HH)],
            (gx + 10, gy + 72, "start"),
        ),
        (LastAck, Closed) => r(
            vec![(lax, lay + HH), (bx, by - HH)],
            (lax + 10, lay + 72, "start"),
        ),
        // Not in Figure 5: what the mutants draw, routed clear of the figure's own arrows.
        // two-way-handshake: a listener opens on a bare SYN.
        (Listen, Established) => r(
            vec![(lx + 45, ly + HH), (ex + 45, ey - HH)],
            (lx + 55, ey - 70, "start"),
        ),
        // no-time-wait: FIN-WAIT-2 and CLOSING go straight to CLOSED.
        (FinWait2, Closed) => r(
            vec![
                (f2x - 40, f2y + HH),
                (f2x - 40, by + HH + 14),
                (bx - 40, by + HH + 14),
                (bx - 40, by + HH),
            ],
            (f2x - 30, by + HH - 12 - LINE, "start"),
        ),
        (Closing, Closed) => r(
            vec![
                (gx + 40, gy + HH),
                (gx + 40, ty - 44),
                (bx - 40, ty - 44),
                (bx - 40, by - HH),
            ],
            (gx + 50, gy + 50, "start"),
        ),
        (TimeWait, Closed) => r(
            vec![(tx + HW, ty), (bx - HW, by)],
            ((tx + bx) / 2, ty - 8 - LINE, "middle"),
        ),
        _ => None,
    }
}

/// A straight arrow between two boxes, for arrows Figure 5 does not have.
fn straight_route(a: (i32, i32), b: (i32, i32)) -> Route {
    let clip = |from: (i32, i32), to: (i32, i32)| {
        let (dx, dy) = ((to.0 - from.0) as f64, (to.1 - from.1) as f64);
        let tx = if dx == 0.0 {
            f64::INFINITY
        } else {
            HW as f64 / dx.abs()
        };
        let ty = if dy == 0.0 {
            f64::INFINITY
        } else {
            HH as f64 / dy.abs()
        };
        let t = tx.min(ty).min(1.0);
        (from.0 + (dx * t) as i32, from.1 + (dy * t) as i32)
    };
    let (p, q) = (clip(a, b), clip(b, a));
    Route {
        points: vec![p, q],
        label: ((p.0 + q.0) / 2 + 8, (p.1 + q.1) / 2, "start"),
    }
}

fn escape(s: &str) -> String {
    model::msc::escape(s).replace('"', "&quot;")
}

/// Words wrapped into lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// RFC 9293 Figure 5's notes, as the RFC words them.
const NOTES: [&str; 3] = [
    "note 1: The transition from SYN-RECEIVED to LISTEN on receiving a RST is conditional on \
     having reached SYN-RECEIVED after a passive OPEN.",
    "note 2: The figure omits a transition from FIN-WAIT-1 to TIME-WAIT if a FIN is received \
     and the local FIN is also acknowledged.",
    "note 3: A RST can be sent from any state with a corresponding transition to TIME-WAIT \
     (see RFC 1337 for rationale). These transitions are not explicitly shown; otherwise, the \
     diagram would become very difficult to read. Similarly, receipt of a RST from any state \
     with a corresponding transition to CLOSED is also omitted for clarity.",
];

fn colour(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Client => ("#1f5fbf", ""),
        Kind::Server => ("#1d8a3c", ""),
        Kind::Other => ("#333333", ""),
        Kind::Reset => ("#c0392b", " stroke-dasharray='6 4'"),
        Kind::Timeout => ("#6f6f6f", " stroke-dasharray='2 3'"),
        Kind::Stay => ("#aaaaaa", ""),
    }
}

/// The classic view as SVG, laid out as Figure 5.
pub fn svg(g: &DiGraph<State, Edge>, title: &str) -> String {
    let notes: Vec<String> = NOTES
        .iter()
        .flat_map(|n| wrap(n, (f64::from(WIDTH - 40) / CHAR_W) as usize))
        .collect();
    let notes_top = place(State::Closed, true).1 + HH + 48;
    let height = notes_top + LINE * notes.len() as i32 + 16;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' \
         viewBox='0 0 {WIDTH} {height}' font-family='Helvetica, Arial, sans-serif' \
         font-size='{FONT}'>\
         <defs>"
    );
    for (id, fill) in [
        ("client", "#1f5fbf"),
        ("server", "#1d8a3c"),
        ("other", "#333333"),
        ("reset", "#c0392b"),
        ("timeout", "#6f6f6f"),
        ("highlight", "#e67e22"),
    ] {
        let _ = write!(
            s,
            "<marker id='head-{id}' markerWidth='10' markerHeight='8' refX='9' refY='4' \
             orient='auto' markerUnits='userSpaceOnUse'><polygon points='0 0, 10 4, 0 8' \
             fill='{fill}'/></marker>"
        );
    }
    s.push_str("</defs><rect width='100%' height='100%' fill='white'/>");
    let _ = write!(
        s,
        "<text class='title' x='{}' y='24' text-anchor='middle' font-weight='bold'>{}</text>",
        WIDTH / 2,
        escape(title)
    );
    // Arrows first, so boxes and labels are drawn over them.
    let mut labels = String::new();
    for e in g.edge_indices() {
        let Some((a, b)) = g.edge_endpoints(e) else {
            continue;
        };
        let (from, to) = (g[a], g[b]);
        let edge = &g[e];
        if from == to {
            continue; // the classic view has no staying rows
        }
        let bottom = to == State::Closed && to_bottom_closed(from);
        let route = figure_route(from, to)
            .unwrap_or_else(|| straight_route(place(from, false), place(to, bottom)));
        let (col, dash) = colour(edge.kind);
        let (stroke, width, head) = if edge.highlight {
            ("#e67e22", 4, "highlight".to_string())
        } else {
            let w = if matches!(edge.kind, Kind::Client | Kind::Server) {
                2
            } else {
                1
            };
            (col, w, format!("{:?}", edge.kind).to_lowercase())
        };
        let points: Vec<String> = route
            .points
            .iter()
            .map(|(x, y)| format!("{x},{y}"))
            .collect();
        let _ = write!(
            s,
            "<polyline class='edge' data-from='{}' data-to='{}' points='{}' fill='none' \
             stroke='{stroke}' stroke-width='{width}'{dash} marker-end='url(#head-{head})'/>",
            from.id(),
            to.id(),
            points.join(" ")
        );
        // A label is its rows' labels, each as the figure writes it: the event, then
        // what is done.
        let mut lines: Vec<String> = Vec::new();
        for l in &edge.labels {
            match l.split_once(" / ") {
                Some((ev, act)) => {
                    lines.push(format!("{ev} /"));
                    lines.push(act.to_string());
                }
                None => lines.push(l.clone()),
            }
        }
        let (lx, ly, anchor) = route.label;
        let _ = write!(
            labels,
            "<text class='label' data-from='{}' data-to='{}' x='{lx}' y='{ly}' \
             text-anchor='{anchor}' fill='{col}' stroke='white' stroke-width='3' \
             paint-order='stroke'>",
            from.id(),
            to.id()
        );
        for (i, line) in lines.iter().enumerate() {
            let _ = write!(
                labels,
                "<tspan x='{lx}' dy='{}'>{}</tspan>",
                if i == 0 { 0 } else { LINE },
                escape(line)
            );
        }
        labels.push_str("</text>");
    }
    // The states: CLOSED twice, as in the figure.
    let mut boxes: Vec<(State, bool)> = g.node_weights().map(|&st| (st, false)).collect();
    boxes.push((State::Closed, true));
    for (st, bottom) in boxes {
        let (x, y) = place(st, bottom);
        let _ = write!(
            s,
            "<rect class='state' x='{}' y='{}' width='{}' height='{}' rx='6' fill='#f7f7f7' \
             stroke='#222' stroke-width='1.5'/><text class='state' x='{x}' y='{}' \
             text-anchor='middle' font-weight='bold'>{}</text>",
            x - HW,
            y - HH,
            2 * HW,
            2 * HH,
            y + FONT / 2 - 1,
            st.rfc_name()
        );
    }
    s.push_str(&labels);
    for (i, line) in notes.iter().enumerate() {
        let _ = write!(
            s,
            "<text class='note' x='20' y='{}' fill='#444'>{}</text>",
            notes_top + LINE * i as i32,
            escape(line)
        );
    }
    s.push_str("</svg>\n");
    s
}
