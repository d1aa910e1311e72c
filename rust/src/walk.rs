//! Parallel directory walker. No PyO3 here: `lib.rs` adapts it to Python.
//!
//! [`Walk::start`] spawns a background thread that owns a dedicated rayon pool.
//! Every directory read is one task in a `rayon::scope`; subdirectories spawn
//! new tasks. Matching regular files are stat'ed (without following symlinks)
//! and collected into [`Batch`]es of at most `batch_size` files, which are sent
//! over a bounded channel, so the consumer starts work before the walk ends
//! and memory stays bounded by `queue_depth` batches (plus one per worker).
//!
//! Paths are raw bytes (`OsStr` bytes on unix), never decoded. Roots are made
//! absolute against the current directory but not canonicalised.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::{self, Metadata};
use std::io;
use std::mem;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Settings of one walk.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// File extensions to yield, without the dot (a leading dot is stripped),
    /// matched ASCII-case-insensitively against the final extension of a name.
    pub extensions: Vec<String>,
    /// Follow symlinks to files and directories (directories are visited at
    /// most once, by `(dev, ino)`, so links to ancestors cannot loop).
    pub follow_symlinks: bool,
    /// Skip files and directories whose name starts with `.` (roots excepted).
    pub skip_hidden: bool,
    /// Maximum number of files in one batch.
    pub batch_size: usize,
    /// Worker threads; 0 lets rayon decide (`RAYON_NUM_THREADS` or one per CPU).
    pub threads: usize,
    /// Full batches that may wait in the channel before the workers block.
    pub queue_depth: usize,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            extensions: Vec::new(),
            follow_symlinks: false,
            skip_hidden: true,
            batch_size: 2048,
            threads: 0,
            queue_depth: 4,
        }
    }
}

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
    paths: Vec<u8>,
    /// `(end offset of the path in `paths`, stat)`; a path starts where the
    /// previous one ends.
    files: Vec<(usize, FileStat)>,
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

/// Outcome of waiting for the next batch.
#[derive(Debug)]
pub enum Recv {
    Batch(Batch),
    /// Nothing arrived within the timeout; the walk is still running.
    Pending,
    /// The walk is over and every batch has been handed out (or it was closed).
    Finished,
}

/// A running walk. Dropping it cancels the walk and joins its thread.
pub struct Walk {
    rx: Option<Receiver<Batch>>,
    cancel: Arc<AtomicBool>,
    sent: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Walk {
    /// Validate the options and start walking `roots` in the background.
    ///
    /// Fails with `ErrorKind::InvalidInput` for bad options (no extensions, an
    /// extension with a dot or slash inside, `batch_size == 0`), or with the
    /// error of creating the thread pool or thread. Problems with the roots
    /// themselves are reported as [`WalkError`]s in the batches.
    pub fn start(roots: Vec<PathBuf>, options: &WalkOptions) -> io::Result<Walk> {
        let extensions = normalise_extensions(&options.extensions)?;
        if options.batch_size == 0 {
            return Err(invalid("batch_size must be at least 1"));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads)
            .thread_name(|i| format!("vpo-walk-{i}"))
            .build()
            .map_err(io::Error::other)?;
        let (tx, rx) = mpsc::sync_channel(options.queue_depth);
        let cancel = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicUsize::new(0));
        let shared = Shared {
            extensions,
            follow_symlinks: options.follow_symlinks,
            skip_hidden: options.skip_hidden,
            batch_size: options.batch_size,
            cancel: Arc::clone(&cancel),
            sent: Arc::clone(&sent),
            tx,
            pending: Mutex::new(Batch::with_capacity(options.batch_size)),
            visited: Mutex::new(HashSet::new()),
        };
        let thread = thread::Builder::new()
            .name("vpo-walk".into())
            .spawn(move || run(pool, shared, roots))?;
        Ok(Walk {
            rx: Some(rx),
            cancel,
            sent,
            thread: Some(thread),
        })
    }

    /// The flag that stops the walk; setting it is what [`Walk::cancel`] does.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.cancel)
    }

    /// Ask the workers to stop. Batches already queued can still be received.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Number of batches the workers have handed to the channel so far.
    pub fn batches_sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
    }

    /// Take the next batch if one is ready, without waiting.
    pub fn try_recv(&mut self) -> Result<Recv, String> {
        let Some(rx) = &self.rx else {
            return Ok(Recv::Finished);
        };
        match rx.try_recv() {
            Ok(batch) => Ok(Recv::Batch(batch)),
            Err(TryRecvError::Empty) => Ok(Recv::Pending),
            Err(TryRecvError::Disconnected) => self.finish().map(|()| Recv::Finished),
        }
    }

    /// Wait up to `timeout` for the next batch. `Err` carries the message of
    /// a panic in the walker (a bug), reported once, when the walk ends.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Recv, String> {
        let Some(rx) = &self.rx else {
            return Ok(Recv::Finished);
        };
        match rx.recv_timeout(timeout) {
            Ok(batch) => Ok(Recv::Batch(batch)),
            Err(RecvTimeoutError::Timeout) => Ok(Recv::Pending),
            Err(RecvTimeoutError::Disconnected) => self.finish().map(|()| Recv::Finished),
        }
    }

    /// Cancel the walk, drop whatever is queued and join the thread.
    pub fn close(&mut self) -> Result<(), String> {
        self.cancel();
        // Dropping the receiver fails any send a worker is blocked in.
        self.rx = None;
        self.finish()
    }

    fn finish(&mut self) -> Result<(), String> {
        self.rx = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Err(panic)) => Err(panic_message(&*panic)),
            _ => Ok(()),
        }
    }
}

impl Iterator for Walk {
    type Item = Batch;

    /// Blocking iteration, for Rust callers. Re-raises a walker panic.
    fn next(&mut self) -> Option<Batch> {
        loop {
            match self.recv_timeout(Duration::from_secs(3600)) {
                Ok(Recv::Batch(batch)) => return Some(batch),
                Ok(Recv::Pending) => continue,
                Ok(Recv::Finished) => return None,
                Err(message) => panic!("walker thread panicked: {message}"),
            }
        }
    }
}

impl Drop for Walk {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// Lower-case the extensions, strip one leading dot, reject unusable ones.
fn normalise_extensions(extensions: &[String]) -> io::Result<Vec<Vec<u8>>> {
    if extensions.is_empty() {
        return Err(invalid("extensions must not be empty"));
    }
    extensions
        .iter()
        .map(|ext| {
            let bare = ext.strip_prefix('.').unwrap_or(ext);
            if bare.is_empty() || bare.contains(['.', '/', '\0']) {
                let message =
                    format!("invalid extension {ext:?}: give one final extension such as \"mkv\"");
                return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
            }
            Ok(bare.to_ascii_lowercase().into_bytes())
        })
        .collect()
}

/// State shared by the tasks of one walk.
struct Shared {
    extensions: Vec<Vec<u8>>,
    follow_symlinks: bool,
    skip_hidden: bool,
    batch_size: usize,
    cancel: Arc<AtomicBool>,
    sent: Arc<AtomicUsize>,
    tx: SyncSender<Batch>,
    /// Files of small directories, gathered until a batch is full.
    pending: Mutex<Batch>,
    /// `(dev, ino)` of directories entered; used only when following symlinks.
    visited: Mutex<HashSet<(u64, u64)>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    #[inline]
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Whether the final extension of `name` is one we want.
    #[inline]
    fn matches(&self, name: &[u8]) -> bool {
        let Some(dot) = name.iter().rposition(|&b| b == b'.') else {
            return false;
        };
        if dot == 0 {
            return false; // ".mkv" is a hidden name without an extension
        }
        let ext = &name[dot + 1..];
        self.extensions
            .iter()
            .any(|want| want.len() == ext.len() && want.eq_ignore_ascii_case(ext))
    }

    fn send(&self, batch: Batch) {
        if self.tx.send(batch).is_ok() {
            self.sent.fetch_add(1, Ordering::Relaxed);
        } else {
            // The consumer is gone: stop everyone.
            self.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Move the (partial) batch of one directory into the shared batch,
    /// sending the shared batch each time it fills up.
    fn merge(&self, local: &mut Batch) {
        if local.is_empty() || self.cancelled() {
            return;
        }
        let mut full = Vec::new();
        {
            let mut pending = lock(&self.pending);
            // Errors go first so they leave with the next batch sent.
            pending.errors.append(&mut local.errors);
            let mut start = 0;
            for &(end, stat) in &local.files {
                pending.push(&local.paths[start..end], stat);
                start = end;
                if pending.files.len() >= self.batch_size {
                    let fresh = Batch::with_capacity(self.batch_size);
                    full.push(mem::replace(&mut *pending, fresh));
                }
            }
        }
        local.paths.clear();
        local.files.clear();
        for batch in full {
            self.send(batch);
        }
    }
}

/// Body of the background thread: walk every root, then flush the rest.
fn run(pool: rayon::ThreadPool, shared: Shared, roots: Vec<PathBuf>) {
    let shared = &shared;
    pool.scope(|scope| {
        for root in roots {
            scope.spawn(move |scope| walk_root(scope, shared, root));
        }
    });
    if !shared.cancelled() {
        let last = mem::take(&mut *lock(&shared.pending));
        if !last.is_empty() {
            shared.send(last);
        }
    }
}

fn walk_root<'s>(scope: &rayon::Scope<'s>, shared: &'s Shared, root: PathBuf) {
    let mut local = Batch::default();
    let root = match std::path::absolute(&root) {
        Ok(path) => path,
        Err(error) => {
            local.errors.push(WalkError { path: root, error });
            shared.merge(&mut local);
            return;
        }
    };
    // The root itself is followed if it is a symlink (like `find -H`).
    match fs::metadata(&root) {
        Ok(meta) if meta.is_dir() => {
            let id = (meta.dev(), meta.ino());
            walk_dir(scope, shared, root.into_os_string().into_vec(), Some(id));
        }
        Ok(meta) if meta.is_file() => {
            let name = root.file_name().map_or(&b""[..], |n| n.as_bytes());
            if shared.matches(name) {
                local.push(root.as_os_str().as_bytes(), FileStat::from_metadata(&meta));
            }
        }
        Ok(_) => {} // a fifo, socket or device: nothing to yield
        Err(error) => local.errors.push(WalkError { path: root, error }),
    }
    shared.merge(&mut local);
}

fn path_of(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

fn error_at(batch: &mut Batch, path: &[u8], error: io::Error) {
    batch.errors.push(WalkError {
        path: path_of(path).to_path_buf(),
        error,
    });
}

/// Read one directory: yield its matching files, spawn a task per subdirectory.
/// `id` is the directory's `(dev, ino)` when already known.
fn walk_dir<'s>(
    scope: &rayon::Scope<'s>,
    shared: &'s Shared,
    dir: Vec<u8>,
    id: Option<(u64, u64)>,
) {
    if shared.cancelled() {
        return;
    }
    let mut local = Batch::default();
    if shared.follow_symlinks {
        let id = match id {
            Some(id) => id,
            None => match fs::metadata(path_of(&dir)) {
                Ok(meta) => (meta.dev(), meta.ino()),
                Err(error) => {
                    report_unless_vanished(&mut local, &dir, error);
                    shared.merge(&mut local);
                    return;
                }
            },
        };
        if !lock(&shared.visited).insert(id) {
            return; // already walked (a symlink loop, or two ways to one place)
        }
    }
    let entries = match fs::read_dir(path_of(&dir)) {
        Ok(entries) => entries,
        Err(error) => {
            error_at(&mut local, &dir, error);
            shared.merge(&mut local);
            return;
        }
    };
    // `child` is "dir/" followed by the current entry's name.
    let dir_len = dir.len();
    let mut child = dir;
    if child.last() != Some(&b'/') {
        child.push(b'/');
    }
    let base = child.len();
    for entry in entries {
        if shared.cancelled() {
            return;
        }
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                error_at(&mut local, &child[..dir_len], error);
                break;
            }
        };
        let name = entry.file_name();
        let name = name.as_bytes();
        if shared.skip_hidden && name.first() == Some(&b'.') {
            continue;
        }
        child.truncate(base);
        child.extend_from_slice(name);
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            Err(error) => {
                report_unless_vanished(&mut local, &child, error);
                continue;
            }
        };
        if file_type.is_dir() {
            let sub = child.clone();
            scope.spawn(move |scope| walk_dir(scope, shared, sub, None));
        } else if file_type.is_file() {
            if shared.matches(name) {
                // fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW): no path lookup.
                match entry.metadata() {
                    Ok(meta) => local.push(&child, FileStat::from_metadata(&meta)),
                    Err(error) => report_unless_vanished(&mut local, &child, error),
                }
            }
        } else if file_type.is_symlink() && shared.follow_symlinks {
            match fs::metadata(path_of(&child)) {
                Ok(meta) if meta.is_dir() => {
                    let sub = child.clone();
                    let id = Some((meta.dev(), meta.ino()));
                    scope.spawn(move |scope| walk_dir(scope, shared, sub, id));
                }
                Ok(meta) if meta.is_file() && shared.matches(name) => {
                    local.push(&child, FileStat::from_metadata(&meta));
                }
                Ok(_) => {}
                Err(error) => report_unless_vanished(&mut local, &child, error),
            }
        }
        if local.files.len() >= shared.batch_size {
            let full = mem::replace(&mut local, Batch::with_capacity(shared.batch_size));
            shared.send(full);
        }
    }
    shared.merge(&mut local);
}

/// A file deleted (or a dangling symlink) between readdir and stat is not an
/// error worth reporting: it simply is not there.
fn report_unless_vanished(batch: &mut Batch, path: &[u8], error: io::Error) {
    if error.kind() != io::ErrorKind::NotFound {
        error_at(batch, path, error);
    }
}

#[cfg(test)]
#[path = "walk_tests.rs"]
mod tests;
