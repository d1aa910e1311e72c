//! Tests of the unchanged-file snapshot (plain `cargo test --no-default-features`).

use super::*;
use crate::batch::FileStat;

fn stat(size: u64, mtime_ns: i64) -> FileStat {
    FileStat {
        size,
        mtime_sec: mtime_ns.div_euclid(1_000_000_000),
        mtime_nsec: mtime_ns.rem_euclid(1_000_000_000) as u32,
        dev: 1,
        ino: 1,
    }
}

fn batch(files: &[(&str, u64, i64)]) -> Batch {
    let mut b = Batch::with_capacity(files.len());
    for (path, size, mtime) in files {
        b.push(path.as_bytes(), stat(*size, *mtime));
    }
    b
}

fn paths(b: &Batch) -> Vec<String> {
    b.files()
        .map(|(p, _)| String::from_utf8(p.to_vec()).unwrap())
        .collect()
}

#[test]
fn drops_exact_matches_and_keeps_everything_else() {
    let mut known = Unchanged::from_rows([
        (b"/m/same.mkv".to_vec(), 10, 1_700_000_000_123_456_789),
        (b"/m/grown.mkv".to_vec(), 10, 5),
        (b"/m/touched.mkv".to_vec(), 10, 5),
        (b"/m/gone.mkv".to_vec(), 10, 5),
    ]);
    let kept = known.filter(batch(&[
        ("/m/same.mkv", 10, 1_700_000_000_123_456_789),
        ("/m/grown.mkv", 11, 5),
        ("/m/touched.mkv", 10, 6),
        ("/m/new.mkv", 10, 5),
    ]));
    assert_eq!(
        paths(&kept),
        ["/m/grown.mkv", "/m/touched.mkv", "/m/new.mkv"]
    );
    assert_eq!(known.skipped(), 1);
    // every seen path left the snapshot: only the vanished one remains
    assert_eq!(known.unseen(), [b"/m/gone.mkv".as_slice()]);
}

#[test]
fn one_nanosecond_is_a_change() {
    let mut known = Unchanged::from_rows([(b"/a.mkv".to_vec(), 1, 1_000_000_000)]);
    let kept = known.filter(batch(&[("/a.mkv", 1, 1_000_000_001)]));
    assert_eq!(paths(&kept), ["/a.mkv"]);
    assert_eq!(known.skipped(), 0);
}

#[test]
fn a_path_seen_twice_is_skipped_once() {
    let mut known = Unchanged::from_rows([(b"/a.mkv".to_vec(), 1, 2)]);
    assert_eq!(known.filter(batch(&[("/a.mkv", 1, 2)])).len(), 0);
    // a second sighting (a second root overlapping the first) goes to Python
    assert_eq!(known.filter(batch(&[("/a.mkv", 1, 2)])).len(), 1);
    assert_eq!(known.skipped(), 1);
}

#[test]
fn errors_pass_through() {
    let mut known = Unchanged::from_rows([(b"/a.mkv".to_vec(), 1, 2)]);
    let mut b = batch(&[("/a.mkv", 1, 2)]);
    b.errors.push(crate::batch::WalkError {
        path: "/m/locked".into(),
        error: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
    });
    let kept = known.filter(b);
    assert_eq!(kept.len(), 0);
    assert_eq!(kept.errors.len(), 1);
}

#[test]
fn loads_rows_of_the_callers_query_from_sqlite() {
    let path = std::env::temp_dir().join(format!("vpo-known-test-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE files (path BLOB, size INTEGER, mtime_ns INTEGER, status TEXT);
             INSERT INTO files VALUES (x'2f6d2f6f6b2e6d6b76', 3, 4, 'ok');
             INSERT INTO files VALUES (x'2f6d2f80ff2e6d6b76', 5, -6, 'ok');
             INSERT INTO files VALUES (x'2f6e2f782e6d6b76', 7, 8, 'ok');
             INSERT INTO files VALUES (x'2f6d2f6d2e6d6b76', 9, 9, 'missing');",
        )
        .unwrap();
    }
    let known = Unchanged::load(
        &path,
        "SELECT path, size, mtime_ns FROM files WHERE path >= ?1 AND path < ?2 AND status = 'ok'",
        &[b"/m/".to_vec(), b"/m0".to_vec()],
    )
    .unwrap();
    let mut unseen: Vec<Vec<u8>> = known.unseen().into_iter().map(<[u8]>::to_vec).collect();
    unseen.sort();
    // non-UTF-8 bytes survive; rows outside the range or with another status do not load
    assert_eq!(unseen, [b"/m/ok.mkv".to_vec(), b"/m/\x80\xff.mkv".to_vec()]);
    let mut known = known;
    assert_eq!(known.filter(batch(&[("/m/ok.mkv", 3, 4)])).len(), 0);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_missing_database_is_an_error_not_an_empty_snapshot() {
    let err = Unchanged::load(Path::new("/nonexistent/vpo.db"), "SELECT 1, 2, 3", &[]);
    assert!(err.is_err());
}

#[test]
fn the_catalogue_is_never_memory_mapped() {
    let dir = std::env::temp_dir().join(format!("vpo-known-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("library.db");
    Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA mmap_size = 268435456; CREATE TABLE t (x)")
        .unwrap();
    let mapped: i64 = open_catalogue(&db)
        .unwrap()
        .pragma_query_value(None, "mmap_size", |row| row.get(0))
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(mapped, 0);
}
