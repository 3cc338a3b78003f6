//! Logging set-up and the request span (README "Logs").
//!
//! Every request runs in one `request` span whose fields appear on each of its lines
//! under `span`: `request_id`, `function`, `route`, and for the authorizer `decision`
//! and `reason` once decided. Only identifiers and fixed codes go into these fields,
//! never a header, a body or a credential.

use tracing::field::Empty;

/// JSON logs to stdout (CloudWatch), level from `RUST_LOG` (default `info`).
/// Never log headers, bodies or credentials: callers log reason codes only.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ =
        tracing_subscriber::util::SubscriberInitExt::try_init(subscriber(filter, std::io::stdout));
}

/// Whether a line may be written at all, whatever `RUST_LOG` asks: never the AWS SDK's
/// own `TRACE` lines, which print whole requests and answers (a user's item with its
/// password hash; README "Logs"). Test subscribers apply it too.
pub fn writable(meta: &tracing::Metadata<'_>) -> bool {
    !(*meta.level() == tracing::Level::TRACE && meta.target().starts_with("aws_"))
}

/// The production format: one JSON object per line, the event's `fields` and the
/// current span's fields as `span` (no span list, no time, no target).
fn subscriber<W>(
    filter: tracing_subscriber::EnvFilter,
    writer: W,
) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::filter::{FilterExt, filter_fn};
    use tracing_subscriber::layer::{Layer, SubscriberExt};
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .without_time()
        .with_target(false)
        .with_writer(writer)
        .with_filter(filter.and(filter_fn(writable)));
    tracing_subscriber::registry().with(layer)
}

/// The span of one request. `request_id` is API Gateway's `requestContext.requestId`
/// where the event carries one, else the Lambda invocation's id; an id that does not
/// look like one is left out. `route` is the request method and the route's path
/// template, or the request path where API Gateway matched none (the rotation
/// function: its step). The span is at `error` level so it is on at every `RUST_LOG`
/// level that logs anything; it prints no line of its own.
pub(crate) fn request_span(
    function: &'static str,
    request_id: Option<&str>,
    route: Option<&str>,
) -> tracing::Span {
    let request_id = request_id.filter(|id| is_request_id(id));
    tracing::error_span!(
        "request",
        request_id,
        function,
        route,
        decision = Empty,
        reason = Empty
    )
}

/// Records the route on the current request span (the authorizer knows it once the
/// event is parsed): `METHOD template`, or `METHOD path` without a template.
pub(crate) fn record_route(method: &str, template_or_path: &str) {
    tracing::Span::current().record("route", format!("{method} {template_or_path}"));
}

/// Records the authorizer's decision (`allow`, `deny`, `error`) and, for a denial or
/// an error, its reason code on the current request span.
pub(crate) fn record_decision(decision: &'static str, reason: Option<&'static str>) {
    let span = tracing::Span::current();
    span.record("decision", decision);
    if let Some(reason) = reason {
        span.record("reason", reason);
    }
}

/// Request ids are short tokens, at most as long as a UUID (Lambda's and REST APIs'
/// ids; HTTP APIs' are 16 characters): anything else in that event field is not
/// logged. The credentials an authorizer event can carry are longer (an API key has
/// 63 characters, an AWS secret key 40, a session token 43, a JWT more).
fn is_request_id(id: &str) -> bool {
    (1..=36).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_=+/.".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_log::Capture;

    /// The production format's lines while `f` runs on this thread.
    fn logged(f: impl FnOnce()) -> Vec<serde_json::Value> {
        logged_at("info,gatehouse::metrics=debug", f)
    }

    /// The same with `RUST_LOG` set to `directives`.
    fn logged_at(directives: &str, f: impl FnOnce()) -> Vec<serde_json::Value> {
        let lines = Capture::default();
        let writer = lines.clone();
        let filter = tracing_subscriber::EnvFilter::new(directives);
        tracing::subscriber::with_default(subscriber(filter, move || writer.clone()), f);
        lines
            .text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn the_sdks_trace_lines_are_never_written_whatever_rust_log_says() {
        let lines = logged_at("trace,aws_smithy_runtime=trace", || {
            tracing::trace!(target: "aws_smithy_runtime::client", "whole answer with phc");
            tracing::debug!(target: "aws_smithy_runtime::client", "attempt 1");
            tracing::trace!("our own trace line");
        });
        let text: Vec<String> = lines
            .iter()
            .map(|l| l["fields"]["message"].to_string())
            .collect();
        assert_eq!(text, ["\"attempt 1\"", "\"our own trace line\""]);
    }

    #[test]
    fn every_line_of_a_request_carries_its_span_fields() {
        let lines = logged(|| {
            tracing::info!("before any request");
            let span = request_span("authorizer", Some("JKJaXmPLvHcESHA="), None);
            let _in = span.enter();
            record_route("GET", "/whoami");
            tracing::info!(step = 1, "first");
            record_decision("deny", Some("unknown_key"));
            tracing::warn!("second");
            crate::primitives::metrics::log_totals();
        });
        assert_eq!(lines.len(), 4, "one JSON object per line: {lines:?}");
        assert!(lines[0].get("span").is_none());
        for line in &lines[1..] {
            let span = &line["span"];
            assert_eq!(span["name"], "request");
            assert_eq!(span["request_id"], "JKJaXmPLvHcESHA=");
            assert_eq!(span["function"], "authorizer");
            assert_eq!(span["route"], "GET /whoami");
            assert!(line.get("spans").is_none(), "no span list: {line}");
            assert!(line.get("target").is_none() && line.get("timestamp").is_none());
        }
        assert!(
            lines[1]["span"].get("decision").is_none(),
            "not yet decided"
        );
        for line in &lines[2..] {
            assert_eq!(line["span"]["decision"], "deny");
            assert_eq!(line["span"]["reason"], "unknown_key");
        }
        // The metrics line keeps its counts in `fields` (the perf harness reads them).
        assert_eq!(lines[3]["fields"]["message"], "outbound calls");
        assert!(lines[3]["fields"]["dynamodb"].is_u64());
    }

    #[test]
    fn only_id_shaped_request_ids_are_logged() {
        let lines = logged(|| {
            let aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
            for id in ["", "has space", "gk_x\"y", &"a".repeat(37), aws_secret] {
                let span = request_span("token", Some(id), Some("POST /token"));
                let _in = span.enter();
                tracing::info!("line");
            }
            let span = request_span("rotate", Some("8f0c2f1e-1b7a-4c1d-9d7e-0a1b2c3d4e5f"), None);
            let _in = span.enter();
            tracing::info!("line");
        });
        for line in &lines[..5] {
            assert!(line["span"].get("request_id").is_none(), "{line}");
            assert_eq!(line["span"]["route"], "POST /token");
        }
        assert_eq!(
            lines[5]["span"]["request_id"],
            "8f0c2f1e-1b7a-4c1d-9d7e-0a1b2c3d4e5f"
        );
    }
}
