//! Time. Pure code takes `now` (epoch seconds) as an argument, so tests pass any
//! instant; this is the one place the system clock is read.

/// Seconds since the Unix epoch, from the system clock.
pub fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
