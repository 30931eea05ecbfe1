//! Runs larger than memory (`check --disk DIR`): BFS levels kept in files, and the
//! fingerprints of visited states spilled to a sorted file, as TLC's disk queue and
//! `DiskFPSet` do. What is explored, and in what order, does not change: only where it is
//! kept.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Fingerprints per page of the sorted file (4 KiB): one of every page stays in memory.
const PAGE: usize = 512;

/// A file in the run's directory, removed when dropped (also on a panic's unwinding).
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
    file: File,
}

impl Scratch {
    /// Creates (or empties) `name` in `dir`, unique to this process.
    pub fn create(dir: &Path, name: &str) -> std::io::Result<Scratch> {
        let path = dir.join(format!("tcpfsm-{}-{name}", std::process::id()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        Ok(Scratch { path, file })
    }
}

impl Scratch {
    /// Writes all of `bytes` at `offset`.
    pub fn write_at(&self, bytes: &[u8], offset: u64) -> std::io::Result<()> {
        self.file
            .write_all_at(bytes, offset)
            .map_err(|e| self.error("writing", e))
    }

    /// Fills `buf` from `offset`.
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| self.error("reading", e))
    }

    /// `e`, saying which file and what was being done.
    fn error(&self, doing: &str, e: std::io::Error) -> std::io::Error {
        std::io::Error::new(e.kind(), format!("{doing} {}: {e}", self.path.display()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A BFS level's encoded states in a file: appended in order by the merge, then read by
/// chunk, at known offsets, by any thread (`pread`).
#[derive(Debug)]
pub struct LevelFile {
    scratch: Scratch,
    pending: Vec<u8>,
    written: u64,
}

/// Bytes gathered before one write.
const WRITE_BATCH: usize = 1 << 20;

impl LevelFile {
    /// An empty level file `name` in `dir`.
    pub fn create(dir: &Path, name: &str) -> std::io::Result<LevelFile> {
        Ok(LevelFile {
            scratch: Scratch::create(dir, name)?,
            pending: Vec::new(),
            written: 0,
        })
    }

    /// Bytes in the level so far.
    pub fn len(&self) -> u64 {
        self.written + self.pending.len() as u64
    }

    /// Whether nothing was appended.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends bytes. An error (a full disk) is the caller's to stop on.
    pub fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= WRITE_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes what is pending; the level can then be read.
    pub fn flush(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.scratch
            .file
            .write_all_at(&self.pending, self.written)
            .map_err(|e| self.scratch.error("writing", e))?;
        self.written += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }

    /// Reads bytes `from..to` (after [`LevelFile::flush`]) into `out`.
    pub fn read(&self, from: u64, to: u64, out: &mut Vec<u8>) -> std::io::Result<()> {
        out.resize((to - from) as usize, 0);
        self.scratch
            .file
            .read_exact_at(out, from)
            .map_err(|e| self.scratch.error("reading", e))
    }

    /// Empties the level (the file keeps no blocks).
    pub fn clear(&mut self) {
        self.pending.clear();
        self.written = 0;
        let _ = self.scratch.file.set_len(0);
    }
}

/// Fingerprints of visited states in a sorted file, with the first of each page in memory:
/// a lookup reads one page.
#[derive(Debug)]
pub struct DiskSet {
    dir: PathBuf,
    scratch: Scratch,
    len: u64,
    firsts: Vec<u64>,
}

impl DiskSet {
    /// An empty set whose file lives in `dir`.
    pub fn create(dir: &Path) -> std::io::Result<DiskSet> {
        Ok(DiskSet {
            dir: dir.to_path_buf(),
            scratch: Scratch::create(dir, "visited")?,
            len: 0,
            firsts: Vec::new(),
        })
    }

    /// Fingerprints in the set.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `fp` is in the set. Any thread may ask.
    pub fn contains(&self, fp: u64) -> std::io::Result<bool> {
        let page = self.firsts.partition_point(|&f| f <= fp);
        if page == 0 {
            return Ok(false);
        }
        let page = page - 1;
        let from = page * PAGE;
        let n = (self.len as usize - from).min(PAGE);
        let mut buf = [0u8; PAGE * 8];
        self.scratch
            .file
            .read_exact_at(&mut buf[..n * 8], from as u64 * 8)
            .map_err(|e| self.scratch.error("reading", e))?;
        let at = |i: usize| u64::from_le_bytes(buf[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match at(mid).cmp(&fp) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(true),
            }
        }
        Ok(false)
    }

    /// Adds `fps` (none of them already in the set), merging them into a new sorted file.
    pub fn absorb(&mut self, fps: Vec<u64>) -> std::io::Result<()> {
        let path = self.scratch.path.clone();
        self.merge(fps)
            .map_err(|e| std::io::Error::new(e.kind(), format!("writing {}: {e}", path.display())))
    }

    fn merge(&mut self, mut fps: Vec<u64>) -> std::io::Result<()> {
        fps.sort_unstable();
        let next = Scratch::create(&self.dir, "visited.next")?;
        {
            let mut old = BufReader::new(&self.scratch.file);
            old.seek(SeekFrom::Start(0))?;
            let mut out = BufWriter::new(&next.file);
            let mut firsts = Vec::with_capacity((self.len as usize + fps.len()) / PAGE + 1);
            let mut written = 0usize;
            let mut put = |fp: u64, out: &mut BufWriter<&File>| -> std::io::Result<()> {
                if written % PAGE == 0 {
                    firsts.push(fp);
                }
                written += 1;
                out.write_all(&fp.to_le_bytes())
            };
            let mut new = fps.iter().copied().peekable();
            let mut word = [0u8; 8];
            for _ in 0..self.len {
                old.read_exact(&mut word)?;
                let fp = u64::from_le_bytes(word);
                while let Some(n) = new.next_if(|&n| n < fp) {
                    put(n, &mut out)?;
                }
                put(fp, &mut out)?;
            }
            for n in new {
                put(n, &mut out)?;
            }
            out.flush()?;
            self.firsts = firsts;
        }
        self.len += fps.len() as u64;
        std::fs::rename(&next.path, &self.scratch.path)?;
        // Keep the new file's handle; dropping `next` then closes the old one (its name
        // is gone: removing it fails quietly).
        let mut next = next;
        std::mem::swap(&mut self.scratch.file, &mut next.file);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("tcpfsm-disk-test-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_disk_set_finds_exactly_what_it_absorbed_across_merges() {
        let d = dir().join("set");
        std::fs::create_dir_all(&d).unwrap();
        let mut set = DiskSet::create(&d).unwrap();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut all = Vec::new();
        for round in 0..3 {
            let batch: Vec<u64> = (0..2000 + round * 700)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x
                })
                .collect();
            all.extend(&batch);
            set.absorb(batch).unwrap();
            assert_eq!(set.len(), all.len() as u64);
            for &fp in &all {
                assert!(set.contains(fp).unwrap(), "{fp:x} absorbed, not found");
            }
            for probe in [0, 1, u64::MAX, 12345] {
                assert_eq!(set.contains(probe).unwrap(), all.contains(&probe));
            }
        }
        drop(set);
        assert_eq!(
            std::fs::read_dir(&d).unwrap().count(),
            0,
            "files left behind"
        );
    }

    #[test]
    fn a_level_file_reads_back_what_was_appended() {
        let d = dir().join("level");
        std::fs::create_dir_all(&d).unwrap();
        let mut level = LevelFile::create(&d, "level").unwrap();
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        for piece in data.chunks(777) {
            level.append(piece).unwrap();
        }
        level.flush().unwrap();
        let mut out = Vec::new();
        level.read(1_000_000, 2_000_123, &mut out).unwrap();
        assert_eq!(out, &data[1_000_000..2_000_123]);
        level.clear();
        assert!(level.is_empty());
    }
}
