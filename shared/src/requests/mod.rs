//! Pure parsing of attacker-controlled input (what the fuzz targets cover).

pub mod admin;
pub mod form;
