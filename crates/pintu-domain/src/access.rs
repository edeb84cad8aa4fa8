//! Who may act, and on which records. The role says what a user may do; the home area says
//! where. Scope is applied by the store as a filter, so a handler cannot forget it.

use serde::{Deserialize, Serialize};

use crate::area::{AreaCode, AreaLevel};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    VillageOfficer,
    SubdistrictOfficer,
    DistrictOfficer,
    ProvinceOfficer,
    NationalOfficer,
    Admin,
    /// The provincial ombudsman (Ombudsman RI's representative office): works the
    /// complaints escalated to the province, and reads their reports; no registry access.
    Ombudsman,
    /// An officer of a programme's owner agency (a ministry's unit, BPJS, a regional
    /// office): decides the applications to their one programme, in their area if they
    /// have one (any level), nationally if not; no registry access.
    AgencyOfficer,
    /// An employer's account at BPJS Ketenagakerjaan (`users.employer_npp`): registers its
    /// own workers, reports their wages and sees its own bills; nothing else, and no
    /// registry access. Its home area is the enterprise's village.
    Employer,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::VillageOfficer,
        Role::SubdistrictOfficer,
        Role::DistrictOfficer,
        Role::ProvinceOfficer,
        Role::NationalOfficer,
        Role::Admin,
        Role::Ombudsman,
        Role::AgencyOfficer,
        Role::Employer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::VillageOfficer => "village_officer",
            Role::SubdistrictOfficer => "subdistrict_officer",
            Role::DistrictOfficer => "district_officer",
            Role::ProvinceOfficer => "province_officer",
            Role::NationalOfficer => "national_officer",
            Role::Admin => "admin",
            Role::Ombudsman => "ombudsman",
            Role::AgencyOfficer => "agency_officer",
            Role::Employer => "employer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s.trim())
    }

    /// The level of the home area this role works at; `None` means national reach.
    /// A sub-district officer (kecamatan) works at the district level of the Kemendagri
    /// coding; a district officer (kabupaten/kota) at the regency level.
    pub fn area_level(self) -> Option<AreaLevel> {
        match self {
            Role::VillageOfficer | Role::Employer => Some(AreaLevel::Village),
            Role::SubdistrictOfficer => Some(AreaLevel::District),
            Role::DistrictOfficer => Some(AreaLevel::Regency),
            Role::ProvinceOfficer | Role::Ombudsman => Some(AreaLevel::Province),
            Role::NationalOfficer | Role::Admin | Role::AgencyOfficer => None,
        }
    }

    /// Checks that a home area fits the role: a village officer's area is a village, a
    /// national officer has none.
    pub fn check_area(self, area: Option<&AreaCode>) -> Result<(), &'static str> {
        if self == Role::AgencyOfficer {
            // An agency works nationally or in any one area.
            return Ok(());
        }
        match (self.area_level(), area) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err("national_role_has_no_area"),
            (Some(_), None) => Err("area_required"),
            (Some(level), Some(a)) if a.level() == level => Ok(()),
            (Some(_), Some(_)) => Err("area_level_mismatch"),
        }
    }
}

/// The records an actor may see: everything, or one area and everything below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    National,
    Within(AreaCode),
}

impl Scope {
    pub fn allows(&self, village: &AreaCode) -> bool {
        match self {
            Scope::National => true,
            Scope::Within(area) => area.contains(village),
        }
    }

    /// Narrows this scope to `area` if the actor may see it; `None` if the area is outside.
    pub fn narrow(&self, area: &AreaCode) -> Option<Scope> {
        match self {
            Scope::National => Some(Scope::Within(area.clone())),
            Scope::Within(home) if home.contains(area) => Some(Scope::Within(area.clone())),
            Scope::Within(home) if area.contains(home) => Some(Scope::Within(home.clone())),
            Scope::Within(_) => None,
        }
    }
}

/// Who is acting: an officer, or the system itself (jobs, imports, the demo loader).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Officer {
        user_id: String,
        username: String,
        role: Role,
        area: Option<AreaCode>,
    },
    System {
        job: String,
    },
    /// A resident logged in to the portal: sees and asks for changes to their own household
    /// only, through the resident's own services; every officer permission is refused.
    Resident {
        person_id: String,
        household_id: Option<String>,
        village: AreaCode,
    },
}

impl Actor {
    pub fn scope(&self) -> Scope {
        match self {
            Actor::Officer { area: Some(a), .. } => Scope::Within(a.clone()),
            Actor::Officer { area: None, .. } | Actor::System { .. } => Scope::National,
            Actor::Resident { village, .. } => Scope::Within(village.clone()),
        }
    }

    /// Whether the actor is a resident who may see the records of this person (themself or
    /// a member of their household). Officers and the system are not residents: `false`.
    pub fn is_resident_of(&self, person_id: &str, household_id: Option<&str>) -> bool {
        match self {
            Actor::Resident {
                person_id: me,
                household_id: mine,
                ..
            } => {
                me == person_id
                    || matches!((mine.as_deref(), household_id), (Some(a), Some(b)) if a == b)
            }
            _ => false,
        }
    }

    pub fn is_resident(&self) -> bool {
        matches!(self, Actor::Resident { .. })
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::Officer { role, .. } => Some(*role),
            Actor::System { .. } | Actor::Resident { .. } => None,
        }
    }

    pub fn user_id(&self) -> Option<&str> {
        match self {
            Actor::Officer { user_id, .. } => Some(user_id),
            Actor::System { .. } | Actor::Resident { .. } => None,
        }
    }

    /// A label for the audit log and history: `user:<id>` or `system:<job>`.
    pub fn label(&self) -> String {
        match self {
            Actor::Officer { username, .. } => format!("user:{username}"),
            Actor::System { job } => format!("system:{job}"),
            Actor::Resident { person_id, .. } => format!("resident:{person_id}"),
        }
    }

    pub fn may_manage_users(&self) -> bool {
        matches!(
            self,
            Actor::Officer {
                role: Role::Admin,
                ..
            } | Actor::System { .. }
        )
    }

    /// Every officer role registers and updates records, inside its scope.
    /// Source extracts are imported by district MIS units and above, or by the system.
    pub fn may_import(&self) -> bool {
        match self {
            Actor::Officer { role, .. } => matches!(
                role,
                Role::DistrictOfficer | Role::ProvinceOfficer | Role::NationalOfficer
            ),
            Actor::System { .. } => true,
            Actor::Resident { .. } => false,
        }
    }

    /// The conflict and duplicate queues are worked by sub-district MIS units and above; a
    /// village office decides only the conflicts sent to it for field verification.
    pub fn may_review(&self) -> bool {
        match self {
            Actor::Officer { role, .. } => !matches!(
                role,
                Role::VillageOfficer | Role::Ombudsman | Role::AgencyOfficer | Role::Employer
            ),
            Actor::System { .. } => true,
            Actor::Resident { .. } => false,
        }
    }

    /// BPJS Ketenagakerjaan: registering employers and inspecting their compliance is the
    /// work of district offices (the manpower office's labour inspectors work there) and the
    /// levels above, in their area, or the system.
    pub fn may_inspect_employers(&self) -> bool {
        self.may_import()
    }

    /// Whether the actor is an employer's account.
    pub fn is_employer(&self) -> bool {
        self.role() == Some(Role::Employer)
    }

    pub fn may_write_registry(&self) -> bool {
        self.may_read_registry()
    }

    /// Every officer reads the registry of their area, except the ombudsman, who sees the
    /// complaints escalated to the province and nothing else. A resident reads only their
    /// own household, through the portal's services, never the registry.
    pub fn may_read_registry(&self) -> bool {
        match self {
            Actor::Officer { role, .. } => {
                !matches!(role, Role::Ombudsman | Role::AgencyOfficer | Role::Employer)
            }
            Actor::System { .. } => true,
            Actor::Resident { .. } => false,
        }
    }

    /// Matching runs (the cross-table of a whole area) are started by district back offices
    /// and above, or by the system.
    pub fn may_run_matching(&self) -> bool {
        self.may_import()
    }

    /// The village forum's additions and removals are recorded by the village office (or an
    /// office above it) for people in its area; the ombudsman has no registry access.
    pub fn may_record_overrides(&self) -> bool {
        self.may_write_registry()
    }

    /// Complaints are recorded by every officer except the ombudsman, whose cases arrive
    /// by escalation.
    pub fn may_record_complaints(&self) -> bool {
        matches!(self, Actor::Officer { role, .. } if !matches!(role, Role::Ombudsman | Role::AgencyOfficer | Role::Employer))
            || matches!(self, Actor::System { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> AreaCode {
        AreaCode::parse(s).expect("valid")
    }

    #[test]
    fn roles_must_sit_at_their_level() {
        assert!(
            Role::VillageOfficer
                .check_area(Some(&code("35.07.12.2003")))
                .is_ok()
        );
        assert_eq!(
            Role::VillageOfficer.check_area(Some(&code("35.07"))),
            Err("area_level_mismatch")
        );
        assert_eq!(Role::DistrictOfficer.check_area(None), Err("area_required"));
        assert!(Role::Admin.check_area(None).is_ok());
        assert_eq!(
            Role::NationalOfficer.check_area(Some(&code("35"))),
            Err("national_role_has_no_area")
        );
    }

    #[test]
    fn a_resident_sees_their_household_and_holds_no_officer_permission() {
        let me = Actor::Resident {
            person_id: "p1".into(),
            household_id: Some("h1".into()),
            village: code("35.07.12.2003"),
        };
        assert!(me.is_resident_of("p1", None));
        assert!(me.is_resident_of("p2", Some("h1")));
        assert!(!me.is_resident_of("p3", Some("h2")));
        assert!(!me.is_resident_of("p3", None));
        assert!(!me.may_read_registry() && !me.may_write_registry() && !me.may_import());
        assert!(!me.may_review() && !me.may_record_complaints() && !me.may_manage_users());
        assert_eq!(me.role(), None);
        assert_eq!(me.label(), "resident:p1");
        let officer = Actor::Officer {
            user_id: "u".into(),
            username: "u".into(),
            role: Role::VillageOfficer,
            area: Some(code("35.07.12.2003")),
        };
        assert!(
            !officer.is_resident_of("p1", Some("h1")),
            "an officer is no resident"
        );
    }

    #[test]
    fn an_agency_officer_works_anywhere_but_holds_no_registry_permission() {
        assert!(Role::AgencyOfficer.check_area(None).is_ok());
        assert!(Role::AgencyOfficer.check_area(Some(&code("35.07"))).is_ok());
        let agency = Actor::Officer {
            user_id: "u".into(),
            username: "u".into(),
            role: Role::AgencyOfficer,
            area: None,
        };
        assert!(!agency.may_read_registry() && !agency.may_review());
        assert!(!agency.may_record_complaints() && !agency.may_import());
        assert_eq!(Role::parse("agency_officer"), Some(Role::AgencyOfficer));
    }

    #[test]
    fn an_employer_sits_in_a_village_and_holds_no_officer_permission() {
        assert!(
            Role::Employer
                .check_area(Some(&code("35.07.01.2001")))
                .is_ok()
        );
        assert_eq!(Role::Employer.check_area(None), Err("area_required"));
        let employer = Actor::Officer {
            user_id: "u".into(),
            username: "u".into(),
            role: Role::Employer,
            area: Some(code("35.07.01.2001")),
        };
        assert!(employer.is_employer() && !employer.may_inspect_employers());
        assert!(!employer.may_read_registry() && !employer.may_review());
        assert!(!employer.may_record_complaints() && !employer.may_import());
        assert_eq!(Role::parse("employer"), Some(Role::Employer));
    }

    #[test]
    fn narrowing_keeps_an_officer_inside_their_area() {
        let home = Scope::Within(code("35.07.12"));
        assert_eq!(
            home.narrow(&code("35.07.12.2003")),
            Some(Scope::Within(code("35.07.12.2003")))
        );
        assert_eq!(
            home.narrow(&code("35.07")),
            Some(Scope::Within(code("35.07.12")))
        );
        assert_eq!(home.narrow(&code("35.07.13")), None);
        assert_eq!(
            Scope::National.narrow(&code("35")),
            Some(Scope::Within(code("35")))
        );
    }
}
