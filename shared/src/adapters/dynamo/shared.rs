//! Locks and rate counters in the table.

use super::*;
use crate::records::lock::LockStore;
use crate::records::rate::RateStore;

impl LockStore for DynamoStore {
    async fn try_lock(&self, name: &str, owner: &str, now: i64, expires_at: i64) -> Result<bool> {
        let pk = Key::Lock(name).pk();
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
        let pk = Key::Lock(name).pk();
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
        let pk = Key::Rate(key).pk();
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
        let pk = Key::Rate(key).pk();
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
        let pk = Key::Rate(key).pk();
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
