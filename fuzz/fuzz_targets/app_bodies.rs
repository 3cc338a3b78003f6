//! The applications' bodies and query, read as the users function reads them
//! (`read_json`, then the strict body type, then `checked`): `POST /apps`,
//! `POST /apps/update`, `POST /apps/grants/add`, `POST /apps/grants/remove` and the
//! `GET /apps/grants` query, and the administrators' `POST /admin/apps/explain`
//! (README "Applications and sharing"). Input: selector byte, then the body (or the
//! query string).
#![no_main]

use gatehouse::authz::apps::is_app_id;
use gatehouse::requests::apps::{
    AddGrant, AppQuery, ExplainAccess, Grantee, MAX_APP_NAME, NewApp, RemoveGrant, UpdateApp,
};
use gatehouse::requests::body::read_json;
use gatehouse::requests::widget::from_json;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// A checked name: trimmed, 1 to 128 characters, no control character.
fn good_name(n: &str) -> bool {
    n == n.trim()
        && (1..=MAX_APP_NAME).contains(&n.chars().count())
        && !n.chars().any(char::is_control)
}

fn user_id(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector % 6 == 4 {
        let q = String::from_utf8_lossy(rest);
        if let Ok(q) = AppQuery::parse(&q) {
            assert!(is_app_id(&q.app_id));
        }
        return;
    }
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let Ok(v) = read_json::<Value>(&headers, rest) else {
        return;
    };
    match selector % 6 {
        0 => {
            if let Ok(b) = from_json::<NewApp>(v) {
                if let Ok((id, name, _)) = b.checked() {
                    assert!(id.is_none_or(is_app_id));
                    assert!(good_name(&name), "{name:?}");
                }
            }
        }
        1 => {
            if let Ok(b) = from_json::<UpdateApp>(v) {
                if let Ok((id, name)) = b.checked() {
                    assert!(is_app_id(id));
                    assert!(name.as_deref().is_none_or(good_name));
                }
            }
        }
        2 => {
            if let Ok(b) = from_json::<AddGrant>(v) {
                match b.checked() {
                    Ok((id, who)) => {
                        assert!(is_app_id(id));
                        assert!(b.user_id.is_some() != b.email.is_some(), "exactly one");
                        match who {
                            Grantee::User(u) => assert!(user_id(u)),
                            Grantee::Email(e) => assert_eq!(e.key(), e.key().to_lowercase()),
                        }
                        let perms = b.permissions.iter().flatten();
                        assert!(perms.clone().all(|p| !p.dataset_id.is_empty()));
                        let names = perms.flat_map(|p| &p.record_permissions);
                        assert!(names.into_iter().all(|r| !r.security_name.is_empty()));
                    }
                    Err(e) => assert_eq!(e.status(), 400),
                }
            }
        }
        5 => {
            if let Ok(b) = from_json::<ExplainAccess>(v) {
                if let Ok((id, u, method, path)) = b.checked() {
                    assert!(is_app_id(id) && user_id(u));
                    assert!(!method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase()));
                    assert!(path.starts_with('/') && !path.contains(' '));
                }
            }
        }
        _ => {
            if let Ok(b) = from_json::<RemoveGrant>(v) {
                if let Ok((id, u)) = b.checked() {
                    assert!(is_app_id(id) && user_id(u));
                }
            }
        }
    }
});
