//! The table's keys: one typed enum, the only place a partition-key value is spelled.
//!
//! One table, string partition key `pk`, TTL attribute `expires_at` (epoch seconds).
//! TTL deletion is lazy, so every read checks `expires_at` itself.
//!
//! | record  | `pk`              | attributes |
//! |---------|-------------------|------------|
//! | API key | `apikey#<id>`     | `secret_hash`, `name`, `scopes`, `created_at`, `expires_at`?, `disabled`, `last4`, `last_used`? |
//! | used one-time value | `used#<kind>#<sha256>` | `expires_at` |
//! | widget temp token | `temp#<sha256>` | `userid`, `app_id`?, `client_id`?, `org_id`?, `session_ttl`, `expires_at` |
//! | widget session | `session#<sha256>` | `userid`, `app_id`?, `client_id`?, `org_id`?, `origin`? (absent: written before sessions were bound to their origin), `created_at`, `expires_at` |
//! | admin session | `admin#<sha256>` | `user_name`, `csrf_hash`, `checked_at`, `created_at`, `expires_at` |
//! | rate counter | `rate#<scope>#<kind>#<value>#<window>` | `count`, `expires_at` |
//! | user lockout counter | `rate#usr-lock#<id\|user>#<sha256>` | `count`, `locked_until`, `expires_at` |
//! | user | `user#<id>` | `username`?, `email`, `email_key`, `email_verified`, `display_name`?, `kind`, `roles`, `status`, `phc`?, `password_changed_at`?, `invite`? (the hash of its live invite), `sessions`, `rev`, `created_at`, `created_by`, `expires_at`? (a pending sign-up only) |
//! | user name | `uname#<username>` | `user_id`, `gsi1pk` = `users#u`, `gsi1sk` = the name, `expires_at`? (its user's) |
//! | user e-mail | `email#<lower-cased e-mail>` | `user_id`, `gsi1pk` = `users#e`, `gsi1sk` = the e-mail, `expires_at`? (its user's) |
//! | e-mail token | `etoken#<sha256 of the token>` | `purpose`, `user_id`, `email_key`, `created_at`, `expires_at` |
//! | runtime setting | `settings#signup`, `settings#login`, `settings#idps` (the OpenID providers, JSON in `providers`) | the setting's fields, `updated_at`, `updated_by` |
//! | user session | `usess#<sha256>` | `user_id`, `kind`, `roles`, `created_at`, `expires_at` |
//! | invite | `invite#<sha256 of the token>` | `user_id`, `created_at`, `expires_at`, `delivery`? (`link` or `email`; absent: written before invites were mailed, read as `link`), `email_key`? (an e-mailed invite's lower-cased address) |
//! | console hand-off code | `handoff#<sha256 of the code>` | `user_name`, `expires_at` |
//! | lock | `lock#<name>` | `owner`, `expires_at` |
//! | SSO identity | `ident#<provider>#<sha256 of iss\|sub>` | `user_id`, `idp`, `iss`, `sub`, `created_at`, `created_by` |
//! | a user's SSO identity | `uident#<user id>#<provider>` | `ident` (the identity's hash), `created_at` |
//! | SSO transaction | `ssotx#<sha256 of the state>` | `idp`, `browser` (sha256 of the `__Host-gh_sso` value), `return_to`, `created_at`, `expires_at` |
//! | SSO one-time code | `ssocode#<sha256 of the code>` | `user_id`, `idp`, `expires_at` |
//! | application | `app#<app id>` | `owner`, `name`, `visibility` (`public` or `shared`), `rev`, `created_at`, `updated_at`, `gsi1pk` = `owner#<user id>`, `gsi1sk` = the app id |
//! | public application | `papp#<app id>` (while the app is public) | `gsi1pk` = `apps#public`, `gsi1sk` = the app id |
//! | grant | `grant#<app id>#<user id>` | `app_id`, `user_id`, `permissions`? and `asset_permissions`? (JSON), `granted_by`, `created_at`, `gsi1pk` = `app#<app id>`, `gsi1sk` = the user id |
//! | a user's grant | `ugrant#<user id>#<app id>` | `app_id`, `user_id`, `gsi1pk` = `ugrant#<user id>`, `gsi1sk` = the app id |
//!
//! [`super::access`] says which function may touch which prefix; the adapter refuses
//! the rest.

/// Partition key attribute of the table.
pub const PK: &str = "pk";
/// The table's one generic index (`gsi1pk` hash, `gsi1sk` range, both strings, every
/// attribute projected): listings that must not scan go through it (issue 17 onwards).
pub const GSI1: &str = "gsi1";
/// Partition key attribute of [`GSI1`].
pub const GSI1_PK: &str = "gsi1pk";
/// Sort key attribute of [`GSI1`].
pub const GSI1_SK: &str = "gsi1sk";
/// TTL attribute of the table.
pub const EXPIRES_AT: &str = "expires_at";
/// `last_used` of an API key: the one attribute the authorizer may write.
pub(crate) const LAST_USED: &str = "last_used";
/// `origin` of a widget session: the origin it was opened from.
pub(crate) const ORIGIN: &str = "origin";

/// Record kinds and their partition-key prefixes (the prefix table of the access rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    ApiKey,
    Used,
    Temp,
    Session,
    Admin,
    Rate,
    Lock,
    User,
    UserName,
    UserEmail,
    UserSession,
    Invite,
    Handoff,
    EmailToken,
    Setting,
    Identity,
    UserIdentity,
    SsoTransaction,
    SsoCode,
    App,
    PublicApp,
    Grant,
    UserGrant,
}

impl Kind {
    /// The partition-key prefix of this kind's records.
    pub(crate) const fn prefix(self) -> &'static str {
        match self {
            Kind::ApiKey => "apikey#",
            Kind::Used => "used#",
            Kind::Temp => "temp#",
            Kind::Session => "session#",
            Kind::Admin => "admin#",
            Kind::Rate => "rate#",
            Kind::Lock => "lock#",
            Kind::User => "user#",
            Kind::UserName => "uname#",
            Kind::UserEmail => "email#",
            Kind::UserSession => "usess#",
            Kind::Invite => "invite#",
            Kind::Handoff => "handoff#",
            Kind::EmailToken => "etoken#",
            Kind::Setting => "settings#",
            Kind::Identity => "ident#",
            Kind::UserIdentity => "uident#",
            Kind::SsoTransaction => "ssotx#",
            Kind::SsoCode => "ssocode#",
            Kind::App => "app#",
            Kind::PublicApp => "papp#",
            Kind::Grant => "grant#",
            Kind::UserGrant => "ugrant#",
        }
    }
}

/// The prefixes as constants, for the access table (`const` grants) and for tests that
/// list records. The narrower ones are checked against [`Key`] below.
pub mod prefix {
    use super::Kind;

    /// `apikey#<id>`
    pub(crate) const API_KEY: &str = Kind::ApiKey.prefix();
    /// `used#<kind>#<sha256>`: a redeemed one-time value.
    #[cfg(test)]
    pub(crate) const USED: &str = Kind::Used.prefix();
    /// `used#code#<sha256>`: a redeemed host authorization code (kind `code`).
    pub const USED_CODE: &str = "used#code#";
    /// `temp#<sha256>`: a widget temp token.
    pub const TEMP: &str = Kind::Temp.prefix();
    /// `session#<sha256>`: a widget session.
    pub const SESSION: &str = Kind::Session.prefix();
    /// `admin#<sha256>`: an administrator's session.
    pub const ADMIN: &str = Kind::Admin.prefix();
    /// `rate#<scope>#<kind>#<value>#<window>`: a rate counter (`crate::records::rate`).
    pub const RATE: &str = Kind::Rate.prefix();
    /// `rate#token#…`: the counters of `POST /token`.
    pub(crate) const RATE_TOKEN: &str = "rate#token#";
    /// `rate#usr-…`: the counters of the users' sign-in (per-IP slots and lockouts).
    pub const RATE_USERS: &str = "rate#usr-";
    /// `user#<id>`: a person (creator or end user).
    pub const USER: &str = Kind::User.prefix();
    /// `uname#<username>`: a taken user name.
    pub const USER_NAME: &str = Kind::UserName.prefix();
    /// `email#<e-mail>`: a taken e-mail.
    pub const USER_EMAIL: &str = Kind::UserEmail.prefix();
    /// `usess#<sha256>`: a user session.
    pub const USER_SESSION: &str = Kind::UserSession.prefix();
    /// `invite#<sha256>`: a user's invite (README "People").
    pub const INVITE: &str = Kind::Invite.prefix();
    /// `handoff#<sha256>`: a one-time code handing a CLI session to the console.
    pub const HANDOFF: &str = Kind::Handoff.prefix();
    /// `etoken#<sha256>`: an e-mailed token (verification; README "People", sign-up).
    pub const EMAIL_TOKEN: &str = Kind::EmailToken.prefix();
    /// `settings#<name>`: a runtime setting (`signup`, `login`).
    pub const SETTING: &str = Kind::Setting.prefix();
    /// `ident#<provider>#<sha256>`: an SSO identity, linked to one user.
    pub const IDENTITY: &str = Kind::Identity.prefix();
    /// `uident#<user>#<provider>`: a user's identity at a provider (one per provider).
    pub const USER_IDENTITY: &str = Kind::UserIdentity.prefix();
    /// `ssotx#<sha256>`: a single sign-on transaction, by the hash of its state.
    pub const SSO_TRANSACTION: &str = Kind::SsoTransaction.prefix();
    /// `ssocode#<sha256>`: a one-time code the callback hands the user's page.
    pub const SSO_CODE: &str = Kind::SsoCode.prefix();
    /// `app#<id>`: an application (README "Applications and sharing").
    pub const APP: &str = Kind::App.prefix();
    /// `papp#<id>`: an application while it is public.
    pub const PUBLIC_APP: &str = Kind::PublicApp.prefix();
    /// `grant#<app>#<user>`: a user's grant on an app.
    pub const GRANT: &str = Kind::Grant.prefix();
    /// `ugrant#<user>#<app>`: the same grant, in the user's list.
    pub const USER_GRANT: &str = Kind::UserGrant.prefix();
    /// The `gsi1` partitions of the app listings: `owner#<user>` (the apps a user owns),
    /// `apps#public`, `app#<app>` (an app's grants, `gsi1pk` of the grant items) and
    /// `ugrant#<user>` (a user's grants).
    pub const OWNER_INDEX: &str = "owner#";
    pub const PUBLIC_APPS_INDEX: &str = "apps#public";
    pub const APP_GRANTS_INDEX: &str = Kind::App.prefix();
    pub const USER_GRANTS_INDEX: &str = Kind::UserGrant.prefix();
    /// `lock#<name>`: a lock item.
    #[cfg(test)]
    pub(crate) const LOCK: &str = Kind::Lock.prefix();
    /// The lock serialising changes to the signing key ring.
    pub const SIGNING_KEYS_LOCK: &str = "lock#signing-keys";
}

/// One record's partition key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key<'a> {
    /// An API key by its id.
    ApiKey(&'a str),
    /// A redeemed one-time value of `kind` (`code`, `presign`) by its SHA-256.
    Used { kind: &'a str, hash: &'a str },
    /// A widget temp token by its SHA-256.
    Temp(&'a str),
    /// A widget session by the SHA-256 of its id.
    Session(&'a str),
    /// An admin session by the SHA-256 of its id.
    Admin(&'a str),
    /// A rate counter by its [`RateKey::suffix`].
    Rate(&'a str),
    /// A lock by name.
    Lock(&'a str),
    /// A user by id.
    User(&'a str),
    /// A taken user name.
    UserName(&'a str),
    /// A taken e-mail, lower-cased.
    UserEmail(&'a str),
    /// A user session by the SHA-256 of its id.
    UserSession(&'a str),
    /// An invite by the SHA-256 of its token.
    Invite(&'a str),
    /// A console hand-off code by its SHA-256.
    Handoff(&'a str),
    /// An e-mailed token by its SHA-256.
    EmailToken(&'a str),
    /// A runtime setting by name ([`SETTING_SIGNUP`], [`SETTING_LOGIN`], [`SETTING_IDPS`]).
    Setting(&'a str),
    /// An SSO identity: the provider id and the SHA-256 of `iss|sub`
    /// (`crate::credentials::idps::identity_hash`).
    Identity { provider: &'a str, hash: &'a str },
    /// A user's identity at a provider.
    UserIdentity { user: &'a str, provider: &'a str },
    /// A single sign-on transaction by the SHA-256 of its state.
    SsoTransaction(&'a str),
    /// A single sign-on one-time code by its SHA-256.
    SsoCode(&'a str),
    /// An application by id.
    App(&'a str),
    /// A public application's listing item, by the app's id.
    PublicApp(&'a str),
    /// A grant, by app and user.
    Grant { app: &'a str, user: &'a str },
    /// A grant in its user's list, by user and app.
    UserGrant { user: &'a str, app: &'a str },
}

/// The sign-up settings' name (`settings#signup`).
pub const SETTING_SIGNUP: &str = "signup";
/// The login settings' name (`settings#login`).
pub const SETTING_LOGIN: &str = "login";
/// `settings#idps`: the OpenID Connect providers, a map by id.
pub const SETTING_IDPS: &str = "idps";

impl Key<'_> {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Key::ApiKey(_) => Kind::ApiKey,
            Key::Used { .. } => Kind::Used,
            Key::Temp(_) => Kind::Temp,
            Key::Session(_) => Kind::Session,
            Key::Admin(_) => Kind::Admin,
            Key::Rate(_) => Kind::Rate,
            Key::Lock(_) => Kind::Lock,
            Key::User(_) => Kind::User,
            Key::UserName(_) => Kind::UserName,
            Key::UserEmail(_) => Kind::UserEmail,
            Key::UserSession(_) => Kind::UserSession,
            Key::Invite(_) => Kind::Invite,
            Key::Handoff(_) => Kind::Handoff,
            Key::EmailToken(_) => Kind::EmailToken,
            Key::Setting(_) => Kind::Setting,
            Key::Identity { .. } => Kind::Identity,
            Key::UserIdentity { .. } => Kind::UserIdentity,
            Key::SsoTransaction(_) => Kind::SsoTransaction,
            Key::SsoCode(_) => Kind::SsoCode,
            Key::App(_) => Kind::App,
            Key::PublicApp(_) => Kind::PublicApp,
            Key::Grant { .. } => Kind::Grant,
            Key::UserGrant { .. } => Kind::UserGrant,
        }
    }

    /// The `pk` value.
    pub fn pk(&self) -> String {
        let prefix = self.kind().prefix();
        match self {
            Key::ApiKey(v)
            | Key::Temp(v)
            | Key::Session(v)
            | Key::Admin(v)
            | Key::Rate(v)
            | Key::Lock(v)
            | Key::User(v)
            | Key::UserName(v)
            | Key::UserEmail(v)
            | Key::UserSession(v)
            | Key::Invite(v)
            | Key::Handoff(v)
            | Key::EmailToken(v)
            | Key::Setting(v)
            | Key::SsoTransaction(v)
            | Key::SsoCode(v)
            | Key::App(v)
            | Key::PublicApp(v) => format!("{prefix}{v}"),
            Key::Grant { app, user } => format!("{prefix}{app}#{user}"),
            Key::UserGrant { user, app } => format!("{prefix}{user}#{app}"),
            Key::Used { kind, hash } => format!("{prefix}{kind}#{hash}"),
            Key::Identity { provider, hash } => format!("{prefix}{provider}#{hash}"),
            Key::UserIdentity { user, provider } => format!("{prefix}{user}#{provider}"),
        }
    }
}

/// How a user lists one of its identities: `<provider>#<hash>` (the `ident#` key
/// without its prefix).
pub(crate) fn listed_identity(provider: &str, hash: &str) -> String {
    format!("{provider}#{hash}")
}

/// The two keys of a listed identity: `ident#<provider>#<hash>` and
/// `uident#<user>#<provider>`.
pub(crate) fn identity_keys(user: &str, listed: &str) -> [String; 2] {
    let (provider, hash) = listed.split_once('#').unwrap_or((listed, ""));
    [
        Key::Identity { provider, hash }.pk(),
        Key::UserIdentity { user, provider }.pk(),
    ]
}

/// A rate counter's identity: whose counter (`scope`: `admin`, `token`), of what
/// (`kind`: `ip`, `user`, `client`), for which value, in which fixed window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RateKey<'a> {
    pub scope: &'a str,
    pub kind: &'a str,
    pub value: &'a str,
    pub window: i64,
}

impl RateKey<'_> {
    /// `<scope>#<kind>#<value>#<window>`: the counter's key below the `rate#` prefix.
    pub(crate) fn suffix(&self) -> String {
        let RateKey {
            scope,
            kind,
            value,
            window,
        } = self;
        format!("{scope}#{kind}#{value}#{window}")
    }
}

/// A users' lockout counter's key below the `rate#` prefix: `usr-lock#<kind>#<hash>`
/// (`kind` `id` or `user`; [`crate::records::lockout`]).
pub(crate) fn lockout_suffix(kind: &str, hash: &str) -> String {
    format!("usr-lock#{kind}#{hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrower_prefixes_are_what_the_keys_spell() {
        let used = Key::Used {
            kind: "code",
            hash: "ab",
        };
        assert!(used.pk().starts_with(prefix::USED_CODE));
        let suffix = RateKey {
            scope: "token",
            kind: "ip",
            value: "1.2.3.4",
            window: 7,
        }
        .suffix();
        let rate = Key::Rate(&suffix);
        assert_eq!(rate.pk(), "rate#token#ip#1.2.3.4#7");
        assert!(rate.pk().starts_with(prefix::RATE_TOKEN));
        assert_eq!(
            Key::Lock(crate::records::lock::SIGNING_KEYS).pk(),
            prefix::SIGNING_KEYS_LOCK
        );
        assert_eq!(Key::ApiKey("x").pk(), "apikey#x");
        assert_eq!(Key::UserSession("ff").pk(), "usess#ff");
        assert_eq!(Key::UserName("ann").pk(), "uname#ann");
        assert_eq!(Key::Invite("ab").pk(), "invite#ab");
        assert_eq!(Key::EmailToken("ab").pk(), "etoken#ab");
        assert_eq!(Key::Setting(SETTING_SIGNUP).pk(), "settings#signup");
        assert_eq!(Key::Setting(SETTING_IDPS).pk(), "settings#idps");
        let ident = Key::Identity {
            provider: "okta",
            hash: "ab",
        }
        .pk();
        assert_eq!(ident, "ident#okta#ab");
        assert!(ident.starts_with(prefix::IDENTITY));
        let uident = Key::UserIdentity {
            user: "U1",
            provider: "okta",
        }
        .pk();
        assert_eq!(uident, "uident#U1#okta");
        assert!(uident.starts_with(prefix::USER_IDENTITY));
        assert_eq!(Key::SsoTransaction("ab").pk(), "ssotx#ab");
        assert!(Key::SsoCode("ab").pk().starts_with(prefix::SSO_CODE));
        assert_eq!(
            identity_keys("U1", &listed_identity("okta", "ab")),
            [ident, uident]
        );
    }
}
