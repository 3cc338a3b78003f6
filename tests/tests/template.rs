//! `template.yaml` and the local stack must agree: routes, authorizer placement, the
//! table's key schema and TTL, and the rotate function's one DynamoDB item.

use std::collections::BTreeSet;

use serde_yaml::Value;

fn template() -> Value {
    let path = format!("{}/../template.yaml", env!("CARGO_MANIFEST_DIR"));
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn resources(t: &Value) -> Vec<(String, &Value)> {
    t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_owned(), v))
        .collect()
}

#[test]
fn template_routes_match_the_local_gateway() {
    let t = template();
    let mut in_template = BTreeSet::new();
    for (id, res) in resources(&t) {
        if res["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let Some(events) = res["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for ev in events.values() {
            if ev["Type"] != "HttpApi" {
                continue;
            }
            let p = &ev["Properties"];
            let no_auth = p["Auth"]["Authorizer"].as_str() == Some("NONE");
            in_template.insert((
                p["Method"].as_str().unwrap().to_ascii_uppercase(),
                p["Path"].as_str().unwrap().to_owned(),
                id.clone(),
                !no_auth,
            ));
        }
    }
    let local: BTreeSet<_> = gatehouse_local::routes::ROUTES
        .iter()
        .map(|r| {
            (
                r.method.to_owned(),
                r.path.to_owned(),
                r.function.logical_id().to_owned(),
                r.authorizer,
            )
        })
        .collect();
    assert_eq!(
        in_template, local,
        "template.yaml routes and local/src/routes.rs differ"
    );
}

#[test]
fn api_uses_the_lambda_authorizer_without_caching_or_identity_source() {
    let t = template();
    let api = resources(&t)
        .into_iter()
        .find(|(_, r)| r["Type"] == "AWS::Serverless::HttpApi")
        .expect("an HttpApi")
        .1;
    let auth = &api["Properties"]["Auth"];
    let name = auth["DefaultAuthorizer"].as_str().unwrap();
    let a = &auth["Authorizers"][name];
    assert_eq!(a["AuthorizerPayloadFormatVersion"].as_str(), Some("2.0"));
    assert_eq!(a["Identity"]["ReauthorizeEvery"].as_i64(), Some(0));
    assert!(
        a["Identity"].get("Headers").is_none(),
        "no required identity source"
    );
    let cors = &api["Properties"]["CorsConfiguration"];
    assert_eq!(cors["AllowCredentials"].as_bool(), Some(true));
    assert_eq!(cors["MaxAge"].as_i64(), Some(600));
}

#[test]
fn table_matches_the_bootstrap() {
    let t = template();
    let table = resources(&t)
        .into_iter()
        .find(|(_, r)| r["Type"] == "AWS::DynamoDB::Table")
        .expect("a table")
        .1;
    let p = &table["Properties"];
    assert_eq!(
        p["KeySchema"][0]["AttributeName"].as_str(),
        Some(gatehouse::store::PK)
    );
    assert_eq!(p["KeySchema"][0]["KeyType"].as_str(), Some("HASH"));
    assert_eq!(
        p["AttributeDefinitions"][0]["AttributeType"].as_str(),
        Some("S")
    );
    assert_eq!(p["BillingMode"].as_str(), Some("PAY_PER_REQUEST"));
    assert_eq!(
        p["TimeToLiveSpecification"]["AttributeName"].as_str(),
        Some(gatehouse::store::EXPIRES_AT)
    );
    assert_eq!(
        p["TimeToLiveSpecification"]["Enabled"].as_bool(),
        Some(true)
    );
    assert_eq!(
        p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
        Some(true)
    );
    assert_eq!(p["SSESpecification"]["SSEEnabled"].as_bool(), Some(true));
}

#[test]
fn rotate_function_may_touch_only_the_signing_keys_lock_item() {
    let t = template();
    let f = &t["Resources"]["RotateFunction"]["Properties"];
    assert!(
        !f["Environment"]["Variables"]["TABLE_NAME"].is_null(),
        "the rotate function knows its table"
    );
    let statements: Vec<&Value> = f["Policies"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|p| p["Statement"].as_sequence().unwrap())
        .filter(|s| {
            s["Action"]
                .as_sequence()
                .unwrap()
                .iter()
                .any(|a| a.as_str().unwrap().starts_with("dynamodb:"))
        })
        .collect();
    assert_eq!(statements.len(), 1, "one DynamoDB statement");
    let s = statements[0];
    let actions: Vec<&str> = s["Action"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:DeleteItem"
        ]
    );
    let keys = &s["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"];
    let lock_pk = format!("lock#{}", gatehouse::lock::SIGNING_KEYS);
    assert_eq!(
        keys.as_sequence().unwrap(),
        &vec![Value::String(lock_pk)],
        "only the lock item the rotate function takes"
    );
}
