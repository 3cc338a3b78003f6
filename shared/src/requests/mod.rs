//! Pure parsing of attacker-controlled input (what the fuzz targets cover).

pub mod admin;
pub mod apps;
pub mod body;
pub mod event;
pub mod form;
pub mod idps;
pub mod invites;
pub mod presign;
pub mod settings;
pub mod signup;
pub mod sso;
pub mod users;
pub mod widget;
