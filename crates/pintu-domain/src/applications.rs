//! Applications to programmes (ENR-2): where an application comes from, its states and the
//! steps between them, and who may take each step.
//!
//! ```text
//! draft → submitted → forwarded → approved → enrolled
//!                               ↘ rejected
//! draft, submitted, forwarded, approved → withdrawn
//! ```
//!
//! Rejection and withdrawal need a reason (the applicant is told why, seed 004 §2.4.4.2).
//! Forwarding needs every document the programme requires checked off.

use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::complaints::codes;

codes! {
    /// Where an application was started.
    Channel {
        Counter = "counter",
        Online = "online",
        Sms = "sms",
        CallCentre = "call_centre",
        /// From a village's pre-identified list of a matching run.
        Matching = "matching",
    }
}

codes! {
    /// Where an application is in its life.
    State {
        Draft = "draft",
        Submitted = "submitted",
        Forwarded = "forwarded",
        Approved = "approved",
        Rejected = "rejected",
        Enrolled = "enrolled",
        Withdrawn = "withdrawn",
    }
}

codes! {
    /// A step from one state to another.
    Action {
        Submit = "submit",
        Forward = "forward",
        Approve = "approve",
        Reject = "reject",
        Enrol = "enrol",
        Withdraw = "withdraw",
    }
}

impl State {
    /// Whether the application can still move (not rejected, enrolled or withdrawn).
    pub fn is_open(self) -> bool {
        !matches!(self, State::Rejected | State::Enrolled | State::Withdrawn)
    }

    /// The state `action` leads to from this one, or the code of why it may not be taken.
    pub fn apply(self, action: Action) -> Result<State, &'static str> {
        use {Action as A, State as S};
        match (self, action) {
            (S::Draft, A::Submit) => Ok(S::Submitted),
            (S::Submitted, A::Forward) => Ok(S::Forwarded),
            (S::Forwarded, A::Approve) => Ok(S::Approved),
            (S::Forwarded, A::Reject) => Ok(S::Rejected),
            (S::Approved, A::Enrol) => Ok(S::Enrolled),
            (S::Draft | S::Submitted | S::Forwarded | S::Approved, A::Withdraw) => Ok(S::Withdrawn),
            (s, _) if !s.is_open() => Err("application_closed"),
            _ => Err("application_step_not_allowed"),
        }
    }
}

impl Action {
    /// Whether the step must say why.
    pub fn needs_reason(self) -> bool {
        matches!(self, Action::Reject | Action::Withdraw)
    }

    /// Whether an agency officer may take this step (on their own programme's applications):
    /// the decision and the enrolment.
    pub fn allowed_for_agency(self) -> bool {
        matches!(self, Action::Approve | Action::Reject | Action::Enrol)
    }

    /// Whether the applicant may take this step from the portal: submit their draft, or
    /// withdraw.
    pub fn allowed_for_applicant(self) -> bool {
        matches!(self, Action::Submit | Action::Withdraw)
    }

    /// Whether `role` may take this step. Any officer at a counter starts, submits and
    /// withdraws; the sub-district's registration unit and above forward to the programme;
    /// the district (the programme's technical unit) and above decide and enrol.
    pub fn allowed_for(self, role: Role) -> bool {
        match self {
            Action::Submit | Action::Withdraw => may_take_applications(role),
            Action::Forward => matches!(
                role,
                Role::SubdistrictOfficer
                    | Role::DistrictOfficer
                    | Role::ProvinceOfficer
                    | Role::NationalOfficer
            ),
            Action::Approve | Action::Reject | Action::Enrol => matches!(
                role,
                Role::DistrictOfficer | Role::ProvinceOfficer | Role::NationalOfficer
            ),
        }
    }
}

/// Whether `role` works with applications at all (the registry's officers; not the
/// administrator or the ombudsman).
pub fn may_take_applications(role: Role) -> bool {
    matches!(
        role,
        Role::VillageOfficer
            | Role::SubdistrictOfficer
            | Role::DistrictOfficer
            | Role::ProvinceOfficer
            | Role::NationalOfficer
    )
}

/// Largest document (a photo of a card or a scanned letter).
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024 * 1024;
/// Most documents on one application.
pub const MAX_DOCUMENTS: usize = 20;

/// The content type of a document: a PDF, JPEG or PNG, recognised by its first bytes (not
/// its name) and at most [`MAX_DOCUMENT_BYTES`]; otherwise the code of why not.
pub fn document_type(content: &[u8]) -> Result<&'static str, &'static str> {
    if content.is_empty() {
        Err("file_empty")
    } else if content.len() > MAX_DOCUMENT_BYTES {
        Err("document_too_large")
    } else {
        crate::files::sniff(content).ok_or("document_type")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_from_every_state_is_allowed_or_refused_with_its_reason() {
        use {Action as A, State as S};
        let allowed = [
            (S::Draft, A::Submit, S::Submitted),
            (S::Submitted, A::Forward, S::Forwarded),
            (S::Forwarded, A::Approve, S::Approved),
            (S::Forwarded, A::Reject, S::Rejected),
            (S::Approved, A::Enrol, S::Enrolled),
            (S::Draft, A::Withdraw, S::Withdrawn),
            (S::Submitted, A::Withdraw, S::Withdrawn),
            (S::Forwarded, A::Withdraw, S::Withdrawn),
            (S::Approved, A::Withdraw, S::Withdrawn),
        ];
        for &s in S::ALL {
            for &a in A::ALL {
                let expected = allowed
                    .iter()
                    .find(|(from, act, _)| *from == s && *act == a)
                    .map(|(_, _, to)| *to);
                match (s.apply(a), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{s:?} {a:?}"),
                    (Err(code), None) => {
                        let want = if s.is_open() {
                            "application_step_not_allowed"
                        } else {
                            "application_closed"
                        };
                        assert_eq!(code, want, "{s:?} {a:?}");
                    }
                    (got, want) => panic!("{s:?} {a:?}: got {got:?}, expected {want:?}"),
                }
            }
        }
    }

    #[test]
    fn only_rejection_and_withdrawal_need_a_reason() {
        let with: Vec<_> = Action::ALL
            .iter()
            .filter(|a| a.needs_reason())
            .copied()
            .collect();
        assert_eq!(with, vec![Action::Reject, Action::Withdraw]);
    }

    #[test]
    fn decisions_belong_to_the_district_and_forwarding_to_the_sub_district() {
        assert!(Action::Submit.allowed_for(Role::VillageOfficer));
        assert!(!Action::Forward.allowed_for(Role::VillageOfficer));
        assert!(Action::Forward.allowed_for(Role::SubdistrictOfficer));
        assert!(!Action::Approve.allowed_for(Role::SubdistrictOfficer));
        assert!(Action::Approve.allowed_for(Role::DistrictOfficer));
        assert!(Action::Enrol.allowed_for(Role::NationalOfficer));
        for a in Action::ALL {
            assert!(!a.allowed_for(Role::Admin));
            assert!(!a.allowed_for(Role::Ombudsman));
        }
    }

    #[test]
    fn documents_are_recognised_by_their_content() {
        assert_eq!(document_type(b"%PDF-1.7 ..."), Ok("application/pdf"));
        assert_eq!(document_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok("image/jpeg"));
        assert_eq!(document_type(b"\x89PNG\r\n\x1a\n...."), Ok("image/png"));
        assert_eq!(document_type(b"MZ\x90\x00"), Err("document_type"));
        assert_eq!(document_type(b"<html>"), Err("document_type"));
        assert_eq!(document_type(b""), Err("file_empty"));
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_DOCUMENT_BYTES + 1, b' ');
        assert_eq!(document_type(&big), Err("document_too_large"));
    }
}
