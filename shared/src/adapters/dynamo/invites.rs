//! The invite side of a user change (README "People", invites): the invite items, the
//! password and `invite` attributes of the user's update.

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::users::{CHANGED_AT, EMAIL_VERIFIED, INVITE, PHC, USER_ID};
use super::*;
use crate::credentials::users::{CredentialChange, Delivery, Invite, PasswordPart};

impl DynamoStore {
    /// A transaction's delete of an item that must exist.
    pub(super) fn delete_existing_in_transaction(&self, pk: &str) -> Result<TransactWriteItem> {
        self.delete_if_in_transaction(pk, "attribute_exists(#pk)", &[("#pk", PK)], Vec::new())
    }

    /// The invite items of a [`CredentialChange`]: the old one deleted, the new one
    /// written; the e-mail token it spends deleted.
    pub(super) fn invite_items(&self, c: &CredentialChange) -> Result<Vec<TransactWriteItem>> {
        let mut items = Vec::new();
        if let Some(hash) = &c.revoke {
            let pk = Key::Invite(hash).pk();
            items.push(if c.revoke_must_exist {
                self.delete_existing_in_transaction(&pk)?
            } else {
                self.delete_in_transaction(&pk)?
            });
        }
        if let Some(invite) = &c.issue {
            items.push(self.put_new_in_transaction(invite_item(invite))?);
        }
        if let Some(hash) = &c.spend_token {
            items.push(self.delete_existing_in_transaction(&Key::EmailToken(hash).pk())?);
        }
        Ok(items)
    }
}

/// An update expression being built: `SET` and `REMOVE` clauses with their names and
/// values.
#[derive(Default)]
pub(super) struct Expr {
    sets: Vec<String>,
    removes: Vec<String>,
    names: Vec<(&'static str, &'static str)>,
    values: Vec<(&'static str, AttributeValue)>,
}

impl Expr {
    pub(super) fn name(&mut self, alias: &'static str, attr: &'static str) {
        if !self.names.iter().any(|(a, _)| *a == alias) {
            self.names.push((alias, attr));
        }
    }

    pub(super) fn value(&mut self, alias: &'static str, v: AttributeValue) {
        self.values.push((alias, v));
    }

    pub(super) fn set(
        &mut self,
        alias: &'static str,
        attr: &'static str,
        val: &'static str,
        v: AttributeValue,
    ) {
        self.name(alias, attr);
        self.value(val, v);
        self.sets.push(format!("{alias} = {val}"));
    }

    pub(super) fn remove(&mut self, alias: &'static str, attr: &'static str) {
        self.name(alias, attr);
        self.removes.push(alias.to_owned());
    }

    pub(super) fn apply(
        self,
        mut u: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    ) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
        let mut text = format!("SET {}", self.sets.join(", "));
        if !self.removes.is_empty() {
            text.push_str(&format!(" REMOVE {}", self.removes.join(", ")));
        }
        for (alias, attr) in self.names {
            u = u.expression_attribute_names(alias, attr);
        }
        for (alias, v) in self.values {
            u = u.expression_attribute_values(alias, v);
        }
        u.update_expression(text)
    }
}

/// The user item's side of a [`CredentialChange`].
pub(super) fn credential_parts(e: &mut Expr, c: &CredentialChange) {
    match &c.password {
        Some(PasswordPart::Set(phc, at)) => {
            e.set("#phc", PHC, ":phc", s(&phc.0));
            e.set("#pca", CHANGED_AT, ":pca", n(*at));
        }
        Some(PasswordPart::Remove) => e.remove("#phc", PHC),
        None => {}
    }
    if c.verify_email {
        e.set("#ev", EMAIL_VERIFIED, ":ev", AttributeValue::Bool(true));
    }
    match (&c.issue, &c.revoke) {
        (Some(invite), _) => e.set("#inv", INVITE, ":inv", s(&invite.hash)),
        (None, Some(_)) => e.remove("#inv", INVITE),
        (None, None) => {}
    }
}

/// An invite's `delivery` attribute (`link` or `email`); an e-mailed one also has the
/// lower-cased address it went to in `email_key`.
const DELIVERY: &str = "delivery";
const EMAIL_KEY: &str = "email_key";

pub(super) fn invite_item(i: &Invite) -> Item {
    let mut item = Item::new();
    item.insert(PK.into(), s(&Key::Invite(&i.hash).pk()));
    item.insert(USER_ID.into(), s(&i.user_id));
    item.insert("created_at".into(), n(i.created_at));
    item.insert(EXPIRES_AT.into(), n(i.expires_at));
    item.insert(DELIVERY.into(), s(i.delivery().as_str()));
    if let Some(key) = &i.emailed_to {
        item.insert(EMAIL_KEY.into(), s(key));
    }
    item
}

/// The invite `invite_item` wrote. A record without `delivery` (written before invites
/// were mailed) reads as a link, and so does an `email` one without its address: such
/// an invite never verifies an e-mail.
pub(super) fn invite_from(hash: &str, item: &Item) -> Result<Invite> {
    let emailed =
        get_opt_s(item, DELIVERY).and_then(|d| Delivery::parse(&d)) == Some(Delivery::Email);
    Ok(Invite {
        hash: hash.to_owned(),
        user_id: get_s(item, USER_ID)?,
        created_at: get_n(item, "created_at")?.unwrap_or(0),
        expires_at: get_n(item, EXPIRES_AT)?.unwrap_or(0),
        emailed_to: get_opt_s(item, EMAIL_KEY).filter(|_| emailed),
    })
}
