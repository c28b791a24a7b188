//! Appending, removing and the cold growth path: where memory is committed and given back.

use std::mem;
use std::ptr::{self, NonNull};

use super::PicoList;
use crate::Error;

impl<T> PicoList<T> {
    /// Appends `value`, or hands it back with the error when it does not fit.
    ///
    /// # Errors
    /// [`Error::ReservationExhausted`] when the list holds
    /// [`max_capacity`](PicoList::max_capacity) elements; [`Error::Os`] when the operating
    /// system refuses to reserve or commit more memory. The list is unchanged either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::with_max_capacity(1)?;
    /// assert!(list.try_push(String::from("kept")).is_ok());
    /// let (back, err) = list.try_push(String::from("refused")).unwrap_err();
    /// assert_eq!(back, "refused");
    /// assert!(matches!(err, picoring::Error::ReservationExhausted { max_capacity: 1 }));
    /// // To propagate only the error with `?`: drop the value.
    /// let pushed: Result<(), picoring::Error> = list.try_push(String::new()).map_err(|(_, e)| e);
    /// assert!(pushed.is_err());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn try_push(&mut self, value: T) -> Result<(), (T, Error)> {
        if self.len == self.ready {
            if let Err(err) = self.grow_for(1, true) {
                return Err((value, err));
            }
        }
        // SAFETY: len < ready after the check, so the slot is committed and holds no element.
        unsafe { self.ptr.as_ptr().add(self.len).write(value) };
        self.len += 1;
        Ok(())
    }

    /// Appends `value`; on failure the value is dropped and the list is unchanged.
    ///
    /// # Errors
    /// As [`try_push`](PicoList::try_push).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.push('a')?;
    /// assert_eq!(list.as_slice(), &['a']);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn push(&mut self, value: T) -> Result<(), Error> {
        self.try_push(value).map_err(|(_, err)| err)
    }

    /// Makes room for `additional` more elements, committing memory now so the next
    /// `additional` pushes cannot fail.
    ///
    /// Committing reserves memory without touching it: no page becomes resident until it is
    /// written, so reserving far ahead costs no physical memory.
    ///
    /// # Errors
    /// [`Error::ReservationExhausted`] when `len() + additional` exceeds
    /// [`max_capacity`](PicoList::max_capacity); [`Error::Os`]. The list is unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::<u16>::with_max_capacity(100)?;
    /// list.reserve(100)?;
    /// assert_eq!(list.capacity(), 100);
    /// assert!(list.reserve(101).is_err());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn reserve(&mut self, additional: usize) -> Result<(), Error> {
        if self.capacity() - self.len < additional {
            self.grow_for(additional, false)?;
        }
        Ok(())
    }

    /// Makes room for `additional` elements about to be written, prefaulting as for a push.
    #[inline]
    pub(super) fn reserve_for_writing(&mut self, additional: usize) -> Result<(), Error> {
        if self.ready - self.len < additional {
            self.grow_for(additional, true)?;
        }
        Ok(())
    }

    /// The cold path of every append: commits room for `additional` more elements, and with
    /// `write` (they are about to be written) prefaults a bounded batch of pages ahead.
    #[cold]
    #[inline(never)]
    fn grow_for(&mut self, additional: usize, write: bool) -> Result<(), Error> {
        let len = self.len;
        let fits = |max: usize| matches!(len.checked_add(additional), Some(n) if n <= max);
        if !fits(self.max) {
            return Err(Error::ReservationExhausted {
                max_capacity: self.max,
            });
        }
        // A default reservation may come out smaller than planned: check again once mapped.
        self.region.ensure_reserved()?;
        self.sync_with_region();
        if !fits(self.max) {
            return Err(Error::ReservationExhausted {
                max_capacity: self.max,
            });
        }
        // len + additional <= max <= reserved / size_of::<T>(), so nothing overflows.
        self.region
            .grow((self.len + additional) * mem::size_of::<T>(), write)?;
        self.sync_with_region();
        Ok(())
    }

    /// Re-reads the base pointer, the bound and the writable length after the region changed.
    pub(super) fn sync_with_region(&mut self) {
        self.max = self.max.min(self.region.reserved() / mem::size_of::<T>());
        self.ready = (self.region.ready() / mem::size_of::<T>()).min(self.max);
        // The region's base is never null (a mapping, an allocation, or a dangling aligned
        // pointer); keep the old pointer in the impossible other case.
        if let Some(ptr) = NonNull::new(self.region.base().cast::<T>()) {
            self.ptr = ptr;
        }
    }

    /// Appends clones of all of `items`, or nothing when they do not all fit.
    ///
    /// # Errors
    /// As [`reserve`](PicoList::reserve); the list is then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::<u8>::with_max_capacity(8)?;
    /// list.extend_from_slice(b"hello")?;
    /// assert!(list.extend_from_slice(b" world").is_err()); // all or nothing
    /// assert_eq!(list.as_slice(), b"hello");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn extend_from_slice(&mut self, items: &[T]) -> Result<(), Error>
    where
        T: Clone,
    {
        self.reserve_for_writing(items.len())?;
        let dst = self.ptr.as_ptr();
        // If a clone panics, the guard records the elements written so far: none is lost or
        // dropped twice.
        let mut written = SetLenOnDrop {
            len: &mut self.len,
            local_len: 0,
        };
        let start = *written.len;
        for item in items {
            // SAFETY: reserve made start + items.len() <= ready; this slot is committed and empty.
            unsafe { dst.add(start + written.local_len).write(item.clone()) };
            written.local_len += 1;
        }
        Ok(())
    }

    /// Appends every item of `iter`, stopping at the first one that does not fit.
    ///
    /// Unlike [`extend_from_slice`](PicoList::extend_from_slice) this is not all or nothing:
    /// the items appended before the failure stay; the one that did not fit and the rest of the
    /// iterator are dropped.
    ///
    /// # Errors
    /// As [`push`](PicoList::push).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::with_max_capacity(3)?;
    /// list.try_extend(1..=2)?;
    /// assert!(list.try_extend(10..20).is_err());
    /// assert_eq!(list.as_slice(), &[1, 2, 10]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn try_extend<I: IntoIterator<Item = T>>(&mut self, iter: I) -> Result<(), Error> {
        let iter = iter.into_iter();
        // Commit for the known part up front; a failure here shows up at the push that needs it.
        let (lower, _) = iter.size_hint();
        let _ = self.reserve(lower.min(self.max - self.len));
        for item in iter {
            self.push(item)?;
        }
        Ok(())
    }

    /// Removes and returns the last element. Memory is not given back; see
    /// [`truncate`](PicoList::truncate).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.extend_from_slice(&[1, 2])?;
    /// assert_eq!(list.pop(), Some(2));
    /// assert_eq!(list.pop(), Some(1));
    /// assert_eq!(list.pop(), None);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: the slot held an initialised element; with len lowered, it is read out once.
        Some(unsafe { self.ptr.as_ptr().add(self.len).read() })
    }

    /// Shortens the list to `len` elements, dropping the rest (no effect when `len >= len()`).
    ///
    /// When at least 1 MiB of committed memory lies past the new end, the memory past the new
    /// end is given back to the operating system (`madvise(MADV_DONTNEED)` and
    /// `mprotect(PROT_NONE)` on Linux, `VirtualFree(MEM_DECOMMIT)` on Windows), so physical
    /// memory drops with the length. On the heap fallback the allocation shrinks (and moves).
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::<u64>::new()?;
    /// list.try_extend(0..1_000_000)?;
    /// list.truncate(10);
    /// assert_eq!(list.len(), 10);
    /// assert!(list.capacity() < 1_000_000); // memory went back
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let dead = self.len - len;
        // Lower len first: if a destructor panics the rest leak instead of dropping twice.
        self.len = len;
        // SAFETY: [len, len + dead) held initialised elements no longer counted by the list;
        // each is dropped exactly once here.
        unsafe {
            ptr::drop_in_place(ptr::slice_from_raw_parts_mut(
                self.ptr.as_ptr().add(len),
                dead,
            ))
        };
        self.give_back(false);
    }

    /// Removes every element, giving memory back as [`truncate`](PicoList::truncate) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.push(vec![1, 2, 3])?;
    /// list.clear();
    /// assert!(list.is_empty());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Gives back every committed page past the end of the list, however little that frees.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::<u8>::new()?;
    /// list.push(1)?;
    /// assert!(list.capacity() > 1);
    /// list.shrink_to_fit();
    /// assert!(list.capacity() <= 64 * 1024);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.give_back(true);
    }

    fn give_back(&mut self, force: bool) {
        // len <= max, so the product does not overflow.
        self.region.shrink(self.len * mem::size_of::<T>(), force);
        self.sync_with_region();
    }
}

/// Writes the final length back when dropped, even during a panic.
pub(super) struct SetLenOnDrop<'a> {
    pub(super) len: &'a mut usize,
    pub(super) local_len: usize,
}

impl Drop for SetLenOnDrop<'_> {
    fn drop(&mut self) {
        *self.len += self.local_len;
    }
}
