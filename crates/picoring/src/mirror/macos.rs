//! macOS / iOS: one `mach_vm_allocate` of 2N whose upper half is replaced by a second mapping of
//! the lower half with `mach_vm_remap`.
//!
//! **Compile-checked only** (for `aarch64-apple-darwin`); this code has never run in our tests.
//!
//! ```text
//! mach_vm_allocate(task, &addr, 2N, VM_FLAGS_ANYWHERE)
//! target = addr + N
//! mach_vm_remap(task, &target, N, 0, VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE,
//!               task, addr, copy = FALSE, &cur, &max, VM_INHERIT_SHARE)  // target must stay addr+N
//! mach_vm_inherit(task, addr, 2N, VM_INHERIT_SHARE)  // a forked child keeps both halves mirrored
//! register (addr, N) for fork (see the fork module)
//! destroy: unregister; mach_vm_deallocate(task, addr, 2N)
//! ```
//!
//! `VM_INHERIT_SHARE` keeps the two halves one memory in a forked child (the default,
//! copy-on-write inheritance would split them), and the fork module's child handler then
//! replaces them with a private copy ([`copy_private`]) before `fork()` returns there, as on
//! Linux: the child never shares the parent's pages and never finds the ring unmapped. The
//! handler relies on libSystem having reset `mach_task_self_` for the child before it runs the
//! `pthread_atfork` child handlers.
//!
//! No memory-entry port is created, so there is no port to leak. The page size (16 KiB on Apple
//! Silicon) comes from `sysconf` via [`granularity`](super::granularity). The Mach calls
//! themselves are in `sys/macos.rs`.

use std::ptr::NonNull;

use crate::sys::macos::{
    allocate, check, deallocate, error, inherit_share, remap_over, MachVmAddress, MachVmSize,
    KERN_SUCCESS,
};
use crate::Error;

/// An owned `mach_vm_allocate`d range, deallocated on drop unless released.
struct Allocation {
    address: MachVmAddress,
    size: MachVmSize,
}

impl Drop for Allocation {
    fn drop(&mut self) {
        // SAFETY: we own this range and nothing references it (it is being abandoned).
        unsafe { deallocate(self.address, self.size) };
    }
}

pub(super) fn map(len: usize) -> Result<NonNull<u8>, Error> {
    let half = MachVmSize::try_from(len).map_err(|_| Error::CapacityOverflow)?;
    let size = half.checked_mul(2).ok_or(Error::CapacityOverflow)?;

    let address = allocate(size).map_err(|kr| error(kr, "mach_vm_allocate"))?;
    // From here on, dropping `allocation` frees the 2N range on every early return.
    let allocation = Allocation { address, size };

    let twin = address + half;
    // SAFETY: the target range [twin, twin + N) is the upper half of our own allocation, which
    // nothing references yet; the source is its lower half.
    let (kr, target) = unsafe { remap_over(twin, address, half) };
    check(kr, "mach_vm_remap")?;
    if target != twin {
        // VM_FLAGS_FIXED promises the requested address; should the kernel place the copy
        // elsewhere, free it too and refuse memory that does not mirror.
        // SAFETY: `target` is the N-byte mapping mach_vm_remap just made for us.
        unsafe { deallocate(target, half) };
        return Err(Error::Os {
            op: "mach_vm_remap",
            source: std::io::ErrorKind::AddrNotAvailable.into(),
        });
    }

    // SAFETY: the 2N range is ours; changing its inheritance touches no contents.
    let kr = unsafe { inherit_share(address, size) };
    check(kr, "mach_vm_inherit")?;

    let ptr = NonNull::new(address as usize as *mut u8).ok_or(Error::Os {
        op: "mach_vm_allocate",
        source: std::io::ErrorKind::AddrNotAvailable.into(),
    })?;
    super::fork::register(ptr, len)?;
    std::mem::forget(allocation);
    Ok(ptr)
}

/// Unmaps the whole 2N mirror, after taking it out of the fork registry.
///
/// # Safety
/// `ptr` is the base of a 2 * `len` mirror created by [`map`], unmapped once.
pub(super) unsafe fn unmap(ptr: NonNull<u8>, len: usize) {
    super::fork::unregister(ptr);
    // SAFETY: per the caller's contract, the range is ours and no longer referenced.
    unsafe {
        deallocate(
            ptr.as_ptr() as usize as MachVmAddress,
            2 * len as MachVmSize,
        )
    };
}

/// In a freshly forked child: replaces the inherited (shared) mirror at `base` with a private
/// copy of its contents, still mirrored. Returns whether both halves are now the copy; on
/// `false` the caller makes the whole mirror inaccessible.
///
/// ```text
/// mach_vm_allocate(task, &tmp, N, VM_FLAGS_ANYWHERE); copy N bytes from base to tmp
/// mach_vm_remap(task, &base,     N, ..., FIXED | OVERWRITE, task, tmp, copy = FALSE, ..., SHARE)
/// mach_vm_remap(task, &base + N, N, ..., FIXED | OVERWRITE, task, tmp, copy = FALSE, ..., SHARE)
/// mach_vm_deallocate(task, tmp, N)   // the two remapped halves keep the pages
/// ```
///
/// Only Mach calls and a memory copy: nothing is allocated on the heap.
///
/// # Safety
/// `[base, base + 2 * len)` is a mirror made by [`map`] and inherited by this child.
pub(super) unsafe fn copy_private(base: *mut u8, len: usize) -> bool {
    let half = len as MachVmSize;
    let base = base as usize as MachVmAddress;
    let Ok(tmp) = allocate(half) else {
        return false;
    };
    // SAFETY: `tmp` is N fresh bytes of ours; `base` is the readable inherited first half; they
    // do not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(base as usize as *const u8, tmp as usize as *mut u8, len)
    };
    let ok = [base, base + half].into_iter().all(|at| {
        // SAFETY: replaces one half of our own mirror (per the caller) with a second mapping of
        // `tmp`'s pages.
        let (kr, target) = unsafe { remap_over(at, tmp, half) };
        kr == KERN_SUCCESS && target == at
    });
    // SAFETY: our temporary range; the halves that now map its pages keep them alive. (A stray
    // mapping placed elsewhere by a broken VM_FLAGS_FIXED is left to the child: it is private.)
    unsafe { deallocate(tmp, half) };
    ok
}
