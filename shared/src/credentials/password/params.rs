//! Argon2id cost parameters: the floor no configuration may go below, the cap no
//! stored hash may exceed, and the stored PHC string read before any work is done
//! (docs/DECISIONS.md, "Passwords").

use std::fmt;

use argon2::password_hash::PasswordHash;

/// The OWASP equal-strength table for Argon2id (p = 1): the least memory, in KiB,
/// for each number of passes. Five passes or more need the last row's memory.
pub const FLOOR: [(u32, u32); 5] = [
    (1, 47_104),
    (2, 19_456),
    (3, 12_288),
    (4, 9_216),
    (5, 7_168),
];

/// The most memory a hash may ask for (256 MiB): the worker runs at most
/// `ARGON2_MAX_CONCURRENT` hashes, so this bounds the function's memory too.
pub const MAX_MEMORY_KIB: u32 = 262_144;
/// The most passes a hash may ask for.
pub const MAX_ITERATIONS: u32 = 16;
/// The most lanes a hash may ask for.
pub const MAX_PARALLELISM: u32 = 8;

/// Salt length of new hashes, from the CSPRNG.
pub(crate) const SALT_LEN: usize = 16;
/// Output length of new hashes.
pub(crate) const OUTPUT_LEN: usize = 32;
/// Longest stored string read at all (a PHC string of the cap's parameters, a 64-byte
/// salt and a 64-byte output is far shorter).
const MAX_PHC_LEN: usize = 256;

/// Argon2id cost parameters: memory in KiB (`m`), passes (`t`), lanes (`p`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

/// Why parameters are refused as configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamsError {
    /// Fewer passes than 1, or more than [`MAX_ITERATIONS`].
    Iterations,
    /// Fewer lanes than 1, or more than [`MAX_PARALLELISM`].
    Parallelism,
    /// Less memory than the floor's row for these passes.
    BelowFloor { least_kib: u32 },
    /// More memory than [`MAX_MEMORY_KIB`].
    AboveCap,
}

impl fmt::Display for ParamsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamsError::Iterations => write!(f, "must be between 1 and {MAX_ITERATIONS}"),
            ParamsError::Parallelism => write!(f, "must be between 1 and {MAX_PARALLELISM}"),
            ParamsError::BelowFloor { least_kib } => write!(
                f,
                "must be at least {least_kib} KiB with these iterations (the OWASP Argon2id table)"
            ),
            ParamsError::AboveCap => write!(f, "must be at most {MAX_MEMORY_KIB} KiB"),
        }
    }
}

impl Params {
    /// The defaults: m = 19456 KiB, t = 2, p = 1 (a row of the floor).
    pub const DEFAULT: Params = Params {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };

    /// Parameters at or above the floor and within the cap.
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, ParamsError> {
        if !(1..=MAX_ITERATIONS).contains(&iterations) {
            return Err(ParamsError::Iterations);
        }
        if !(1..=MAX_PARALLELISM).contains(&parallelism) {
            return Err(ParamsError::Parallelism);
        }
        let least_kib = floor_memory_kib(iterations);
        if memory_kib < least_kib {
            return Err(ParamsError::BelowFloor { least_kib });
        }
        if memory_kib > MAX_MEMORY_KIB {
            return Err(ParamsError::AboveCap);
        }
        Ok(Params {
            memory_kib,
            iterations,
            parallelism,
        })
    }

    pub fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    pub fn parallelism(&self) -> u32 {
        self.parallelism
    }

    /// Whether a hash made with `self` should be replaced by one made with `current`:
    /// any of its parameters is below the current one.
    pub fn below(&self, current: &Params) -> bool {
        self.memory_kib < current.memory_kib
            || self.iterations < current.iterations
            || self.parallelism < current.parallelism
    }

    /// The `argon2` crate's parameters with an output of `output_len` bytes.
    pub(crate) fn argon2(&self, output_len: usize) -> Option<argon2::Params> {
        argon2::Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(output_len),
        )
        .ok()
    }
}

/// The floor's memory for `iterations` passes (at least 1).
fn floor_memory_kib(iterations: u32) -> u32 {
    FLOOR
        .iter()
        .rev()
        .find(|(t, _)| *t <= iterations)
        .map_or(FLOOR[0].1, |(_, m)| *m)
}

/// Why a stored hash is refused before it is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredError {
    /// Not a PHC string, or longer than any Gatehouse writes.
    Malformed,
    /// Another algorithm than `argon2id`, or a version other than 19.
    Algorithm,
    /// A parameter missing, repeated, unknown (`keyid`, `data`) or not a number.
    Params,
    /// `m`, `t` or `p` above the cap: computing it would cost more than any hash may.
    OverCap,
    /// Salt or output missing, or outside Argon2's lengths.
    SaltOrOutput,
}

impl StoredError {
    pub fn as_str(self) -> &'static str {
        match self {
            StoredError::Malformed => "malformed",
            StoredError::Algorithm => "algorithm",
            StoredError::Params => "params",
            StoredError::OverCap => "over_cap",
            StoredError::SaltOrOutput => "salt_or_output",
        }
    }
}

/// A stored PHC string, checked: Argon2id v19, parameters within the cap, a salt and
/// an output. Nothing is allocated for the hash until it is one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stored {
    /// The stored parameters (may be below the floor: an old hash still verifies,
    /// and is then rehashed).
    pub(crate) params: Params,
    pub(crate) salt: Vec<u8>,
    pub(crate) output: Vec<u8>,
}

impl Stored {
    /// Parses `phc` and checks it in that order: shape, algorithm, parameters, cap,
    /// salt and output.
    pub(crate) fn parse(phc: &str) -> Result<Self, StoredError> {
        if phc.len() > MAX_PHC_LEN {
            return Err(StoredError::Malformed);
        }
        let hash = PasswordHash::new(phc).map_err(|_| StoredError::Malformed)?;
        if hash.algorithm.as_str() != "argon2id" || hash.version != Some(19) {
            return Err(StoredError::Algorithm);
        }
        let params = stored_params(&hash)?;
        let mut salt = [0u8; 64];
        let salt = hash
            .salt
            .and_then(|s| s.decode_b64(&mut salt).ok())
            .filter(|s| s.len() >= argon2::MIN_SALT_LEN)
            .ok_or(StoredError::SaltOrOutput)?
            .to_vec();
        let output = hash
            .hash
            .filter(|o| o.len() >= argon2::Params::MIN_OUTPUT_LEN)
            .ok_or(StoredError::SaltOrOutput)?
            .as_bytes()
            .to_vec();
        Ok(Stored {
            params,
            salt,
            output,
        })
    }
}

/// Exactly `m`, `t` and `p`, once each, within the cap.
fn stored_params(hash: &PasswordHash<'_>) -> Result<Params, StoredError> {
    let mut found = [None::<u32>; 3];
    for (ident, value) in hash.params.iter() {
        let slot = match ident.as_str() {
            "m" => 0,
            "t" => 1,
            "p" => 2,
            _ => return Err(StoredError::Params),
        };
        let n = value.decimal().map_err(|_| StoredError::Params)?;
        if found[slot].replace(n).is_some() {
            return Err(StoredError::Params);
        }
    }
    let [Some(m), Some(t), Some(p)] = found else {
        return Err(StoredError::Params);
    };
    if m > MAX_MEMORY_KIB || t > MAX_ITERATIONS || p > MAX_PARALLELISM {
        return Err(StoredError::OverCap);
    }
    // Argon2's own least memory is 8 KiB per lane.
    if t == 0 || p == 0 || m < 8 * p {
        return Err(StoredError::Params);
    }
    Ok(Params {
        memory_kib: m,
        iterations: t,
        parallelism: p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_of_the_owasp_table_is_accepted() {
        for (t, m) in FLOOR {
            assert!(Params::new(m, t, 1).is_ok(), "m={m} t={t}");
        }
        assert!(Params::new(7_168, MAX_ITERATIONS, 1).is_ok());
        assert!(Params::new(MAX_MEMORY_KIB, 1, MAX_PARALLELISM).is_ok());
    }

    #[test]
    fn one_step_below_a_row_of_the_table_is_refused() {
        for (t, m) in FLOOR {
            assert_eq!(
                Params::new(m - 1, t, 1),
                Err(ParamsError::BelowFloor { least_kib: m }),
                "m={m} t={t}"
            );
        }
        assert_eq!(
            Params::new(7_167, 9, 1),
            Err(ParamsError::BelowFloor { least_kib: 7_168 })
        );
        assert_eq!(Params::new(47_104, 0, 1), Err(ParamsError::Iterations));
        assert_eq!(Params::new(19_456, 2, 0), Err(ParamsError::Parallelism));
    }

    #[test]
    fn parameters_above_the_cap_are_refused_as_configuration() {
        assert_eq!(
            Params::new(MAX_MEMORY_KIB + 1, 2, 1),
            Err(ParamsError::AboveCap)
        );
        assert_eq!(
            Params::new(19_456, MAX_ITERATIONS + 1, 1),
            Err(ParamsError::Iterations)
        );
        assert_eq!(
            Params::new(19_456, 2, MAX_PARALLELISM + 1),
            Err(ParamsError::Parallelism)
        );
    }

    #[test]
    fn the_defaults_are_a_row_of_the_table() {
        assert_eq!(Params::new(19_456, 2, 1), Ok(Params::DEFAULT));
    }

    const SALT_AND_OUTPUT: &str =
        "c2FsdHNhbHRzYWx0c2FsdA$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY";

    fn phc(params: &str) -> String {
        format!("$argon2id$v=19${params}${SALT_AND_OUTPUT}")
    }

    #[test]
    fn a_stored_hash_within_the_cap_is_read() {
        let stored = Stored::parse(&phc("m=19456,t=2,p=1")).unwrap();
        assert_eq!(stored.params, Params::DEFAULT);
        assert_eq!(stored.salt, b"saltsaltsaltsalt");
        assert_eq!(stored.output.len(), 32);
        // Below the floor still reads: an old hash verifies, then is rehashed.
        assert_eq!(
            Stored::parse(&phc("m=4096,t=1,p=1"))
                .unwrap()
                .params
                .memory_kib(),
            4096
        );
    }

    #[test]
    fn a_stored_hash_over_the_cap_is_refused_before_any_allocation() {
        // Parsing is all that runs: were m=4 TiB computed, this test would abort.
        for params in [
            "m=4294967295,t=2,p=1",
            "m=262145,t=2,p=1",
            "m=19456,t=17,p=1",
            "m=19456,t=4294967295,p=1",
            "m=19456,t=2,p=9",
            "m=19456,t=2,p=16777215",
        ] {
            assert_eq!(
                Stored::parse(&phc(params)),
                Err(StoredError::OverCap),
                "{params}"
            );
        }
    }

    #[test]
    fn malformed_stored_hashes_are_refused_never_a_panic() {
        let long = format!("$argon2id$v=19$m=19456,t=2,p=1${}", "A".repeat(300));
        let cases: Vec<(String, StoredError)> = vec![
            (String::new(), StoredError::Malformed),
            ("plaintext".into(), StoredError::Malformed),
            ("$".into(), StoredError::Malformed),
            ("$$$$".into(), StoredError::Malformed),
            (
                "$argon2id$v=19$m=19456,t=2,p=1$!!$??".into(),
                StoredError::Malformed,
            ),
            (long, StoredError::Malformed),
            (phc("m=x,t=2,p=1"), StoredError::Params),
            (
                phc("m=19456,t=2,p=1").replace("argon2id", "argon2i"),
                StoredError::Algorithm,
            ),
            (
                phc("m=19456,t=2,p=1").replace("v=19", "v=16"),
                StoredError::Algorithm,
            ),
            (
                phc("m=19456,t=2,p=1").replace("$v=19", ""),
                StoredError::Algorithm,
            ),
            (phc("m=19456,t=2"), StoredError::Params),
            (phc("m=19456,t=2,p=1,keyid=YWJj"), StoredError::Params),
            (phc("m=19456,t=0,p=1"), StoredError::Params),
            (phc("m=19456,t=2,p=0"), StoredError::Params),
            (phc("m=7,t=2,p=1"), StoredError::Params),
            (phc("m=19456,m=19456,t=2,p=1"), StoredError::Params),
            (
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA".into(),
                StoredError::SaltOrOutput,
            ),
            (
                "$argon2id$v=19$m=19456,t=2,p=1".into(),
                StoredError::SaltOrOutput,
            ),
            (
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$YWJjZGVmZ2hpamtsbW5vcA".into(),
                StoredError::SaltOrOutput,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(Stored::parse(&input), Err(want), "{input}");
        }
    }

    #[test]
    fn rehash_is_needed_when_a_stored_parameter_is_below_the_current_one() {
        let current = Params::DEFAULT;
        let p = |m, t, p| Params {
            memory_kib: m,
            iterations: t,
            parallelism: p,
        };
        assert!(!current.below(&current));
        assert!(p(19_455, 2, 1).below(&current));
        assert!(p(47_104, 1, 1).below(&current), "fewer passes");
        assert!(p(65_536, 3, 1).below(&p(65_536, 3, 2)), "fewer lanes");
        assert!(!p(65_536, 3, 1).below(&current), "stronger stays");
    }
}
