//! `vpo._core`: VPO's private extension module.
//!
//! `walk` (the parallel walker), `hash` (content digests) and `ebml` (where a
//! Matroska file's headers end) are plain Rust,
//! tested with `cargo test --no-default-features`; the `python` module below
//! is the only PyO3 code: argument conversion, GIL handling, error mapping.

pub mod batch;
pub mod ebml;
pub mod hash;
pub mod known;
pub mod pgcopy;
mod traverse;
pub mod walk;

#[cfg(feature = "python")]
mod python {
    use std::ffi::OsString;
    use std::io;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
    use std::time::Duration;

    use pyo3::create_exception;
    use pyo3::exceptions::{
        PyException, PyFileNotFoundError, PyOSError, PyPermissionError, PyRuntimeError,
        PyTypeError, PyValueError,
    };
    use pyo3::prelude::*;
    use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

    use crate::ebml;
    use crate::hash;
    use crate::known::Unchanged;
    use crate::pgcopy::{CopyError, CopyReader};
    use crate::walk::{Batch, Recv, Walk, WalkOptions};

    create_exception!(
        vpo._core,
        VpoCoreError,
        PyException,
        "Failure inside vpo._core that is not a plain OS error."
    );

    /// How long `Walker.__next__` waits with the GIL released before it
    /// checks for signals (Ctrl+C) again.
    const POLL: Duration = Duration::from_millis(50);

    /// Batches the walk may queue while `Walker(unchanged=...)` reads the catalogue:
    /// ~790k entries (~80 MB at most), so at 1,000,000 files the walk goes on for as
    /// long as the read takes (~1 s) instead of stalling after 130k entries.
    const UNCHANGED_QUEUE_DEPTH: usize = 384;

    /// Rust I/O errors become the matching Python exception.
    fn io_error(err: io::Error) -> PyErr {
        let message = err.to_string();
        match err.kind() {
            io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
            io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
            io::ErrorKind::InvalidInput => PyValueError::new_err(message),
            _ => VpoCoreError::new_err(message),
        }
    }

    /// Iterate a sequence argument, refusing a lone `str`/`bytes` (which
    /// would otherwise be walked character by character).
    fn items<'py>(seq: &Bound<'py, PyAny>, what: &str) -> PyResult<Vec<Bound<'py, PyAny>>> {
        if seq.is_instance_of::<PyString>() || seq.is_instance_of::<PyBytes>() {
            return Err(PyTypeError::new_err(format!(
                "{what} must be a sequence, not a single str or bytes"
            )));
        }
        seq.try_iter()?.collect()
    }

    /// Paths as the OS sees them: bytes as given, anything else through
    /// `os.fsencode` (str with surrogateescape, os.PathLike).
    fn os_paths(seq: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<PathBuf>> {
        items(seq, what)?.iter().map(os_path).collect()
    }

    fn os_path(item: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
        let encoded;
        let bytes = match item.cast::<PyBytes>() {
            Ok(b) => b,
            Err(_) => {
                let fsencode = item.py().import("os")?.getattr("fsencode")?;
                encoded = fsencode.call1((item,))?.cast_into::<PyBytes>()?;
                &encoded
            }
        };
        Ok(PathBuf::from(OsString::from_vec(bytes.as_bytes().to_vec())))
    }

    fn digests_to_py(results: Vec<io::Result<u128>>) -> Vec<(Option<String>, Option<String>)> {
        results
            .into_iter()
            .map(|r| match r {
                Ok(digest) => (Some(hash::to_hex(digest)), None),
                Err(err) => (None, Some(err.to_string())),
            })
            .collect()
    }

    /// Sampled content fingerprints (see `hash::fingerprint_file` for the
    /// exact, stable definition): one `(hex, None)` or `(None, error)` per
    /// path, in order. Runs in parallel with the GIL released.
    #[pyfunction]
    // 65536 is hash::DEFAULT_SAMPLE_SIZE, spelled out so that it shows in
    // `__text_signature__` (and so mypy.stubtest can check the stub).
    #[pyo3(signature = (paths, *, sample_size = 65536, threads = 0))]
    fn fingerprint_files(
        py: Python<'_>,
        paths: &Bound<'_, PyAny>,
        sample_size: u64,
        threads: usize,
    ) -> PyResult<Vec<(Option<String>, Option<String>)>> {
        let paths = os_paths(paths, "paths")?;
        let results = py
            .detach(|| hash::fingerprint_files(&paths, sample_size, threads))
            .map_err(io_error)?;
        Ok(digests_to_py(results))
    }

    /// Full-content XXH3-128 digests: one `(hex, None)` or `(None, error)`
    /// per path, in order. Runs in parallel with the GIL released.
    #[pyfunction]
    #[pyo3(signature = (paths, *, threads = 0))]
    fn hash_files(
        py: Python<'_>,
        paths: &Bound<'_, PyAny>,
        threads: usize,
    ) -> PyResult<Vec<(Option<String>, Option<String>)>> {
        let paths = os_paths(paths, "paths")?;
        let results = py
            .detach(|| hash::hash_files(&paths, threads))
            .map_err(io_error)?;
        Ok(digests_to_py(results))
    }

    /// Parallel walk of `roots` for files with the given extensions, started
    /// on construction. Iterating yields batches `(entries, errors)`: entries
    /// are `(path_bytes, size, mtime_ns, dev, ino)`, errors are
    /// `(path_bytes, message)` for roots or directories that could not be read.
    ///
    /// With `unchanged=(database, sql, params)`, the rows of `sql` (path,
    /// size, mtime_ns) are read from the SQLite file while the walk starts,
    /// and entries equal to their row are counted in `unchanged` instead of
    /// being yielded; `unseen()` lists the rows the walk did not find.
    /// `unchanged_copy` does the same with the rows of a PostgreSQL binary
    /// COPY, an iterable of its bytes in chunks of any size.
    #[pyclass(module = "vpo._core", frozen)]
    struct Walker {
        /// Shared with the walk; `close()` sets it without taking the lock.
        cancel: Arc<AtomicBool>,
        /// `None` once finished or closed. Only ever `try_lock`ed, so a
        /// thread holding the GIL never blocks on it.
        walk: Mutex<Option<Walk>>,
        /// Only ever locked with the GIL held, so never contended.
        known: Mutex<Option<Unchanged>>,
    }

    impl Walker {
        fn lock_known(&self) -> MutexGuard<'_, Option<Unchanged>> {
            self.known
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        }

        /// The walk slot, or `None` if another call holds it right now.
        fn try_slot(&self) -> Option<MutexGuard<'_, Option<Walk>>> {
            match self.walk.try_lock() {
                Ok(guard) => Some(guard),
                Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => None,
            }
        }
    }

    /// Stop the walk and join its thread with the GIL released.
    fn shut(py: Python<'_>, slot: &mut Option<Walk>) {
        if let Some(mut walk) = slot.take() {
            // A worker panic surfaces from `__next__`, not from closing.
            let _ = py.detach(move || walk.close());
        }
    }

    fn batch_to_py<'py>(py: Python<'py>, batch: &Batch) -> PyResult<Bound<'py, PyTuple>> {
        let entries = PyList::new(
            py,
            batch.files().map(|(path, st)| {
                // i64 is the fast path; i128 only past the years 1678..2261.
                let Ok(mtime) = match st.mtime_ns_i64() {
                    Some(ns) => ns.into_pyobject(py).map(Bound::into_any),
                    None => st.mtime_ns().into_pyobject(py).map(Bound::into_any),
                };
                (PyBytes::new(py, path), st.size, mtime, st.dev, st.ino)
            }),
        )?;
        let errors = PyList::new(
            py,
            batch.errors.iter().map(|e| {
                (
                    PyBytes::new(py, e.path.as_os_str().as_bytes()),
                    e.error.to_string(),
                )
            }),
        )?;
        PyTuple::new(py, [entries, errors])
    }

    /// The snapshot from the chunks of a PostgreSQL binary COPY. The chunks' own
    /// errors (the server's, through psycopg) are raised as they are.
    fn read_copy(chunks: &Bound<'_, PyAny>) -> PyResult<Unchanged> {
        let mut known = Unchanged::default();
        let mut reader = CopyReader::new();
        let bad = |err: CopyError| VpoCoreError::new_err(err.to_string());
        for chunk in chunks.try_iter()? {
            let chunk = chunk?;
            let bytes = chunk
                .cast::<PyBytes>()
                .map_err(|_| PyTypeError::new_err("unchanged_copy must yield bytes"))?;
            known
                .feed_copy(&mut reader, bytes.as_bytes())
                .map_err(bad)?;
        }
        reader.finish().map_err(bad)?;
        Ok(known)
    }

    #[pymethods]
    impl Walker {
        #[new]
        #[pyo3(signature = (roots, *, extensions, follow_symlinks = false, skip_hidden = true, batch_size = 2048, threads = 0, unchanged = None, unchanged_copy = None))]
        #[allow(clippy::too_many_arguments)]
        fn new(
            py: Python<'_>,
            roots: &Bound<'_, PyAny>,
            extensions: &Bound<'_, PyAny>,
            follow_symlinks: bool,
            skip_hidden: bool,
            batch_size: usize,
            threads: usize,
            unchanged: Option<(Bound<'_, PyAny>, String, Vec<Vec<u8>>)>,
            unchanged_copy: Option<Bound<'_, PyAny>>,
        ) -> PyResult<Self> {
            if unchanged.is_some() && unchanged_copy.is_some() {
                return Err(PyValueError::new_err(
                    "give unchanged or unchanged_copy, not both",
                ));
            }
            let roots = os_paths(roots, "roots")?;
            let extensions = items(extensions, "extensions")?
                .iter()
                .map(|e| e.extract::<String>())
                .collect::<PyResult<Vec<_>>>()?;
            let mut options = WalkOptions {
                extensions,
                follow_symlinks,
                skip_hidden,
                batch_size,
                threads,
                ..WalkOptions::default()
            };
            if unchanged.is_some() || unchanged_copy.is_some() {
                // The catalogue is read while the walk starts, and nothing is taken from
                // the channel until it is: the room keeps the walk going meanwhile.
                options.queue_depth = UNCHANGED_QUEUE_DEPTH;
            }
            let unchanged = match unchanged {
                Some((db, sql, params)) => Some((os_path(&db)?, sql, params)),
                None => None,
            };
            let walk = Walk::start(roots, &options).map_err(io_error)?;
            // The walk threads are already busy while the catalogue is read.
            let known = match (unchanged, unchanged_copy) {
                (Some((db, sql, params)), _) => Some(
                    py.detach(|| Unchanged::load(&db, &sql, &params))
                        // SQLite's own message; the caller knows which file it is.
                        .map_err(|err| VpoCoreError::new_err(err.to_string())),
                ),
                (None, Some(chunks)) => Some(read_copy(&chunks)),
                (None, None) => None,
            };
            let known = match known.transpose() {
                Ok(known) => known,
                Err(err) => {
                    let mut slot = Some(walk);
                    shut(py, &mut slot);
                    return Err(err);
                }
            };
            Ok(Walker {
                cancel: walk.cancel_flag(),
                walk: Mutex::new(Some(walk)),
                known: Mutex::new(known),
            })
        }

        /// Entries dropped so far because they equal their catalogue row.
        #[getter]
        fn unchanged(&self) -> u64 {
            self.lock_known().as_ref().map_or(0, Unchanged::skipped)
        }

        /// Catalogue rows (of `unchanged`) whose path the walk has not found
        /// (yet: call it once iteration has ended).
        fn unseen<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyBytes>> {
            match self.lock_known().as_ref() {
                Some(known) => known
                    .unseen()
                    .into_iter()
                    .map(|p| PyBytes::new(py, p))
                    .collect(),
                None => Vec::new(),
            }
        }

        fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
            slf
        }

        fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
            let Some(mut guard) = self.try_slot() else {
                return Err(PyRuntimeError::new_err(
                    "Walker is already being iterated by another thread",
                ));
            };
            loop {
                let Some(walk) = guard.as_mut() else {
                    return Ok(None);
                };
                if self.cancel.load(Ordering::Relaxed) {
                    shut(py, &mut guard);
                    return Ok(None);
                }
                let received = match walk.try_recv() {
                    Ok(Recv::Pending) => py.detach(|| walk.recv_timeout(POLL)),
                    other => other,
                };
                match received {
                    Ok(Recv::Batch(batch)) => {
                        // With the GIL held (~0.1 ms a batch): `unchanged` and `unseen()`
                        // lock `known` with the GIL held too, so releasing it here while
                        // holding `known` could deadlock a second thread.
                        let batch = match self.lock_known().as_mut() {
                            Some(known) => known.filter(batch),
                            None => batch,
                        };
                        return batch_to_py(py, &batch).map(Some);
                    }
                    Ok(Recv::Pending) => {
                        if let Err(err) = py.check_signals() {
                            shut(py, &mut guard);
                            return Err(err);
                        }
                    }
                    Ok(Recv::Finished) => {
                        *guard = None;
                        return Ok(None);
                    }
                    Err(panic) => {
                        *guard = None;
                        return Err(VpoCoreError::new_err(format!(
                            "walker thread panicked: {panic}"
                        )));
                    }
                }
            }
        }

        /// Stop the walk and free its threads; iteration then ends. Idempotent.
        fn close(&self, py: Python<'_>) -> PyResult<()> {
            self.cancel.store(true, Ordering::Relaxed);
            // If `__next__` holds the lock (say a signal handler calls this),
            // it sees the flag and finishes the job itself.
            if let Some(mut guard) = self.try_slot() {
                shut(py, &mut guard);
            }
            Ok(())
        }

        fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
            slf
        }

        #[pyo3(signature = (*exc))]
        fn __exit__(&self, py: Python<'_>, exc: &Bound<'_, PyTuple>) -> PyResult<()> {
            let _ = exc;
            self.close(py)
        }
    }

    /// True when the extension module at `module_file` (Python's `_sqlite3`)
    /// uses the very SQLite library this extension uses: same
    /// `sqlite3_libversion` function in memory. Two copies of SQLite in one
    /// process must never open the same database (closing a file in one
    /// drops the other's POSIX locks), so `Walker(unchanged=...)` is only
    /// used when this holds.
    #[pyfunction]
    fn same_sqlite(module_file: &Bound<'_, PyAny>) -> PyResult<bool> {
        let path = os_path(module_file)?;
        let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
            return Ok(false);
        };
        // SAFETY: RTLD_NOLOAD only looks up a library that is already loaded
        // (it runs no initialisers); the handle is released before returning.
        unsafe {
            let handle = libc::dlopen(c_path.as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD);
            if handle.is_null() {
                return Ok(false);
            }
            let theirs = libc::dlsym(handle, c"sqlite3_libversion".as_ptr());
            libc::dlclose(handle);
            let ours = rusqlite::ffi::sqlite3_libversion as *const libc::c_void;
            Ok(!theirs.is_null() && std::ptr::eq(theirs as *const libc::c_void, ours))
        }
    }

    /// `(first_cluster, tail)` of the Matroska file open as the descriptor `fd`
    /// (of length `size`; read with pread, so its offset stays), with the GIL
    /// released; ValueError with the reason when its headers cannot be located,
    /// OSError when it cannot be read. See `ebml::layout`.
    #[pyfunction]
    fn matroska_layout(py: Python<'_>, fd: i32, size: u64) -> PyResult<(u64, u64)> {
        use std::mem::ManuallyDrop;
        use std::os::fd::FromRawFd;

        // SAFETY: the caller owns `fd` and keeps it open during the call; it is never closed here.
        let file = ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
        match py.detach(|| ebml::layout(&file, size)) {
            Ok(found) => Ok((found.first_cluster, found.tail)),
            Err(ebml::Error::NotMatroska(reason)) => Err(PyValueError::new_err(reason)),
            Err(ebml::Error::Io(err)) => Err(os_error(py, err)),
        }
    }

    /// An OSError as Python raises it (errno and strerror, the matching subclass).
    fn os_error(py: Python<'_>, err: io::Error) -> PyErr {
        let Some(code) = err.raw_os_error() else {
            return PyOSError::new_err(err.to_string());
        };
        match py
            .import("os")
            .and_then(|os| os.getattr("strerror")?.call1((code,)))
        {
            Ok(text) => PyOSError::new_err((code, text.unbind())),
            Err(e) => e,
        }
    }

    /// VPO's private extension: a parallel directory walker and file digests.
    #[pymodule]
    fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        m.add("VpoCoreError", m.py().get_type::<VpoCoreError>())?;
        m.add_class::<Walker>()?;
        m.add_function(wrap_pyfunction!(fingerprint_files, m)?)?;
        m.add_function(wrap_pyfunction!(hash_files, m)?)?;
        m.add_function(wrap_pyfunction!(same_sqlite, m)?)?;
        m.add_function(wrap_pyfunction!(matroska_layout, m)?)?;
        Ok(())
    }
}
