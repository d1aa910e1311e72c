//! Where a Matroska file's headers end: just enough EBML to find the first
//! Cluster (`python/vpo/media/ebml_layout.py` says why; it calls this). No PyO3
//! here: `lib.rs` adapts it to Python.
//!
//! Reads a few kilobytes whatever the file's size: the top level before the
//! first Cluster and the SeekHead, never the clusters themselves. A dry run of
//! a whole library reads this of every Matroska file it would edit in place.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

pub const EBML: u64 = 0x1A45_DFA3;
pub const SEGMENT: u64 = 0x1853_8067;
pub const CLUSTER: u64 = 0x1F43_B675;
pub const SEEK_HEAD: u64 = 0x114D_9B74;
pub const SEEK: u64 = 0x4DBB;
pub const SEEK_POSITION: u64 = 0x53AC;

/// Headers (with attachments) bigger than this are not a normal file.
pub const MAX_HEAD: u64 = 256 << 20;
/// Read at once: the head of most files, SeekHead and all.
const HEAD_READ: usize = 64 << 10;

/// The head ends at `first_cluster` (`[0, first_cluster)`); the elements the
/// SeekHead points at after the clusters start at `tail` (the file's length
/// when there are none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub first_cluster: u64,
    pub tail: u64,
}

/// Why the layout is not known: the headers cannot be located (the reason,
/// worded for people), or the file could not be read.
#[derive(Debug)]
pub enum Error {
    NotMatroska(String),
    Io(io::Error),
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Self {
        Error::Io(err)
    }
}

fn not_matroska<T>(reason: &str) -> Result<T, Error> {
    Err(Error::NotMatroska(reason.to_string()))
}

/// Big-endian value of at most 8 bytes.
fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |v, &b| (v << 8) | u64::from(b))
}

/// (id, header length, data size or None when unknown) of the element at `pos`.
pub fn element(data: &[u8], pos: usize) -> Result<(u64, usize, Option<u64>), Error> {
    let n = data.len();
    if pos >= n {
        return not_matroska("truncated header");
    }
    let id_len = data[pos].leading_zeros() as usize + 1; // a zero byte: 9, invalid
    if id_len > 8 {
        return not_matroska(&format!("invalid element at byte {pos}"));
    }
    let at = pos + id_len;
    if at >= n {
        return not_matroska("truncated header");
    }
    let size_len = data[at].leading_zeros() as usize + 1;
    if size_len > 8 {
        return not_matroska(&format!("invalid element at byte {at}"));
    }
    let end = at + size_len;
    if end > n {
        return not_matroska("truncated header");
    }
    let unknown = (1u64 << (7 * size_len)) - 1; // all ones: the size is unknown (a live stream)
    let size = be(&data[at..end]) & unknown;
    Ok((
        be(&data[pos..at]),
        end - pos,
        (size != unknown).then_some(size),
    ))
}

/// The file's bytes `[offset, offset + n)` (fewer at its end); the first
/// HEAD_READ bytes are read once.
struct Reader<'f> {
    file: &'f File,
    head: Vec<u8>,
}

impl<'f> Reader<'f> {
    fn new(file: &'f File) -> io::Result<Self> {
        let head = read_at(file, 0, HEAD_READ)?;
        Ok(Reader { file, head })
    }

    fn read(&self, offset: u64, n: usize) -> io::Result<Vec<u8>> {
        let whole = self.head.len() < HEAD_READ;
        let len = self.head.len() as u64;
        if whole || offset.saturating_add(n as u64) <= len {
            let start = offset.min(len) as usize;
            let end = offset.saturating_add(n as u64).min(len) as usize;
            return Ok(self.head[start..end].to_vec());
        }
        read_at(self.file, offset, n)
    }
}

fn read_at(file: &File, offset: u64, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match file.read_at(&mut buf[got..], offset + got as u64) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(got);
    Ok(buf)
}

/// The head and tail of the Matroska file open as `file` (of length `size`).
pub fn layout(file: &File, size: u64) -> Result<Layout, Error> {
    let reader = Reader::new(file)?;
    let head = reader.read(0, 64)?;
    if !head.starts_with(&(EBML as u32).to_be_bytes()) {
        return not_matroska("no EBML header");
    }
    let (ident, hlen, body) = element(&head, 0)?;
    let Some(body) = body.filter(|_| ident == EBML) else {
        return not_matroska("no EBML header");
    };
    let mut pos = hlen as u64 + body;
    let (ident, hlen, seg_size) = element(&reader.read(pos, 12)?, 0)?;
    if ident != SEGMENT {
        return not_matroska("no Segment after the EBML header");
    }
    if seg_size.is_none() {
        return not_matroska("the Segment's size is unknown (a live or unfinished recording)");
    }
    let segment_data = pos + hlen as u64;
    pos = segment_data;
    let mut seek_positions: Vec<Option<u64>> = Vec::new();
    let first_cluster = loop {
        if pos >= size || pos - segment_data > MAX_HEAD {
            return not_matroska("no Cluster found");
        }
        let (ident, hlen, body) = element(&reader.read(pos, 12)?, 0)?;
        if ident == CLUSTER {
            break pos;
        }
        let Some(body) = body else {
            return not_matroska("an element of unknown size before the first Cluster");
        };
        if ident == SEEK_HEAD && body < (1 << 20) {
            seek_positions.extend(seek_positions_of(
                &reader.read(pos + hlen as u64, body as usize)?,
            )?);
        }
        pos += hlen as u64 + body;
    };
    let tail = seek_positions
        .into_iter()
        .flatten() // a position past 2^64 is past the file
        .filter_map(|p| segment_data.checked_add(p))
        .filter(|&p| p > first_cluster && p < size)
        .min()
        .unwrap_or(size);
    Ok(Layout {
        first_cluster,
        tail,
    })
}

/// The SeekPosition values (relative to the Segment's data) of a SeekHead's
/// body; None for a value past 2^64.
fn seek_positions_of(data: &[u8]) -> Result<Vec<Option<u64>>, Error> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        let (ident, hlen, body) = element(data, pos)?;
        let Some(body) = body else { break };
        let next = (pos + hlen).saturating_add(body.try_into().unwrap_or(usize::MAX));
        if ident == SEEK {
            let (mut inner, end) = (pos + hlen, next);
            while inner < end {
                let (sub, sub_hlen, sub_body) = element(data, inner)?;
                let Some(sub_body) = sub_body else { break };
                let value_end =
                    (inner + sub_hlen).saturating_add(sub_body.try_into().unwrap_or(usize::MAX));
                if sub == SEEK_POSITION {
                    let value =
                        &data[(inner + sub_hlen).min(data.len())..value_end.min(data.len())];
                    let digits = &value[value.iter().take_while(|&&b| b == 0).count()..];
                    out.push((digits.len() <= 8).then(|| be(digits)));
                }
                inner = value_end;
            }
        }
        pos = next;
    }
    Ok(out)
}

#[cfg(test)]
#[path = "ebml_tests.rs"]
mod tests;
