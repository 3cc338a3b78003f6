//! One rotation step: who runs it, which step it is, what it did, and why it was
//! refused.

use crate::credentials::keys::RotationOutcome;
use crate::error::Error;

/// Who runs a rotation step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// Secrets Manager, through the rotation Lambda. It labels the token AWSPENDING
    /// before `createSecret`, so every step refuses a token it does not list.
    SecretsManager,
    /// A direct caller (the tests: moto cannot invoke a rotation Lambda).
    /// `createSecret` may name a token Secrets Manager never listed; the other steps
    /// still refuse one.
    Direct,
}

/// One rotation step, as the rotation Lambda receives it.
#[derive(Debug, Clone, Copy)]
pub struct RotationStep<'a> {
    /// `createSecret`, `setSecret`, `testSecret` or `finishSecret`.
    pub step: &'a str,
    pub secret_id: &'a str,
    /// The version id (`ClientRequestToken`).
    pub token: &'a str,
    pub caller: Caller,
}

impl<'a> RotationStep<'a> {
    /// A step run directly (see [`Caller::Direct`]).
    pub fn direct(step: &'a str, secret_id: &'a str, token: &'a str) -> Self {
        RotationStep {
            step,
            secret_id,
            token,
            caller: Caller::Direct,
        }
    }
}

/// What a step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// `createSecret` staged this rotation's ring.
    Staged(RotationOutcome),
    /// Nothing to do: the version is already AWSCURRENT, its pending ring already
    /// exists (a retried `createSecret`), or `setSecret` (the ring lives only here).
    Unchanged,
    /// `testSecret`: the pending ring signs and verifies its own token.
    Tested,
    /// `finishSecret`: the pending version is now AWSCURRENT.
    Promoted,
    /// `finishSecret`: AWSCURRENT is no longer the version the pending ring was derived
    /// from (another rotation, e.g. an emergency one, overtook this one). Nothing was
    /// promoted; the pending label was removed.
    Superseded,
}

impl StepOutcome {
    /// The name in logs.
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            StepOutcome::Staged(_) => "staged",
            StepOutcome::Unchanged => "unchanged",
            StepOutcome::Tested => "tested",
            StepOutcome::Promoted => "promoted",
            StepOutcome::Superseded => "superseded",
        }
    }
}

/// The four steps, as Secrets Manager names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    Create,
    Set,
    Test,
    Finish,
}

impl Step {
    /// The step `name` stands for, if one of the four.
    pub(super) fn parse(name: &str) -> Option<Step> {
        match name {
            "createSecret" => Some(Step::Create),
            "setSecret" => Some(Step::Set),
            "testSecret" => Some(Step::Test),
            "finishSecret" => Some(Step::Finish),
            _ => None,
        }
    }

    /// The name Secrets Manager sends (and the logs show).
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Step::Create => "createSecret",
            Step::Set => "setSecret",
            Step::Test => "testSecret",
            Step::Finish => "finishSecret",
        }
    }

    /// The verb in messages ("no pending version to test").
    fn verb(self) -> &'static str {
        match self {
            Step::Create => "create",
            Step::Set => "set",
            Step::Test => "test",
            Step::Finish => "finish",
        }
    }
}

/// Why a rotation step was refused; [`StepRefusal::as_str`] is the reason code, and the
/// refusal becomes the step's error (400 for an unknown step, 409 otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StepRefusal<'a> {
    /// Not one of the four step names.
    UnknownStep(&'a str),
    /// Secrets Manager does not list the version.
    TokenNotListed { token: &'a str },
    /// The version does not carry the pending label `stage`.
    NotStaged { token: &'a str, stage: &'a str },
    /// No ring is staged for the version, so there is nothing to test or finish.
    NothingStaged(Step),
    /// A direct rotation was overtaken: nothing was promoted.
    RingChanged,
}

impl StepRefusal<'_> {
    /// The reason code.
    pub(super) fn as_str(&self) -> &'static str {
        match self {
            StepRefusal::UnknownStep(_) => "unknown_step",
            StepRefusal::TokenNotListed { .. } => "token_not_listed",
            StepRefusal::NotStaged { .. } => "not_staged",
            StepRefusal::NothingStaged(_) => "nothing_staged",
            StepRefusal::RingChanged => "ring_changed",
        }
    }
}

impl From<StepRefusal<'_>> for Error {
    fn from(refusal: StepRefusal<'_>) -> Error {
        match refusal {
            StepRefusal::UnknownStep(step) => {
                Error::bad_request(format!("unknown rotation step `{step}`"))
            }
            StepRefusal::TokenNotListed { token } => Error::Conflict(format!(
                "version {token} is not a version Secrets Manager lists for this secret"
            )),
            StepRefusal::NotStaged { token, stage } => {
                Error::Conflict(format!("version {token} is not {stage}"))
            }
            StepRefusal::NothingStaged(step) => {
                Error::Conflict(format!("no pending version to {}", step.verb()))
            }
            StepRefusal::RingChanged => Error::Conflict(
                "the ring changed during the rotation; nothing was promoted; retry".into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_names_round_trip_and_refusals_keep_their_messages() {
        for name in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
            assert_eq!(Step::parse(name).map(Step::as_str), Some(name));
        }
        assert_eq!(Step::parse("bogusStep"), None);
        let cases = [
            (
                StepRefusal::UnknownStep("x"),
                400,
                "unknown rotation step `x`",
            ),
            (
                StepRefusal::TokenNotListed { token: "t" },
                409,
                "version t is not a version Secrets Manager lists for this secret",
            ),
            (
                StepRefusal::NotStaged {
                    token: "t",
                    stage: "AWSPENDING",
                },
                409,
                "version t is not AWSPENDING",
            ),
            (
                StepRefusal::NothingStaged(Step::Test),
                409,
                "no pending version to test",
            ),
            (
                StepRefusal::RingChanged,
                409,
                "the ring changed during the rotation; nothing was promoted; retry",
            ),
        ];
        for (refusal, status, message) in cases {
            let err = Error::from(refusal);
            assert_eq!(err.status().as_u16(), status, "{}", refusal.as_str());
            assert!(err.to_string().contains(message), "{err}");
        }
    }
}
