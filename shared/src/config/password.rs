//! The password settings: `ARGON2_MEMORY_KIB`, `ARGON2_ITERATIONS`,
//! `ARGON2_PARALLELISM`, `ARGON2_MAX_CONCURRENT`, `PASSWORD_MIN_LENGTH`. Parameters
//! below the OWASP floor or above the cap stop start-up, naming the variable
//! (docs/DECISIONS.md, "Passwords").

use crate::credentials::password::{
    DEFAULT_MAX_CONCURRENT, DEFAULT_MIN_LENGTH, MAX_ITERATIONS, MAX_MEMORY_KIB, MAX_PARALLELISM,
    MIN_LENGTH_CEILING, MIN_LENGTH_FLOOR, Params, ParamsError, PasswordSettings,
};
use crate::error::{Error, Result};

use super::parse::count;

/// Most hashes a function may compute at once.
const MAX_CONCURRENT: u32 = 16;

/// Reads the five variables; the defaults are [`PasswordSettings::default`].
pub(super) fn password_settings(var: &impl Fn(&str) -> Option<String>) -> Result<PasswordSettings> {
    let defaults = Params::DEFAULT;
    let m = count(
        var,
        "ARGON2_MEMORY_KIB",
        defaults.memory_kib(),
        1,
        MAX_MEMORY_KIB,
    )?;
    let t = count(
        var,
        "ARGON2_ITERATIONS",
        defaults.iterations(),
        1,
        MAX_ITERATIONS,
    )?;
    let p = count(
        var,
        "ARGON2_PARALLELISM",
        defaults.parallelism(),
        1,
        MAX_PARALLELISM,
    )?;
    let params = Params::new(m, t, p).map_err(|e| match e {
        ParamsError::Iterations => Error::config("ARGON2_ITERATIONS", e.to_string()),
        ParamsError::Parallelism => Error::config("ARGON2_PARALLELISM", e.to_string()),
        ParamsError::BelowFloor { .. } => Error::config(
            "ARGON2_MEMORY_KIB",
            format!("{e}: ARGON2_ITERATIONS is {t}"),
        ),
        ParamsError::AboveCap => Error::config("ARGON2_MEMORY_KIB", e.to_string()),
    })?;
    let max_concurrent = count(
        var,
        "ARGON2_MAX_CONCURRENT",
        DEFAULT_MAX_CONCURRENT as u32,
        1,
        MAX_CONCURRENT,
    )?;
    let min_length = count(
        var,
        "PASSWORD_MIN_LENGTH",
        DEFAULT_MIN_LENGTH as u32,
        MIN_LENGTH_FLOOR as u32,
        MIN_LENGTH_CEILING as u32,
    )?;
    Ok(PasswordSettings {
        params,
        max_concurrent: max_concurrent as usize,
        min_length: min_length as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<PasswordSettings> {
        password_settings(&super::super::parse::lookup(vars))
    }

    fn refused(vars: &[(&str, &str)]) -> (&'static str, String) {
        match read(vars) {
            Err(Error::Config { var, message }) => (var, message),
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn unset_variables_give_the_defaults() {
        assert_eq!(read(&[]).unwrap(), PasswordSettings::default());
        let d = PasswordSettings::default();
        assert_eq!(
            (d.params, d.max_concurrent, d.min_length),
            (Params::new(19_456, 2, 1).unwrap(), 2, 15)
        );
    }

    #[test]
    fn each_row_of_the_owasp_table_is_a_valid_configuration() {
        for (t, m) in crate::credentials::password::FLOOR {
            let (m, t) = (m.to_string(), t.to_string());
            let s = read(&[("ARGON2_MEMORY_KIB", &m), ("ARGON2_ITERATIONS", &t)]).unwrap();
            assert_eq!(s.params.memory_kib().to_string(), m);
        }
    }

    #[test]
    fn parameters_below_the_floor_stop_start_up_naming_the_variable() {
        let (var, message) = refused(&[("ARGON2_MEMORY_KIB", "19455")]);
        assert_eq!(var, "ARGON2_MEMORY_KIB");
        assert!(
            message.contains("19456") && message.contains("ARGON2_ITERATIONS is 2"),
            "{message}"
        );
        let (var, _) = refused(&[("ARGON2_MEMORY_KIB", "19456"), ("ARGON2_ITERATIONS", "1")]);
        assert_eq!(var, "ARGON2_MEMORY_KIB", "t=1 needs 47104 KiB");
        assert_eq!(
            refused(&[("ARGON2_ITERATIONS", "0")]).0,
            "ARGON2_ITERATIONS"
        );
        assert_eq!(
            refused(&[("ARGON2_PARALLELISM", "0")]).0,
            "ARGON2_PARALLELISM"
        );
    }

    #[test]
    fn bad_values_stop_start_up_naming_the_variable() {
        for (var, bad) in [
            ("ARGON2_MEMORY_KIB", "lots"),
            ("ARGON2_MEMORY_KIB", "262145"),
            ("ARGON2_ITERATIONS", "17"),
            ("ARGON2_PARALLELISM", "9"),
            ("ARGON2_MAX_CONCURRENT", "0"),
            ("ARGON2_MAX_CONCURRENT", "17"),
            ("PASSWORD_MIN_LENGTH", "7"),
            ("PASSWORD_MIN_LENGTH", "65"),
            ("PASSWORD_MIN_LENGTH", "-15"),
        ] {
            assert_eq!(refused(&[(var, bad)]).0, var, "{var}={bad}");
        }
    }

    #[test]
    fn valid_values_are_read() {
        let s = read(&[
            ("ARGON2_MEMORY_KIB", "65536"),
            ("ARGON2_ITERATIONS", "3"),
            ("ARGON2_PARALLELISM", "2"),
            ("ARGON2_MAX_CONCURRENT", "4"),
            ("PASSWORD_MIN_LENGTH", "8"),
        ])
        .unwrap();
        assert_eq!(s.params, Params::new(65_536, 3, 2).unwrap());
        assert_eq!((s.max_concurrent, s.min_length), (4, 8));
    }
}
