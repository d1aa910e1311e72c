//! The catalogue's view of files that a rescan may skip unseen by Python.
//!
//! A no-change rescan of a large library is dominated by moving rows and
//! walk entries into Python objects only to find them equal. `Unchanged`
//! holds `path -> (size, mtime_ns)` for catalogued files whose stored state
//! can be trusted (the query that fills it is the caller's, see
//! `vpo.db.files`), and [`Unchanged::filter`] drops the walked entries that
//! match exactly. Everything else (new, changed, racy, missing) goes on to
//! Python's diff, which decides what happens to it. Paths of the snapshot
//! never walked are [`Unchanged::unseen`]: candidates for "missing".
//!
//! SQLite is read through the system library, the same one Python's
//! `sqlite3` module uses (see `same_sqlite` in lib.rs): two copies of SQLite
//! in one process would release each other's POSIX locks.

use std::path::Path;
use std::time::Duration;

use hashbrown::HashTable;
use rusqlite::{Connection, OpenFlags};
use xxhash_rust::xxh3::xxh3_64;

use crate::batch::Batch;
use crate::pgcopy::{int8, CopyError, CopyReader, Tuple};

/// One catalogue row; its path is `paths[start..end]` of the snapshot.
#[derive(Debug)]
struct Row {
    start: usize,
    end: usize,
    size: u64,
    mtime_ns: i64,
    seen: bool,
}

/// Snapshot of trusted catalogue rows, marked off as the walk sees them.
///
/// Paths live back to back in one buffer and the table holds offsets, so
/// loading 100,000 rows costs a few allocations, not 100,000.
#[derive(Debug, Default)]
pub struct Unchanged {
    paths: Vec<u8>,
    rows: HashTable<Row>,
    unseen: usize,
    skipped: u64,
}

impl Unchanged {
    /// Read `(path BLOB, size INTEGER, mtime_ns INTEGER)` rows of `sql` (with
    /// blob parameters `params`) from the database at `db`, read-only.
    pub fn load(db: &Path, sql: &str, params: &[Vec<u8>]) -> rusqlite::Result<Unchanged> {
        let conn = open_catalogue(db)?;
        let mut stmt = conn.prepare(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut known = Unchanged::default();
        while let Some(row) = rows.next()? {
            let path = row.get_ref(0)?.as_blob()?;
            let size: i64 = row.get(1)?;
            let mtime_ns: i64 = row.get(2)?;
            // A negative size cannot match a file; leave such a row to Python.
            if let Ok(size) = u64::try_from(size) {
                known.insert(path, size, mtime_ns);
            }
        }
        Ok(known)
    }

    /// Add the rows completed by `chunk`, the next piece of a binary COPY of
    /// `(path bytea, size int8, mtime_ns int8)` (PostgreSQL's catalogue) read by
    /// `reader`; call `reader.finish()` after the last chunk.
    pub fn feed_copy(&mut self, reader: &mut CopyReader, chunk: &[u8]) -> Result<(), CopyError> {
        reader.feed(chunk, |tuple| self.copied_row(tuple))
    }

    fn copied_row(&mut self, tuple: &Tuple<'_>) -> Result<(), CopyError> {
        if tuple.len() != 3 {
            return Err(CopyError(format!(
                "a tuple of {} fields where (path, size, mtime_ns) was expected",
                tuple.len()
            )));
        }
        let (size, mtime_ns) = (int8(tuple.field(1))?, int8(tuple.field(2))?);
        // A NULL or a negative size cannot match a file; leave such a row to Python.
        if let (Some(path), Some(Ok(size)), Some(mtime_ns)) =
            (tuple.field(0), size.map(u64::try_from), mtime_ns)
        {
            self.insert(path, size, mtime_ns);
        }
        Ok(())
    }

    /// A snapshot from rows in memory (tests).
    pub fn from_rows<I: IntoIterator<Item = (Vec<u8>, u64, i64)>>(rows: I) -> Unchanged {
        let mut known = Unchanged::default();
        for (path, size, mtime_ns) in rows {
            known.insert(&path, size, mtime_ns);
        }
        known
    }

    /// Add a row; a path already present keeps its first row (paths are unique
    /// in the catalogue).
    fn insert(&mut self, path: &[u8], size: u64, mtime_ns: i64) {
        let hash = xxh3_64(path);
        let paths = &self.paths;
        if self
            .rows
            .find(hash, |r| &paths[r.start..r.end] == path)
            .is_some()
        {
            return;
        }
        let start = self.paths.len();
        self.paths.extend_from_slice(path);
        let row = Row {
            start,
            end: self.paths.len(),
            size,
            mtime_ns,
            seen: false,
        };
        let paths = &self.paths;
        self.rows
            .insert_unique(hash, row, |r| xxh3_64(&paths[r.start..r.end]));
        self.unseen += 1;
    }

    /// The entries of `batch` that do not match the snapshot exactly, as a
    /// new batch (errors kept). Every path seen is marked, matched or not, so
    /// what is left unmarked at the end was not found by the walk; a path seen
    /// a second time is never skipped.
    pub fn filter(&mut self, batch: Batch) -> Batch {
        if self.unseen == 0 {
            return batch;
        }
        let mut kept = Batch::with_capacity(batch.len() / 8 + 1);
        let paths = &self.paths;
        for (path, stat) in batch.files() {
            let same = match self
                .rows
                .find_mut(xxh3_64(path), |r| &paths[r.start..r.end] == path)
            {
                Some(row) if !row.seen => {
                    row.seen = true;
                    self.unseen -= 1;
                    row.size == stat.size && stat.mtime_ns_i64() == Some(row.mtime_ns)
                }
                _ => false,
            };
            if same {
                self.skipped += 1;
            } else {
                kept.push(path, *stat);
            }
        }
        kept.errors = batch.errors;
        kept
    }

    /// Entries dropped by [`filter`](Self::filter) so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Snapshot paths the walk has not seen (so far).
    pub fn unseen(&self) -> Vec<&[u8]> {
        self.rows
            .iter()
            .filter(|r| !r.seen)
            .map(|r| &self.paths[r.start..r.end])
            .collect()
    }

    /// Rows in the snapshot.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// The catalogue, read-only, its pages read into SQLite's own small cache and never
/// memory-mapped (whatever the SQLite build's default): the index's pages lie among the
/// table's, and the kernel maps the neighbours of each page faulted in, so a map made
/// the whole file resident (900 MB of a no-change rescan's peak at 1,000,000 files).
fn open_catalogue(db: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.pragma_update(None, "mmap_size", 0_i64)?;
    Ok(conn)
}

#[cfg(test)]
#[path = "known_tests.rs"]
mod tests;
