//! The service layer's one error type. The web layer maps each variant once to a status code
//! and a stable snake_case code.

use pintu_domain::Invalid;
use pintu_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that fails validation, field by field.
    #[error("{0}")]
    Invalid(Invalid),
    /// Not there, or outside the actor's area: the two are deliberately indistinguishable.
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("not logged in")]
    Unauthenticated,
    /// The request conflicts with the registry's state (`nik_already_registered` ...).
    #[error("conflict: {code}")]
    Conflict {
        code: &'static str,
        field: Option<String>,
    },
    /// A rule or ranking order that does not parse or type-check (`field` is `rule` or
    /// `rank_by`): every error with its position. Nothing was written.
    #[error("{field} does not check")]
    Rule {
        field: &'static str,
        errors: Vec<pintu_domain::rules::RuleError>,
    },
    /// Too many failed logins; try again after the given number of seconds.
    #[error("too many attempts")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(code) => Error::Conflict { code, field: None },
            other => Error::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<Invalid> for Error {
    fn from(e: Invalid) -> Self {
        Error::Invalid(e)
    }
}

impl From<pintu_store::sea_orm::DbErr> for Error {
    fn from(e: pintu_store::sea_orm::DbErr) -> Self {
        Error::from(StoreError::from(e))
    }
}

impl Error {
    pub fn invalid(field: impl Into<String>, code: &'static str) -> Error {
        Error::Invalid(Invalid::one(field, code))
    }
}
