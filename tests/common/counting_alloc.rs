//! A global allocator that counts allocations, per thread and over all threads.
//!
//! A test binary installs it with
//! `#[global_allocator] static GLOBAL: Counting = Counting;`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Forwards to the system allocator, counting every allocation and reallocation.
pub struct Counting;

thread_local! {
    static THREAD: Cell<usize> = const { Cell::new(0) };
}
static ALL: AtomicUsize = AtomicUsize::new(0);
/// Bytes allocated and not yet freed, over all threads, and the most of it seen.
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrink(bytes: usize) {
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

fn count() {
    ALL.fetch_add(1, Ordering::Relaxed);
    // `try_with`: the allocator also runs while thread-locals are torn down.
    let _ = THREAD.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches
// only an atomic and a const-initialized thread-local, neither of which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        grow(layout.size());
        // SAFETY: the caller upholds `alloc`'s contract, which `System.alloc` shares.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        grow(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // Counted as both blocks alive at once, as a moving realloc has them.
        grow(new_size);
        shrink(layout.size());
        // SAFETY: the caller upholds `realloc`'s contract: `ptr` came from this allocator,
        // that is from `System`, with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        // SAFETY: `ptr` came from `System` with `layout`, as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocations made by the current thread while `f` runs.
pub fn on_this_thread(f: impl FnOnce()) -> usize {
    let before = THREAD.with(Cell::get);
    f();
    THREAD.with(Cell::get) - before
}

/// Allocations made by every thread while `f` runs.
pub fn on_all_threads(f: impl FnOnce()) -> usize {
    let before = ALL.load(Ordering::SeqCst);
    f();
    ALL.load(Ordering::SeqCst) - before
}

/// The most bytes live at once while `f` runs, above those live when it started, and
/// `f`'s result.
pub fn peak_bytes_during<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let r = f();
    (PEAK.load(Ordering::SeqCst) - base, r)
}
