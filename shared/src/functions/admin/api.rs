//! The admin API: API keys, OAuth clients, sessions and signing keys.

use super::*;

impl<I, S, K> AdminFunction<I, S, K>
where
    I: AdminIdentity,
    S: AdminPorts,
    K: AdminSecrets,
{
    fn client_secrets_id(&self) -> Result<&str> {
        Config::require(
            &self.config.client_secrets_secret,
            "CLIENT_SECRETS_SECRET_ARN",
        )
    }

    async fn read_clients(&self) -> Result<Vec<Value>> {
        let value = self.secrets.fetch(self.client_secrets_id()?).await?;
        serde_json::from_str(value.expose_secret())
            .map_err(|_| Error::Internal("CLIENT_SECRETS is not a JSON array".into()))
    }

    /// Every client's id, kind and weakness (never a secret or hash).
    async fn list_clients(&self) -> Result<Vec<ClientSummary>> {
        let value = self.secrets.fetch(self.client_secrets_id()?).await?;
        Ok(ClientList::parse(value.expose_secret())?.summary())
    }

    async fn write_clients(&self, list: &[Value]) -> Result<()> {
        let text = serde_json::to_string(list)
            .map_err(|e| Error::Internal(format!("CLIENT_SECRETS: {e}")))?;
        self.secrets.put(self.client_secrets_id()?, &text).await
    }

    pub(super) async fn api(&self, req: &Request, user: &str) -> Result<Response> {
        let body = || -> Result<Value> {
            if req.body().as_ref().is_empty() {
                Ok(json!({}))
            } else {
                read_json(req.headers(), req.body().as_ref())
            }
        };
        let now = crate::primitives::time::now_epoch();
        let ok = |v: Value| Ok(json(StatusCode::OK, &v));
        match (req.method().as_str(), req.uri().path()) {
            ("GET", "/admin/keys") => {
                let keys: Vec<Value> = self.store.list_api_keys().await?.into_iter().map(|k| json!({
                    "id": k.id, "name": k.name, "scopes": k.scopes, "created_at": k.created_at,
                    "expires_at": k.expires_at, "disabled": k.disabled, "last4": k.last4, "last_used": k.last_used,
                })).collect();
                ok(json!({ "keys": keys }))
            }
            ("POST", "/admin/keys") => {
                let b: NewKey = from_json(body()?)?;
                let new = apikey::generate(&b.name, b.scopes, b.expires_at, now)?;
                self.store.put_api_key(&new.record).await?;
                tracing::info!(event = "admin_api", user, action = "key_create", key_id = %new.record.id);
                ok(
                    json!({ "key": apikey::reveal(&new.key), "id": new.record.id, "scopes": new.record.scopes, "last4": new.record.last4 }),
                )
            }
            ("POST", "/admin/keys/disable") => {
                let b: KeyId = from_json(body()?)?;
                if !self.store.set_api_key_disabled(&b.id).await? {
                    return Err(Error::NotFound);
                }
                tracing::info!(event = "admin_api", user, action = "key_disable", key_id = %b.id);
                ok(json!({ "id": b.id, "disabled": true }))
            }
            ("POST", "/admin/keys/delete") => {
                let b: KeyId = from_json(body()?)?;
                if !self.store.delete_api_key(&b.id).await? {
                    return Err(Error::NotFound);
                }
                tracing::info!(event = "admin_api", user, action = "key_delete", key_id = %b.id);
                ok(json!({ "id": b.id, "deleted": true }))
            }
            ("GET", "/admin/clients") => {
                let clients = self.list_clients().await?;
                tracing::info!(
                    event = "admin_api",
                    user,
                    action = "client_list",
                    clients = clients.len()
                );
                ok(json!({ "clients": clients }))
            }
            ("POST", "/admin/clients") => {
                let _: NewClient = from_json(body()?)?;
                let secret = hex::encode(crate::primitives::crypto::random_bytes(32));
                let entry = ClientList::hashed_entry(&secret);
                let client_id = lock::locked(&self.store, lock::CLIENT_SECRETS, async || {
                    let mut list = self.read_clients().await?;
                    list.push(entry.clone().into());
                    self.write_clients(&list).await?;
                    Ok(list.len())
                })
                .await?;
                tracing::info!(event = "admin_api", user, action = "client_add", client_id);
                ok(json!({ "client_id": client_id.to_string(), "client_secret": secret }))
            }
            ("POST", "/admin/clients/disable") => {
                let b: ClientId = from_json(body()?)?;
                lock::locked(&self.store, lock::CLIENT_SECRETS, async || {
                    let mut list = self.read_clients().await?;
                    let slot = list
                        .get_mut((b.client_id as usize).wrapping_sub(1))
                        .ok_or(Error::NotFound)?;
                    *slot = "disabled".into();
                    self.write_clients(&list).await
                })
                .await?;
                tracing::info!(
                    event = "admin_api",
                    user,
                    action = "client_disable",
                    client_id = b.client_id
                );
                ok(json!({ "client_id": b.client_id.to_string(), "disabled": true }))
            }
            ("GET", "/admin/sessions") => {
                ok(json!({ "sessions": self.store.list_sessions(now).await? }))
            }
            ("POST", "/admin/sessions/revoke") => {
                let b: RevokeSession = from_json(body()?)?;
                if !self
                    .store
                    .delete_session_by_hash(&b.kind, &b.id_hash)
                    .await?
                {
                    return Err(Error::NotFound);
                }
                tracing::info!(event = "admin_api", user, action = "session_revoke", kind = %b.kind);
                ok(json!({ "revoked": 1 }))
            }
            ("POST", "/admin/sessions/revoke-user") => {
                let b: RevokeUser = from_json(body()?)?;
                let mut n = 0;
                for s in self
                    .store
                    .list_sessions(now)
                    .await?
                    .into_iter()
                    .filter(|s| s.user == b.userid)
                {
                    if self
                        .store
                        .delete_session_by_hash(s.kind, &s.id_hash)
                        .await?
                    {
                        n += 1;
                    }
                }
                tracing::info!(
                    event = "admin_api",
                    user,
                    action = "session_revoke_user",
                    revoked = n
                );
                ok(json!({ "revoked": n }))
            }
            ("POST", "/admin/signing-keys/rotate") => {
                let b: Rotate = from_json(body()?)?;
                let secret =
                    Config::require(&self.config.signing_keys_secret, "SIGNING_KEYS_SECRET_ARN")?;
                let policy = RotationPolicy {
                    alg: self.config.signing_alg,
                    min_interval_secs: self.config.rotation_min_interval().as_secs() as i64,
                };
                // rotate_now does not take the lock itself (it is not reentrant).
                let outcome = lock::locked(&self.store, lock::SIGNING_KEYS, async || {
                    rotation::rotate_now(&self.secrets, policy, secret, now, b.force).await
                })
                .await?;
                let dropped = outcome.dropped_kids.join(" ");
                tracing::warn!(event = "admin_api", user, action = "signing_keys_rotate", force = b.force, outcome = outcome.kind.as_str(), current_kid = %outcome.current_kid, next_kid = %outcome.next_kid, dropped_kids = %dropped);
                ok(outcome.answer(self.config.key_ring_refresh))
            }
            _ => Err(Error::NotFound),
        }
    }
}
