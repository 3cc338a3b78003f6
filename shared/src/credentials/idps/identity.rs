//! Single sign-on identities (README "Single sign-on"): keyed by (provider, `iss`,
//! `sub`), never by e-mail. An identity is two items written in one transaction with the
//! user's update: `ident#<provider>#<sha256 of iss|sub>` (the identity's user: what the
//! callback reads) and `uident#<user>#<provider>`, whose condition allows one identity
//! per provider per user. The user lists them (`User::identities`), so deleting the user
//! deletes both.

use std::future::Future;

use crate::credentials::users::{CHANGE_TRIES, User, UserStore};
use crate::error::{Error, Result};
use crate::primitives::crypto::sha256_hex;

/// The identity's hash: SHA-256 of `iss|sub`. Per provider the issuer is fixed (it
/// must equal the configured one), so the pair never collides across subjects.
pub fn identity_hash(iss: &str, sub: &str) -> String {
    sha256_hex(format!("{iss}|{sub}").as_bytes())
}

/// A subject as an administrator links it: 1 to 255 characters, no control character
/// (the limit id_tokens are held to).
pub fn check_sub(sub: &str) -> Result<()> {
    if (1..=255).contains(&sub.len()) && !sub.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(Error::bad_request(
            "sub: 1 to 255 characters, no control characters",
        ))
    }
}

/// One identity to link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityLink {
    pub provider: String,
    pub iss: String,
    pub sub: String,
    pub created_at: i64,
    pub created_by: String,
}

impl IdentityLink {
    pub fn hash(&self) -> String {
        identity_hash(&self.iss, &self.sub)
    }

    /// How the user lists it: `<provider>#<hash>`.
    pub fn listed(&self) -> String {
        crate::records::key::listed_identity(&self.provider, &self.hash())
    }
}

/// Why a link was refused (409, the code as the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// The identity is linked to a user already (this one or another).
    IdentityLinked,
    /// The user has an identity at this provider already.
    ProviderLinked,
}

impl LinkRefusal {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkRefusal::IdentityLinked => "identity_already_linked",
            LinkRefusal::ProviderLinked => "user_already_linked_at_idp",
        }
    }
}

/// The identity items.
pub trait IdentityStore: Send + Sync {
    /// The user an identity is linked to.
    fn identity_user(
        &self,
        provider: &str,
        hash: &str,
    ) -> impl Future<Output = Result<Option<String>>> + Send;
    /// Whether `user` has an identity at `provider`.
    fn has_identity_at(
        &self,
        user: &str,
        provider: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Writes both items and adds the identity to the user's list, in one transaction
    /// conditional on the user's `rev` and on neither item existing; `false` when a
    /// condition failed.
    fn link_identity(
        &self,
        user: &User,
        link: &IdentityLink,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Writes a new user (listing `link`), its name items, both identity items and, when
    /// it `replaces` a pending holder of its e-mail, that holder's deletion, in one
    /// transaction; `false` when a name is held, the identity is linked already or the
    /// holder changed.
    fn create_with_identity(
        &self,
        new: &ProvisionedUser<'_>,
    ) -> impl Future<Output = Result<bool>> + Send;
}

/// A user a provider's identity creates (README "Single sign-on", provisioning).
#[derive(Debug)]
pub struct ProvisionedUser<'a> {
    /// Lists `link` among its identities; `created_at` is the write's time.
    pub user: &'a User,
    pub link: &'a IdentityLink,
    /// A pending holder of the user's e-mail (a squatter), deleted with the write.
    pub replaces: Option<&'a User>,
}

/// Links `link` to the user `user_id`: 404 when there is no such user, 409 with a
/// [`LinkRefusal`] code when the identity or the user's slot at the provider is taken;
/// a user changed meanwhile is read again (503 when it keeps changing).
pub async fn link<S: UserStore + IdentityStore>(
    store: &S,
    user_id: &str,
    link: &IdentityLink,
) -> Result<User> {
    for _ in 0..CHANGE_TRIES {
        let user = store.get_user(user_id).await?.ok_or(Error::NotFound)?;
        if store.link_identity(&user, link).await? {
            return Ok(user);
        }
        let refusal = if store
            .identity_user(&link.provider, &link.hash())
            .await?
            .is_some()
        {
            Some(LinkRefusal::IdentityLinked)
        } else if store.has_identity_at(user_id, &link.provider).await? {
            Some(LinkRefusal::ProviderLinked)
        } else {
            None
        };
        if let Some(r) = refusal {
            return Err(Error::Conflict(r.as_str().into()));
        }
    }
    Err(Error::Busy("user record"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_hash_issuer_and_subject_and_subjects_are_bounded() {
        let a = identity_hash("https://idp.example.com", "alice");
        assert_eq!(a.len(), 64);
        assert_ne!(a, identity_hash("https://idp.example.com", "alice2"));
        assert_ne!(a, identity_hash("https://other.example.com", "alice"));
        assert!(check_sub("248289761001").is_ok());
        for bad in [String::new(), "a\nb".into(), "x".repeat(256)] {
            assert!(check_sub(&bad).is_err());
        }
    }
}
