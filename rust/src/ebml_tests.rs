//! `ebml::layout` on hand-built element streams (tests/unit/test_ebml_and_journal_schema.py
//! checks the same through Python).

use std::io::Write;

use super::*;

/// An element: its id bytes, an 8-byte size (or the unknown-size marker), its body.
fn el(ident: u64, body: &[u8], unknown: bool) -> Vec<u8> {
    let id_len = (64 - ident.leading_zeros() as usize).div_ceil(8);
    let mut out = ident.to_be_bytes()[8 - id_len..].to_vec();
    if unknown {
        out.extend([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    } else {
        out.push(0x01);
        out.extend(&(body.len() as u64).to_be_bytes()[1..]);
    }
    out.extend(body);
    out
}

/// EBML header, Segment(SeekHead -> Cues or 0, Void, Cluster, Cues); (bytes, first Cluster, Cues).
fn matroska(unknown: bool, seek_to_cues: bool) -> (Vec<u8>, u64, u64) {
    let header = el(EBML, &el(0x4282, b"matroska", false), false);
    let seek_head = |position: u32| {
        let seek = [
            el(0x53AB, &[0x1c, 0x53, 0xbb, 0x6b], false),
            el(SEEK_POSITION, &position.to_be_bytes(), false),
        ];
        el(SEEK_HEAD, &el(SEEK, &seek.concat(), false), false)
    };
    let void = el(0xEC, &[0; 30], false);
    let cluster = el(CLUSTER, &[0x11; 500], false);
    let before_clusters = seek_head(0).len() + void.len();
    let cues_at = (before_clusters + cluster.len()) as u32; // relative to the Segment's data
    let head = seek_head(if seek_to_cues { cues_at } else { 0 });
    let body = [head, void, cluster, el(0x1C53BB6B, &[0x33; 50], false)].concat();
    let data_start = (header.len() + 12) as u64;
    let data = [header, el(SEGMENT, &body, unknown)].concat();
    (
        data,
        data_start + before_clusters as u64,
        data_start + u64::from(cues_at),
    )
}

fn layout_of(data: &[u8]) -> Result<Layout, Error> {
    let mut file = tempfile();
    file.write_all(data).unwrap();
    layout(&file, data.len() as u64)
}

fn tempfile() -> File {
    let path = std::env::temp_dir().join(format!(
        "vpo-ebml-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    file
}

fn reason(result: Result<Layout, Error>) -> String {
    match result {
        Err(Error::NotMatroska(reason)) => reason,
        other => panic!("expected NotMatroska, got {other:?}"),
    }
}

#[test]
fn the_head_ends_at_the_first_cluster_and_the_tail_starts_at_the_cues() {
    let (data, first, cues) = matroska(false, true);
    let found = layout_of(&data).unwrap();
    assert_eq!((found.first_cluster, found.tail), (first, cues));
    assert_eq!(
        &data[first as usize..first as usize + 4],
        &[0x1f, 0x43, 0xb6, 0x75]
    );
}

#[test]
fn no_seek_entry_after_the_clusters_means_no_tail() {
    let (data, _, _) = matroska(false, false);
    assert_eq!(layout_of(&data).unwrap().tail, data.len() as u64);
}

#[test]
fn headers_that_cannot_be_located_say_why() {
    let (data, first, _) = matroska(true, true);
    assert!(reason(layout_of(&data)).contains("size is unknown"));
    let (data, _, _) = matroska(false, true);
    assert_eq!(
        reason(layout_of(&data[..first as usize])),
        "no Cluster found"
    );
    assert_eq!(reason(layout_of(b"RIFF\0\0\0\0AVI ")), "no EBML header");
    assert_eq!(
        reason(layout_of(&data[..first as usize + 3])),
        "truncated header"
    );
}

#[test]
fn an_invalid_length_marker_names_its_byte() {
    assert_eq!(
        reason(element(&[0x1a, 0x45, 0xdf, 0xa3, 0x00], 0).map(|_| Layout {
            first_cluster: 0,
            tail: 0
        })),
        "invalid element at byte 4"
    );
    assert_eq!(
        reason(element(&[0x00], 0).map(|_| Layout {
            first_cluster: 0,
            tail: 0
        })),
        "invalid element at byte 0"
    );
}
