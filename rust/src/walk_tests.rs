//! Tests of the walker (plain `cargo test --no-default-features`, no Python).

use super::*;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::AtomicU32;

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("vpo-walk-test-{}-{tag}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn file(&self, rel: &str) -> PathBuf {
        let path = self.0.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, b"x").unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn options(extensions: &[&str]) -> WalkOptions {
    WalkOptions {
        extensions: extensions.iter().map(|s| s.to_string()).collect(),
        ..WalkOptions::default()
    }
}

/// Run a walk to the end; return sorted file paths, and errors.
fn collect(
    roots: &[&Path],
    options: &WalkOptions,
) -> (Vec<Vec<u8>>, Vec<(PathBuf, io::ErrorKind)>) {
    let roots = roots.iter().map(|p| p.to_path_buf()).collect();
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for batch in Walk::start(roots, options).unwrap() {
        assert!(!batch.is_empty(), "empty batch sent");
        files.extend(batch.files().map(|(p, _)| p.to_vec()));
        errors.extend(batch.errors.into_iter().map(|e| (e.path, e.error.kind())));
    }
    files.sort();
    (files, errors)
}

fn bytes(path: &Path) -> Vec<u8> {
    path.as_os_str().as_bytes().to_vec()
}

fn is_root() -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false)
}

#[test]
fn extensions_match_case_insensitively_on_final_component() {
    let t = TempDir::new("ext");
    let a = t.file("a.mkv");
    let b = t.file("sub/B.MKV");
    let c = t.file("sub/deeper/c.Mp4");
    t.file("d.mkv.txt");
    t.file("mkv");
    t.file("e.mkvx");
    let (files, errors) = collect(&[t.path()], &options(&[".MKV", "mp4"]));
    assert!(errors.is_empty(), "{errors:?}");
    let mut want = vec![bytes(&a), bytes(&b), bytes(&c)];
    want.sort();
    assert_eq!(files, want);
}

#[test]
fn bad_options_are_rejected() {
    for exts in [
        &[][..],
        &[""][..],
        &["."][..],
        &["tar.gz"][..],
        &["a/b"][..],
    ] {
        let err = Walk::start(vec![], &options(exts))
            .err()
            .expect("should fail");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{exts:?}");
    }
    let mut opts = options(&["mkv"]);
    opts.batch_size = 0;
    assert!(Walk::start(vec![], &opts).is_err());
}

#[test]
fn reported_stat_matches_the_file() {
    let t = TempDir::new("stat");
    let a = t.path().join("a.mkv");
    fs::write(&a, b"hello").unwrap();
    let meta = fs::metadata(&a).unwrap();
    let batches: Vec<Batch> = Walk::start(vec![t.path().into()], &options(&["mkv"]))
        .unwrap()
        .collect();
    let (path, stat) = batches[0].files().next().unwrap();
    assert_eq!(path, bytes(&a));
    assert_eq!(stat.size, 5);
    assert_eq!(stat.dev, meta.dev());
    assert_eq!(stat.ino, meta.ino());
    let want_ns = meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128;
    assert_eq!(stat.mtime_ns(), want_ns);
    assert_eq!(stat.mtime_ns_i64().map(i128::from), Some(want_ns));
}

#[test]
fn pre_1970_mtime_is_negative() {
    let stat = FileStat {
        size: 0,
        mtime_sec: -2,
        mtime_nsec: 250_000_000,
        dev: 0,
        ino: 0,
    };
    assert_eq!(stat.mtime_ns_i64(), Some(-1_750_000_000));
    let far = FileStat {
        mtime_sec: i64::MAX / 10,
        ..stat
    };
    assert_eq!(far.mtime_ns_i64(), None);
    assert_eq!(
        far.mtime_ns(),
        (i64::MAX / 10) as i128 * 1_000_000_000 + 250_000_000
    );
}

#[test]
fn hidden_entries_are_skipped_but_hidden_roots_are_walked() {
    let t = TempDir::new("hidden");
    let root = t.path().join(".root");
    let seen = t.file(".root/a.mkv");
    t.file(".root/.hidden/b.mkv");
    t.file(".root/.c.mkv");
    t.file(".root/sub/.hidden/d.mkv");
    let (files, _) = collect(&[&root], &options(&["mkv"]));
    assert_eq!(files, vec![bytes(&seen)]);

    let mut opts = options(&["mkv"]);
    opts.skip_hidden = false;
    let (files, _) = collect(&[&root], &opts);
    assert_eq!(files.len(), 4);
}

#[test]
fn symlinks_are_not_followed_by_default() {
    let t = TempDir::new("nofollow");
    let real = t.file("real/a.mkv");
    let other = TempDir::new("nofollow-target");
    other.file("b.mkv");
    symlink(other.path(), t.path().join("real/linkdir")).unwrap();
    symlink(&real, t.path().join("real/link.mkv")).unwrap();
    let (files, errors) = collect(&[t.path()], &options(&["mkv"]));
    assert!(errors.is_empty());
    assert_eq!(files, vec![bytes(&real)]);
}

#[test]
fn symlinks_are_followed_without_looping_when_asked() {
    let t = TempDir::new("follow");
    let a = t.file("top/a.mkv");
    let b = t.file("top/sub/b.mkv");
    // A link back to an ancestor, and a link to a file outside the tree.
    symlink(t.path().join("top"), t.path().join("top/sub/loop")).unwrap();
    let outside = TempDir::new("follow-target");
    let target = outside.file("target.bin");
    fs::write(&target, b"12345678").unwrap();
    let link = t.path().join("top/sub/link.mkv");
    symlink(&target, &link).unwrap();
    symlink(t.path().join("missing"), t.path().join("top/dangling.mkv")).unwrap();

    let mut opts = options(&["mkv"]);
    opts.follow_symlinks = true;
    let roots = vec![t.path().join("top")];
    let mut found = Vec::new();
    for batch in Walk::start(roots, &opts).unwrap() {
        assert!(batch.errors.is_empty(), "{:?}", batch.errors);
        found.extend(batch.files().map(|(p, s)| (p.to_vec(), s.size)));
    }
    found.sort();
    let mut want = vec![(bytes(&a), 1), (bytes(&b), 1), (bytes(&link), 8)];
    want.sort();
    assert_eq!(found, want);
}

#[test]
fn a_fifo_by_a_videos_name_is_yielded_for_the_scan_to_report() {
    let t = TempDir::new("fifo");
    let real = t.file("a.mkv");
    let fifo = t.path().join("b.mkv");
    let name = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path that lives across the call.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    t.file("c.txt");
    let (files, errors) = collect(&[t.path()], &options(&["mkv"]));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(files, vec![bytes(&real), bytes(&fifo)]);
    // named as a root too; the walk never opens it
    let (files, _) = collect(&[&fifo], &options(&["mkv"]));
    assert_eq!(files, vec![bytes(&fifo)]);
}

#[test]
fn unreadable_and_missing_roots_are_reported() {
    let t = TempDir::new("errors");
    let ok = t.file("ok/a.mkv");
    let locked = t.path().join("ok/locked");
    t.file("ok/locked/secret.mkv");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let missing = t.path().join("missing");

    let (files, errors) = collect(&[&t.path().join("ok"), &missing], &options(&["mkv"]));
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();

    assert!(files.contains(&bytes(&ok)));
    assert!(
        errors.contains(&(missing.clone(), io::ErrorKind::NotFound)),
        "{errors:?}"
    );
    if is_root() {
        // root reads through mode 000; nothing to assert about `locked`.
        eprintln!("running as root: skipping the permission-denied assertion");
    } else {
        assert!(
            errors.contains(&(locked, io::ErrorKind::PermissionDenied)),
            "{errors:?}"
        );
        assert_eq!(files, vec![bytes(&ok)]);
    }
}

#[test]
fn error_messages_are_short_and_human() {
    let t = TempDir::new("message");
    let missing = t.path().join("nope");
    let batches: Vec<Batch> = Walk::start(vec![missing.clone()], &options(&["mkv"]))
        .unwrap()
        .collect();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].len(), 0);
    let err = &batches[0].errors[0];
    assert_eq!(err.path, missing);
    assert_eq!(
        err.error.to_string(),
        "No such file or directory (os error 2)"
    );
}

#[test]
fn non_utf8_names_round_trip() {
    let t = TempDir::new("bytes");
    let dir = t.path().join(OsStr::from_bytes(b"d\xff\xfe"));
    fs::create_dir(&dir).unwrap();
    let file = dir.join(OsStr::from_bytes(b"caf\xe9 \x80.MKV"));
    fs::write(&file, b"x").unwrap();
    let (files, errors) = collect(&[t.path()], &options(&["mkv"]));
    assert!(errors.is_empty());
    assert_eq!(files, vec![bytes(&file)]);
}

#[test]
fn file_roots_and_trailing_slashes() {
    let t = TempDir::new("roots");
    let a = t.file("a.mkv");
    let b = t.file("dir/b.mkv");
    let txt = t.file("c.txt");
    let dir_with_slash = PathBuf::from(format!("{}/", t.path().join("dir").display()));
    let (files, errors) = collect(&[&a, &txt, &dir_with_slash], &options(&["mkv"]));
    assert!(errors.is_empty());
    let mut want = vec![bytes(&a), bytes(&b)];
    want.sort();
    assert_eq!(files, want);
    // The filesystem root itself joins without doubling the slash.
    assert_eq!(crate::traverse::path_of(b"/").join("x"), Path::new("/x"));
}

#[test]
fn relative_roots_become_absolute() {
    // Resolved against the current directory, which tests must not change.
    let (files, _) = collect(&[Path::new("rust/src")], &options(&["rs"]));
    let cwd = std::env::current_dir().unwrap();
    assert!(
        files.contains(&bytes(&cwd.join("rust/src/walk.rs"))),
        "{files:?}"
    );
    assert!(files.iter().all(|f| f.starts_with(b"/")));
}

#[test]
fn batch_sizes_are_respected() {
    let t = TempDir::new("batches");
    for d in 0..7 {
        for f in 0..9 {
            t.file(&format!("d{d}/f{f}.mkv"));
        }
    }
    t.file("big/x.txt");
    for f in 0..23 {
        t.file(&format!("big/f{f}.mkv"));
    }
    let mut opts = options(&["mkv"]);
    opts.batch_size = 4;
    opts.threads = 3;
    let sizes: Vec<usize> = Walk::start(vec![t.path().into()], &opts)
        .unwrap()
        .map(|b| b.len())
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 7 * 9 + 23);
    assert!(sizes.iter().all(|&n| n <= 4), "{sizes:?}");
    // Only the final flush may be short.
    assert!(sizes.iter().filter(|&&n| n < 4).count() <= 1, "{sizes:?}");
}

#[test]
fn closing_stops_the_walk() {
    let t = TempDir::new("cancel");
    for d in 0..40 {
        let dir = t.path().join(format!("d{d}"));
        fs::create_dir(&dir).unwrap();
        for f in 0..100 {
            fs::write(dir.join(format!("f{f}.mkv")), b"").unwrap();
        }
    }
    let mut opts = options(&["mkv"]);
    opts.batch_size = 1;
    opts.queue_depth = 2;
    opts.threads = 2;
    let mut walk = Walk::start(vec![t.path().into()], &opts).unwrap();
    assert!(walk.next().is_some());
    walk.close().unwrap();
    // One received, two queued, one blocked per worker, give or take a race.
    let sent = walk.batches_sent();
    assert!(sent < 20, "sent {sent} of 4000 batches after close");
    assert!(walk.next().is_none());
    assert!(matches!(walk.try_recv(), Ok(Recv::Finished)));
}

#[test]
fn cancel_flag_ends_iteration_early() {
    let t = TempDir::new("cancel-flag");
    for d in 0..20 {
        for f in 0..50 {
            t.file(&format!("d{d}/f{f}.mkv"));
        }
    }
    let mut opts = options(&["mkv"]);
    opts.batch_size = 1;
    let mut walk = Walk::start(vec![t.path().into()], &opts).unwrap();
    walk.next().unwrap();
    walk.cancel();
    let rest = walk.count();
    assert!(rest < 50, "{rest} batches after cancel");
}

#[test]
fn dropping_a_walk_midway_does_not_hang() {
    let t = TempDir::new("drop");
    for f in 0..100 {
        t.file(&format!("f{f}.mkv"));
    }
    let mut opts = options(&["mkv"]);
    opts.batch_size = 1;
    opts.queue_depth = 1;
    let walk = Walk::start(vec![t.path().into()], &opts).unwrap();
    drop(walk);
}
