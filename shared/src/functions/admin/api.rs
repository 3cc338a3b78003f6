//! The admin API: API keys, OAuth clients, sessions and signing keys; the people
//! (`users.rs`, `invites.rs`), runtime settings (`settings.rs`), identity providers
//! (`idps.rs`) and applications (`apps.rs`) routes are dispatched from here.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::*;

impl<I, S, K, M, O> AdminFunction<I, S, K, M, O>
where
    I: AdminIdentity,
    S: AdminPorts,
    K: AdminSecrets,
    M: Mailer,
    O: OidcHttp,
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

    async fn write_clients(&self, list: &[Value]) -> Result<()> {
        let text = serde_json::to_string(list)
            .map_err(|e| Error::Internal(format!("CLIENT_SECRETS: {e}")))?;
        self.secrets.put(self.client_secrets_id()?, &text).await
    }

    /// The admin API: one method per route. Each answers the JSON of a 200; a request's
    /// body is parsed (and refused when malformed) only on a route that takes one.
    pub(super) async fn api(&self, req: &Request, user: &str) -> Result<Response> {
        let now = crate::primitives::time::now_epoch();
        match (req.method().as_str(), req.uri().path()) {
            ("GET", "/admin/keys") => self.list_keys().await.map(ok),
            ("POST", "/admin/keys") => self.create_key(body(req)?, user, now).await.map(ok),
            ("POST", "/admin/keys/disable") => self.disable_key(body(req)?, user).await.map(ok),
            ("POST", "/admin/keys/delete") => self.delete_key(body(req)?, user).await.map(ok),
            ("GET", "/admin/clients") => self.list_clients(user).await.map(ok),
            ("POST", "/admin/clients") => self.add_client(body(req)?, user).await.map(ok),
            ("POST", "/admin/clients/disable") => {
                self.disable_client(body(req)?, user).await.map(ok)
            }
            ("GET", "/admin/sessions") => self.list_sessions(now).await.map(ok),
            ("POST", "/admin/sessions/revoke") => {
                self.revoke_session(body(req)?, user).await.map(ok)
            }
            ("POST", "/admin/sessions/revoke-user") => {
                self.revoke_user(body(req)?, user, now).await.map(ok)
            }
            // Invites (functions/admin/invites.rs).
            ("POST", "/admin/users") => self.create_user(body(req)?, user, now).await.map(ok),
            ("POST", "/admin/users/reset-credentials") => {
                self.reset_credentials(body(req)?, user, now).await.map(ok)
            }
            ("POST", "/admin/console/handoff") => self.handoff(user, now).await.map(ok),
            ("POST", "/admin/signing-keys/rotate") => self
                .rotate_signing_keys(body(req)?, user, now)
                .await
                .map(ok),
            _ => self.module_api(req, user).await,
        }
    }

    /// The routes of the admin modules: people, settings, providers, applications.
    async fn module_api(&self, req: &Request, user: &str) -> Result<Response> {
        if let Some(answer) = self.users_api(req, user).await {
            return answer;
        }
        if let Some(answer) = self.settings_api(req, user).await {
            return answer;
        }
        if let Some(answer) = self.idps_api(req, user).await {
            return answer;
        }
        if let Some(answer) = self.apps_api(req, user).await {
            return answer;
        }
        Err(Error::NotFound)
    }

    /// `GET /admin/keys`: every key's metadata (never its value or hash).
    async fn list_keys(&self) -> Result<KeyList> {
        let keys = self.store.list_api_keys().await?;
        Ok(KeyList {
            keys: keys.into_iter().map(KeyInfo::from).collect(),
        })
    }

    /// `POST /admin/keys`: a new key; its value is in this answer only.
    async fn create_key(&self, b: NewKey, user: &str, now: i64) -> Result<CreatedKey> {
        let new = apikey::generate(&b.name, b.scopes, b.expires_at, now)?;
        self.store.put_api_key(&new.record).await?;
        tracing::info!(event = "admin_api", user, action = "key_create", key_id = %new.record.id);
        Ok(CreatedKey {
            key: apikey::reveal(&new.key).to_owned(),
            id: new.record.id,
            scopes: new.record.scopes,
            last4: new.record.last4,
        })
    }

    /// `POST /admin/keys/disable`.
    async fn disable_key(&self, b: KeyId, user: &str) -> Result<KeyDisabled> {
        if !self.store.set_api_key_disabled(&b.id).await? {
            return Err(Error::NotFound);
        }
        tracing::info!(event = "admin_api", user, action = "key_disable", key_id = %b.id);
        Ok(KeyDisabled {
            id: b.id,
            disabled: true,
        })
    }

    /// `POST /admin/keys/delete`.
    async fn delete_key(&self, b: KeyId, user: &str) -> Result<KeyDeleted> {
        if !self.store.delete_api_key(&b.id).await? {
            return Err(Error::NotFound);
        }
        tracing::info!(event = "admin_api", user, action = "key_delete", key_id = %b.id);
        Ok(KeyDeleted {
            id: b.id,
            deleted: true,
        })
    }

    /// `GET /admin/clients`: every client's id, kind and weakness (never a secret or
    /// hash).
    async fn list_clients(&self, user: &str) -> Result<ClientListing> {
        let value = self.secrets.fetch(self.client_secrets_id()?).await?;
        let clients: Vec<ClientSummary> = ClientList::parse(value.expose_secret())?.summary();
        tracing::info!(
            event = "admin_api",
            user,
            action = "client_list",
            clients = clients.len()
        );
        Ok(ClientListing { clients })
    }

    /// `POST /admin/clients`: a new hashed client; its secret is in this answer only.
    async fn add_client(&self, _: NewClient, user: &str) -> Result<CreatedClient> {
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
        Ok(CreatedClient {
            client_id: client_id.to_string(),
            client_secret: secret,
        })
    }

    /// `POST /admin/clients/disable`: the client's entry becomes `"disabled"` (ids are
    /// positions, so it stays in the list).
    async fn disable_client(&self, b: ClientId, user: &str) -> Result<ClientDisabled> {
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
        Ok(ClientDisabled {
            client_id: b.client_id.to_string(),
            disabled: true,
        })
    }

    /// `GET /admin/sessions`: the live widget and admin sessions.
    async fn list_sessions(&self, now: i64) -> Result<SessionListing> {
        Ok(SessionListing {
            sessions: self.store.list_sessions(now).await?,
        })
    }

    /// `POST /admin/sessions/revoke`: one session by kind and id hash.
    async fn revoke_session(&self, b: RevokeSession, user: &str) -> Result<Revoked> {
        if !self
            .store
            .delete_session_by_hash(&b.kind, &b.id_hash)
            .await?
        {
            return Err(Error::NotFound);
        }
        tracing::info!(event = "admin_api", user, action = "session_revoke", kind = %b.kind);
        Ok(Revoked { revoked: 1 })
    }

    /// `POST /admin/sessions/revoke-user`: every session of one user.
    async fn revoke_user(&self, b: RevokeUser, user: &str, now: i64) -> Result<Revoked> {
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
        Ok(Revoked { revoked: n })
    }

    /// `POST /admin/signing-keys/rotate`: a direct rotation under the `signing-keys` lock.
    async fn rotate_signing_keys(&self, b: Rotate, user: &str, now: i64) -> Result<Rotated> {
        let secret = Config::require(&self.config.signing_keys_secret, "SIGNING_KEYS_SECRET_ARN")?;
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
        Ok(Rotated::new(outcome, self.config.key_ring_refresh))
    }
}

/// A 200 with the answer's JSON.
pub(super) fn ok(answer: impl serde::Serialize) -> Response {
    json(StatusCode::OK, &answer)
}

/// A route's JSON body; none at all reads as `{}` (the CLI sends none when a command
/// has no arguments).
pub(super) fn body<T: DeserializeOwned>(req: &Request) -> Result<T> {
    let value = if req.body().as_ref().is_empty() {
        Value::Object(Default::default())
    } else {
        read_json(req.headers(), req.body().as_ref())?
    };
    from_json(value)
}
