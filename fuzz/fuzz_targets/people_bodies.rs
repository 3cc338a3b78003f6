//! The people's bodies and the admin's user queries, read as the handlers read them
//! (`read_json`, then the route's strict body type) and validated as they validate:
//! `POST /admin/users` (the invited user it would create), `POST /users/invite/accept`,
//! `POST /users/password/change` (the new password must differ), the admin's
//! `{user_id}` bodies, `POST /admin/users/reset-credentials`, and the `GET /admin/users`
//! query string with its cursor (which must survive its own round trip). An accepted
//! create or reset delivers as the body says (`link` or `email`), `link` without it.
//! Input: route selector byte, then body (or query).
#![no_main]

use gatehouse::credentials::users::USER_ID_LEN;
use gatehouse::credentials::users::directory::{Cursor, UserSearch};
use gatehouse::requests::admin::UserId;
use gatehouse::requests::body::read_json;
use gatehouse::requests::invites::{AcceptInvite, CreateUser, ResetCredentials};
use gatehouse::requests::users::MAX_DISPLAY_NAME;
use gatehouse::requests::users::{ChangePassword, MAX_ROLES};
use gatehouse::requests::widget::from_json;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use secrecy::ExposeSecret;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&route, body)) = data.split_first() else {
        return;
    };
    if route % 6 == 5 {
        search(body);
        return;
    }
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let Ok(v) = read_json::<Value>(&headers, body) else {
        return;
    };
    // The delivery a body asks for (absent: a link).
    let asked = v
        .get("delivery")
        .and_then(Value::as_str)
        .unwrap_or("link")
        .to_owned();
    match route % 6 {
        0 => {
            let Ok(b) = from_json::<CreateUser>(v) else {
                return;
            };
            assert_eq!(b.delivery.as_str(), asked);
            match b.new_user("fuzz-admin") {
                Ok(u) => {
                    // Invited: no password, the e-mail not verified, names in bounds.
                    assert!(u.password.is_none() && !u.email_verified);
                    assert!(u.roles.len() <= MAX_ROLES);
                    assert!(
                        u.username
                            .as_ref()
                            .is_none_or(|n| (3..=64).contains(&n.as_str().len()))
                    );
                    assert!(u.display_name.as_ref().is_none_or(|d| {
                        !d.is_empty()
                            && d.chars().count() <= MAX_DISPLAY_NAME
                            && !d.chars().any(char::is_control)
                    }));
                    let email = u.email.as_ref().expect("an invite names an address");
                    assert_eq!(email.key(), email.key().to_lowercase());
                }
                Err(e) => assert_eq!(e.status(), 400),
            }
        }
        1 => drop(from_json::<AcceptInvite>(v)),
        2 => {
            if let Ok(b) = from_json::<ChangePassword>(v) {
                let same = b.current_password.expose_secret() == b.new_password.expose_secret();
                assert_eq!(b.differs().is_err(), same);
            }
        }
        3 => {
            if let Ok(id) = from_json::<UserId>(v)
                && let Ok(checked) = id.checked()
            {
                assert_eq!(checked.len(), USER_ID_LEN);
                assert!(checked.bytes().all(|b| b.is_ascii_alphanumeric()));
            }
        }
        _ => {
            if let Ok(b) = from_json::<ResetCredentials>(v) {
                assert_eq!(b.delivery.as_str(), asked);
            }
        }
    }
});

/// The admin's search query: a refusal is a 400; an accepted one is lower-cased, bounded,
/// and its cursor decodes back to itself.
fn search(query: &[u8]) {
    let Ok(query) = std::str::from_utf8(query) else {
        return;
    };
    match UserSearch::parse(Some(query)) {
        Ok(s) => {
            assert_eq!(s.prefix, s.prefix.to_lowercase());
            assert!(s.prefix.len() <= 254 && !s.prefix.chars().any(char::is_whitespace));
            let again: Cursor = Cursor::decode(&s.cursor.encode(), &s.prefix).expect("round trip");
            assert_eq!(again, s.cursor);
        }
        Err(e) => assert_eq!(e.status(), 400),
    }
}
