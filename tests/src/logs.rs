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
    /// A JSON subscriber (every level) writing here.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish()
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
