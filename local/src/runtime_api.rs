//! A Lambda Runtime API emulator for benchmarks: it starts a function's executable with
//! `AWS_LAMBDA_RUNTIME_API` pointing at itself, hands out events the way Lambda does
//! (`GET /2018-06-01/runtime/invocation/next`, answered by
//! `POST .../invocation/{id}/response` or `.../error`), and measures what Lambda would
//! bill or a caller would wait for:
//!
//! - init: process spawn → the first `GET .../invocation/next`;
//! - latency: event handed out → response posted, per invocation;
//! - peak RSS: `VmHWM` of the process, from `/proc`;
//! - outbound calls: the running totals the function logs after each invocation
//!   (`gatehouse::primitives::metrics`; the Python peer prints the same line).
//!
//! Any runtime works: the Rust functions (through `lambda_runtime`) and the Python peer
//! (its own minimal loop) are driven identically.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{mpsc, oneshot};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the function answered to one event.
#[derive(Debug)]
pub struct Outcome {
    pub body: Value,
    /// Posted to `/error` rather than `/response`.
    pub error: bool,
    /// Event handed out → answer posted.
    pub latency: Duration,
}

struct Pending {
    id: String,
    event: Vec<u8>,
    reply: oneshot::Sender<Outcome>,
}

struct Inflight {
    handed_out: Instant,
    reply: oneshot::Sender<Outcome>,
}

struct Shared {
    first_next: Mutex<Option<Instant>>,
    init_error: Mutex<Option<String>>,
    queue: tokio::sync::Mutex<mpsc::Receiver<Pending>>,
    inflight: Mutex<HashMap<String, Inflight>>,
    /// Parsed `gatehouse::primitives::metrics` lines (running totals), in order.
    totals: Mutex<Vec<HashMap<String, u64>>>,
}

/// How to start a function.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub name: String,
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// A started function and its Runtime API.
pub struct Running {
    shared: Arc<Shared>,
    sender: mpsc::Sender<Pending>,
    child: tokio::process::Child,
    spawned: Instant,
    next_id: u64,
    server: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Binds the Runtime API on a free loopback port and spawns the function.
    pub async fn start(spec: &FunctionSpec) -> Result<Running, BoxError> {
        let (sender, receiver) = mpsc::channel(1);
        let shared = Arc::new(Shared {
            first_next: Mutex::new(None),
            init_error: Mutex::new(None),
            queue: tokio::sync::Mutex::new(receiver),
            inflight: Mutex::new(HashMap::new()),
            totals: Mutex::new(Vec::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr: SocketAddr = listener.local_addr()?;
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });

        let mut cmd = tokio::process::Command::new(&spec.program);
        cmd.args(&spec.args)
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &spec.name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", spec.name),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let spawned = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", spec.program))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let lines_shared = shared.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(t) = metrics_line(&line) {
                    lines_shared.totals.lock().expect("lock").push(t);
                }
            }
        });
        Ok(Running {
            shared,
            sender,
            child,
            spawned,
            next_id: 0,
            server,
        })
    }

    /// Spawn → first `GET .../invocation/next` (waits up to `limit`).
    pub async fn init_time(&mut self, limit: Duration) -> Result<Duration, BoxError> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(t) = *self.shared.first_next.lock().expect("lock") {
                return Ok(t - self.spawned);
            }
            if let Some(e) = self.shared.init_error.lock().expect("lock").take() {
                return Err(format!("init error: {e}").into());
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(format!("exited during init: {status}").into());
            }
            if Instant::now() > deadline {
                return Err("init did not finish in time".into());
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }

    /// Hands out one event and waits for the answer (up to 30 s).
    pub async fn invoke(&mut self, event: &Value) -> Result<Outcome, BoxError> {
        self.next_id += 1;
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            id: format!("bench-{:08}", self.next_id),
            event: serde_json::to_vec(event)?,
            reply,
        };
        self.sender
            .send(pending)
            .await
            .map_err(|_| "runtime API stopped")?;
        match tokio::time::timeout(Duration::from_secs(30), answer).await {
            Ok(Ok(o)) => Ok(o),
            Ok(Err(_)) => Err("invocation dropped".into()),
            Err(_) => Err("invocation timed out".into()),
        }
    }

    /// Peak resident set size so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// The running totals of outbound calls the function logged, once per invocation
    /// (waits briefly for the log pipe to catch up with `expected` lines).
    pub async fn call_totals(&self, expected: usize) -> Vec<HashMap<String, u64>> {
        for _ in 0..200 {
            if self.shared.totals.lock().expect("lock").len() >= expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.shared.totals.lock().expect("lock").clone()
    }

    /// Stops the function (SIGKILL, as Lambda does when it reclaims an environment).
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        self.server.abort();
    }
}

/// The running totals in a `gatehouse::primitives::metrics` log line, if it is one: its numeric
/// fields, one per service (the `message` text is not a count and is left out).
fn metrics_line(line: &str) -> Option<HashMap<String, u64>> {
    if !line.contains("outbound calls") {
        return None;
    }
    let v: Value = serde_json::from_str(line).ok()?;
    let fields = v.get("fields")?.as_object()?;
    Some(
        fields
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
            .collect(),
    )
}

async fn next(State(s): State<Arc<Shared>>) -> Response {
    {
        let mut first = s.first_next.lock().expect("lock");
        if first.is_none() {
            *first = Some(Instant::now());
        }
    }
    let Some(p) = s.queue.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let mut headers = HeaderMap::new();
    let deadline_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        + 30_000;
    for (k, v) in [
        ("lambda-runtime-aws-request-id", p.id.clone()),
        ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:000000000000:function:bench".to_owned(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned(),
        ),
        ("content-type", "application/json".to_owned()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            headers.insert(k, v);
        }
    }
    s.inflight.lock().expect("lock").insert(
        p.id,
        Inflight {
            handed_out: Instant::now(),
            reply: p.reply,
        },
    );
    (headers, p.event).into_response()
}

fn finish(s: &Shared, id: &str, body: &Bytes, error: bool) -> StatusCode {
    let done = Instant::now();
    let Some(f) = s.inflight.lock().expect("lock").remove(id) else {
        return StatusCode::BAD_REQUEST;
    };
    let body = serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()));
    let _ = f.reply.send(Outcome {
        body,
        error,
        latency: done - f.handed_out,
    });
    StatusCode::ACCEPTED
}

async fn response(State(s): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    finish(&s, &id, &body, false)
}

async fn error(State(s): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    finish(&s, &id, &body, true)
}

async fn init_error(State(s): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    *s.init_error.lock().expect("lock") = Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}

#[cfg(test)]
mod tests {
    use super::metrics_line;

    #[test]
    fn the_metrics_line_is_read_from_its_fields_and_not_its_span() {
        // The functions' line shape (README "Logs"): the request span's fields sit
        // under `span` and are not counts.
        let rust = r#"{"level":"DEBUG","fields":{"message":"outbound calls","dynamodb":2,"secretsmanager":1,"sts":0,"iam":0,"host_jwks":0},"span":{"decision":"deny","function":"authorizer","name":"request","reason":"unknown_key","request_id":"bench-00000001","route":"GET /whoami"}}"#;
        let t = metrics_line(rust).expect("a metrics line");
        assert_eq!(t.len(), 5, "{t:?}");
        assert_eq!((t["dynamodb"], t["secretsmanager"]), (2, 1));
        // The Python peer's line has no span.
        let python =
            r#"{"level": "DEBUG", "fields": {"message": "outbound calls", "dynamodb": 3}}"#;
        assert_eq!(metrics_line(python).expect("a metrics line")["dynamodb"], 3);
        let other = r#"{"level":"INFO","fields":{"message":"rejected"},"span":{"name":"request"}}"#;
        assert!(metrics_line(other).is_none());
    }
}
