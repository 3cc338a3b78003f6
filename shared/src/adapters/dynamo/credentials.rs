//! API keys, one-time values, widget sessions and admin sessions in the table.

use aws_sdk_dynamodb::types::AttributeValue;

use super::*;
use crate::credentials::admin::{AdminSession, AdminStore, SessionInfo};
use crate::credentials::apikey::{ApiKeyRecord, ApiKeyStore};
use crate::credentials::widget::{Session, SessionStore, TempToken, WidgetUser};
use crate::records::key::{LAST_USED, ORIGIN, prefix};
use crate::records::once::OneTimeStore;

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
    item.insert(PK.into(), s(&Key::ApiKey(&r.id).pk()));
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

impl SessionStore for DynamoStore {
    async fn put_temp_token(&self, hash: &str, t: &TempToken) -> Result<()> {
        let mut item = Item::new();
        item.insert(PK.into(), s(&Key::Temp(hash).pk()));
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
        let temp_pk = Key::Temp(hash).pk();
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
        let session_pk = Key::Session(session_hash).pk();
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
        let Some((item, expires_at)) = self.get_live(&Key::Session(hash).pk(), now).await? else {
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
        let pk = Key::Session(hash).pk();
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

impl AdminStore for DynamoStore {
    async fn put_admin_session(&self, hash: &str, a: &AdminSession) -> Result<()> {
        let mut item = Item::new();
        item.insert(PK.into(), s(&Key::Admin(hash).pk()));
        item.insert("user_name".into(), s(&a.user_name));
        item.insert("csrf_hash".into(), s(&a.csrf_hash));
        item.insert("checked_at".into(), n(a.checked_at));
        item.insert("created_at".into(), n(a.created_at));
        item.insert(EXPIRES_AT.into(), n(a.expires_at));
        self.put_fresh(item).await
    }

    async fn get_admin_session(&self, hash: &str, now: i64) -> Result<Option<AdminSession>> {
        let Some((item, expires_at)) = self.get_live(&Key::Admin(hash).pk(), now).await? else {
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
        let pk = Key::Admin(hash).pk();
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

    async fn rotate_admin_csrf(&self, hash: &str, csrf_hash: &str) -> Result<bool> {
        self.set_existing(&Key::Admin(hash).pk(), "csrf_hash", s(csrf_hash))
            .await
    }

    async fn put_handoff(&self, hash: &str, user_name: &str, expires_at: i64) -> Result<()> {
        let mut item = Item::new();
        item.insert(PK.into(), s(&Key::Handoff(hash).pk()));
        item.insert("user_name".into(), s(user_name));
        item.insert(EXPIRES_AT.into(), n(expires_at));
        self.put_fresh(item).await
    }

    async fn take_handoff(&self, hash: &str, now: i64) -> Result<Option<String>> {
        let taken = self.take_live(&Key::Handoff(hash).pk(), now, None).await?;
        taken.map(|item| get_s(&item, "user_name")).transpose()
    }

    async fn delete_admin_session(&self, hash: &str) -> Result<()> {
        self.delete_existing(&Key::Admin(hash).pk())
            .await
            .map(|_| ())
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
        let pk = Key::ApiKey(id).pk();
        self.set_existing(&pk, "disabled", AttributeValue::Bool(true))
            .await
    }

    async fn delete_api_key(&self, id: &str) -> Result<bool> {
        self.delete_existing(&Key::ApiKey(id).pk()).await
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
        let key = match kind {
            "widget" => Key::Session(hash),
            "admin" => Key::Admin(hash),
            _ => return Err(Error::bad_request("kind must be widget or admin")),
        };
        self.delete_existing(&key.pk()).await
    }
}

impl OneTimeStore for DynamoStore {
    async fn redeem_once(&self, kind: &str, hash: &str, expires_at: i64) -> Result<bool> {
        let mut item = Item::new();
        item.insert(PK.into(), s(&Key::Used { kind, hash }.pk()));
        item.insert(EXPIRES_AT.into(), n(expires_at));
        self.put_new(item).await
    }
}

impl ApiKeyStore for DynamoStore {
    async fn get_api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>> {
        self.get(&Key::ApiKey(id).pk())
            .await?
            .map(|item| api_key_from_item(id, &item))
            .transpose()
    }

    async fn put_api_key(&self, record: &ApiKeyRecord) -> Result<()> {
        self.put_fresh(api_key_item(record)).await
    }

    async fn touch_api_key(&self, id: &str, at: i64) -> Result<()> {
        let pk = Key::ApiKey(id).pk();
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
