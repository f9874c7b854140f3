//! Threads: how many the crate uses, and a team of persistent scoped workers that run
//! one step at a time.
//!
//! The team is what `fit` and `predict_batch` share: the caller's thread is member 0,
//! workers are spawned once, and `Team::step` runs the team's work on every member
//! and returns when all are done. Spawning is fallible: a worker that cannot be spawned
//! (a process limit, no memory for its stack) only makes the team smaller, so nothing
//! ever waits for a thread that does not exist.

use std::sync::atomic::Ordering::{Acquire, Release};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Worker threads for batched inference and training: the machine's available
/// parallelism, or fewer when `SHAPED_THREADS` says so (at least 1). A count above the
/// machine's is a cap, not an order: `SHAPED_THREADS=3000` on two cores uses two (more
/// threads than cores only wait for each other). Read once per process.
pub fn threads() -> usize {
    static CACHE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CACHE.get_or_init(|| {
        let asked = std::env::var("SHAPED_THREADS").ok().and_then(|v| v.trim().parse::<usize>().ok());
        asked.unwrap_or(usize::MAX).min(cores()).max(1)
    })
}

/// The machine's available parallelism (1 if unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The most threads a `fit` forced to a count ([`FitOptions::threads`]) runs: four
/// times the cores (tests split batches over more members than cores; more than that
/// only waits and takes each member's buffers).
///
/// [`FitOptions::threads`]: crate::train::FitOptions::threads
pub fn max_forced_threads() -> usize {
    cores().saturating_mul(4)
}

/// Multiply-adds per thread in one step of `fit` below which another thread does not
/// pay for its synchronization (measured: BENCHMARKS.md, "Threads only where they pay").
pub(crate) const FIT_WORK_PER_THREAD: usize = 5_000_000;
/// The same for `predict_batch`, which starts its threads at each call.
pub(crate) const PREDICT_WORK_PER_THREAD: usize = 8_000_000;
/// Rows of a batch per thread below which `predict_batch`'s products lose more to
/// packing than the thread brings.
pub(crate) const MIN_ROWS_PER_THREAD: usize = 16;
/// The same for a step of `fit`, whose weight gradients are split by shares of the
/// weights, not of the rows: 784-512-10 at batch 16 (8 rows a thread) gains on two
/// threads (BENCHMARKS.md, "Threads only where they pay").
pub(crate) const FIT_MIN_ROWS_PER_THREAD: usize = 8;

/// Threads for `work` multiply-adds over `rows` rows, at least `min_rows` a thread: as
/// many as pay, at most [`threads`], at least 1.
pub(crate) fn threads_for(work: usize, rows: usize, work_per_thread: usize, min_rows: usize) -> usize {
    threads().min(work / work_per_thread).min(rows / min_rows.max(1)).max(1)
}

/// Work for the pool: owns everything it touches.
pub(crate) type Job = std::boxed::Box<dyn FnOnce() + Send + 'static>;

/// The process's persistent workers for `predict_batch`: [`threads`]` - 1` threads,
/// spawned at the first call and parked between jobs, so a batch does not pay for
/// starting a thread (35-40 us here, and a new thread's first allocations) at each call.
/// A job that panics leaves its worker running; its caller sees the panic as a dropped
/// reply.
fn pool() -> &'static [std::sync::mpsc::Sender<Job>] {
    static POOL: std::sync::OnceLock<std::vec::Vec<std::sync::mpsc::Sender<Job>>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let mut senders = std::vec::Vec::new();
        for k in 1..threads() {
            let (tx, rx) = std::sync::mpsc::channel::<Job>();
            let spawned =
                std::thread::Builder::new().name(std::format!("shaped-pool-{k}")).spawn(move || {
                    while let Some(job) = next_job(&rx) {
                        // The job's reply is dropped if it panics; the worker carries on.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
            // A worker that cannot be spawned only makes the pool smaller.
            if spawned.is_err() {
                break;
            }
            senders.push(tx);
        }
        senders
    })
}

/// The next job of a pool worker. `None` when the pool is gone.
fn next_job(rx: &std::sync::mpsc::Receiver<Job>) -> Option<Job> {
    receive(rx)
}

/// The next message on `rx`: polled for [`SPIN`], then waited for; `None` when every
/// sender is gone.
fn receive<T>(rx: &std::sync::mpsc::Receiver<T>) -> Option<T> {
    use std::sync::mpsc::TryRecvError;
    let mut polled = Err(TryRecvError::Empty);
    if poll(|| {
        polled = rx.try_recv();
        !matches!(polled, Err(TryRecvError::Empty))
    }) {
        polled.ok()
    } else {
        rx.recv().ok()
    }
}

/// Persistent workers available to [`submit`] (0 when none could be spawned).
pub(crate) fn pool_size() -> usize {
    pool().len()
}

/// Runs `job` on persistent worker `k` (of [`pool_size`]); gives it back when that
/// worker is gone, for the caller to run itself.
pub(crate) fn submit(k: usize, job: Job) -> Result<(), Job> {
    match pool().get(k) {
        Some(tx) => tx.send(job).map_err(|e| e.0),
        None => Err(job),
    }
}

/// `run(shared, x, out)` over the rows of `x` and `out` (the shorter length), split over
/// up to `threads` members: the caller's thread takes the first share, each of the
/// pool's persistent workers ([`submit`]) a copy of its rows and a share of `shared`
/// (jobs outlive any borrow). Shares are whole multiples of `granule` rows (a GEMM's
/// tile height: a share of 60 rows costs what one of 64 does). A worker that is gone
/// leaves its rows to the caller.
///
/// # Panics
/// If `run` panicked on a worker (the caller's own panics propagate as usual).
pub(crate) fn split_over_pool<S, X, O>(
    shared: &std::sync::Arc<S>,
    x: &[X],
    out: &mut [O],
    threads: usize,
    granule: usize,
    run: fn(&S, &[X], &mut [O]),
) where
    S: Send + Sync + 'static,
    X: Copy + Send + 'static,
    O: Copy + Send + 'static,
{
    let rows = x.len().min(out.len());
    let (x, out) = (&x[..rows], &mut out[..rows]);
    let threads = threads.clamp(1, pool_size() + 1);
    let share = rows.div_ceil(threads).next_multiple_of(granule.max(1)).clamp(1, rows.max(1));
    let mut parts = std::vec::Vec::new();
    for (k, start) in (share..rows).step_by(share).enumerate() {
        let end = (start + share).min(rows);
        let (mine, shared_k) = (x[start..end].to_vec(), std::sync::Arc::clone(shared));
        let first = out[start];
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let job: Job = std::boxed::Box::new(move || {
            let mut o = std::vec![first; mine.len()];
            run(&shared_k, &mine, &mut o);
            // The share is dropped before the reply: the caller holds the last one.
            drop(shared_k);
            let _ = tx.send(o);
        });
        parts.push((start, end, submit(k, job).ok().map(|()| rx)));
    }
    let first = share.min(rows);
    run(shared, &x[..first], &mut out[..first]);
    // Polled, not slept on: the caller's share ends about when the workers' do, and a
    // caller that slept waited 50 us more to wake (784-512-10, batch of 128, two
    // threads: 556 us a batch against 494 for one thread's 64 rows).
    for (start, end, reply) in parts {
        match reply.map(|rx| receive(&rx)) {
            Some(Some(o)) => out[start..end].copy_from_slice(&o),
            Some(None) => panic!("a worker thread of shaped panicked"),
            None => run(shared, &x[start..end], &mut out[start..end]),
        }
    }
}

/// Rows a chunk when `rows` are split over `threads` for inference: two chunks a
/// thread (so that a thread that starts late takes less), at least
/// [`MIN_ROWS_PER_THREAD`].
pub(crate) fn chunk_rows(rows: usize, threads: usize) -> usize {
    rows.div_ceil(2 * threads.max(1)).max(MIN_ROWS_PER_THREAD)
}

/// The state the members of a team share.
#[derive(Default)]
struct State {
    /// Counts the steps begun; a worker runs once per increment.
    generation: u64,
    /// Workers that have not finished the current step.
    pending: usize,
    /// Members in the team (the caller's thread included).
    size: usize,
    /// Set when the team ends.
    stop: bool,
    /// Set when a worker's work panicked.
    panicked: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Copies of `state.generation` and `state.pending` that members poll for a while
    /// before they sleep on the condition variables (the state under the lock stays the
    /// truth: a member that stops polling checks it under the lock before it sleeps).
    generation_hint: std::sync::atomic::AtomicU64,
    pending_hint: std::sync::atomic::AtomicUsize,
    /// Signalled when a step begins or the team stops.
    begin: Condvar,
    /// Signalled when a worker finishes its part of a step.
    end: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state holds plain counters; a panic elsewhere cannot leave them broken.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running team; see [`with_team`].
pub(crate) struct Team<'a, W: Fn(usize, usize) + Sync> {
    shared: &'a Shared,
    work: &'a W,
    size: usize,
}

impl<W: Fn(usize, usize) + Sync> Team<'_, W> {
    /// Members in the team, the caller's thread included (at least 1; fewer than asked
    /// for when threads could not be spawned).
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Runs `work(k, size)` on every member `k` (`work(0, size)` on the calling thread)
    /// and returns when all have finished.
    ///
    /// # Panics
    /// If the work panicked on any member.
    pub(crate) fn step(&self) {
        if self.size > 1 {
            let mut s = self.shared.lock();
            s.generation += 1;
            s.pending = self.size - 1;
            self.shared.pending_hint.store(s.pending, Release);
            self.shared.generation_hint.store(s.generation, Release);
            drop(s);
            self.shared.begin.notify_all();
        }
        (self.work)(0, self.size);
        if self.size > 1 {
            poll(|| self.shared.pending_hint.load(Acquire) == 0);
            let mut s = self.shared.lock();
            while s.pending > 0 {
                s = self.shared.end.wait(s).unwrap_or_else(PoisonError::into_inner);
            }
            assert!(!s.panicked, "a worker thread of shaped panicked");
        }
    }
}

/// Marks a worker's part of a step finished, also when its work panics.
struct Finish<'a>(&'a Shared);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.pending -= 1;
        self.0.pending_hint.store(s.pending, Release);
        if std::thread::panicking() {
            s.panicked = true;
        }
        drop(s);
        self.0.end.notify_all();
    }
}

/// Stops the workers when the team ends, however the driver returns.
struct Stop<'a>(&'a Shared);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        self.0.lock().stop = true;
        self.0.begin.notify_all();
    }
}

/// How long a team member or a pool worker polls before it sleeps: waking a sleeping
/// thread took 55-60 us on this machine (a virtual CPU halts when idle), a tenth of a
/// 784-512-10 batch of 128 and several percent of a training step; work that follows
/// within this time finds the thread awake. (OpenMP runtimes poll longer by default:
/// 200 ms in LLVM's.)
const SPIN: std::time::Duration = std::time::Duration::from_millis(2);

/// Polls `done` for at most [`SPIN`]; whether it became true.
///
/// It never yields the CPU: yielding after 50 us of spinning made the two-thread steps
/// of small networks 5x slower, and 784-512-10 at batch 16 (two threads by default) 2x
/// slower than one thread, on this VM (BENCHMARKS.md, "Issues #29 and #30").
fn poll(mut done: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    loop {
        for _ in 0..64 {
            if done() {
                return true;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() > SPIN {
            return false;
        }
    }
}

fn worker<W: Fn(usize, usize) + Sync>(k: usize, shared: &Shared, work: &W) {
    let mut seen = 0;
    loop {
        poll(|| shared.generation_hint.load(Acquire) != seen);
        let mut s = shared.lock();
        while s.generation == seen && !s.stop {
            s = shared.begin.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
        if s.stop {
            return;
        }
        seen = s.generation;
        let size = s.size;
        drop(s);
        let _finish = Finish(shared);
        work(k, size);
    }
}

/// Runs `driver` with a team of up to `threads` members that each run `work(k, size)`
/// at every [`Team::step`]. Returns the driver's result once every worker has exited.
///
/// Workers that cannot be spawned are left out: the team is smaller, never stuck.
pub(crate) fn with_team<W, R>(threads: usize, work: &W, driver: impl FnOnce(&Team<'_, W>) -> R) -> R
where
    W: Fn(usize, usize) + Sync,
{
    #[cfg(test)]
    let stack = tests::FORCED_STACK.with(std::cell::Cell::get);
    #[cfg(not(test))]
    let stack = None;
    with_team_stack(threads, stack, work, driver)
}

/// [`with_team`] with workers of the given stack size (the tests make spawning fail
/// with an impossible one).
pub(crate) fn with_team_stack<W, R>(
    threads: usize,
    stack: Option<usize>,
    work: &W,
    driver: impl FnOnce(&Team<'_, W>) -> R,
) -> R
where
    W: Fn(usize, usize) + Sync,
{
    let shared = Shared::default();
    std::thread::scope(|scope| {
        let stop = Stop(&shared);
        let mut size = 1;
        for k in 1..threads.max(1) {
            let mut builder = std::thread::Builder::new().name(std::format!("shaped-{k}"));
            if let Some(bytes) = stack {
                builder = builder.stack_size(bytes);
            }
            let shared = &shared;
            if builder.spawn_scoped(scope, move || worker(k, shared, work)).is_err() {
                break;
            }
            size += 1;
        }
        shared.lock().size = size;
        let result = driver(&Team { shared: &shared, work, size });
        drop(stop);
        result
    })
}

/// Runs `f` on pairs of matching chunks of `x` and `out`, `rows` rows a chunk, on a
/// team of up to `threads` members. Each member takes the next chunk left until none
/// is: the caller's thread starts at once, and a worker that wakes late (a new thread
/// can take tens of microseconds to run) takes fewer chunks instead of delaying all.
pub(crate) fn for_each_chunk<X: Sync, O: Send>(
    threads: usize,
    rows: usize,
    x: &[X],
    out: &mut [O],
    f: &(dyn Fn(&[X], &mut [O]) + Sync),
) {
    let rows = rows.max(1);
    let chunks: std::vec::Vec<Mutex<(&[X], &mut [O])>> =
        x.chunks(rows).zip(out.chunks_mut(rows)).map(Mutex::new).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = |_: usize, _: usize| {
        while let Some(chunk) = chunks.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
            let mut c = chunk.lock().unwrap_or_else(PoisonError::into_inner);
            let (xc, oc) = &mut *c;
            f(xc, oc);
        }
    };
    with_team(threads.min(chunks.len()), &work, |team| team.step());
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::vec::Vec;

    std::thread_local! {
        /// A stack size for the workers of teams started on this thread: the tests of
        /// `fit` and `predict_batch` set an impossible one to make every spawn fail.
        pub(crate) static FORCED_STACK: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
    }

    /// Runs `f` with every worker spawn of this thread's teams failing.
    pub(crate) fn with_failing_spawns<R>(f: impl FnOnce() -> R) -> R {
        FORCED_STACK.with(|s| s.set(Some(1 << 60)));
        let r = f();
        FORCED_STACK.with(|s| s.set(None));
        r
    }

    #[test]
    fn every_member_runs_every_step() {
        let counts: Vec<AtomicUsize> = (0..4).map(|_| AtomicUsize::new(0)).collect();
        let work = |k: usize, size: usize| {
            assert_eq!(size, 4);
            counts[k].fetch_add(1, Ordering::SeqCst);
        };
        let size = with_team(4, &work, |team| {
            for _ in 0..100 {
                team.step();
            }
            team.size()
        });
        assert_eq!(size, 4);
        for c in &counts {
            assert_eq!(c.load(Ordering::SeqCst), 100);
        }
    }

    /// Workers whose stacks cannot be allocated are not spawned: the team runs on the
    /// caller's thread alone and returns, where a barrier sized for 8 would wait forever.
    #[test]
    fn failed_spawns_shrink_the_team() {
        let runs = AtomicUsize::new(0);
        let work = |k: usize, size: usize| {
            assert_eq!((k, size), (0, 1));
            runs.fetch_add(1, Ordering::SeqCst);
        };
        let size = with_team_stack(8, Some(1 << 60), &work, |team| {
            team.step();
            team.step();
            team.size()
        });
        assert_eq!(size, 1);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_panicking_worker_panics_the_step_instead_of_hanging() {
        let work = |k: usize, _: usize| {
            if k == 1 {
                panic!("boom");
            }
        };
        let result = std::panic::catch_unwind(|| with_team(2, &work, |team| team.step()));
        assert!(result.is_err());
    }

    #[test]
    fn threads_only_where_they_pay() {
        let fit = |work, rows| threads_for(work, rows, FIT_WORK_PER_THREAD, FIT_MIN_ROWS_PER_THREAD);
        let most = threads();
        assert_eq!(fit(0, 0), 1);
        // 256-256-10 at batch 32: too little work for two.
        assert_eq!(fit(6_000_000, 32), 1);
        // 784-512-10 at batch 16: 8 rows a thread pay in `fit`...
        assert_eq!(fit(19_500_000, 16), most.min(2));
        // ...4 do not.
        assert_eq!(fit(9_800_000, 8), 1);
        assert_eq!(fit(13_000_000, 32), most.min(2));
        assert_eq!(fit(usize::MAX, usize::MAX), most);
        // `predict_batch` keeps 16 rows a thread.
        assert_eq!(threads_for(19_500_000, 16, PREDICT_WORK_PER_THREAD, MIN_ROWS_PER_THREAD), 1);
    }

    /// Every row once, in place, whatever the split and the granule; the shares a worker
    /// ran come back to their places.
    #[test]
    fn the_pool_split_covers_the_output_once() {
        let shared = std::sync::Arc::new(3usize);
        let x: Vec<usize> = (0..1000).collect();
        for threads in [1, 2, 3, 8] {
            for granule in [1, 8, 64, 5000] {
                for rows in [0, 1, 7, 999, 1000] {
                    let mut out = std::vec![0usize; rows];
                    split_over_pool(&shared, &x[..rows], &mut out, threads, granule, |s, xc, oc| {
                        for (o, &v) in oc.iter_mut().zip(xc) {
                            *o = v * *s + 1;
                        }
                    });
                    assert!(
                        out.iter().enumerate().all(|(i, &o)| o == 3 * i + 1),
                        "{threads} threads, granule {granule}, {rows} rows"
                    );
                }
            }
        }
        // The caller's share was dropped last: only the caller's `Arc` is left.
        assert_eq!(std::sync::Arc::strong_count(&shared), 1);
    }

    /// A job that panics does not take its worker down: the next job on it runs.
    #[test]
    fn a_panicking_job_leaves_its_worker_running() {
        if pool_size() == 0 {
            std::eprintln!("skipped: no pool worker on this machine (one thread)");
            return;
        }
        // (The panic's message shows in the test's output.)
        let (tx, rx) = std::sync::mpsc::sync_channel::<u32>(1);
        submit(
            0,
            std::boxed::Box::new(move || {
                let _reply = tx;
                panic!("a failing job");
            }),
        )
        .ok()
        .expect("the pool takes jobs");
        // The reply's sender was dropped by the panic: the caller sees it closed.
        assert!(rx.recv().is_err());
        let (tx, rx) = std::sync::mpsc::sync_channel::<u32>(1);
        submit(0, std::boxed::Box::new(move || tx.send(7).unwrap())).ok().expect("the worker is still there");
        assert_eq!(rx.recv_timeout(std::time::Duration::from_secs(10)), Ok(7));
    }

    #[test]
    fn chunks_cover_the_output_once() {
        let x: Vec<usize> = (0..1000).collect();
        for threads in [1, 2, 3, 8] {
            let mut out = std::vec![0usize; 1000];
            for_each_chunk(threads, 33, &x, &mut out, &|xc, oc| {
                for (o, &v) in oc.iter_mut().zip(xc) {
                    *o += v * 2;
                }
            });
            assert!(out.iter().enumerate().all(|(i, &o)| o == 2 * i), "{threads} threads");
        }
    }
}
