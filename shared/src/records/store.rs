//! DynamoDB records. One table, string partition key `pk`, TTL attribute `expires_at`
//! (epoch seconds). TTL deletion is lazy, so every read checks `expires_at` itself.
//!
//! | record  | `pk`              | attributes |
//! |---------|-------------------|------------|
//! | API key | `apikey#<id>`     | `secret_hash`, `name`, `scopes`, `created_at`, `expires_at`?, `disabled`, `last4`, `last_used`? |
//! | used one-time value | `used#<kind>#<sha256>` | `expires_at` |
//! | widget temp token | `temp#<sha256>` | `userid`, `app_id`?, `client_id`?, `org_id`?, `session_ttl`, `expires_at` |
//! | widget session | `session#<sha256>` | `userid`, `app_id`?, `client_id`?, `org_id`?, `origin`? (absent: written before sessions were bound to their origin), `created_at`, `expires_at` |
//! | admin session | `admin#<sha256>` | `user_name`, `csrf_hash`, `checked_at`, `created_at`, `expires_at` |
//! | rate counter | `rate#<scope>#<key>#<window>` | `count`, `expires_at` |
//! | lock | `lock#<name>` | `owner`, `expires_at` |
//!
//! The prefixes are spelled once, in [`crate::records::access::prefix`], beside the table of which
//! function may touch which of them; the adapter is built for one function and refuses
//! everything else (see [`crate::records::access`]).

use std::future::Future;

use crate::credentials::apikey::ApiKeyRecord;
use crate::error::Result;
use crate::records::access::prefix;

/// Partition key attribute of the table.
pub const PK: &str = "pk";
/// TTL attribute of the table.
pub const EXPIRES_AT: &str = "expires_at";

/// `last_used` of an API key: the one attribute the authorizer may write.
pub const LAST_USED: &str = "last_used";

/// `origin` of a widget session: the origin it was opened from.
pub const ORIGIN: &str = "origin";

pub fn api_key_pk(id: &str) -> String {
    format!("{}{id}", prefix::API_KEY)
}

#[cfg(feature = "aws")]
fn temp_pk(hash: &str) -> String {
    format!("{}{hash}", prefix::TEMP)
}

#[cfg(feature = "aws")]
fn session_pk(hash: &str) -> String {
    format!("{}{hash}", prefix::SESSION)
}

#[cfg(feature = "aws")]
fn admin_pk(hash: &str) -> String {
    format!("{}{hash}", prefix::ADMIN)
}

#[cfg(feature = "aws")]
fn rate_pk(key: &str) -> String {
    format!("{}{key}", prefix::RATE)
}

#[cfg(feature = "aws")]
fn lock_pk(name: &str) -> String {
    format!("{}{name}", prefix::LOCK)
}

#[cfg(feature = "aws")]
fn used_pk(kind: &str, hash: &str) -> String {
    format!("{}{kind}#{hash}", prefix::USED)
}

/// API-key records, as the authorizer and the admin API need them.
pub trait ApiKeyStore: Send + Sync {
    /// The record for `id`, or `None`. Errors are dependency failures.
    fn get_api_key(&self, id: &str) -> impl Future<Output = Result<Option<ApiKeyRecord>>> + Send;
    /// Stores a new record; fails if the id exists.
    fn put_api_key(&self, record: &ApiKeyRecord) -> impl Future<Output = Result<()>> + Send;
    /// Sets `last_used` (only if the record still exists).
    fn touch_api_key(&self, id: &str, at: i64) -> impl Future<Output = Result<()>> + Send;
}

/// One-time values (host codes, presigned requests): the first redemption wins.
pub trait OneTimeStore: Send + Sync {
    /// Marks `hash` (of `kind`) used until `expires_at`. `Ok(false)` if it already was.
    fn redeem_once(
        &self,
        kind: &str,
        hash: &str,
        expires_at: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
}

/// Fixed-window rate counters (`rate#<key>`), as [`crate::records::rate`] uses them. Every
/// change is one conditional write; nothing reads a counter.
pub trait RateStore: Send + Sync {
    /// Adds one to the counter if it is below `limit` (a conditional ADD; the counter
    /// lives until `expires_at`). `Ok(false)`: it was at the limit, nothing changed.
    fn rate_reserve(
        &self,
        key: &str,
        limit: u32,
        expires_at: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Takes one back: deletes the counter when it holds exactly one (so a request that
    /// succeeds leaves no record), else subtracts one; never below zero, never creating it.
    fn rate_release(&self, key: &str) -> impl Future<Output = Result<()>> + Send;
    /// Adds one to a counter living until `expires_at`; the new count.
    fn rate_increment(
        &self,
        key: &str,
        expires_at: i64,
    ) -> impl Future<Output = Result<u32>> + Send;
}

/// Who a widget session or temp token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidgetUser {
    pub userid: String,
    pub app_id: Option<String>,
    pub client_id: Option<String>,
    pub org_id: Option<String>,
}

/// A one-time temp token (only its hash is the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempToken {
    pub user: WidgetUser,
    /// Lifetime of the session it opens.
    pub session_ttl: i64,
    pub expires_at: i64,
}

/// A widget session (only the hash of its id is the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: WidgetUser,
    /// The origin `loginToken` was called from: the only one the session is honoured
    /// from. `None` for sessions written before that binding (README "Upgrading").
    pub origin: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Widget temp tokens and sessions.
pub trait SessionStore: Send + Sync {
    fn put_temp_token(
        &self,
        hash: &str,
        token: &TempToken,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Consumes the temp token and writes the session, bound to `origin`, in one
    /// transaction: of many concurrent calls with one token, exactly one gets `Some`.
    /// `None`: unknown, expired, or already used.
    fn redeem_temp_token(
        &self,
        hash: &str,
        session_hash: &str,
        origin: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<Session>>> + Send;
    /// The session, if it exists and has not expired at `now`.
    fn get_session(
        &self,
        hash: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<Session>>> + Send;
    fn delete_session(&self, hash: &str) -> impl Future<Output = Result<()>> + Send;
}

/// An administrator's session (only the hash of its id is the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSession {
    pub user_name: String,
    /// SHA-256 of the CSRF token handed out at sign-in.
    pub csrf_hash: String,
    /// When group membership was last confirmed.
    pub checked_at: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A session as the admin API lists it: its key hash and who it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionInfo {
    pub kind: &'static str,
    pub id_hash: String,
    pub user: String,
    /// A widget session's origin (`null`: admin sessions, and widget sessions written
    /// before sessions were bound to their origin).
    pub origin: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Admin sessions and the admin API's listings (locks: [`crate::records::lock::LockStore`];
/// rate counters: [`RateStore`]).
pub trait AdminStore: Send + Sync {
    fn put_admin_session(
        &self,
        hash: &str,
        s: &AdminSession,
    ) -> impl Future<Output = Result<()>> + Send;
    fn get_admin_session(
        &self,
        hash: &str,
        now: i64,
    ) -> impl Future<Output = Result<Option<AdminSession>>> + Send;
    fn touch_admin_session(
        &self,
        hash: &str,
        checked_at: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    fn delete_admin_session(&self, hash: &str) -> impl Future<Output = Result<()>> + Send;
    fn list_api_keys(&self) -> impl Future<Output = Result<Vec<ApiKeyRecord>>> + Send;
    fn set_api_key_disabled(&self, id: &str) -> impl Future<Output = Result<bool>> + Send;
    fn delete_api_key(&self, id: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Widget and admin sessions alive at `now`.
    fn list_sessions(&self, now: i64) -> impl Future<Output = Result<Vec<SessionInfo>>> + Send;
    /// Deletes a widget (`session`) or admin (`admin`) session by its key hash.
    fn delete_session_by_hash(
        &self,
        kind: &str,
        hash: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
}

#[cfg(feature = "aws")]
pub use dynamo::DynamoStore;

#[cfg(feature = "aws")]
mod dynamo {
    use std::collections::HashMap;

    use aws_sdk_dynamodb::Client;
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    use aws_sdk_dynamodb::types::AttributeValue;

    use super::*;
    use crate::error::Error;
    use crate::records::access::{Function, Request};
    use crate::records::lock::LockStore;

    const SERVICE: &str = "dynamodb";

    /// The DynamoDB adapter for every record type, built for one function: a request
    /// outside that function's row of the access table ([`crate::records::access`]) fails with an
    /// internal error before any AWS call.
    #[derive(Clone, Debug)]
    pub struct DynamoStore {
        client: Client,
        table: String,
        function: Function,
    }

    impl DynamoStore {
        /// The store `function` uses. Operator tools (bootstrap, test setup) act as the
        /// admin function, which is unrestricted.
        pub fn new(client: Client, table: impl Into<String>, function: Function) -> Self {
            DynamoStore {
                client,
                table: table.into(),
                function,
            }
        }

        pub fn function(&self) -> Function {
            self.function
        }

        pub fn client(&self) -> &Client {
            &self.client
        }

        pub fn table(&self) -> &str {
            &self.table
        }
    }

    type Item = HashMap<String, AttributeValue>;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.to_owned())
    }

    fn n(v: i64) -> AttributeValue {
        AttributeValue::N(v.to_string())
    }

    fn get_s(item: &Item, k: &str) -> Result<String> {
        item.get(k)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .ok_or_else(|| Error::Internal(format!("stored record lacks string `{k}`")))
    }

    fn get_opt_s(item: &Item, k: &str) -> Option<String> {
        item.get(k).and_then(|v| v.as_s().ok()).cloned()
    }

    fn get_n(item: &Item, k: &str) -> Result<Option<i64>> {
        match item.get(k) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(v) => v
                .as_n()
                .ok()
                .and_then(|n| n.parse().ok())
                .map(Some)
                .ok_or_else(|| Error::Internal(format!("stored record has a bad number `{k}`"))),
        }
    }

    fn api_key_from_item(id: &str, item: &Item) -> Result<ApiKeyRecord> {
        let scopes = match item.get("scopes") {
            Some(AttributeValue::L(l)) => l.iter().filter_map(|v| v.as_s().ok().cloned()).collect(),
            _ => return Err(Error::Internal("stored API key lacks `scopes`".into())),
        };
        Ok(ApiKeyRecord {
            id: id.to_owned(),
            secret_hash: get_s(item, "secret_hash")?,
            name: get_s(item, "name")?,
            scopes,
            created_at: get_n(item, "created_at")?.unwrap_or(0),
            expires_at: get_n(item, EXPIRES_AT)?,
            disabled: item
                .get("disabled")
                .and_then(|v| v.as_bool().ok())
                .copied()
                .unwrap_or(false),
            last4: get_s(item, "last4")?,
            last_used: get_n(item, LAST_USED)?,
        })
    }

    fn api_key_item(r: &ApiKeyRecord) -> Item {
        let mut item = Item::new();
        item.insert(PK.into(), s(&api_key_pk(&r.id)));
        item.insert("kind".into(), s("api_key"));
        item.insert("secret_hash".into(), s(&r.secret_hash));
        item.insert("name".into(), s(&r.name));
        item.insert(
            "scopes".into(),
            AttributeValue::L(r.scopes.iter().map(|x| s(x)).collect()),
        );
        item.insert("created_at".into(), n(r.created_at));
        if let Some(e) = r.expires_at {
            item.insert(EXPIRES_AT.into(), n(e));
        }
        item.insert("disabled".into(), AttributeValue::Bool(r.disabled));
        item.insert("last4".into(), s(&r.last4));
        if let Some(t) = r.last_used {
            item.insert(LAST_USED.into(), n(t));
        }
        item
    }

    fn user_attrs(item: &mut Item, u: &WidgetUser) {
        item.insert("userid".into(), s(&u.userid));
        for (k, v) in [
            ("app_id", &u.app_id),
            ("client_id", &u.client_id),
            ("org_id", &u.org_id),
        ] {
            if let Some(v) = v {
                item.insert(k.into(), s(v));
            }
        }
    }

    fn user_from(item: &Item) -> Result<WidgetUser> {
        let opt = |k: &str| get_opt_s(item, k);
        Ok(WidgetUser {
            userid: get_s(item, "userid")?,
            app_id: opt("app_id"),
            client_id: opt("client_id"),
            org_id: opt("org_id"),
        })
    }

    fn is_conditional_failure<E: ProvideErrorMetadata>(e: &E) -> bool {
        matches!(
            e.code(),
            Some("ConditionalCheckFailedException" | "TransactionCanceledException")
        )
    }

    impl SessionStore for DynamoStore {
        async fn put_temp_token(&self, hash: &str, t: &TempToken) -> Result<()> {
            let mut item = Item::new();
            item.insert(PK.into(), s(&temp_pk(hash)));
            user_attrs(&mut item, &t.user);
            item.insert("session_ttl".into(), n(t.session_ttl));
            item.insert(EXPIRES_AT.into(), n(t.expires_at));
            self.put_fresh(item).await
        }

        async fn redeem_temp_token(
            &self,
            hash: &str,
            session_hash: &str,
            origin: &str,
            now: i64,
        ) -> Result<Option<Session>> {
            let temp_pk = temp_pk(hash);
            let Some((item, _)) = self.get_live(&temp_pk, now).await? else {
                return Ok(None);
            };
            let user = user_from(&item)?;
            let ttl = get_n(&item, "session_ttl")?.unwrap_or(3600);
            let session = Session {
                user,
                origin: Some(origin.to_owned()),
                created_at: now,
                expires_at: now + ttl,
            };
            let session_pk = session_pk(session_hash);
            let mut sitem = Item::new();
            sitem.insert(PK.into(), s(&session_pk));
            user_attrs(&mut sitem, &session.user);
            sitem.insert(ORIGIN.into(), s(origin));
            sitem.insert("created_at".into(), n(now));
            sitem.insert(EXPIRES_AT.into(), n(session.expires_at));
            // IAM authorizes each item of a transaction as its own action.
            self.allow(Request::delete(&temp_pk))?;
            self.allow(Request::put(&session_pk, &names(&sitem)))?;
            use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
            let delete = Delete::builder()
                .table_name(&self.table)
                .key(PK, s(&temp_pk))
                .condition_expression("attribute_exists(#pk) AND #exp > :now")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#exp", EXPIRES_AT)
                .expression_attribute_values(":now", n(now))
                .build()
                .map_err(|e| Error::Internal(e.to_string()))?;
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(sitem))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .build()
                .map_err(|e| Error::Internal(e.to_string()))?;
            let r = self
                .client
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().delete(delete).build())
                .transact_items(TransactWriteItem::builder().put(put).build())
                .send()
                .await;
            Ok(applied(r)?.then_some(session))
        }

        async fn get_session(&self, hash: &str, now: i64) -> Result<Option<Session>> {
            let Some((item, expires_at)) = self.get_live(&session_pk(hash), now).await? else {
                return Ok(None);
            };
            Ok(Some(Session {
                user: user_from(&item)?,
                origin: get_opt_s(&item, ORIGIN),
                created_at: get_n(&item, "created_at")?.unwrap_or(0),
                expires_at,
            }))
        }

        async fn delete_session(&self, hash: &str) -> Result<()> {
            let pk = session_pk(hash);
            self.allow(Request::delete(&pk))?;
            self.client
                .delete_item()
                .table_name(&self.table)
                .key(PK, s(&pk))
                .send()
                .await
                .map_err(|e| Error::dependency(SERVICE, e))?;
            Ok(())
        }
    }

    /// The outcome of a conditional write: `true` if applied, `false` if its condition
    /// did not hold (nothing written); any other failure is a dependency error.
    fn applied<T, E, R>(
        r: std::result::Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
    ) -> Result<bool>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        match r {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(is_conditional_failure) => Ok(false),
            Err(e) => Err(Error::dependency(SERVICE, e)),
        }
    }

    /// The attribute names of `item`.
    fn names(item: &Item) -> Vec<&str> {
        item.keys().map(String::as_str).collect()
    }

    impl DynamoStore {
        /// Refuses (with an internal error, before any AWS call) what this function may not do.
        fn allow(&self, req: Request<'_>) -> Result<()> {
            self.function.check(&req)
        }

        /// The item with key `pk` (strongly consistent read).
        async fn get(&self, pk: &str) -> Result<Option<Item>> {
            self.allow(Request::get(pk))?;
            let got = self
                .client
                .get_item()
                .table_name(&self.table)
                .key(PK, s(pk))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| Error::dependency(SERVICE, e))?;
            Ok(got.item)
        }

        /// The item with key `pk` if its `expires_at` lies after `now` (TTL deletion is
        /// lazy, so every read checks the expiry itself), with that expiry.
        async fn get_live(&self, pk: &str, now: i64) -> Result<Option<(Item, i64)>> {
            let Some(item) = self.get(pk).await? else {
                return Ok(None);
            };
            let expires_at = get_n(&item, EXPIRES_AT)?.unwrap_or(0);
            Ok((expires_at > now).then_some((item, expires_at)))
        }

        /// Writes `item` unless its key exists; `false` if it did (nothing written).
        async fn put_new(&self, item: Item) -> Result<bool> {
            self.allow(Request::put(&get_s(&item, PK)?, &names(&item)))?;
            let r = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .send()
                .await;
            applied(r)
        }

        /// [`Self::put_new`] for records whose key is a fresh random value: a clash is a bug.
        async fn put_fresh(&self, item: Item) -> Result<()> {
            if self.put_new(item).await? {
                Ok(())
            } else {
                Err(Error::Conflict("record already exists".into()))
            }
        }

        async fn delete_existing(&self, pk: &str) -> Result<bool> {
            self.allow(Request::delete(pk))?;
            let r = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key(PK, s(pk))
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .send()
                .await;
            applied(r)
        }

        /// Every item whose key starts with `prefix` (paginated scan).
        async fn scan_prefix(&self, prefix: &str) -> Result<Vec<Item>> {
            self.allow(Request::scan())?;
            let mut items = Vec::new();
            let mut pages = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("begins_with(#pk, :p)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":p", s(prefix))
                .consistent_read(true)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| Error::dependency(SERVICE, e))?;
                items.extend(page.items().iter().cloned());
            }
            Ok(items)
        }
    }

    impl AdminStore for DynamoStore {
        async fn put_admin_session(&self, hash: &str, a: &AdminSession) -> Result<()> {
            let mut item = Item::new();
            item.insert(PK.into(), s(&admin_pk(hash)));
            item.insert("user_name".into(), s(&a.user_name));
            item.insert("csrf_hash".into(), s(&a.csrf_hash));
            item.insert("checked_at".into(), n(a.checked_at));
            item.insert("created_at".into(), n(a.created_at));
            item.insert(EXPIRES_AT.into(), n(a.expires_at));
            self.put_fresh(item).await
        }

        async fn get_admin_session(&self, hash: &str, now: i64) -> Result<Option<AdminSession>> {
            let Some((item, expires_at)) = self.get_live(&admin_pk(hash), now).await? else {
                return Ok(None);
            };
            Ok(Some(AdminSession {
                user_name: get_s(&item, "user_name")?,
                csrf_hash: get_s(&item, "csrf_hash")?,
                checked_at: get_n(&item, "checked_at")?.unwrap_or(0),
                created_at: get_n(&item, "created_at")?.unwrap_or(0),
                expires_at,
            }))
        }

        async fn touch_admin_session(&self, hash: &str, checked_at: i64) -> Result<()> {
            let pk = admin_pk(hash);
            self.allow(Request::update(&pk, &[PK, "checked_at"]))?;
            self.client
                .update_item()
                .table_name(&self.table)
                .key(PK, s(&pk))
                .update_expression("SET #c = :t")
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#c", "checked_at")
                .expression_attribute_values(":t", n(checked_at))
                .send()
                .await
                .map_err(|e| Error::dependency(SERVICE, e))?;
            Ok(())
        }

        async fn delete_admin_session(&self, hash: &str) -> Result<()> {
            self.delete_existing(&admin_pk(hash)).await.map(|_| ())
        }

        async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
            self.scan_prefix(prefix::API_KEY)
                .await?
                .iter()
                .map(|item| {
                    let pk = get_s(item, PK)?;
                    let id = pk.strip_prefix(prefix::API_KEY).unwrap_or(&pk);
                    api_key_from_item(id, item)
                })
                .collect()
        }

        async fn set_api_key_disabled(&self, id: &str) -> Result<bool> {
            let pk = api_key_pk(id);
            self.allow(Request::update(&pk, &[PK, "disabled"]))?;
            let r = self
                .client
                .update_item()
                .table_name(&self.table)
                .key(PK, s(&pk))
                .update_expression("SET #d = :t")
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#d", "disabled")
                .expression_attribute_values(":t", AttributeValue::Bool(true))
                .send()
                .await;
            applied(r)
        }

        async fn delete_api_key(&self, id: &str) -> Result<bool> {
            self.delete_existing(&api_key_pk(id)).await
        }

        async fn list_sessions(&self, now: i64) -> Result<Vec<SessionInfo>> {
            let mut out = Vec::new();
            for (kind, prefix, user_attr) in [
                ("widget", prefix::SESSION, "userid"),
                ("admin", prefix::ADMIN, "user_name"),
            ] {
                for item in self.scan_prefix(prefix).await? {
                    let expires_at = get_n(&item, EXPIRES_AT)?.unwrap_or(0);
                    if expires_at <= now {
                        continue;
                    }
                    out.push(SessionInfo {
                        kind,
                        id_hash: get_s(&item, PK)?.trim_start_matches(prefix).to_owned(),
                        user: get_s(&item, user_attr)?,
                        origin: get_opt_s(&item, ORIGIN),
                        created_at: get_n(&item, "created_at")?.unwrap_or(0),
                        expires_at,
                    });
                }
            }
            Ok(out)
        }

        async fn delete_session_by_hash(&self, kind: &str, hash: &str) -> Result<bool> {
            let prefix = match kind {
                "widget" => prefix::SESSION,
                "admin" => prefix::ADMIN,
                _ => return Err(Error::bad_request("kind must be widget or admin")),
            };
            self.delete_existing(&format!("{prefix}{hash}")).await
        }
    }

    impl LockStore for DynamoStore {
        async fn try_lock(
            &self,
            name: &str,
            owner: &str,
            now: i64,
            expires_at: i64,
        ) -> Result<bool> {
            let pk = lock_pk(name);
            self.allow(Request::put(&pk, &[PK, "owner", EXPIRES_AT]))?;
            let r = self
                .client
                .put_item()
                .table_name(&self.table)
                .item(PK, s(&pk))
                .item("owner", s(owner))
                .item(EXPIRES_AT, n(expires_at))
                .condition_expression("attribute_not_exists(#pk) OR #exp < :now")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#exp", EXPIRES_AT)
                .expression_attribute_values(":now", n(now))
                .send()
                .await;
            applied(r)
        }

        async fn unlock(&self, name: &str, owner: &str) -> Result<()> {
            let pk = lock_pk(name);
            self.allow(Request::delete(&pk))?;
            let r = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key(PK, s(&pk))
                .condition_expression("#o = :o")
                .expression_attribute_names("#o", "owner")
                .expression_attribute_values(":o", s(owner))
                .send()
                .await;
            applied(r).map(|_| ())
        }
    }

    const COUNT: &str = "count";

    impl RateStore for DynamoStore {
        async fn rate_reserve(&self, key: &str, limit: u32, expires_at: i64) -> Result<bool> {
            let pk = rate_pk(key);
            self.allow(Request::update(&pk, &[PK, COUNT, EXPIRES_AT]))?;
            let r = self
                .client
                .update_item()
                .table_name(&self.table)
                .key(PK, s(&pk))
                .update_expression("ADD #c :one SET #exp = :exp")
                .condition_expression("attribute_not_exists(#c) OR #c < :limit")
                .expression_attribute_names("#c", COUNT)
                .expression_attribute_names("#exp", EXPIRES_AT)
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":exp", n(expires_at))
                .expression_attribute_values(":limit", n(i64::from(limit)))
                .send()
                .await;
            applied(r)
        }

        async fn rate_release(&self, key: &str) -> Result<()> {
            let pk = rate_pk(key);
            self.allow(Request::delete(&pk))?;
            let last = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key(PK, s(&pk))
                .condition_expression("#c = :one")
                .expression_attribute_names("#c", COUNT)
                .expression_attribute_values(":one", n(1))
                .send()
                .await;
            if applied(last)? {
                return Ok(());
            }
            self.allow(Request::update(&pk, &[PK, COUNT]))?;
            let r = self
                .client
                .update_item()
                .table_name(&self.table)
                .key(PK, s(&pk))
                .update_expression("ADD #c :minus")
                .condition_expression("#c > :zero")
                .expression_attribute_names("#c", COUNT)
                .expression_attribute_values(":minus", n(-1))
                .expression_attribute_values(":zero", n(0))
                .send()
                .await;
            applied(r).map(|_| ())
        }

        async fn rate_increment(&self, key: &str, expires_at: i64) -> Result<u32> {
            let pk = rate_pk(key);
            self.allow(Request::update(&pk, &[PK, COUNT, EXPIRES_AT]).returning_values())?;
            let out = self
                .client
                .update_item()
                .table_name(&self.table)
                .key(PK, s(&pk))
                .update_expression("ADD #c :one SET #exp = :exp")
                .expression_attribute_names("#c", COUNT)
                .expression_attribute_names("#exp", EXPIRES_AT)
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":exp", n(expires_at))
                .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
                .send()
                .await
                .map_err(|e| Error::dependency(SERVICE, e))?;
            Ok(out
                .attributes()
                .and_then(|a| get_n(a, COUNT).ok().flatten())
                .unwrap_or(1) as u32)
        }
    }

    impl OneTimeStore for DynamoStore {
        async fn redeem_once(&self, kind: &str, hash: &str, expires_at: i64) -> Result<bool> {
            let mut item = Item::new();
            item.insert(PK.into(), s(&used_pk(kind, hash)));
            item.insert(EXPIRES_AT.into(), n(expires_at));
            self.put_new(item).await
        }
    }

    impl ApiKeyStore for DynamoStore {
        async fn get_api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>> {
            self.get(&api_key_pk(id))
                .await?
                .map(|item| api_key_from_item(id, &item))
                .transpose()
        }

        async fn put_api_key(&self, record: &ApiKeyRecord) -> Result<()> {
            self.put_fresh(api_key_item(record)).await
        }

        async fn touch_api_key(&self, id: &str, at: i64) -> Result<()> {
            let pk = api_key_pk(id);
            // Names only the key and `last_used`, returns nothing: exactly what the
            // authorizer's role allows (docs/SECURITY.md, finding 2).
            self.allow(Request::update(&pk, &[PK, LAST_USED]))?;
            self.client
                .update_item()
                .table_name(&self.table)
                .key(PK, s(&pk))
                .update_expression("SET #lu = :t")
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#lu", LAST_USED)
                .expression_attribute_values(":t", n(at))
                .send()
                .await
                .map_err(|e| Error::dependency(SERVICE, e))?;
            Ok(())
        }
    }
}
