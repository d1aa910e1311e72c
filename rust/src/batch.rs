//! What the walker hands over: a [`Batch`] of files (paths back to back in one
//! buffer, with their [`FileStat`]) and the [`WalkError`]s met on the way.

use std::fs::Metadata;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// What the walker reports about a file: the fields of its `stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    pub size: u64,
    /// Seconds part of the modification time (negative before 1970).
    pub mtime_sec: i64,
    /// Nanoseconds part of the modification time, `0..1_000_000_000`.
    pub mtime_nsec: u32,
    pub dev: u64,
    pub ino: u64,
}

impl FileStat {
    pub fn from_metadata(m: &Metadata) -> FileStat {
        FileStat {
            size: m.size(),
            mtime_sec: m.mtime(),
            mtime_nsec: m.mtime_nsec() as u32,
            dev: m.dev(),
            ino: m.ino(),
        }
    }

    /// Modification time in nanoseconds since the epoch, if it fits an `i64`
    /// (it does for years 1678..2261).
    #[inline]
    pub fn mtime_ns_i64(&self) -> Option<i64> {
        self.mtime_sec
            .checked_mul(1_000_000_000)?
            .checked_add(i64::from(self.mtime_nsec))
    }

    /// Modification time in nanoseconds since the epoch, full range.
    pub fn mtime_ns(&self) -> i128 {
        i128::from(self.mtime_sec) * 1_000_000_000 + i128::from(self.mtime_nsec)
    }
}

/// A directory or root that could not be read (or a file that could not be
/// stat'ed for a reason other than having vanished).
#[derive(Debug)]
pub struct WalkError {
    pub path: PathBuf,
    pub error: io::Error,
}

/// A batch of results. Paths are stored back to back in one buffer, so a
/// batch costs a handful of allocations however many files it holds.
#[derive(Debug, Default)]
pub struct Batch {
    pub(crate) paths: Vec<u8>,
    /// `(end offset of the path in `paths`, stat)`; a path starts where the
    /// previous one ends.
    pub(crate) files: Vec<(usize, FileStat)>,
    pub errors: Vec<WalkError>,
}

impl Batch {
    pub(crate) fn with_capacity(files: usize) -> Batch {
        Batch {
            paths: Vec::with_capacity(files * 96),
            files: Vec::with_capacity(files),
            errors: Vec::new(),
        }
    }

    /// Number of files in the batch.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when the batch holds neither files nor errors.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.errors.is_empty()
    }

    /// The files: `(absolute path bytes, stat)`.
    pub fn files(&self) -> Files<'_> {
        Files {
            paths: &self.paths,
            start: 0,
            inner: self.files.iter(),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, path: &[u8], stat: FileStat) {
        self.paths.extend_from_slice(path);
        self.files.push((self.paths.len(), stat));
    }
}

/// Iterator over the files of a [`Batch`].
pub struct Files<'a> {
    paths: &'a [u8],
    start: usize,
    inner: std::slice::Iter<'a, (usize, FileStat)>,
}

impl<'a> Iterator for Files<'a> {
    type Item = (&'a [u8], &'a FileStat);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let (end, stat) = self.inner.next()?;
        let path = &self.paths[self.start..*end];
        self.start = *end;
        Some((path, stat))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Files<'_> {}
