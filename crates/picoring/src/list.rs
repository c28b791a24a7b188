//! [`PicoList<T>`]: a growable list that reserves its address space once and never moves.

use std::marker::PhantomData;
use std::mem;
use std::ptr::{self, NonNull};

use crate::Error;
use reserve::{Plan, Region};

pub use edit::ListDrain;

mod access;
mod edit;
mod grow;
mod reserve;
mod traits;

/// A growable list whose elements never move: it reserves a large range of address space once
/// and commits physical memory at its front as it grows.
///
/// - [`as_ptr`](PicoList::as_ptr) is the same from the first element to the last (on the native
///   backends: unix and Windows), so a raw pointer handed to C or numpy stays valid while the
///   list grows (reading it while the list is being written still needs synchronisation); there
///   is no reallocation and no copy. (Like a `Vec`'s, the pointer of a list that has never held
///   an element is dangling: the address space is reserved when the list first grows.)
/// - The whole list is one contiguous slice: `PicoList<T>` derefs to `[T]`, so `get`, `iter`,
///   `iter_mut`, sorting and the rest are the slice's, as for a `Vec`.
/// - Physical memory tracks the length: memory is committed in chunks that double up to 64 MiB
///   and then grow 64 MiB at a time, and a committed page costs no physical memory until it is
///   first written. Past 1 MiB, pages are prefaulted in batches just ahead of the length (on
///   Linux 5.14+), so physical memory exceeds the length by at most 1/8 of it and at most 2 MiB.
///   [`truncate`](PicoList::truncate) gives memory back to the operating system.
/// - An empty list maps nothing: a program can hold any number of them. The reservation is made
///   when the list first grows (see [`new`](PicoList::new) for its size).
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
/// # Pooling
///
/// Creating a list, filling it a little and dropping it would cost a reservation, a commit and
/// an unmap each time (about 15 µs, far more than a `Vec`). So on the native backends a dropped
/// list's reservation is kept in a small pool of the dropping thread, for the next list that
/// grows on that thread, when all of this holds:
///
/// - the list was made with [`new`](PicoList::new) (or `default`) and got the full default
///   reservation: a list from [`with_max_capacity`](PicoList::with_max_capacity) is always
///   unmapped on drop, and never given a pooled reservation, so its size is exactly the one
///   asked for (and [`max_capacity`](PicoList::max_capacity) of a default list is the same
///   whether its reservation is new or pooled);
/// - at most 256 KiB of it is committed, and no huge-page hint was given
///   ([`set_huge_pages`](PicoList::set_huge_pages));
/// - the thread's pool holds fewer than 8 reservations and at most 1 MiB committed with it.
///
/// A list given a pooled reservation keeps its committed pages, so its
/// [`capacity`](PicoList::capacity) may start larger than a new list's (up to 256 KiB). The
/// bytes past the length are whatever the previous list left there, which no safe method
/// reads (a `Vec` reusing heap memory is the same). Pooled reservations count against the
/// reservation budget while pooled; their committed pages stay resident (at most 1 MiB per
/// thread). A list dropped on another thread goes to that thread's pool; a thread's pool is
/// released when it exits, or at once with [`trim_pool`](PicoList::trim_pool). A forked child
/// has its own private copy of its parent's pooled reservations, so reusing them shares
/// nothing. The heap fallback (Miri) has no pool.
///
/// ```
/// use picoring::PicoList;
///
/// let mut first = PicoList::<u64>::new()?;
/// first.extend_from_slice(&[1, 2, 3])?;
/// let addr = first.as_ptr();
/// drop(first); // kept in this thread's pool (on the native backends)
/// let mut second = PicoList::<u64>::new()?;
/// second.push(9)?; // the first growth takes the pooled reservation: no system call
/// if PicoList::<u64>::grows_in_place() {
///     assert_eq!(second.as_ptr(), addr);
/// }
/// assert_eq!(second.as_slice(), &[9]); // nothing of the old list is visible
/// drop(second);
/// assert!(PicoList::<u64>::trim_pool() <= 1);
/// # Ok::<(), picoring::Error>(())
/// ```
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
/// list.push(0)?; // the first growth reserves the address space
/// let start = list.as_ptr();
/// for i in 1..100_000 {
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
    /// The first element: `region.base()`, cached for the hot path. Changes only in
    /// `sync_with_region`: once when the native region is mapped (before the list has held an
    /// element), and on the moving heap backend whenever it grows or shrinks.
    ptr: NonNull<T>,
    /// Initialised elements at `ptr`: `len <= ready`.
    len: usize,
    /// Elements that can be written without the cold path: the region's committed and
    /// prefaulted bytes over the element size, clamped to `max`, so `ready <= max`.
    ready: usize,
    /// The most elements the reservation holds (before it is mapped, the most it will hold; it
    /// only shrinks when mapped).
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
    /// Creates an empty list with the default reservation policy. It maps nothing until it
    /// first grows, so empty lists cost no address space and no memory mapping.
    ///
    /// **Default reservation.** When the list first grows it reserves (without committing
    /// memory: `MAP_NORESERVE` / `MEM_RESERVE`) address space for what it may ever hold:
    ///
    /// - 64 GiB (256 MiB on 32-bit targets), or physical memory plus swap when that is smaller
    ///   (on Linux and Android, from `sysinfo(2)`): a list cannot usefully grow past what the
    ///   machine can back. This is what [`max_capacity`](PicoList::max_capacity) reports
    ///   before the first element arrives, in elements.
    /// - Lists together may reserve up to a budget of 32 TiB of address space (1 GiB on 32-bit
    ///   targets; at most half of a `ulimit -v` limit). Once reservations approach it, a new
    ///   list's size is halved until it fits what is left, down to 64 MiB (16 MiB on 32-bit),
    ///   which is granted even past the budget. So about 1,400 lists can each grow to the
    ///   whole of a 23 GiB machine (512 lists the full 64 GiB on larger ones), any further list to 64 MiB
    ///   or more, and most of the address space stays free for the program's other
    ///   allocations. (Each list that has grown holds two memory mappings; Linux allows a
    ///   process about 65,000 by default, `vm.max_map_count`.)
    /// - When the system refuses a reservation (a `ulimit -v`, a small address space), the
    ///   request is halved until it succeeds, down to the same floor.
    ///
    /// [`max_capacity`](PicoList::max_capacity) reports the size obtained once the list has
    /// grown (it can only have become smaller). To be sure of more room, ask for it with
    /// [`with_max_capacity`](PicoList::with_max_capacity), which reserves exactly what it is
    /// given, within the address space, whatever the budget.
    ///
    /// # Errors
    /// [`Error::ZeroSizedType`], [`Error::UnsupportedAlignment`]. (When even the smallest
    /// reservation is refused, the first growth returns [`Error::Os`].)
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
        Self::over(
            Region::new(Plan::Default, mem::align_of::<T>())?,
            usize::MAX,
        )
    }

    /// Creates an empty list that holds at most `max_capacity` elements, reserving just enough
    /// address space for them (rounded up to whole pages) when it first grows.
    ///
    /// The size is checked at once (the range is reserved and released), so a size the system
    /// cannot reserve is an error here; the reservation that stays is made when the list first
    /// grows, so an empty list maps nothing. Reservations made this way count against the
    /// budget that sizes default lists (see [`new`](PicoList::new)) but are never cut by it.
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
        Self::over(
            Region::new(Plan::Exact(bytes), mem::align_of::<T>())?,
            max_capacity,
        )
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
            ready: 0,
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
    /// An empty list makes its reservation now, to give the hint.
    ///
    /// A huge page is mapped in one fault instead of 512, so growing a large list is faster and
    /// reading it misses the TLB less; physical memory then exceeds the length by at most two
    /// huge pages (the prefault batch rounded up to whole huge pages).
    /// The cost: with the kernel's default `defrag` setting a fault may compact memory first, a
    /// latency spike on a fragmented machine (and on a virtual machine whose host backs guest
    /// memory lazily, first touches can be much slower), which is why it is off by default.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::<u64>::new()?;
    /// let taken = list.set_huge_pages(true);
    /// // Only Linux and Android take the hint (and only where THP is enabled).
    /// if !cfg!(any(target_os = "linux", target_os = "android")) || cfg!(miri) {
    ///     assert!(!taken);
    /// }
    /// list.push(1)?;
    /// assert_eq!(list.as_slice(), &[1]);
    /// // A reservation of 16 MiB or less is never given huge pages.
    /// assert!(!PicoList::<u64>::with_max_capacity(1000)?.set_huge_pages(true));
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn set_huge_pages(&mut self, enable: bool) -> bool {
        let taken = self.region.set_huge_pages(enable);
        self.sync_with_region();
        taken
    }

    /// Releases the calling thread's pool of dropped lists' reservations (see
    /// [Pooling](PicoList#pooling)); returns how many there were. The pool is shared by every
    /// element type. Always 0 on the heap fallback, which has no pool.
    ///
    /// Useful before a `fork()` (a child copies the pooled pages), or to give their memory
    /// back at once rather than when the thread exits.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::<u8>::new()?;
    /// list.push(1)?;
    /// drop(list);
    /// assert!(PicoList::<u8>::trim_pool() <= 1);
    /// assert_eq!(PicoList::<u32>::trim_pool(), 0); // one pool for all element types
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn trim_pool() -> usize {
        reserve::trim_pool()
    }
}

impl<T> Drop for PicoList<T> {
    fn drop(&mut self) {
        // SAFETY: the first len elements are initialised and dropped exactly once; the region
        // (dropped after this) releases the memory.
        unsafe { ptr::drop_in_place(self.as_mut_slice() as *mut [T]) };
    }
}
