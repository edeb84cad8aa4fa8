//! Field-level validation errors with stable codes that the UI translates.

use serde::Serialize;

/// One field that failed validation: where, and a stable snake_case code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// A path into the input, e.g. `members[2].nik`.
    pub field: String,
    pub code: &'static str,
}

/// All field errors of one input, reported together so a form can show them at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn push(&mut self, field: impl Into<String>, code: &'static str) {
        self.0.push(FieldError {
            field: field.into(),
            code,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn one(field: impl Into<String>, code: &'static str) -> Invalid {
        Invalid(vec![FieldError {
            field: field.into(),
            code,
        }])
    }

    /// `Ok(value)` when nothing was pushed.
    pub fn or_ok<T>(self, value: T) -> Result<T, Invalid> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.code))
            .collect();
        write!(f, "invalid input ({})", parts.join(", "))
    }
}

impl std::error::Error for Invalid {}
