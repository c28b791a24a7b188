//! The header page at the start of a shared ring's file: its layout, and the checks a process
//! makes before it trusts any of it.
//!
//! ```text
//! offset  field           written by        meaning
//!      0  magic           creator, last     MAGIC once the header is complete
//!      8  version         creator           VERSION (the layout below)
//!     12  header_len      creator           bytes before the data (whole pages)
//!     16  data_len        creator           physical data size N in bytes (whole pages)
//!     24  frame_len       creator           bytes per element, as declared by the creator
//!     28  (reserved)
//!     32  producer.owner  claimer           0 = free, else pid | low 32 bits of start time << 32
//!     40  producer.claims claimer           how many times the role was claimed
//!     48  consumer.owner  claimer           as above
//!     56  consumer.claims claimer
//!    128  tail            producer          bytes ever published (free-running)
//!    136  data_seq        producer          futex word: bumped after a publish a consumer waits for
//!    140  space_waiting   producer          1 while the producer waits for space
//!    144  space_want      producer          free bytes the waiting producer wants woken for
//!    256  head            consumer          bytes ever consumed (free-running)
//!    264  space_seq       consumer          futex word: bumped after a consume the producer waits for
//!    268  data_waiting    consumer          1 while the consumer waits for data
//!    272  data_want       consumer          queued bytes the waiting consumer wants woken for
//! ```
//!
//! Each end's own index and the flag the other end reads after every operation sit on their own
//! 128-byte line, so the two processes never write the same cache line in the fast path.

use std::sync::atomic::{AtomicU32, AtomicU64};

/// `b"picoRIPC"` read as a little-endian `u64`.
pub(super) const MAGIC: u64 = u64::from_le_bytes(*b"picoRIPC");
/// The layout described above.
pub(super) const VERSION: u32 = 1;
/// The largest header accepted on attach (a creator uses one page).
pub(super) const MAX_HEADER_LEN: usize = 1 << 20;

/// One role's claim: who holds it, and how many times it was ever claimed.
#[repr(C)]
pub(super) struct RoleSlot {
    /// 0 when free; otherwise the holder's identity (see `os::self_owner`).
    pub(super) owner: AtomicU64,
    /// Incremented by every successful claim: a role never claimed (0) is not "abandoned".
    pub(super) claims: AtomicU32,
    _reserved: AtomicU32,
}

/// The header, as it lies at offset 0 of the file. Every field is an atomic: another process
/// may write any of them at any time.
#[repr(C)]
pub(super) struct Header {
    pub(super) magic: AtomicU64,
    pub(super) version: AtomicU32,
    pub(super) header_len: AtomicU32,
    pub(super) data_len: AtomicU64,
    pub(super) frame_len: AtomicU32,
    _reserved: AtomicU32,
    pub(super) producer: RoleSlot,
    pub(super) consumer: RoleSlot,
    _pad0: [AtomicU64; 8],
    pub(super) tail: AtomicU64,
    pub(super) data_seq: AtomicU32,
    pub(super) space_waiting: AtomicU32,
    pub(super) space_want: AtomicU64,
    _pad1: [AtomicU64; 13],
    pub(super) head: AtomicU64,
    pub(super) space_seq: AtomicU32,
    pub(super) data_waiting: AtomicU32,
    pub(super) data_want: AtomicU64,
    _pad2: [AtomicU64; 13],
}

/// Size of [`Header`] in bytes: the least a file must hold to be looked at.
pub(super) const HEADER_SIZE: usize = std::mem::size_of::<Header>();

/// The geometry a header declares, once checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Geometry {
    pub(super) header_len: usize,
    pub(super) data_len: usize,
    pub(super) frame_len: usize,
}

impl Geometry {
    /// The geometry for a new ring of at least `bytes` data bytes, in whole `frame_len`-byte
    /// frames and whole pages. `None` when it does not fit the address space.
    pub(super) fn for_new(bytes: usize, frame_len: usize, page: usize) -> Option<Geometry> {
        let header_len = HEADER_SIZE.checked_next_multiple_of(page)?;
        let unit = lcm(page, frame_len)?;
        let data_len = bytes.checked_next_multiple_of(unit)?;
        let geometry = Geometry {
            header_len,
            data_len,
            frame_len,
        };
        geometry.address_space()?;
        Some(geometry)
    }

    /// Bytes of address space the mirrored mapping takes: header + 2 * data. `None` when that
    /// exceeds `isize::MAX`.
    pub(super) fn address_space(&self) -> Option<usize> {
        let total = self.data_len.checked_mul(2)?.checked_add(self.header_len)?;
        (total <= isize::MAX as usize).then_some(total)
    }

    /// Bytes the file holds: header + data.
    pub(super) fn file_len(&self) -> usize {
        // Cannot overflow: `address_space` (checked on every construction) is larger.
        self.header_len + self.data_len
    }

    /// Reads and checks the geometry from a copy of the header's first bytes (`bytes` holds at
    /// least [`HEADER_SIZE`] of them, read from a file of `file_len` bytes). `page` is this
    /// process's page size. Returns why the header is refused.
    pub(super) fn parse(bytes: &[u8], file_len: u64, page: usize) -> Result<Geometry, HeaderError> {
        if bytes.len() < HEADER_SIZE || file_len < HEADER_SIZE as u64 {
            return Err(HeaderError::Truncated);
        }
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            u64::from_ne_bytes(b)
        };
        let u32_at = |at: usize| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&bytes[at..at + 4]);
            u32::from_ne_bytes(b)
        };
        if u64_at(std::mem::offset_of!(Header, magic)) != MAGIC {
            return Err(HeaderError::Magic);
        }
        let version = u32_at(std::mem::offset_of!(Header, version));
        if version != VERSION {
            return Err(HeaderError::Version(version));
        }
        let header_len = u32_at(std::mem::offset_of!(Header, header_len)) as usize;
        let data_len = usize::try_from(u64_at(std::mem::offset_of!(Header, data_len)))
            .map_err(|_| HeaderError::Geometry)?;
        let frame_len = u32_at(std::mem::offset_of!(Header, frame_len)) as usize;
        let geometry = Geometry {
            header_len,
            data_len,
            frame_len,
        };
        let valid = (HEADER_SIZE..=MAX_HEADER_LEN).contains(&header_len)
            && header_len % page == 0
            && data_len > 0
            && data_len % page == 0
            && frame_len > 0
            && data_len % frame_len == 0
            && geometry.address_space().is_some();
        if !valid {
            return Err(HeaderError::Geometry);
        }
        if file_len < geometry.file_len() as u64 {
            return Err(HeaderError::Truncated);
        }
        Ok(geometry)
    }
}

/// Why a header was refused on attach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HeaderError {
    /// The file is shorter than its header says (or than a header).
    Truncated,
    /// Not a picoring shared ring (or not initialized).
    Magic,
    /// A layout version this build does not know.
    Version(u32),
    /// Sizes that are zero, not whole pages or frames, or too large.
    Geometry,
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderError::Truncated => f.write_str("shared ring file is truncated"),
            HeaderError::Magic => f.write_str("not a picoring shared ring (bad magic number)"),
            HeaderError::Version(v) => {
                write!(
                    f,
                    "shared ring layout version {v} is not supported (this build reads {VERSION})"
                )
            }
            HeaderError::Geometry => f.write_str("shared ring header declares an invalid geometry"),
        }
    }
}

/// Least common multiple, `None` on overflow.
fn lcm(a: usize, b: usize) -> Option<usize> {
    let (mut x, mut y) = (a, b);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    (a / x).checked_mul(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_documented_offsets() {
        use std::mem::offset_of;
        assert_eq!(offset_of!(Header, magic), 0);
        assert_eq!(offset_of!(Header, version), 8);
        assert_eq!(offset_of!(Header, header_len), 12);
        assert_eq!(offset_of!(Header, data_len), 16);
        assert_eq!(offset_of!(Header, frame_len), 24);
        assert_eq!(offset_of!(Header, producer), 32);
        assert_eq!(offset_of!(Header, consumer), 48);
        assert_eq!(offset_of!(Header, tail), 128);
        assert_eq!(offset_of!(Header, data_seq), 136);
        assert_eq!(offset_of!(Header, space_waiting), 140);
        assert_eq!(offset_of!(Header, space_want), 144);
        assert_eq!(offset_of!(Header, head), 256);
        assert_eq!(offset_of!(Header, space_seq), 264);
        assert_eq!(offset_of!(Header, data_waiting), 268);
        assert_eq!(offset_of!(Header, data_want), 272);
        assert_eq!(HEADER_SIZE, 384);
    }

    #[test]
    fn new_geometry_is_whole_pages_and_frames() {
        let g = Geometry::for_new(100, 12, 4096).unwrap();
        assert_eq!(g.header_len, 4096);
        assert_eq!(g.data_len, 12288);
        assert!(Geometry::for_new(usize::MAX, 1, 4096).is_none());
        assert!(Geometry::for_new(isize::MAX as usize / 2, 1, 4096).is_none());
    }
}
