//! `template.yaml` and the local stack must agree: routes, authorizer placement, the
//! table's key schema and TTL, and each role's DynamoDB statements with the access table
//! (the rotate function's one item among them).

use std::collections::BTreeSet;

use gatehouse::records::access::{Access, Function, Grant, Keys, On, Op};
use serde_yaml::value::{Tag, TaggedValue};
use serde_yaml::{Mapping, Value};

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

/// Every `HttpApi` event of the template: (method, path, function's logical id, whether
/// the authorizer runs).
pub(crate) fn template_routes() -> BTreeSet<(String, String, String, bool)> {
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
    in_template
}

#[test]
fn template_routes_match_the_local_gateway() {
    let local: BTreeSet<_> = gatehouse_local::routes::ROUTES
        .iter()
        .map(|r| {
            (
                r.method.to_owned(),
                r.path.to_owned(),
                r.function.logical_id().to_owned(),
                r.authorizer(),
            )
        })
        .collect();
    assert_eq!(
        template_routes(),
        local,
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
    // The local gateway answers preflights with exactly the template's headers.
    let headers: Vec<&str> = cors["AllowHeaders"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert_eq!(headers.join(","), gatehouse_local::gateway::ALLOW_HEADERS);
    assert!(headers.contains(&gatehouse::authz::APP_ID_HEADER));
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
        Some(gatehouse::records::key::PK)
    );
    assert_eq!(p["KeySchema"][0]["KeyType"].as_str(), Some("HASH"));
    assert_eq!(
        p["AttributeDefinitions"][0]["AttributeType"].as_str(),
        Some("S")
    );
    assert_eq!(p["BillingMode"].as_str(), Some("PAY_PER_REQUEST"));
    assert_eq!(
        p["TimeToLiveSpecification"]["AttributeName"].as_str(),
        Some(gatehouse::records::key::EXPIRES_AT)
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

/// `!GetAtt GatehouseTable.Arn`, or the ARN of one of its indexes.
fn table_resource(on: On) -> Value {
    let (tag, value) = match on {
        On::Table => ("GetAtt", "GatehouseTable.Arn".to_owned()),
        On::Index(name) => ("Sub", format!("${{GatehouseTable.Arn}}/index/{name}")),
    };
    Value::Tagged(Box::new(TaggedValue {
        tag: Tag::new(tag),
        value: Value::String(value),
    }))
}

fn strings<I: IntoIterator<Item = String>>(items: I) -> Value {
    let mut v: Vec<String> = items.into_iter().collect();
    v.sort();
    Value::Sequence(v.into_iter().map(Value::String).collect())
}

fn actions(ops: &[Op]) -> Value {
    strings(ops.iter().map(|o| o.action().to_owned()))
}

/// The IAM statement a grant of the access table stands for: `dynamodb:LeadingKeys`
/// under `ForAllValues:StringLike` when a value has a wildcard (`StringEquals` otherwise);
/// an attribute limit under `ForAllValues:StringEquals`, with `ReturnValues` NONE.
fn expected_statement(g: &Grant) -> Value {
    let mut condition = Mapping::new();
    let leading = if g.keys.iter().any(|k| matches!(k, Keys::Prefix(_))) {
        "ForAllValues:StringLike"
    } else {
        "ForAllValues:StringEquals"
    };
    let mut keys = Mapping::new();
    keys.insert(
        "dynamodb:LeadingKeys".into(),
        strings(g.keys.iter().map(|k| k.iam_value())),
    );
    condition.insert(leading.into(), Value::Mapping(keys));
    if let Some(attributes) = g.attributes {
        let entry = condition
            .entry("ForAllValues:StringEquals".into())
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        entry.as_mapping_mut().unwrap().insert(
            "dynamodb:Attributes".into(),
            strings(attributes.iter().map(|a| a.to_string())),
        );
        let mut rv = Mapping::new();
        rv.insert("dynamodb:ReturnValues".into(), "NONE".into());
        condition.insert("StringEqualsIfExists".into(), Value::Mapping(rv));
    }
    let mut s = Mapping::new();
    s.insert("Effect".into(), "Allow".into());
    s.insert("Action".into(), actions(g.ops));
    s.insert("Resource".into(), table_resource(g.on));
    s.insert("Condition".into(), Value::Mapping(condition));
    Value::Mapping(s)
}

fn expected_statements(f: Function) -> Vec<Value> {
    match f.access() {
        Access::Unrestricted { table, indexes } => {
            let statement = |ops: &[Op], on: On| {
                let mut s = Mapping::new();
                s.insert("Effect".into(), "Allow".into());
                s.insert("Action".into(), actions(ops));
                s.insert("Resource".into(), table_resource(on));
                Value::Mapping(s)
            };
            let mut out = vec![statement(table, On::Table)];
            out.extend(
                indexes
                    .iter()
                    .map(|i| statement(&[Op::Query], On::Index(i))),
            );
            out
        }
        Access::Only(grants) => grants.iter().map(expected_statement).collect(),
    }
}

/// Lists of strings sorted (their order means nothing to IAM), a lone action as a list.
fn normalised(v: &Value) -> Value {
    match v {
        Value::Sequence(items) if items.iter().all(Value::is_string) => {
            strings(items.iter().map(|i| i.as_str().unwrap().to_owned()))
        }
        Value::Mapping(m) => Value::Mapping(
            m.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        (Some("Action"), Value::String(a)) => strings([a.clone()]),
                        _ => normalised(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The statements of `function`'s inline policies that grant any DynamoDB action.
fn dynamodb_statements(id: &str, function: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for policy in function["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        let Some(statements) = policy["Statement"].as_sequence() else {
            assert!(
                !format!("{policy:?}").contains("DynamoDB"),
                "{id}: DynamoDB access only as inline statements the access table describes"
            );
            continue;
        };
        for st in statements {
            let st = normalised(st);
            let acts: Vec<&str> = st["Action"]
                .as_sequence()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let dynamo = acts.iter().filter(|a| a.starts_with("dynamodb:")).count();
            if dynamo == 0 {
                continue;
            }
            assert_eq!(
                dynamo,
                acts.len(),
                "{id}: keep DynamoDB actions in statements of their own"
            );
            out.push(st);
        }
    }
    out
}

fn sorted_yaml(statements: Vec<Value>) -> Vec<String> {
    let mut v: Vec<String> = statements
        .iter()
        .map(|s| serde_yaml::to_string(s).unwrap())
        .collect();
    v.sort();
    v
}

/// IAM is enforced by AWS only; locally the store checks the same table. This test keeps
/// the two equal: each role's DynamoDB statements are exactly its row of the access
/// table (docs/SECURITY.md, finding 2), and no other function touches the table.
#[test]
fn dynamodb_statements_match_the_access_table() {
    let t = template();
    let functions = resources(&t);
    for f in Function::ALL {
        let (id, res) = functions
            .iter()
            .find(|(id, _)| id == f.logical_id())
            .unwrap_or_else(|| panic!("{} missing from template.yaml", f.logical_id()));
        assert_eq!(
            sorted_yaml(dynamodb_statements(id, res)),
            sorted_yaml(expected_statements(f)),
            "{id}: DynamoDB statements differ from gatehouse::records::access ({f:?})"
        );
    }
    for (id, res) in &functions {
        if res["Type"] == "AWS::Serverless::Function"
            && !Function::ALL.iter().any(|f| f.logical_id() == id)
        {
            assert!(
                dynamodb_statements(id, res).is_empty(),
                "{id} touches the table but has no row in gatehouse::records::access"
            );
        }
    }
}

#[test]
fn no_restricted_role_can_scan() {
    let t = template();
    for f in Function::ALL {
        if let Access::Only(_) = f.access() {
            let res = &t["Resources"][f.logical_id()];
            for st in dynamodb_statements(f.logical_id(), res) {
                let acts = format!("{:?}", st["Action"]);
                assert!(!acts.contains("dynamodb:Scan"), "{}", f.logical_id());
                assert!(!acts.contains("dynamodb:*"), "{}", f.logical_id());
                assert!(
                    st.get("Condition").is_some(),
                    "{}: a restricted statement needs its key condition",
                    f.logical_id()
                );
            }
        }
    }
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
    let lock_pk = gatehouse::records::prefix::SIGNING_KEYS_LOCK.to_owned();
    assert_eq!(
        keys.as_sequence().unwrap(),
        &vec![Value::String(lock_pk)],
        "only the lock item the rotate function takes"
    );
}

/// `!Ref <name>` as serde_yaml reads it.
fn reference(name: &str) -> Value {
    Value::Tagged(Box::new(TaggedValue {
        tag: Tag::new("Ref"),
        value: Value::String(name.to_owned()),
    }))
}

#[test]
fn code_require_audience_reaches_the_token_function_and_needs_code_audience() {
    let t = template();
    let p = &t["Parameters"]["CodeRequireAudience"];
    assert_eq!(p["Default"], "false", "off by default (seed compatibility)");
    let env = &t["Resources"]["TokenFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(
        env["CODE_REQUIRE_AUDIENCE"],
        reference("CodeRequireAudience")
    );
    // The rule: when CodeRequireAudience is "true", CodeAudience is not empty.
    let mut rule = t["Rules"]["CodeAudienceWhenRequired"].clone();
    rule["Assertions"][0]
        .as_mapping_mut()
        .unwrap()
        .remove("AssertDescription");
    let expected: Value = serde_yaml::from_str(
        "RuleCondition: !Equals [!Ref CodeRequireAudience, \"true\"]\n\
         Assertions:\n  - Assert: !Not [!Equals [!Ref CodeAudience, \"\"]]\n",
    )
    .unwrap();
    assert_eq!(rule, expected);
}

/// The bootstrap (which every test table and `make run` use) creates, in DynamoDB Local,
/// the keys and indexes `GatehouseTable` declares: attribute types, key schema, and each
/// global secondary index's keys and projection.
#[tokio::test]
async fn the_bootstrap_creates_the_table_the_template_declares() {
    let store = gatehouse_e2e::fresh_store().await;
    let table = store
        .client()
        .describe_table()
        .table_name(store.table())
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let keys = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Vec<(String, String)> {
        schema
            .iter()
            .map(|k| (k.attribute_name.clone(), k.key_type.as_str().to_owned()))
            .collect()
    };
    let created = json_of(
        table.attribute_definitions().iter().map(|a| {
            (
                a.attribute_name.clone(),
                a.attribute_type.as_str().to_owned(),
            )
        }),
        keys(table.key_schema()),
        table.global_secondary_indexes().iter().map(|g| {
            (
                g.index_name.clone().unwrap_or_default(),
                keys(g.key_schema()),
                g.projection
                    .as_ref()
                    .and_then(|p| p.projection_type.as_ref())
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default(),
            )
        }),
    );
    let t = template();
    let p = &resources(&t)
        .into_iter()
        .find(|(_, r)| r["Type"] == "AWS::DynamoDB::Table")
        .expect("a table")
        .1["Properties"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let template_keys = |v: &Value| -> Vec<(String, String)> {
        v.as_sequence()
            .unwrap()
            .iter()
            .map(|k| (text(&k["AttributeName"]), text(&k["KeyType"])))
            .collect()
    };
    let declared = json_of(
        p["AttributeDefinitions"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|a| (text(&a["AttributeName"]), text(&a["AttributeType"]))),
        template_keys(&p["KeySchema"]),
        p["GlobalSecondaryIndexes"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    text(&g["IndexName"]),
                    template_keys(&g["KeySchema"]),
                    text(&g["Projection"]["ProjectionType"]),
                )
            }),
    );
    assert_eq!(created, declared);
    assert!(
        declared.contains(gatehouse::records::key::GSI1),
        "the template declares {}",
        gatehouse::records::key::GSI1
    );
}

type IndexSpec = (String, Vec<(String, String)>, String);

/// A table's keys as one comparable text: sorted attribute definitions, the key schema
/// and the sorted indexes.
fn json_of(
    attributes: impl Iterator<Item = (String, String)>,
    key_schema: Vec<(String, String)>,
    indexes: impl Iterator<Item = IndexSpec>,
) -> String {
    let attributes: BTreeSet<_> = attributes.collect();
    let indexes: BTreeSet<_> = indexes.collect();
    format!("{attributes:?} {key_schema:?} {indexes:?}")
}

/// The users function hashes passwords: it gets 1024 MB (CPU comes with memory), and a
/// reserved concurrency only when `UsersReservedConcurrency` asks for one, so a default
/// deploy reserves nothing (a reservation fails `sam deploy` on a new account's quota).
#[test]
fn the_users_function_has_its_memory_and_reserves_concurrency_only_when_asked() {
    let t = template();
    let f = &t["Resources"][Function::Users.logical_id()]["Properties"];
    assert_eq!(f["MemorySize"].as_i64(), Some(1024));
    let p = &t["Parameters"]["UsersReservedConcurrency"];
    assert_eq!(p["Type"], "Number");
    assert_eq!(p["Default"].as_i64(), Some(0), "no reservation by default");
    assert_eq!(p["MinValue"].as_i64(), Some(0));
    let expected: Value = serde_yaml::from_str(
        "!If [HasUsersReservedConcurrency, !Ref UsersReservedConcurrency, !Ref AWS::NoValue]",
    )
    .unwrap();
    assert_eq!(f["ReservedConcurrentExecutions"], expected);
    let condition: Value =
        serde_yaml::from_str("!Not [!Equals [!Ref UsersReservedConcurrency, \"0\"]]").unwrap();
    assert_eq!(
        t["Conditions"]["HasUsersReservedConcurrency"], condition,
        "the reservation is set exactly when the parameter is not 0"
    );
    // No other function reserves concurrency.
    for (id, res) in resources(&t) {
        if res["Type"] == "AWS::Serverless::Function" && id != Function::Users.logical_id() {
            assert!(
                res["Properties"]
                    .get("ReservedConcurrentExecutions")
                    .is_none(),
                "{id} reserves concurrency"
            );
        }
    }
}

/// A variable, its parameter, the code's default, and what its bounds need beside them.
type ParamRow = (
    &'static str,
    &'static str,
    u64,
    &'static [(&'static str, &'static str)],
);

/// Each of the users function's variables comes from a template parameter whose default
/// is the function's own and whose bounds the function accepts, one past them refused
/// (`with` sets what a bound needs beside it: Argon2id's floor ties memory to passes).
#[test]
fn the_users_function_variables_come_from_parameters_with_the_code_defaults_and_bounds() {
    let t = template();
    let env =
        &t["Resources"][Function::Users.logical_id()]["Properties"]["Environment"]["Variables"];
    let load = |vars: &[(&str, String)]| {
        gatehouse::config::Config::from_lookup(|k| {
            (k == "TABLE_NAME")
                .then(|| "gatehouse".to_owned())
                .or_else(|| vars.iter().find(|(v, _)| *v == k).map(|(_, x)| x.clone()))
        })
    };
    let defaults = load(&[]).expect("the defaults are a valid configuration");
    let (users, passwords) = (defaults.users, defaults.password);
    #[rustfmt::skip]
    let rows: [ParamRow; 9] = [
        ("USER_LOCKOUT_THRESHOLD", "UserLockoutThreshold", users.lockout_threshold.into(), &[]),
        ("USER_SIGNIN_IP_LIMIT", "UserSigninIpLimit", users.signin_limits.ip.into(), &[]),
        ("USER_SIGNIN_WINDOW", "UserSigninWindow", users.signin_limits.window.as_secs(), &[]),
        ("USER_SESSION_TTL", "UserSessionTtl", users.session_ttl.as_secs(), &[]),
        ("ARGON2_MEMORY_KIB", "Argon2MemoryKib", passwords.params.memory_kib().into(),
            &[("ARGON2_ITERATIONS", "5")]),
        ("ARGON2_ITERATIONS", "Argon2Iterations", passwords.params.iterations().into(),
            &[("ARGON2_MEMORY_KIB", "47104")]),
        ("ARGON2_PARALLELISM", "Argon2Parallelism", passwords.params.parallelism().into(), &[]),
        ("ARGON2_MAX_CONCURRENT", "Argon2MaxConcurrent", passwords.max_concurrent as u64, &[]),
        ("PASSWORD_MIN_LENGTH", "PasswordMinLength", passwords.min_length as u64, &[]),
    ];
    for (var, param, default, with) in rows {
        assert_eq!(env[var], reference(param), "{var}");
        let p = &t["Parameters"][param];
        assert_eq!(p["Type"], "Number", "{param}");
        assert_eq!(
            p["Default"].as_u64(),
            Some(default),
            "{param}'s default is the code's"
        );
        let (min, max) = (
            p["MinValue"].as_u64().unwrap(),
            p["MaxValue"].as_u64().unwrap(),
        );
        let with: Vec<(&str, String)> = with.iter().map(|(k, v)| (*k, v.to_string())).collect();
        let at = |value: u64| {
            let mut vars = with.clone();
            vars.push((var, value.to_string()));
            load(&vars).is_ok()
        };
        assert!(
            at(min) && at(max),
            "{param}: the function accepts {min} and {max}"
        );
        assert!(!at(max + 1), "{param}: the function refuses {}", max + 1);
        assert!(
            min == 0 || !at(min - 1),
            "{param}: the function refuses {}",
            min - 1
        );
    }
    for var in ["SIGNING_KEYS_SECRET_ARN", "CLIENT_SECRETS_SECRET_ARN"] {
        assert!(env.get(var).is_none(), "the users function reads no secret");
    }
}

/// The bootstrap's demo people (`.local/credentials.json` under `users`) sign in with
/// the passwords it wrote, as the kinds it names; run again against the same table it
/// creates nothing, keeps the entries the previous file had, and writes a `null`
/// password for one it cannot know.
#[tokio::test]
async fn the_bootstrap_seeds_a_creator_and_an_end_user_and_a_rerun_keeps_them() {
    use gatehouse_local::bootstrap::seed_users;
    let s = gatehouse_e2e::Stack::builder().start().await;
    let config = gatehouse_e2e::config(s.store.table(), &[]);
    let first = seed_users(&s.store, &config, &serde_json::Value::Null)
        .await
        .unwrap();
    for (role, kind) in [("creator", "creator"), ("end_user", "end_user")] {
        let u = &first[role];
        let password = u["password"].as_str().unwrap();
        assert!(password.chars().count() >= 15, "{role}: {password}");
        for identifier in [&u["username"], &u["email"]] {
            let body = serde_json::json!({"identifier": identifier, "password": password});
            let headers = [("origin", gatehouse_e2e::ORIGIN)];
            let a = s.post("/users/signin", &headers, Some(body)).await;
            assert_eq!(a.status, 200, "{role}: {}", a.text);
            assert_eq!(a.body["user"]["kind"], kind);
            assert_eq!(a.body["user"]["email_verified"], true);
        }
    }
    let users = s.items_of(gatehouse::records::prefix::USER).await;
    let previous = serde_json::json!({ "users": first.clone() });
    let again = seed_users(&s.store, &config, &previous).await.unwrap();
    assert_eq!(again, first, "the file's entries are kept");
    assert_eq!(s.items_of(gatehouse::records::prefix::USER).await, users);
    let unknown = seed_users(&s.store, &config, &serde_json::Value::Null)
        .await
        .unwrap();
    assert!(unknown["creator"]["password"].is_null());
    assert_eq!(unknown["creator"]["username"], first["creator"]["username"]);
}

/// The bootstrap's demo app (`.local/credentials.json` under `apps`): shared, owned by
/// the demo creator, opened by the granted end user with its filter and refused to the
/// other end user; a rerun changes nothing.
#[tokio::test]
async fn the_bootstrap_seeds_a_shared_app_granted_to_one_end_user_and_not_the_other() {
    use gatehouse_local::bootstrap::{DEMO_APP, seed_apps, seed_users};
    let s = gatehouse_e2e::Stack::builder().start().await;
    let config = gatehouse_e2e::config(s.store.table(), &[]);
    let users = seed_users(&s.store, &config, &serde_json::Value::Null)
        .await
        .unwrap();
    let apps = seed_apps(&s.store).await.unwrap();
    assert_eq!(apps["demo"]["app_id"], DEMO_APP);
    assert_eq!(seed_apps(&s.store).await.unwrap(), apps, "a rerun");
    let path = apps["demo"]["data_url"].as_str().unwrap();
    for (role, status, access) in [
        ("creator", 200, Some("owner")),
        ("end_user", 200, Some("grant")),
        ("other_end_user", 403, None),
    ] {
        let u = &users[role];
        let body = serde_json::json!({"identifier": u["username"], "password": u["password"]});
        let origin = [("origin", gatehouse_e2e::ORIGIN)];
        let a = s.post("/users/signin", &origin, Some(body)).await;
        assert_eq!(a.status, 200, "{role}: {}", a.text);
        let cookie = a.cookie().unwrap();
        let a = s
            .get(
                path,
                &[("origin", gatehouse_e2e::ORIGIN), ("cookie", &cookie)],
            )
            .await;
        assert_eq!(a.status, status, "{role}: {}", a.text);
        assert_eq!(a.body["app_access"].as_str(), access, "{role}");
    }
}

/// The sign-up variables come from template parameters, for the users function and the
/// admin function alike (the admin API refuses to turn verification on without a sender
/// and shows the fallback mode): `EmailFrom` (empty by default: no mail),
/// `SignupMode` (the code's default, every allowed value accepted) and
/// `SettingsCacheTtl` (the code's default and bounds).
#[test]
fn the_signup_variables_come_from_parameters_for_the_users_and_admin_functions() {
    use gatehouse::credentials::users::settings::SignupMode;
    let t = template();
    for f in [Function::Users, Function::Admin] {
        let env = &t["Resources"][f.logical_id()]["Properties"]["Environment"]["Variables"];
        for (var, param) in [
            ("EMAIL_FROM", "EmailFrom"),
            ("SIGNUP_MODE", "SignupMode"),
            ("SETTINGS_CACHE_TTL", "SettingsCacheTtl"),
        ] {
            assert_eq!(env[var], reference(param), "{}: {var}", f.logical_id());
        }
    }
    let load = |vars: &[(&str, &str)]| {
        gatehouse::config::Config::from_lookup(|k| {
            (k == "TABLE_NAME")
                .then(|| "gatehouse".to_owned())
                .or_else(|| {
                    vars.iter()
                        .find(|(v, _)| *v == k)
                        .map(|(_, x)| x.to_string())
                })
        })
    };
    let defaults = load(&[]).unwrap().users.signup;
    let p = &t["Parameters"];
    assert_eq!(p["EmailFrom"]["Default"], "", "no sender by default");
    assert_eq!(defaults.email_from, None);
    assert_eq!(
        p["SignupMode"]["Default"].as_str(),
        Some(defaults.mode.as_str())
    );
    let allowed = p["SignupMode"]["AllowedValues"].as_sequence().unwrap();
    assert_eq!(allowed.len(), 3);
    for mode in allowed {
        let mode = mode.as_str().unwrap();
        let read = load(&[("SIGNUP_MODE", mode)]).unwrap().users.signup.mode;
        assert_eq!(Some(read), SignupMode::parse(mode), "{mode}");
    }
    let ttl = &p["SettingsCacheTtl"];
    assert_eq!(
        ttl["Default"].as_u64(),
        Some(defaults.settings_cache_ttl.as_secs())
    );
    let (min, max) = (
        ttl["MinValue"].as_u64().unwrap(),
        ttl["MaxValue"].as_u64().unwrap(),
    );
    assert_eq!((min, max), (0, 60));
    for (value, ok) in [(min, true), (max, true), (max + 1, false)] {
        let value = value.to_string();
        assert_eq!(
            load(&[("SETTINGS_CACHE_TTL", &value)]).is_ok(),
            ok,
            "{value}"
        );
    }
}

/// `EmailFrom`'s pattern admits what `EMAIL_FROM` accepts, and the empty value (no
/// mail), on samples (checked with Python's `re`, which reads this pattern as
/// CloudFormation's Java regex does).
#[test]
fn the_email_from_pattern_admits_what_the_function_accepts() {
    let t = template();
    let pattern = t["Parameters"]["EmailFrom"]["AllowedPattern"]
        .as_str()
        .unwrap()
        .to_owned();
    let samples = [
        "",
        "noreply@example.com",
        "No.Reply+signup@mail.example.co.uk",
        "noreply@gatehouse.local",
        "not-an-address",
        "noreply@example",
        "noreply@.example.com",
        "noreply@example..com",
        "noreply@example.com.",
        "@example.com",
        "a@b@example.com",
        "no reply@example.com",
    ];
    let script =
        "import re,sys\nfor s in sys.argv[2:]: print(1 if re.fullmatch(sys.argv[1], s) else 0)";
    let out = std::process::Command::new("python3")
        .args(["-c", script, &pattern])
        .args(samples)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let admitted: Vec<bool> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l == "1")
        .collect();
    for (sample, admitted) in samples.iter().zip(admitted) {
        let accepted =
            sample.is_empty() || gatehouse::credentials::users::Email::parse(sample).is_ok();
        assert_eq!(
            admitted, accepted,
            "{sample:?}: pattern {admitted}, function {accepted}"
        );
    }
}

fn tagged(tag: &str, value: Value) -> Value {
    Value::Tagged(Box::new(TaggedValue {
        tag: Tag::new(tag),
        value,
    }))
}

/// The users role and the admin role (e-mailed invites) may `ses:SendEmail` on the
/// `EmailFrom` identity alone (the address, or its domain), and only when a sender is
/// configured (`HasEmailFrom`), with the same statement; no other function may send
/// e-mail.
#[test]
fn only_the_users_and_admin_functions_may_send_email_and_only_from_email_from() {
    let t = template();
    let has = &t["Conditions"]["HasEmailFrom"];
    let empty = Value::Sequence(vec![reference("EmailFrom"), Value::String(String::new())]);
    assert_eq!(
        *has,
        tagged("Not", Value::Sequence(vec![tagged("Equals", empty)]))
    );
    let identity = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/";
    let mut domain_sub = Mapping::new();
    domain_sub.insert(
        "Domain".into(),
        tagged(
            "Select",
            Value::Sequence(vec![
                1.into(),
                tagged(
                    "Split",
                    Value::Sequence(vec!["@".into(), tagged("Sub", "${EmailFrom}@".into())]),
                ),
            ]),
        ),
    );
    let mut statement = Mapping::new();
    statement.insert("Effect".into(), "Allow".into());
    statement.insert(
        "Action".into(),
        Value::Sequence(vec!["ses:SendEmail".into()]),
    );
    statement.insert(
        "Resource".into(),
        Value::Sequence(vec![
            tagged("Sub", format!("{identity}${{EmailFrom}}").into()),
            tagged(
                "Sub",
                Value::Sequence(vec![
                    format!("{identity}${{Domain}}").into(),
                    Value::Mapping(domain_sub),
                ]),
            ),
        ]),
    );
    let mut policy = Mapping::new();
    policy.insert("Version".into(), "2012-10-17".into());
    policy.insert(
        "Statement".into(),
        Value::Sequence(vec![Value::Mapping(statement)]),
    );
    let expected = tagged(
        "If",
        Value::Sequence(vec![
            "HasEmailFrom".into(),
            Value::Mapping(policy),
            reference("AWS::NoValue"),
        ]),
    );
    for (id, res) in resources(&t) {
        if res["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let policies = res["Properties"]["Policies"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        let sending: Vec<&Value> = policies
            .iter()
            .filter(|p| serde_yaml::to_string(p).unwrap().contains("ses:"))
            .collect();
        if id == Function::Users.logical_id() || id == Function::Admin.logical_id() {
            assert_eq!(
                sending,
                vec![&expected],
                "{id}: SendEmail on EmailFrom only"
            );
        } else {
            assert!(sending.is_empty(), "{id} may not send e-mail");
        }
    }
}
