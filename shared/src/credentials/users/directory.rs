//! What administrators do to people (README "People", "How an administrator manages
//! users"): search by a prefix of the username or e-mail, paged through the table's
//! `gsi1` index (never a Scan), disable, enable and delete.
//! Pure (no AWS types): the store is the [`UserStore`] port.
//!
//! A search reads the user-name entries (`gsi1pk` `users#u`) first, then the e-mail
//! entries (`users#e`), at most [`PAGE_SIZE`] index entries per page in all, and reads
//! each user they point at. A user whose username matches is listed from the name
//! entries only, so no user is listed twice, on one page or across pages
//! (docs/DECISIONS.md, "Listing users").

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde::{Deserialize, Serialize};

use super::{CHANGE_TRIES, CredentialChange, SessionChange, User, UserKind, UserStatus, UserStore};
use crate::credentials::apps::{AppStore, grants_fit_deletion};
use crate::error::{Error, Result};

/// Most index entries one page of a search reads (and so most users it lists).
pub const PAGE_SIZE: usize = 50;
/// Longest search prefix: the longest e-mail address.
pub const MAX_PREFIX_LEN: usize = super::names::MAX_EMAIL_LEN;
/// Longest cursor accepted (two positions of at most [`MAX_PREFIX_LEN`] bytes, encoded).
const MAX_CURSOR_LEN: usize = 1024;

/// The two lists of unique names on `gsi1`, each sorted by the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameIndex {
    /// `uname#` entries: `gsi1pk` `users#u`, `gsi1sk` the username.
    Usernames,
    /// `email#` entries: `gsi1pk` `users#e`, `gsi1sk` the lower-cased e-mail.
    Emails,
}

/// One page of one name list: (name, user id) in name order, and the last name read if
/// the list may go on (the query's `LastEvaluatedKey`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexPage {
    pub entries: Vec<(String, String)>,
    pub last: Option<String>,
}

/// Where a search stands in one name list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Position {
    Start,
    /// After this name (the `gsi1sk` of the last entry read).
    After(String),
    Done,
}

/// Where a search stands in both lists: what the opaque `cursor` of the answer encodes
/// (base64url of this JSON, without padding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cursor {
    u: Position,
    e: Position,
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor {
            u: Position::Start,
            e: Position::Start,
        }
    }
}

impl Cursor {
    fn position_mut(&mut self, index: NameIndex) -> &mut Position {
        match index {
            NameIndex::Usernames => &mut self.u,
            NameIndex::Emails => &mut self.e,
        }
    }

    fn done(&self) -> bool {
        self.u == Position::Done && self.e == Position::Done
    }

    /// The token the answer carries.
    pub fn encode(&self) -> String {
        B64URL.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// A token of a search for `prefix`; 400 for anything else (never echoed).
    pub fn decode(token: &str, prefix: &str) -> Result<Cursor> {
        let bad = || Error::bad_request("cursor must be the cursor of this search's last page");
        if token.len() > MAX_CURSOR_LEN {
            return Err(bad());
        }
        let bytes = B64URL.decode(token).map_err(|_| bad())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let fits = |p: &Position| match p {
            Position::After(name) => name.starts_with(prefix) && prefix_ok(name),
            Position::Start | Position::Done => true,
        };
        if fits(&cursor.u) && fits(&cursor.e) && !cursor.done() {
            Ok(cursor)
        } else {
            Err(bad())
        }
    }
}

/// At most [`MAX_PREFIX_LEN`] bytes, no white space or control character.
fn prefix_ok(s: &str) -> bool {
    s.len() <= MAX_PREFIX_LEN && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A parsed `GET /admin/users` query: `q` (lower-cased), `kind`, `cursor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSearch {
    pub prefix: String,
    pub kind: Option<UserKind>,
    pub cursor: Cursor,
}

impl UserSearch {
    /// The query string: `q`, `kind` and `cursor`, each at most once (an empty value is
    /// absent); any other parameter, or a bad value, is a 400 naming it.
    pub fn parse(query: Option<&str>) -> Result<UserSearch> {
        let (mut q, mut kind, mut cursor) = (None, None, None);
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let slot = match k.as_ref() {
                "q" => &mut q,
                "kind" => &mut kind,
                "cursor" => &mut cursor,
                _ => return Err(Error::bad_request("parameters are q, kind and cursor")),
            };
            if slot.replace(v.into_owned()).is_some() {
                return Err(Error::bad_request(format!("parameter `{k}` is repeated")));
            }
        }
        let prefix = q.unwrap_or_default().to_lowercase();
        if !prefix_ok(&prefix) {
            return Err(Error::bad_request(
                "q must be at most 254 characters without white space",
            ));
        }
        let kind = match kind.as_deref() {
            None | Some("") => None,
            Some(k) => Some(
                UserKind::parse(k)
                    .ok_or_else(|| Error::bad_request("kind must be creator or end_user"))?,
            ),
        };
        let cursor = match cursor.as_deref() {
            None | Some("") => Cursor::default(),
            Some(c) => Cursor::decode(c, &prefix)?,
        };
        Ok(UserSearch {
            prefix,
            kind,
            cursor,
        })
    }

    /// Whether `user`, found through `index`, belongs on the page: of the kind asked
    /// for, and (from the e-mail list) not already listed by its username.
    fn keeps(&self, index: NameIndex, user: &User) -> bool {
        let by_name = user
            .username
            .as_ref()
            .is_some_and(|n| n.as_str().starts_with(&self.prefix));
        let listed_here = match index {
            NameIndex::Usernames => by_name,
            NameIndex::Emails => {
                !by_name
                    && user
                        .email
                        .as_ref()
                        .is_some_and(|e| e.key().starts_with(&self.prefix))
            }
        };
        listed_here && self.kind.is_none_or(|k| user.kind == k)
    }
}

/// One page of a search: the users (name order, user names first) and the cursor of
/// the next page, if there may be one.
pub async fn search_users<S: UserStore>(
    store: &S,
    search: &UserSearch,
) -> Result<(Vec<User>, Option<Cursor>)> {
    let mut cursor = search.cursor.clone();
    let mut budget = PAGE_SIZE;
    let mut users = Vec::new();
    for index in [NameIndex::Usernames, NameIndex::Emails] {
        let position = cursor.position_mut(index);
        let after = match position {
            Position::Done => continue,
            _ if budget == 0 => break,
            Position::Start => None,
            Position::After(name) => Some(name.clone()),
        };
        let page = store
            .user_index_page(index, &search.prefix, after.as_deref(), budget)
            .await?;
        budget = budget.saturating_sub(page.entries.len());
        *position = page.last.map_or(Position::Done, Position::After);
        for (_, id) in page.entries {
            // A user deleted since the index was read is skipped.
            if let Some(user) = store.get_user(&id).await?
                && search.keeps(index, &user)
            {
                users.push(user);
            }
        }
    }
    Ok((users, (!cursor.done()).then_some(cursor)))
}

/// Enables a user: `active` if it has a password, else it stays `invited`; conditional
/// on its revision. `Ok(None)`: no such user.
pub async fn enable_user<S: UserStore>(store: &S, id: &str) -> Result<Option<UserStatus>> {
    for _ in 0..CHANGE_TRIES {
        let Some(user) = store.get_user(id).await? else {
            return Ok(None);
        };
        refuse_pending(&user)?;
        let status = if user.password.is_some() {
            UserStatus::Active
        } else {
            UserStatus::Invited
        };
        let change = SessionChange {
            user_id: user.id.clone(),
            rev: user.rev,
            sessions: user.sessions.clone(),
            open: None,
            delete: Vec::new(),
            status: Some(status),
            credentials: CredentialChange::default(),
        };
        if store.change_sessions(&change).await? {
            return Ok(Some(status));
        }
    }
    Err(Error::Busy("user record"))
}

/// 409 `pending_verification` for a sign-up that has not followed its link (or was
/// disabled before it did): it and its name items expire, so making it `active` or
/// `invited` would lose it to the TTL; the person follows the link, or an administrator
/// deletes it (README "People", sign-up).
pub(crate) fn refuse_pending(user: &User) -> Result<()> {
    match user.expires_at {
        Some(_) => Err(Error::Conflict("pending_verification".into())),
        None => Ok(()),
    }
}

/// Disables a user and deletes its sessions in the same transaction (the admin route
/// calls this). `Ok(false)`: no such user.
pub async fn disable_user<S: UserStore>(store: &S, id: &str) -> Result<bool> {
    for _ in 0..CHANGE_TRIES {
        let Some(user) = store.get_user(id).await? else {
            return Ok(false);
        };
        if store.change_sessions(&user.disable()).await? {
            return Ok(true);
        }
    }
    Err(Error::Busy("user record"))
}

/// Deletes a user, its username and e-mail items (free for a new user), every listed
/// session, its identities and its grants in one transaction, conditional on its
/// revision (README "Applications and sharing"). A user who owns apps is 409
/// `owns_apps` until they are transferred; one with more grants than the transaction
/// holds is 409 `too_many_grants`. `Ok(false)`: no such user.
pub async fn delete_user<S: UserStore + AppStore>(store: &S, id: &str) -> Result<bool> {
    for _ in 0..CHANGE_TRIES {
        let Some(user) = store.get_user(id).await? else {
            return Ok(false);
        };
        if !store.owned_apps(id).await?.is_empty() {
            return Err(Error::Conflict("owns_apps".into()));
        }
        let grants = store.user_grant_apps(id).await?;
        if !grants_fit_deletion(&user, grants.len()) {
            return Err(Error::Conflict("too_many_grants".into()));
        }
        if store.delete_user_records(&user, &grants).await? {
            return Ok(true);
        }
    }
    Err(Error::Busy("user record"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_strict_and_lower_cased() {
        let s = UserSearch::parse(Some("q=Ann&kind=end_user")).unwrap();
        assert_eq!(s.prefix, "ann");
        assert_eq!(s.kind, Some(UserKind::EndUser));
        assert_eq!(s.cursor, Cursor::default());
        assert_eq!(UserSearch::parse(None).unwrap().prefix, "");
        assert_eq!(UserSearch::parse(Some("q=&kind=")).unwrap().kind, None);
        for bad in [
            "q=a&q=b",
            "kind=admin",
            "x=1",
            "q=a%20b",
            "q=a%00",
            "cursor=%%%",
            "cursor=e30",
        ] {
            let err = UserSearch::parse(Some(bad)).unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
        }
        let long = format!("q={}", "a".repeat(MAX_PREFIX_LEN + 1));
        assert!(UserSearch::parse(Some(&long)).is_err());
    }

    #[test]
    fn a_cursor_round_trips_only_for_its_own_prefix() {
        let c = Cursor {
            u: Position::Done,
            e: Position::After("ann@example.com".into()),
        };
        let token = c.encode();
        assert!(!token.contains('='), "{token}");
        assert_eq!(Cursor::decode(&token, "an").unwrap(), c);
        assert_eq!(Cursor::decode(&token, "bo").unwrap_err().status(), 400);
        let finished = Cursor {
            u: Position::Done,
            e: Position::Done,
        };
        assert!(Cursor::decode(&finished.encode(), "").is_err());
        assert!(Cursor::decode(&"A".repeat(MAX_CURSOR_LEN + 1), "").is_err());
    }
}
