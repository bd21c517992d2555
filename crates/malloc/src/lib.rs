//! How the process asks glibc's allocator to behave on a long-running server: large blocks go
//! back to the operating system when freed, and threads share a few arenas.
//!
//! Why: each Argon2 password hash allocates one 19 MiB block. glibc serves a block that large
//! with `mmap` and returns it on free, but then *raises* its mmap threshold to that size
//! ("dynamic threshold"), so every later 19 MiB block comes from a heap arena and stays there
//! after the hash: a server idling at 35 MB held 438 MB after 16 concurrent sign-ins. Fixing the
//! threshold at glibc's own default (128 KiB) switches the dynamic adjustment off, so every hash
//! buffer is mapped and unmapped. Capping the arenas stops each of tokio's blocking threads
//! from growing an arena of its own that it never trims.

/// glibc's default mmap threshold; setting it explicitly turns off the dynamic raise.
pub const MMAP_THRESHOLD: i32 = 128 * 1024;
/// Arenas for the whole process: enough for 2–8 cores without lock contention showing.
pub const ARENA_MAX: i32 = 4;

/// Applies the settings; call first thing in `main`, before threads start. Returns whether the
/// allocator took them (always false off glibc, where the settings do not exist).
pub fn tune_for_server() -> bool {
    tune()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune() -> bool {
    // SAFETY: `mallopt` only changes allocator parameters; it is called with constants glibc
    // documents for these parameters, and it takes the allocator's own lock.
    #[allow(unsafe_code)]
    let (a, b) = unsafe {
        (
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD),
            libc::mallopt(libc::M_ARENA_MAX, ARENA_MAX),
        )
    };
    a == 1 && b == 1
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune() -> bool {
    false
}

/// Hands the allocator's free pages back to the system (`malloc_trim`): after start-up's
/// one-off work (migrations, the demo seed) and from time to time while idle, so a burst of
/// sign-ins or a large export does not stay resident. Returns whether anything was released.
pub fn release_free_memory() -> bool {
    trim()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() -> bool {
    // SAFETY: `malloc_trim` only returns free memory of the allocator's own arenas to the
    // system, under the allocator's locks; no pointer is passed.
    #[allow(unsafe_code)]
    let released = unsafe { libc::malloc_trim(0) };
    released == 1
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() -> bool {
    false
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_takes_the_settings() {
        assert!(super::tune_for_server());
    }
}
