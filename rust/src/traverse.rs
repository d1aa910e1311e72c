//! The walk itself: the tasks that run in the walk's rayon pool. Every
//! directory read is one task in a `rayon::scope`; subdirectories spawn new
//! tasks. Matching regular files are stat'ed (without following symlinks) and
//! gathered into batches of at most `batch_size` files, sent over the walk's
//! bounded channel. [`crate::walk::Walk`] starts this and receives the batches.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::mem;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::batch::{Batch, FileStat, WalkError};

/// State shared by the tasks of one walk.
pub(crate) struct Shared {
    /// Lower-case, without the dot.
    pub(crate) extensions: Vec<Vec<u8>>,
    pub(crate) follow_symlinks: bool,
    pub(crate) skip_hidden: bool,
    pub(crate) batch_size: usize,
    pub(crate) cancel: Arc<AtomicBool>,
    pub(crate) sent: Arc<AtomicUsize>,
    pub(crate) tx: SyncSender<Batch>,
    /// Files of small directories, gathered until a batch is full.
    pub(crate) pending: Mutex<Batch>,
    /// `(dev, ino)` of directories entered; used only when following symlinks.
    pub(crate) visited: Mutex<HashSet<(u64, u64)>>,
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
pub(crate) fn run(pool: rayon::ThreadPool, shared: Shared, roots: Vec<PathBuf>) {
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
        Ok(meta) => {
            // a file, or a FIFO, socket or device by a video's name (see walk_dir)
            let name = root.file_name().map_or(&b""[..], |n| n.as_bytes());
            if shared.matches(name) {
                local.push(root.as_os_str().as_bytes(), FileStat::from_metadata(&meta));
            }
        }
        Err(error) => local.errors.push(WalkError { path: root, error }),
    }
    shared.merge(&mut local);
}

pub(crate) fn path_of(bytes: &[u8]) -> &Path {
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
        } else if file_type.is_symlink() {
            if shared.follow_symlinks {
                match fs::metadata(path_of(&child)) {
                    Ok(meta) if meta.is_dir() => {
                        let sub = child.clone();
                        let id = Some((meta.dev(), meta.ino()));
                        scope.spawn(move |scope| walk_dir(scope, shared, sub, id));
                    }
                    Ok(meta) if shared.matches(name) => {
                        local.push(&child, FileStat::from_metadata(&meta));
                    }
                    Ok(_) => {}
                    Err(error) => report_unless_vanished(&mut local, &child, error),
                }
            }
        } else if shared.matches(name) {
            // A file, or a FIFO, socket or device by a video's name: yielded all the same,
            // so that the scan reports it ("not a regular file (FIFO)", from the probe,
            // which never opens it) instead of calling a catalogued file missing.
            // fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW): no path lookup.
            match entry.metadata() {
                Ok(meta) => local.push(&child, FileStat::from_metadata(&meta)),
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
