//! A reference implementation of the stream's frame readers over a `VecDeque<u8>`, written
//! from their documentation.

use std::collections::VecDeque;

use picoring::{FrameError, LengthPrefix};

/// What `read_until(delim)` returns for `queued`: the frame up to and including the first
/// `delim`, removed from `queued`.
pub fn read_until(queued: &mut VecDeque<u8>, delim: u8) -> Option<Vec<u8>> {
    let end = queued.iter().position(|&b| b == delim)? + 1;
    Some(queued.drain(..end).collect())
}

/// What `next_frame(prefix)` returns for `queued` in a stream of `capacity` bytes.
pub fn next_frame(
    queued: &mut VecDeque<u8>,
    prefix: LengthPrefix,
    capacity: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    let width = prefix.width();
    if queued.len() < width {
        return Ok(None);
    }
    let mut len: u64 = 0;
    for i in 0..width {
        let byte = if prefix.is_big_endian() {
            queued[i]
        } else {
            queued[width - 1 - i]
        };
        len = len << 8 | u64::from(byte);
    }
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    let max = prefix.max_len().min(capacity.saturating_sub(width));
    if len > max {
        return Err(FrameError::TooLong { len, max });
    }
    if queued.len() < width + len {
        return Ok(None);
    }
    queued.drain(..width);
    Ok(Some(queued.drain(..len).collect()))
}

/// A length prefix from fuzz input: width 1, 2 or 4, either order, with or without a limit.
pub fn prefix(width: u8, big_endian: bool, max_len: Option<u32>) -> LengthPrefix {
    let width = [1, 2, 4][usize::from(width) % 3];
    let prefix = LengthPrefix::from_parts(width, big_endian).expect("valid width");
    match max_len {
        Some(max) => prefix.with_max_len(max as usize),
        None => prefix,
    }
}
