//! The visited set: which states a run has seen, as 64-bit fingerprints (or ids hashed by
//! fingerprint, with the liveness graph or `--exact`), and append-only blocks for the
//! per-state data a run keeps (parents, steps).

use super::disk::DiskSet;
use hashbrown::HashTable;
use std::sync::OnceLock;

/// A successor no earlier level has.
pub(super) const NEW: u32 = u32::MAX;

/// A successor an earlier level has, whose id is not kept (a safety run keeps none, and
/// a spilled fingerprint has none).
pub(super) const KNOWN: u32 = u32::MAX - 1;

/// An append-only vector in blocks of 2^20 items, each allocated at its final size:
/// growing it never copies, and at most one block is partly empty (a `Vec` doubles, so
/// its peak can be three times its contents while it grows).
pub(super) struct Blocks<T> {
    pub(super) blocks: Vec<Vec<T>>,
}

impl<T: Copy> Blocks<T> {
    const BLOCK: usize = 1 << 20;

    pub(super) fn new() -> Self {
        Blocks { blocks: Vec::new() }
    }

    pub(super) fn push(&mut self, x: T) {
        match self.blocks.last_mut() {
            Some(b) if b.len() < Self::BLOCK => b.push(x),
            _ => {
                let mut b = Vec::with_capacity(Self::BLOCK);
                b.push(x);
                self.blocks.push(b);
            }
        }
    }

    pub(super) fn get(&self, i: usize) -> T {
        self.blocks[i / Self::BLOCK][i % Self::BLOCK]
    }
}

/// Shards of the visited tables, by a fingerprint's top bits: each grows on its own, so
/// a resize briefly holds one shard twice, not the whole table.
const SHARDS: usize = 64;

fn shard(fp: u64) -> usize {
    (fp >> 58) as usize
}

/// Visited states `base..base + len`: with ids kept (for the liveness graph, or
/// `--exact`), their fingerprints by id and a table of ids hashed by fingerprint; for
/// safety alone, a set of fingerprints (one probe, 8 bytes a slot).
pub(super) struct Visited {
    pub(super) exact: bool,
    ids: bool,
    pub(super) base: u32,
    pub(super) len: u32,
    /// Fingerprints by id (with ids).
    fps: Blocks<u64>,
    /// Ids, hashed by their fingerprint in `fps`: growing the table never hashes a state
    /// again (no rehash stall), and a slot costs 4 bytes.
    index: Vec<HashTable<u32>>,
    /// Fingerprints (without ids); a fingerprint is its own hash.
    set: Vec<HashTable<u64>>,
    /// With `--exact`: each state's encoding, and where each starts.
    store: Vec<u8>,
    store_at: Vec<usize>,
    /// With `--disk`: the fingerprints of states before `base`.
    pub(super) disk: Option<DiskSet>,
    /// The first error reading the disk set: lookups go on (as misses), and the run
    /// stops at its next merge.
    pub(super) failure: OnceLock<String>,
}

impl Visited {
    pub(super) fn new(exact: bool, ids: bool) -> Visited {
        Visited {
            exact,
            ids: ids || exact,
            base: 0,
            len: 0,
            fps: Blocks::new(),
            index: (0..SHARDS).map(|_| HashTable::new()).collect(),
            set: (0..SHARDS).map(|_| HashTable::new()).collect(),
            store: Vec::new(),
            store_at: Vec::new(),
            disk: None,
            failure: OnceLock::new(),
        }
    }

    /// The id the next new state gets.
    pub(super) fn end(&self) -> u32 {
        self.base + self.len
    }

    fn same(&self, i: u32, fp: u64, encoded: &[u8]) -> bool {
        let i = (i - self.base) as usize;
        self.fps.get(i) == fp
            && (!self.exact || {
                let end = self
                    .store_at
                    .get(i + 1)
                    .copied()
                    .unwrap_or(self.store.len());
                &self.store[self.store_at[i]..end] == encoded
            })
    }

    /// The state's id if it was visited ([`KNOWN`] where ids are not kept).
    pub(super) fn get(&self, fp: u64, encoded: &[u8]) -> Option<u32> {
        let found = if self.ids {
            self.index[shard(fp)]
                .find(fp, |&i| self.same(i, fp, encoded))
                .copied()
        } else {
            self.set[shard(fp)].find(fp, |&f| f == fp).map(|_| KNOWN)
        };
        found.or_else(|| {
            let disk = self.disk.as_ref()?;
            match disk.contains(fp) {
                Ok(found) => found.then_some(KNOWN),
                Err(e) => {
                    let _ = self.failure.set(e.to_string());
                    None
                }
            }
        })
    }

    /// Moves the fingerprints held in memory to the disk set, freeing their memory. On an
    /// error (a full disk) the set is no longer whole: the run must stop.
    pub(super) fn spill(&mut self) -> std::io::Result<()> {
        let Some(disk) = &mut self.disk else {
            return Ok(());
        };
        let fps = if self.ids {
            self.index.iter_mut().for_each(|t| *t = HashTable::new());
            let fps = std::mem::replace(&mut self.fps, Blocks::new());
            fps.blocks.into_iter().flatten().collect()
        } else {
            let mut fps = Vec::with_capacity(self.len as usize);
            for t in &mut self.set {
                fps.extend(std::mem::take(t));
            }
            fps
        };
        self.base += self.len;
        self.len = 0;
        disk.absorb(fps)
    }

    /// Adds a state not yet visited, as id `end()`.
    pub(super) fn add(&mut self, fp: u64, encoded: &[u8]) -> u32 {
        let id = self.end();
        assert!(id < KNOWN, "under 2^32 - 2 states");
        self.len += 1;
        if self.ids {
            self.fps.push(fp);
            self.insert_id(fp, id);
        } else {
            self.set[shard(fp)].insert_unique(fp, fp, |&f| f);
        }
        if self.exact {
            self.store_at.push(self.store.len());
            self.store.extend_from_slice(encoded);
        }
        id
    }

    fn insert_id(&mut self, fp: u64, id: u32) {
        let Visited {
            base, fps, index, ..
        } = self;
        index[shard(fp)].insert_unique(fp, id, |&i| fps.get((i - *base) as usize));
    }

    /// The state's id, and whether it is new (then it was added, as id `end()`).
    pub(super) fn visit(&mut self, fp: u64, encoded: &[u8]) -> (u32, bool) {
        match self.get(fp, encoded) {
            Some(id) => (id, false),
            None => (self.add(fp, encoded), true),
        }
    }

    /// Takes over `level`'s states (the ids that follow ours), leaving it empty and based
    /// after them.
    pub(super) fn absorb(&mut self, level: &mut Visited) {
        debug_assert_eq!(level.base, self.end());
        if self.ids {
            for i in 0..level.len as usize {
                let fp = level.fps.get(i);
                let id = self.end();
                self.len += 1;
                self.fps.push(fp);
                self.insert_id(fp, id);
            }
        } else {
            for (mine, theirs) in self.set.iter_mut().zip(&level.set) {
                mine.reserve(theirs.len(), |&f| f);
                for &fp in theirs {
                    mine.insert_unique(fp, fp, |&f| f);
                }
            }
            self.len += level.len;
        }
        if self.exact {
            let shift = self.store.len();
            self.store_at
                .extend(level.store_at.iter().map(|&a| a + shift));
            self.store.extend_from_slice(&level.store);
        }
        level.base = self.end();
        level.len = 0;
        level.fps = Blocks::new();
        level.index.iter_mut().for_each(HashTable::clear);
        level.set.iter_mut().for_each(HashTable::clear);
        level.store.clear();
        level.store_at.clear();
    }
}
