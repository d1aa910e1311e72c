//! Tests of the binary COPY reader (plain `cargo test --no-default-features`).

use super::*;
use crate::known::Unchanged;

/// A stream as PostgreSQL writes it: header (with `extension` bytes), tuples, trailer.
fn stream(extension: &[u8], tuples: &[Vec<Option<Vec<u8>>>], trailer: bool) -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    out.extend_from_slice(&0_i32.to_be_bytes());
    out.extend_from_slice(&(extension.len() as i32).to_be_bytes());
    out.extend_from_slice(extension);
    for tuple in tuples {
        out.extend_from_slice(&(tuple.len() as i16).to_be_bytes());
        for field in tuple {
            match field {
                None => out.extend_from_slice(&(-1_i32).to_be_bytes()),
                Some(bytes) => {
                    out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
                    out.extend_from_slice(bytes);
                }
            }
        }
    }
    if trailer {
        out.extend_from_slice(&(-1_i16).to_be_bytes());
    }
    out
}

fn row(path: &str, size: Option<i64>, mtime_ns: Option<i64>) -> Vec<Option<Vec<u8>>> {
    vec![
        Some(path.as_bytes().to_vec()),
        size.map(|s| s.to_be_bytes().to_vec()),
        mtime_ns.map(|m| m.to_be_bytes().to_vec()),
    ]
}

/// Every tuple's fields, reading `data` in chunks of `step` bytes.
fn read(data: &[u8], step: usize) -> Result<Vec<Vec<Option<Vec<u8>>>>, CopyError> {
    let mut reader = CopyReader::new();
    let mut got = Vec::new();
    for chunk in data.chunks(step.max(1)) {
        reader.feed(chunk, |t| {
            got.push(
                (0..t.len())
                    .map(|i| t.field(i).map(<[u8]>::to_vec))
                    .collect(),
            );
            Ok(())
        })?;
    }
    reader.finish()?;
    Ok(got)
}

fn sample() -> Vec<Vec<Option<Vec<u8>>>> {
    vec![
        row("/m/a.mkv", Some(10), Some(1_700_000_000_123_456_789)),
        row("/m/b\u{e9}.mp4", None, Some(5)),
        vec![Some(Vec::new()), None, None],
        row("/m/c.avi", Some(-3), Some(-7)),
    ]
}

#[test]
fn reads_every_tuple_whatever_the_chunk_size() {
    let tuples = sample();
    let data = stream(b"", &tuples, true);
    // 1 byte at a time splits every length, every field and the trailer.
    for step in [1, 2, 3, 5, 7, 13, 19, 20, 64, data.len()] {
        assert_eq!(read(&data, step).unwrap(), tuples, "chunks of {step} bytes");
    }
}

#[test]
fn skips_a_header_extension() {
    let tuples = sample();
    let data = stream(b"\x00\x01future", &tuples, true);
    assert_eq!(read(&data, 4).unwrap(), tuples);
}

#[test]
fn an_empty_result_is_a_header_and_a_trailer() {
    let mut reader = CopyReader::new();
    reader
        .feed(&stream(b"", &[], true), |_| panic!("no tuple"))
        .unwrap();
    reader.finish().unwrap();
    assert_eq!(reader.tuples(), 0);
}

#[test]
fn a_stream_without_its_trailer_is_an_error() {
    let data = stream(b"", &sample(), false);
    let err = read(&data, 8).unwrap_err();
    assert!(
        err.0.contains("without its trailer after 4 tuples"),
        "{err}"
    );
    // Cut inside the last tuple.
    let err = read(&data[..data.len() - 3], 8).unwrap_err();
    assert!(err.0.contains("ends inside tuple 4"), "{err}");
    assert!(read(&[], 1).unwrap_err().0.contains("empty"));
    assert!(read(&data[..12], 1)
        .unwrap_err()
        .0
        .contains("inside its header"));
}

#[test]
fn data_after_the_trailer_is_an_error() {
    let mut data = stream(b"", &sample(), true);
    data.push(0);
    assert!(read(&data, 3).unwrap_err().0.contains("after its trailer"));
}

#[test]
fn a_bad_header_is_an_error_as_soon_as_it_shows() {
    let mut reader = CopyReader::new();
    let err = reader.feed(b"PGCOPZ", |_| Ok(())).unwrap_err();
    assert!(err.0.contains("no PGCOPY signature"), "{err}");
    // Text COPY output, not binary.
    let err = read(b"/m/a.mkv\t10\t5\n\\.\n", 64).unwrap_err();
    assert!(err.0.contains("no PGCOPY signature"), "{err}");
    // OIDs in every tuple (flag bit 16).
    let mut data = stream(b"", &[], true);
    data[11..15].copy_from_slice(&0x0001_0000_i32.to_be_bytes());
    assert!(read(&data, 64).unwrap_err().0.contains("unexpected flags"));
    // Non-critical flags (bits 17..31) are ignored.
    data[11..15].copy_from_slice(&0x0002_0000_i32.to_be_bytes());
    assert!(read(&data, 64).unwrap().is_empty());
}

#[test]
fn bad_lengths_are_errors() {
    let mut data = stream(b"", &[], false);
    data.extend_from_slice(&(-2_i16).to_be_bytes());
    assert!(read(&data, 64).unwrap_err().0.contains("-2 fields"));
    let mut data = stream(b"", &[], false);
    data.extend_from_slice(&1_i16.to_be_bytes());
    data.extend_from_slice(&(-5_i32).to_be_bytes());
    assert!(read(&data, 64).unwrap_err().0.contains("length -5"));
}

#[test]
fn fills_the_snapshot_leaving_nulls_and_negative_sizes_to_python() {
    let data = stream(b"", &sample(), true);
    let mut known = Unchanged::default();
    let mut reader = CopyReader::new();
    for chunk in data.chunks(3) {
        known.feed_copy(&mut reader, chunk).unwrap();
    }
    reader.finish().unwrap();
    assert_eq!(reader.tuples(), 4);
    // Only /m/a.mkv has a size and an mtime a file can match.
    assert_eq!(known.len(), 1);
    assert_eq!(known.unseen(), vec![b"/m/a.mkv".as_slice()]);
}

#[test]
fn the_snapshot_wants_three_fields_of_eight_byte_integers() {
    let mut reader = CopyReader::new();
    let two = stream(b"", &[vec![Some(b"/m/a".to_vec()), None]], true);
    let err = Unchanged::default()
        .feed_copy(&mut reader, &two)
        .unwrap_err();
    assert!(err.0.contains("2 fields"), "{err}");
    let mut reader = CopyReader::new();
    let int4 = stream(
        b"",
        &[vec![
            Some(b"/m/a".to_vec()),
            Some(10_i32.to_be_bytes().to_vec()),
            None,
        ]],
        true,
    );
    let err = Unchanged::default()
        .feed_copy(&mut reader, &int4)
        .unwrap_err();
    assert!(err.0.contains("int8"), "{err}");
}
