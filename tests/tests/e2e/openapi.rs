//! The API description (`docs/openapi.json`) cannot drift from the code: it equals a
//! fresh generation from the route table, lists exactly the routes of the table and
//! `template.yaml`, gives each operation the security of its default route rule, is
//! valid OpenAPI 3.1, is served publicly, and no Lambda binary carries OpenAPI code.

use std::collections::BTreeSet;

use gatehouse::authz::{Principal, PrincipalType, RouteRules, RouteTarget, Scope};
use gatehouse_e2e::Stack;
use gatehouse_local::openapi;
use gatehouse_local::routes::{ROUTES, Route, Security};
use reqwest::StatusCode;
use serde_json::Value;

fn root() -> String {
    format!("{}/..", env!("CARGO_MANIFEST_DIR"))
}

fn committed() -> String {
    std::fs::read_to_string(format!("{}/{}", root(), openapi::SPEC_PATH)).unwrap()
}

fn spec() -> Value {
    serde_json::from_str(&committed()).unwrap()
}

#[test]
fn the_committed_spec_is_a_fresh_generation() {
    assert!(
        committed() == openapi::generate(),
        "{} is stale: run `{}` and commit the result",
        openapi::SPEC_PATH,
        openapi::REGENERATE
    );
}

#[test]
fn the_spec_the_route_table_and_the_template_list_the_same_routes() {
    let spec = spec();
    let mut in_spec = BTreeSet::new();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            in_spec.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    let table: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let template: BTreeSet<_> = crate::template::template_routes()
        .into_iter()
        .map(|(method, path, _, _)| (method, path))
        .collect();
    assert_eq!(in_spec, table, "docs/openapi.json and local/src/routes.rs");
    assert_eq!(template, table, "template.yaml and local/src/routes.rs");
    let ids: BTreeSet<_> = ROUTES.iter().map(|r| r.operation_id).collect();
    assert_eq!(ids.len(), ROUTES.len(), "operation ids are unique");
}

/// A principal of type `t` holding `scopes`.
fn principal(t: PrincipalType, scopes: &[Scope]) -> Principal {
    Principal::new(
        t,
        "s",
        scopes.iter().map(|s| s.as_str().to_owned()).collect(),
    )
}

const SCOPES: [Scope; 3] = [Scope::Data, Scope::Client, Scope::WidgetIssue];

/// What the default rules decide for `route`: for each principal type, whether it is
/// admitted with every scope, and whether it still is without the route's scope.
fn decided(rules: &RouteRules, route: &Route) -> Vec<(PrincipalType, bool, bool)> {
    // Each `{name}` of the route bound to a value, as API Gateway would.
    let params = route
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| (name.to_owned(), "x".to_owned()))
        .collect();
    let target = RouteTarget::Template {
        path: route.path.into(),
        params,
    };
    let allowed = |p: &Principal| rules.authorize(p, route.method, &target).is_ok();
    PrincipalType::ALL
        .iter()
        .map(|t| {
            let scope = match route.security {
                Security::Authorizer { scope, .. } => scope,
                _ => None,
            };
            let without: Vec<Scope> = SCOPES.into_iter().filter(|s| Some(*s) != scope).collect();
            (
                *t,
                allowed(&principal(*t, &SCOPES)),
                allowed(&principal(*t, &without)),
            )
        })
        .collect()
}

#[test]
fn each_operation_has_the_security_of_its_default_route_rule() {
    let rules = RouteRules::default_rules();
    let spec = spec();
    for route in ROUTES {
        let op = &spec["paths"][route.path][route.method.to_ascii_lowercase()];
        assert_eq!(op["security"], openapi::security(route), "{}", route.path);
        match route.security {
            Security::Authorizer { principals, scope } => {
                for (t, with_scope, without_scope) in decided(&rules, route) {
                    let admitted = principals.is_none_or(|p| p.contains(&t));
                    assert_eq!(
                        with_scope, admitted,
                        "{} {} {t:?}",
                        route.method, route.path
                    );
                    assert_eq!(
                        without_scope,
                        admitted && scope.is_none(),
                        "{} {} {t:?} without its scope",
                        route.method,
                        route.path
                    );
                }
                assert_ne!(op["security"], serde_json::json!([]), "{}", route.path);
            }
            // Served without the authorizer: no default rule names it.
            _ => {
                assert!(
                    rules.rules().all(|r| r.path != route.path),
                    "{} has Authorizer: NONE but a route rule names it",
                    route.path
                );
                if route.security == Security::Public {
                    assert_eq!(op["security"], serde_json::json!([]), "{}", route.path);
                }
            }
        }
    }
}

#[test]
fn strict_bodies_refuse_unknown_fields_and_the_token_form_accepts_them() {
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    for strict in [
        "NewKey",
        "KeyId",
        "TempTokenRequest",
        "SecurityTokenRequest",
        "KeysBody",
        "PresignedBody",
    ] {
        assert_eq!(schemas[strict]["additionalProperties"], false, "{strict}");
    }
    assert!(
        schemas["TokenForm"].get("additionalProperties").is_none(),
        "RFC 6749 section 3.2: unknown parameters are ignored"
    );
}

#[test]
fn the_spec_is_valid_openapi_3_1() {
    let tools =
        std::env::var("GATEHOUSE_TOOLS_DIR").unwrap_or_else(|_| format!("{}/.local/tools", root()));
    let validator = format!("{tools}/contract-venv/bin/openapi-spec-validator");
    let out = std::process::Command::new(&validator)
        .arg(format!("{}/{}", root(), openapi::SPEC_PATH))
        .output()
        .unwrap_or_else(|e| panic!("{validator}: {e} (local/scripts/install.sh installs it)"));
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(spec()["openapi"], "3.1.0");
}

#[tokio::test]
async fn openapi_json_is_served_publicly_and_cached_for_five_minutes() {
    let s = Stack::builder().start().await;
    let resp = s
        .http
        .get(format!("{}/openapi.json", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "public, max-age=300");
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.text().await.unwrap(), committed());
}

/// The Lambda crates' dependency trees (as `sam build` builds each one alone) hold no
/// OpenAPI crate.
#[test]
fn no_lambda_binary_carries_openapi_code() {
    let functions = [
        "gatehouse-token",
        "gatehouse-widget",
        "gatehouse-authorizer",
        "gatehouse-admin-api",
        "gatehouse-rotate",
    ];
    for package in functions {
        let out = std::process::Command::new(env!("CARGO"))
            .args([
                "tree",
                "--offline",
                "-e",
                "normal,build",
                "--prefix",
                "none",
                "-p",
                package,
            ])
            .current_dir(root())
            .output()
            .unwrap();
        let tree = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{package}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(tree.contains("gatehouse v"), "{package}: {tree}");
        assert!(!tree.contains("utoipa"), "{package} depends on utoipa");
    }
}
