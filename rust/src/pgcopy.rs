//! PostgreSQL's binary COPY format (`COPY ... TO STDOUT (FORMAT BINARY)`), read as it
//! streams in, in chunks of any size.
//!
//! The stream is a header (the signature `PGCOPY\n\xff\r\n\0`, an int32 of flags, an
//! int32 length of a header extension and the extension), then one tuple after another
//! (an int16 field count, then per field an int32 length, -1 for NULL, and that many
//! bytes), then the trailer (an int16 -1). Integers are big-endian. A tuple may be split
//! across chunks: the unfinished tail waits in the reader for the next chunk.

use std::fmt;
use std::ops::Range;

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
/// Flag bit 16 (OIDs in every tuple) and the format-critical bits 0..15: none expected.
const UNEXPECTED_FLAGS: u32 = 0x0001_ffff;

/// What is wrong with the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyError(pub String);

impl fmt::Display for CopyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CopyError {}

fn error<T>(message: impl Into<String>) -> Result<T, CopyError> {
    Err(CopyError(message.into()))
}

/// One tuple: its fields' bytes, `None` for NULL.
pub struct Tuple<'a> {
    data: &'a [u8],
    fields: &'a [Option<Range<usize>>],
}

impl<'a> Tuple<'a> {
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Field `i` (`None`: NULL). Panics past `len()`.
    pub fn field(&self, i: usize) -> Option<&'a [u8]> {
        self.fields[i].clone().map(|r| &self.data[r])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Header,
    Tuples,
    Done,
}

/// A streaming reader: [`feed`](Self::feed) chunks in order, then [`finish`](Self::finish).
#[derive(Debug)]
pub struct CopyReader {
    state: State,
    /// Bytes of an unfinished header or tuple, from earlier chunks.
    pending: Vec<u8>,
    /// Reused for every tuple's field ranges.
    fields: Vec<Option<Range<usize>>>,
    tuples: u64,
}

impl Default for CopyReader {
    fn default() -> Self {
        CopyReader {
            state: State::Header,
            pending: Vec::new(),
            fields: Vec::new(),
            tuples: 0,
        }
    }
}

impl CopyReader {
    pub fn new() -> CopyReader {
        CopyReader::default()
    }

    /// Read the next chunk; `row` is called with each tuple completed by it, in order.
    /// An error of `row` stops the reading and is returned.
    pub fn feed<F>(&mut self, chunk: &[u8], mut row: F) -> Result<(), CopyError>
    where
        F: FnMut(&Tuple<'_>) -> Result<(), CopyError>,
    {
        if self.pending.is_empty() {
            let used = self.read(chunk, &mut row)?;
            self.pending.extend_from_slice(&chunk[used..]);
        } else {
            let mut buf = std::mem::take(&mut self.pending);
            buf.extend_from_slice(chunk);
            let used = self.read(&buf, &mut row)?;
            buf.drain(..used);
            self.pending = buf;
        }
        Ok(())
    }

    /// The stream ended: an error unless it ended with its trailer.
    pub fn finish(&self) -> Result<(), CopyError> {
        match self.state {
            State::Done => Ok(()),
            State::Header if self.pending.is_empty() => error("the COPY data is empty"),
            State::Header => error("the COPY data ends inside its header"),
            State::Tuples if self.pending.is_empty() => error(format!(
                "the COPY data ends without its trailer after {} tuples",
                self.tuples
            )),
            State::Tuples => error(format!(
                "the COPY data ends inside tuple {} ({} bytes of it)",
                self.tuples + 1,
                self.pending.len()
            )),
        }
    }

    /// Tuples read so far.
    pub fn tuples(&self) -> u64 {
        self.tuples
    }

    /// Read what is complete in `data`; returns how many bytes that was.
    fn read<F>(&mut self, data: &[u8], row: &mut F) -> Result<usize, CopyError>
    where
        F: FnMut(&Tuple<'_>) -> Result<(), CopyError>,
    {
        let mut at = 0;
        loop {
            let rest = &data[at..];
            match self.state {
                State::Done if rest.is_empty() => return Ok(at),
                State::Done => return error("the COPY data goes on after its trailer"),
                State::Header => match header(rest)? {
                    Some(used) => {
                        at += used;
                        self.state = State::Tuples;
                    }
                    None => return Ok(at),
                },
                State::Tuples => match self.tuple(rest)? {
                    Some(None) => {
                        at += 2;
                        self.state = State::Done;
                    }
                    Some(Some(used)) => {
                        self.tuples += 1;
                        row(&Tuple {
                            data: &rest[..used],
                            fields: &self.fields,
                        })?;
                        at += used;
                    }
                    None => return Ok(at),
                },
            }
        }
    }

    /// The tuple at the start of `data`: `Some(Some(length))`, `Some(None)` for the
    /// trailer, `None` when it is not all there yet. Fills `self.fields`.
    fn tuple(&mut self, data: &[u8]) -> Result<Option<Option<usize>>, CopyError> {
        let Some(count) = int16(data, 0) else {
            return Ok(None);
        };
        if count == -1 {
            return Ok(Some(None));
        }
        if count < 0 {
            return error(format!("a tuple of {count} fields in the COPY data"));
        }
        self.fields.clear();
        let mut at = 2;
        for _ in 0..count {
            let Some(len) = int32(data, at) else {
                return Ok(None);
            };
            at += 4;
            if len == -1 {
                self.fields.push(None);
                continue;
            }
            let Ok(len) = usize::try_from(len) else {
                return error(format!("a field of length {len} in the COPY data"));
            };
            if data.len() < at + len {
                return Ok(None);
            }
            self.fields.push(Some(at..at + len));
            at += len;
        }
        Ok(Some(Some(at)))
    }
}

/// The header at the start of `data`: its length, or `None` when it is not all there yet.
fn header(data: &[u8]) -> Result<Option<usize>, CopyError> {
    let seen = data.len().min(SIGNATURE.len());
    if data[..seen] != SIGNATURE[..seen] {
        return error("not PostgreSQL's binary COPY data (no PGCOPY signature)");
    }
    let (Some(flags), Some(extension)) = (int32(data, 11), int32(data, 15)) else {
        return Ok(None);
    };
    if flags as u32 & UNEXPECTED_FLAGS != 0 {
        return error(format!("COPY data with unexpected flags {flags:#x}"));
    }
    let Ok(extension) = usize::try_from(extension) else {
        return error(format!("a COPY header extension of length {extension}"));
    };
    let end = 19 + extension;
    Ok((data.len() >= end).then_some(end))
}

fn int16(data: &[u8], at: usize) -> Option<i16> {
    Some(i16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn int32(data: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// A field as an int8 (`None` for NULL); an error if it is not 8 bytes long.
pub fn int8(field: Option<&[u8]>) -> Result<Option<i64>, CopyError> {
    match field {
        None => Ok(None),
        Some(bytes) => match <[u8; 8]>::try_from(bytes) {
            Ok(b) => Ok(Some(i64::from_be_bytes(b))),
            Err(_) => error(format!(
                "a field of {} bytes where an int8 was expected",
                bytes.len()
            )),
        },
    }
}

#[cfg(test)]
#[path = "pgcopy_tests.rs"]
mod tests;
