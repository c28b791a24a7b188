//! Windows 10 1803+ (and Windows Server 2019+): a pagefile-backed section mapped twice into
//! address-space placeholders.
//!
//! **Run under Wine only**: `make test-windows` runs the tests under Wine 8, which lacks
//! placeholders (see below), so there this code stops at the support check and the software
//! mirror serves; on a real Windows it has never run in our tests. It is compile-checked for
//! `x86_64-pc-windows-msvc` and `x86_64-pc-windows-gnu`.
//!
//! ```text
//! section = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, N >> 32, N, NULL)
//! p = VirtualAlloc2(process, NULL, 2N, MEM_RESERVE | MEM_RESERVE_PLACEHOLDER, PAGE_NOACCESS)
//! VirtualFree(p, N, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER)     // split: two N placeholders
//! MapViewOfFile3(section, process, p,     0, N, MEM_REPLACE_PLACEHOLDER, PAGE_READWRITE)
//! MapViewOfFile3(section, process, p + N, 0, N, MEM_REPLACE_PLACEHOLDER, PAGE_READWRITE)
//! CloseHandle(section)                                          // the views keep it alive
//! destroy: UnmapViewOfFile(p), UnmapViewOfFile(p + N)
//! ```
//!
//! Placeholders reserve the whole 2N range before anything is mapped, so no other thread can
//! take the second half in between (the race of the older "free then map at that address"
//! recipe). N is a multiple of the allocation granularity (usually 64 KiB), see [`granularity`].
//!
//! # Run-time support check
//!
//! `VirtualAlloc2` and `MapViewOfFile3` exist since Windows 10 1803. They are looked up in
//! `kernelbase.dll` at run time rather than linked, so a program using picoring starts on any
//! Windows. [`is_supported`] then maps one small mirror with them, once per process, and checks
//! that a byte written to one half shows in the other. Where the functions are missing, or the
//! system rejects the placeholder flags, the backend is unsupported: `Backend::default_order`
//! leaves it out and asking for it gives `Error::BackendUnavailable`, so the software mirror
//! serves. Wine 8.0 (Debian 12) exports both functions but rejects the flags:
//! `VirtualAlloc2(MEM_RESERVE | MEM_RESERVE_PLACEHOLDER)` and
//! `VirtualFree(MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER)` fail with `ERROR_INVALID_PARAMETER`
//! (87), and `MapViewOfFile3(MEM_REPLACE_PLACEHOLDER)` finds no placeholder to replace
//! (`ERROR_INVALID_ADDRESS`, 487).
//!
//! The section is committed from the pagefile at creation: running out of commit is an error
//! from `CreateFileMappingW`, never a fault on a later write.

use std::ffi::c_void;
use std::ptr::{null, null_mut, NonNull};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_CALL_NOT_IMPLEMENTED, ERROR_INVALID_ADDRESS, ERROR_INVALID_PARAMETER,
    ERROR_NOT_SUPPORTED, ERROR_PROC_NOT_FOUND, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, UnmapViewOfFile, VirtualFree, MEMORY_MAPPED_VIEW_ADDRESS,
    MEM_EXTENDED_PARAMETER, MEM_PRESERVE_PLACEHOLDER, MEM_RELEASE, MEM_REPLACE_PLACEHOLDER,
    MEM_RESERVE, MEM_RESERVE_PLACEHOLDER, PAGE_NOACCESS, PAGE_READWRITE, VIRTUAL_ALLOCATION_TYPE,
};
use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};
use windows_sys::Win32::System::Threading::GetCurrentProcess;

use crate::Error;

/// `VirtualAlloc2`'s signature (memoryapi.h).
type VirtualAlloc2Fn = unsafe extern "system" fn(
    HANDLE,
    *const c_void,
    usize,
    VIRTUAL_ALLOCATION_TYPE,
    u32,
    *mut MEM_EXTENDED_PARAMETER,
    u32,
) -> *mut c_void;

/// `MapViewOfFile3`'s signature (memoryapi.h).
type MapViewOfFile3Fn = unsafe extern "system" fn(
    HANDLE,
    HANDLE,
    *const c_void,
    u64,
    usize,
    VIRTUAL_ALLOCATION_TYPE,
    u32,
    *mut MEM_EXTENDED_PARAMETER,
    u32,
) -> MEMORY_MAPPED_VIEW_ADDRESS;

/// The two Windows 10 1803 functions, found in `kernelbase.dll` at run time.
struct Api {
    virtual_alloc2: VirtualAlloc2Fn,
    map_view_of_file3: MapViewOfFile3Fn,
}

/// The functions, looked up once; `None` where this Windows lacks either.
fn api() -> Option<&'static Api> {
    static API: OnceLock<Option<Api>> = OnceLock::new();
    API.get_or_init(|| {
        let name: Vec<u16> = "kernelbase.dll\0".encode_utf16().collect();
        // SAFETY: a NUL-terminated UTF-16 name; kernelbase.dll is loaded in every process
        // since Windows 7 and never unloaded, so the handle needs no reference of its own.
        let module = unsafe { GetModuleHandleW(name.as_ptr()) };
        if module.is_null() {
            return None;
        }
        // SAFETY: `module` is a loaded module and the names are NUL-terminated.
        let alloc = unsafe { GetProcAddress(module, c"VirtualAlloc2".as_ptr().cast()) }?;
        // SAFETY: as above.
        let map = unsafe { GetProcAddress(module, c"MapViewOfFile3".as_ptr().cast()) }?;
        // SAFETY: the exports of these names have exactly these signatures (memoryapi.h); a
        // function pointer is converted to another function pointer type of the same size.
        Some(unsafe {
            Api {
                virtual_alloc2: std::mem::transmute::<
                    unsafe extern "system" fn() -> isize,
                    VirtualAlloc2Fn,
                >(alloc),
                map_view_of_file3: std::mem::transmute::<
                    unsafe extern "system" fn() -> isize,
                    MapViewOfFile3Fn,
                >(map),
            }
        })
    })
    .as_ref()
}

/// What [`is_supported`] found: not yet checked, or a lasting answer.
const UNKNOWN: u8 = 0;
const SUPPORTED: u8 = 1;
const UNSUPPORTED: u8 = 2;
static SUPPORT: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Whether this system can build placeholder mirrors: the functions exist, and one small
/// mirror maps and mirrors. Checked once per process; a check that fails for lack of memory
/// proves nothing, so it counts as supported (creation then reports its own error) and is
/// repeated next time.
pub(super) fn is_supported() -> bool {
    match SUPPORT.load(Ordering::Relaxed) {
        SUPPORTED => return true,
        UNSUPPORTED => return false,
        _ => {}
    }
    let answer = match check_support() {
        Ok(()) => SUPPORTED,
        Err(err) if is_unsupported(&err) => UNSUPPORTED,
        Err(_) => return true,
    };
    SUPPORT.store(answer, Ordering::Relaxed);
    answer == SUPPORTED
}

/// Maps one allocation-granularity mirror and checks that the halves are the same memory.
fn check_support() -> Result<(), Error> {
    let len = granularity();
    let base = map(len)?;
    let p = base.as_ptr();
    // SAFETY: `p` is a fresh 2 * len mirror nobody else knows; both offsets are inside it.
    let mirrored = unsafe {
        p.write_volatile(0x5a);
        p.add(len).read_volatile() == 0x5a
    };
    // SAFETY: the mirror `map` made, unmapped once, with no reference into it.
    unsafe { unmap(base, len) };
    if mirrored {
        Ok(())
    } else {
        Err(unsupported("MapViewOfFile3"))
    }
}

/// An error that says the system lacks the mechanism (rather than memory).
fn unsupported(op: &'static str) -> Error {
    Error::Os {
        op,
        source: std::io::Error::from_raw_os_error(ERROR_NOT_SUPPORTED as i32),
    }
}

/// Whether `err` shows the placeholder calls are not implemented here: missing functions, or
/// flags the system does not understand (Wine 8.0: `ERROR_INVALID_PARAMETER` from
/// `VirtualAlloc2`). A request of one small mirror that is valid on Windows 10 1803+ fails only
/// for lack of memory or address space there, which does not land here.
fn is_unsupported(err: &Error) -> bool {
    let Error::Os { source, .. } = err else {
        return false;
    };
    matches!(
        source.raw_os_error().map(|code| code as u32),
        Some(
            ERROR_INVALID_PARAMETER
                | ERROR_INVALID_ADDRESS
                | ERROR_NOT_SUPPORTED
                | ERROR_CALL_NOT_IMPLEMENTED
                | ERROR_PROC_NOT_FOUND
        )
    )
}

/// The allocation granularity (`dwAllocationGranularity`, 64 KiB on every current Windows): a
/// view can only be placed at a multiple of it.
pub(super) fn granularity() -> usize {
    // SAFETY: SYSTEM_INFO is plain data for which all-zero is a valid value.
    let mut info: SYSTEM_INFO = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is a valid out-pointer; GetSystemInfo cannot fail.
    unsafe { GetSystemInfo(&mut info) };
    match info.dwAllocationGranularity {
        0 => 65536,
        g => g as usize,
    }
}

/// An owned section handle, closed on drop.
struct Section(HANDLE);

impl Drop for Section {
    fn drop(&mut self) {
        // SAFETY: we own the handle and close it once.
        unsafe { CloseHandle(self.0) };
    }
}

/// An owned placeholder (reserved, unmapped address space), released on drop unless a view
/// replaced it.
struct Placeholder(*mut u8);

impl Placeholder {
    /// Gives up ownership: a view replaced the placeholder, or it was split into new ones.
    fn disown(self) {
        std::mem::forget(self);
    }
}

impl Drop for Placeholder {
    fn drop(&mut self) {
        // SAFETY: a placeholder we own; size 0 with MEM_RELEASE frees exactly that placeholder.
        unsafe { VirtualFree(self.0.cast(), 0, MEM_RELEASE) };
    }
}

/// An owned view of the section, unmapped on drop unless released.
struct View(*mut u8);

impl Drop for View {
    fn drop(&mut self) {
        // SAFETY: a view we mapped; unmapping frees its address range entirely.
        unsafe { unmap_view(self.0) };
    }
}

pub(super) fn map(len: usize) -> Result<NonNull<u8>, Error> {
    let api = api().ok_or_else(|| Error::Os {
        op: "GetProcAddress(VirtualAlloc2, MapViewOfFile3)",
        source: std::io::Error::from_raw_os_error(ERROR_PROC_NOT_FOUND as i32),
    })?;
    let size = len.checked_mul(2).ok_or(Error::CapacityOverflow)?;
    let section = create_section(len)?;
    // SAFETY: a pseudo-handle for our own process; it needs no closing.
    let process = unsafe { GetCurrentProcess() };

    // SAFETY: reserves fresh address space of the system's choosing; no extended parameters.
    let base = unsafe {
        (api.virtual_alloc2)(
            process,
            null(),
            size,
            MEM_RESERVE | MEM_RESERVE_PLACEHOLDER,
            PAGE_NOACCESS,
            null_mut(),
            0,
        )
    }
    .cast::<u8>();
    if base.is_null() {
        return Err(Error::last_os("VirtualAlloc2"));
    }
    let whole = Placeholder(base);
    // SAFETY: `base` is the start of our 2N placeholder; this splits it in two at N.
    if unsafe { VirtualFree(base.cast(), len, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER) } == 0 {
        return Err(Error::last_os("VirtualFree"));
    }
    // The 2N placeholder is now two N placeholders, each released on its own.
    whole.disown();
    let lower = Placeholder(base);
    // SAFETY: base + N is inside the 2N range we reserved.
    let upper = Placeholder(unsafe { base.add(len) });

    let first = map_view(api, &section, process, lower, len)?;
    let second = map_view(api, &section, process, upper, len)?;
    // Both views are in place; the section handle drops (closes) here, the views keep it alive.
    drop(section);
    std::mem::forget(first);
    std::mem::forget(second);
    NonNull::new(base).ok_or(Error::Os {
        op: "VirtualAlloc2",
        source: std::io::ErrorKind::AddrNotAvailable.into(),
    })
}

/// A pagefile-backed section of `len` bytes, committed now.
fn create_section(len: usize) -> Result<Section, Error> {
    let len = len as u64;
    // SAFETY: no file, default security, no name: an anonymous pagefile-backed section.
    let handle = unsafe {
        CreateFileMappingW(
            INVALID_HANDLE_VALUE,
            null(),
            PAGE_READWRITE,
            (len >> 32) as u32,
            len as u32,
            null(),
        )
    };
    if handle.is_null() {
        return Err(Error::last_os("CreateFileMappingW"));
    }
    Ok(Section(handle))
}

/// Maps the whole section over `placeholder`, consuming it on success.
fn map_view(
    api: &Api,
    section: &Section,
    process: HANDLE,
    placeholder: Placeholder,
    len: usize,
) -> Result<View, Error> {
    // SAFETY: `placeholder` is an N-byte placeholder we own, exactly the view's size.
    let view = unsafe {
        (api.map_view_of_file3)(
            section.0,
            process,
            placeholder.0.cast(),
            0,
            len,
            MEM_REPLACE_PLACEHOLDER,
            PAGE_READWRITE,
            null_mut(),
            0,
        )
    };
    if view.Value.is_null() {
        // `placeholder` drops here and is released.
        return Err(Error::last_os("MapViewOfFile3"));
    }
    placeholder.disown();
    Ok(View(view.Value.cast()))
}

/// Unmaps one view; with no flags its address range is freed, leaving no placeholder behind.
///
/// # Safety
/// `at` is the base of a view we mapped, unmapped once.
unsafe fn unmap_view(at: *mut u8) {
    // SAFETY: per the caller's contract.
    unsafe { UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS { Value: at.cast() }) };
}

/// Unmaps both views of the mirror.
///
/// # Safety
/// `ptr` is the base of a 2 * `len` mirror created by [`map`], unmapped once.
pub(super) unsafe fn unmap(ptr: NonNull<u8>, len: usize) {
    // SAFETY: per the caller's contract, both views are ours and no longer referenced.
    unsafe {
        unmap_view(ptr.as_ptr());
        unmap_view(ptr.as_ptr().add(len));
    }
}
