//! Case management per household (ENR-3): the needs assessed, a plan of referrals to
//! programmes, services, training and jobs with follow-up dates, and notes.

use serde::{Deserialize, Serialize};

use crate::complaints::codes;

codes! {
    /// What a household needs (the assessment).
    Need {
        Income = "income",
        Food = "food",
        Health = "health",
        Disability = "disability",
        ElderlyCare = "elderly_care",
        Education = "education",
        Housing = "housing",
        Employment = "employment",
        ChildProtection = "child_protection",
        CivilDocuments = "civil_documents",
    }
}

codes! {
    /// What a step of the plan refers the household to.
    Referral {
        /// A programme of the catalogue (its code is the target).
        Programme = "programme",
        /// A service: a health centre, a social worker, civil registration ...
        Service = "service",
        /// Vocational training (BLK).
        Training = "training",
        /// A job placement.
        Job = "job",
    }
}

codes! {
    /// Where a step of the plan is.
    StepStatus {
        Planned = "planned",
        Done = "done",
        Dropped = "dropped",
    }
}

codes! {
    /// Where a case is.
    CaseStatus {
        Open = "open",
        Closed = "closed",
    }
}

/// Most steps in one plan.
pub const MAX_STEPS: usize = 50;
/// Longest summary, note or step text.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// The needs of an assessment: known codes, each once, at least one.
pub fn parse_needs(codes: &[String]) -> Result<Vec<Need>, &'static str> {
    let mut needs: Vec<Need> = Vec::new();
    for c in codes {
        let n = Need::parse(c).ok_or("need_unknown")?;
        if !needs.contains(&n) {
            needs.push(n);
        }
    }
    if needs.is_empty() {
        return Err("needs_required");
    }
    Ok(needs)
}

impl StepStatus {
    /// A planned step is done or dropped once; a finished one stays as it is.
    pub fn finish(self, to: StepStatus) -> Result<StepStatus, &'static str> {
        match (self, to) {
            (StepStatus::Planned, StepStatus::Done | StepStatus::Dropped) => Ok(to),
            (StepStatus::Planned, StepStatus::Planned) => Err("step_status_unchanged"),
            _ => Err("step_already_finished"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_are_known_codes_each_once() {
        let codes = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_needs(&codes(&["health", "income", "health"])),
            Ok(vec![Need::Health, Need::Income])
        );
        assert_eq!(parse_needs(&codes(&["wealth"])), Err("need_unknown"));
        assert_eq!(parse_needs(&[]), Err("needs_required"));
    }

    #[test]
    fn a_step_is_finished_once() {
        use StepStatus::*;
        assert_eq!(Planned.finish(Done), Ok(Done));
        assert_eq!(Planned.finish(Dropped), Ok(Dropped));
        assert_eq!(Planned.finish(Planned), Err("step_status_unchanged"));
        assert_eq!(Done.finish(Dropped), Err("step_already_finished"));
        assert_eq!(Dropped.finish(Done), Err("step_already_finished"));
    }
}
