//! Which DynamoDB records each function may touch: the one table of record-key prefixes
//! and the operations allowed on them ([`Function::access`]).
//!
//! Two enforcers read it. The DynamoDB adapter (`store::DynamoStore`) is built for one
//! function and refuses any request outside that function's grants with an internal
//! error, before any AWS call, so every local test runs under the restriction (DynamoDB
//! Local enforces no IAM). In AWS, each function's role carries the same grants as IAM
//! statements with `dynamodb:LeadingKeys` conditions (template.yaml); the test
//! `template::dynamodb_statements_match_the_access_table` fails when the two differ.
//! docs/SECURITY.md ("Finding 2") describes both.

use crate::error::{Error, Result};

pub(crate) use super::request::Request;

/// A DynamoDB operation, as IAM names its action. Items written in a
/// `TransactWriteItems` are authorized per item action (`PutItem`, `DeleteItem`, ...),
/// as IAM does; there is no transaction action to grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    GetItem,
    PutItem,
    UpdateItem,
    DeleteItem,
    Query,
    /// Reads every item whatever its key (a leading-key condition cannot limit it), so
    /// only an unrestricted function may have it.
    Scan,
}

impl Op {
    /// The IAM action.
    pub fn action(self) -> &'static str {
        match self {
            Op::GetItem => "dynamodb:GetItem",
            Op::PutItem => "dynamodb:PutItem",
            Op::UpdateItem => "dynamodb:UpdateItem",
            Op::DeleteItem => "dynamodb:DeleteItem",
            Op::Query => "dynamodb:Query",
            Op::Scan => "dynamodb:Scan",
        }
    }
}

/// Partition-key values a grant covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keys {
    /// Every key starting with this prefix (IAM: `<prefix>*` under `StringLike`).
    Prefix(&'static str),
    /// Exactly this key.
    Exact(&'static str),
}

impl Keys {
    pub(crate) fn matches(self, key: &str) -> bool {
        match self {
            Keys::Prefix(p) => key.starts_with(p),
            Keys::Exact(k) => key == k,
        }
    }

    /// The value in the IAM `dynamodb:LeadingKeys` condition.
    pub fn iam_value(self) -> String {
        match self {
            Keys::Prefix(p) => format!("{p}*"),
            Keys::Exact(k) => k.to_owned(),
        }
    }
}

/// What a grant applies to: the table, or one of its indexes (then `keys` are the
/// index's partition-key values the function may query).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum On {
    Table,
    Index(&'static str),
}

/// One IAM statement: these operations, on these keys, optionally on these attributes
/// only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub ops: &'static [Op],
    pub on: On,
    pub keys: &'static [Keys],
    /// `dynamodb:Attributes`: the only attribute names a request may name, the key
    /// included. Such a grant also requires `ReturnValues` NONE, so the request cannot
    /// read other attributes back.
    pub attributes: Option<&'static [&'static str]>,
}

/// A function's access to the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// These operations on the table, and Query on these indexes (IAM: no condition).
    Unrestricted {
        table: &'static [Op],
        indexes: &'static [&'static str],
    },
    /// Only what one of these grants allows.
    Only(&'static [Grant]),
}

/// The functions that use the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Authorizer,
    Token,
    Widget,
    Rotate,
    Admin,
    Users,
}

use super::key::prefix::*;

/// A grant of `ops` on the table's records under `keys`, every attribute.
const fn table(ops: &'static [Op], keys: &'static [Keys]) -> Grant {
    Grant {
        ops,
        on: On::Table,
        keys,
        attributes: None,
    }
}

const AUTHORIZER: &[Grant] = &[
    // API keys, widget sessions and user sessions, read to check a credential; an
    // app and a grant, read on an app-bearing rule.
    table(
        &[Op::GetItem],
        &[
            Keys::Prefix(API_KEY),
            Keys::Prefix(SESSION),
            Keys::Prefix(USER_SESSION),
            Keys::Prefix(APP),
            Keys::Prefix(GRANT),
        ],
    ),
    // `last_used` of an API key, and nothing else: UpdateItem is an upsert, so
    // without the attribute limit it could write a whole forged key.
    Grant {
        ops: &[Op::UpdateItem],
        on: On::Table,
        keys: &[Keys::Prefix(API_KEY)],
        attributes: Some(&[crate::records::key::PK, crate::records::key::LAST_USED]),
    },
];

const TOKEN: &[Grant] = &[
    // Redeemed host codes (conditional put).
    table(&[Op::PutItem], &[Keys::Prefix(USED_CODE)]),
    // Its failed-attempt counters: reserved and counted by conditional ADD, given back
    // by a conditional delete (or ADD) so a success leaves nothing; never read.
    table(
        &[Op::UpdateItem, Op::DeleteItem],
        &[Keys::Prefix(RATE_TOKEN)],
    ),
];

const WIDGET: &[Grant] = &[
    // The temp token is read before it is redeemed; the widget never reads a session
    // (the authorizer does).
    table(&[Op::GetItem], &[Keys::Prefix(TEMP)]),
    // Temp tokens written, consumed (deleted) and sessions written in one transaction;
    // sessions deleted at logout.
    table(
        &[Op::PutItem, Op::DeleteItem],
        &[Keys::Prefix(TEMP), Keys::Prefix(SESSION)],
    ),
];

const ROTATE: &[Grant] = &[
    // The key-ring lock, and no other record.
    table(
        &[Op::GetItem, Op::PutItem, Op::DeleteItem],
        &[Keys::Exact(SIGNING_KEYS_LOCK)],
    ),
];

const USERS: &[Grant] = &[
    // Sign-in reads name items, users, lockout counters; also settings, e-mail tokens,
    // and (single sign-on) an identity's user and whether a user has one at a provider.
    table(
        &[Op::GetItem],
        &[
            Keys::Prefix(USER),
            Keys::Prefix(USER_NAME),
            Keys::Prefix(USER_EMAIL),
            Keys::Prefix(RATE_USERS),
            Keys::Prefix(SETTING),
            Keys::Prefix(EMAIL_TOKEN),
            Keys::Prefix(IDENTITY),
            Keys::Prefix(USER_IDENTITY),
        ],
    ),
    // Provisioning writes a new identity's items with the user it links or creates
    // (one transaction; deleting a user is the admins').
    table(
        &[Op::PutItem],
        &[Keys::Prefix(IDENTITY), Keys::Prefix(USER_IDENTITY)],
    ),
    // Users change with their sessions (one transaction); verification removes the
    // expiry of a pending user and of its name items.
    table(
        &[Op::UpdateItem],
        &[
            Keys::Prefix(USER),
            Keys::Prefix(USER_NAME),
            Keys::Prefix(USER_EMAIL),
        ],
    ),
    // Sessions are written and deleted with their user; sign-up writes a user, its names
    // and its token, deleting an expired pending holder; verification deletes the token.
    table(
        &[Op::PutItem, Op::DeleteItem],
        &[
            Keys::Prefix(USER_SESSION),
            Keys::Prefix(USER),
            Keys::Prefix(USER_NAME),
            Keys::Prefix(USER_EMAIL),
            Keys::Prefix(EMAIL_TOKEN),
        ],
    ),
    // Invite acceptance reads the invite and deletes it in the transaction that sets
    // the password; a grant by e-mail to an address without an account writes one
    // with its new user (and deletes both when the mail fails).
    table(
        &[Op::GetItem, Op::PutItem, Op::DeleteItem],
        &[Keys::Prefix(INVITE)],
    ),
    // Single sign-on's transactions and one-time codes, each consumed by a delete.
    table(
        &[Op::GetItem, Op::PutItem, Op::DeleteItem],
        &[Keys::Prefix(SSO_TRANSACTION), Keys::Prefix(SSO_CODE)],
    ),
    // Its per-IP slots and lockout counters: swapped by conditional put or update,
    // deleted on success; never another function's counters.
    table(
        &[Op::PutItem, Op::UpdateItem, Op::DeleteItem],
        &[Keys::Prefix(RATE_USERS)],
    ),
    // Applications (README "Applications and sharing"): an app and its public listing
    // item, a grant's two items; written and removed in transactions.
    table(
        &[Op::GetItem, Op::PutItem, Op::DeleteItem],
        &[
            Keys::Prefix(APP),
            Keys::Prefix(PUBLIC_APP),
            Keys::Prefix(GRANT),
            Keys::Prefix(USER_GRANT),
        ],
    ),
    // Their listings on gsi1, and no other partition of it.
    Grant {
        ops: &[Op::Query],
        on: On::Index(crate::records::key::GSI1),
        keys: &[
            Keys::Prefix(OWNER_INDEX),
            Keys::Exact(PUBLIC_APPS_INDEX),
            Keys::Prefix(APP_GRANTS_INDEX),
            Keys::Prefix(USER_GRANTS_INDEX),
        ],
        attributes: None,
    },
];

/// The admin function manages every record kind (keys, sessions of both kinds,
/// counters, locks, presigned sign-ins) and lists keys and sessions by Scan, which no
/// key condition can limit: it is unrestricted (docs/SECURITY.md says why).
const ADMIN_OPS: &[Op] = &[
    Op::GetItem,
    Op::PutItem,
    Op::UpdateItem,
    Op::DeleteItem,
    Op::Scan,
];

impl Function {
    pub const ALL: [Function; 6] = [
        Function::Authorizer,
        Function::Token,
        Function::Widget,
        Function::Rotate,
        Function::Admin,
        Function::Users,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Function::Authorizer => "authorizer",
            Function::Token => "token",
            Function::Widget => "widget",
            Function::Rotate => "rotate",
            Function::Admin => "admin",
            Function::Users => "users",
        }
    }

    /// The function's resource in template.yaml.
    pub fn logical_id(self) -> &'static str {
        match self {
            Function::Authorizer => "AuthorizerFunction",
            Function::Token => "TokenFunction",
            Function::Widget => "WidgetFunction",
            Function::Rotate => "RotateFunction",
            Function::Admin => "AdminFunction",
            Function::Users => "UsersFunction",
        }
    }

    /// The table: what each function may do to which records.
    pub fn access(self) -> Access {
        match self {
            Function::Authorizer => Access::Only(AUTHORIZER),
            Function::Token => Access::Only(TOKEN),
            Function::Widget => Access::Only(WIDGET),
            Function::Rotate => Access::Only(ROTATE),
            Function::Admin => Access::Unrestricted {
                table: ADMIN_OPS,
                indexes: &[crate::records::key::GSI1], // people (README "People")
            },
            Function::Users => Access::Only(USERS),
        }
    }

    /// `Ok` if this function may make `req`; otherwise an internal error (a request
    /// outside the table is a bug or an attack, never a caller's mistake).
    pub(crate) fn check(self, req: &Request<'_>) -> Result<()> {
        let allowed = match self.access() {
            Access::Unrestricted { table, indexes } => match req.on {
                On::Table => table.contains(&req.op),
                On::Index(i) => req.op == Op::Query && indexes.contains(&i),
            },
            Access::Only(grants) => grants.iter().any(|g| g.allows(req)),
        };
        if allowed {
            return Ok(());
        }
        // The record kind only: the rest of a key may be a hash of a credential.
        let kind = req
            .key
            .map(|k| k.find('#').map_or(k, |i| &k[..=i]))
            .unwrap_or("(any)");
        Err(Error::Internal(format!(
            "the {} function may not {:?} {kind} records{} (see docs/SECURITY.md, finding 2)",
            self.name(),
            req.op,
            match req.on {
                On::Table => String::new(),
                On::Index(i) => format!(" through index {i}"),
            }
        )))
    }
}

impl Grant {
    fn allows(&self, req: &Request<'_>) -> bool {
        let key_ok = req
            .key
            .is_some_and(|k| self.keys.iter().any(|p| p.matches(k)));
        let attributes_ok = match self.attributes {
            None => true,
            Some(allowed) => {
                !req.returns_values
                    && req
                        .attributes
                        .is_some_and(|a| a.iter().all(|x| allowed.contains(x)))
            }
        };
        self.ops.contains(&req.op) && self.on == req.on && key_ok && attributes_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::key::prefix;
    use crate::records::key::{EXPIRES_AT, LAST_USED, PK};

    fn refused(f: Function, req: Request<'_>) -> bool {
        matches!(f.check(&req), Err(Error::Internal(_)))
    }

    #[test]
    fn no_restricted_function_may_scan() {
        for f in Function::ALL {
            if let Access::Only(grants) = f.access() {
                assert!(
                    grants.iter().all(|g| !g.ops.contains(&Op::Scan)),
                    "{f:?} has Scan: a leading-key condition cannot limit it"
                );
                assert!(refused(f, Request::scan()), "{f:?}");
            }
        }
    }

    #[test]
    fn query_is_granted_on_an_index_only() {
        for f in Function::ALL {
            if let Access::Only(grants) = f.access() {
                for g in grants {
                    let queries = g.ops.contains(&Op::Query);
                    let on_index = matches!(g.on, On::Index(_));
                    assert!(!queries || on_index, "{f:?}: Query on the table");
                    assert!(
                        !on_index || g.ops == [Op::Query],
                        "{f:?}: an index is queried only"
                    );
                }
            }
        }
    }

    #[test]
    fn prefixes_nest_as_documented() {
        assert!(prefix::USED_CODE.starts_with(prefix::USED));
        assert!(prefix::RATE_TOKEN.starts_with(prefix::RATE));
        assert!(prefix::RATE_USERS.starts_with(prefix::RATE));
        assert!(prefix::SIGNING_KEYS_LOCK.starts_with(prefix::LOCK));
        assert_eq!(Keys::Prefix(prefix::API_KEY).iam_value(), "apikey#*");
        assert_eq!(
            Keys::Exact(prefix::SIGNING_KEYS_LOCK).iam_value(),
            "lock#signing-keys"
        );
    }

    #[test]
    fn the_authorizer_reads_keys_and_sessions_and_touches_only_last_used() {
        let f = Function::Authorizer;
        assert!(f.check(&Request::get("apikey#abc")).is_ok());
        assert!(f.check(&Request::get("session#ff")).is_ok());
        assert!(f.check(&Request::get("usess#ff")).is_ok());
        assert!(refused(f, Request::put("usess#ff", &[PK])));
        assert!(refused(f, Request::get("user#U1")));
        assert!(f.check(&Request::get("app#sales")).is_ok());
        assert!(f.check(&Request::get("grant#sales#U1")).is_ok());
        assert!(refused(f, Request::put("grant#sales#U1", &[PK])));
        assert!(refused(f, Request::get("papp#sales")));
        assert!(refused(f, Request::get("ugrant#U1#sales")));
        assert!(
            f.check(&Request::update("apikey#abc", &[PK, LAST_USED]))
                .is_ok()
        );
        // Forging an admin session or an API key is refused.
        assert!(refused(f, Request::put("admin#ff", &[PK, "checked_at"])));
        assert!(refused(f, Request::update("admin#ff", &[PK, "checked_at"])));
        assert!(refused(f, Request::put("apikey#abc", &[PK, "secret_hash"])));
        assert!(refused(
            f,
            Request::update("apikey#abc", &[PK, LAST_USED, "scopes"])
        ));
        assert!(refused(
            f,
            Request::update("apikey#abc", &[PK, LAST_USED]).returning_values()
        ));
        assert!(refused(f, Request::get("admin#ff")));
        assert!(refused(f, Request::delete("apikey#abc")));
    }

    #[test]
    fn the_token_function_only_records_used_codes_and_its_counters() {
        let f = Function::Token;
        assert!(
            f.check(&Request::put("used#code#ff", &[PK, EXPIRES_AT]))
                .is_ok()
        );
        let counter = "rate#token#ip#198.51.100.7#1";
        assert!(
            f.check(&Request::update(counter, &[PK, "count", EXPIRES_AT]).returning_values())
                .is_ok()
        );
        assert!(f.check(&Request::delete(counter)).is_ok());
        assert!(refused(f, Request::get(counter)), "counters are never read");
        assert!(refused(f, Request::update("rate#admin#ip#x#1", &[PK])));
        assert!(refused(f, Request::delete("rate#admin#ip#x#1")));
        assert!(refused(
            f,
            Request::put("used#presign#ff", &[PK, EXPIRES_AT])
        ));
        assert!(refused(f, Request::put("apikey#abc", &[PK])));
        assert!(refused(f, Request::get("used#code#ff")));
    }

    #[test]
    fn the_widget_function_only_touches_temp_tokens_and_sessions() {
        let f = Function::Widget;
        assert!(f.check(&Request::put("temp#ff", &[PK])).is_ok());
        assert!(f.check(&Request::get("temp#ff")).is_ok());
        assert!(f.check(&Request::delete("temp#ff")).is_ok());
        assert!(f.check(&Request::put("session#ff", &[PK])).is_ok());
        assert!(f.check(&Request::delete("session#ff")).is_ok());
        assert!(refused(f, Request::get("session#ff")));
        assert!(refused(f, Request::put("admin#ff", &[PK])));
        assert!(refused(f, Request::update("session#ff", &[PK])));
    }

    #[test]
    fn the_users_function_touches_people_their_sessions_and_its_counters() {
        let f = Function::Users;
        for req in [
            Request::get("uname#ann"),
            Request::get("email#ann@example.com"),
            Request::get("user#U1"),
            Request::update("user#U1", &[PK, "sessions", "rev"]),
            Request::put("usess#ff", &[PK]),
            Request::delete("usess#ff"),
            Request::get("rate#usr-lock#id#ff"),
            Request::put("rate#usr-lock#id#ff", &[PK]),
            Request::update("rate#usr-signin#ip#x#1", &[PK]).returning_values(),
            Request::delete("rate#usr-lock#user#ff"),
        ] {
            assert!(f.check(&req).is_ok(), "{req:?}");
        }
        assert!(
            refused(f, Request::get("usess#ff")),
            "the authorizer reads sessions"
        );
        // Sign-up and verification (README "People", sign-up).
        for req in [
            Request::put("user#U1", &[PK]),
            Request::put("uname#ann", &[PK]),
            Request::put("email#ann@example.com", &[PK]),
            Request::delete("user#U0"),
            Request::put("etoken#ff", &[PK]),
            Request::get("etoken#ff"),
            Request::delete("etoken#ff"),
            Request::update("uname#ann", &[PK, EXPIRES_AT]),
            Request::get("settings#signup"),
        ] {
            assert!(f.check(&req).is_ok(), "{req:?}");
        }
        assert!(
            refused(f, Request::put("settings#signup", &[PK])),
            "administrators change the settings"
        );
        // A grant by e-mail invites its new user (README "Applications and sharing").
        assert!(f.check(&Request::put("invite#ff", &[PK])).is_ok());
        assert!(refused(f, Request::update("invite#ff", &[PK])));
        assert!(refused(f, Request::update("rate#admin#user#x#1", &[PK])));
        assert!(refused(f, Request::get("apikey#abc")));
        assert!(refused(f, Request::put("session#ff", &[PK])));
    }

    #[test]
    fn the_rotate_function_only_holds_the_key_ring_lock() {
        let f = Function::Rotate;
        for req in [
            Request::get(prefix::SIGNING_KEYS_LOCK),
            Request::put(prefix::SIGNING_KEYS_LOCK, &[PK]),
            Request::delete(prefix::SIGNING_KEYS_LOCK),
        ] {
            assert!(f.check(&req).is_ok(), "{req:?}");
        }
        assert!(refused(f, Request::put("lock#signing-keys-2", &[PK])));
        assert!(refused(f, Request::put("lock#other", &[PK])));
    }

    #[test]
    fn the_admin_function_is_unrestricted() {
        let f = Function::Admin;
        assert!(f.check(&Request::scan()).is_ok());
        assert!(f.check(&Request::put("admin#ff", &[PK])).is_ok());
        assert!(
            f.check(&Request::update("rate#x", &[PK]).returning_values())
                .is_ok()
        );
        assert!(f.check(&Request::query("gsi1", "users#u")).is_ok());
        assert!(refused(f, Request::query("gsi2", "users#u")));
        assert!(
            refused(
                f,
                Request {
                    on: On::Index("gsi1"),
                    ..Request::scan()
                }
            ),
            "an index is queried only"
        );
        for other in [Function::Users, Function::Authorizer] {
            assert!(
                refused(other, Request::query("gsi1", "users#e")),
                "{other:?}"
            );
        }
    }

    #[test]
    fn refusals_name_the_record_kind_but_not_the_key() {
        let err = Function::Token
            .check(&Request::put("apikey#secretish", &[PK]))
            .unwrap_err();
        let detail = err.detail();
        assert!(detail.contains("apikey#"), "{detail}");
        assert!(!detail.contains("secretish"), "{detail}");
    }
}
