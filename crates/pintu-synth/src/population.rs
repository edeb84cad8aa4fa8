//! A synthetic population of family cards: households as [`ValidHousehold`] values, ready to
//! be registered or turned into source extracts.
//!
//! Each household is planned first as a handful of small `Copy` records (relationship, sex,
//! age, marital status, clan) and only then turned into strings, so the rules about who lives
//! with whom stay readable and the hot loop allocates little more than the strings a
//! `PersonFacts` must own.
//!
//! The shapes follow Indonesian family cards: most households are a married couple with their
//! children at home; some are single people, widows or divorced women heading the card, old
//! couples whose children have left, three generations (a widowed mother as ORANG TUA or
//! MERTUA, or a married child with MENANTU and CUCU), and now and then a FAMILI LAIN or a
//! PEMBANTU. Children are born when their mother is 18 to 42; spouses are a few years apart.

use std::collections::HashMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use pintu_domain::household::{PersonFacts, ValidHousehold, ValidMember};
use pintu_domain::{AreaCode, AreaLevel, KkNumber, Nik, Relationship, Sex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::names::{self, Culture, NameCtx};
use crate::pick::{chance, pick, weighted};
use crate::vocab::{Education, Marital, Occupation, Religion};

/// What to generate: how many people, from which seed, and the day that counts as today (ages,
/// birth dates and issue dates are relative to it, so tests can pin it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthConfig {
    pub seed: u64,
    pub persons: usize,
    pub today: NaiveDate,
}

/// Streams households whose members add up to at least `cfg.persons` people (the last
/// household may overshoot by a few), spread over `villages` with mildly random weights.
///
/// The same villages, seed and `today` always give the same households. Codes that are not
/// village-level are skipped; with no village (or `persons == 0`) nothing is generated.
///
/// Every NIK and KK number is unique within one call: the serial part of each number counts up
/// per district and encoded date. A second call with another seed can produce the same numbers,
/// so load one run per database. In the (unrealistic) case that more than 9,999 people of one
/// district share a sex and birth date, the rest get no NIK rather than a duplicate.
pub fn generate(villages: &[AreaCode], cfg: &SynthConfig, mut sink: impl FnMut(ValidHousehold)) {
    let mut generator = Generator::new(villages, cfg);
    if generator.villages.is_empty() {
        return;
    }
    let mut persons = 0;
    while persons < cfg.persons {
        let household = generator.household();
        persons += household.members.len();
        sink(household);
    }
}

/// A village with everything the generator derives from its code, worked out once.
struct Village {
    code: AreaCode,
    district: AreaCode,
    district_index: u64,
    province: u8,
    regency: u8,
    /// Kelurahan codes (`1xxx`) are urban, desa codes (`2xxx`) rural.
    urban: bool,
}

/// One member before any string is made.
#[derive(Debug, Clone, Copy)]
struct Plan {
    relationship: Relationship,
    sex: Sex,
    age: u32,
    marital: Marital,
    clan: Option<&'static str>,
    birth_order: u8,
}

struct Generator {
    rng: ChaCha8Rng,
    today: NaiveDate,
    villages: Vec<Village>,
    cumulative_weights: Vec<f64>,
    /// Last NIK serial used per (district, encoded birth date and sex). Keyed by what the NIK
    /// encodes, two-digit year included, so people born a century apart cannot collide.
    nik_serials: HashMap<u64, u16>,
    /// Last KK serial used per (district, encoded issue date).
    kk_serials: HashMap<u64, u16>,
    plan: Vec<Plan>,
}

impl Generator {
    fn new(codes: &[AreaCode], cfg: &SynthConfig) -> Generator {
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let mut district_indices: HashMap<String, u64> = HashMap::new();
        let mut villages = Vec::with_capacity(codes.len());
        for code in codes.iter().filter(|c| c.level() == AreaLevel::Village) {
            let Some(district) = code.parent() else {
                continue;
            };
            let next = district_indices.len() as u64;
            let district_index = *district_indices
                .entry(district.as_str().to_string())
                .or_insert(next);
            let s = code.as_str().as_bytes();
            let two = |i: usize| (s[i] - b'0') * 10 + (s[i + 1] - b'0');
            villages.push(Village {
                province: two(0),
                regency: two(3),
                urban: s.get(9) == Some(&b'1'),
                code: code.clone(),
                district,
                district_index,
            });
        }
        let mut total = 0.0;
        let cumulative_weights = villages
            .iter()
            .map(|_| {
                total += 0.5 + rng.random::<f64>();
                total
            })
            .collect();
        Generator {
            rng,
            today: cfg.today,
            villages,
            cumulative_weights,
            nik_serials: HashMap::new(),
            kk_serials: HashMap::new(),
            plan: Vec::with_capacity(16),
        }
    }

    fn pick_village(&mut self) -> usize {
        let total = self.cumulative_weights.last().copied().unwrap_or(0.0);
        let x = self.rng.random::<f64>() * total;
        self.cumulative_weights
            .partition_point(|&c| c <= x)
            .min(self.villages.len() - 1)
    }

    fn household(&mut self) -> ValidHousehold {
        let v = self.pick_village();
        let (province, regency, urban) = {
            let village = &self.villages[v];
            (village.province, village.regency, village.urban)
        };
        let religion = weighted(&mut self.rng, Religion::table_for(province));
        let culture = Culture::for_place(&mut self.rng, province, regency, religion);
        let mut plan = std::mem::take(&mut self.plan);
        plan_household(&mut self.rng, culture, &mut plan);

        let mut members = Vec::with_capacity(plan.len());
        let mut youngest = NaiveDate::MIN;
        let mut oldest = self.today;
        for p in &plan {
            let member = self.member(v, p, culture, religion, urban);
            youngest = youngest.max(member.facts.birth_date);
            oldest = oldest.min(member.facts.birth_date);
            members.push(member);
        }
        self.plan = plan;

        let kk_number = self.kk_number(v, youngest, oldest);
        let address = names::address(&mut self.rng, culture, urban);
        let rt = three_digits(self.rng.random_range(1..=if urban { 18 } else { 9 }));
        let rw = three_digits(self.rng.random_range(1..=if urban { 12 } else { 6 }));
        ValidHousehold {
            kk_number,
            village: self.villages[v].code.clone(),
            address: Some(address),
            rt: Some(rt),
            rw: Some(rw),
            members,
        }
    }

    fn member(
        &mut self,
        v: usize,
        p: &Plan,
        culture: Culture,
        religion: Religion,
        urban: bool,
    ) -> ValidMember {
        let today = self.today;
        let rng = &mut self.rng;
        let back = u64::from(p.age) * 36_525 / 100 + rng.random_range(0..365);
        let birth_date = today.checked_sub_days(Days::new(back)).unwrap_or(today);
        let name = names::person_name(
            rng,
            &NameCtx {
                culture,
                christian: religion.is_christian(),
                sex: p.sex,
                birth_year: birth_date.year(),
                clan: p.clan,
                birth_order: p.birth_order,
            },
        );
        let occupation = occupation(rng, p, urban);
        let education = education(rng, p.age, birth_date.year(), occupation);
        let province = self.villages[v].province;
        let local = match p.relationship {
            Relationship::Child | Relationship::Grandchild if p.age < 25 => 0.92,
            Relationship::Helper | Relationship::OtherRelative => 0.6,
            _ => 0.82,
        };
        let birth_place = names::birth_place(rng, province, local);
        let phone = has_phone(rng, p).then(|| phone_number(rng));
        let no_nik = chance(rng, if p.age == 0 { 0.03 } else { 0.01 });
        let nik = if no_nik {
            None
        } else {
            self.nik(v, birth_date, p.sex)
        };
        ValidMember {
            facts: PersonFacts {
                nik,
                full_name: name,
                sex: p.sex,
                birth_date,
                birth_place: Some(birth_place.to_string()),
                religion: Some(religion.as_str().to_string()),
                education: Some(education.as_str().to_string()),
                occupation: Some(occupation.as_str().to_string()),
                marital_status: Some(p.marital.as_str().to_string()),
                phone,
            },
            relationship: p.relationship,
            nik_warnings: Vec::new(),
        }
    }

    fn nik(&mut self, v: usize, birth_date: NaiveDate, sex: Sex) -> Option<Nik> {
        let village = &self.villages[v];
        let day = u64::from(birth_date.day()) + if sex == Sex::Female { 40 } else { 0 };
        let key = encoded_date_key(village.district_index, day, birth_date);
        let serial = next_serial(&mut self.nik_serials, key)?;
        Nik::compose(&village.district, birth_date, sex, serial)
    }

    /// A family card is reissued whenever its composition changes, so it is dated after the
    /// youngest member's birth (and at most 25 years back).
    fn kk_number(&mut self, v: usize, youngest: NaiveDate, oldest: NaiveDate) -> Option<KkNumber> {
        let floor = self
            .today
            .checked_sub_months(Months::new(25 * 12))
            .unwrap_or(self.today);
        let adult = oldest
            .checked_add_months(Months::new(17 * 12))
            .unwrap_or(self.today);
        let from = youngest.max(floor).max(adult).min(self.today);
        let span = (self.today - from).num_days().max(0) as u64;
        let issued = from
            .checked_add_days(Days::new(self.rng.random_range(0..=span)))
            .unwrap_or(self.today);
        let village = &self.villages[v];
        let key = encoded_date_key(village.district_index, u64::from(issued.day()), issued);
        let serial = next_serial(&mut self.kk_serials, key)?;
        KkNumber::compose(&village.district, issued, serial)
    }
}

/// The district and the `DDMMYY` digits a NIK or KK number encodes, packed into one key.
fn encoded_date_key(district_index: u64, day: u64, date: NaiveDate) -> u64 {
    let yy = date.year().rem_euclid(100) as u64;
    ((district_index * 100 + day) * 100 + u64::from(date.month())) * 100 + yy
}

fn next_serial(serials: &mut HashMap<u64, u16>, key: u64) -> Option<u16> {
    let last = serials.entry(key).or_insert(0);
    if *last >= 9999 {
        return None;
    }
    *last += 1;
    Some(*last)
}

fn three_digits(n: u32) -> String {
    format!("{n:03}")
}

fn opposite(sex: Sex) -> Sex {
    match sex {
        Sex::Male => Sex::Female,
        Sex::Female => Sex::Male,
    }
}

fn random_sex<R: Rng + ?Sized>(rng: &mut R) -> Sex {
    if chance(rng, 0.51) {
        Sex::Male
    } else {
        Sex::Female
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum HeadKind {
    Couple,
    Widowed,
    Divorced,
    Single,
}

/// Decides who lives in the household; the head is always `plan[0]`.
fn plan_household<R: Rng + ?Sized>(rng: &mut R, culture: Culture, plan: &mut Vec<Plan>) {
    plan.clear();
    let decade = weighted(
        rng,
        &[(20u32, 14), (30, 24), (40, 24), (50, 19), (60, 12), (70, 7)],
    );
    let head_age = decade + rng.random_range(0..if decade == 70 { 16 } else { 10 });
    let r = rng.random::<f64>();
    let kind = if head_age < 25 {
        if r < 0.62 {
            HeadKind::Couple
        } else {
            HeadKind::Single
        }
    } else if head_age < 60 {
        match r {
            r if r < 0.84 => HeadKind::Couple,
            r if r < 0.90 => HeadKind::Widowed,
            r if r < 0.96 => HeadKind::Divorced,
            _ => HeadKind::Single,
        }
    } else {
        match r {
            r if r < 0.58 => HeadKind::Couple,
            r if r < 0.93 => HeadKind::Widowed,
            r if r < 0.97 => HeadKind::Divorced,
            _ => HeadKind::Single,
        }
    };
    // A wife can head the card with her husband as SUAMI; widows and divorcees usually do.
    let female_head = match kind {
        HeadKind::Couple => chance(rng, 0.015),
        HeadKind::Widowed => chance(rng, 0.78),
        HeadKind::Divorced => chance(rng, 0.7),
        HeadKind::Single => chance(rng, 0.4),
    };
    let head_sex = if female_head { Sex::Female } else { Sex::Male };
    let head_clan = names::clan(rng, culture);
    plan.push(Plan {
        relationship: Relationship::Head,
        sex: head_sex,
        age: head_age,
        marital: match kind {
            HeadKind::Couple => Marital::Married,
            HeadKind::Widowed => Marital::Widowed,
            HeadKind::Divorced => Marital::Divorced,
            HeadKind::Single => Marital::Single,
        },
        clan: head_clan,
        birth_order: rng.random_range(0..4),
    });

    let mut mother_age = None;
    let mut children_clan = head_clan;
    match kind {
        HeadKind::Couple => {
            let gap = rng.random_range(-2i32..=5) + rng.random_range(0..=4);
            let partner_age = if female_head {
                head_age as i32 + gap
            } else {
                head_age as i32 - gap
            }
            .clamp(18, 95) as u32;
            let partner_clan = names::clan(rng, culture);
            plan.push(Plan {
                relationship: if female_head {
                    Relationship::Husband
                } else {
                    Relationship::Wife
                },
                sex: opposite(head_sex),
                age: partner_age,
                marital: Marital::Married,
                clan: partner_clan,
                birth_order: rng.random_range(0..4),
            });
            if female_head {
                mother_age = Some(head_age);
                children_clan = partner_clan;
            } else {
                mother_age = Some(partner_age);
            }
        }
        HeadKind::Widowed | HeadKind::Divorced => {
            if female_head {
                mother_age = Some(head_age);
                children_clan = names::clan(rng, culture);
            } else {
                mother_age = Some(head_age.saturating_sub(rng.random_range(0..=6)).max(18));
            }
        }
        HeadKind::Single => {}
    }

    if let Some(mother_age) = mother_age {
        let mut n = weighted(rng, &[(0u8, 6), (1, 15), (2, 32), (3, 24), (4, 14), (5, 9)]);
        if mother_age >= 50 && chance(rng, 0.4) {
            n = (n + 1).min(5);
        }
        add_children(rng, plan, mother_age, children_clan, Relationship::Child, n);
    }
    if head_age >= 42 && chance(rng, 0.3) {
        marry_oldest_child(rng, culture, plan);
    }
    if (25..=60).contains(&head_age) && chance(rng, 0.10) {
        add_elders(rng, culture, plan);
    }
    if chance(rng, 0.04) {
        let age = rng.random_range(3..=75);
        let marital = if age < 20 {
            Marital::Single
        } else {
            weighted(
                rng,
                &[
                    (Marital::Single, 45),
                    (Marital::Married, 20),
                    (Marital::Widowed, 25),
                    (Marital::Divorced, 10),
                ],
            )
        };
        let clan = if chance(rng, 0.5) {
            head_clan
        } else {
            names::clan(rng, culture)
        };
        plan.push(Plan {
            relationship: Relationship::OtherRelative,
            sex: random_sex(rng),
            age,
            marital,
            clan,
            birth_order: rng.random_range(0..4),
        });
    }
    if chance(rng, 0.012) {
        plan.push(Plan {
            relationship: Relationship::Helper,
            sex: if chance(rng, 0.85) {
                Sex::Female
            } else {
                Sex::Male
            },
            age: rng.random_range(18..=55),
            marital: weighted(
                rng,
                &[
                    (Marital::Single, 55),
                    (Marital::Married, 25),
                    (Marital::Divorced, 12),
                    (Marital::Widowed, 8),
                ],
            ),
            clan: names::clan(rng, culture),
            birth_order: rng.random_range(0..4),
        });
    }
}

/// Up to `n` children of a mother now `mother_age`, oldest first: the first born when she was
/// 18 to 28, the next ones 1 to 5 years apart, none after 42. Grown children have often left.
fn add_children<R: Rng + ?Sized>(
    rng: &mut R,
    plan: &mut Vec<Plan>,
    mother_age: u32,
    clan: Option<&'static str>,
    relationship: Relationship,
    n: u8,
) {
    let mut birth_age = 18 + rng.random_range(0..=10u32).min(rng.random_range(0..=10));
    for order in 0..n {
        if birth_age > 42 || birth_age > mother_age {
            break;
        }
        let age = mother_age - birth_age;
        let stays = match age {
            0..=17 => 1.0,
            18..=22 => 0.88,
            23..=27 => 0.62,
            28..=35 => 0.3,
            _ => 0.1,
        };
        if chance(rng, stays) {
            plan.push(Plan {
                relationship,
                sex: random_sex(rng),
                age,
                marital: if age >= 25 && chance(rng, 0.08) {
                    Marital::Divorced
                } else {
                    Marital::Single
                },
                clan,
                birth_order: order,
            });
        }
        birth_age += rng.random_range(1..=2) + rng.random_range(0..=3);
    }
}

/// The oldest grown child at home marries in place: a MENANTU joins, and their children are
/// CUCU of the head.
fn marry_oldest_child<R: Rng + ?Sized>(rng: &mut R, culture: Culture, plan: &mut Vec<Plan>) {
    let Some(i) = plan.iter().position(|p| {
        p.relationship == Relationship::Child && p.age >= 21 && p.marital == Marital::Single
    }) else {
        return;
    };
    plan[i].marital = Marital::Married;
    let child = plan[i];
    let gap = rng.random_range(0..=6);
    let in_law_age = if child.sex == Sex::Male {
        child.age.saturating_sub(gap)
    } else {
        child.age + gap
    }
    .max(18);
    let in_law_clan = names::clan(rng, culture);
    plan.push(Plan {
        relationship: Relationship::ChildInLaw,
        sex: opposite(child.sex),
        age: in_law_age,
        marital: Marital::Married,
        clan: in_law_clan,
        birth_order: rng.random_range(0..4),
    });
    let (mother_age, clan) = if child.sex == Sex::Female {
        (child.age, in_law_clan)
    } else {
        (in_law_age, child.clan)
    };
    let n = weighted(rng, &[(0u8, 20), (1, 40), (2, 28), (3, 12)]);
    add_children(rng, plan, mother_age, clan, Relationship::Grandchild, n);
}

/// An old parent of the head (ORANG TUA) or of the spouse (MERTUA): mostly a widowed mother,
/// sometimes both parents, sometimes a widowed father.
fn add_elders<R: Rng + ?Sized>(rng: &mut R, culture: Culture, plan: &mut Vec<Plan>) {
    let partner = plan
        .iter()
        .position(|p| matches!(p.relationship, Relationship::Wife | Relationship::Husband));
    let (base, relationship) = match partner {
        Some(i) if chance(rng, 0.4) => (plan[i], Relationship::ParentInLaw),
        _ => (plan[0], Relationship::Parent),
    };
    let mother_age = base.age + 20 + rng.random_range(0..=14);
    if mother_age > 92 {
        return;
    }
    let father_age = (mother_age + rng.random_range(0..=8)).min(95);
    let shape = rng.random::<f64>();
    let mut push = |sex: Sex, age: u32, marital: Marital, clan: Option<&'static str>| {
        plan.push(Plan {
            relationship,
            sex,
            age,
            marital,
            clan,
            birth_order: 0,
        })
    };
    if shape < 0.62 {
        push(
            Sex::Female,
            mother_age,
            Marital::Widowed,
            names::clan(rng, culture),
        );
    } else if shape < 0.87 {
        push(Sex::Male, father_age, Marital::Married, base.clan);
        push(
            Sex::Female,
            mother_age,
            Marital::Married,
            names::clan(rng, culture),
        );
    } else {
        push(Sex::Male, father_age, Marital::Widowed, base.clan);
    }
}

fn occupation<R: Rng + ?Sized>(rng: &mut R, p: &Plan, urban: bool) -> Occupation {
    use Occupation::*;
    let age = p.age;
    if p.relationship == Relationship::Helper {
        return DomesticWorker;
    }
    if age < 5 {
        return Unemployed;
    }
    if age < 16 {
        return if chance(rng, 0.96) {
            Student
        } else {
            Unemployed
        };
    }
    if age < 19 {
        return weighted(
            rng,
            &[
                (Student, 75),
                (Unemployed, 10),
                (DayLabourer, 8),
                (Trader, 3),
                (FarmLabourer, 4),
            ],
        );
    }
    if age < 24 && p.marital == Marital::Single && chance(rng, 0.3) {
        return Student;
    }
    let male = p.sex == Sex::Male;
    if age >= 60 {
        return if male {
            weighted(
                rng,
                &[
                    (Farmer, if urban { 5 } else { 35 }),
                    (Retired, 12),
                    (Unemployed, 30),
                    (Trader, 8),
                    (Entrepreneur, 8),
                    (FarmLabourer, if urban { 1 } else { 7 }),
                ],
            )
        } else {
            weighted(
                rng,
                &[
                    (Homemaker, 50),
                    (Unemployed, 20),
                    (Farmer, if urban { 2 } else { 15 }),
                    (Trader, 10),
                    (Retired, 5),
                ],
            )
        };
    }
    match (male, urban) {
        (true, false) => weighted(
            rng,
            &[
                (Farmer, 28),
                (FarmLabourer, 10),
                (DayLabourer, 15),
                (Entrepreneur, 14),
                (Trader, 6),
                (PrivateEmployee, 9),
                (Fisher, 3),
                (CivilServant, 3),
                (Teacher, 2),
                (Driver, 3),
                (Builder, 4),
                (Military, 1),
                (Police, 1),
                (Unemployed, 4),
            ],
        ),
        (true, true) => weighted(
            rng,
            &[
                (PrivateEmployee, 30),
                (Entrepreneur, 20),
                (DayLabourer, 12),
                (Trader, 9),
                (CivilServant, 5),
                (Driver, 5),
                (StateEnterpriseEmployee, 2),
                (Military, 1),
                (Police, 2),
                (Teacher, 2),
                (Builder, 4),
                (Fisher, 1),
                (Unemployed, 6),
            ],
        ),
        (false, false) => weighted(
            rng,
            &[
                (
                    Homemaker,
                    if p.marital == Marital::Married {
                        50
                    } else {
                        20
                    },
                ),
                (Farmer, 14),
                (FarmLabourer, 6),
                (Trader, 9),
                (Entrepreneur, 6),
                (PrivateEmployee, 6),
                (DayLabourer, 5),
                (Teacher, 3),
                (CivilServant, 2),
                (Tailor, 2),
                (Nurse, 1),
                (Midwife, 1),
                (Unemployed, 3),
            ],
        ),
        (false, true) => weighted(
            rng,
            &[
                (
                    Homemaker,
                    if p.marital == Marital::Married {
                        40
                    } else {
                        15
                    },
                ),
                (PrivateEmployee, 22),
                (Trader, 11),
                (Entrepreneur, 12),
                (Teacher, 4),
                (CivilServant, 4),
                (Nurse, 2),
                (Midwife, 1),
                (Tailor, 2),
                (DayLabourer, 3),
                (Unemployed, 4),
            ],
        ),
    }
}

/// Schooling by age for the young; for adults by birth cohort (older Indonesians had far less
/// schooling), raised where the job demands a diploma, and never a degree before 22.
fn education<R: Rng + ?Sized>(
    rng: &mut R,
    age: u32,
    birth_year: i32,
    occupation: Occupation,
) -> Education {
    use Education::*;
    match age {
        0..=6 => return None,
        7..=12 => return PrimaryIncomplete,
        13..=15 => return Primary,
        16..=18 => return JuniorHigh,
        _ => {}
    }
    let drawn = match occupation {
        Occupation::CivilServant | Occupation::Teacher => weighted(
            rng,
            &[
                (Bachelor, 70),
                (Diploma3, 15),
                (Master, 10),
                (SeniorHigh, 5),
            ],
        ),
        Occupation::Nurse | Occupation::Midwife => weighted(rng, &[(Diploma3, 70), (Bachelor, 30)]),
        Occupation::Military | Occupation::Police => {
            weighted(rng, &[(SeniorHigh, 75), (Bachelor, 25)])
        }
        Occupation::StateEnterpriseEmployee => {
            weighted(rng, &[(Bachelor, 60), (Diploma3, 20), (SeniorHigh, 20)])
        }
        Occupation::Student => SeniorHigh,
        Occupation::PrivateEmployee => {
            let drawn = weighted(rng, cohort_education(birth_year));
            if drawn < SeniorHigh && chance(rng, 0.5) {
                SeniorHigh
            } else {
                drawn
            }
        }
        _ => weighted(rng, cohort_education(birth_year)),
    };
    match age {
        19..=20 if drawn > SeniorHigh => SeniorHigh,
        21 if drawn > Diploma3 => Diploma3,
        _ => drawn,
    }
}

/// Highest schooling of adults who are not in a job that demands a diploma, by birth cohort.
fn cohort_education(birth_year: i32) -> &'static [(Education, u32)] {
    use Education::*;
    if birth_year < 1960 {
        &[
            (None, 22),
            (PrimaryIncomplete, 18),
            (Primary, 38),
            (JuniorHigh, 11),
            (SeniorHigh, 9),
            (Bachelor, 2),
        ]
    } else if birth_year < 1975 {
        &[
            (None, 8),
            (PrimaryIncomplete, 10),
            (Primary, 35),
            (JuniorHigh, 20),
            (SeniorHigh, 22),
            (Diploma3, 2),
            (Bachelor, 3),
        ]
    } else if birth_year < 1990 {
        &[
            (None, 3),
            (PrimaryIncomplete, 4),
            (Primary, 22),
            (JuniorHigh, 24),
            (SeniorHigh, 38),
            (Diploma12, 1),
            (Diploma3, 3),
            (Bachelor, 5),
        ]
    } else {
        &[
            (None, 1),
            (PrimaryIncomplete, 2),
            (Primary, 10),
            (JuniorHigh, 20),
            (SeniorHigh, 52),
            (Diploma3, 4),
            (Bachelor, 11),
        ]
    }
}

fn has_phone<R: Rng + ?Sized>(rng: &mut R, p: &Plan) -> bool {
    let young = p.age < 60;
    let probability = match p.relationship {
        _ if p.age < 17 => 0.0,
        Relationship::Head if young => 0.75,
        Relationship::Head => 0.35,
        Relationship::Wife | Relationship::Husband if young => 0.6,
        Relationship::Wife | Relationship::Husband => 0.25,
        _ if p.age <= 30 => 0.7,
        _ if young => 0.5,
        _ => 0.15,
    };
    chance(rng, probability)
}

/// A mobile number in the stored `+62...` form, with a real operator prefix.
fn phone_number<R: Rng + ?Sized>(rng: &mut R) -> String {
    const OPERATORS: &[&str] = &[
        "11", "12", "13", "21", "22", "23", "52", "53", "14", "15", "16", "55", "56", "57", "58",
        "17", "18", "19", "59", "77", "78", "31", "32", "38", "95", "96", "97", "98", "99", "81",
        "82", "83", "88",
    ];
    let mut out = String::with_capacity(15);
    out.push_str("+628");
    out.push_str(pick(rng, OPERATORS));
    let digits = if chance(rng, 0.6) { 8 } else { 7 };
    for _ in 0..digits {
        out.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pintu_domain::household::{HouseholdInput, MemberInput};
    use std::collections::HashSet;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
    }

    fn villages() -> Vec<AreaCode> {
        [
            "35.07.12.2003",
            "35.07.12.2004",
            "35.07.01.1001",
            "35.28.03.2001",
            "32.05.10.2002",
            "51.04.02.2005",
            "12.02.04.2001",
            "53.10.01.2003",
        ]
        .iter()
        .map(|c| AreaCode::parse(c).expect("valid code"))
        .collect()
    }

    fn population(seed: u64, persons: usize) -> Vec<ValidHousehold> {
        let cfg = SynthConfig {
            seed,
            persons,
            today: today(),
        };
        let mut out = Vec::new();
        generate(&villages(), &cfg, |h| out.push(h));
        out
    }

    fn members(households: &[ValidHousehold]) -> impl Iterator<Item = &ValidMember> {
        households.iter().flat_map(|h| &h.members)
    }

    #[test]
    fn the_same_seed_gives_the_same_households_and_another_seed_does_not() {
        assert_eq!(population(7, 2_000), population(7, 2_000));
        assert_ne!(population(7, 2_000), population(8, 2_000));
    }

    #[test]
    fn at_least_the_requested_number_of_persons_is_generated_without_much_overshoot() {
        let households = population(1, 2_000);
        let persons = members(&households).count();
        assert!((2_000..2_030).contains(&persons), "{persons} persons");
        let average = persons as f64 / households.len() as f64;
        assert!((3.0..5.0).contains(&average), "{average} per household");
    }

    #[test]
    fn niks_and_kk_numbers_are_unique_and_parse() {
        let households = population(2, 5_000);
        let mut niks = HashSet::new();
        for m in members(&households) {
            if let Some(nik) = &m.facts.nik {
                assert!(niks.insert(nik.clone()), "NIK repeated");
                assert_eq!(Nik::parse(nik.as_str()).as_ref(), Ok(nik));
            }
        }
        let mut kks = HashSet::new();
        for h in &households {
            let kk = h.kk_number.as_ref().expect("every card has a number");
            assert!(kks.insert(kk.clone()), "KK number repeated");
            assert_eq!(KkNumber::parse(kk.as_str()).as_ref(), Ok(kk));
            assert!(
                kk.as_str()
                    .starts_with(&h.village.nik_prefix().expect("prefix"))
            );
        }
    }

    #[test]
    fn some_people_have_no_nik_but_most_do() {
        let households = population(3, 2_000);
        let without = members(&households)
            .filter(|m| m.facts.nik.is_none())
            .count();
        assert!((1..100).contains(&without), "{without} without NIK");
    }

    #[test]
    fn every_household_has_exactly_one_head_listed_first() {
        for h in population(4, 2_000) {
            let heads = h
                .members
                .iter()
                .filter(|m| m.relationship == Relationship::Head)
                .count();
            assert_eq!(heads, 1);
            assert_eq!(h.members[0].relationship, Relationship::Head);
        }
    }

    #[test]
    fn sexes_agree_with_relationships_and_nik() {
        for h in population(5, 3_000) {
            let head_sex = h.members[0].facts.sex;
            for m in &h.members {
                match m.relationship {
                    Relationship::Wife => {
                        assert_eq!(m.facts.sex, Sex::Female);
                        assert_eq!(head_sex, Sex::Male);
                    }
                    Relationship::Husband => {
                        assert_eq!(m.facts.sex, Sex::Male);
                        assert_eq!(head_sex, Sex::Female);
                    }
                    _ => {}
                }
                if let Some(nik) = &m.facts.nik {
                    assert!(
                        nik.warnings(m.facts.sex, m.facts.birth_date, &h.village)
                            .is_empty()
                    );
                }
                assert!(m.nik_warnings.is_empty());
            }
        }
    }

    #[test]
    fn ages_within_a_household_are_plausible() {
        let years = |m: &ValidMember| today().years_since(m.facts.birth_date).expect("past");
        for h in population(6, 3_000) {
            let head = years(&h.members[0]);
            assert!((20..=90).contains(&head), "head aged {head}");
            for m in &h.members {
                let age = years(m);
                match m.relationship {
                    Relationship::Wife | Relationship::Husband => {
                        assert!(age >= 17 && age.abs_diff(head) <= 13, "{head} and {age}")
                    }
                    Relationship::Child => assert!(head >= age + 15, "{head} and child {age}"),
                    Relationship::Grandchild => {
                        assert!(head >= age + 33, "{head} and grandchild {age}")
                    }
                    Relationship::Parent => assert!(age >= head + 19, "{head} and parent {age}"),
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn households_pass_the_domain_validation_unchanged() {
        let opt = |s: &Option<String>| s.clone();
        for h in population(9, 1_000) {
            let input = HouseholdInput {
                kk_number: h.kk_number.as_ref().map(|k| k.to_string()),
                village_code: h.village.to_string(),
                address: opt(&h.address),
                rt: opt(&h.rt),
                rw: opt(&h.rw),
                members: h
                    .members
                    .iter()
                    .map(|m| MemberInput {
                        nik: m.facts.nik.as_ref().map(|n| n.to_string()),
                        full_name: m.facts.full_name.clone(),
                        sex: m.facts.sex.code().to_string(),
                        birth_date: m.facts.birth_date.to_string(),
                        birth_place: opt(&m.facts.birth_place),
                        relationship: m.relationship.code().to_string(),
                        religion: opt(&m.facts.religion),
                        education: opt(&m.facts.education),
                        occupation: opt(&m.facts.occupation),
                        marital_status: opt(&m.facts.marital_status),
                        phone: opt(&m.facts.phone),
                    })
                    .collect(),
            };
            assert_eq!(input.validate(today()).expect("valid"), h);
        }
    }

    #[test]
    fn three_generation_households_and_helpers_occur() {
        let households = population(10, 5_000);
        let has = |r: Relationship| members(&households).any(|m| m.relationship == r);
        for r in [
            Relationship::Parent,
            Relationship::ParentInLaw,
            Relationship::ChildInLaw,
            Relationship::Grandchild,
            Relationship::OtherRelative,
            Relationship::Helper,
        ] {
            assert!(has(r), "no {}", r.code());
        }
        assert!(households.iter().any(|h| h.members.len() == 1));
        assert!(
            households
                .iter()
                .any(|h| h.members[0].facts.sex == Sex::Female)
        );
    }

    #[test]
    fn names_follow_the_customs_of_the_village() {
        let bali = [AreaCode::parse("51.04.02.2005").expect("valid")];
        let cfg = SynthConfig {
            seed: 11,
            persons: 500,
            today: today(),
        };
        let mut names = Vec::new();
        generate(&bali, &cfg, |h| {
            names.extend(h.members.into_iter().map(|m| m.facts.full_name))
        });
        let balinese = names
            .iter()
            .filter(|n| n.starts_with("I ") || n.starts_with("Ni "))
            .count();
        assert!(
            balinese * 10 > names.len() * 7,
            "{balinese} of {}",
            names.len()
        );
    }

    #[test]
    fn without_villages_or_persons_nothing_is_generated() {
        let mut count = 0;
        let district_only = [AreaCode::parse("35.07.12").expect("valid")];
        let cfg = SynthConfig {
            seed: 1,
            persons: 100,
            today: today(),
        };
        generate(&district_only, &cfg, |_| count += 1);
        generate(&[], &cfg, |_| count += 1);
        let none = SynthConfig { persons: 0, ..cfg };
        generate(&villages(), &none, |_| count += 1);
        assert_eq!(count, 0);
    }
}
