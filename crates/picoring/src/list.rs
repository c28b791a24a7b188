//! [`PicoList<T>`]: a growable list that reserves its address space once and never moves.

use std::marker::PhantomData;
use std::mem;
use std::ptr::{self, NonNull};

use crate::vm::{self, Region};
use crate::Error;

mod traits;

/// A growable list whose elements never move: it reserves a large range of address space once
/// and commits physical memory at its front as it grows.
///
/// - [`as_ptr`](PicoList::as_ptr) is the same from the first element to the last (on the native
///   backends: unix and Windows), so pointers handed to C, numpy or another thread's reader stay
///   valid while the list grows; there is no reallocation and no copy.
/// - The whole list is one contiguous slice: `PicoList<T>` derefs to `[T]`.
/// - Physical memory tracks the length: memory is committed in chunks that double up to 64 MiB
///   and then grow 64 MiB at a time, and a committed page costs no physical memory until it is
///   first written. [`truncate`](PicoList::truncate) gives memory back to the operating system.
/// - Running out of reserved space is an error ([`Error::ReservationExhausted`]), never a panic:
///   [`push`](PicoList::push) and [`extend_from_slice`](PicoList::extend_from_slice) return
///   `Result`, and [`try_push`](PicoList::try_push) also hands the value back.
///
/// **Backends.** Linux (tested) and other unix (macOS compile-checked) reserve with
/// `mmap(PROT_NONE, MAP_NORESERVE)` and commit with `mprotect`; on Linux, huge pages can be
/// asked for with [`set_huge_pages`](PicoList::set_huge_pages). Windows (compile-checked only) uses
/// `VirtualAlloc(MEM_RESERVE / MEM_COMMIT)`. Under Miri and on targets without either, the list
/// is an ordinary heap allocation that grows by doubling and MOVES when it grows, like a `Vec`;
/// [`PicoList::grows_in_place`] tells which.
///
/// Zero-sized element types are rejected with [`Error::ZeroSizedType`]; element types aligned
/// more strictly than a page with [`Error::UnsupportedAlignment`].
///
/// # Examples
///
/// ```
/// use picoring::PicoList;
///
/// let mut list = PicoList::<u64>::new()?;
/// let start = list.as_ptr();
/// for i in 0..100_000 {
///     list.push(i)?;
/// }
/// list.extend_from_slice(&[7, 8, 9])?;
/// assert_eq!(list.len(), 100_003);
/// assert_eq!(list[99_999], 99_999);
/// assert_eq!(list.iter().rev().take(2).sum::<u64>(), 17);
/// if PicoList::<u64>::grows_in_place() {
///     assert_eq!(list.as_ptr(), start); // never moved
/// }
/// # Ok::<(), picoring::Error>(())
/// ```
pub struct PicoList<T> {
    /// The first element: `region.base()`, cached for the hot path. Changes only on the moving
    /// heap backend, and only inside `grow_for`/`give_back`.
    ptr: NonNull<T>,
    /// Initialised elements at `ptr`: `len <= cap`.
    len: usize,
    /// Elements that fit in the committed memory, clamped to `max`: `cap <= max`.
    cap: usize,
    /// The most elements the reservation holds.
    max: usize,
    region: Region,
    /// The list owns `T` values (for the drop checker).
    _owns: PhantomData<T>,
}

// SAFETY: the list owns its elements and its memory region exclusively, like a Vec<T>.
unsafe impl<T: Send> Send for PicoList<T> {}
// SAFETY: `&PicoList<T>` only gives out `&T`, like `&Vec<T>`.
unsafe impl<T: Sync> Sync for PicoList<T> {}

impl<T> PicoList<T> {
    /// Creates an empty list over a default reservation of 64 GiB of address space (1 GiB on
    /// 32-bit targets), so at most `64 GiB / size_of::<T>()` elements.
    ///
    /// The reservation costs no memory (`MAP_NORESERVE`), only address space: a 64-bit process
    /// has room for about 2,000 such lists. When the system refuses that much (a `ulimit -v`, a
    /// small address space), the request is halved until it succeeds, down to 64 MiB;
    /// [`max_capacity`](PicoList::max_capacity) reports what was obtained. Nothing is committed
    /// until the first element arrives.
    ///
    /// # Errors
    /// [`Error::ZeroSizedType`], [`Error::UnsupportedAlignment`], or [`Error::Os`] when even the
    /// smallest reservation is refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let list = PicoList::<u8>::new()?;
    /// assert!(list.is_empty());
    /// assert_eq!(list.capacity(), 0);
    /// assert!(list.max_capacity() >= 64 << 20);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn new() -> Result<Self, Error> {
        Self::check_type()?;
        Self::over(vm::reserve_default(mem::align_of::<T>())?, usize::MAX)
    }

    /// Creates an empty list that holds at most `max_capacity` elements, reserving just enough
    /// address space for them (rounded up to whole pages).
    ///
    /// # Errors
    /// [`Error::ZeroCapacity`] for 0, [`Error::CapacityOverflow`] when the bytes do not fit in
    /// `isize`, [`Error::ZeroSizedType`], [`Error::UnsupportedAlignment`], or [`Error::Os`].
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::{Error, PicoList};
    ///
    /// let mut list = PicoList::<u32>::with_max_capacity(2)?;
    /// list.push(1)?;
    /// list.push(2)?;
    /// assert!(matches!(list.push(3), Err(Error::ReservationExhausted { max_capacity: 2 })));
    /// assert_eq!(list.as_slice(), &[1, 2]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn with_max_capacity(max_capacity: usize) -> Result<Self, Error> {
        Self::check_type()?;
        if max_capacity == 0 {
            return Err(Error::ZeroCapacity);
        }
        let bytes = max_capacity
            .checked_mul(mem::size_of::<T>())
            .ok_or(Error::CapacityOverflow)?;
        Self::over(Region::reserve(bytes, mem::align_of::<T>())?, max_capacity)
    }

    fn check_type() -> Result<(), Error> {
        if mem::size_of::<T>() == 0 {
            return Err(Error::ZeroSizedType);
        }
        Ok(())
    }

    /// A list over `region`, holding at most `limit` elements (fewer if the region is smaller).
    fn over(region: Region, limit: usize) -> Result<Self, Error> {
        let max = (region.reserved() / mem::size_of::<T>()).min(limit);
        let ptr = NonNull::new(region.base().cast::<T>()).ok_or(Error::CapacityOverflow)?;
        Ok(PicoList {
            ptr,
            len: 0,
            cap: 0,
            max,
            region,
            _owns: PhantomData,
        })
    }

    /// Whether the data stays at one address for the list's whole life on this build: `true`
    /// on the native backends, `false` on the heap fallback (under Miri, and on targets with
    /// neither unix nor Windows), which moves like a `Vec`.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// assert_eq!(PicoList::<u8>::grows_in_place(), !cfg!(miri));
    /// ```
    pub fn grows_in_place() -> bool {
        !Region::MOVES
    }

    /// Asks Linux to back the list past its first 16 MiB with transparent huge pages (2 MiB
    /// each), or to stop; returns whether the kernel took the hint (`false` on other systems,
    /// on the heap fallback, for reservations of 16 MiB or less, and where THP is disabled).
    ///
    /// A huge page is mapped in one fault instead of 512, so growing a large list is faster and
    /// reading it misses the TLB less; physical memory then exceeds the length by at most one
    /// huge page (under 1/8 of the length, as small pages are kept below 16 MiB). The cost:
    /// with the kernel's default `defrag` setting a fault may compact memory first, a latency
    /// spike on a fragmented machine, which is why it is off by default.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::<u64>::new()?;
    /// let taken = list.set_huge_pages(true);
    /// println!("huge pages: {taken}");
    /// list.push(1)?;
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn set_huge_pages(&mut self, enable: bool) -> bool {
        self.region.set_huge_pages(enable)
    }

    /// Appends `value`, or hands it back with the error when it does not fit.
    ///
    /// # Errors
    /// [`Error::ReservationExhausted`] when the list holds
    /// [`max_capacity`](PicoList::max_capacity) elements; [`Error::Os`] when the operating
    /// system refuses to commit more memory. The list is unchanged either way.
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
    /// println!("{err}");
    /// // To propagate only the error with `?`: drop the value.
    /// let _ = list.try_push(String::new()).map_err(|(_, err)| err);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn try_push(&mut self, value: T) -> Result<(), (T, Error)> {
        if self.len == self.cap {
            if let Err(err) = self.grow_for(1) {
                return Err((value, err));
            }
        }
        // SAFETY: len < cap after the check, so the slot is committed and holds no element.
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
        if self.cap - self.len < additional {
            self.grow_for(additional)?;
        }
        Ok(())
    }

    /// The cold path of every append: commits room for `additional` more elements.
    #[cold]
    #[inline(never)]
    fn grow_for(&mut self, additional: usize) -> Result<(), Error> {
        let exhausted = Error::ReservationExhausted {
            max_capacity: self.max,
        };
        let needed = match self.len.checked_add(additional) {
            Some(needed) if needed <= self.max => needed,
            _ => return Err(exhausted),
        };
        // needed <= max <= reserved / size_of::<T>(), so the product does not overflow.
        self.region.grow(needed * mem::size_of::<T>())?;
        self.sync_with_region();
        Ok(())
    }

    /// Re-reads the base pointer and the committed capacity after the region changed.
    fn sync_with_region(&mut self) {
        self.cap = (self.region.committed() / mem::size_of::<T>()).min(self.max);
        if Region::MOVES {
            // The heap region's base is never null (an allocation, or a dangling aligned
            // pointer); keep the old pointer in the impossible other case.
            if let Some(ptr) = NonNull::new(self.region.base().cast::<T>()) {
                self.ptr = ptr;
            }
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
        self.reserve(items.len())?;
        let dst = self.ptr.as_ptr();
        // If a clone panics, the guard records the elements written so far: none is lost or
        // dropped twice.
        let mut written = SetLenOnDrop {
            len: &mut self.len,
            local_len: 0,
        };
        let start = *written.len;
        for item in items {
            // SAFETY: reserve made start + items.len() <= cap; this slot is committed and empty.
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

    /// Replaces the element at `index`, returning the old one, or hands `value` back when
    /// `index >= len()`.
    ///
    /// # Errors
    /// `Err(value)` when `index` is out of bounds; the list is unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.extend_from_slice(&[1, 2, 3])?;
    /// assert_eq!(list.set(1, 20), Ok(2));
    /// assert_eq!(list.set(3, 40), Err(40));
    /// assert_eq!(list.as_slice(), &[1, 20, 3]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn set(&mut self, index: usize, value: T) -> Result<T, T> {
        match self.as_mut_slice().get_mut(index) {
            Some(slot) => Ok(mem::replace(slot, value)),
            None => Err(value),
        }
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

    /// The number of elements.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut list = picoring::PicoList::new()?;
    /// list.push(1.5f32)?;
    /// assert_eq!(list.len(), 1);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the list holds no element.
    ///
    /// # Examples
    ///
    /// ```
    /// let list = picoring::PicoList::<i8>::new()?;
    /// assert!(list.is_empty());
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many elements fit in the memory committed now (never more than
    /// [`max_capacity`](PicoList::max_capacity)). Committed pages cost physical memory only
    /// once written.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut list = picoring::PicoList::<u8>::new()?;
    /// list.push(0)?;
    /// assert!(list.capacity() >= 1);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// The most elements the list can ever hold: what its reservation has room for.
    ///
    /// # Examples
    ///
    /// ```
    /// let list = picoring::PicoList::<u64>::with_max_capacity(1000)?;
    /// assert_eq!(list.max_capacity(), 1000);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn max_capacity(&self) -> usize {
        self.max
    }

    /// A pointer to the first element (dangling but aligned while nothing is committed). On the
    /// native backends it never changes over the list's life.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut list = picoring::PicoList::<u8>::new()?;
    /// let p = list.as_ptr();
    /// list.extend_from_slice(&[1; 100_000])?;
    /// if picoring::PicoList::<u8>::grows_in_place() {
    ///     assert_eq!(list.as_ptr(), p);
    /// }
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn as_ptr(&self) -> *const T {
        self.ptr.as_ptr()
    }

    /// A mutable pointer to the first element; see [`as_ptr`](PicoList::as_ptr).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut list = picoring::PicoList::<u8>::new()?;
    /// list.push(1)?;
    /// // SAFETY: element 0 exists and no reference to it is live.
    /// unsafe { *list.as_mut_ptr() = 2 };
    /// assert_eq!(list[0], 2);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn as_mut_ptr(&mut self) -> *mut T {
        self.ptr.as_ptr()
    }

    /// All elements as one slice.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut list = picoring::PicoList::new()?;
    /// list.extend_from_slice(&[3, 1, 2])?;
    /// assert_eq!(list.as_slice(), &[3, 1, 2]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: ptr is non-null and aligned, and the first len elements are initialised.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// All elements as one mutable slice.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut list = picoring::PicoList::new()?;
    /// list.extend_from_slice(&[3, 1, 2])?;
    /// list.as_mut_slice().sort();
    /// assert_eq!(list.as_slice(), &[1, 2, 3]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in as_slice; &mut self makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// The element at `index`, or `None` when out of bounds.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut list = picoring::PicoList::new()?;
    /// list.push(5)?;
    /// assert_eq!(list.get(0), Some(&5));
    /// assert_eq!(list.get(1), None);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn get(&self, index: usize) -> Option<&T> {
        self.as_slice().get(index)
    }

    /// The element at `index`, mutably, or `None` when out of bounds.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut list = picoring::PicoList::new()?;
    /// list.push(5)?;
    /// *list.get_mut(0).unwrap() += 1;
    /// assert_eq!(list[0], 6);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.as_mut_slice().get_mut(index)
    }

    /// An iterator over the elements, front to back.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut list = picoring::PicoList::new()?;
    /// list.extend_from_slice(&[1, 2, 3])?;
    /// assert_eq!(list.iter().sum::<i32>(), 6);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// An iterator over the elements, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut list = picoring::PicoList::new()?;
    /// list.extend_from_slice(&[1, 2, 3])?;
    /// list.iter_mut().for_each(|x| *x *= 10);
    /// assert_eq!(list.as_slice(), &[10, 20, 30]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    #[inline]
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.as_mut_slice().iter_mut()
    }
}

/// Writes the final length back when dropped, even during a panic.
struct SetLenOnDrop<'a> {
    len: &'a mut usize,
    local_len: usize,
}

impl Drop for SetLenOnDrop<'_> {
    fn drop(&mut self) {
        *self.len += self.local_len;
    }
}

impl<T> Drop for PicoList<T> {
    fn drop(&mut self) {
        // SAFETY: the first len elements are initialised and dropped exactly once; the region
        // (dropped after this) releases the memory.
        unsafe { ptr::drop_in_place(self.as_mut_slice() as *mut [T]) };
    }
}
