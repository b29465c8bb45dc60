//! What every fuzz target links: an allocator that aborts on any single
//! allocation over [`MAX_ALLOCATION`], so a decoder that trusts a length
//! from its input shows up as a crash even without a sanitizer's
//! `-malloc_limit_mb` (the targets run with `--sanitizer none`, see
//! `docs/fuzzing.md`).

use std::alloc::{GlobalAlloc, Layout, System};

/// The largest single allocation allowed: 64 MiB. No input of a fuzz run
/// (at most a few KiB) needs more; the decoders' own limits are smaller.
pub const MAX_ALLOCATION: usize = 64 << 20;

/// The system allocator with the cap.
pub struct Capped;

// SAFETY: every call is passed on to `System` unchanged, or aborts first.
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn check(size: usize) {
    if size > MAX_ALLOCATION {
        // No formatting here: it would allocate. libFuzzer saves the input
        // on the abort.
        const MESSAGE: &[u8] = b"fuzz: an allocation over 64 MiB\n";
        write_stderr(MESSAGE);
        std::process::abort();
    }
}

fn write_stderr(bytes: &[u8]) {
    use std::io::Write;
    // stderr is unbuffered; a failed write changes nothing.
    let _ = std::io::stderr().write_all(bytes);
}

#[global_allocator]
static ALLOCATOR: Capped = Capped;
