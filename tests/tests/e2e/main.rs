//! The integration and end-to-end suites: one module per suite, in one binary over the
//! harness (crate `gatehouse-e2e`, tests/src). A test's path is `suite::test`
//! (`cargo test -p gatehouse-e2e --test e2e -- hygiene::`), as the docs cite it.
//!
//! Tests that must own their process have binaries of their own: `log_capture` (the
//! global log subscriber) and `long` (the load and benchmark-harness runs).

mod admin_e2e;
mod admin_faults;
mod admin_users;
mod apikey_store;
mod app_access;
mod apps;
mod apps_store;
mod architecture;
mod authorizer_events;
mod bearer_authorizer;
mod browser;
mod clock_skew;
mod concurrency;
mod console;
mod fake_idp;
mod faults;
mod gateway_e2e;
mod host_codes;
mod hygiene;
mod idps;
mod invites;
mod mail;
mod openapi;
mod password_change;
mod reset;
mod rotation;
mod secrets;
mod settings;
mod signup;
mod sso;
mod sso_interop;
mod sso_provisioning;
mod store_access;
mod template;
mod token_e2e;
mod user_authorizer;
mod users;
mod verify_email;
mod widget_e2e;
