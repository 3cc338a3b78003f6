//! One module per credential type, each with its port trait.

pub mod admin;
pub mod apikey;
pub mod apps;
pub mod clients;
pub mod codes;
pub mod idps;
pub mod jwt;
pub mod keys;
pub mod oidc;
pub mod password;
pub mod rotation;
pub mod secrets;
pub mod users;
pub mod widget;
