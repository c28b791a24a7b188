//! Fault injection for the integration tests (Linux): a seccomp filter that makes chosen
//! system calls fail with `EPERM`, and a way to run a case in a process of its own, so that a
//! filter, a resource limit or a mount namespace never reaches another test.
//!
//! A test file using this module defines a `#[test] fn fault_child()` that calls
//! [`child_entry`] with its dispatcher; [`in_child`] re-runs the test binary with only that
//! test selected and the case named in an environment variable.
#![allow(dead_code)] // each test file uses its own part of this module

use std::io;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The environment variable that names the case a child process runs.
const CASE_VAR: &str = "PICORING_FAULT_CASE";
/// What a child prints when its case returned normally.
const DONE: &str = "fault case done:";

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E; // AUDIT_ARCH_X86_64: EM_X86_64 | 64-bit | little-endian
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7; // AUDIT_ARCH_AARCH64: EM_AARCH64 | 64-bit | little-endian

// Classic BPF opcodes (linux/bpf_common.h).
const BPF_LD: u16 = 0x00;
const BPF_JMP: u16 = 0x05;
const BPF_RET: u16 = 0x06;
const BPF_W: u16 = 0x00;
const BPF_ABS: u16 = 0x20;
const BPF_JEQ: u16 = 0x10;
const BPF_K: u16 = 0x00;
// Offsets in `struct seccomp_data`.
const DATA_NR: u32 = 0;
const DATA_ARCH: u32 = 4;

const LD_WORD: u16 = BPF_LD | BPF_W | BPF_ABS;
const JEQ: u16 = BPF_JMP | BPF_JEQ | BPF_K;
const RET: u16 = BPF_RET | BPF_K;

fn op(code: u16, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// Makes each system call in `syscalls` (`libc::SYS_*`) fail with `EPERM` in the calling
/// thread and every thread it creates from now on; everything else is allowed. Irreversible.
///
/// The filter: load the architecture, allow everything on another one (a 32-bit syscall ABI
/// has other numbers, and nothing here uses it); load the call number, return
/// `SECCOMP_RET_ERRNO | EPERM` on a listed one, `SECCOMP_RET_ALLOW` otherwise.
pub fn deny_syscalls(syscalls: &[libc::c_long]) -> io::Result<()> {
    let n = syscalls.len();
    assert!(n < 200, "jump offsets are one byte");
    let allow = (3 + n) as u8; // index of the ALLOW return
    let mut prog = vec![
        op(LD_WORD, 0, 0, DATA_ARCH),
        op(JEQ, 0, allow - 2, AUDIT_ARCH),
        op(LD_WORD, 0, 0, DATA_NR),
    ];
    for (k, &nr) in syscalls.iter().enumerate() {
        // From instruction 3 + k, the EPERM return (at 4 + n) is n - k instructions on.
        prog.push(op(JEQ, (n - k) as u8, 0, nr as u32));
    }
    prog.push(op(RET, 0, 0, libc::SECCOMP_RET_ALLOW));
    prog.push(op(
        RET,
        0,
        0,
        libc::SECCOMP_RET_ERRNO | (libc::EPERM as u32 & libc::SECCOMP_RET_DATA),
    ));
    let fprog = libc::sock_fprog {
        len: prog.len() as libc::c_ushort,
        filter: prog.as_mut_ptr(),
    };
    // SAFETY: prctl with integer arguments; required before an unprivileged filter.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fprog` points to `prog`, alive for the call; the kernel copies the program.
    let rc = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER as libc::c_ulong,
            &fprog as *const libc::sock_fprog,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Lowers the soft limit of `resource` to `limit` (the hard limit stays, so the old limit can
/// be put back with [`restore_rlimit`]); returns the limits as they were.
pub fn set_rlimit(
    resource: libc::__rlimit_resource_t,
    limit: libc::rlim_t,
) -> io::Result<libc::rlimit> {
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `old` is a valid rlimit to fill.
    if unsafe { libc::getrlimit(resource, &mut old) } != 0 {
        return Err(io::Error::last_os_error());
    }
    restore_rlimit(
        resource,
        libc::rlimit {
            rlim_cur: limit.min(old.rlim_max),
            rlim_max: old.rlim_max,
        },
    )?;
    Ok(old)
}

/// Sets `resource`'s limits to `limits` (as [`set_rlimit`] returned them).
pub fn restore_rlimit(resource: libc::__rlimit_resource_t, limits: libc::rlimit) -> io::Result<()> {
    // SAFETY: `limits` is a valid rlimit for the call.
    if unsafe { libc::setrlimit(resource, &limits) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Runs `case` in a child process (this test binary again, with only `fault_child` selected),
/// failing if the child crashes, fails, or is not done within `limit` (then it is killed).
/// Returns the child's output, which the caller may check further.
pub fn in_child(case: &str, limit: Duration) -> String {
    let exe = std::env::current_exe().expect("path of the test binary");
    let mut child = Command::new(exe)
        .args(["--exact", "fault_child", "--nocapture", "--test-threads=1"])
        .env(CASE_VAR, case)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the child test process");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().expect("reap the child");
            panic!(
                "case {case}: no end within {limit:?} (hang):\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        thread::sleep(Duration::from_millis(5));
    };
    let output = child.wait_with_output().expect("child output");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Show what the child said (skips, figures) in the parent's captured output.
    println!(
        "--- case {case} ({:?}) ---\n{stdout}{stderr}",
        start.elapsed()
    );
    assert!(
        status.success(),
        "case {case}: child ended with {status}:\n{stdout}{stderr}"
    );
    assert!(
        stdout.contains(&format!("{DONE} {case}\n")),
        "case {case}: the child did not run it:\n{stdout}{stderr}"
    );
    stdout
}

/// The body of a test file's `fault_child` test: runs the case the parent named with
/// `dispatch`, or does nothing in an ordinary test run.
pub fn child_entry(dispatch: fn(&str)) {
    let Ok(case) = std::env::var(CASE_VAR) else {
        return;
    };
    dispatch(&case);
    println!("{DONE} {case}");
}
