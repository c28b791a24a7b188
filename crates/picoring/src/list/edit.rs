//! Editing in the middle: inserting, removing, draining, retaining, deduplicating and
//! replacing ranges, as `Vec` does, by moving elements within the reservation.
//!
//! None of these reallocates: elements after the edited place move (a `memmove`) inside the
//! memory the list already holds, and the base address stays where it is (on the native
//! backends). Each element is dropped exactly once, even when a closure, a `clone` or a
//! destructor panics part way, and a [`ListDrain`] forgotten with `mem::forget` leaks elements
//! rather than dropping any twice: the list's length is lowered before anything is moved out,
//! and a guard closes the gap and sets the final length however the edit ends.

use std::iter::FusedIterator;
use std::mem::ManuallyDrop;
use std::ops::{Bound, RangeBounds};
use std::ptr;

use super::grow::SetLenOnDrop;
use super::PicoList;
use crate::Error;

/// The start and end of `range` within a list of `len` elements.
///
/// Panics, as `Vec`'s methods do, when the range is decreasing or runs past `len`.
fn bounds<R: RangeBounds<usize>>(range: R, len: usize) -> (usize, usize) {
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s
            .checked_add(1)
            .unwrap_or_else(|| panic!("range start overflows usize")),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e
            .checked_add(1)
            .unwrap_or_else(|| panic!("range end overflows usize")),
        Bound::Excluded(&e) => e,
        Bound::Unbounded => len,
    };
    assert!(start <= end, "range starts at {start} but ends at {end}");
    assert!(
        end <= len,
        "range end {end} is out of bounds for length {len}"
    );
    (start, end)
}

/// Owns the `tail_len` elements at `tail_at`, past the list's length: when dropped (also while
/// unwinding), moves them to just after the list's current length and counts them in.
struct Tail<'a, T> {
    list: &'a mut PicoList<T>,
    tail_at: usize,
    tail_len: usize,
}

impl<T> Drop for Tail<'_, T> {
    fn drop(&mut self) {
        let len = self.list.len;
        if self.tail_len > 0 && self.tail_at != len {
            let base = self.list.ptr.as_ptr();
            // SAFETY: the tail's elements are initialised and owned by this guard; the list's
            // length is at most tail_at, so the destination lies within memory that held
            // elements before the edit (committed); ptr::copy allows the ranges to overlap.
            unsafe { ptr::copy(base.add(self.tail_at), base.add(len), self.tail_len) };
        }
        self.list.len = len + self.tail_len;
    }
}

/// Removes the elements of a range, yielding them; made by [`PicoList::drain`] and
/// [`PicoList::splice`].
///
/// The list is shortened when the drain is made; elements not yet yielded are dropped when the
/// drain is, and the elements after the range then move back to close the gap. A drain that
/// is leaked (`mem::forget`) leaves the list shortened to the range's start: the elements it
/// still held and the ones after it are leaked, never dropped twice.
///
/// # Examples
///
/// ```
/// use picoring::PicoList;
///
/// let mut list = PicoList::new()?;
/// list.extend_from_slice(&[1, 2, 3, 4, 5])?;
/// let mut drain = list.drain(1..4);
/// assert_eq!(drain.next(), Some(2));
/// assert_eq!(drain.len(), 2);
/// drop(drain); // 3 and 4 are dropped, 5 moves back
/// assert_eq!(list.as_slice(), &[1, 5]);
/// # Ok::<(), picoring::Error>(())
/// ```
pub struct ListDrain<'a, T> {
    /// Elements `next..end` are still to be yielded (past the list's length).
    next: usize,
    end: usize,
    tail: Tail<'a, T>,
}

impl<T> Iterator for ListDrain<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.next == self.end {
            return None;
        }
        let i = self.next;
        self.next += 1;
        // SAFETY: next..end are initialised elements owned by the drain; with next advanced,
        // this one is read out exactly once.
        Some(unsafe { self.tail.list.ptr.as_ptr().add(i).read() })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next;
        (n, Some(n))
    }
}

impl<T> DoubleEndedIterator for ListDrain<'_, T> {
    fn next_back(&mut self) -> Option<T> {
        if self.next == self.end {
            return None;
        }
        self.end -= 1;
        // SAFETY: as in next, from the other end.
        Some(unsafe { self.tail.list.ptr.as_ptr().add(self.end).read() })
    }
}

impl<T> ExactSizeIterator for ListDrain<'_, T> {}

impl<T> FusedIterator for ListDrain<'_, T> {}

impl<T> Drop for ListDrain<'_, T> {
    fn drop(&mut self) {
        let (next, end) = (self.next, self.end);
        self.next = end;
        // SAFETY: next..end are initialised elements owned by the drain, dropped once here
        // (the slice drop continues past a panicking destructor); the `tail` field is dropped
        // after this, also when this panics, and moves the tail back.
        unsafe {
            ptr::drop_in_place(ptr::slice_from_raw_parts_mut(
                self.tail.list.ptr.as_ptr().add(next),
                end - next,
            ))
        };
    }
}

/// Disarmed on success; otherwise (a panicking iterator) truncates the list back to `len`.
struct TruncateOnDrop<'a, T> {
    list: &'a mut PicoList<T>,
    len: usize,
}

impl<T> Drop for TruncateOnDrop<'_, T> {
    fn drop(&mut self) {
        self.list.truncate(self.len);
    }
}

impl<T> PicoList<T> {
    /// Inserts `value` at `index`, moving the elements after it one place up (within the
    /// reservation: nothing is reallocated).
    ///
    /// # Errors
    /// As [`push`](PicoList::push): the value is dropped and the list is unchanged.
    ///
    /// # Panics
    /// When `index > len()`, as `Vec::insert` does.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.extend_from_slice(&[1, 3])?;
    /// list.insert(1, 2)?;
    /// list.insert(3, 4)?;
    /// assert_eq!(list.as_slice(), &[1, 2, 3, 4]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn insert(&mut self, index: usize, value: T) -> Result<(), Error> {
        let len = self.len;
        assert!(
            index <= len,
            "insertion index {index} is out of bounds for length {len}"
        );
        self.reserve_for_writing(1)?;
        let base = self.ptr.as_ptr();
        // SAFETY: len + 1 <= ready, so both ranges are committed; the elements index..len
        // move up one place (overlapping copy) and the freed slot is written once.
        unsafe {
            ptr::copy(base.add(index), base.add(index + 1), len - index);
            base.add(index).write(value);
        }
        self.len = len + 1;
        Ok(())
    }

    /// Removes and returns the element at `index`, moving the elements after it down a place.
    ///
    /// # Panics
    /// When `index >= len()`, as `Vec::remove` does.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.extend_from_slice(&['a', 'b', 'c'])?;
    /// assert_eq!(list.remove(0), 'a');
    /// assert_eq!(list.as_slice(), &['b', 'c']);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn remove(&mut self, index: usize) -> T {
        let len = self.len;
        assert!(
            index < len,
            "removal index {index} is out of bounds for length {len}"
        );
        let base = self.ptr.as_ptr();
        // SAFETY: index < len: the element is read out once, then the elements after it move
        // down over its slot; the length drops by one.
        unsafe {
            let value = base.add(index).read();
            ptr::copy(base.add(index + 1), base.add(index), len - index - 1);
            self.len = len - 1;
            value
        }
    }

    /// Removes and returns the element at `index`, moving the last element into its place
    /// (O(1), but the order changes).
    ///
    /// # Panics
    /// When `index >= len()`, as `Vec::swap_remove` does.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.extend_from_slice(&[1, 2, 3, 4])?;
    /// assert_eq!(list.swap_remove(0), 1);
    /// assert_eq!(list.as_slice(), &[4, 2, 3]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn swap_remove(&mut self, index: usize) -> T {
        let len = self.len;
        assert!(
            index < len,
            "swap_remove index {index} is out of bounds for length {len}"
        );
        let base = self.ptr.as_ptr();
        // SAFETY: index < len: the element is read out once and the last one moved into its
        // slot (a no-op copy when it is the last); the length drops by one.
        unsafe {
            let value = base.add(index).read();
            ptr::copy(base.add(len - 1), base.add(index), 1);
            self.len = len - 1;
            value
        }
    }

    /// Removes the elements of `range`, returning them as an iterator; the elements after the
    /// range move back when the iterator is dropped (see [`ListDrain`]).
    ///
    /// # Panics
    /// When the range is decreasing or ends past `len()`, as `Vec::drain` does.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.extend_from_slice(&[1, 2, 3, 4, 5])?;
    /// let taken: Vec<i32> = list.drain(..2).collect();
    /// assert_eq!(taken, [1, 2]);
    /// assert_eq!(list.as_slice(), &[3, 4, 5]);
    /// list.drain(1..);
    /// assert_eq!(list.as_slice(), &[3]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn drain<R: RangeBounds<usize>>(&mut self, range: R) -> ListDrain<'_, T> {
        let len = self.len;
        let (start, end) = bounds(range, len);
        // Lowered first: a leaked drain leaks the rest rather than exposing moved-out slots.
        self.len = start;
        ListDrain {
            next: start,
            end,
            tail: Tail {
                list: self,
                tail_at: end,
                tail_len: len - end,
            },
        }
    }

    /// Keeps only the elements for which `keep` returns `true`, in order.
    ///
    /// If `keep` panics, the elements it already rejected are dropped and every other element
    /// stays in the list.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.try_extend(1..=6)?;
    /// list.retain(|&x| x % 2 == 0);
    /// assert_eq!(list.as_slice(), &[2, 4, 6]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn retain<F: FnMut(&T) -> bool>(&mut self, mut keep: F) {
        self.retain_mut(|x| keep(x));
    }

    /// [`retain`](PicoList::retain), with a mutable reference to each element.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.try_extend(1..=4)?;
    /// list.retain_mut(|x| {
    ///     *x *= 10;
    ///     *x > 20
    /// });
    /// assert_eq!(list.as_slice(), &[30, 40]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn retain_mut<F: FnMut(&mut T) -> bool>(&mut self, mut keep: F) {
        let len = self.len;
        let base = self.ptr.as_ptr();
        // The list owns 0..done - removed (kept, packed) and the guard's tail done..len.
        self.len = 0;
        let mut tail = Tail {
            list: self,
            tail_at: 0,
            tail_len: len,
        };
        let mut removed = 0;
        while tail.tail_at < len {
            let i = tail.tail_at;
            // SAFETY: i < len is an initialised element owned by the guard; the reference ends
            // before anything moves it.
            let kept = keep(unsafe { &mut *base.add(i) });
            tail.tail_at += 1;
            tail.tail_len -= 1;
            if kept {
                // SAFETY: the slot i - removed lies in the packed part's gap (or is i
                // itself); the element moves once and is counted in.
                unsafe { ptr::copy(base.add(i), base.add(i - removed), 1) };
                tail.list.len += 1;
            } else {
                removed += 1;
                // SAFETY: the element is no longer owned by the guard or the list: dropped
                // exactly once (if its destructor panics, the guard still closes the gap).
                unsafe { ptr::drop_in_place(base.add(i)) };
            }
        }
    }

    /// Removes consecutive elements for which `same(a, b)` is true, keeping the first of
    /// each run: `a` is the element considered, `b` the last one kept before it.
    ///
    /// If `same` panics, the elements it already removed are dropped and every other element
    /// stays in the list.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.extend_from_slice(&["a", "A", "b", "B", "b", "c"])?;
    /// list.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    /// assert_eq!(list.as_slice(), &["a", "b", "c"]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn dedup_by<F: FnMut(&mut T, &mut T) -> bool>(&mut self, mut same: F) {
        let len = self.len;
        if len < 2 {
            return;
        }
        let base = self.ptr.as_ptr();
        // The list owns the kept elements 0..list.len, the guard the unvisited ones.
        self.len = 1;
        let mut tail = Tail {
            list: self,
            tail_at: 1,
            tail_len: len - 1,
        };
        while tail.tail_at < len {
            let i = tail.tail_at;
            let last = tail.list.len - 1;
            // SAFETY: `i` (owned by the guard) and `last` (kept) are distinct initialised
            // elements (last < i); both references end before anything moves.
            let dup = same(unsafe { &mut *base.add(i) }, unsafe {
                &mut *base.add(last)
            });
            tail.tail_at += 1;
            tail.tail_len -= 1;
            if dup {
                // SAFETY: owned by neither the guard nor the list any more: dropped once.
                unsafe { ptr::drop_in_place(base.add(i)) };
            } else {
                // SAFETY: slot last + 1 <= i is free or is i itself; the element moves once.
                unsafe { ptr::copy(base.add(i), base.add(last + 1), 1) };
                tail.list.len += 1;
            }
        }
    }

    /// Removes consecutive elements that map to the same key, keeping the first of each run.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.extend_from_slice(&[10, 11, 20, 21, 10])?;
    /// list.dedup_by_key(|x| *x / 10);
    /// assert_eq!(list.as_slice(), &[10, 20, 10]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn dedup_by_key<K: PartialEq, F: FnMut(&mut T) -> K>(&mut self, mut key: F) {
        self.dedup_by(|a, b| key(a) == key(b));
    }

    /// Removes consecutive equal elements, keeping the first of each run.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.extend_from_slice(&[1, 1, 2, 2, 2, 1])?;
    /// list.dedup();
    /// assert_eq!(list.as_slice(), &[1, 2, 1]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn dedup(&mut self)
    where
        T: PartialEq,
    {
        self.dedup_by(|a, b| a == b);
    }

    /// Appends clones of the elements in `range`, all or nothing.
    ///
    /// # Errors
    /// As [`extend_from_slice`](PicoList::extend_from_slice); the list is then unchanged.
    ///
    /// # Panics
    /// When the range is decreasing or ends past `len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.extend_from_slice(&[1, 2, 3])?;
    /// list.extend_from_within(1..)?;
    /// assert_eq!(list.as_slice(), &[1, 2, 3, 2, 3]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn extend_from_within<R: RangeBounds<usize>>(&mut self, range: R) -> Result<(), Error>
    where
        T: Clone,
    {
        let (start, end) = bounds(range, self.len);
        self.reserve_for_writing(end - start)?;
        let base = self.ptr.as_ptr();
        // If a clone panics, the guard counts the clones written so far.
        let mut written = SetLenOnDrop {
            len: &mut self.len,
            local_len: 0,
        };
        let len = *written.len;
        for i in start..end {
            // SAFETY: i < len is initialised (and not written here: the writes land at len
            // and above, committed by the reserve).
            let item = unsafe { &*base.add(i) }.clone();
            // SAFETY: len + local_len < len + (end - start) <= ready: committed and empty.
            unsafe { base.add(len + written.local_len).write(item) };
            written.local_len += 1;
        }
        Ok(())
    }

    /// Replaces the elements in `range` with clones of `items`, all or nothing: the removed
    /// elements are dropped and the elements after the range move once, straight to their new
    /// place. (`String::replace_range`'s name; [`splice`](PicoList::splice) takes an iterator
    /// and hands the removed elements back.)
    ///
    /// # Errors
    /// [`Error::ReservationExhausted`] or [`Error::Os`] when the list would outgrow what it
    /// can commit; the list is then unchanged.
    ///
    /// # Panics
    /// When the range is decreasing or ends past `len()`. If a `clone` panics, the list keeps
    /// the clones made so far and every element after the range.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.extend_from_slice(b"hello world")?;
    /// list.replace_range(0..5, b"goodbye")?;
    /// assert_eq!(list.as_slice(), b"goodbye world");
    /// list.replace_range(7.., b"")?;
    /// assert_eq!(list.as_slice(), b"goodbye");
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn replace_range<R: RangeBounds<usize>>(
        &mut self,
        range: R,
        items: &[T],
    ) -> Result<(), Error>
    where
        T: Clone,
    {
        let len = self.len;
        let (start, end) = bounds(range, len);
        let count = items.len();
        if count > end - start {
            self.reserve_for_writing(count - (end - start))?;
        }
        let base = self.ptr.as_ptr();
        self.len = start;
        let mut tail = Tail {
            list: self,
            tail_at: end,
            tail_len: len - end,
        };
        // SAFETY: start..end are initialised and owned by no one now: dropped once (the tail
        // guard closes the gap if a destructor panics).
        unsafe { ptr::drop_in_place(ptr::slice_from_raw_parts_mut(base.add(start), end - start)) };
        // SAFETY: the tail moves to just past the new items: start + count + tail_len is at
        // most the reserved length (committed above), and ptr::copy allows overlap.
        unsafe { ptr::copy(base.add(end), base.add(start + count), len - end) };
        tail.tail_at = start + count;
        for item in items {
            let at = tail.list.len;
            // SAFETY: at < start + count lies in the gap before the tail: committed and empty.
            unsafe { base.add(at).write(item.clone()) };
            tail.list.len = at + 1;
        }
        Ok(())
    }

    /// Replaces the elements in `range` with the items of `replace_with`, returning the
    /// removed elements as a [`ListDrain`].
    ///
    /// Unlike `Vec::splice` the replacement happens at once (the list cannot report running
    /// out of its reservation from a destructor): the new items are appended, then rotated
    /// into place, and the removed ones wait past the end for the returned drain.
    ///
    /// # Errors
    /// As [`push`](PicoList::push); the list is then unchanged (the new items appended so far
    /// and the rest of the iterator are dropped). If the iterator panics, the list is
    /// unchanged too.
    ///
    /// # Panics
    /// When the range is decreasing or ends past `len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.extend_from_slice(&[1, 2, 3, 4])?;
    /// let removed: Vec<i32> = list.splice(1..3, [7, 8, 9])?.collect();
    /// assert_eq!(removed, [2, 3]);
    /// assert_eq!(list.as_slice(), &[1, 7, 8, 9, 4]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn splice<R, I>(&mut self, range: R, replace_with: I) -> Result<ListDrain<'_, T>, Error>
    where
        R: RangeBounds<usize>,
        I: IntoIterator<Item = T>,
    {
        let len = self.len;
        let (start, end) = bounds(range, len);
        let guard = TruncateOnDrop { list: self, len };
        guard.list.try_extend(replace_with)?;
        let list = &mut *guard.list;
        let total = list.len;
        // [start, end) removed, [end, len) tail, [len, total) new: becomes new, tail, removed.
        let edited = &mut list.as_mut_slice()[start..];
        edited.rotate_right(total - len);
        edited[total - len..].rotate_left(end - start);
        let kept = total - (end - start);
        list.len = kept;
        let guard = ManuallyDrop::new(guard);
        // SAFETY: the guard is never dropped: its borrow of the list moves out of it once.
        let list = unsafe { ptr::read(&guard.list) };
        Ok(ListDrain {
            next: kept,
            end: total,
            tail: Tail {
                list,
                tail_at: total,
                tail_len: 0,
            },
        })
    }

    /// Splits the list in two at `at`: returns a new list (with the default reservation)
    /// holding the elements from `at` on, and keeps the first `at`.
    ///
    /// # Errors
    /// As [`new`](PicoList::new) and [`reserve`](PicoList::reserve) for the new list; this list
    /// is then unchanged.
    ///
    /// # Panics
    /// When `at > len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.extend_from_slice(&[1, 2, 3])?;
    /// let rest = list.split_off(1)?;
    /// assert_eq!(list.as_slice(), &[1]);
    /// assert_eq!(rest.as_slice(), &[2, 3]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn split_off(&mut self, at: usize) -> Result<PicoList<T>, Error> {
        let len = self.len;
        assert!(
            at <= len,
            "split index {at} is out of bounds for length {len}"
        );
        let mut other = PicoList::new()?;
        other.reserve_for_writing(len - at)?;
        // SAFETY: at..len are initialised; they move to the other list's committed, empty
        // memory (a different mapping: no overlap) and this list stops counting them.
        unsafe {
            ptr::copy_nonoverlapping(self.as_ptr().add(at), other.as_mut_ptr(), len - at);
        }
        self.len = at;
        other.len = len - at;
        Ok(other)
    }

    /// Resizes the list to `new_len`: appends clones of `value`, or truncates.
    ///
    /// # Errors
    /// As [`reserve`](PicoList::reserve); the list is then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// list.resize(3, 'x')?;
    /// assert_eq!(list.as_slice(), &['x', 'x', 'x']);
    /// list.resize(1, 'y')?;
    /// assert_eq!(list.as_slice(), &['x']);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn resize(&mut self, new_len: usize, value: T) -> Result<(), Error>
    where
        T: Clone,
    {
        self.resize_with(new_len, || value.clone())
    }

    /// Resizes the list to `new_len`: appends values made by `f`, or truncates.
    ///
    /// # Errors
    /// As [`reserve`](PicoList::reserve); the list is then unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use picoring::PicoList;
    ///
    /// let mut list = PicoList::new()?;
    /// let mut n = 0;
    /// list.resize_with(4, || {
    ///     n += 1;
    ///     n
    /// })?;
    /// assert_eq!(list.as_slice(), &[1, 2, 3, 4]);
    /// # Ok::<(), picoring::Error>(())
    /// ```
    pub fn resize_with<F: FnMut() -> T>(&mut self, new_len: usize, mut f: F) -> Result<(), Error> {
        let len = self.len;
        if new_len <= len {
            self.truncate(new_len);
            return Ok(());
        }
        self.reserve_for_writing(new_len - len)?;
        let base = self.ptr.as_ptr();
        let mut written = SetLenOnDrop {
            len: &mut self.len,
            local_len: 0,
        };
        while len + written.local_len < new_len {
            let value = f();
            // SAFETY: below new_len <= ready: committed and empty.
            unsafe { base.add(len + written.local_len).write(value) };
            written.local_len += 1;
        }
        Ok(())
    }
}
