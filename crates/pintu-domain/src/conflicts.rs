//! When linked sources disagree with the registry: which disagreements the sources' authority
//! settles on its own, and which go to the sub-district's conflict queue.
//!
//! The authorities (seed 004 §2.3.2, FORMATS.md): the e-KTP decides an adult's name, birth
//! date and sex; the family card decides who lives in which household; and Dukcapil's records
//! (e-KTP, KK) are kept over the other databases where those differ in the ways they are known
//! to go wrong (names written down as heard, dates with only the year right, a mistyped KK
//! number). Everything else is a real disagreement, for a person to decide.

use chrono::NaiveDate;

use crate::linkage::{compare_birth_date, compare_name, compare_nik};
use crate::sources::Source;

/// A fact that sources can disagree on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    FullName,
    BirthDate,
    Sex,
    Village,
    Household,
    LifeStatus,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::FullName,
        Field::BirthDate,
        Field::Sex,
        Field::Village,
        Field::Household,
        Field::LifeStatus,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Field::FullName => "full_name",
            Field::BirthDate => "birth_date",
            Field::Sex => "sex",
            Field::Village => "village_code",
            Field::Household => "household",
            Field::LifeStatus => "life_status",
        }
    }

    pub fn parse(s: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.code() == s)
    }

    /// The decisions a reviewer can take on this field. A different village or a death
    /// undone is a move or a correction with its own dates and household: it is recorded on
    /// the person page, so the queue offers only to keep the registry's value or to send the
    /// question to the village.
    pub fn decisions(self) -> &'static [Decision] {
        match self {
            Field::FullName | Field::BirthDate | Field::Sex => &[
                Decision::Keep,
                Decision::Take,
                Decision::Verified,
                Decision::SendToVillage,
            ],
            Field::Village | Field::Household | Field::LifeStatus => {
                &[Decision::Keep, Decision::SendToVillage]
            }
        }
    }
}

/// What a reviewer decides about a disagreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The registry's value stays.
    Keep,
    /// The source's value replaces the registry's.
    Take,
    /// A value verified with the family or the documents replaces both.
    Verified,
    /// The village office checks in the field and decides.
    SendToVillage,
}

impl Decision {
    pub const ALL: [Decision; 4] = [
        Decision::Keep,
        Decision::Take,
        Decision::Verified,
        Decision::SendToVillage,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Decision::Keep => "keep",
            Decision::Take => "take",
            Decision::Verified => "verified",
            Decision::SendToVillage => "send_to_village",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.code() == s.trim())
    }
}

/// The authority that settled a disagreement without a reviewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The e-KTP decides an adult's name, birth date and sex.
    EktpAdultIdentity,
    /// The family card decides household composition.
    KkHousehold,
    /// Dukcapil's value is kept over a survey's or insurer's approximation of it.
    CivilRegistryFirst,
}

impl Rule {
    pub fn code(self) -> &'static str {
        match self {
            Rule::EktpAdultIdentity => "ektp_adult_identity",
            Rule::KkHousehold => "kk_household",
            Rule::CivilRegistryFirst => "civil_registry_first",
        }
    }
}

/// How a disagreement is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// No disagreement.
    Same,
    /// Settled by a source's authority: `take` when the source's value replaces the
    /// registry's.
    Auto { rule: Rule, take: bool },
    /// For the conflict queue.
    Open,
}

/// What is known about the person and the source when judging a disagreement.
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    /// The source of the row that disagrees.
    pub source: Source,
    /// The person is 17 or older (the age of the e-KTP).
    pub adult: bool,
    /// The person is linked to an e-KTP record.
    pub ektp_backed: bool,
    /// The person is linked to an e-KTP or family-card record.
    pub civil_backed: bool,
}

fn is_civil(source: Source) -> bool {
    matches!(source, Source::Ektp | Source::Kk)
}

/// Judges a disagreement on a name ([`crate::names::search_key`]s), a birth date or a sex.
fn identity(standing: Standing, approximation: bool) -> Outcome {
    if standing.source == Source::Ektp && standing.adult {
        Outcome::Auto {
            rule: Rule::EktpAdultIdentity,
            take: true,
        }
    } else if standing.ektp_backed && standing.adult {
        Outcome::Auto {
            rule: Rule::EktpAdultIdentity,
            take: false,
        }
    } else if !is_civil(standing.source) && standing.civil_backed && approximation {
        Outcome::Auto {
            rule: Rule::CivilRegistryFirst,
            take: false,
        }
    } else {
        Outcome::Open
    }
}

/// Names, as search keys: differences in case, spaces and punctuation are no disagreement.
pub fn judge_name(current: &str, proposed: &str, standing: Standing) -> Outcome {
    if proposed.is_empty() || current == proposed {
        return Outcome::Same;
    }
    identity(standing, compare_name(current, proposed) <= 2)
}

pub fn judge_birth_date(current: NaiveDate, proposed: NaiveDate, standing: Standing) -> Outcome {
    if current == proposed {
        return Outcome::Same;
    }
    identity(standing, compare_birth_date(current, proposed) <= 3)
}

pub fn judge_sex(current: &str, proposed: &str, standing: Standing) -> Outcome {
    if current == proposed {
        return Outcome::Same;
    }
    identity(standing, false)
}

/// A different village is a move the registry does not know about, or a mistake: a person
/// decides.
pub fn judge_village(current: &str, proposed: &str) -> Outcome {
    if current == proposed {
        Outcome::Same
    } else {
        Outcome::Open
    }
}

/// The KK number of the registry household against the one a row gives. The family card
/// itself moves people (and records it); any other source's different number is settled by
/// the card, a mistyped one is no disagreement, and a household without a KK number has
/// nothing to disagree with.
pub fn judge_household(current: Option<&str>, proposed: &str, source: Source) -> Outcome {
    match current {
        None => Outcome::Same,
        Some(c) if c == proposed || compare_nik(c, proposed) <= 1 => Outcome::Same,
        Some(_) => Outcome::Auto {
            rule: Rule::KkHousehold,
            take: source == Source::Kk,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(source: Source, adult: bool, ektp: bool, civil: bool) -> Standing {
        Standing {
            source,
            adult,
            ektp_backed: ektp,
            civil_backed: civil,
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn the_ektp_decides_an_adults_identity_both_ways() {
        let from_ektp = standing(Source::Ektp, true, true, true);
        assert_eq!(
            judge_name("siti aminah", "siti aminah rahayu", from_ektp),
            Outcome::Auto {
                rule: Rule::EktpAdultIdentity,
                take: true
            }
        );
        let survey_vs_ektp = standing(Source::Dtks, true, true, true);
        assert_eq!(
            judge_sex("P", "L", survey_vs_ektp),
            Outcome::Auto {
                rule: Rule::EktpAdultIdentity,
                take: false
            }
        );
        // A child has no e-KTP: a family card and a survey that disagree go to a person.
        let child = standing(Source::Kk, false, false, true);
        assert_eq!(
            judge_birth_date(d("2015-03-04"), d("2016-07-01"), child),
            Outcome::Open
        );
    }

    #[test]
    fn survey_approximations_of_civil_values_are_settled_real_differences_are_not() {
        let survey = standing(Source::Dtks, false, false, true);
        assert_eq!(
            judge_name("sutrisno wibowo", "soetrisno wibowo", survey),
            Outcome::Auto {
                rule: Rule::CivilRegistryFirst,
                take: false
            }
        );
        assert_eq!(
            judge_birth_date(d("2012-08-05"), d("2012-05-08"), survey),
            Outcome::Auto {
                rule: Rule::CivilRegistryFirst,
                take: false
            }
        );
        assert_eq!(
            judge_name("muhammad rizki", "dewi lestari", survey),
            Outcome::Open
        );
        assert_eq!(
            judge_birth_date(d("2012-08-05"), d("2009-01-01"), survey),
            Outcome::Open
        );
        // Without a civil record behind the registry's value, nobody's authority applies.
        let uncivil = standing(Source::Jkn, false, false, false);
        assert_eq!(
            judge_name("sutrisno wibowo", "soetrisno wibowo", uncivil),
            Outcome::Open
        );
    }

    #[test]
    fn equal_values_are_no_disagreement() {
        let s = standing(Source::Jkn, true, false, false);
        assert_eq!(judge_name("budi", "budi", s), Outcome::Same);
        assert_eq!(judge_name("budi", "", s), Outcome::Same);
        assert_eq!(judge_sex("L", "L", s), Outcome::Same);
        assert_eq!(
            judge_village("35.07.12.2003", "35.07.12.2003"),
            Outcome::Same
        );
        assert_eq!(
            judge_village("35.07.12.2003", "35.07.12.2004"),
            Outcome::Open
        );
    }

    #[test]
    fn the_family_card_decides_households() {
        let kk = "3507121203150004";
        assert_eq!(judge_household(None, kk, Source::Dtks), Outcome::Same);
        assert_eq!(
            judge_household(Some("3507121203150040"), kk, Source::Dtks),
            Outcome::Same,
            "a mistyped number"
        );
        assert_eq!(
            judge_household(Some("3507129999990001"), kk, Source::Dtks),
            Outcome::Auto {
                rule: Rule::KkHousehold,
                take: false
            }
        );
        assert_eq!(
            judge_household(Some("3507129999990001"), kk, Source::Kk),
            Outcome::Auto {
                rule: Rule::KkHousehold,
                take: true
            }
        );
    }

    #[test]
    fn only_identity_fields_take_values_in_the_queue() {
        assert!(Field::FullName.decisions().contains(&Decision::Verified));
        assert!(!Field::Village.decisions().contains(&Decision::Take));
        for f in Field::ALL {
            assert_eq!(Field::parse(f.code()), Some(f));
        }
        for d in Decision::ALL {
            assert_eq!(Decision::parse(d.code()), Some(d));
        }
    }
}
