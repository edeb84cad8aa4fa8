//! People as the family card and e-KTP know them.

use serde::{Deserialize, Serialize};

/// Sex as written on the KK and e-KTP: `L` (laki-laki) or `P` (perempuan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    #[serde(rename = "L")]
    Male,
    #[serde(rename = "P")]
    Female,
}

impl Sex {
    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim().to_ascii_uppercase().as_str() {
            "L" => Some(Sex::Male),
            "P" => Some(Sex::Female),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "L",
            Sex::Female => "P",
        }
    }
}

/// Relationship to the head of the family, as printed on the KK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Relationship {
    #[serde(rename = "KEPALA KELUARGA")]
    Head,
    #[serde(rename = "SUAMI")]
    Husband,
    #[serde(rename = "ISTRI")]
    Wife,
    #[serde(rename = "ANAK")]
    Child,
    #[serde(rename = "MENANTU")]
    ChildInLaw,
    #[serde(rename = "CUCU")]
    Grandchild,
    #[serde(rename = "ORANG TUA")]
    Parent,
    #[serde(rename = "MERTUA")]
    ParentInLaw,
    #[serde(rename = "FAMILI LAIN")]
    OtherRelative,
    #[serde(rename = "PEMBANTU")]
    Helper,
    #[serde(rename = "LAINNYA")]
    Other,
}

impl Relationship {
    pub const ALL: [Relationship; 11] = [
        Relationship::Head,
        Relationship::Husband,
        Relationship::Wife,
        Relationship::Child,
        Relationship::ChildInLaw,
        Relationship::Grandchild,
        Relationship::Parent,
        Relationship::ParentInLaw,
        Relationship::OtherRelative,
        Relationship::Helper,
        Relationship::Other,
    ];

    /// The KK's own wording, which is also the stored and exchanged value.
    pub fn code(self) -> &'static str {
        match self {
            Relationship::Head => "KEPALA KELUARGA",
            Relationship::Husband => "SUAMI",
            Relationship::Wife => "ISTRI",
            Relationship::Child => "ANAK",
            Relationship::ChildInLaw => "MENANTU",
            Relationship::Grandchild => "CUCU",
            Relationship::Parent => "ORANG TUA",
            Relationship::ParentInLaw => "MERTUA",
            Relationship::OtherRelative => "FAMILI LAIN",
            Relationship::Helper => "PEMBANTU",
            Relationship::Other => "LAINNYA",
        }
    }

    /// A snake_case key for translation catalogues.
    pub fn key(self) -> &'static str {
        match self {
            Relationship::Head => "head",
            Relationship::Husband => "husband",
            Relationship::Wife => "wife",
            Relationship::Child => "child",
            Relationship::ChildInLaw => "child_in_law",
            Relationship::Grandchild => "grandchild",
            Relationship::Parent => "parent",
            Relationship::ParentInLaw => "parent_in_law",
            Relationship::OtherRelative => "other_relative",
            Relationship::Helper => "helper",
            Relationship::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Relationship> {
        let wanted = s.trim().to_uppercase();
        Relationship::ALL
            .into_iter()
            .find(|r| r.code() == wanted || r.key() == s.trim())
    }
}

/// Whether a person is alive, dead, or has left the registry's territory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifeStatus {
    Alive,
    Dead,
    MovedOut,
}

impl LifeStatus {
    pub fn code(self) -> &'static str {
        match self {
            LifeStatus::Alive => "alive",
            LifeStatus::Dead => "dead",
            LifeStatus::MovedOut => "moved_out",
        }
    }

    pub fn parse(s: &str) -> Option<LifeStatus> {
        match s {
            "alive" => Some(LifeStatus::Alive),
            "dead" => Some(LifeStatus::Dead),
            "moved_out" => Some(LifeStatus::MovedOut),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relationships_round_trip_through_their_kk_wording() {
        for r in Relationship::ALL {
            assert_eq!(Relationship::parse(r.code()), Some(r));
            assert_eq!(Relationship::parse(r.key()), Some(r));
        }
        assert_eq!(
            Relationship::parse("kepala keluarga"),
            Some(Relationship::Head)
        );
        assert_eq!(Relationship::parse("TETANGGA"), None);
    }

    #[test]
    fn sex_accepts_only_l_and_p() {
        assert_eq!(Sex::parse("l"), Some(Sex::Male));
        assert_eq!(Sex::parse("P"), Some(Sex::Female));
        assert_eq!(Sex::parse("M"), None);
    }
}
