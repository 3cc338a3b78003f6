//! The applications' records through the users function's restricted store, against
//! DynamoDB Local (README "Applications and sharing"): an app with its `papp#` item in
//! the same transaction as its visibility, a taken id refused, updates conditional on
//! the revision read, a grant's two items written and removed together, and each
//! listing on `gsi1`.

use gatehouse::authz::permissions::{AssetIds, AssetPermissions};
use gatehouse::credentials::apps::{App, AppGrant, AppRecords, AppStore, Visibility};
use gatehouse::records::access::Function;
use gatehouse::records::prefix;
use gatehouse_e2e as common;

fn app(id: &str, owner: &str, visibility: Visibility) -> App {
    App::new(id, owner, format!("App {id}"), visibility, 100)
}

/// The keys of the table's items under `prefix`, sorted.
async fn keys(store: &gatehouse::adapters::DynamoStore, prefix: &str) -> Vec<String> {
    let out = store
        .client()
        .scan()
        .table_name(store.table())
        .consistent_read(true);
    let items = out.send().await.unwrap().items().to_vec();
    let mut k: Vec<String> = items
        .iter()
        .filter_map(|i| i.get("pk")?.as_s().ok().cloned())
        .filter(|k| k.starts_with(prefix))
        .collect();
    k.sort();
    k
}

/// A listing read from `gsi1` (eventually consistent: DynamoDB Local is at once).
fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn apps_and_grants_are_written_in_transactions_and_listed_on_the_index() {
    let operator = common::fresh_store().await;
    let store = common::as_function(&operator, Function::Users);
    let public = app("pub-1", "owner-a", Visibility::Public);
    let shared = app("shared_1", "owner-a", Visibility::Shared);
    assert!(store.create_app(&public).await.unwrap());
    assert!(store.create_app(&shared).await.unwrap());
    let taken = app("pub-1", "owner-b", Visibility::Shared);
    assert!(!store.create_app(&taken).await.unwrap(), "a taken id");
    assert_eq!(store.get_app("pub-1").await.unwrap(), Some(public.clone()));
    assert_eq!(keys(&operator, prefix::PUBLIC_APP).await, ["papp#pub-1"]);
    assert_eq!(
        sorted(store.owned_apps("owner-a").await.unwrap()),
        ["pub-1", "shared_1"]
    );
    assert!(store.owned_apps("owner-b").await.unwrap().is_empty());
    assert_eq!(store.public_apps().await.unwrap(), ["pub-1"]);

    // The visibility and its listing item change together, over the revision read.
    let mut flipped = public.clone();
    (flipped.visibility, flipped.rev, flipped.updated_at) = (Visibility::Shared, 1, 200);
    assert!(store.update_app(&public, &flipped).await.unwrap());
    assert!(keys(&operator, prefix::PUBLIC_APP).await.is_empty());
    assert!(
        !store.update_app(&public, &flipped).await.unwrap(),
        "a stale revision"
    );
    let mut back = flipped.clone();
    (back.visibility, back.rev) = (Visibility::Public, 2);
    assert!(store.update_app(&flipped, &back).await.unwrap());
    assert_eq!(store.public_apps().await.unwrap(), ["pub-1"]);

    // A grant is two items, written, replaced and removed together.
    let grant = AppGrant {
        app_id: "shared_1".into(),
        user_id: "user-x".into(),
        permissions: None,
        asset_permissions: Some(AssetPermissions {
            dashboards: Some(AssetIds {
                ids: vec!["d1".into()],
            }),
            ..AssetPermissions::default()
        }),
        granted_by: "owner-a".into(),
        created_at: 300,
    };
    store.put_grant(&grant).await.unwrap();
    store.put_grant(&grant).await.unwrap();
    assert_eq!(
        keys(&operator, prefix::GRANT).await,
        ["grant#shared_1#user-x"]
    );
    assert_eq!(
        keys(&operator, prefix::USER_GRANT).await,
        ["ugrant#user-x#shared_1"]
    );
    assert_eq!(
        store.get_grant("shared_1", "user-x").await.unwrap(),
        Some(grant.clone())
    );
    assert_eq!(store.get_grant("shared_1", "user-y").await.unwrap(), None);
    assert_eq!(store.app_grants("shared_1").await.unwrap(), [grant]);
    assert_eq!(store.user_grant_apps("user-x").await.unwrap(), ["shared_1"]);
    assert!(store.remove_grant("shared_1", "user-x").await.unwrap());
    assert!(
        !store.remove_grant("shared_1", "user-x").await.unwrap(),
        "gone"
    );
    assert!(keys(&operator, prefix::GRANT).await.is_empty());
    assert!(keys(&operator, prefix::USER_GRANT).await.is_empty());
    assert!(store.user_grant_apps("user-x").await.unwrap().is_empty());
}
