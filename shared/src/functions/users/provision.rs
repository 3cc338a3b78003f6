//! The account a provider's identity signs in (README "Single sign-on",
//! provisioning): the linked one, else what the provider's rule makes of the identity
//! (`credentials::idps::provision::plan`): linked to the verified account holding its
//! verified e-mail, or a new account, each in one transaction with the identity's
//! items. A lost race (the same identity's other callback, a name taken meanwhile) is
//! read again.

use super::*;
use crate::credentials::idps::Provider;
use crate::credentials::idps::identity::{IdentityLink, ProvisionedUser, identity_hash};
use crate::credentials::idps::provision::{self, Plan};
use crate::credentials::oidc::flow::SsoError;
use crate::credentials::oidc::id_token::IdClaims;
use crate::credentials::users::{Email, NewUser, new_record};

impl<S: UsersPorts, M: Mailer, K: SecretSource, O: OidcHttp> UsersFunction<S, M, K, O> {
    /// The account `claims` sign in at `p` (its status not yet checked); `Err` only for
    /// a failing dependency.
    pub(super) async fn sso_account(
        &self,
        p: &Provider,
        claims: &IdClaims,
        now: i64,
    ) -> Result<Result<User, SsoError>> {
        let email = provision::verified_email(claims);
        if !provision::domain_admits(p, email.as_ref()) {
            return Ok(Err(SsoError::EmailDomainNotAllowed));
        }
        let link = IdentityLink {
            provider: p.id.clone(),
            iss: claims.iss.clone(),
            sub: claims.sub.clone(),
            created_at: now,
            created_by: format!("sso:{}", p.id),
        };
        let hash = identity_hash(&claims.iss, &claims.sub);
        for attempt in 0..CHANGE_TRIES as u32 {
            if let Some(id) = self.store.identity_user(&p.id, &hash).await? {
                let user = self.store.get_user(&id).await?;
                return Ok(user.ok_or(SsoError::NoLinkedAccount));
            }
            let holder = match &email {
                Some(e) => self.user_named(&Identifier::Email(e.clone())).await?,
                None => None,
            };
            let written = match provision::plan(p, email.as_ref(), holder) {
                Err(e) => return Ok(Err(e)),
                Ok(Plan::Link(user)) => {
                    if self.store.has_identity_at(&user.id, &p.id).await? {
                        return Ok(Err(SsoError::AccountExists));
                    }
                    let linked = self.store.link_identity(&user, &link).await?;
                    linked.then_some((user, "linked"))
                }
                Ok(Plan::Create { replaces }) => {
                    let user = self.sso_user(p, claims, email.clone(), &link, now).await?;
                    let new = ProvisionedUser {
                        user: &user,
                        link: &link,
                        replaces: replaces.as_ref(),
                    };
                    let created = self.store.create_with_identity(&new).await?;
                    let replaced = replaces.is_some();
                    created.then_some((user, if replaced { "replaced" } else { "created" }))
                }
            };
            if let Some((user, action)) = written {
                tracing::info!(event = "sso_provisioned", idp = %p.id, user_id = %user.id, action);
                return Ok(Ok(user));
            }
            pause(attempt).await;
        }
        Err(Error::Busy("user record"))
    }

    /// The new account of an identity: active, the provider's kind and roles (never
    /// the provider's claims), its verified e-mail or none, a free user name from the
    /// claim map, no password.
    async fn sso_user(
        &self,
        p: &Provider,
        claims: &IdClaims,
        email: Option<Email>,
        link: &IdentityLink,
        now: i64,
    ) -> Result<User> {
        let wanted = provision::wanted_username(p, claims);
        let username = self.free_name(wanted.as_ref(), now).await?;
        let new = NewUser {
            username: Some(username),
            email_verified: email.is_some(),
            email,
            display_name: provision::display_name(p, claims),
            kind: p.default_kind,
            roles: p.default_roles.clone(),
            password: None,
            created_by: link.created_by.clone(),
        };
        let mut user = new_record(new, now);
        user.status = UserStatus::Active;
        user.identities = vec![link.listed()];
        Ok(user)
    }
}
