//! The visited set: which states a run has seen, as 64-bit fingerprints (or ids hashed by
//! fingerprint, with the liveness graph or `--exact`), and append-only blocks for the
//! per-state data a run keeps (parents, steps).

use super::disk::{DiskSet, Scratch};
use hashbrown::HashTable;
use std::path::Path;
use std::sync::OnceLock;

/// A successor no earlier level has.
pub(super) const NEW: u32 = u32::MAX;

/// A successor an earlier level has, whose id is not kept (a safety run keeps none, and
/// a spilled fingerprint has none).
pub(super) const KNOWN: u32 = u32::MAX - 1;

/// An item [`Blocks`] can keep in a file: little-endian, fixed size.
pub(super) trait Word: Copy {
    /// Bytes per item.
    const SIZE: usize;
    /// Appends the item's bytes.
    fn put(self, out: &mut Vec<u8>);
    /// The item from exactly `SIZE` bytes.
    fn take(bytes: &[u8]) -> Self;
}

macro_rules! word {
    ($($t:ty),*) => {$(
        impl Word for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn take(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("SIZE bytes"))
            }
        }
    )*};
}
word!(u16, u32, u64);

/// An append-only vector in blocks of 2^20 items, each allocated at its final size:
/// growing it never copies, and at most one block is partly empty (a `Vec` doubles, so
/// its peak can be three times its contents while it grows). With `--disk`, full blocks
/// move to a file ([`Blocks::spill`]) and are read back an item at a time.
pub(super) struct Blocks<T> {
    pub(super) blocks: Vec<Vec<T>>,
    /// Blocks `0..spilled` are in `file` (their vectors are empty).
    spilled: usize,
    file: Option<Scratch>,
}

impl<T: Word> Blocks<T> {
    const BLOCK: usize = 1 << 20;

    pub(super) fn new() -> Self {
        Blocks {
            blocks: Vec::new(),
            spilled: 0,
            file: None,
        }
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

    /// Item `i` of a `Blocks` that is never spilled (the visited set's fingerprints).
    pub(super) fn at(&self, i: usize) -> T {
        debug_assert!(self.file.is_none());
        self.blocks[i / Self::BLOCK][i % Self::BLOCK]
    }

    /// Item `i`, read back from the file if its block was spilled.
    pub(super) fn get(&self, i: usize) -> std::io::Result<T> {
        let (b, at) = (i / Self::BLOCK, i % Self::BLOCK);
        match &self.file {
            Some(f) if b < self.spilled => {
                let mut buf = [0u8; 8];
                let buf = &mut buf[..T::SIZE];
                f.read_at(buf, (i * T::SIZE) as u64)?;
                Ok(T::take(buf))
            }
            _ => Ok(self.blocks[b][at]),
        }
    }

    /// Moves every full block to a file named `name` in `dir` (created on first use),
    /// freeing its memory.
    pub(super) fn spill(&mut self, dir: &Path, name: &str) -> std::io::Result<()> {
        let full = self.spilled
            + self.blocks[self.spilled..]
                .iter()
                .take_while(|b| b.len() == Self::BLOCK)
                .count();
        if full <= self.spilled {
            return Ok(());
        }
        if self.file.is_none() {
            self.file = Some(Scratch::create(dir, name)?);
        }
        let file = self.file.as_ref().expect("created above");
        let mut bytes = Vec::with_capacity(Self::BLOCK * T::SIZE);
        for b in self.spilled..full {
            bytes.clear();
            for &x in &self.blocks[b] {
                x.put(&mut bytes);
            }
            file.write_at(&bytes, (b * Self::BLOCK * T::SIZE) as u64)?;
            self.blocks[b] = Vec::new();
            self.spilled = b + 1;
        }
        Ok(())
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
        self.fps.at(i) == fp
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
        index[shard(fp)].insert_unique(fp, id, |&i| fps.at((i - *base) as usize));
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
                let fp = level.fps.at(i);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spilled_blocks_read_back_what_was_pushed_and_free_their_memory() {
        let dir = std::env::temp_dir().join(format!("tcpfsm-blocks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut parents = Blocks::<u32>::new();
        let mut steps = Blocks::<u16>::new();
        let n = (5 << 20) / 2;
        for i in 0..n {
            parents.push(i as u32 ^ 0x5a5a_5a5a);
            steps.push(i as u16 ^ 0x1234);
            if i == 3 << 19 {
                parents.spill(&dir, "parents").unwrap();
                steps.spill(&dir, "steps").unwrap();
            }
        }
        parents.spill(&dir, "parents").unwrap();
        steps.spill(&dir, "steps").unwrap();
        assert_eq!(parents.spilled, 2, "the full blocks, not the partial one");
        assert!(parents.blocks[..2].iter().all(|b| b.capacity() == 0));
        for i in (0..n)
            .step_by(997)
            .chain([0, (1 << 20) - 1, 1 << 20, n - 1])
        {
            assert_eq!(parents.get(i).unwrap(), i as u32 ^ 0x5a5a_5a5a, "{i}");
            assert_eq!(steps.get(i).unwrap(), i as u16 ^ 0x1234, "{i}");
        }
        drop((parents, steps));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "files removed");
    }
}
