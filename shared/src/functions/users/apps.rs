//! Applications and sharing (README "Applications and sharing"): creators make apps
//! and share them with users; any user lists the apps it may open. The route rules let
//! only creators reach the `/apps` routes; each handler checks it again, and an app
//! another creator owns answers as if it did not exist (404 `app_not_found`).

use std::collections::BTreeMap;

use http::StatusCode;
use lambda_http::Request;

use super::{OidcHttp, SecretSource, UsersFunction, UsersPorts};
use crate::answers::Caller;
use crate::answers::apps::{GrantList, GrantRemoved, ListedAccess, MyApp, MyApps};
use crate::authz::PrincipalType;
use crate::credentials::apps::{App, AppGrant, MAX_LISTED_APPS, generated_app_id};
use crate::credentials::users::mail::Mailer;
use crate::credentials::users::{CHANGE_TRIES, Identifier, User};
use crate::error::{Error, Result};
use crate::http::{Response, json};
use crate::requests::apps::{AddGrant, AppQuery, Grantee, NewApp, RemoveGrant, UpdateApp};
use crate::requests::body::json_body;

/// The audit line of an app or grant change: who, what, which app (never a permission).
fn changed(caller: &Caller, action: &str, app: &str, user: Option<&str>) {
    tracing::info!(event = "app_change", action, app_id = app, by = %caller.subject, user_id = user.unwrap_or(""));
}

impl<S: UsersPorts, M: Mailer, K: SecretSource, O: OidcHttp> UsersFunction<S, M, K, O> {
    /// The caller, who must be a creator.
    fn creator(req: &Request) -> Result<Caller> {
        let caller = Self::caller(req)?;
        if caller.principal_type == PrincipalType::Creator.as_str() {
            Ok(caller)
        } else {
            Err(Error::Forbidden("creator_required"))
        }
    }

    /// The app `id` if `owner` owns it; 404 `app_not_found` otherwise.
    async fn owned_app(&self, id: &str, owner: &str) -> Result<App> {
        match self.store.get_app(id).await? {
            Some(app) if app.owner == owner => Ok(app),
            _ => Err(Error::Absent("app_not_found")),
        }
    }

    /// `POST /apps`: a new app owned by the caller (409 `app_exists` for a taken id).
    pub(super) async fn create_app(&self, req: &Request) -> Result<Response> {
        let caller = Self::creator(req)?;
        let body: NewApp = json_body(req.headers(), req.body().as_ref())?;
        let (id, name, visibility) = body.checked()?;
        let now = (self.clock)();
        let app = App {
            id: id.map_or_else(generated_app_id, str::to_owned),
            owner: caller.subject.clone(),
            name,
            visibility,
            created_at: now,
            updated_at: now,
            rev: 0,
        };
        if !self.store.create_app(&app).await? {
            return Err(Error::Conflict("app_exists".into()));
        }
        changed(&caller, "app_create", &app.id, None);
        Ok(json(StatusCode::OK, &app))
    }

    /// `POST /apps/update`: the name or visibility of an app the caller owns.
    pub(super) async fn update_app(&self, req: &Request) -> Result<Response> {
        let caller = Self::creator(req)?;
        let body: UpdateApp = json_body(req.headers(), req.body().as_ref())?;
        let (id, name) = body.checked()?;
        for _ in 0..CHANGE_TRIES {
            let old = self.owned_app(id, &caller.subject).await?;
            let mut new = old.clone();
            if let Some(name) = &name {
                new.name.clone_from(name);
            }
            new.visibility = body.visibility.unwrap_or(old.visibility);
            (new.rev, new.updated_at) = (old.rev + 1, (self.clock)());
            if self.store.update_app(&old, &new).await? {
                changed(&caller, "app_update", id, None);
                return Ok(json(StatusCode::OK, &new));
            }
        }
        Err(Error::Busy("app record"))
    }

    /// Whom a grant by id or e-mail is for: an existing user (404 `user_not_found`);
    /// by e-mail only an account whose address is verified (409 `email_not_verified`).
    async fn grantee(&self, who: Grantee<'_>) -> Result<User> {
        let user = match who {
            Grantee::User(id) => self.store.get_user(id).await?,
            Grantee::Email(email) => {
                let holder = self.user_named(&Identifier::Email(email)).await?;
                if holder.as_ref().is_some_and(|u| !u.email_verified) {
                    return Err(Error::Conflict("email_not_verified".into()));
                }
                holder
            }
        };
        user.ok_or(Error::Absent("user_not_found"))
    }

    /// `POST /apps/grants/add`: shares an app the caller owns with one user (a new
    /// grant replaces that user's old one).
    pub(super) async fn add_grant(&self, req: &Request) -> Result<Response> {
        let caller = Self::creator(req)?;
        let body: AddGrant = json_body(req.headers(), req.body().as_ref())?;
        let (id, who) = body.checked()?;
        let app = self.owned_app(id, &caller.subject).await?;
        let user = self.grantee(who).await?;
        if user.id == app.owner {
            return Err(Error::Conflict("owner_has_access".into()));
        }
        let grant = AppGrant {
            app_id: app.id,
            user_id: user.id,
            permissions: body.permissions.clone(),
            asset_permissions: body.asset_permissions.clone(),
            granted_by: caller.subject.clone(),
            created_at: (self.clock)(),
        };
        self.store.put_grant(&grant).await?;
        changed(&caller, "grant_add", &grant.app_id, Some(&grant.user_id));
        Ok(json(StatusCode::OK, &grant))
    }

    /// `POST /apps/grants/remove` (404 `grant_not_found` when there is none).
    pub(super) async fn remove_grant(&self, req: &Request) -> Result<Response> {
        let caller = Self::creator(req)?;
        let body: RemoveGrant = json_body(req.headers(), req.body().as_ref())?;
        let (id, user) = body.checked()?;
        self.owned_app(id, &caller.subject).await?;
        if !self.store.remove_grant(id, user).await? {
            return Err(Error::Absent("grant_not_found"));
        }
        changed(&caller, "grant_remove", id, Some(user));
        Ok(json(StatusCode::OK, &GrantRemoved { removed: true }))
    }

    /// `GET /apps/grants?app_id=`: the grants of an app the caller owns.
    pub(super) async fn list_grants(&self, req: &Request) -> Result<Response> {
        let caller = Self::creator(req)?;
        let q = AppQuery::parse(req.uri().query().unwrap_or(""))?;
        self.owned_app(&q.app_id, &caller.subject).await?;
        let grants = self.store.app_grants(&q.app_id).await?;
        Ok(json(StatusCode::OK, &GrantList { grants }))
    }

    /// `GET /users/me/apps`: public + granted + owned, each once, nothing else.
    pub(super) async fn my_apps(&self, req: &Request) -> Result<Response> {
        let caller = Self::caller(req)?;
        let me = caller.subject.as_str();
        let mut why: BTreeMap<String, ListedAccess> = BTreeMap::new();
        for id in self.store.public_apps().await? {
            why.insert(id, ListedAccess::Public);
        }
        for id in self.store.user_grant_apps(me).await? {
            why.insert(id, ListedAccess::Grant);
        }
        for id in self.store.owned_apps(me).await? {
            why.insert(id, ListedAccess::Owner);
        }
        let mut apps = Vec::new();
        for (id, access) in why.into_iter().take(MAX_LISTED_APPS) {
            // Read again: the listings are eventually consistent, the app item is not.
            let Some(app) = self.store.get_app(&id).await? else {
                continue;
            };
            let still = match access {
                ListedAccess::Owner => app.owner == me,
                ListedAccess::Grant => self.store.get_grant(&id, me).await?.is_some(),
                ListedAccess::Public => app.visibility == crate::authz::apps::Visibility::Public,
            };
            if still {
                apps.push(MyApp {
                    app_id: app.id,
                    name: app.name,
                    visibility: app.visibility,
                    owner: app.owner,
                    access,
                });
            }
        }
        Ok(json(StatusCode::OK, &MyApps { apps }))
    }
}
