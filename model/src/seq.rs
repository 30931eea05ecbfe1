//! Sequence-number arithmetic (RFC 9293 §3.4) in a space of configurable size.
//!
//! Real TCP counts modulo 2^32. The model checker uses a small space so that an old
//! segment can land inside a new connection's window, which is what makes the
//! stale-segment properties falsifiable.

use serde::Serialize;
use std::fmt;

/// A sequence-number space of `modulus` values; all comparisons are modular.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SeqSpace {
    modulus: u64,
}

/// Why a sequence space cannot be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeqSpaceError(pub u64);

impl fmt::Display for SeqSpaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sequence space {} is out of range: it must be between {} and 2^32",
            self.0,
            SeqSpace::MIN
        )
    }
}

impl std::error::Error for SeqSpaceError {}

impl SeqSpace {
    /// The real TCP space, 2^32.
    pub const TCP: SeqSpace = SeqSpace { modulus: 1 << 32 };
    /// The smallest space that still tells "before" from "after" for a SYN, a FIN and a byte.
    pub const MIN: u64 = 4;

    /// A space of `modulus` sequence numbers.
    pub fn new(modulus: u64) -> Result<Self, SeqSpaceError> {
        if (Self::MIN..=1 << 32).contains(&modulus) {
            Ok(SeqSpace { modulus })
        } else {
            Err(SeqSpaceError(modulus))
        }
    }

    /// How many sequence numbers the space holds.
    pub fn modulus(self) -> u64 {
        self.modulus
    }

    /// Reduces any integer into the space.
    pub fn wrap(self, x: u64) -> u32 {
        (x % self.modulus) as u32
    }

    /// `a + n` modulo the space.
    pub fn add(self, a: u32, n: u32) -> u32 {
        self.wrap(a as u64 + n as u64)
    }

    /// The distance from `b` forward to `a`: `a - b` modulo the space.
    pub fn sub(self, a: u32, b: u32) -> u32 {
        ((a as u64 + self.modulus - (b as u64 % self.modulus)) % self.modulus) as u32
    }

    /// `a < b` in the sense of RFC 9293 §3.4 (serial-number arithmetic): `b` lies less than
    /// half the space ahead of `a`.
    pub fn lt(self, a: u32, b: u32) -> bool {
        let d = self.sub(b, a) as u64;
        d != 0 && d < self.modulus / 2
    }

    /// `a <= b` in serial-number arithmetic.
    pub fn le(self, a: u32, b: u32) -> bool {
        a == b || self.lt(a, b)
    }

    /// `lo <= x < lo + len`, the window test of RFC 9293 §3.10.7.4.
    pub fn in_window(self, lo: u32, x: u32, len: u32) -> bool {
        (self.sub(x, lo) as u64) < len as u64
    }

    /// `lo < x <= hi`, the range test used for acceptable ACKs (SND.UNA < SEG.ACK =< SND.NXT).
    pub fn in_open_closed(self, lo: u32, x: u32, hi: u32) -> bool {
        let d = self.sub(x, lo);
        d != 0 && d <= self.sub(hi, lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addition_wraps_at_the_modulus() {
        let s = SeqSpace::new(8).unwrap();
        assert_eq!(s.add(7, 1), 0);
        assert_eq!(s.add(6, 5), 3);
        assert_eq!(SeqSpace::TCP.add(u32::MAX, 2), 1);
    }

    #[test]
    fn comparison_is_modular() {
        let s = SeqSpace::new(8).unwrap();
        assert!(s.lt(7, 1));
        assert!(!s.lt(1, 7));
        assert!(s.le(3, 3));
        assert!(SeqSpace::TCP.lt(u32::MAX - 1, 3));
    }

    #[test]
    fn window_test_wraps() {
        let s = SeqSpace::new(8).unwrap();
        assert!(s.in_window(6, 7, 3));
        assert!(s.in_window(6, 0, 3));
        assert!(!s.in_window(6, 1, 3));
        assert!(!s.in_window(6, 6, 0));
    }

    #[test]
    fn ack_range_excludes_the_lower_bound() {
        let s = SeqSpace::new(16).unwrap();
        assert!(!s.in_open_closed(15, 15, 1));
        assert!(s.in_open_closed(15, 0, 1));
        assert!(s.in_open_closed(15, 1, 1));
        assert!(!s.in_open_closed(15, 2, 1));
    }

    #[test]
    fn spaces_outside_the_range_are_refused() {
        assert_eq!(SeqSpace::new(3), Err(SeqSpaceError(3)));
        assert!(SeqSpace::new((1 << 32) + 1).is_err());
        assert!(SeqSpace::new(1 << 32).is_ok());
    }
}
