//! How many threads the crate's parallel paths use.

/// Worker threads for batched inference and training: the machine's available
/// parallelism, or `SHAPED_THREADS` when set (at least 1).
pub fn threads() -> usize {
    static CACHE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CACHE.get_or_init(|| {
        std::env::var("SHAPED_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
            .unwrap_or(1)
            .max(1)
    })
}
