//! [`RingMemory`]: the mirrored memory as the split rings see it.
//!
//! Normally a thin wrapper over [`MirrorBuffer`]. Under `cfg(loom)` it is a small heap mirror of
//! any size (so the models can wrap around after two or three operations) whose bytes each have
//! a `loom::cell::UnsafeCell` witness: the rings report every read and write of ring memory,
//! and loom flags any two accesses to a byte that are not ordered by the index protocol.

#[cfg(not(loom))]
pub(crate) use real::RingMemory;

#[cfg(loom)]
pub(crate) use model::RingMemory;

#[cfg(not(loom))]
mod real {
    use crate::mirror::{Backend, MirrorBuffer, MirrorOptions};
    use crate::sync::AtomicU64;
    use crate::Error;

    #[derive(Debug)]
    pub(crate) struct RingMemory(MirrorBuffer);

    impl RingMemory {
        pub(crate) fn from_mirror(buf: MirrorBuffer) -> Self {
            RingMemory(buf)
        }

        /// The memory of a record ring (mpsc, broadcast) of at least `bytes` bytes.
        pub(crate) fn for_records(bytes: usize, options: &MirrorOptions) -> Result<Self, Error> {
            Ok(RingMemory(MirrorBuffer::with_options(bytes, options)?))
        }

        /// N, the physical size in bytes.
        #[inline(always)]
        pub(crate) fn len(&self) -> usize {
            self.0.len()
        }

        pub(crate) fn backend(&self) -> Backend {
            self.0.backend()
        }

        /// Start of the 2N-byte region.
        #[inline(always)]
        pub(crate) fn as_ptr(&self) -> *mut u8 {
            self.0.as_ptr() as *mut u8
        }

        /// # Safety
        /// As [`MirrorBuffer::mirror_range`].
        #[inline(always)]
        pub(crate) unsafe fn mirror_range(&self, offset: usize, len: usize) {
            // SAFETY: forwarded from the caller.
            unsafe { self.0.mirror_range(offset, len) }
        }

        /// Records a read of ring memory (for loom); nothing to do here.
        #[inline(always)]
        pub(crate) fn track_read(&self, _offset: usize, _len: usize) {}

        /// Records a write of ring memory (for loom); nothing to do here.
        #[inline(always)]
        pub(crate) fn track_write(&self, _offset: usize, _len: usize) {}

        /// The 8-byte record header stored in the ring at `offset`.
        ///
        /// # Safety
        /// `offset < N` and 8-aligned; the word is only accessed atomically while it can be
        /// shared (plain writes only while one thread owns it, ordered by the index protocol).
        #[inline(always)]
        pub(crate) unsafe fn header(&self, offset: usize) -> &AtomicU64 {
            debug_assert!(offset < self.len() && offset % 8 == 0);
            // SAFETY: in bounds and aligned (the mapping is page-aligned), per the contract;
            // AtomicU64 has the size and alignment of u64, and the memory is initialized.
            unsafe { &*(self.as_ptr().add(offset) as *const AtomicU64) }
        }

        /// Zeroes `len` bytes at `offset` (< 2N, `len <= N`) in both halves: the free space of
        /// the record ring must read as zero headers.
        ///
        /// # Safety
        /// The bytes belong to the caller, with no live reference into them.
        #[inline]
        pub(crate) unsafe fn clear(&self, offset: usize, len: usize) {
            // SAFETY: in bounds and owned, per the contract.
            unsafe {
                std::ptr::write_bytes(self.as_ptr().add(offset), 0, len);
                self.0.mirror_range(offset, len);
            }
        }
    }
}

#[cfg(loom)]
mod model {
    use std::ptr::NonNull;

    use crate::mirror::{Backend, MirrorBuffer, MirrorOptions};
    use crate::sync::{AtomicU64, Ordering};
    use crate::Error;

    /// 2N heap bytes mirrored in software, plus loom witnesses for the N physical bytes and one
    /// loom atomic per 8-byte word for the record headers.
    pub(crate) struct RingMemory {
        /// 2N bytes, 8-aligned, from a leaked `Vec<u64>`.
        ptr: NonNull<u8>,
        len: usize,
        witness: Box<[loom::cell::UnsafeCell<()>]>,
        headers: Box<[AtomicU64]>,
    }

    impl std::fmt::Debug for RingMemory {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("RingMemory")
                .field("len", &self.len)
                .finish()
        }
    }

    impl RingMemory {
        /// A zeroed model memory of `len` bytes (a multiple of 8).
        pub(crate) fn new(len: usize) -> Self {
            assert!(
                len > 0 && len % 8 == 0,
                "model memory must be whole 8-byte words"
            );
            let words = vec![0u64; len / 4].into_boxed_slice();
            let ptr = NonNull::new(Box::into_raw(words) as *mut u8).expect("non-null box");
            RingMemory {
                ptr,
                len,
                witness: (0..len).map(|_| loom::cell::UnsafeCell::new(())).collect(),
                headers: (0..len / 8).map(|_| AtomicU64::new(0)).collect(),
            }
        }

        /// The memory of a record ring (mpsc, broadcast): the loom models want rings of a few
        /// records, so exactly `bytes` rounded up to whole words, in model memory.
        pub(crate) fn for_records(bytes: usize, _options: &MirrorOptions) -> Result<Self, Error> {
            if bytes == 0 {
                return Err(Error::ZeroCapacity);
            }
            Ok(RingMemory::new(bytes.next_multiple_of(8)))
        }

        /// Copies a real mirror's first half (both halves agree) into a model memory.
        pub(crate) fn from_mirror(buf: MirrorBuffer) -> Self {
            let len = buf.len().next_multiple_of(8);
            let mem = RingMemory::new(len);
            // SAFETY: both regions hold at least buf.len() bytes; the new one is unshared.
            unsafe {
                std::ptr::copy_nonoverlapping(buf.as_ptr(), mem.as_ptr(), buf.len());
                mem.mirror_range(0, len);
            }
            mem
        }

        pub(crate) fn len(&self) -> usize {
            self.len
        }

        pub(crate) fn backend(&self) -> Backend {
            Backend::Software
        }

        pub(crate) fn as_ptr(&self) -> *mut u8 {
            self.ptr.as_ptr()
        }

        /// # Safety
        /// `offset + len <= 2N`, `len <= N`, and the caller owns the bytes.
        pub(crate) unsafe fn mirror_range(&self, offset: usize, len: usize) {
            for i in offset..offset + len {
                let twin = if i < self.len {
                    i + self.len
                } else {
                    i - self.len
                };
                // SAFETY: both indices are inside the 2N region and owned by the caller.
                unsafe { *self.as_ptr().add(twin) = *self.as_ptr().add(i) };
            }
        }

        pub(crate) fn track_read(&self, offset: usize, len: usize) {
            for i in offset..offset + len {
                self.witness[i % self.len].with(|_| ());
            }
        }

        pub(crate) fn track_write(&self, offset: usize, len: usize) {
            for i in offset..offset + len {
                self.witness[i % self.len].with_mut(|_| ());
            }
        }

        /// # Safety
        /// `offset < N`, 8-aligned.
        pub(crate) unsafe fn header(&self, offset: usize) -> &AtomicU64 {
            &self.headers[offset / 8]
        }

        /// # Safety
        /// As for the real memory.
        pub(crate) unsafe fn clear(&self, offset: usize, len: usize) {
            self.track_write(offset, len);
            let mut word = offset;
            while word < offset + len {
                self.headers[(word % self.len) / 8].store(0, Ordering::Relaxed);
                word += 8;
            }
            // SAFETY: forwarded from the caller.
            unsafe {
                std::ptr::write_bytes(self.as_ptr().add(offset), 0, len);
                self.mirror_range(offset, len);
            }
        }
    }

    impl Drop for RingMemory {
        fn drop(&mut self) {
            let words =
                std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr() as *mut u64, self.len / 4);
            // SAFETY: the pointer came from `Box::into_raw` of exactly this slice, freed once.
            drop(unsafe { Box::from_raw(words) });
        }
    }

    // SAFETY: the memory is owned by this value; access is coordinated by the ring protocols.
    unsafe impl Send for RingMemory {}
    // SAFETY: as above.
    unsafe impl Sync for RingMemory {}
}
