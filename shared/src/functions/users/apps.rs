//! Applications and sharing (README "Applications and sharing"): creators make apps
//! and share them with users; any user lists the apps it may open. The route rules let
//! only creators reach the `/apps` routes; each handler checks it again, and an app
//! another creator owns answers as if it did not exist (404 `app_not_found`).

use std::collections::BTreeMap;

use http::StatusCode;
use lambda_http::Request;

use super::signup::log_mail_refusal;
use super::{OidcHttp, SecretSource, UsersFunction, UsersPorts};
use crate::answers::Caller;
use crate::answers::apps::{GrantAdded, GrantList, GrantRemoved, ListedAccess, MyApp, MyApps};
use crate::authz::PrincipalType;
use crate::credentials::apps::{App, AppGrant, MAX_LISTED_APPS, generated_app_id};
use crate::credentials::users::mail::{Mailer, Message};
use crate::credentials::users::settings::EMAIL_NOT_CONFIGURED;
use crate::credentials::users::{
    self as users, CHANGE_TRIES, Email, Identifier, NewUser, User, UserKind,
};
use crate::error::{Error, Result};
use crate::http::{Response, json, source_ip};
use crate::requests::apps::{AddGrant, AppQuery, Grantee, NewApp, RemoveGrant, UpdateApp};
use crate::requests::body::json_body;

/// The audit line of an app or grant change: who, what, which app (never a permission).
fn changed(caller: &Caller, action: &str, app: &str, user: Option<&str>) {
    tracing::info!(event = "app_change", action, app_id = app, by = %caller.subject, user_id = user.unwrap_or(""));
}

/// The audit line of a grant's invite: the new user's id, never its address or token.
fn invite_logged(caller: &Caller, grant: &AppGrant, outcome: &str) {
    tracing::info!(event = "app_change", action = "grant_invite", app_id = %grant.app_id, by = %caller.subject, user_id = %grant.user_id, outcome);
}

/// Who holds the address or id a grant names.
enum Holder {
    /// This user (its id).
    Account(String),
    /// Nobody: the address may be invited.
    Nobody(Email),
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
        let id = id.map_or_else(generated_app_id, str::to_owned);
        let app = App::new(id, caller.subject.clone(), name, visibility, now);
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

    /// Whom a grant by id or e-mail is for: an existing user (404 `user_not_found` for
    /// an unknown id); by e-mail only an account whose address is verified (409
    /// `email_not_verified`), or nobody yet.
    async fn grantee(&self, who: Grantee<'_>) -> Result<Holder> {
        match who {
            Grantee::User(id) => match self.store.get_user(id).await? {
                Some(user) => Ok(Holder::Account(user.id)),
                None => Err(Error::Absent("user_not_found")),
            },
            Grantee::Email(email) => match self
                .user_named(&Identifier::Email(email.clone()))
                .await?
            {
                Some(u) if !u.email_verified => Err(Error::Conflict("email_not_verified".into())),
                Some(u) => Ok(Holder::Account(u.id)),
                None => Ok(Holder::Nobody(email)),
            },
        }
    }

    /// `POST /apps/grants/add`: shares an app the caller owns with one user (a new
    /// grant replaces that user's old one); by e-mail to an address without an account,
    /// the user is invited ([`Self::invite_grantee`]).
    pub(super) async fn add_grant(&self, req: &Request) -> Result<Response> {
        let caller = Self::creator(req)?;
        let body: AddGrant = json_body(req.headers(), req.body().as_ref())?;
        let (id, who) = body.checked()?;
        let app = self.owned_app(id, &caller.subject).await?;
        let grant = |user_id: &str| AppGrant {
            app_id: app.id.clone(),
            user_id: user_id.to_owned(),
            permissions: body.permissions.clone(),
            asset_permissions: body.asset_permissions.clone(),
            granted_by: caller.subject.clone(),
            created_at: (self.clock)(),
        };
        let (grant, invited) = match self.grantee(who).await? {
            Holder::Account(id) if id == app.owner => {
                return Err(Error::Conflict("owner_has_access".into()));
            }
            Holder::Account(id) => {
                let grant = grant(&id);
                self.store.put_grant(&grant).await?;
                (grant, false)
            }
            Holder::Nobody(email) => (self.invite_grantee(req, &caller, email, grant).await?, true),
        };
        changed(&caller, "grant_add", &grant.app_id, Some(&grant.user_id));
        Ok(json(StatusCode::OK, &GrantAdded { grant, invited }))
    }

    /// A grant by e-mail to an address without an account (README "Applications and
    /// sharing"): 404 `user_not_found` unless [`Self::may_invite`]; then the send
    /// quotas, one transaction writing an invited end user, its invite and the grant,
    /// and the invite mailed. A failed send undoes that transaction (503): nothing is
    /// left that nobody was told of, and the creator may simply try again.
    async fn invite_grantee(
        &self,
        req: &Request,
        caller: &Caller,
        email: Email,
        grant: impl FnOnce(&str) -> AppGrant,
    ) -> Result<AppGrant> {
        self.may_invite(caller, &email).await?;
        let now = (self.clock)();
        self.take_send_quotas(&source_ip(req), &email, now)
            .await
            .inspect_err(|e| log_mail_refusal("grant_invite", e))?;
        let new = NewUser {
            username: None,
            email: Some(email.clone()),
            email_verified: false,
            display_name: None,
            kind: UserKind::EndUser,
            roles: Vec::new(),
            password: None,
            created_by: format!("grant:{}", caller.subject),
        };
        let (user, grant, token) = users::invite_grantee(&self.store, new, grant, now).await?;
        let sent = async {
            let link = self.config.invite_link(&token)?;
            self.mailer
                .send(&Message::grant_invite(&email, &link))
                .await
        };
        if let Err(e) = sent.await {
            self.undo_invite(caller, &user, &grant).await;
            return Err(e);
        }
        invite_logged(caller, &grant, "sent");
        Ok(grant)
    }

    /// Whether a grant may invite `email`: invites can be mailed (`EMAIL_FROM` and
    /// `USER_UI_URL`), passwords sign in (else nobody could accept), and the sign-up
    /// settings admit the address (`SignupSettings::admits`: `closed` admits none).
    /// Otherwise 404 `user_not_found`, as before invites, and nothing is written.
    async fn may_invite(&self, caller: &Caller, email: &Email) -> Result<()> {
        let refused = |reason: &str| {
            tracing::info!(event = "app_change", action = "grant_invite", by = %caller.subject, outcome = "refused", reason);
            Error::Absent("user_not_found")
        };
        if !self.config.mails_invites() {
            return Err(refused(EMAIL_NOT_CONFIGURED));
        }
        let settings = self.settings.current(&self.store).await?;
        let admitted = settings
            .login
            .require_password_login()
            .and_then(|()| settings.signup.admits(email));
        admitted.map_err(|e| match e {
            Error::Forbidden(reason) => refused(reason),
            other => other,
        })
    }

    /// Deletes what [`Self::invite_grantee`] wrote, in one transaction, if the user is
    /// still as written (nobody can have accepted an invite that was not sent).
    async fn undo_invite(&self, caller: &Caller, user: &User, grant: &AppGrant) {
        let apps = std::slice::from_ref(&grant.app_id);
        let outcome = match self.store.delete_user_records(user, apps).await {
            Ok(true) => "not_sent_undone",
            Ok(false) => "not_sent_user_changed",
            Err(_) => "not_sent_undo_failed",
        };
        invite_logged(caller, grant, outcome);
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
