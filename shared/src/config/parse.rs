//! The bounded parsers behind every number, duration and flag in the configuration: a
//! value outside its bounds stops start-up with an error naming the variable.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};

/// Why a number or flag is refused (the message follows the variable's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Invalid {
    NotWholeNumber { unit: Unit },
    OutOfRange { min: u64, max: u64, unit: Unit },
    NotBoolean,
}

/// What a bounded number counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    Seconds,
    Count,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Invalid::NotWholeNumber {
                unit: Unit::Seconds,
            } => f.write_str("must be a whole number of seconds"),
            Invalid::NotWholeNumber { unit: Unit::Count } => f.write_str("must be a whole number"),
            Invalid::OutOfRange { min, max, unit } => {
                let unit = if unit == Unit::Seconds {
                    " seconds"
                } else {
                    ""
                };
                write!(f, "must be between {min} and {max}{unit}")
            }
            Invalid::NotBoolean => f.write_str("must be `true` or `false`"),
        }
    }
}

/// The configuration error for variable `name`.
fn refused(name: &'static str, why: Invalid) -> Error {
    Error::config(name, why.to_string())
}

/// A duration in whole seconds in `min..=max`; `default` when the variable is unset.
pub(super) fn seconds(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<Duration> {
    let Some(raw) = var(name) else {
        return Ok(Duration::from_secs(default));
    };
    bounded(&raw, min, max, Unit::Seconds)
        .map(Duration::from_secs)
        .map_err(|why| refused(name, why))
}

/// A count in `min..=max`; `default` when the variable is unset.
pub(super) fn count(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32> {
    let Some(raw) = var(name) else {
        return Ok(default);
    };
    bounded(&raw, min, max, Unit::Count).map_err(|why| refused(name, why))
}

/// `raw` as a whole number in `min..=max`.
fn bounded<T>(raw: &str, min: T, max: T, unit: Unit) -> std::result::Result<T, Invalid>
where
    T: std::str::FromStr + PartialOrd + Copy + Into<u64>,
{
    let n: T = raw.parse().map_err(|_| Invalid::NotWholeNumber { unit })?;
    if !(min..=max).contains(&n) {
        return Err(Invalid::OutOfRange {
            min: min.into(),
            max: max.into(),
            unit,
        });
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
        Some(_) => Err(refused(name, Invalid::NotBoolean)),
    }
}

/// The variables of a test, as `Config::from_lookup` and the readers take them.
#[cfg(test)]
pub(super) fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k: &str| map.get(k).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message<T: std::fmt::Debug>(r: Result<T>) -> String {
        match r {
            Err(Error::Config { message, .. }) => message,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    /// What a bad number or flag is refused with (after the variable's name).
    #[test]
    fn bad_values_are_refused_with_their_reason() {
        let set = |v: &'static str| move |_: &str| Some(v.to_owned());
        let secs = |v| message(seconds(&set(v), "X", 60, 0, 3600));
        assert_eq!(secs("1.5"), "must be a whole number of seconds");
        assert_eq!(secs("-1"), "must be a whole number of seconds");
        assert_eq!(secs("3601"), "must be between 0 and 3600 seconds");
        let n = |v| message(count(&set(v), "X", 5, 1, 10_000));
        assert_eq!(n("many"), "must be a whole number");
        assert_eq!(n("0"), "must be between 1 and 10000");
        assert_eq!(
            message(boolean(&set("yes"), "X", false)),
            "must be `true` or `false`"
        );
    }
}
