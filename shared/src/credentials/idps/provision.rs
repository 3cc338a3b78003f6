//! Provisioning (README "Single sign-on", provisioning): what an identity the table
//! does not know yet becomes, by its provider's rule. Identities are keyed by
//! (provider, `iss`, `sub`) ([`super::identity`]); an e-mail only ever *finds* an
//! account, and counts only when the id_token itself says `email_verified: true` (the
//! one claim source the relying party reads). Pure: the users function reads the
//! holder of the e-mail, asks [`plan`], and writes what it says in one transaction.

use super::{Provider, Provisioning};
use crate::credentials::oidc::flow::SsoError;
use crate::credentials::oidc::id_token::IdClaims;
use crate::credentials::users::names::parse_display_name;
use crate::credentials::users::{Email, User, UserStatus, Username};

/// The e-mail an identity proves: its `email` claim, only with `email_verified: true`
/// and only when it is an address.
pub fn verified_email(claims: &IdClaims) -> Option<Email> {
    if !claims.email_verified {
        return None;
    }
    Email::parse(claims.email.as_deref()?).ok()
}

/// Whether `p`'s domain list admits an identity with the verified e-mail `email`: an
/// empty list admits every identity, a list only a verified e-mail of one of its
/// domains. Checked on every sign-in through the provider, linked or new.
pub fn domain_admits(p: &Provider, email: Option<&Email>) -> bool {
    p.allowed_email_domains.is_empty()
        || email.is_some_and(|e| p.allowed_email_domains.iter().any(|d| d == e.domain()))
}

/// The user name a new account asks for (`claim_map.username`, normalized); `None`:
/// generate one.
pub fn wanted_username(p: &Provider, claims: &IdClaims) -> Option<Username> {
    let raw = claims.claims.get(&p.claim_map.username)?.as_str()?;
    Username::from_claim(raw)
}

/// The display name of a new account (`claim_map.display_name`); one a user could
/// not enter (too long, control characters) is left out, not refused.
pub fn display_name(p: &Provider, claims: &IdClaims) -> Option<String> {
    let raw = claims.claims.get(&p.claim_map.display_name)?.as_str();
    parse_display_name(raw).ok().flatten()
}

/// What a new identity becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Linked to this account (active, its e-mail verified), which signs in.
    Link(User),
    /// A new account with the provider's kind and roles; `replaces` is a pending
    /// holder of its e-mail (a squatter), deleted in the same transaction.
    Create { replaces: Option<User> },
}

/// The plan for a new identity of `p` with the verified e-mail `email`, whose
/// account (by that e-mail) is `holder`; the refusal is the code the browser sees.
/// The domain list is [`domain_admits`]'s, checked before.
pub fn plan(p: &Provider, email: Option<&Email>, holder: Option<User>) -> Result<Plan, SsoError> {
    let holder = email.and(holder);
    match p.provisioning {
        Provisioning::ExistingOnly => Err(SsoError::NoLinkedAccount),
        Provisioning::LinkVerifiedEmail => match holder {
            Some(h) if h.email_verified => linkable(h),
            _ => Err(SsoError::LinkRequiresVerifiedAccount),
        },
        Provisioning::AutoCreate => match holder {
            None => Ok(Plan::Create { replaces: None }),
            Some(h) if h.is_pending() => Ok(Plan::Create { replaces: Some(h) }),
            Some(h) if h.email_verified => linkable(h),
            Some(_) => Err(SsoError::AccountExists),
        },
    }
}

/// A verified account links only while it is active: a disabled one says so, an
/// invited one (no password yet, or credentials reset) is not linked.
fn linkable(h: User) -> Result<Plan, SsoError> {
    match h.status {
        UserStatus::Active => Ok(Plan::Link(h)),
        UserStatus::Disabled => Err(SsoError::AccountDisabled),
        UserStatus::Invited | UserStatus::PendingVerification => {
            Err(SsoError::LinkRequiresVerifiedAccount)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::credentials::idps::tests::provider;
    use crate::credentials::users::tests::user;

    fn claims(v: serde_json::Value) -> IdClaims {
        let map = v.as_object().unwrap().clone();
        IdClaims::new("https://idp.example.com", "s".into(), map)
    }

    fn with(rule: Provisioning, domains: &[&str]) -> Provider {
        Provider {
            provisioning: rule,
            allowed_email_domains: domains.iter().map(|d| d.to_string()).collect(),
            ..provider("p", true)
        }
    }

    fn holder(status: UserStatus, verified: bool) -> User {
        User {
            status,
            email_verified: verified,
            ..user(0)
        }
    }

    #[test]
    fn an_email_counts_only_when_the_token_says_it_is_verified() {
        let ok = claims(json!({"email": "Ann@Example.com", "email_verified": true}));
        assert_eq!(verified_email(&ok).unwrap().key(), "ann@example.com");
        for bad in [
            json!({"email": "ann@example.com"}),
            json!({"email": "ann@example.com", "email_verified": false}),
            json!({"email": "ann@example.com", "email_verified": "true"}),
            json!({"email": "not an address", "email_verified": true}),
            json!({"email_verified": true}),
        ] {
            assert_eq!(verified_email(&claims(bad.clone())), None, "{bad}");
        }
    }

    #[test]
    fn a_domain_list_admits_only_a_verified_email_of_its_domains() {
        let e = |s: &str| Email::parse(s).unwrap();
        let open = with(Provisioning::AutoCreate, &[]);
        assert!(domain_admits(&open, None));
        let listed = with(Provisioning::AutoCreate, &["corp.example"]);
        assert!(domain_admits(&listed, Some(&e("Ann@CORP.example"))));
        assert!(!domain_admits(&listed, Some(&e("ann@evil.example"))));
        assert!(!domain_admits(&listed, Some(&e("ann@sub.corp.example"))));
        assert!(!domain_admits(&listed, None), "no verified e-mail");
    }

    #[test]
    fn each_rule_decides_a_new_identity_from_the_holder_of_its_email() {
        use Provisioning::*;
        use SsoError::*;
        let email = Email::parse("ann@example.com").unwrap();
        let verified = || Some(holder(UserStatus::Active, true));
        let unverified = || Some(holder(UserStatus::Active, false));
        let pending = || Some(holder(UserStatus::PendingVerification, false));
        let disabled = || Some(holder(UserStatus::Disabled, true));
        let invited = || Some(holder(UserStatus::Invited, true));
        let refused = |rule, e: Option<&Email>, h: Option<User>| plan(&with(rule, &[]), e, h).err();
        let linked = |rule, h: Option<User>| {
            matches!(plan(&with(rule, &[]), Some(&email), h), Ok(Plan::Link(_)))
        };
        // existing_only never provisions.
        for h in [None, verified(), pending()] {
            assert_eq!(
                refused(ExistingOnly, Some(&email), h),
                Some(NoLinkedAccount)
            );
        }
        // link_verified_email: both sides verified, never a new account.
        assert!(linked(LinkVerifiedEmail, verified()));
        for h in [None, unverified(), pending(), invited()] {
            let got = refused(LinkVerifiedEmail, Some(&email), h);
            assert_eq!(got, Some(LinkRequiresVerifiedAccount));
        }
        let no_email = refused(LinkVerifiedEmail, None, verified());
        assert_eq!(
            no_email,
            Some(LinkRequiresVerifiedAccount),
            "no verified e-mail"
        );
        assert_eq!(
            refused(LinkVerifiedEmail, Some(&email), disabled()),
            Some(AccountDisabled)
        );
        // auto_create: new, linked when verified, a squatter replaced, else refused.
        let create = |e: Option<&Email>, h| plan(&with(AutoCreate, &[]), e, h).unwrap();
        assert_eq!(create(Some(&email), None), Plan::Create { replaces: None });
        assert_eq!(create(None, verified()), Plan::Create { replaces: None });
        assert_eq!(
            create(Some(&email), pending()),
            Plan::Create {
                replaces: pending()
            }
        );
        assert!(linked(AutoCreate, verified()));
        assert_eq!(
            refused(AutoCreate, Some(&email), unverified()),
            Some(AccountExists)
        );
        assert_eq!(
            refused(AutoCreate, Some(&email), disabled()),
            Some(AccountDisabled)
        );
    }

    #[test]
    fn names_come_from_the_claim_map_and_bad_ones_are_left_out() {
        let p = Provider {
            claim_map: crate::credentials::idps::ClaimMap {
                username: "nick".into(),
                display_name: "full".into(),
            },
            ..with(Provisioning::AutoCreate, &[])
        };
        let c = claims(json!({"nick": "Ann.S", "full": "Ann S", "preferred_username": "x"}));
        assert_eq!(wanted_username(&p, &c).unwrap().as_str(), "ann.s");
        assert_eq!(display_name(&p, &c).as_deref(), Some("Ann S"));
        let odd = claims(json!({"nick": 7, "full": "a\u{0}b"}));
        assert_eq!(wanted_username(&p, &odd), None);
        assert_eq!(display_name(&p, &odd), None);
    }
}
