//! The permission schemas a widget security token and an application grant carry
//! (README "Embedding widgets", "Applications and sharing"): row-level filters
//! (`permissions`) and asset permissions. One definition: the widget's token request
//! and the grant bodies both read these types, strictly (an unknown field is a 400
//! naming it), and [`check`] is the one rule on their values. The authorizer hands them
//! to the backend as JSON strings.

use serde::Deserialize;

use crate::error::{Error, Result};

/// Row-level security: which records of a dataset the user may see.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Permission {
    pub dataset_id: String,
    #[serde(default)]
    pub operator: Option<Operator>,
    pub record_permissions: Vec<RecordPermission>,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Operator {
    AND,
    OR,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordPermission {
    pub security_name: String,
    #[serde(default)]
    pub validation_type: Option<ValidationType>,
    pub values: Vec<ScalarValue>,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValidationType {
    Equal,
    NotEqual,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
    Range,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ScalarValue {
    Text(String),
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    Number(serde_json::Number),
    Bool(bool),
}

/// Which assets the widget may open, by type.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AssetPermissions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboards: Option<AssetIds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datasets: Option<AssetIds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reports: Option<AssetIds>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AssetIds {
    pub ids: Vec<String>,
}

/// The rule on `permissions` beyond their shape: every `dataset_id` and every
/// `security_name` is non-empty (400 naming the field otherwise).
pub fn check(permissions: Option<&[Permission]>) -> Result<()> {
    for (i, p) in permissions.unwrap_or_default().iter().enumerate() {
        if p.dataset_id.is_empty() {
            return Err(Error::bad_request(format!(
                "invalid field `permissions[{i}].dataset_id`: must not be empty"
            )));
        }
        for (j, r) in p.record_permissions.iter().enumerate() {
            if r.security_name.is_empty() {
                return Err(Error::bad_request(format!(
                    "invalid field `permissions[{i}].record_permissions[{j}].security_name`: must not be empty"
                )));
            }
        }
    }
    Ok(())
}
