//! macOS / iOS: the Mach VM calls. Compile-checked only (for `aarch64-apple-darwin`).
//!
//! They are declared here rather than taken from `libc`, which deprecates its Mach items in
//! favour of the `mach2` crate; four declarations do not justify a dependency. None of these
//! functions allocates (the fork child handler uses them), except [`check`] and [`error`] for
//! an unexpected `kern_return_t`.

use crate::Error;

pub(crate) type KernReturn = libc::c_int;
type MachPort = libc::c_uint;
pub(crate) type MachVmAddress = u64;
pub(crate) type MachVmSize = u64;
type VmProt = libc::c_int;
type VmInherit = libc::c_uint;

pub(crate) const KERN_SUCCESS: KernReturn = 0;
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

/// Allocates `size` bytes of fresh zeroed memory wherever the kernel likes
/// (`VM_FLAGS_ANYWHERE`); the caller frees them with [`deallocate`].
pub(crate) fn allocate(size: MachVmSize) -> Result<MachVmAddress, KernReturn> {
    let mut address: MachVmAddress = 0;
    // SAFETY: `address` is a valid out-pointer; the kernel picks a free range.
    let kr = unsafe { mach_vm_allocate(task(), &mut address, size, VM_FLAGS_ANYWHERE) };
    if kr != KERN_SUCCESS {
        return Err(kr);
    }
    Ok(address)
}

/// Frees `[address, address + size)`; a failure (only a range that is not ours) is ignored.
///
/// # Safety
/// The range is memory of ours that nothing references any more.
pub(crate) unsafe fn deallocate(address: MachVmAddress, size: MachVmSize) {
    // SAFETY: per the caller's contract.
    unsafe { mach_vm_deallocate(task(), address, size) };
}

/// Sets the inheritance of `[address, address + size)` to `VM_INHERIT_SHARE`: a forked child
/// keeps these pages shared (and so both halves of a mirror one memory).
///
/// # Safety
/// The range is memory of ours; its contents do not change.
pub(crate) unsafe fn inherit_share(address: MachVmAddress, size: MachVmSize) -> KernReturn {
    // SAFETY: per the caller's contract.
    unsafe { mach_vm_inherit(task(), address, size, VM_INHERIT_SHARE) }
}

/// Maps the `size` bytes at `source` a second time at `at`, replacing what is there: the same
/// pages, not a copy, inherited `VM_INHERIT_SHARE` by a forked child. Returns the result and
/// where the kernel put the mapping (`at`, unless it broke the promise of `VM_FLAGS_FIXED`).
///
/// # Safety
/// `[at, at + size)` and `[source, source + size)` are ranges of ours; nothing references the
/// first.
pub(crate) unsafe fn remap_over(
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

/// `Ok` for `KERN_SUCCESS`, else the [`error`] for `kr`.
pub(crate) fn check(kr: KernReturn, op: &'static str) -> Result<(), Error> {
    match kr {
        KERN_SUCCESS => Ok(()),
        code => Err(error(code, op)),
    }
}

/// Turns a failed `kern_return_t` into our error. Running out of address space or memory
/// becomes `ENOMEM`, so that [`MirrorBuffer`](crate::mirror::MirrorBuffer) reports it instead
/// of falling back.
pub(crate) fn error(kr: KernReturn, op: &'static str) -> Error {
    let source = match kr {
        KERN_NO_SPACE | KERN_RESOURCE_SHORTAGE => std::io::Error::from_raw_os_error(libc::ENOMEM),
        code => std::io::Error::other(KernError(code)),
    };
    Error::Os { op, source }
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
