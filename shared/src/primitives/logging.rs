//! Logging set-up.

/// JSON logs to stdout (CloudWatch), level from `RUST_LOG` (default `info`).
/// Never log headers, bodies or credentials: callers log reason codes only.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .without_time()
        .with_target(false)
        .try_init();
}
