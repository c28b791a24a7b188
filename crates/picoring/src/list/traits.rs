//! Standard trait implementations for [`PicoList`]: slice access, indexing, iteration,
//! extension, comparison and formatting.

use std::fmt;
use std::ops::{Deref, DerefMut, Index, IndexMut};
use std::slice::SliceIndex;

use super::PicoList;

impl<T> Deref for PicoList<T> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> DerefMut for PicoList<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<T, I: SliceIndex<[T]>> Index<I> for PicoList<T> {
    type Output = I::Output;

    /// Indexes like a slice.
    ///
    /// # Panics
    /// When the index is out of bounds, as a slice does; use [`get`](slice::get) to avoid that.
    #[inline]
    fn index(&self, index: I) -> &I::Output {
        &self.as_slice()[index]
    }
}

impl<T, I: SliceIndex<[T]>> IndexMut<I> for PicoList<T> {
    #[inline]
    fn index_mut(&mut self, index: I) -> &mut I::Output {
        &mut self.as_mut_slice()[index]
    }
}

impl<T> AsRef<[T]> for PicoList<T> {
    fn as_ref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> AsMut<[T]> for PicoList<T> {
    fn as_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<'a, T> IntoIterator for &'a PicoList<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut PicoList<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

/// Appends every item, like [`PicoList::try_extend`].
///
/// # Panics
/// `Extend` has no way to report an error, so running out of reserved space (or the operating
/// system refusing memory) panics, as `Vec` does when it cannot allocate, rather than silently
/// dropping items. The items appended before the failure stay. Use [`PicoList::try_extend`] or
/// [`PicoList::extend_from_slice`] to get an error instead.
impl<T> Extend<T> for PicoList<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        if let Err(err) = self.try_extend(iter) {
            panic!("PicoList::extend: {err}");
        }
    }
}

/// Appends copies of every item; panics on exhaustion like `Extend<T>`.
impl<'a, T: Copy + 'a> Extend<&'a T> for PicoList<T> {
    fn extend<I: IntoIterator<Item = &'a T>>(&mut self, iter: I) {
        self.extend(iter.into_iter().copied());
    }
}

impl<T: PartialEq> PartialEq for PicoList<T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Eq> Eq for PicoList<T> {}

impl<T: PartialEq> PartialEq<[T]> for PicoList<T> {
    fn eq(&self, other: &[T]) -> bool {
        self.as_slice() == other
    }
}

impl<T: fmt::Debug> fmt::Debug for PicoList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
