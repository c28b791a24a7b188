//! The synchronization primitives the split rings use: std's, or loom's under `cfg(loom)` so
//! the model checker sees every atomic access, lock and wakeup.

mod cache_padded;
mod fence;
mod memory;
mod signal;

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    Arc, Condvar, Mutex, MutexGuard,
};
#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    Arc, Condvar, Mutex, MutexGuard,
};

pub(crate) use cache_padded::CachePadded;
pub(crate) use fence::{heavy as fence_heavy, light as fence_light, Barrier};
pub(crate) use memory::RingMemory;
#[cfg(feature = "async")]
pub(crate) use signal::poll_again_at;
pub(crate) use signal::{deadline_after, Signal};
