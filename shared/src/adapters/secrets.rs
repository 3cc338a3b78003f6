//! Secrets Manager as a [`SecretSource`] (the AWSCURRENT version) and as the rotation's
//! [`SecretVersions`].

use std::collections::HashMap;

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use secrecy::SecretString;

use crate::credentials::rotation::{AWSCURRENT, SecretVersions};
use crate::credentials::secrets::{SecretSource, SecretWriter};
use crate::error::{Error, Result};
use crate::primitives::metrics::Service;

const SERVICE: Service = Service::SecretsManager;

impl SecretSource for Client {
    async fn fetch(&self, secret_id: &str) -> Result<SecretString> {
        let out = self
            .get_secret_value()
            .secret_id(secret_id)
            .version_stage("AWSCURRENT")
            .send()
            .await
            .map_err(|e| Error::dependency(Service::SecretsManager, e))?;
        out.secret_string()
            .map(|s| SecretString::from(s.to_owned()))
            .ok_or_else(|| Error::Internal(format!("secret {secret_id} has no string value")))
    }
}

impl SecretVersions for Client {
    async fn versions(&self, secret_id: &str) -> Result<HashMap<String, Vec<String>>> {
        let out = self
            .describe_secret()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| Error::dependency(SERVICE, e))?;
        Ok(out.version_ids_to_stages().cloned().unwrap_or_default())
    }

    async fn value(
        &self,
        secret_id: &str,
        version_id: Option<&str>,
        stage: &str,
    ) -> Result<Option<String>> {
        let r = self
            .get_secret_value()
            .secret_id(secret_id)
            .set_version_id(version_id.map(str::to_owned))
            .version_stage(stage)
            .send()
            .await;
        match r {
            Ok(out) => Ok(out.secret_string().map(str::to_owned)),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(Error::dependency(SERVICE, e)),
        }
    }

    async fn current(&self, secret_id: &str) -> Result<Option<(String, String)>> {
        let r = self
            .get_secret_value()
            .secret_id(secret_id)
            .version_stage(AWSCURRENT)
            .send()
            .await;
        match r {
            Ok(out) => match (out.version_id(), out.secret_string()) {
                (Some(v), Some(s)) => Ok(Some((v.to_owned(), s.to_owned()))),
                _ => Err(Error::Internal(
                    "AWSCURRENT has no version id or no string value".into(),
                )),
            },
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(Error::dependency(SERVICE, e)),
        }
    }

    async fn put_pending(
        &self,
        secret_id: &str,
        token: &str,
        value: &str,
        stage: &str,
    ) -> Result<()> {
        self.put_secret_value()
            .secret_id(secret_id)
            .client_request_token(token)
            .secret_string(value)
            .version_stages(stage)
            .send()
            .await
            .map_err(|e| Error::dependency(SERVICE, e))?;
        Ok(())
    }

    async fn promote(
        &self,
        secret_id: &str,
        token: &str,
        from: Option<&str>,
        stage: &str,
    ) -> Result<()> {
        self.update_secret_version_stage()
            .secret_id(secret_id)
            .version_stage(AWSCURRENT)
            .move_to_version_id(token)
            .set_remove_from_version_id(from.map(str::to_owned))
            .send()
            .await
            .map_err(|e| Error::dependency(SERVICE, e))?;
        // The pending label has served its purpose.
        self.remove_stage(secret_id, token, stage).await
    }

    async fn remove_stage(&self, secret_id: &str, token: &str, stage: &str) -> Result<()> {
        self.update_secret_version_stage()
            .secret_id(secret_id)
            .version_stage(stage)
            .remove_from_version_id(token)
            .send()
            .await
            .map_err(|e| Error::dependency(SERVICE, e))?;
        Ok(())
    }
}

impl SecretWriter for Client {
    async fn put(&self, secret_id: &str, value: &str) -> Result<()> {
        self.put_secret_value()
            .secret_id(secret_id)
            .secret_string(value)
            .send()
            .await
            .map_err(|e| Error::dependency(SERVICE, e))?;
        Ok(())
    }
}
