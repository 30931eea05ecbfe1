//! Sequence numbering: the script's numbers and the live ones. packetdrill's mapping, for
//! both stacks: the stack's ISN is the script's number 0 (or the number a `>` SYN line
//! gives it), so live local number = script number + offset; the peer's numbers are the
//! script's own.

use crate::transcript::{Wire, seconds};
use model::{Segment, State, Tcb};
use std::fmt::Write as _;

/// The mapping between script and live sequence numbers of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Numbering {
    /// live local sequence number = script number + offset.
    pub offset: u32,
    /// The ISN the offset was last set for.
    mapped_iss: Option<u32>,
    /// The kernel's RST,ACK numbers are relative like any other (its ABORT sends `R.` at
    /// SND.NXT); the model's always carry the literal of RFC 9293 §3.10.7.1.
    real: bool,
}

impl Numbering {
    /// A mapping with this offset until the stack's first SYN; `real` for the kernel.
    pub fn new(offset: u32, real: bool) -> Numbering {
        Numbering {
            offset,
            mapped_iss: None,
            real,
        }
    }

    /// An outbound segment's sequence number in the script's numbering: relative to the
    /// stack's ISN, except the literal zero of a RST,ACK that answers a segment without
    /// ACK (RFC 9293 §3.10.7.1 `<SEQ=0>`), which belongs to no ISN. (ABORT's RST,ACK, as
    /// Linux and FreeBSD send it, carries SND.NXT: relative.)
    pub fn script_seq(&self, seg: &Segment) -> u32 {
        if seg.flags.rst() && seg.flags.ack() && seg.seq == 0 {
            seg.seq
        } else {
            seg.seq.wrapping_sub(self.offset)
        }
    }

    /// A segment in the script's numbering (`outbound`: sent by the stack).
    pub fn wire_of(&self, seg: Segment, outbound: bool) -> Wire {
        let (seq, ack) = if outbound {
            (self.script_seq(&seg), seg.ack)
        } else {
            (seg.seq, seg.ack.wrapping_sub(self.offset))
        };
        let ack = if seg.flags.ack() { ack } else { 0 };
        let mut shown = Segment { seq, ack, ..seg };
        if !outbound {
            // Inbound SACK blocks acknowledge the stack's numbers, as `ack` does.
            let blocks: Vec<(u32, u32)> = seg
                .opts
                .sack
                .as_slice()
                .iter()
                .map(|&(l, r)| (l.wrapping_sub(self.offset), r.wrapping_sub(self.offset)))
                .collect();
            shown.opts.sack = model::SackBlocks::new(&blocks);
        }
        let mut text = shown.to_string();
        if !shown.opts.is_empty() {
            let _ = write!(text, " <{}>", shown.opts);
        }
        Wire {
            text,
            flags: seg.flags.to_string(),
            seq,
            ack,
            len: seg.len,
            win: seg.wnd,
            live: seg,
        }
    }

    /// A new ISN is number 0 until a `>` line says otherwise (packetdrill's mapping).
    pub fn map_isn(&mut self, seg: &Segment) {
        if seg.flags.syn() && self.mapped_iss != Some(seg.seq) {
            self.mapped_iss = Some(seg.seq);
            self.offset = seg.seq;
        }
    }

    /// A `>` SYN line numbers the stack's ISN `script`: live = script + offset.
    pub fn map_syn(&mut self, live: u32, script: u32) {
        self.offset = live.wrapping_sub(script);
    }

    /// An inbound acknowledgment number written in the script, live.
    pub fn live_ack(&self, script: u32) -> u32 {
        script.wrapping_add(self.offset)
    }
}

/// A TCB as the RFC names its variables: state, sequence variables (our numbers less
/// `offset`), queues and the timers running (in seconds).
pub fn describe_tcb(t: &Tcb, offset: u32) -> String {
    if matches!(t.state, State::Closed | State::Listen) {
        return format!(
            "{} ({:?}): no sequence numbers chosen yet",
            t.state, t.origin
        );
    }
    let l = |n: u32| n.wrapping_sub(offset);
    let mut s = format!(
        "{} ({:?}): ISS={} SND.UNA={} SND.NXT={} SND.WND={} IRS={} RCV.NXT={} RCV.WND={}",
        t.state,
        t.origin,
        l(t.iss),
        l(t.snd_una),
        l(t.snd_nxt),
        t.snd_wnd,
        t.irs,
        t.rcv_nxt,
        t.rcv_wnd
    );
    let _ = write!(s, " queued={} unread={}", t.send_queue, t.recv_queue);
    for (name, d) in [
        ("retransmit", t.timers.retransmit),
        ("2MSL", t.timers.time_wait),
        ("FIN-WAIT-2", t.timers.fin_wait_2),
    ] {
        if let Some(d) = d {
            let _ = write!(s, " {name}@{}", seconds(d));
        }
    }
    s
}
