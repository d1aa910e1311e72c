//! Content digests of files. No PyO3 here: `lib.rs` adapts it to Python.
//!
//! Both digests are XXH3-128 (seed 0, default secret) rendered by [`to_hex`].
//! They are stored in VPO's database, so their definitions must never change;
//! the tests below pin known values.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use xxhash_rust::xxh3::Xxh3Default;

/// Default number of bytes sampled at each of the three places.
pub const DEFAULT_SAMPLE_SIZE: u64 = 65536;

/// Read buffer size (and the most memory one file's digest needs).
const CHUNK: usize = 1 << 20;

/// The digest as 32 lowercase hex digits, most significant first: the
/// canonical XXH128 form printed by `xxhsum -H2` and by Python's
/// `xxhash.xxh3_128_hexdigest`.
pub fn to_hex(digest: u128) -> String {
    format!("{digest:032x}")
}

/// Sampled content fingerprint of the file at `path`.
///
/// Definition (version 1; stored in databases, never change it): let `size`
/// be the file's length in bytes and `s = sample_size` (at least 1).
///
/// * If `size <= 3 * s`: XXH3-128 of `size as u64 little-endian (8 bytes)`
///   followed by the whole content.
/// * Otherwise: XXH3-128 of `size as u64 little-endian (8 bytes)` followed by
///   three samples of `s` bytes: `content[0..s]`, then
///   `content[m..m + s]` with `m = (size - s) / 2` (integer division), then
///   `content[size - s..size]`.
///
/// The two cases agree at `size == 3 * s`. XXH3-128 is seeded with 0 and uses
/// the default secret. `size` is taken from the opened file; a file that
/// shrinks while it is read is an error, bytes appended meanwhile are ignored.
///
/// `buf` is scratch space (any non-zero length; longer means fewer reads).
pub fn fingerprint_file(path: &Path, sample_size: u64, buf: &mut [u8]) -> io::Result<u128> {
    let mut file = open_regular(path)?;
    let size = file.metadata()?.len();
    fingerprint_reader(&mut file, size, sample_size, buf)
}

/// [`fingerprint_file`] over any seekable reader of `size` bytes.
pub fn fingerprint_reader<R: Read + Seek>(
    reader: &mut R,
    size: u64,
    sample_size: u64,
    buf: &mut [u8],
) -> io::Result<u128> {
    if sample_size == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "sample_size must be at least 1",
        ));
    }
    let mut hasher = Xxh3Default::new();
    hasher.update(&size.to_le_bytes());
    let s = sample_size;
    if size <= s.saturating_mul(3) {
        hash_range(reader, &mut hasher, 0, size, buf)?;
    } else {
        hash_range(reader, &mut hasher, 0, s, buf)?;
        hash_range(reader, &mut hasher, (size - s) / 2, s, buf)?;
        hash_range(reader, &mut hasher, size - s, s, buf)?;
    }
    Ok(hasher.digest128())
}

/// Feed `len` bytes starting at `offset` into `hasher`.
fn hash_range<R: Read + Seek>(
    reader: &mut R,
    hasher: &mut Xxh3Default,
    offset: u64,
    len: u64,
    buf: &mut [u8],
) -> io::Result<()> {
    reader.seek(SeekFrom::Start(offset))?;
    let mut left = len;
    while left > 0 {
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        reader.read_exact(&mut buf[..n]).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                io::Error::new(io::ErrorKind::UnexpectedEof, "file shrank while being read")
            } else {
                e
            }
        })?;
        hasher.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(())
}

/// Full-content digest of the file at `path`: plain XXH3-128 (seed 0) of
/// every byte, read in chunks of `buf.len()` (equal to `xxhsum -H2`).
pub fn hash_file(path: &Path, buf: &mut [u8]) -> io::Result<u128> {
    let mut file = open_regular(path)?;
    hash_reader(&mut file, buf)
}

/// [`hash_file`] over any reader, to its end.
pub fn hash_reader<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<u128> {
    let mut hasher = Xxh3Default::new();
    loop {
        match reader.read(buf) {
            Ok(0) => return Ok(hasher.digest128()),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Open `path` for reading if it is a regular file (after following
/// symlinks). The open itself cannot wait (O_NONBLOCK: a FIFO would wait
/// for a writer forever), and the type is read from the opened file, so a
/// file swapped for a FIFO after a check is refused too. The error reads
/// "not a regular file (FIFO)", as Python's media/regular_file.py words it.
fn open_regular(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let file_type = file.metadata()?.file_type();
    if !file_type.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file ({})", kind_of(file_type)),
        ));
    }
    // Blocking again: for a regular file O_NONBLOCK changes nothing, but say so.
    // SAFETY: fcntl on a descriptor this function owns, with plain integer flags.
    unsafe {
        let fd = file.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
    Ok(file)
}

/// What a file that is not a regular file is, in the words of the error.
fn kind_of(file_type: fs::FileType) -> &'static str {
    if file_type.is_fifo() {
        "FIFO"
    } else if file_type.is_socket() {
        "socket"
    } else if file_type.is_char_device() {
        "character device"
    } else if file_type.is_block_device() {
        "block device"
    } else if file_type.is_dir() {
        "directory"
    } else {
        "unknown file type"
    }
}

/// [`fingerprint_file`] for every path, in parallel; results in input order.
/// The outer error is a bad `sample_size` or a thread pool that could not be
/// built; `threads == 0` uses rayon's global pool.
pub fn fingerprint_files(
    paths: &[PathBuf],
    sample_size: u64,
    threads: usize,
) -> io::Result<Vec<io::Result<u128>>> {
    if sample_size == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "sample_size must be at least 1",
        ));
    }
    let chunk = usize::try_from(sample_size)
        .unwrap_or(CHUNK)
        .clamp(4096, CHUNK);
    in_pool(threads, || {
        paths
            .par_iter()
            .with_max_len(1)
            .map_init(
                || vec![0u8; chunk],
                |buf, path| fingerprint_file(path, sample_size, buf),
            )
            .collect()
    })
}

/// [`hash_file`] for every path, in parallel; results in input order.
pub fn hash_files(paths: &[PathBuf], threads: usize) -> io::Result<Vec<io::Result<u128>>> {
    in_pool(threads, || {
        paths
            .par_iter()
            .with_max_len(1)
            .map_init(|| vec![0u8; CHUNK], |buf, path| hash_file(path, buf))
            .collect()
    })
}

/// Run `job` on a pool of `threads` threads, or on rayon's global pool if 0.
fn in_pool<T: Send>(threads: usize, job: impl FnOnce() -> T + Send) -> io::Result<T> {
    if threads == 0 {
        return Ok(job());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("vpo-hash-{i}"))
        .build()
        .map_err(io::Error::other)?;
    Ok(pool.install(job))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use xxhash_rust::xxh3::xxh3_128;

    /// Deterministic test content. The pinned digests below were cross-checked
    /// with Python's `xxhash` package (`xxh3_128_hexdigest`).
    fn pattern(n: usize) -> Vec<u8> {
        (0..n as u64)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect()
    }

    fn fp(data: &[u8], sample: u64) -> String {
        let mut buf = vec![0u8; 1000]; // deliberately not a divisor of anything
        to_hex(
            fingerprint_reader(&mut Cursor::new(data), data.len() as u64, sample, &mut buf)
                .unwrap(),
        )
    }

    fn full(data: &[u8]) -> String {
        let mut buf = vec![0u8; 4096];
        to_hex(hash_reader(&mut Cursor::new(data), &mut buf).unwrap())
    }

    fn temp_file(tag: &str, data: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!("vpo-hash-test-{}-{tag}", std::process::id()));
        fs::write(&path, data).unwrap();
        path
    }

    #[test]
    fn hex_is_the_canonical_xxh128_form() {
        // XXH128("") from the xxHash reference test vectors.
        assert_eq!(to_hex(xxh3_128(b"")), "99aa06d3014798d86001c324468d497f");
        assert_eq!(to_hex(1), "00000000000000000000000000000001");
    }

    #[test]
    fn full_hash_known_values() {
        assert_eq!(full(b""), "99aa06d3014798d86001c324468d497f");
        assert_eq!(
            full(b"The quick brown fox jumps over the lazy dog"),
            "ddd650205ca3e7fa24a1cc2e3a8a7651"
        );
        // Spans several reads and CHUNK boundaries.
        let big = pattern(2 * CHUNK + 12345);
        assert_eq!(full(&big), to_hex(xxh3_128(&big)));
        assert_eq!(full(&big), "98b62e218ef7e55f11e9ac4d4e38d883");
    }

    #[test]
    fn fingerprint_known_values() {
        assert_eq!(fp(b"", 65536), "2c0a8a99dc147d5445c3b49d035665b2");
        assert_eq!(
            fp(b"The quick brown fox jumps over the lazy dog", 65536),
            "26e634bd8043e2aa577eea15e8aef35c"
        );
        assert_eq!(
            fp(&pattern(1_000_000), 65536),
            "fe2bf8da238b42a3fe694c846c7a1e58"
        );
        assert_eq!(
            fp(&pattern(10_000), 1000),
            "a06be5169a5f7cba9e56ed9ffc980001"
        );
    }

    #[test]
    fn fingerprint_matches_its_definition() {
        let le = |n: usize| (n as u64).to_le_bytes();
        // Small: size prefix + whole content.
        let data = pattern(2999);
        let mut want = le(2999).to_vec();
        want.extend_from_slice(&data);
        assert_eq!(fp(&data, 1000), to_hex(xxh3_128(&want)));
        // Large: size prefix + head + middle + tail.
        let data = pattern(10_001);
        let (s, m) = (1000, (10_001 - 1000) / 2);
        let mut want = le(10_001).to_vec();
        want.extend_from_slice(&data[..s]);
        want.extend_from_slice(&data[m..m + s]);
        want.extend_from_slice(&data[10_001 - s..]);
        assert_eq!(fp(&data, 1000), to_hex(xxh3_128(&want)));
        // Both rules agree at exactly three samples.
        let data = pattern(3000);
        let mut whole = le(3000).to_vec();
        whole.extend_from_slice(&data);
        assert_eq!(fp(&data, 1000), to_hex(xxh3_128(&whole)));
        // Content outside the samples does not count; the size does.
        let mut changed = pattern(10_001);
        changed[2000] ^= 1;
        assert_eq!(fp(&changed, 1000), fp(&pattern(10_001), 1000));
        assert_ne!(fp(&pattern(10_002), 1000), fp(&pattern(10_001), 1000));
    }

    #[test]
    fn shrunk_file_is_an_error() {
        let data = pattern(100);
        let mut buf = vec![0u8; 64];
        let err = fingerprint_reader(&mut Cursor::new(&data), 200, 1000, &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;

        let path = std::env::temp_dir().join(format!("vpo-hash-test-{}-fifo", std::process::id()));
        let name = CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a NUL-terminated path that lives across the call.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let paths = vec![path.clone()];
        let fps = fingerprint_files(&paths, DEFAULT_SAMPLE_SIZE, 1).unwrap();
        let hashes = hash_files(&paths, 1).unwrap();
        fs::remove_file(&path).unwrap();
        for result in [&fps[0], &hashes[0]] {
            let err = result.as_ref().unwrap_err();
            assert_eq!(err.to_string(), "not a regular file (FIFO)");
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
    }

    #[test]
    fn files_in_order_with_per_file_errors() {
        let data = pattern(300_000);
        let a = temp_file("a", &data);
        let b = temp_file("b", b"The quick brown fox jumps over the lazy dog");
        let missing = std::env::temp_dir().join("vpo-hash-test-definitely-missing");
        let dir = std::env::temp_dir();
        let paths = vec![a.clone(), missing, b.clone(), dir];

        let fps = fingerprint_files(&paths, DEFAULT_SAMPLE_SIZE, 2).unwrap();
        assert_eq!(
            to_hex(*fps[0].as_ref().unwrap()),
            fp(&data, DEFAULT_SAMPLE_SIZE)
        );
        assert_eq!(fps[1].as_ref().unwrap_err().kind(), io::ErrorKind::NotFound);
        assert_eq!(
            to_hex(*fps[2].as_ref().unwrap()),
            "26e634bd8043e2aa577eea15e8aef35c"
        );
        assert_eq!(
            fps[3].as_ref().unwrap_err().to_string(),
            "not a regular file (directory)"
        );

        let hashes = hash_files(&paths, 0).unwrap();
        assert_eq!(
            to_hex(*hashes[0].as_ref().unwrap()),
            to_hex(xxh3_128(&data))
        );
        assert!(hashes[1].is_err());
        assert_eq!(
            to_hex(*hashes[2].as_ref().unwrap()),
            "ddd650205ca3e7fa24a1cc2e3a8a7651"
        );
        assert!(hashes[3].is_err());

        assert!(fingerprint_files(&paths, 0, 0).is_err());
        fs::remove_file(a).unwrap();
        fs::remove_file(b).unwrap();
    }
}
