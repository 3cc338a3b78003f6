//! The administrators' application routes (README "Applications and sharing"): every
//! app, an app's transfer to another creator (so its owner can be deleted), and the
//! explanation of an access decision. Each change is audit-logged with the
//! administrator's name.

use super::*;
use crate::answers::apps::{AccessExplained, App, AppListing};
use crate::authz::decision::{Decision, RequestFacts, decide_request};
use crate::authz::{AppSource, RouteTarget};
use crate::credentials::users::{CHANGE_TRIES, UserKind};
use crate::requests::apps::{ExplainAccess, TransferApp};

impl<I, S, K, M, O> AdminFunction<I, S, K, M, O>
where
    I: AdminIdentity,
    S: AdminPorts,
    K: AdminSecrets,
    M: Mailer,
    O: OidcHttp,
{
    /// The `/admin/apps` routes; `None` for any other.
    pub(super) async fn apps_api(&self, req: &Request, user: &str) -> Option<Result<Response>> {
        let answer = match (req.method().as_str(), req.uri().path()) {
            ("GET", "/admin/apps") => self.list_apps().await.map(api::ok),
            ("POST", "/admin/apps/transfer") => self.transfer_app(req, user).await.map(api::ok),
            ("POST", "/admin/apps/explain") => self.explain(req).await.map(api::ok),
            _ => return None,
        };
        Some(answer)
    }

    /// `GET /admin/apps`.
    async fn list_apps(&self) -> Result<AppListing> {
        Ok(AppListing {
            apps: self.store.list_apps().await?,
        })
    }

    /// `POST /admin/apps/transfer {app_id, new_owner}`: 404 `app_not_found` or
    /// `user_not_found`, 409 `not_a_creator` when the new owner is an end user.
    async fn transfer_app(&self, req: &Request, user: &str) -> Result<App> {
        let b: TransferApp = api::body(req)?;
        let (id, owner) = b.checked()?;
        let new_owner = self.store.get_user(owner).await?;
        let new_owner = new_owner.ok_or(Error::Absent("user_not_found"))?;
        if new_owner.kind != UserKind::Creator {
            return Err(Error::Conflict("not_a_creator".into()));
        }
        for _ in 0..CHANGE_TRIES {
            let old = self.store.get_app(id).await?;
            let old = old.ok_or(Error::Absent("app_not_found"))?;
            let mut new = old.clone();
            new.owner = owner.to_owned();
            (new.rev, new.updated_at) = (old.rev + 1, crate::primitives::time::now_epoch());
            if self.store.update_app(&old, &new).await? {
                tracing::info!(event = "admin_api", user, action = "app_transfer", app_id = id, from = %old.owner, to = owner);
                return Ok(new);
            }
        }
        Err(Error::Busy("app record"))
    }

    /// `POST /admin/apps/explain {app_id, user_id, route}`: the authorizer's decision
    /// function with the same `ROUTE_RULES`, for the user's principal as a user session
    /// from an allowed Origin would carry it, on consistent reads. 404 `user_not_found`;
    /// 400 when the route's own app id is not `app_id`.
    async fn explain(&self, req: &Request) -> Result<AccessExplained> {
        let b: ExplainAccess = api::body(req)?;
        let (app_id, user_id, method, path) = b.checked()?;
        let user = self.store.get_user(user_id).await?;
        let user = user.ok_or(Error::Absent("user_not_found"))?;
        let principal = user.kind.principal(&user.id, user.roles.clone());
        let rules = &self.config.route_rules;
        let decision = match RouteTarget::new(None, Default::default(), path, None) {
            Ok(target) => {
                let facts = RequestFacts {
                    method,
                    target: &target,
                    app_header: Some(app_id),
                    token_event: false,
                };
                decide_request(rules, principal, facts, &self.store).await?
            }
            Err(reason) => Decision::refused(reason),
        };
        let facts = decision.app.unwrap_or_default();
        let from_path = decision
            .rule
            .is_some_and(|r| matches!(r.app, Some(AppSource::PathParam(_))));
        if from_path && facts.requested.as_deref() != Some(app_id) {
            return Err(Error::bad_request("route names another app than app_id"));
        }
        let (decision_text, reason, context) = match decision.outcome {
            Ok(p) => ("allow", None, Some(serde_json::Value::Object(p.context()))),
            Err(r) => ("deny", Some(r.as_str().to_owned()), None),
        };
        Ok(AccessExplained {
            decision: decision_text.into(),
            reason,
            rule: decision.rule.and_then(|r| serde_json::to_value(r).ok()),
            requested_app_id: facts.requested,
            visibility: facts.app.map(|a| a.visibility),
            grant: facts.grant,
            context,
        })
    }
}
