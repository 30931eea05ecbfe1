//! TCP segments as the state machine sees them: sequence and acknowledgment numbers,
//! control bits, window, and the length of the text (the bytes themselves never matter
//! to connection management).

use serde::Serialize;
use std::fmt;

/// The control bits connection management reads (RFC 9293 §3.1). URG is not modelled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Flags(u8);

impl Flags {
    /// No flags.
    pub const NONE: Flags = Flags(0);
    /// FIN: no more data from sender; occupies one sequence number.
    pub const FIN: Flags = Flags(1);
    /// SYN: synchronize sequence numbers; occupies one sequence number.
    pub const SYN: Flags = Flags(2);
    /// RST: reset the connection.
    pub const RST: Flags = Flags(4);
    /// PSH: push function.
    pub const PSH: Flags = Flags(8);
    /// ACK: the acknowledgment field is significant.
    pub const ACK: Flags = Flags(16);

    /// Whether every bit of `other` is set here.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of two flag sets.
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// The raw bits (FIN=1, SYN=2, RST=4, PSH=8, ACK=16, as on the wire).
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Builds flags from raw wire bits; bits the model does not know are dropped.
    pub const fn from_bits(bits: u8) -> Flags {
        Flags(bits & 0x1f)
    }

    /// SYN set.
    pub const fn syn(self) -> bool {
        self.contains(Flags::SYN)
    }
    /// ACK set.
    pub const fn ack(self) -> bool {
        self.contains(Flags::ACK)
    }
    /// FIN set.
    pub const fn fin(self) -> bool {
        self.contains(Flags::FIN)
    }
    /// RST set.
    pub const fn rst(self) -> bool {
        self.contains(Flags::RST)
    }
    /// PSH set.
    pub const fn psh(self) -> bool {
        self.contains(Flags::PSH)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        self.union(rhs)
    }
}

/// packetdrill's notation: `S`, `S.`, `F.`, `FP.`, `P.`, `R`, `R.`, `.`; `-` for none.
impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 & !Flags::ACK.0 == 0 && !self.ack() {
            return f.write_str("-");
        }
        for (flag, c) in [
            (Flags::FIN, 'F'),
            (Flags::SYN, 'S'),
            (Flags::RST, 'R'),
            (Flags::PSH, 'P'),
        ] {
            if self.contains(flag) {
                write!(f, "{c}")?;
            }
        }
        if self.ack() {
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl Serialize for Flags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The TCP options connection management reads (RFC 9293 §3.1, RFC 7323, RFC 2018).
/// Options other than these are not modelled. The default is no options at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct TcpOptions {
    /// Maximum Segment Size (RFC 9293 §3.7.1); meaningful on a SYN only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mss: Option<u16>,
    /// Window Scale shift count (RFC 7323 §2); meaningful on a SYN only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wscale: Option<u8>,
    /// SACK-permitted (RFC 2018 §2); meaningful on a SYN only.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sack_permitted: bool,
    /// Timestamps (RFC 7323 §3): (TSval, TSecr).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<(u32, u32)>,
    /// SACK blocks (RFC 2018 §3), a D-SACK block (RFC 2883) first when there is one.
    #[serde(skip_serializing_if = "SackBlocks::is_empty")]
    pub sack: SackBlocks,
}

/// The blocks of a SACK option (RFC 2018 §3): at most 4, each `(left, right)`, the right
/// edge the sequence number just past the block. A fixed array, so segments stay `Copy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SackBlocks {
    len: u8,
    blocks: [(u32, u32); SackBlocks::MAX],
}

impl SackBlocks {
    /// The most blocks an option holds: 4 in the 40 bytes of option space (RFC 2018 §3).
    pub const MAX: usize = 4;

    /// No blocks (no SACK option).
    pub const NONE: SackBlocks = SackBlocks {
        len: 0,
        blocks: [(0, 0); SackBlocks::MAX],
    };

    /// The first [`SackBlocks::MAX`] of `blocks`, in order.
    pub fn new(blocks: &[(u32, u32)]) -> SackBlocks {
        let mut s = SackBlocks::NONE;
        for &b in blocks.iter().take(Self::MAX) {
            s.blocks[s.len as usize] = b;
            s.len += 1;
        }
        s
    }

    /// The blocks, in the order they go on the wire.
    pub fn as_slice(&self) -> &[(u32, u32)] {
        &self.blocks[..self.len as usize]
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Serialize for SackBlocks {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(s)
    }
}

impl TcpOptions {
    /// No options.
    pub const NONE: TcpOptions = TcpOptions {
        mss: None,
        wscale: None,
        sack_permitted: false,
        timestamps: None,
        sack: SackBlocks::NONE,
    };

    /// Whether no option is present.
    pub fn is_empty(&self) -> bool {
        *self == TcpOptions::NONE
    }
}

/// packetdrill's notation inside `<...>`: `mss 1460,sackOK,TS val 100 ecr 0,wscale 7`,
/// `TS val 100 ecr 7,sack 11:21 31:41` (no `nop`s: padding is not modelled).
impl fmt::Display for TcpOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(m) = self.mss {
            parts.push(format!("mss {m}"));
        }
        if self.sack_permitted {
            parts.push("sackOK".to_string());
        }
        if let Some((val, ecr)) = self.timestamps {
            parts.push(format!("TS val {val} ecr {ecr}"));
        }
        if let Some(w) = self.wscale {
            parts.push(format!("wscale {w}"));
        }
        if !self.sack.is_empty() {
            let blocks: Vec<String> = self
                .sack
                .as_slice()
                .iter()
                .map(|(l, r)| format!("{l}:{r}"))
                .collect();
            parts.push(format!("sack {}", blocks.join(" ")));
        }
        f.write_str(&parts.join(","))
    }
}

/// One segment. `len` counts text bytes only; SYN and FIN add to SEG.LEN (see [`Segment::seg_len`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Segment {
    /// SEG.SEQ
    pub seq: u32,
    /// SEG.ACK (meaningful only with the ACK flag)
    pub ack: u32,
    /// Control bits.
    pub flags: Flags,
    /// SEG.WND
    pub wnd: u32,
    /// Bytes of text carried.
    pub len: u32,
    /// TCP options (none unless a SYN negotiates some; never part of the checker's channel).
    #[serde(skip_serializing_if = "TcpOptions::is_empty")]
    pub opts: TcpOptions,
}

impl Segment {
    /// A segment with no text.
    pub fn control(flags: Flags, seq: u32, ack: u32, wnd: u32) -> Segment {
        Segment {
            seq,
            ack,
            flags,
            wnd,
            len: 0,
            opts: TcpOptions::NONE,
        }
    }

    /// SEG.LEN: the sequence space the segment occupies, counting SYN and FIN (RFC 9293 §3.4).
    pub fn seg_len(&self) -> u32 {
        self.len + u32::from(self.flags.syn()) + u32::from(self.flags.fin())
    }
}

/// `S. 0:0(0) ack 1 win 1000`, as in packetdrill scripts (absolute numbers).
impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = self.seq as u64 + self.len as u64;
        write!(f, "{} {}:{}({})", self.flags, self.seq, end, self.len)?;
        if self.flags.ack() {
            write!(f, " ack {}", self.ack)?;
        }
        write!(f, " win {}", self.wnd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_print_in_packetdrill_notation() {
        assert_eq!(Flags::SYN.to_string(), "S");
        assert_eq!((Flags::SYN | Flags::ACK).to_string(), "S.");
        assert_eq!((Flags::FIN | Flags::PSH | Flags::ACK).to_string(), "FP.");
        assert_eq!((Flags::RST | Flags::ACK).to_string(), "R.");
        assert_eq!(Flags::ACK.to_string(), ".");
        assert_eq!(Flags::NONE.to_string(), "-");
    }

    #[test]
    fn syn_and_fin_occupy_sequence_space() {
        let s = Segment::control(Flags::SYN | Flags::FIN, 0, 0, 0);
        assert_eq!(s.seg_len(), 2);
        let d = Segment {
            len: 5,
            ..Segment::control(Flags::ACK, 1, 1, 100)
        };
        assert_eq!(d.seg_len(), 5);
        assert_eq!(d.to_string(), ". 1:6(5) ack 1 win 100");
    }
}
