//! Applications (README "Applications and sharing"): what an app is and what a grant
//! gives, as the authorizer and the users and admin functions all read them. An app is
//! `public` (any signed-in user of the platform, never anonymous) or `shared` with the
//! users holding a grant; a grant may carry the widget permission schemas
//! ([`super::permissions`]). The store is `crate::credentials::apps`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::deny::DenyReason;
use super::permissions::{AssetPermissions, Permission};
use super::principal::{Principal, PrincipalType};

/// The longest app id.
pub const MAX_APP_ID: usize = 64;

/// An app id: `[A-Za-z0-9_-]{1,64}` (it appears in paths, headers and record keys). A
/// widget credential's `appid` outside this format never matches an app.
pub fn is_app_id(id: &str) -> bool {
    (1..=MAX_APP_ID).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Who may open an app besides its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Any signed-in user of the platform.
    Public,
    /// Only the users it is shared with (a grant each).
    Shared,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Shared => "shared",
        }
    }

    pub fn parse(v: &str) -> Option<Visibility> {
        match v {
            "public" => Some(Visibility::Public),
            "shared" => Some(Visibility::Shared),
            _ => None,
        }
    }
}

/// An app (`app#<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct App {
    #[serde(rename = "app_id")]
    pub id: String,
    /// The owning creator's user id.
    pub owner: String,
    pub name: String,
    pub visibility: Visibility,
    pub created_at: i64,
    pub updated_at: i64,
    /// Bumped by every change (updates are conditional on it).
    #[serde(skip)]
    pub rev: u64,
}

impl App {
    /// A new app, created and last updated `now`, at its first revision.
    pub fn new(
        id: impl Into<String>,
        owner: impl Into<String>,
        name: impl Into<String>,
        visibility: Visibility,
        now: i64,
    ) -> App {
        App {
            id: id.into(),
            owner: owner.into(),
            name: name.into(),
            visibility,
            created_at: now,
            updated_at: now,
            rev: 0,
        }
    }
}

/// A user's grant on an app (`grant#<app>#<user>` and `ugrant#<user>#<app>`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppGrant {
    pub app_id: String,
    pub user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<Permission>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_permissions: Option<AssetPermissions>,
    /// The user id of the creator who granted it.
    pub granted_by: String,
    pub created_at: i64,
}

/// Why an app-bearing rule let a request through (the context's `app_access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppAccess {
    /// A signed-in user, on a public app.
    Public,
    /// The app's owner.
    Owner,
    /// A user holding a grant: its permissions go to the backend.
    Grant,
    /// An API key (the customer's server): any existing app.
    Key,
    /// A widget token or session for this very app: its own permissions.
    Token,
}

impl AppAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            AppAccess::Public => "public",
            AppAccess::Owner => "owner",
            AppAccess::Grant => "grant",
            AppAccess::Key => "key",
            AppAccess::Token => "token",
        }
    }
}

/// The decision on an app-bearing rule: the app, why, and the permissions the backend
/// receives (a grant's, or a widget credential's own).
#[derive(Debug, Clone, PartialEq)]
pub struct AppDecision {
    pub app_id: String,
    pub access: AppAccess,
    pub permissions: Option<Value>,
    pub asset_permissions: Option<Value>,
}

/// What the authorizer reads before [`decide`] (nothing more: widget credentials are
/// decided from their claims).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Nothing: decided from the credential (or denied whatever the records say).
    Nothing,
    /// The app (an API key needs it to exist).
    App,
    /// The app, and the grant unless the app is public or the user owns it.
    AppAndGrant,
}

/// What deciding `principal`'s access needs read. `cookie_in_token_event`: a REST
/// `TOKEN` event, which carries no `Origin`, so a cookie's CSRF check cannot hold.
pub fn lookup(principal: &Principal, cookie_in_token_event: bool) -> Lookup {
    use PrincipalType::*;
    match principal.principal_type {
        ApiKey => Lookup::App,
        // A user session is a cookie: denied in a `TOKEN` event whatever the records say.
        Creator | EndUser if cookie_in_token_event => Lookup::Nothing,
        Creator | EndUser => Lookup::AppAndGrant,
        WidgetToken | WidgetSession | Client | HostUser => Lookup::Nothing,
    }
}

/// Whether the user's grant must be read: a shared app it does not own.
pub fn needs_grant(principal: &Principal, app: &App) -> bool {
    app.visibility == Visibility::Shared && app.owner != principal.subject
}

/// The decision on an app-bearing rule, deny by default (README "Applications and
/// sharing"): `requested` is the app id the rule points at (`None`: absent), `app` and
/// `grant` what [`lookup`] and [`needs_grant`] said to read (`None`: absent or not
/// read). No grant means no access; public never means anonymous; a cookie in a REST
/// `TOKEN` event, a client-credentials or host token, and anything else are denied.
pub fn decide(
    principal: &Principal,
    requested: Option<&str>,
    cookie_in_token_event: bool,
    app: Option<&App>,
    grant: Option<&AppGrant>,
) -> Result<AppDecision, DenyReason> {
    use PrincipalType::*;
    let id = requested
        .filter(|id| is_app_id(id))
        .ok_or(DenyReason::BadAppId)?;
    let decided = |access, permissions, asset_permissions| AppDecision {
        app_id: id.to_owned(),
        access,
        permissions,
        asset_permissions,
    };
    let is_cookie = matches!(principal.principal_type, WidgetSession | Creator | EndUser);
    if cookie_in_token_event && is_cookie {
        return Err(DenyReason::CredentialNotAllowed);
    }
    match principal.principal_type {
        WidgetToken | WidgetSession => {
            let own = principal.app_id.as_deref().filter(|a| is_app_id(a));
            if own != Some(id) {
                return Err(DenyReason::WrongApp);
            }
            let (p, a) = (&principal.permissions, &principal.asset_permissions);
            Ok(decided(AppAccess::Token, p.clone(), a.clone()))
        }
        ApiKey => {
            app.filter(|a| a.id == id).ok_or(DenyReason::UnknownApp)?;
            Ok(decided(AppAccess::Key, None, None))
        }
        Creator | EndUser => {
            let app = app.filter(|a| a.id == id).ok_or(DenyReason::UnknownApp)?;
            if app.owner == principal.subject {
                return Ok(decided(AppAccess::Owner, None, None));
            }
            if app.visibility == Visibility::Public {
                return Ok(decided(AppAccess::Public, None, None));
            }
            let mine = |g: &&AppGrant| g.app_id == id && g.user_id == principal.subject;
            let g = grant.filter(mine).ok_or(DenyReason::NoGrant)?;
            let json = |v: Option<Value>| v.filter(|v| !v.is_null());
            let p = json(
                g.permissions
                    .as_ref()
                    .and_then(|p| serde_json::to_value(p).ok()),
            );
            let a = json(
                g.asset_permissions
                    .as_ref()
                    .and_then(|a| serde_json::to_value(a).ok()),
            );
            Ok(decided(AppAccess::Grant, p, a))
        }
        Client | HostUser => Err(DenyReason::CredentialNotAllowed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(t: PrincipalType, subject: &str, app: Option<&str>) -> Principal {
        let mut p = Principal::new(t, subject, vec!["client".into()]);
        p.app_id = app.map(String::from);
        p.permissions = Some(serde_json::json!([{"dataset_id": "w"}]));
        p
    }

    fn app(visibility: Visibility) -> App {
        App::new("sales", "owner", "Sales", visibility, 0)
    }

    fn grant(user: &str) -> AppGrant {
        AppGrant {
            app_id: "sales".into(),
            user_id: user.into(),
            permissions: Some(vec![Permission {
                dataset_id: "d".into(),
                operator: None,
                record_permissions: vec![],
            }]),
            asset_permissions: None,
            granted_by: "owner".into(),
            created_at: 0,
        }
    }

    /// One row of the decision table: who, with which grant, and the outcome on a
    /// public and on a shared app.
    type Row<'a> = (
        &'a str,
        Principal,
        Option<&'a AppGrant>,
        [Result<AppAccess, DenyReason>; 2],
    );

    /// Every principal against both visibilities: allowed with which access, or denied
    /// why.
    #[test]
    #[allow(clippy::too_many_lines, reason = "a test: one row per principal")]
    fn the_decision_table_denies_by_default() {
        use AppAccess as A;
        use DenyReason as D;
        use PrincipalType::*;
        let granted = grant("viewer");
        let cases: Vec<Row> = vec![
            (
                "api key",
                principal(ApiKey, "k", None),
                None,
                [Ok(A::Key), Ok(A::Key)],
            ),
            (
                "widget token, its app",
                principal(WidgetToken, "w", Some("sales")),
                None,
                [Ok(A::Token), Ok(A::Token)],
            ),
            (
                "widget token, another app",
                principal(WidgetToken, "w", Some("other")),
                None,
                [Err(D::WrongApp), Err(D::WrongApp)],
            ),
            (
                "widget token, no app",
                principal(WidgetToken, "w", None),
                None,
                [Err(D::WrongApp), Err(D::WrongApp)],
            ),
            (
                "widget session, its app",
                principal(WidgetSession, "w", Some("sales")),
                None,
                [Ok(A::Token), Ok(A::Token)],
            ),
            (
                "creator, owner",
                principal(Creator, "owner", None),
                None,
                [Ok(A::Owner), Ok(A::Owner)],
            ),
            (
                "creator, not owner",
                principal(Creator, "other", None),
                None,
                [Ok(A::Public), Err(D::NoGrant)],
            ),
            (
                "end user, granted",
                principal(EndUser, "viewer", None),
                Some(&granted),
                [Ok(A::Public), Ok(A::Grant)],
            ),
            (
                "end user, not granted",
                principal(EndUser, "stranger", None),
                None,
                [Ok(A::Public), Err(D::NoGrant)],
            ),
            (
                "end user, another's grant",
                principal(EndUser, "stranger", None),
                Some(&granted),
                [Ok(A::Public), Err(D::NoGrant)],
            ),
            (
                "client credentials",
                principal(Client, "1", None),
                None,
                [Err(D::CredentialNotAllowed), Err(D::CredentialNotAllowed)],
            ),
            (
                "host user",
                principal(HostUser, "h", None),
                None,
                [Err(D::CredentialNotAllowed), Err(D::CredentialNotAllowed)],
            ),
        ];
        for (what, p, g, want) in &cases {
            for (app, want) in [app(Visibility::Public), app(Visibility::Shared)]
                .iter()
                .zip(want)
            {
                let got = decide(p, Some("sales"), false, Some(app), *g).map(|d| d.access);
                assert_eq!(&got, want, "{what}, {}", app.visibility.as_str());
            }
        }
        // An API key or a user on a missing app; no, a malformed or another id.
        for t in [ApiKey, Creator, EndUser] {
            let p = principal(t, "owner", None);
            assert_eq!(
                decide(&p, Some("sales"), false, None, None),
                Err(D::UnknownApp)
            );
            let shared = app(Visibility::Shared);
            assert_eq!(
                decide(&p, Some("other"), false, Some(&shared), None),
                Err(D::UnknownApp)
            );
        }
        let p = principal(WidgetToken, "w", Some("a/b"));
        assert_eq!(decide(&p, Some("a/b"), false, None, None), Err(D::BadAppId));
        for id in [None, Some(""), Some("a b"), Some("..")] {
            let p = principal(ApiKey, "k", None);
            assert_eq!(
                decide(&p, id, false, None, None),
                Err(D::BadAppId),
                "{id:?}"
            );
        }
        // Cookies in a REST TOKEN event: denied, whatever the app.
        for t in [WidgetSession, Creator, EndUser] {
            let p = principal(t, "owner", Some("sales"));
            let public = app(Visibility::Public);
            assert_eq!(
                decide(&p, Some("sales"), true, Some(&public), None),
                Err(D::CredentialNotAllowed)
            );
            assert_eq!(lookup(&p, true), Lookup::Nothing);
        }
        // An API key in a REST TOKEN event is no cookie: its app is read.
        assert_eq!(lookup(&principal(ApiKey, "k", None), true), Lookup::App);
    }

    /// The context's permissions: a grant's own, a widget credential's own, none else.
    #[test]
    fn the_permissions_come_from_the_grant_or_the_widget_credential() {
        use PrincipalType::*;
        let shared = app(Visibility::Shared);
        let viewer = principal(EndUser, "viewer", None);
        let d = decide(
            &viewer,
            Some("sales"),
            false,
            Some(&shared),
            Some(&grant("viewer")),
        )
        .unwrap();
        let stored = serde_json::to_value(grant("viewer").permissions).unwrap();
        assert_eq!(d.permissions, Some(stored));
        assert_eq!(d.permissions.unwrap()[0]["dataset_id"], "d");
        assert_eq!((d.app_id.as_str(), d.asset_permissions), ("sales", None));
        let w = principal(WidgetToken, "w", Some("sales"));
        let d = decide(&w, Some("sales"), false, None, None).unwrap();
        assert_eq!(d.permissions, w.permissions);
        let public = app(Visibility::Public);
        let d = decide(&viewer, Some("sales"), false, Some(&public), None).unwrap();
        assert_eq!(
            (d.access, d.permissions),
            (AppAccess::Public, None),
            "public carries none"
        );
        assert_eq!(lookup(&viewer, false), Lookup::AppAndGrant);
        assert!(needs_grant(&viewer, &shared) && !needs_grant(&viewer, &public));
        assert!(!needs_grant(&principal(Creator, "owner", None), &shared));
    }

    #[test]
    fn app_ids_are_up_to_64_url_safe_characters() {
        for ok in ["a", "demo-app", "A_b-9", &"x".repeat(64)] {
            assert!(is_app_id(ok), "{ok}");
        }
        for bad in [
            "",
            &"x".repeat(65),
            "a/b",
            "a.b",
            "..",
            "a b",
            "é",
            "a%2e",
            "a#b",
        ] {
            assert!(!is_app_id(bad), "{bad}");
        }
    }
}
