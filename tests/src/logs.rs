//! JSON log lines written by the code under test, collected in memory.

use std::sync::{Arc, Mutex};

/// A `tracing` writer that keeps every byte written to it.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// A JSON subscriber writing here: every level, less what production never writes
    /// (`gatehouse::primitives::logging::writable`).
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        use tracing_subscriber::layer::{Layer, SubscriberExt};
        let writer = self.clone();
        let layer = tracing_subscriber::fmt::layer()
            .json()
            .with_writer(move || writer.clone())
            .with_filter(tracing_subscriber::filter::filter_fn(
                gatehouse::primitives::logging::writable,
            ));
        tracing_subscriber::registry().with(layer)
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

/// The lines logged inside the request span whose `request_id` is `id` (README "Logs"),
/// each with that span's fields: the line's own span or, for a line written in a span
/// of the SDK (only at `debug` and below), the `request` span among its parents.
pub fn request_lines(text: &str, id: &str) -> Vec<(serde_json::Value, serde_json::Value)> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|line| {
            let spans = line.get("spans")?.as_array()?;
            let span = spans.iter().rev().find(|s| s["name"] == "request")?.clone();
            (span["request_id"] == id).then_some((line, span))
        })
        .collect()
}
