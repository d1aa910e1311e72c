//! Parallel directory walker. No PyO3 here: `lib.rs` adapts it to Python.
//!
//! [`Walk::start`] spawns a background thread that owns a dedicated rayon pool
//! running the walk's tasks (`traverse.rs`). They collect matching files into
//! [`Batch`]es (`batch.rs`) of at most `batch_size` files, sent over a bounded
//! channel, so the consumer starts work before the walk ends and memory stays
//! bounded by `queue_depth` batches (plus one per worker). This file is the
//! handle: options, start, receive, cancel.
//!
//! Paths are raw bytes (`OsStr` bytes on unix), never decoded. Roots are made
//! absolute against the current directory but not canonicalised.

use std::collections::HashSet;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

pub use crate::batch::{Batch, FileStat, Files, WalkError};
use crate::traverse::{run, Shared};

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


#[cfg(test)]
#[path = "walk_tests.rs"]
mod tests;
