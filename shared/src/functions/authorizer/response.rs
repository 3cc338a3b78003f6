//! The authorizer's answers, in the shape the event expects.

use serde_json::{Value, json};

use crate::authz::{DenyReason, Principal};
use crate::config::AuthorizerResponse;
use crate::error::{Error, Result};
use crate::requests::event::{AuthInput, EventShape};

fn policy(principal_id: &str, effect: &str, resource: &str, context: Option<Value>) -> Value {
    let mut v = json!({
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": [resource]}]
        }
    });
    if let Some(c) = context {
        v["context"] = c;
    }
    v
}

/// The answer for an allowed request, in the shape the event expects.
pub fn allow_response(input: &AuthInput, mode: AuthorizerResponse, p: &Principal) -> Value {
    let ctx = Value::Object(p.context());
    match (input.shape, mode) {
        (Some(EventShape::HttpV2), AuthorizerResponse::Simple) => {
            json!({"isAuthorized": true, "context": ctx})
        }
        _ => policy(&p.subject, "Allow", &input.resource_arn, Some(ctx)),
    }
}

/// The answer for a denied request. REST APIs get `Err(Unauthorized)` when no
/// credential was sent (API Gateway turns the error message `Unauthorized` into 401).
pub fn deny_response(
    input: &AuthInput,
    mode: AuthorizerResponse,
    reason: DenyReason,
) -> Result<Value> {
    match (input.shape, mode) {
        (Some(EventShape::HttpV2), AuthorizerResponse::Simple) => {
            Ok(json!({"isAuthorized": false}))
        }
        (Some(EventShape::HttpV2), AuthorizerResponse::Iam) => {
            Ok(policy("anonymous", "Deny", &input.resource_arn, None))
        }
        _ if reason == DenyReason::NoCredential => Err(Error::Unauthorized("no_credential")),
        _ => Ok(policy("anonymous", "Deny", &input.resource_arn, None)),
    }
}
