//! The call centre (INF-2): why residents call and how a call ended.

use serde::{Deserialize, Serialize};

use crate::complaints::codes;

codes! {
    /// Why the resident called.
    Reason {
        ProgrammeInformation = "programme_information",
        ApplicationStatus = "application_status",
        Complaint = "complaint",
        DataChange = "data_change",
        Payment = "payment",
        Other = "other",
    }
}

codes! {
    /// How the call ended.
    Outcome {
        /// Answered on the phone.
        Answered = "answered",
        ApplicationStarted = "application_started",
        ComplaintRecorded = "complaint_recorded",
        /// Sent to the village office or an agency.
        Referred = "referred",
        /// The resident is to be called back.
        CallBack = "call_back",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.code()), Some(*r));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.code()), Some(*o));
        }
        assert_eq!(Reason::parse("gossip"), None);
    }
}
