//! BFS levels: states encoded compactly, back to back, in memory or in a file (`--disk`),
//! and the fingerprint that stands for a state in the visited set.

use super::disk::LevelFile;
use super::system::Sys;
use std::hash::BuildHasher;

/// States per chunk: the unit of work one thread expands, and of a level's index.
pub(super) const CHUNK: usize = 512;

/// One BFS level: its states encoded back to back (see [`encode`]), in memory or in a
/// file (`--disk`), and where every `CHUNK`-th one starts.
#[derive(Default)]
pub(super) struct Level {
    pub(super) bytes: Vec<u8>,
    pub(super) file: Option<LevelFile>,
    pub(super) starts: Vec<u64>,
    pub(super) len: usize,
}

impl Level {
    pub(super) fn size(&self) -> u64 {
        match &self.file {
            Some(f) => f.len(),
            None => self.bytes.len() as u64,
        }
    }

    /// Appends a state; only a file level can fail (a full disk).
    pub(super) fn push(&mut self, encoded: &[u8]) -> std::io::Result<()> {
        if self.len % CHUNK == 0 {
            self.starts.push(self.size());
        }
        match &mut self.file {
            Some(f) => f.append(encoded)?,
            None => self.bytes.extend_from_slice(encoded),
        }
        self.len += 1;
        Ok(())
    }

    /// Makes the level readable (writes what a file level still holds).
    pub(super) fn seal(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }

    pub(super) fn chunks(&self) -> usize {
        self.starts.len()
    }

    /// Copies chunk `c` into `out`.
    pub(super) fn read_chunk(&self, c: usize, out: &mut Vec<u8>) -> std::io::Result<()> {
        let from = self.starts[c];
        let to = self.starts.get(c + 1).copied().unwrap_or(self.size());
        match &self.file {
            Some(f) => f.read(from, to, out),
            None => {
                out.clear();
                out.extend_from_slice(&self.bytes[from as usize..to as usize]);
                Ok(())
            }
        }
    }

    pub(super) fn clear(&mut self) {
        self.bytes.clear();
        if let Some(f) = &mut self.file {
            f.clear();
        }
        self.starts.clear();
        self.len = 0;
    }
}

/// Appends the compact encoding of `s` to `out` (postcard: variable-length integers, so
/// a sequence number below 128 takes one byte). Equal states encode equally (the channel
/// is kept sorted), and distinct states distinctly.
pub fn encode(s: &Sys, out: &mut Vec<u8>) {
    *out = postcard::to_extend(s, std::mem::take(out)).expect("a state always encodes");
}

/// Decodes the first state of `bytes`, and the rest.
pub(super) fn decode(bytes: &[u8]) -> (Sys, &[u8]) {
    postcard::take_from_bytes(bytes).expect("a level holds only encoded states")
}

/// A 64-bit fingerprint of a state (foldhash, fixed seed: runs are repeatable). It
/// hashes the state itself: most successors are states seen before, and are dropped
/// without being encoded.
pub(super) fn fingerprint(s: &Sys) -> u64 {
    foldhash::quality::FixedState::with_seed(0x7cf5_1d2b).hash_one(s)
}
