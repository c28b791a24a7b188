//! [`Pod`]: element types for which any bit pattern is a valid value.

/// Plain-old-data element types: `Copy`, no padding, and every bit pattern a valid value.
///
/// Free space in a ring holds stale or zeroed bytes, so handing it out as `&mut [T]`
/// ([`PicoRing::writable`](crate::PicoRing::writable)) is only sound for such types.
///
/// # Safety
///
/// Implement it only for types that are `Copy`, contain no padding bytes, no pointers or
/// references, and accept every bit pattern (integers, floats, arrays of them, `#[repr(C)]`
/// structs made only of them with no padding).
///
/// # Examples
///
/// ```
/// use picoring::Pod;
///
/// #[derive(Clone, Copy)]
/// #[repr(C)]
/// struct StereoFrame { left: f32, right: f32 }
/// // SAFETY: two f32 fields, no padding, every bit pattern valid.
/// unsafe impl Pod for StereoFrame {}
///
/// let mut ring = picoring::PicoRing::<StereoFrame>::with_capacity(256)?;
/// ring.writable()[0] = StereoFrame { left: 0.5, right: -0.5 };
/// ring.commit(1);
/// assert_eq!(ring.readable()[0].right, -0.5);
/// # Ok::<(), picoring::Error>(())
/// ```
pub unsafe trait Pod: Copy + 'static {}

macro_rules! impl_pod {
    ($($t:ty)*) => { $(
        // SAFETY: primitive numbers have no padding and accept every bit pattern.
        unsafe impl Pod for $t {}
    )* };
}
impl_pod!(u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize f32 f64);

// SAFETY: an array of Pod has no padding between elements and accepts every bit pattern.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}
