//! Linux, last resort before the software mirror: a POSIX shared-memory object mapped twice.
//!
//! ```text
//! fd = shm_open("/picoring.<64 random bits>.<counter>", O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC, 0600)
//! shm_unlink(name)                  // at once: the name exists only between these two calls
//! ftruncate(fd, N)
//! posix_fallocate(fd, 0, N)         // a full /dev/shm is ENOSPC now, never a SIGBUS later
//! map twice into a PROT_NONE reservation, close(fd), register for fork
//! ```
//!
//! The name is random (never pid + size, which collides between threads) and `O_EXCL` makes a
//! name taken by anyone else an `EEXIST`, after which we draw a new one. Reserving the space
//! with `posix_fallocate` means this backend holds its N bytes of `/dev/shm` from creation on.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use super::fork::map_twice;
use crate::sys::linux::{allocate, getrandom, shm_create, shm_unlink};
use crate::sys::unix::set_len;
use crate::Error;

/// How many fresh names to try when `shm_open` says `EEXIST`.
const NAME_ATTEMPTS: usize = 8;

pub(super) fn map(len: usize) -> Result<NonNull<u8>, Error> {
    let fd = open_unlinked()?;
    set_len(&fd, len)?;
    allocate(&fd, len)?;
    // `fd` is closed when it drops, on success and on every error path; the mappings keep the
    // pages alive.
    map_twice(&fd, len)
}

/// Creates a new shared-memory object under a fresh random name and unlinks the name again.
fn open_unlinked() -> Result<OwnedFd, Error> {
    for _ in 0..NAME_ATTEMPTS {
        let name = ShmName::new()?;
        // SAFETY: `name` is NUL-terminated and outlives the call.
        let Some(fd) = (unsafe { shm_create(name.as_ptr()) })? else {
            continue; // taken: draw another name
        };
        // SAFETY: as above; the name is ours (O_EXCL) so we are the ones to remove it.
        unsafe { shm_unlink(name.as_ptr()) }?;
        return Ok(fd);
    }
    Err(Error::Os {
        op: "shm_open",
        source: std::io::Error::from_raw_os_error(libc::EEXIST),
    })
}

/// `/picoring.` + 16 hex digits of randomness + `.` + 16 hex digits of a process-wide counter,
/// NUL-terminated. The counter alone keeps names unique within the process; the random part
/// keeps them unique across processes (and across a fork, where the counter is copied).
struct ShmName([u8; ShmName::LEN]);

impl ShmName {
    const PREFIX: &'static [u8] = b"/picoring.";
    const LEN: usize = Self::PREFIX.len() + 16 + 1 + 16 + 1;

    fn new() -> Result<Self, Error> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let random = random_u64()?;
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0u8; Self::LEN];
        let (prefix, rest) = bytes.split_at_mut(Self::PREFIX.len());
        prefix.copy_from_slice(Self::PREFIX);
        write_hex(&mut rest[..16], random);
        rest[16] = b'.';
        write_hex(&mut rest[17..33], count);
        // rest[33] stays 0: the terminating NUL.
        Ok(ShmName(bytes))
    }

    fn as_ptr(&self) -> *const libc::c_char {
        self.0.as_ptr().cast()
    }
}

/// Writes `value` as `out.len()` lowercase hex digits, most significant first.
fn write_hex(out: &mut [u8], value: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let n = out.len();
    for (i, digit) in out.iter_mut().enumerate() {
        let shift = 4 * (n - 1 - i);
        *digit = DIGITS[((value >> shift) & 0xf) as usize];
    }
}

/// 64 bits from `getrandom(2)`, or from `/dev/urandom` where the call is missing or would block.
fn random_u64() -> Result<u64, Error> {
    let mut buf = [0u8; 8];
    if getrandom(&mut buf) {
        return Ok(u64::from_ne_bytes(buf));
    }
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|source| Error::Os {
            op: "getrandom",
            source,
        })?;
    Ok(u64::from_ne_bytes(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_terminated_distinct_and_well_formed() {
        let a = ShmName::new().unwrap();
        let b = ShmName::new().unwrap();
        assert_ne!(a.0, b.0);
        for name in [&a, &b] {
            let text = std::str::from_utf8(&name.0[..ShmName::LEN - 1]).unwrap();
            assert!(text.starts_with("/picoring."));
            assert_eq!(text.matches('/').count(), 1);
            assert_eq!(name.0[ShmName::LEN - 1], 0);
        }
    }

    #[test]
    fn hex_digits_match_format() {
        let mut value = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..64 {
            let mut out = [0u8; 16];
            write_hex(&mut out, value);
            assert_eq!(std::str::from_utf8(&out).unwrap(), format!("{value:016x}"));
            value = value.rotate_left(7) ^ (value >> 3);
        }
    }
}
