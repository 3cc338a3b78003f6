//! Local development stack for Gatehouse (never deployed).
//!
//! - [`gateway`]: an HTTP server on loopback that behaves like the `HttpApi` of
//!   `template.yaml`: CORS answered by the gateway, routes matched from the same table
//!   as the template, the Lambda authorizer invoked with real payload-2.0 events, then
//!   the route's function invoked with a real HTTP API event, in process, through the
//!   same `lambda_http` adapter the Lambda runtime uses.
//! - [`bootstrap`]: creates the table and the demo credentials in the emulators.
//! - [`routes`]: the route table, checked against `template.yaml` by a test.
//! - `openapi` (feature `openapi`): writes `docs/openapi.json` from the route table.
//! - [`demo`]: the demo embedding page and its app server (another site than the API).
//! - [`idp`]: the test OpenID provider (npm `oidc-provider`) `make run` and the tests start.
//! - [`events`]: the payload-2.0 events the gateway (and the benchmark harness) sends.
//! - [`runtime_api`], [`perf`], [`perf_report`]: the benchmark harness behind
//!   `make perf` (a Lambda Runtime API emulator driving the release executables and
//!   the Python peer) and the `docs/PERFORMANCE.md` it writes.

pub mod bootstrap;
pub mod demo;
pub mod events;
pub mod gateway;
pub mod idp;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod perf;
pub mod perf_report;
pub mod routes;
pub mod runtime_api;
