//! Complaints and appeals (GRM-1..3): where a complaint comes from, what it is about, the
//! levels it climbs (village → sub-district → district → a technical unit or agency →
//! the provincial ombudsman), its state machine, its deadlines and its reference number.
//!
//! A complaint is `open` at one level until someone there resolves it or sends it up;
//! `resolved` once the resident was given a response; `closed` once the resident
//! acknowledged it (or could not be reached). A resolved or closed complaint can be reopened
//! within [`REOPEN_DAYS`] of its resolution.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::area::{AreaCode, AreaLevel};

/// Days after its resolution during which a complaint can be reopened.
pub const REOPEN_DAYS: i64 = 30;

macro_rules! codes {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.code() == s)
            }
        }
    };
}
/// Shared with the other modules whose codes are stable snake_case strings.
pub(crate) use codes;

codes! {
    /// Where a complaint was received.
    Channel {
        VillageIntermediary = "village_intermediary",
        SubdistrictCounter = "subdistrict_counter",
        CallCentre = "call_centre",
        Web = "web",
        Sms = "sms",
        Portal = "portal",
    }
}

codes! {
    /// What a complaint is about (seed 004 §2.3.6).
    Category {
        ExclusionError = "exclusion_error",
        InclusionError = "inclusion_error",
        WrongData = "wrong_data",
        ProgrammeInformation = "programme_information",
        ServiceQuality = "service_quality",
        BenefitDelay = "benefit_delay",
        StaffConduct = "staff_conduct",
        Other = "other",
    }
}

codes! {
    /// Who holds a complaint: the village office, the sub-district SRS coordinator, the
    /// district SRS coordinator, a technical unit (SKPD) or agency the district assigned it
    /// to, or the provincial ombudsman.
    Level {
        Village = "village",
        Subdistrict = "subdistrict",
        District = "district",
        Unit = "unit",
        Ombudsman = "ombudsman",
    }
}

codes! {
    /// The technical units (SKPD) and agencies a district assigns complaints to.
    Unit {
        DinasSosial = "dinas_sosial",
        DinasKesehatan = "dinas_kesehatan",
        DinasPendidikan = "dinas_pendidikan",
        DinasTenagaKerja = "dinas_tenaga_kerja",
        Dukcapil = "dukcapil",
        Bappeda = "bappeda",
        BpjsKesehatan = "bpjs_kesehatan",
        BpjsKetenagakerjaan = "bpjs_ketenagakerjaan",
    }
}

codes! {
    /// Where a complaint is in its life.
    Status {
        Open = "open",
        Resolved = "resolved",
        Closed = "closed",
    }
}

codes! {
    /// How a complaint was resolved.
    Resolution {
        /// At the counter or on the phone, as it was received.
        OnTheSpot = "on_the_spot",
        /// By community consensus at the village (musyawarah).
        CommunityConsensus = "community_consensus",
        /// With a response from the level that held it.
        Answered = "answered",
    }
}

codes! {
    /// What the resident said to the response.
    Acknowledgement {
        Acknowledged = "acknowledged",
        NotReachable = "not_reachable",
    }
}

impl Level {
    /// Where a complaint goes when it is sent up (or escalated for being overdue): a
    /// technical unit that cannot solve it sends it to the ombudsman, like the district.
    pub fn next(self) -> Option<Level> {
        match self {
            Level::Village => Some(Level::Subdistrict),
            Level::Subdistrict => Some(Level::District),
            Level::District | Level::Unit => Some(Level::Ombudsman),
            Level::Ombudsman => None,
        }
    }

    /// The area level whose office holds complaints at this level.
    pub fn area_level(self) -> AreaLevel {
        match self {
            Level::Village => AreaLevel::Village,
            Level::Subdistrict => AreaLevel::District,
            Level::District | Level::Unit => AreaLevel::Regency,
            Level::Ombudsman => AreaLevel::Province,
        }
    }

    fn rank(self) -> u8 {
        match self {
            Level::Village => 0,
            Level::Subdistrict => 1,
            Level::District => 2,
            Level::Unit => 3,
            Level::Ombudsman => 4,
        }
    }
}

/// Whether an officer of `role` works complaints held at `level`: each office its own level
/// and the levels below it (a district coordinator can take over a village case), except
/// that only the ombudsman works the ombudsman's cases and the ombudsman works no others.
pub fn may_work(role: Role, level: Level) -> bool {
    match role {
        Role::Ombudsman => level == Level::Ombudsman,
        Role::AgencyOfficer | Role::Employer => false,
        _ if level == Level::Ombudsman => false,
        Role::VillageOfficer => level == Level::Village,
        Role::SubdistrictOfficer => level.rank() <= Level::Subdistrict.rank(),
        Role::DistrictOfficer | Role::ProvinceOfficer | Role::NationalOfficer | Role::Admin => true,
    }
}

/// What can be done to a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send it up one level.
    Forward,
    /// The district hands it to a technical unit or agency.
    Assign(Unit),
    /// The officer in charge records a response without closing the case.
    Respond,
    Resolve(Resolution),
    Acknowledge(Acknowledgement),
    Reopen,
    /// Sent up by the scheduler for being overdue.
    Escalate,
}

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Action::Forward => "forward",
            Action::Assign(_) => "assign",
            Action::Respond => "respond",
            Action::Resolve(_) => "resolve",
            Action::Acknowledge(_) => "acknowledge",
            Action::Reopen => "reopen",
            Action::Escalate => "escalate",
        }
    }
}

/// The part of a complaint the state machine looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub status: Status,
    pub level: Level,
    pub unit: Option<Unit>,
    pub resolution: Option<Resolution>,
    pub acknowledgement: Option<Acknowledgement>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl State {
    /// A complaint as received at `level`.
    pub fn received(level: Level) -> State {
        State {
            status: Status::Open,
            level,
            unit: None,
            resolution: None,
            acknowledgement: None,
            resolved_at: None,
        }
    }

    /// The state after `action` at `now`, or the code of the reason it cannot happen.
    pub fn apply(&self, action: Action, now: DateTime<Utc>) -> Result<State, &'static str> {
        let mut next = self.clone();
        match action {
            Action::Forward | Action::Escalate => {
                self.require_open()?;
                next.level = self.level.next().ok_or("complaint_at_top_level")?;
                next.unit = None;
            }
            Action::Assign(unit) => {
                self.require_open()?;
                if !matches!(self.level, Level::District | Level::Unit) {
                    return Err("assign_only_at_district");
                }
                next.level = Level::Unit;
                next.unit = Some(unit);
            }
            Action::Respond => self.require_open()?,
            Action::Resolve(resolution) => {
                self.require_open()?;
                if resolution == Resolution::CommunityConsensus && self.level != Level::Village {
                    return Err("consensus_only_at_village");
                }
                next.status = Status::Resolved;
                next.resolution = Some(resolution);
                next.resolved_at = Some(now);
            }
            Action::Acknowledge(ack) => {
                if self.status != Status::Resolved {
                    return Err("complaint_not_resolved");
                }
                next.status = Status::Closed;
                next.acknowledgement = Some(ack);
            }
            Action::Reopen => {
                let resolved_at = match self.status {
                    Status::Open => return Err("complaint_still_open"),
                    Status::Resolved | Status::Closed => self.resolved_at.unwrap_or(now),
                };
                if now - resolved_at > Duration::days(REOPEN_DAYS) {
                    return Err("reopen_window_passed");
                }
                next.status = Status::Open;
                next.resolution = None;
                next.acknowledgement = None;
                next.resolved_at = None;
            }
        }
        Ok(next)
    }

    fn require_open(&self) -> Result<(), &'static str> {
        match self.status {
            Status::Open => Ok(()),
            Status::Resolved | Status::Closed => Err("complaint_not_open"),
        }
    }
}

/// Days a level has to resolve or send up a complaint, by category; a complaint past its
/// deadline is escalated one level and gets a call-back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadlines {
    by_level: HashMap<Level, u32>,
    by_category: HashMap<(Category, Level), u32>,
}

impl Default for Deadlines {
    /// A week at the village and the sub-district, two at the district and its units, a
    /// month for the ombudsman; questions about a programme are answered within three days
    /// below the district, and a delayed benefit gets a week at the district and its unit.
    fn default() -> Deadlines {
        let by_level = HashMap::from([
            (Level::Village, 7),
            (Level::Subdistrict, 7),
            (Level::District, 14),
            (Level::Unit, 14),
            (Level::Ombudsman, 30),
        ]);
        let by_category = HashMap::from([
            ((Category::ProgrammeInformation, Level::Village), 3),
            ((Category::ProgrammeInformation, Level::Subdistrict), 3),
            ((Category::BenefitDelay, Level::District), 7),
            ((Category::BenefitDelay, Level::Unit), 7),
        ]);
        Deadlines {
            by_level,
            by_category,
        }
    }
}

impl Deadlines {
    /// The defaults changed by `overrides`: keys `level` or `category.level`, values in days
    /// (1–365). Returns the first key or value that is not understood.
    pub fn with_overrides<'a>(
        overrides: impl IntoIterator<Item = (&'a str, u32)>,
    ) -> Result<Deadlines, String> {
        let mut d = Deadlines::default();
        for (key, days) in overrides {
            if !(1..=365).contains(&days) {
                return Err(format!("{key}: {days} days (1 to 365)"));
            }
            match key.split_once('.') {
                None => {
                    let level = Level::parse(key).ok_or_else(|| format!("unknown level {key}"))?;
                    d.by_level.insert(level, days);
                }
                Some((c, l)) => {
                    let category =
                        Category::parse(c).ok_or_else(|| format!("unknown category {c}"))?;
                    let level = Level::parse(l).ok_or_else(|| format!("unknown level {l}"))?;
                    d.by_category.insert((category, level), days);
                }
            }
        }
        Ok(d)
    }

    pub fn days(&self, category: Category, level: Level) -> u32 {
        self.by_category
            .get(&(category, level))
            .or_else(|| self.by_level.get(&level))
            .copied()
            .unwrap_or(14)
    }

    /// When a complaint that reached `level` at `since` is overdue.
    pub fn due(&self, category: Category, level: Level, since: DateTime<Utc>) -> DateTime<Utc> {
        since + Duration::days(i64::from(self.days(category, level)))
    }
}

/// The district (kabupaten/kota) a complaint's reference is numbered in: the regency of its
/// village.
pub fn reference_area(village: &AreaCode) -> Option<AreaCode> {
    village.ancestor(AreaLevel::Regency)
}

/// A complaint's reference number, unique per district: `35.07-2026-000123`.
pub fn reference(regency: &AreaCode, year: i32, sequence: i64) -> String {
    format!("{}-{year}-{sequence:06}", regency.as_str())
}

/// Free text of a complaint (description, response, note): trimmed; any script is welcome,
/// control characters are not. `Err` carries the error code.
pub fn text(value: &str, max_chars: usize) -> Result<String, &'static str> {
    let t = value.trim();
    if t.is_empty() {
        return Err("required");
    }
    if t.chars().count() > max_chars {
        return Err("too_long");
    }
    if t.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("text_invalid");
    }
    Ok(t.replace("\r\n", "\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0)
            .single()
            .expect("date")
    }

    #[test]
    fn a_complaint_climbs_one_level_at_a_time_to_the_ombudsman() {
        let mut s = State::received(Level::Village);
        let mut seen = vec![s.level];
        while let Ok(n) = s.apply(Action::Forward, at(1)) {
            s = n;
            seen.push(s.level);
        }
        assert_eq!(
            seen,
            [
                Level::Village,
                Level::Subdistrict,
                Level::District,
                Level::Ombudsman
            ]
        );
        assert_eq!(
            s.apply(Action::Escalate, at(1)),
            Err("complaint_at_top_level")
        );
    }

    #[test]
    fn only_the_district_assigns_to_a_technical_unit_which_sends_up_to_the_ombudsman() {
        let village = State::received(Level::Village);
        assert_eq!(
            village.apply(Action::Assign(Unit::DinasSosial), at(1)),
            Err("assign_only_at_district")
        );
        let unit = State::received(Level::District)
            .apply(Action::Assign(Unit::BpjsKesehatan), at(1))
            .expect("assign");
        assert_eq!(
            (unit.level, unit.unit),
            (Level::Unit, Some(Unit::BpjsKesehatan))
        );
        let up = unit.apply(Action::Forward, at(2)).expect("forward");
        assert_eq!((up.level, up.unit), (Level::Ombudsman, None));
    }

    #[test]
    fn consensus_resolves_only_at_the_village() {
        let sub = State::received(Level::Subdistrict);
        assert_eq!(
            sub.apply(Action::Resolve(Resolution::CommunityConsensus), at(1)),
            Err("consensus_only_at_village")
        );
        let done = State::received(Level::Village)
            .apply(Action::Resolve(Resolution::CommunityConsensus), at(1))
            .expect("resolve");
        assert_eq!(done.status, Status::Resolved);
        assert_eq!(done.resolved_at, Some(at(1)));
    }

    #[test]
    fn a_resolved_complaint_is_acknowledged_once_and_cannot_be_worked() {
        let done = State::received(Level::District)
            .apply(Action::Resolve(Resolution::Answered), at(1))
            .expect("resolve");
        assert_eq!(
            done.apply(Action::Forward, at(2)),
            Err("complaint_not_open")
        );
        assert_eq!(
            done.apply(Action::Respond, at(2)),
            Err("complaint_not_open")
        );
        let closed = done
            .apply(Action::Acknowledge(Acknowledgement::NotReachable), at(2))
            .expect("ack");
        assert_eq!(closed.status, Status::Closed);
        assert_eq!(
            closed.apply(Action::Acknowledge(Acknowledgement::Acknowledged), at(2)),
            Err("complaint_not_resolved")
        );
        assert_eq!(
            State::received(Level::Village)
                .apply(Action::Acknowledge(Acknowledgement::Acknowledged), at(2)),
            Err("complaint_not_resolved")
        );
    }

    #[test]
    fn reopening_is_possible_within_the_window_only() {
        let closed = State::received(Level::Subdistrict)
            .apply(Action::Resolve(Resolution::Answered), at(1))
            .and_then(|s| s.apply(Action::Acknowledge(Acknowledgement::Acknowledged), at(2)))
            .expect("closed");
        let reopened = closed.apply(Action::Reopen, at(20)).expect("reopen");
        assert_eq!(reopened.status, Status::Open);
        assert_eq!(reopened.level, Level::Subdistrict);
        assert_eq!(reopened.resolution, None);
        let late = at(1) + Duration::days(REOPEN_DAYS) + Duration::hours(1);
        assert_eq!(
            closed.apply(Action::Reopen, late),
            Err("reopen_window_passed")
        );
        assert_eq!(
            State::received(Level::Village).apply(Action::Reopen, at(1)),
            Err("complaint_still_open")
        );
    }

    #[test]
    fn each_office_works_its_own_level_and_those_below_and_only_the_ombudsman_its_own() {
        assert!(may_work(Role::VillageOfficer, Level::Village));
        assert!(!may_work(Role::VillageOfficer, Level::Subdistrict));
        assert!(may_work(Role::SubdistrictOfficer, Level::Village));
        assert!(!may_work(Role::SubdistrictOfficer, Level::District));
        assert!(may_work(Role::DistrictOfficer, Level::Unit));
        assert!(!may_work(Role::DistrictOfficer, Level::Ombudsman));
        assert!(may_work(Role::Ombudsman, Level::Ombudsman));
        assert!(!may_work(Role::Ombudsman, Level::District));
    }

    #[test]
    fn deadlines_default_by_level_and_category_and_can_be_overridden() {
        let d = Deadlines::default();
        assert_eq!(d.days(Category::Other, Level::Village), 7);
        assert_eq!(d.days(Category::ProgrammeInformation, Level::Village), 3);
        assert_eq!(d.days(Category::BenefitDelay, Level::Unit), 7);
        assert_eq!(d.due(Category::Other, Level::District, at(1)), at(15));
        let o = Deadlines::with_overrides([("village", 5), ("wrong_data.district", 21)])
            .expect("overrides");
        assert_eq!(o.days(Category::Other, Level::Village), 5);
        assert_eq!(o.days(Category::WrongData, Level::District), 21);
        assert_eq!(o.days(Category::ProgrammeInformation, Level::Village), 3);
        assert!(Deadlines::with_overrides([("moon", 5)]).is_err());
        assert!(Deadlines::with_overrides([("village", 0)]).is_err());
        assert!(Deadlines::with_overrides([("gossip.village", 5)]).is_err());
    }

    #[test]
    fn references_are_numbered_in_the_district_of_the_village() {
        let village = AreaCode::parse("35.07.01.2001").expect("code");
        let regency = reference_area(&village).expect("regency");
        assert_eq!(reference(&regency, 2026, 123), "35.07-2026-000123");
    }

    #[test]
    fn text_in_any_script_is_kept_but_control_characters_are_refused() {
        assert_eq!(text("  ꦲꦢꦸꦮꦤ꧀ — شكوى ", 100).as_deref(), Ok("ꦲꦢꦸꦮꦤ꧀ — شكوى"));
        assert_eq!(text("a\u{0}b", 100), Err("text_invalid"));
        assert_eq!(text("   ", 100), Err("required"));
        assert_eq!(text(&"x".repeat(11), 10), Err("too_long"));
        assert_eq!(text("one\r\ntwo", 100).as_deref(), Ok("one\ntwo"));
    }

    #[test]
    fn every_code_parses_back() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.code()), Some(*c));
        }
        for l in Level::ALL {
            assert_eq!(Level::parse(l.code()), Some(*l));
        }
        assert_eq!(Channel::parse("pigeon"), None);
    }
}
