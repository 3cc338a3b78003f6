//! The bounded parsers behind every number, duration and flag in the configuration: a
//! value outside its bounds stops start-up with an error naming the variable.

use std::time::Duration;

use crate::error::{Error, Result};

/// A duration in whole seconds in `min..=max`; `default` when the variable is unset.
pub(super) fn seconds(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<Duration> {
    bounded(var, name, default, min, max, " seconds").map(Duration::from_secs)
}

/// A count in `min..=max`; `default` when the variable is unset.
pub(super) fn count(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32> {
    bounded(var, name, default, min, max, "")
}

/// A whole number in `min..=max` (`unit` names it in the error: " seconds" or "").
fn bounded<T: std::str::FromStr + PartialOrd + Copy + std::fmt::Display>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    min: T,
    max: T,
    unit: &str,
) -> Result<T> {
    let Some(raw) = var(name) else {
        return Ok(default);
    };
    let of = if unit.is_empty() { "" } else { " of" };
    let n: T = raw
        .parse()
        .map_err(|_| Error::config(name, format!("must be a whole number{of}{unit}")))?;
    if !(min..=max).contains(&n) {
        return Err(Error::config(
            name,
            format!("must be between {min} and {max}{unit}"),
        ));
    }
    Ok(n)
}

/// `true` or `false`, nothing else; `default` when the variable is unset.
pub(super) fn boolean(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool> {
    match var(name).as_deref() {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(Error::config(name, "must be `true` or `false`")),
    }
}
