//! Applications and grants (README "Applications and sharing"): `app#` (with `papp#`
//! while public) and a grant's `grant#` and `ugrant#` items, each set written in one
//! transaction; the listings are Queries of `gsi1`.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::users::{REV, USER_ID, bad, internal};
use super::*;
use crate::credentials::apps::{App, AppGrant, AppRecords, AppStore, Visibility};
use crate::records::access::Request;
use crate::records::key::prefix::{OWNER_INDEX, PUBLIC_APPS_INDEX, USER_GRANTS_INDEX};
use crate::records::key::{GSI1, GSI1_PK, GSI1_SK};

const APP_ID: &str = "app_id";
const OWNER: &str = "owner";
const NAME: &str = "name";
const VISIBILITY: &str = "visibility";
const PERMISSIONS: &str = "permissions";
const ASSET_PERMISSIONS: &str = "asset_permissions";

fn app_item(a: &App) -> Item {
    let mut i = Item::new();
    i.insert(PK.into(), s(&Key::App(&a.id).pk()));
    i.insert(OWNER.into(), s(&a.owner));
    i.insert(NAME.into(), s(&a.name));
    i.insert(VISIBILITY.into(), s(a.visibility.as_str()));
    i.insert(REV.into(), n(a.rev as i64));
    i.insert("created_at".into(), n(a.created_at));
    i.insert("updated_at".into(), n(a.updated_at));
    i.insert(GSI1_PK.into(), s(&format!("{OWNER_INDEX}{}", a.owner)));
    i.insert(GSI1_SK.into(), s(&a.id));
    i
}

fn app_from(i: &Item) -> Result<App> {
    let visibility = get_s(i, VISIBILITY)?;
    Ok(App {
        id: get_s(i, PK)?
            .strip_prefix(crate::records::key::prefix::APP)
            .ok_or_else(|| bad("app key"))?
            .to_owned(),
        owner: get_s(i, OWNER)?,
        name: get_s(i, NAME)?,
        visibility: Visibility::parse(&visibility).ok_or_else(|| bad("app visibility"))?,
        created_at: get_n(i, "created_at")?.unwrap_or(0),
        updated_at: get_n(i, "updated_at")?.unwrap_or(0),
        rev: get_n(i, REV)?.unwrap_or(0).max(0) as u64,
    })
}

fn public_item(app: &str) -> Item {
    let mut i = Item::new();
    i.insert(PK.into(), s(&Key::PublicApp(app).pk()));
    i.insert(GSI1_PK.into(), s(PUBLIC_APPS_INDEX));
    i.insert(GSI1_SK.into(), s(app));
    i
}

/// A permission schema as stored: its JSON.
fn json_attr<T: serde::Serialize>(v: &T) -> Result<AttributeValue> {
    serde_json::to_string(v).map(|j| s(&j)).map_err(internal)
}

fn json_from<T: serde::de::DeserializeOwned>(i: &Item, k: &str) -> Result<Option<T>> {
    get_opt_s(i, k)
        .map(|j| serde_json::from_str(&j).map_err(|_| bad(k)))
        .transpose()
}

/// `ugrant#<user>`: the `gsi1` partition of a user's grants.
fn user_grants_partition(user: &str) -> String {
    format!("{USER_GRANTS_INDEX}{user}")
}

/// Both keys of each of `user`'s grants on `apps` (deleted with the user).
pub(super) fn grant_keys<'a>(
    user: &'a str,
    apps: &'a [String],
) -> impl Iterator<Item = String> + 'a {
    apps.iter().flat_map(move |app| {
        [
            Key::Grant { app, user }.pk(),
            Key::UserGrant { user, app }.pk(),
        ]
    })
}

fn grant_items(g: &AppGrant) -> Result<[Item; 2]> {
    let (app, user) = (g.app_id.as_str(), g.user_id.as_str());
    let mut grant = Item::new();
    grant.insert(PK.into(), s(&Key::Grant { app, user }.pk()));
    grant.insert(APP_ID.into(), s(app));
    grant.insert(USER_ID.into(), s(user));
    if let Some(p) = &g.permissions {
        grant.insert(PERMISSIONS.into(), json_attr(p)?);
    }
    if let Some(p) = &g.asset_permissions {
        grant.insert(ASSET_PERMISSIONS.into(), json_attr(p)?);
    }
    grant.insert("granted_by".into(), s(&g.granted_by));
    grant.insert("created_at".into(), n(g.created_at));
    grant.insert(GSI1_PK.into(), s(&Key::App(app).pk()));
    grant.insert(GSI1_SK.into(), s(user));
    let mut listed = Item::new();
    let key = Key::UserGrant { user, app }.pk();
    listed.insert(PK.into(), s(&key));
    listed.insert(APP_ID.into(), s(app));
    listed.insert(USER_ID.into(), s(user));
    listed.insert(GSI1_PK.into(), s(&user_grants_partition(user)));
    listed.insert(GSI1_SK.into(), s(app));
    Ok([grant, listed])
}

fn grant_from(i: &Item) -> Result<AppGrant> {
    Ok(AppGrant {
        app_id: get_s(i, APP_ID)?,
        user_id: get_s(i, USER_ID)?,
        permissions: json_from(i, PERMISSIONS)?,
        asset_permissions: json_from(i, ASSET_PERMISSIONS)?,
        granted_by: get_opt_s(i, "granted_by").unwrap_or_default(),
        created_at: get_n(i, "created_at")?.unwrap_or(0),
    })
}

impl DynamoStore {
    /// A transaction's unconditional put (a grant replaces the one it supersedes).
    fn put_in_transaction(&self, item: Item) -> Result<TransactWriteItem> {
        self.allow(Request::put(&get_s(&item, PK)?, &names(&item)))?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The transaction's puts of both items of `grant` (also written with a user a
    /// grant by e-mail invites).
    pub(super) fn grant_puts(&self, grant: &AppGrant) -> Result<Vec<TransactWriteItem>> {
        grant_items(grant)?
            .into_iter()
            .map(|i| self.put_in_transaction(i))
            .collect()
    }

    /// The app's put, only over the revision `old` read.
    fn app_put_if_unchanged(&self, new: &App, old: &App) -> Result<TransactWriteItem> {
        let item = app_item(new);
        self.allow(Request::put(&get_s(&item, PK)?, &names(&item)))?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("#rev = :rev")
            .expression_attribute_names("#rev", REV)
            .expression_attribute_values(":rev", n(old.rev as i64))
            .build()
            .map_err(internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Every item of one `gsi1` partition (paginated; the index is eventually
    /// consistent).
    async fn index_partition(&self, partition: &str) -> Result<Vec<Item>> {
        self.allow(Request::query(GSI1, partition))?;
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("#p = :p")
            .expression_attribute_names("#p", GSI1_PK)
            .expression_attribute_values(":p", s(partition))
            .into_paginator()
            .send();
        let mut items = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::dependency(SERVICE, e))?;
            items.extend(page.items().iter().cloned());
        }
        Ok(items)
    }

    /// The `gsi1sk` of every item of one partition.
    async fn index_ids(&self, partition: &str) -> Result<Vec<String>> {
        let items = self.index_partition(partition).await?;
        items.iter().map(|i| get_s(i, GSI1_SK)).collect()
    }
}

impl AppRecords for DynamoStore {
    async fn get_app(&self, id: &str) -> Result<Option<App>> {
        let item = self.get(&Key::App(id).pk()).await?;
        item.as_ref().map(app_from).transpose()
    }

    async fn get_grant(&self, app: &str, user: &str) -> Result<Option<AppGrant>> {
        let item = self.get(&Key::Grant { app, user }.pk()).await?;
        item.as_ref().map(grant_from).transpose()
    }
}

impl AppStore for DynamoStore {
    async fn create_app(&self, app: &App) -> Result<bool> {
        let mut items = vec![self.put_new_in_transaction(app_item(app))?];
        if app.visibility == Visibility::Public {
            items.push(self.put_in_transaction(public_item(&app.id))?);
        }
        self.transact(items).await
    }

    async fn update_app(&self, old: &App, new: &App) -> Result<bool> {
        let mut items = vec![self.app_put_if_unchanged(new, old)?];
        match (old.visibility, new.visibility) {
            (Visibility::Shared, Visibility::Public) => {
                items.push(self.put_in_transaction(public_item(&new.id))?);
            }
            (Visibility::Public, Visibility::Shared) => {
                items.push(self.delete_in_transaction(&Key::PublicApp(&new.id).pk())?);
            }
            _ => {}
        }
        self.transact(items).await
    }

    async fn put_grant(&self, grant: &AppGrant) -> Result<()> {
        let items = self.grant_puts(grant)?;
        if self.transact(items).await? {
            Ok(())
        } else {
            Err(Error::Busy("grant"))
        }
    }

    async fn remove_grant(&self, app: &str, user: &str) -> Result<bool> {
        let grant = Key::Grant { app, user }.pk();
        let items = vec![
            self.delete_if_in_transaction(&grant, "attribute_exists(#pk)", &[("#pk", PK)], vec![])?,
            self.delete_in_transaction(&Key::UserGrant { user, app }.pk())?,
        ];
        self.transact(items).await
    }

    async fn app_grants(&self, app: &str) -> Result<Vec<AppGrant>> {
        let items = self.index_partition(&Key::App(app).pk()).await?;
        items.iter().map(grant_from).collect()
    }

    async fn user_grant_apps(&self, user: &str) -> Result<Vec<String>> {
        self.index_ids(&user_grants_partition(user)).await
    }

    async fn owned_apps(&self, owner: &str) -> Result<Vec<String>> {
        self.index_ids(&format!("{OWNER_INDEX}{owner}")).await
    }

    async fn public_apps(&self) -> Result<Vec<String>> {
        self.index_ids(PUBLIC_APPS_INDEX).await
    }

    async fn list_apps(&self) -> Result<Vec<App>> {
        let items = self.scan_prefix(crate::records::key::prefix::APP).await?;
        let mut apps = items.iter().map(app_from).collect::<Result<Vec<_>>>()?;
        apps.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(apps)
    }
}
