//! The presigned STS `GetCallerIdentity` request an administrator signs in with (mode
//! b), as the client sends it; `crate::requests::presign` checks it strictly.

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use crate::primitives::headers::single;

/// Header pairs in the order given, duplicates kept (a JSON object may repeat a key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderList(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for HeaderList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HeaderList;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of header names to string values")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<HeaderList, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, String>()? {
                    out.push((k, v));
                }
                Ok(HeaderList(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl serde::Serialize for HeaderList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A header of the presigned request sent more than once (the check refuses it as
/// `duplicated_security_header`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatedHeader;

impl HeaderList {
    /// The single value of `name` (case-insensitive); `Err` if repeated.
    pub(crate) fn single(&self, name: &str) -> std::result::Result<Option<&str>, RepeatedHeader> {
        single(
            self.0
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str()),
        )
        .map_err(|_| RepeatedHeader)
    }
}

/// A presigned `GetCallerIdentity` request as the client sends it (mode b).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    /// The signed headers (names are case-insensitive; none may repeat).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, String>))]
    pub headers: HeaderList,
    #[serde(default)]
    pub body: Option<String>,
}
