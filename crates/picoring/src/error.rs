//! The error types: [`Error`], shared by every constructor and fallible operation, and
//! [`InsufficientSpace`], the refusal of an all-or-nothing push.

use std::fmt;
use std::io;

use crate::mirror::Backend;

/// Why a buffer could not be created or an operation could not be carried out.
///
/// Errors are values, never panics: a constructor that cannot get memory from the operating
/// system returns [`Error::Os`] carrying the [`io::Error`] the system reported.
///
/// # Examples
///
/// ```
/// use picoring::{Error, PicoRing};
///
/// let err = PicoRing::<u8>::with_capacity(0).unwrap_err();
/// assert!(matches!(err, Error::ZeroCapacity));
/// assert_eq!(err.to_string(), "capacity must be at least one element");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A capacity of zero elements was requested.
    ZeroCapacity,
    /// The requested size does not fit in the address space once rounded up to whole pages.
    CapacityOverflow,
    /// Zero-sized element types are not supported: a ring of them would hold no memory to mirror.
    ZeroSizedType,
    /// The element type needs a stricter alignment than the mapping granularity gives.
    UnsupportedAlignment {
        /// `align_of::<T>()`.
        align: usize,
    },
    /// The requested backend does not exist on this platform or build.
    BackendUnavailable(Backend),
    /// The operating system refused a call; `op` names the call.
    Os {
        /// The system call or function that failed, such as `"mmap"` or `"memfd_create"`.
        op: &'static str,
        /// What the operating system reported.
        source: io::Error,
    },
    /// A [`PicoList`](crate::PicoList) reached the end of its reserved address space.
    ReservationExhausted {
        /// The maximum number of elements the reservation holds.
        max_capacity: usize,
    },
    /// A ring would need more memory than the machine has: its physical size exceeds physical
    /// memory plus swap, so filling it could only end with the process killed for lack of
    /// memory. Refused at creation, as an ordinary allocation of that size is refused under
    /// Linux's default overcommit policy.
    ExceedsMemory {
        /// The bytes of physical memory the ring needs.
        requested: usize,
        /// Physical memory plus swap, in bytes.
        available: u64,
    },
    /// A role of an [`ipc::SharedRing`](crate::ipc::SharedRing) is held by another live end;
    /// reported inside an [`io::Error`] of kind [`AlreadyExists`](io::ErrorKind::AlreadyExists).
    RoleTaken {
        /// The role asked for.
        role: crate::ipc::Role,
        /// The process holding it.
        pid: u32,
    },
}

impl Error {
    /// Wraps the calling thread's last OS error, attributing it to `op`.
    // Unused where no backend reports through errno (macOS, where Mach calls return their
    // error; Miri and targets with only the software mirror).
    #[cfg_attr(any(miri, not(any(unix, windows))), allow(dead_code))]
    pub(crate) fn last_os(op: &'static str) -> Self {
        Error::Os {
            op,
            source: io::Error::last_os_error(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ZeroCapacity => f.write_str("capacity must be at least one element"),
            Error::CapacityOverflow => f.write_str("requested capacity is too large"),
            Error::ZeroSizedType => f.write_str("zero-sized element types are not supported"),
            Error::UnsupportedAlignment { align } => {
                write!(f, "element alignment {align} exceeds the page alignment")
            }
            Error::BackendUnavailable(backend) => {
                write!(f, "mirror backend {backend:?} is not available here")
            }
            Error::Os { op, source } => write!(f, "{op} failed: {source}"),
            Error::ReservationExhausted { max_capacity } => write!(
                f,
                "list reservation exhausted: at most {max_capacity} elements fit"
            ),
            Error::ExceedsMemory {
                requested,
                available,
            } => write!(
                f,
                "a ring of {requested} bytes exceeds physical memory plus swap ({available} bytes)"
            ),
            Error::RoleTaken { role, pid } => write!(
                f,
                "the {role} role of this shared ring is held by process {pid}"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Os { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        let kind = match &err {
            Error::Os { source, .. } => source.kind(),
            Error::ReservationExhausted { .. } | Error::ExceedsMemory { .. } => {
                io::ErrorKind::OutOfMemory
            }
            Error::RoleTaken { .. } => io::ErrorKind::AlreadyExists,
            _ => io::ErrorKind::InvalidInput,
        };
        io::Error::new(kind, err)
    }
}

/// An all-or-nothing push such as [`PicoQueue::push_all`](crate::PicoQueue::push_all) was
/// refused: the free space could not take the whole slice, so nothing was pushed.
///
/// # Examples
///
/// ```
/// let mut queue = picoring::PicoQueue::<u8>::with_capacity(1)?;
/// let cap = queue.capacity();
/// queue.push_all(&vec![0; cap - 1])?;
/// let err = queue.push_all(b"ab").unwrap_err();
/// assert_eq!((err.needed, err.free), (2, 1));
/// assert_eq!(err.to_string(), "insufficient space: 2 elements needed, 1 free");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsufficientSpace {
    /// How many free slots the push needed: the slice's length.
    pub needed: usize,
    /// How many free slots there were.
    pub free: usize,
}

impl fmt::Display for InsufficientSpace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "insufficient space: {} elements needed, {} free",
            self.needed, self.free
        )
    }
}

impl std::error::Error for InsufficientSpace {}
