//! One DynamoDB request as the access table ([`super::access`]) judges it: its
//! operation, where it goes, the key and the attribute names it uses.

use super::access::{On, Op};

/// One DynamoDB request as the access check sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Request<'a> {
    pub op: Op,
    pub on: On,
    /// The partition-key value; `None` for a Scan.
    pub key: Option<&'a str>,
    /// Every attribute name the request names (key, item, expressions); `None`: the
    /// whole item (a read without projection).
    pub attributes: Option<&'a [&'a str]>,
    /// Whether it asks for attribute values back (`ReturnValues` other than NONE).
    pub returns_values: bool,
}

impl<'a> Request<'a> {
    fn item(op: Op, key: &'a str, attributes: Option<&'a [&'a str]>) -> Self {
        Request {
            op,
            on: On::Table,
            key: Some(key),
            attributes,
            returns_values: false,
        }
    }

    /// GetItem of the whole item.
    pub(crate) fn get(key: &'a str) -> Self {
        Self::item(Op::GetItem, key, None)
    }

    /// PutItem of an item with these attributes.
    pub(crate) fn put(key: &'a str, attributes: &'a [&'a str]) -> Self {
        Self::item(Op::PutItem, key, Some(attributes))
    }

    /// UpdateItem naming these attributes (key, update and condition expressions).
    pub(crate) fn update(key: &'a str, attributes: &'a [&'a str]) -> Self {
        Self::item(Op::UpdateItem, key, Some(attributes))
    }

    pub(crate) fn delete(key: &'a str) -> Self {
        Self::item(Op::DeleteItem, key, None)
    }

    pub(crate) fn scan() -> Self {
        Request {
            op: Op::Scan,
            on: On::Table,
            key: None,
            attributes: None,
            returns_values: false,
        }
    }

    /// Query of `index` in the partition `key` (the index's partition-key value).
    pub(crate) fn query(index: &'static str, key: &'a str) -> Self {
        let on = On::Index(index);
        Request {
            on,
            ..Self::item(Op::Query, key, None)
        }
    }

    /// The same request asking for attribute values back.
    pub(crate) fn returning_values(self) -> Self {
        Request {
            returns_values: true,
            ..self
        }
    }
}
