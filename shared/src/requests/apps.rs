//! The applications' bodies and query (README "Applications and sharing"), strict: an
//! unknown field is a 400 naming it. The permission schemas are the widget token's
//! ([`crate::authz::permissions`]), checked by the same rule.

use serde::Deserialize;

use crate::authz::apps::{MAX_APP_ID, Visibility, is_app_id};
use crate::authz::permissions::{self, AssetPermissions, Permission};
use crate::credentials::users::Email;
use crate::error::{Error, Result};
use crate::requests::admin::checked_user_id;

/// The longest app name (characters).
pub const MAX_APP_NAME: usize = 128;

/// An app id from a caller: 400 unless it is `[A-Za-z0-9_-]{1,64}`.
pub fn checked_app_id(id: &str) -> Result<&str> {
    if is_app_id(id) {
        Ok(id)
    } else {
        Err(Error::bad_request(format!(
            "app_id must be 1 to {MAX_APP_ID} letters, digits, `_` or `-`"
        )))
    }
}

/// An app name: 1 to 128 characters after trimming, no control characters.
fn checked_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_APP_NAME
        && !name.chars().any(char::is_control);
    if ok {
        Ok(name.to_owned())
    } else {
        Err(Error::bad_request(format!(
            "name: 1 to {MAX_APP_NAME} characters, no control characters"
        )))
    }
}

/// `POST /apps`: a new app, owned by the creator who sends it.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewApp {
    /// Default: 16 random letters and digits.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{1,64}$"))]
    pub app_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub name: String,
    /// Default `shared`.
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

impl NewApp {
    /// The id (given and checked, or `None`: generate one), the name and visibility.
    pub fn checked(&self) -> Result<(Option<&str>, String, Visibility)> {
        let id = self.app_id.as_deref().map(checked_app_id).transpose()?;
        let visibility = self.visibility.unwrap_or(Visibility::Shared);
        Ok((id, checked_name(&self.name)?, visibility))
    }
}

/// `POST /apps/update`: the fields given replace the stored ones (owner only).
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateApp {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{1,64}$"))]
    pub app_id: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    pub name: Option<String>,
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

impl UpdateApp {
    /// The id, and the new name if one is given.
    pub fn checked(&self) -> Result<(&str, Option<String>)> {
        let name = self.name.as_deref().map(checked_name).transpose()?;
        Ok((checked_app_id(&self.app_id)?, name))
    }
}

/// Whom a grant is for.
#[derive(Debug, PartialEq, Eq)]
pub enum Grantee<'a> {
    User(&'a str),
    Email(Email),
}

/// `POST /apps/grants/add`: share an app with one user, by id or by e-mail, with the
/// widget token's permission schemas (a new grant replaces the user's old one).
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddGrant {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{1,64}$"))]
    pub app_id: String,
    /// Exactly one of `user_id` and `email`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9]{16}$"))]
    pub user_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub permissions: Option<Vec<Permission>>,
    #[serde(default)]
    pub asset_permissions: Option<AssetPermissions>,
}

impl AddGrant {
    /// The app id and the grantee; the permissions pass the widget token's rule.
    pub fn checked(&self) -> Result<(&str, Grantee<'_>)> {
        let app = checked_app_id(&self.app_id)?;
        permissions::check(self.permissions.as_deref())?;
        let grantee = match (&self.user_id, &self.email) {
            (Some(id), None) => Grantee::User(checked_user_id(id)?),
            (None, Some(e)) => Grantee::Email(Email::parse(e)?),
            _ => return Err(Error::bad_request("exactly one of user_id and email")),
        };
        Ok((app, grantee))
    }
}

/// `POST /apps/grants/remove`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RemoveGrant {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{1,64}$"))]
    pub app_id: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9]{16}$"))]
    pub user_id: String,
}

impl RemoveGrant {
    pub fn checked(&self) -> Result<(&str, &str)> {
        Ok((
            checked_app_id(&self.app_id)?,
            checked_user_id(&self.user_id)?,
        ))
    }
}

/// `POST /admin/apps/transfer`: the app's new owner, an existing creator.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransferApp {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{1,64}$"))]
    pub app_id: String,
    /// The new owner's user id.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9]{16}$"))]
    pub new_owner: String,
}

impl TransferApp {
    pub fn checked(&self) -> Result<(&str, &str)> {
        let owner = checked_user_id(&self.new_owner)
            .map_err(|_| Error::bad_request("new_owner must be 16 letters or digits"))?;
        Ok((checked_app_id(&self.app_id)?, owner))
    }
}

/// `POST /admin/apps/explain`: how the authorizer would decide `route` for this user
/// on this app (README "Applications and sharing").
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExplainAccess {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{1,64}$"))]
    pub app_id: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9]{16}$"))]
    pub user_id: String,
    /// A route key: an upper-case method, a space and a path, e.g. `GET /apps/x/data`.
    #[cfg_attr(feature = "openapi", schema(example = "GET /apps/demo-app/data"))]
    pub route: String,
}

impl ExplainAccess {
    /// (app id, user id, method, path).
    pub fn checked(&self) -> Result<(&str, &str, &str, &str)> {
        let user = checked_user_id(&self.user_id)
            .map_err(|_| Error::bad_request("user_id must be 16 letters or digits"))?;
        let bad =
            || Error::bad_request("route must be `<METHOD> /<path>`, e.g. `GET /apps/x/data`");
        let (method, path) = self.route.split_once(' ').ok_or_else(bad)?;
        let method_ok = !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase());
        if !method_ok || !path.starts_with('/') || path.contains(' ') || path.len() > 1024 {
            return Err(bad());
        }
        Ok((checked_app_id(&self.app_id)?, user, method, path))
    }
}

/// `GET /apps/grants?app_id=` (this type describes the query).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppQuery {
    /// The app whose grants are listed.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{1,64}$"))]
    pub app_id: String,
}

impl AppQuery {
    /// The query string's `app_id`, once; any other parameter is a 400.
    pub fn parse(query: &str) -> Result<AppQuery> {
        let mut app_id = None;
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "app_id" if app_id.is_none() => app_id = Some(v.into_owned()),
                "app_id" => return Err(Error::bad_request("app_id: at most once")),
                other => return Err(Error::bad_request(format!("unknown parameter `{other}`"))),
            }
        }
        let app_id = app_id.ok_or_else(|| Error::bad_request("app_id: required"))?;
        checked_app_id(&app_id)?;
        Ok(AppQuery { app_id })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::requests::widget::from_json;

    #[test]
    fn a_grant_names_one_user_and_carries_the_widget_schemas() {
        let ok = json!({"app_id": "a-1", "email": "Ann@Example.com",
            "permissions": [{"dataset_id": "d", "record_permissions": []}]});
        let g: AddGrant = from_json(ok).unwrap();
        let (app, who) = g.checked().unwrap();
        assert_eq!(app, "a-1");
        assert!(matches!(who, Grantee::Email(e) if e.key() == "ann@example.com"));
        for (bad, says) in [
            (json!({"app_id": "a"}), "exactly one"),
            (
                json!({"app_id": "a", "user_id": "AAAAAAAAAAAAAAAA", "email": "a@b.co"}),
                "exactly one",
            ),
            (
                json!({"app_id": "a/b", "user_id": "AAAAAAAAAAAAAAAA"}),
                "app_id",
            ),
            (json!({"app_id": "a", "user_id": "short"}), "user_id"),
            (
                json!({"app_id": "a", "user_id": "AAAAAAAAAAAAAAAA",
                "permissions": [{"dataset_id": "", "record_permissions": []}]}),
                "permissions[0].dataset_id",
            ),
        ] {
            let e = from_json::<AddGrant>(bad.clone())
                .unwrap()
                .checked()
                .unwrap_err();
            assert!(e.to_string().contains(says), "{bad}: {e}");
        }
        let unknown = json!({"app_id": "a", "user_id": "AAAAAAAAAAAAAAAA", "role": "x"});
        let e = from_json::<AddGrant>(unknown).unwrap_err();
        assert!(e.to_string().contains("role"), "{e}");
        let e = from_json::<AddGrant>(json!({"app_id": "a", "user_id": "AAAAAAAAAAAAAAAA",
            "asset_permissions": {"folders": {"ids": []}}}))
        .unwrap_err();
        assert!(e.to_string().contains("folders"), "{e}");
    }

    #[test]
    fn names_and_queries_are_checked() {
        let new: NewApp = from_json(json!({"name": "  Sales  "})).unwrap();
        assert_eq!(
            new.checked().unwrap(),
            (None, "Sales".into(), Visibility::Shared)
        );
        for name in ["", "   ", "a\u{7}b", &"n".repeat(129)] {
            let new: NewApp = from_json(json!({"name": name})).unwrap();
            assert!(new.checked().is_err(), "{name:?}");
        }
        assert_eq!(AppQuery::parse("app_id=x_1").unwrap().app_id, "x_1");
        for q in [
            "",
            "app_id=",
            "app_id=a&app_id=b",
            "app_id=a&x=1",
            "app_id=a%2Fb",
        ] {
            assert!(AppQuery::parse(q).is_err(), "{q}");
        }
    }
}
