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
//! Silicon) comes from `sysconf` via [`granularity`](super::granularity). The Mach calls are
//! declared here rather than taken from `libc`, which deprecates its Mach items in favour of
//! the `mach2` crate; four declarations do not justify a dependency.

use std::ptr::NonNull;

use crate::Error;

type KernReturn = libc::c_int;
type MachPort = libc::c_uint;
type MachVmAddress = u64;
type MachVmSize = u64;
type VmProt = libc::c_int;
type VmInherit = libc::c_uint;

const KERN_SUCCESS: KernReturn = 0;
const KERN_NO_SPACE: KernReturn = 3;
const KERN_RESOURCE_SHORTAGE: KernReturn = 6;
const VM_FLAGS_FIXED: libc::c_int = 0x0000;
const VM_FLAGS_ANYWHERE: libc::c_int = 0x0001;
const VM_FLAGS_OVERWRITE: libc::c_int = 0x4000;
const VM_INHERIT_SHARE: VmInherit = 0;
/// `FALSE`: share the source pages instead of copying them.
const NO_COPY: libc::boolean_t = 0;

extern "C" {
    static mach_task_self_: MachPort;

    fn mach_vm_allocate(
        target: MachPort,
        address: *mut MachVmAddress,
        size: MachVmSize,
        flags: libc::c_int,
    ) -> KernReturn;

    fn mach_vm_deallocate(target: MachPort, address: MachVmAddress, size: MachVmSize)
        -> KernReturn;

    fn mach_vm_remap(
        target_task: MachPort,
        target_address: *mut MachVmAddress,
        size: MachVmSize,
        mask: MachVmAddress,
        flags: libc::c_int,
        src_task: MachPort,
        src_address: MachVmAddress,
        copy: libc::boolean_t,
        cur_protection: *mut VmProt,
        max_protection: *mut VmProt,
        inheritance: VmInherit,
    ) -> KernReturn;

    fn mach_vm_inherit(
        target_task: MachPort,
        address: MachVmAddress,
        size: MachVmSize,
        new_inheritance: VmInherit,
    ) -> KernReturn;
}

fn task() -> MachPort {
    // SAFETY: `mach_task_self_` is set up by libSystem before `main` and never changes.
    unsafe { mach_task_self_ }
}

/// An owned `mach_vm_allocate`d range, deallocated on drop unless released.
struct Allocation {
    address: MachVmAddress,
    size: MachVmSize,
}

impl Drop for Allocation {
    fn drop(&mut self) {
        // SAFETY: we own this range and nothing references it (it is being abandoned).
        unsafe { mach_vm_deallocate(task(), self.address, self.size) };
    }
}

pub(super) fn map(len: usize) -> Result<NonNull<u8>, Error> {
    let half = MachVmSize::try_from(len).map_err(|_| Error::CapacityOverflow)?;
    let size = half.checked_mul(2).ok_or(Error::CapacityOverflow)?;

    let mut address: MachVmAddress = 0;
    // SAFETY: `address` is a valid out-pointer; the kernel picks a free range.
    let kr = unsafe { mach_vm_allocate(task(), &mut address, size, VM_FLAGS_ANYWHERE) };
    check(kr, "mach_vm_allocate")?;
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
        unsafe { mach_vm_deallocate(task(), target, half) };
        return Err(Error::Os {
            op: "mach_vm_remap",
            source: std::io::ErrorKind::AddrNotAvailable.into(),
        });
    }

    // SAFETY: the 2N range is ours; changing its inheritance touches no contents.
    let kr = unsafe { mach_vm_inherit(task(), address, size, VM_INHERIT_SHARE) };
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
        mach_vm_deallocate(
            task(),
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
    let mut tmp: MachVmAddress = 0;
    // SAFETY: `tmp` is a valid out-pointer; the kernel picks a free range.
    if unsafe { mach_vm_allocate(task(), &mut tmp, half, VM_FLAGS_ANYWHERE) } != KERN_SUCCESS {
        return false;
    }
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
    unsafe { mach_vm_deallocate(task(), tmp, half) };
    ok
}

/// Maps the `size` bytes at `source` a second time at `at`, replacing what is there: the same
/// pages, not a copy, inherited `VM_INHERIT_SHARE` by a forked child. Returns the result and
/// where the kernel put the mapping (`at`, unless it broke the promise of `VM_FLAGS_FIXED`).
///
/// # Safety
/// `[at, at + size)` and `[source, source + size)` are ranges of ours; nothing references the
/// first.
unsafe fn remap_over(
    at: MachVmAddress,
    source: MachVmAddress,
    size: MachVmSize,
) -> (KernReturn, MachVmAddress) {
    let mut target = at;
    let mut cur_protection: VmProt = 0;
    let mut max_protection: VmProt = 0;
    // SAFETY: VM_FLAGS_OVERWRITE replaces only `[at, at + size)`, ours per the caller; all
    // out-pointers are valid.
    let kr = unsafe {
        mach_vm_remap(
            task(),
            &mut target,
            size,
            0,
            VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE,
            task(),
            source,
            NO_COPY,
            &mut cur_protection,
            &mut max_protection,
            VM_INHERIT_SHARE,
        )
    };
    (kr, target)
}

/// Turns a `kern_return_t` into our error. Running out of address space or memory becomes
/// `ENOMEM`, so that [`MirrorBuffer`](super::MirrorBuffer) reports it instead of falling back.
fn check(kr: KernReturn, op: &'static str) -> Result<(), Error> {
    match kr {
        KERN_SUCCESS => Ok(()),
        KERN_NO_SPACE | KERN_RESOURCE_SHORTAGE => Err(Error::Os {
            op,
            source: std::io::Error::from_raw_os_error(libc::ENOMEM),
        }),
        code => Err(Error::Os {
            op,
            source: std::io::Error::other(KernError(code)),
        }),
    }
}

/// A Mach `kern_return_t` other than success, kept as the source of an [`std::io::Error`].
#[derive(Debug)]
struct KernError(KernReturn);

impl std::fmt::Display for KernError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "kern_return_t {}", self.0)
    }
}

impl std::error::Error for KernError {}
