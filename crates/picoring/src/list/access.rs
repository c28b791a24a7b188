//! Reading and replacing elements: lengths, slices, pointers, indexing by position.

use std::mem;

use super::PicoList;

impl<T> PicoList<T> {
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
        (self.region.committed() / mem::size_of::<T>()).min(self.max)
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

    /// A pointer to the first element. Like a `Vec`'s, it is dangling (but aligned) until the
    /// list first grows, when its address space is reserved; on the native backends it then
    /// never changes over the list's life.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut list = picoring::PicoList::<u8>::new()?;
    /// list.push(0)?;
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
}
