//! One request's whole decision (README "Route rules" and "Applications and sharing"):
//! the deciding rule, the principal's type and scope, then, on an app-bearing rule, the
//! app access of [`super::apps::decide`] with what it needs read. The authorizer and
//! the administrators' `POST /admin/apps/explain` both call [`decide_request`] with the
//! same `ROUTE_RULES`, so an explanation is the decision itself.

use std::future::Future;

use super::apps::{self, App, AppGrant, Lookup};
use super::deny::DenyReason;
use super::principal::Principal;
use super::routes::{AppSource, RouteRule, RouteRules, RouteTarget};
use crate::error::Result;

/// The two reads an app-bearing rule may need: a consistent read each (the store), or
/// the authorizer's cache of them (`crate::credentials::apps::CachedAppRecords`).
pub trait AppRecords: Send + Sync {
    /// `app#<id>`.
    fn get_app(&self, id: &str) -> impl Future<Output = Result<Option<App>>> + Send;
    /// `grant#<app>#<user>`.
    fn get_grant(
        &self,
        app: &str,
        user: &str,
    ) -> impl Future<Output = Result<Option<AppGrant>>> + Send;
}

/// The request as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    pub method: &'a str,
    pub target: &'a RouteTarget,
    /// The `x-gatehouse-app-id` header (`Some("")` when it was sent more than once).
    pub app_header: Option<&'a str>,
    /// A REST `TOKEN` event: it carries no `Origin`, so no cookie may pass.
    pub token_event: bool,
}

/// What an app-bearing rule looked at.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppFacts {
    /// The app id where the rule says it is (`None`: absent).
    pub requested: Option<String>,
    /// The app record, when it was read and found.
    pub app: Option<App>,
    /// The caller's grant, when it was read and found.
    pub grant: Option<AppGrant>,
}

/// The decision and everything it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<'r> {
    /// The rule that decided (`None`: no rule matched, or the route was refused first).
    pub rule: Option<&'r RouteRule>,
    /// On an app-bearing rule whose type and scope checks passed: what it read.
    pub app: Option<AppFacts>,
    /// The principal with the decided app context, or why it was denied.
    pub outcome: std::result::Result<Principal, DenyReason>,
}

impl Decision<'_> {
    /// Denied before any rule decided (a path refused first).
    pub fn refused(reason: DenyReason) -> Self {
        Decision {
            rule: None,
            app: None,
            outcome: Err(reason),
        }
    }
}

/// Decides `principal`'s request; `Err` only when a read failed (fail closed).
pub async fn decide_request<'r, R: AppRecords>(
    rules: &'r RouteRules,
    mut principal: Principal,
    req: RequestFacts<'_>,
    records: &R,
) -> Result<Decision<'r>> {
    let (rule, matched) = match rules.deciding_rule(req.method, req.target) {
        Ok(found) => found,
        Err(reason) => return Ok(Decision::refused(reason)),
    };
    if let Err(reason) = RouteRules::admits(rule, &principal) {
        let rule = Some(rule);
        return Ok(Decision {
            rule,
            ..Decision::refused(reason)
        });
    }
    let Some(source) = &matched.app else {
        return Ok(Decision {
            rule: Some(rule),
            app: None,
            outcome: Ok(principal),
        });
    };
    let requested = match source {
        AppSource::PathParam(name) => matched.params.get(name).map(String::as_str),
        AppSource::Header(_) => req.app_header,
    };
    let facts = read_facts(&principal, requested, req.token_event, records).await?;
    let outcome = apps::decide(
        &principal,
        facts.requested.as_deref(),
        req.token_event,
        facts.app.as_ref(),
        facts.grant.as_ref(),
    )
    .map(|d| {
        principal.app_id = Some(d.app_id);
        principal.app_access = Some(d.access);
        principal.permissions = d.permissions;
        principal.asset_permissions = d.asset_permissions;
        principal
    });
    Ok(Decision {
        rule: Some(rule),
        app: Some(facts),
        outcome,
    })
}

/// The reads [`apps::lookup`] asks for: none for a malformed id or a credential decided
/// from its claims; the app; the grant only on a shared app the user does not own.
async fn read_facts<R: AppRecords>(
    principal: &Principal,
    requested: Option<&str>,
    token_event: bool,
    records: &R,
) -> Result<AppFacts> {
    let mut facts = AppFacts {
        requested: requested.map(str::to_owned),
        ..AppFacts::default()
    };
    let Some(id) = requested.filter(|id| apps::is_app_id(id)) else {
        return Ok(facts);
    };
    let lookup = apps::lookup(principal, token_event);
    if lookup == Lookup::Nothing {
        return Ok(facts);
    }
    facts.app = records.get_app(id).await?;
    if lookup == Lookup::AppAndGrant
        && let Some(app) = facts
            .app
            .as_ref()
            .filter(|a| apps::needs_grant(principal, a))
    {
        facts.grant = records.get_grant(&app.id, &principal.subject).await?;
    }
    Ok(facts)
}
