//! The code lists printed on the KK and e-KTP (religion, marital status, education,
//! occupation), as Dukcapil spells them, plus the groupings the surveys derive from them.
//!
//! They are enums rather than bare strings so the generator can reason about them (a civil
//! servant needs a degree, a pensioner is a BPJS "BP" member) and the extract writer can map an
//! occupation back to the DTKS employment status.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Religion {
    Islam,
    Kristen,
    Katolik,
    Hindu,
    Buddha,
    Konghucu,
}

impl Religion {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Religion::Islam => "ISLAM",
            Religion::Kristen => "KRISTEN",
            Religion::Katolik => "KATOLIK",
            Religion::Hindu => "HINDU",
            Religion::Buddha => "BUDDHA",
            Religion::Konghucu => "KONGHUCU",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Religion> {
        [
            Religion::Islam,
            Religion::Kristen,
            Religion::Katolik,
            Religion::Hindu,
            Religion::Buddha,
            Religion::Konghucu,
        ]
        .into_iter()
        .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }

    pub(crate) fn is_christian(self) -> bool {
        matches!(self, Religion::Kristen | Religion::Katolik)
    }

    /// Religion shares by province (2020 census, rounded): Bali is Hindu, East Nusa Tenggara
    /// Catholic, North Sulawesi and Papua Protestant, North Sumatra mixed, the rest Muslim.
    pub(crate) fn table_for(province: u8) -> &'static [(Religion, u32)] {
        use Religion::*;
        match province {
            51 => &[(Hindu, 86), (Islam, 11), (Kristen, 2), (Katolik, 1)],
            53 => &[(Katolik, 53), (Kristen, 36), (Islam, 10), (Hindu, 1)],
            71 => &[(Kristen, 64), (Islam, 31), (Katolik, 4), (Hindu, 1)],
            81 => &[(Islam, 50), (Kristen, 45), (Katolik, 5)],
            82 => &[(Islam, 75), (Kristen, 24), (Katolik, 1)],
            91..=96 => &[(Kristen, 65), (Katolik, 17), (Islam, 18)],
            12 => &[(Islam, 64), (Kristen, 27), (Katolik, 6), (Buddha, 3)],
            61 => &[
                (Islam, 60),
                (Katolik, 22),
                (Kristen, 12),
                (Buddha, 5),
                (Konghucu, 1),
            ],
            62 => &[(Islam, 74), (Kristen, 17), (Katolik, 3), (Hindu, 6)],
            31 => &[(Islam, 83), (Kristen, 9), (Katolik, 4), (Buddha, 4)],
            19 | 21 => &[
                (Islam, 82),
                (Buddha, 9),
                (Kristen, 6),
                (Katolik, 2),
                (Konghucu, 1),
            ],
            _ => &[
                (Islam, 950),
                (Kristen, 25),
                (Katolik, 10),
                (Hindu, 7),
                (Buddha, 8),
            ],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marital {
    Single,
    Married,
    Divorced,
    Widowed,
}

impl Marital {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Marital::Single => "BELUM KAWIN",
            Marital::Married => "KAWIN",
            Marital::Divorced => "CERAI HIDUP",
            Marital::Widowed => "CERAI MATI",
        }
    }
}

/// How the DTKS classifies a job (its `employment_status` column), and how BPJS picks a
/// segment: formal workers are PPU, informal ones PBPU, pensioners BP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Work {
    Formal,
    Informal,
    None,
    Student,
    Retired,
}

impl Work {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Work::Formal => "FORMAL",
            Work::Informal => "INFORMAL",
            Work::None => "TIDAK BEKERJA",
            Work::Student => "PELAJAR",
            Work::Retired => "PENSIUN",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Occupation {
    Unemployed,
    Homemaker,
    Student,
    Retired,
    CivilServant,
    Military,
    Police,
    Farmer,
    FarmLabourer,
    Fisher,
    DayLabourer,
    PrivateEmployee,
    StateEnterpriseEmployee,
    Entrepreneur,
    Trader,
    Teacher,
    Nurse,
    Midwife,
    Driver,
    Builder,
    Tailor,
    DomesticWorker,
}

impl Occupation {
    const ALL: [Occupation; 22] = [
        Occupation::Unemployed,
        Occupation::Homemaker,
        Occupation::Student,
        Occupation::Retired,
        Occupation::CivilServant,
        Occupation::Military,
        Occupation::Police,
        Occupation::Farmer,
        Occupation::FarmLabourer,
        Occupation::Fisher,
        Occupation::DayLabourer,
        Occupation::PrivateEmployee,
        Occupation::StateEnterpriseEmployee,
        Occupation::Entrepreneur,
        Occupation::Trader,
        Occupation::Teacher,
        Occupation::Nurse,
        Occupation::Midwife,
        Occupation::Driver,
        Occupation::Builder,
        Occupation::Tailor,
        Occupation::DomesticWorker,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Occupation::Unemployed => "BELUM/TIDAK BEKERJA",
            Occupation::Homemaker => "MENGURUS RUMAH TANGGA",
            Occupation::Student => "PELAJAR/MAHASISWA",
            Occupation::Retired => "PENSIUNAN",
            Occupation::CivilServant => "PEGAWAI NEGERI SIPIL (PNS)",
            Occupation::Military => "TENTARA NASIONAL INDONESIA (TNI)",
            Occupation::Police => "KEPOLISIAN RI (POLRI)",
            Occupation::Farmer => "PETANI/PEKEBUN",
            Occupation::FarmLabourer => "BURUH TANI/PERKEBUNAN",
            Occupation::Fisher => "NELAYAN/PERIKANAN",
            Occupation::DayLabourer => "BURUH HARIAN LEPAS",
            Occupation::PrivateEmployee => "KARYAWAN SWASTA",
            Occupation::StateEnterpriseEmployee => "KARYAWAN BUMN",
            Occupation::Entrepreneur => "WIRASWASTA",
            Occupation::Trader => "PEDAGANG",
            Occupation::Teacher => "GURU",
            Occupation::Nurse => "PERAWAT",
            Occupation::Midwife => "BIDAN",
            Occupation::Driver => "SOPIR",
            Occupation::Builder => "TUKANG BATU",
            Occupation::Tailor => "PENJAHIT",
            Occupation::DomesticWorker => "PEMBANTU RUMAH TANGGA",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Occupation> {
        let s = s.trim();
        Occupation::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(s))
    }

    pub(crate) fn work(self) -> Work {
        use Occupation::*;
        match self {
            Unemployed | Homemaker => Work::None,
            Student => Work::Student,
            Retired => Work::Retired,
            CivilServant
            | Military
            | Police
            | PrivateEmployee
            | StateEnterpriseEmployee
            | Teacher
            | Nurse
            | Midwife => Work::Formal,
            Farmer | FarmLabourer | Fisher | DayLabourer | Entrepreneur | Trader | Driver
            | Builder | Tailor | DomesticWorker => Work::Informal,
        }
    }

    /// Government and state-enterprise jobs: BPJS class 1, a higher household income.
    pub(crate) fn is_public_sector(self) -> bool {
        use Occupation::*;
        matches!(
            self,
            CivilServant | Military | Police | StateEnterpriseEmployee | Teacher
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Education {
    None,
    PrimaryIncomplete,
    Primary,
    JuniorHigh,
    SeniorHigh,
    Diploma12,
    Diploma3,
    Bachelor,
    Master,
    Doctorate,
}

impl Education {
    const ALL: [Education; 10] = [
        Education::None,
        Education::PrimaryIncomplete,
        Education::Primary,
        Education::JuniorHigh,
        Education::SeniorHigh,
        Education::Diploma12,
        Education::Diploma3,
        Education::Bachelor,
        Education::Master,
        Education::Doctorate,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Education::None => "TIDAK/BELUM SEKOLAH",
            Education::PrimaryIncomplete => "BELUM TAMAT SD/SEDERAJAT",
            Education::Primary => "TAMAT SD/SEDERAJAT",
            Education::JuniorHigh => "SLTP/SEDERAJAT",
            Education::SeniorHigh => "SLTA/SEDERAJAT",
            Education::Diploma12 => "DIPLOMA I/II",
            Education::Diploma3 => "AKADEMI/DIPLOMA III/S. MUDA",
            Education::Bachelor => "DIPLOMA IV/STRATA I",
            Education::Master => "STRATA II",
            Education::Doctorate => "STRATA III",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Education> {
        let s = s.trim();
        Education::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s))
    }

    /// The DTKS `school_status` of an adult: the highest level attended.
    pub(crate) fn school_level(self) -> &'static str {
        match self {
            Education::None => "TIDAK SEKOLAH",
            Education::PrimaryIncomplete | Education::Primary => "SD",
            Education::JuniorHigh => "SMP",
            Education::SeniorHigh => "SMA",
            _ => "PT",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_list_value_parses_back_to_itself() {
        for o in Occupation::ALL {
            assert_eq!(Occupation::parse(o.as_str()), Some(o));
        }
        for e in Education::ALL {
            assert_eq!(Education::parse(e.as_str()), Some(e));
        }
        assert_eq!(Religion::parse("islam"), Some(Religion::Islam));
    }
}
