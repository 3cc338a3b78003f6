//! The DynamoDB adapter for every record type ([`crate::records::key`] lists them).

mod apps;
mod credentials;
mod directory;
mod identities;
mod idps;
mod invites;
mod settings;
mod shared;
mod signup;
mod sso;
mod users;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{Error, Result};
use crate::primitives::metrics::Service;
use crate::records::access::{Function, Request};
use crate::records::key::{EXPIRES_AT, Key, PK};

const SERVICE: Service = Service::DynamoDb;

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

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}

type Item = HashMap<String, AttributeValue>;

pub(crate) fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

pub(crate) fn n(v: i64) -> AttributeValue {
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

fn is_conditional_failure<E: ProvideErrorMetadata>(e: &E) -> bool {
    matches!(
        e.code(),
        Some("ConditionalCheckFailedException" | "TransactionCanceledException")
    )
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

    /// Deletes the item `pk` if it is live at `now` and, when `equal` is given, its
    /// attribute holds that value: the item as it was, or `None` (nothing deleted).
    /// One winner however many callers race (a conditional delete).
    async fn take_live(
        &self,
        pk: &str,
        now: i64,
        equal: Option<(&'static str, &str)>,
    ) -> Result<Option<Item>> {
        self.allow(Request::delete(pk))?;
        let mut condition = "attribute_exists(#pk) AND #e > :now".to_owned();
        let mut req = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#e", EXPIRES_AT)
            .expression_attribute_values(":now", n(now))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld);
        if let Some((attr, value)) = equal {
            condition.push_str(" AND #q = :q");
            req = req
                .expression_attribute_names("#q", attr)
                .expression_attribute_values(":q", s(value));
        }
        match req.condition_expression(condition).send().await {
            Ok(out) => Ok(out.attributes),
            Err(e) if e.as_service_error().is_some_and(is_conditional_failure) => Ok(None),
            Err(e) => Err(Error::dependency(SERVICE, e)),
        }
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

    /// A transaction's put of `item`, only if its key is absent or its `expires_at` is
    /// before `free_before` (a record whose time is up counts as absent: TTL deletion
    /// is lazy).
    fn put_over_expired_in_transaction(
        &self,
        item: Item,
        free_before: i64,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem> {
        self.put_if_free_in_transaction(item, free_before, None)
    }

    /// [`Self::put_over_expired_in_transaction`], also over an item whose `user_id` is
    /// `held_by` (a holder the same transaction deletes).
    fn put_if_free_in_transaction(
        &self,
        item: Item,
        free_before: i64,
        held_by: Option<&str>,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem> {
        use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
        self.allow(Request::put(&get_s(&item, PK)?, &names(&item)))?;
        let free = "attribute_not_exists(#pk) OR #exp < :t";
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#exp", EXPIRES_AT)
            .expression_attribute_values(":t", n(free_before));
        put = match held_by {
            None => put.condition_expression(free),
            Some(id) => put
                .condition_expression(format!("{free} OR #holder = :holder"))
                .expression_attribute_names("#holder", users::USER_ID)
                .expression_attribute_values(":holder", s(id)),
        };
        let put = put.build().map_err(|e| Error::Internal(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A transaction's delete of `pk`, only if `condition` holds, with its attribute
    /// names (`#alias`, attribute) and values (`:alias`, value).
    fn delete_if_in_transaction(
        &self,
        pk: &str,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem> {
        use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
        self.allow(Request::delete(pk))?;
        let mut d = Delete::builder()
            .table_name(&self.table)
            .key(PK, s(pk))
            .condition_expression(condition);
        for (alias, attr) in names {
            d = d.expression_attribute_names(*alias, *attr);
        }
        for (alias, v) in values {
            d = d.expression_attribute_values(alias, v);
        }
        let delete = d.build().map_err(|e| Error::Internal(e.to_string()))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
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

    /// Sets one attribute of the item `pk`, only if the item exists (an UpdateItem naming
    /// the key and that attribute, nothing returned). `Ok(false)`: no such item.
    async fn set_existing(&self, pk: &str, attribute: &str, value: AttributeValue) -> Result<bool> {
        self.allow(Request::update(pk, &[PK, attribute]))?;
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .update_expression("SET #a = :v")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(":v", value)
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
