//! Embedded pools of Indonesian names, places and streets, and the rules that combine them.
//!
//! Names follow the customs a registry officer actually meets: single-word Javanese names for
//! the older generation ("Sutrisno", "Suparmi"), Sundanese and Madurese given names, Arabic
//! names across the Muslim regions, Balinese birth-order names ("I Wayan", "Ni Made"), clan
//! names in North Sumatra, Minahasa, Nusa Tenggara, Maluku and Papua, Christian baptismal
//! names, Chinese-Indonesian names, and the modern two- and three-word names of people born
//! since 1990. Everything is ASCII so the survey misspellings can work on bytes.

use pintu_domain::Sex;
use rand::Rng;

use crate::pick::{chance, pick, weighted};
use crate::vocab::Religion;

/// The naming custom a household follows, chosen from its village and religion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Culture {
    Javanese,
    Sundanese,
    Madurese,
    Malay,
    Batak,
    Balinese,
    Minahasa,
    Nusa,
    Maluku,
    Papua,
    Chinese,
}

impl Culture {
    fn clans(self) -> Option<&'static [&'static str]> {
        match self {
            Culture::Batak => Some(BATAK_CLANS),
            Culture::Minahasa => Some(MINAHASA_CLANS),
            Culture::Nusa => Some(NUSA_CLANS),
            Culture::Maluku => Some(MALUKU_CLANS),
            Culture::Papua => Some(PAPUA_CLANS),
            _ => None,
        }
    }

    /// Whether people of this culture carry a family (clan) name passed down the male line.
    pub(crate) fn has_clans(self) -> bool {
        self.clans().is_some()
    }

    /// The naming custom of a household in `province`/`regency` with the given religion. Java's
    /// eastern "horseshoe" regencies are partly Madurese; transmigration settled Javanese all
    /// over Sumatra, so their villages mix.
    pub(crate) fn for_place<R: Rng + ?Sized>(
        rng: &mut R,
        province: u8,
        regency: u8,
        religion: Religion,
    ) -> Culture {
        use Culture::*;
        if matches!(religion, Religion::Buddha | Religion::Konghucu) {
            return Chinese;
        }
        let christian = religion.is_christian();
        match province {
            51 if religion == Religion::Islam => Javanese,
            51 => Balinese,
            12 if christian || chance(rng, 0.35) => Batak,
            12 => {
                if chance(rng, 0.7) {
                    Malay
                } else {
                    Javanese
                }
            }
            35 => match regency {
                26..=29 => Madurese,
                8..=14 if chance(rng, 0.45) => Madurese,
                _ => Javanese,
            },
            33 | 34 => Javanese,
            32 | 36 => {
                if chance(rng, 0.88) {
                    Sundanese
                } else {
                    Javanese
                }
            }
            31 => weighted(
                rng,
                &[(Javanese, 40), (Sundanese, 25), (Malay, 25), (Batak, 10)],
            ),
            18 => {
                if chance(rng, 0.6) {
                    Javanese
                } else {
                    Malay
                }
            }
            14..=17 | 19 | 21 | 61..=65 => {
                if chance(rng, 0.25) {
                    Javanese
                } else {
                    Malay
                }
            }
            53 if christian => Nusa,
            71 if christian => Minahasa,
            81 | 82 if christian => Maluku,
            91..=96 if christian => Papua,
            91..=96 => {
                if chance(rng, 0.5) {
                    Javanese
                } else {
                    Malay
                }
            }
            _ => Malay,
        }
    }
}

/// A clan name for a new family line, or `None` where the culture has none.
pub(crate) fn clan<R: Rng + ?Sized>(rng: &mut R, culture: Culture) -> Option<&'static str> {
    culture.clans().map(|clans| pick(rng, clans))
}

/// Everything the name builder needs about one person.
pub(crate) struct NameCtx<'a> {
    pub culture: Culture,
    pub christian: bool,
    pub sex: Sex,
    pub birth_year: i32,
    /// The person's clan in clan cultures (the father's); a random one is drawn when absent.
    pub clan: Option<&'a str>,
    /// 0 for a first-born; Balinese names encode it.
    pub birth_order: u8,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Era {
    Old,
    Middle,
    Young,
}

impl Era {
    fn of(birth_year: i32) -> Era {
        if birth_year < 1970 {
            Era::Old
        } else if birth_year < 1990 {
            Era::Middle
        } else {
            Era::Young
        }
    }

    fn index(self) -> usize {
        match self {
            Era::Old => 0,
            Era::Middle => 1,
            Era::Young => 2,
        }
    }
}

/// The pools of one of the big Muslim naming customs of the western islands.
struct Pools {
    male: &'static [&'static str],
    female: &'static [&'static str],
    second_male: &'static [&'static str],
    second_female: &'static [&'static str],
    prefix_male: &'static [&'static str],
    prefix_female: &'static [&'static str],
    prefix_p: f64,
    /// Probability of a single-word name, by era (old, middle, young).
    single: [f64; 3],
    arabic: f64,
}

const JAVANESE_POOLS: Pools = Pools {
    male: JAVANESE_MALE,
    female: JAVANESE_FEMALE,
    second_male: JAVANESE_SECOND_MALE,
    second_female: JAVANESE_SECOND_FEMALE,
    prefix_male: &["Muhammad", "Moh.", "Ahmad", "Eko", "Dwi", "Tri"],
    prefix_female: &["Sri", "Siti", "Dwi", "Tri", "Sri"],
    prefix_p: 0.12,
    single: [0.68, 0.42, 0.12],
    arabic: 0.18,
};

const SUNDANESE_POOLS: Pools = Pools {
    male: SUNDANESE_MALE,
    female: SUNDANESE_FEMALE,
    second_male: SUNDANESE_SECOND_MALE,
    second_female: SUNDANESE_SECOND_FEMALE,
    prefix_male: &["Muhammad", "Moh.", "Ahmad"],
    prefix_female: &["Siti", "Nur", "Nyi"],
    prefix_p: 0.08,
    single: [0.45, 0.3, 0.12],
    arabic: 0.2,
};

const MADURESE_POOLS: Pools = Pools {
    male: MADURESE_MALE,
    female: MADURESE_FEMALE,
    second_male: ARABIC_SECOND_MALE,
    second_female: ARABIC_SECOND_FEMALE,
    prefix_male: &["Moh.", "Abd.", "Mat", "Ach.", "Muhammad", "Ahmad"],
    prefix_female: &["Siti", "Sitti", "Nur", "Umi"],
    prefix_p: 0.4,
    single: [0.8, 0.62, 0.3],
    arabic: 0.3,
};

const MALAY_POOLS: Pools = Pools {
    male: MALAY_MALE,
    female: MALAY_FEMALE,
    second_male: MALAY_SECOND_MALE,
    second_female: MALAY_SECOND_FEMALE,
    prefix_male: &["Muhammad", "M.", "Ahmad", "Andi"],
    prefix_female: &["Siti", "Nur", "Sitti"],
    prefix_p: 0.1,
    single: [0.4, 0.3, 0.15],
    arabic: 0.3,
};

fn by_sex(
    sex: Sex,
    male: &'static [&'static str],
    female: &'static [&'static str],
) -> &'static [&'static str] {
    match sex {
        Sex::Male => male,
        Sex::Female => female,
    }
}

/// A full name for one person, title case, single-spaced.
pub(crate) fn person_name<R: Rng + ?Sized>(rng: &mut R, ctx: &NameCtx<'_>) -> String {
    let mut out = String::with_capacity(32);
    let era = Era::of(ctx.birth_year);
    match ctx.culture {
        Culture::Javanese => island_name(rng, ctx, era, &JAVANESE_POOLS, &mut out),
        Culture::Sundanese => island_name(rng, ctx, era, &SUNDANESE_POOLS, &mut out),
        Culture::Madurese => island_name(rng, ctx, era, &MADURESE_POOLS, &mut out),
        Culture::Malay => island_name(rng, ctx, era, &MALAY_POOLS, &mut out),
        Culture::Balinese => balinese_name(rng, ctx, era, &mut out),
        Culture::Chinese => chinese_name(rng, ctx, &mut out),
        Culture::Batak | Culture::Minahasa | Culture::Nusa | Culture::Maluku | Culture::Papua => {
            clan_name(rng, ctx, era, &mut out)
        }
    }
    out
}

fn push_word(out: &mut String, word: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(word);
}

fn island_name<R: Rng + ?Sized>(
    rng: &mut R,
    ctx: &NameCtx<'_>,
    era: Era,
    pools: &Pools,
    out: &mut String,
) {
    let sex = ctx.sex;
    let modern = era == Era::Young && chance(rng, 0.55);
    let arabic = !modern && chance(rng, pools.arabic);
    let given_pool = if ctx.christian && chance(rng, 0.75) {
        by_sex(sex, CHRISTIAN_MALE, CHRISTIAN_FEMALE)
    } else if modern {
        by_sex(sex, MODERN_MALE, MODERN_FEMALE)
    } else if arabic {
        by_sex(sex, ARABIC_MALE, ARABIC_FEMALE)
    } else {
        by_sex(sex, pools.male, pools.female)
    };
    let mut single = chance(rng, pools.single[era.index()]);
    if era != Era::Young && chance(rng, pools.prefix_p) {
        push_word(
            out,
            pick(rng, by_sex(sex, pools.prefix_male, pools.prefix_female)),
        );
        single = single || chance(rng, 0.6);
    }
    let given = pick(rng, given_pool);
    push_word(out, given);
    if single {
        return;
    }
    let second_pool = if era == Era::Young && chance(rng, 0.5) {
        by_sex(sex, MODERN_SECOND_MALE, MODERN_SECOND_FEMALE)
    } else if arabic && chance(rng, 0.5) {
        by_sex(sex, ARABIC_SECOND_MALE, ARABIC_SECOND_FEMALE)
    } else {
        by_sex(sex, pools.second_male, pools.second_female)
    };
    let second = pick(rng, second_pool);
    if !given.contains(second) {
        push_word(out, second);
    }
}

fn balinese_name<R: Rng + ?Sized>(rng: &mut R, ctx: &NameCtx<'_>, era: Era, out: &mut String) {
    const ORDER_MALE: [&[&str]; 4] = [
        &["Wayan", "Putu", "Gede"],
        &["Made", "Kadek"],
        &["Nyoman", "Komang"],
        &["Ketut"],
    ];
    const ORDER_FEMALE: [&[&str]; 4] = [
        &["Wayan", "Putu", "Luh", "Luh Putu"],
        &["Made", "Kadek", "Nengah"],
        &["Nyoman", "Komang"],
        &["Ketut"],
    ];
    let female = ctx.sex == Sex::Female;
    if chance(rng, 0.06) {
        out.push_str(if female { "I Gusti Ayu" } else { "I Gusti" });
    } else {
        out.push_str(if female { "Ni" } else { "I" });
    }
    let order = usize::from(ctx.birth_order % 4);
    let orders = if female { ORDER_FEMALE } else { ORDER_MALE };
    push_word(out, pick(rng, orders[order]));
    let pool = if ctx.christian && chance(rng, 0.5) {
        by_sex(ctx.sex, CHRISTIAN_MALE, CHRISTIAN_FEMALE)
    } else if era == Era::Young && chance(rng, 0.3) {
        by_sex(ctx.sex, MODERN_MALE, MODERN_FEMALE)
    } else {
        by_sex(ctx.sex, BALINESE_MALE, BALINESE_FEMALE)
    };
    push_word(out, pick(rng, pool));
}

fn clan_name<R: Rng + ?Sized>(rng: &mut R, ctx: &NameCtx<'_>, era: Era, out: &mut String) {
    let sex = ctx.sex;
    let given_pool = if ctx.christian {
        if ctx.culture == Culture::Batak && chance(rng, 0.3) {
            by_sex(sex, BATAK_MALE, BATAK_FEMALE)
        } else if era == Era::Young && chance(rng, 0.3) {
            by_sex(sex, MODERN_MALE, MODERN_FEMALE)
        } else {
            by_sex(sex, CHRISTIAN_MALE, CHRISTIAN_FEMALE)
        }
    } else if era == Era::Young && chance(rng, 0.4) {
        by_sex(sex, MODERN_MALE, MODERN_FEMALE)
    } else if chance(rng, 0.5) {
        by_sex(sex, ARABIC_MALE, ARABIC_FEMALE)
    } else {
        by_sex(sex, MALAY_MALE, MALAY_FEMALE)
    };
    let given = pick(rng, given_pool);
    push_word(out, given);
    if chance(rng, 0.3) {
        let middle = pick(rng, by_sex(sex, MODERN_MALE, MODERN_FEMALE));
        if !given.contains(middle) {
            push_word(out, middle);
        }
    }
    if ctx.culture == Culture::Batak && sex == Sex::Female {
        push_word(out, "Br.");
    }
    match ctx.clan {
        Some(c) => push_word(out, c),
        None => push_word(out, clan(rng, ctx.culture).unwrap_or("Siregar")),
    }
}

fn chinese_name<R: Rng + ?Sized>(rng: &mut R, ctx: &NameCtx<'_>, out: &mut String) {
    let pool = if ctx.christian {
        by_sex(ctx.sex, CHRISTIAN_MALE, CHRISTIAN_FEMALE)
    } else {
        by_sex(ctx.sex, CHINESE_MALE, CHINESE_FEMALE)
    };
    push_word(out, pick(rng, pool));
    push_word(out, pick(rng, CHINESE_SURNAMES));
}

/// A place of birth near `province` (a regency or city name), sometimes a big city elsewhere:
/// `local` is the probability of staying in the province.
pub(crate) fn birth_place<R: Rng + ?Sized>(rng: &mut R, province: u8, local: f64) -> &'static str {
    let own = BIRTH_PLACES
        .iter()
        .find(|(p, _)| *p == province)
        .map(|(_, places)| *places);
    match own {
        Some(places) if chance(rng, local) => pick(rng, places),
        _ => pick(rng, BIG_CITIES),
    }
}

/// A street address (towns) or hamlet name (villages), as written on the KK.
pub(crate) fn address<R: Rng + ?Sized>(rng: &mut R, culture: Culture, urban: bool) -> String {
    let mut out = String::with_capacity(28);
    if urban || chance(rng, 0.2) {
        out.push_str("Jl. ");
        out.push_str(pick(rng, STREETS));
        if chance(rng, 0.2) {
            out.push_str(" Gg. ");
            out.push_str(pick(
                rng,
                &["I", "II", "III", "IV", "V", "Mawar", "Buntu", "Masjid"],
            ));
        }
        out.push_str(" No. ");
        push_number(&mut out, rng.random_range(1..=180));
        return out;
    }
    match culture {
        Culture::Sundanese => {
            out.push_str("Kp. ");
            out.push_str(pick(rng, SUNDANESE_HAMLETS));
        }
        Culture::Balinese => {
            out.push_str("Br. Dinas ");
            out.push_str(pick(rng, BALINESE_BANJARS));
        }
        Culture::Javanese | Culture::Madurese => {
            out.push_str(if chance(rng, 0.7) { "Dusun " } else { "Dsn. " });
            out.push_str(pick(rng, JAVANESE_HAMLETS));
        }
        _ => {
            out.push_str(if chance(rng, 0.6) {
                "Dusun "
            } else {
                "Lingkungan "
            });
            out.push_str(pick(rng, &["I", "II", "III", "IV", "V", "VI"]));
        }
    }
    out
}

/// Appends a small decimal number without going through the formatter.
pub(crate) fn push_number(out: &mut String, n: u32) {
    let mut digits = [0u8; 10];
    let mut len = 0;
    let mut n = n;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in digits[..len].iter().rev() {
        out.push(char::from(d));
    }
}

pub(crate) const JAVANESE_MALE: &[&str] = &[
    "Sutrisno",
    "Suparman",
    "Sugeng",
    "Slamet",
    "Sukirno",
    "Suyanto",
    "Sumarno",
    "Sutarno",
    "Supriyadi",
    "Sugiyanto",
    "Mulyono",
    "Suwarno",
    "Sukardi",
    "Darmaji",
    "Paiman",
    "Tukiman",
    "Wagiman",
    "Sarijo",
    "Paijo",
    "Ngadiman",
    "Karno",
    "Suroso",
    "Haryanto",
    "Joko",
    "Bambang",
    "Agus",
    "Budi",
    "Heru",
    "Hadi",
    "Purwanto",
    "Priyanto",
    "Sunarto",
    "Widodo",
    "Kusnadi",
    "Teguh",
    "Wahyu",
    "Sriyono",
    "Gunawan",
    "Triyono",
    "Rudi",
    "Darsono",
    "Warsito",
    "Sudarmo",
    "Kasiman",
    "Legiman",
    "Poniman",
    "Sumadi",
    "Sukamto",
    "Parno",
    "Giyanto",
    "Suwito",
    "Marsudi",
    "Tarmuji",
    "Kaseri",
    "Sudiro",
    "Ratno",
    "Jumadi",
    "Harjono",
    "Sunardi",
    "Tugiman",
];

pub(crate) const JAVANESE_FEMALE: &[&str] = &[
    "Suparmi", "Sumini", "Sulastri", "Suminah", "Tumini", "Painem", "Tukinem", "Sukarti",
    "Sumarni", "Suwarni", "Parmi", "Sarmi", "Kasiyem", "Ngatini", "Wartini", "Suyati", "Sutini",
    "Juminten", "Poniyem", "Ngatinah", "Lasmi", "Sumiati", "Wagiyem", "Saminah", "Endang", "Yuli",
    "Rini", "Wahyuni", "Sriyati", "Warsini", "Supini", "Kartini", "Yanti", "Murni", "Wiwik",
    "Ninik", "Rukmini", "Mulyani", "Harti", "Darmi", "Katini", "Sumarsih", "Tarmi", "Jumiyem",
    "Sukini", "Legini", "Karsiti", "Sunarsih", "Rubiyah", "Sarinah", "Mujiati", "Kasmini", "Paini",
    "Sugiarti", "Wartinah", "Partini", "Ratmi", "Samini", "Giyem", "Tuminah",
];

const JAVANESE_SECOND_MALE: &[&str] = &[
    "Santoso",
    "Wibowo",
    "Prasetyo",
    "Nugroho",
    "Susanto",
    "Wijaya",
    "Hartono",
    "Purnomo",
    "Utomo",
    "Setiawan",
    "Kurniawan",
    "Wahyudi",
    "Raharjo",
    "Sulistyo",
    "Hidayat",
    "Saputro",
    "Widodo",
    "Prabowo",
    "Hariyanto",
    "Susilo",
    "Siswanto",
    "Suharto",
    "Cahyono",
    "Pamungkas",
    "Wicaksono",
    "Kuncoro",
    "Budiman",
    "Sugiarto",
    "Riyanto",
    "Handoko",
    "Suprapto",
    "Darmawan",
];

const JAVANESE_SECOND_FEMALE: &[&str] = &[
    "Lestari",
    "Rahayu",
    "Wulandari",
    "Handayani",
    "Astuti",
    "Purwanti",
    "Suryani",
    "Sulistyowati",
    "Rahmawati",
    "Ningsih",
    "Wahyuningsih",
    "Kurniasih",
    "Susanti",
    "Puspitasari",
    "Anggraini",
    "Setyawati",
    "Pratiwi",
    "Maryani",
    "Haryati",
    "Yuliani",
    "Fitriani",
    "Saputri",
    "Indrawati",
    "Kusumawati",
    "Hartini",
    "Widyastuti",
    "Mulyaningsih",
    "Retnowati",
];

pub(crate) const SUNDANESE_MALE: &[&str] = &[
    "Asep", "Ujang", "Dede", "Cecep", "Dadang", "Encep", "Jajang", "Ade", "Iwan", "Wawan", "Yayan",
    "Dodi", "Deden", "Aceng", "Entis", "Engkus", "Nana", "Maman", "Endang", "Ayi", "Usep", "Mamat",
    "Ruhiyat", "Kosasih", "Atang", "Didin", "Enjang", "Oman", "Odih", "Udin", "Eman", "Dadan",
    "Hendi", "Yana", "Aep", "Oding", "Ikin", "Ojat",
];

pub(crate) const SUNDANESE_FEMALE: &[&str] = &[
    "Euis", "Neneng", "Iis", "Imas", "Enung", "Nining", "Lilis", "Entin", "Eutik", "Teti", "Yeni",
    "Nenden", "Popon", "Onah", "Enok", "Ai", "Eneng", "Dedeh", "Titin", "Cicih", "Ela", "Epon",
    "Nani", "Yoyoh", "Engkay", "Ikah", "Tati", "Kokom", "Cucu", "Iyah", "Enah", "Mimin", "Yayah",
    "Oneng",
];

const SUNDANESE_SECOND_MALE: &[&str] = &[
    "Saepudin",
    "Saepulloh",
    "Sopandi",
    "Supriatna",
    "Hermawan",
    "Suherman",
    "Permana",
    "Kurnia",
    "Sutisna",
    "Sunarya",
    "Ruhimat",
    "Rustandi",
    "Gunawan",
    "Firmansyah",
    "Kusnadi",
    "Suryana",
    "Mulyana",
    "Jaelani",
    "Sobandi",
    "Setiadi",
    "Hidayat",
    "Komarudin",
    "Nurdin",
    "Sudrajat",
];

const SUNDANESE_SECOND_FEMALE: &[&str] = &[
    "Komalasari",
    "Nurhasanah",
    "Rohaeti",
    "Kurniasih",
    "Maryati",
    "Suryati",
    "Sumiati",
    "Rosita",
    "Nuraeni",
    "Mulyati",
    "Hayati",
    "Jubaedah",
    "Rohayati",
    "Kartika",
    "Sumarni",
    "Aisah",
    "Nurjanah",
    "Rosmiati",
    "Heryani",
    "Sukaesih",
];

pub(crate) const MADURESE_MALE: &[&str] = &[
    "Sahri",
    "Hosen",
    "Sukri",
    "Muhlis",
    "Marzuki",
    "Subairi",
    "Fathor",
    "Holis",
    "Sahrul",
    "Hasan",
    "Rasid",
    "Matrawi",
    "Busiri",
    "Mukri",
    "Juhari",
    "Zainal",
    "Rofik",
    "Mashuri",
    "Samsul",
    "Sanusi",
    "Ismail",
    "Abdurrahem",
    "Jumali",
    "Fathorrahman",
    "Mattali",
    "Suhri",
    "Bahrawi",
    "Hafid",
    "Husnan",
    "Rahem",
    "Sudarso",
    "Mohtar",
    "Ruslan",
];

pub(crate) const MADURESE_FEMALE: &[&str] = &[
    "Sumarni",
    "Sitti",
    "Holifah",
    "Hosniyah",
    "Musyarofah",
    "Maryam",
    "Sa'diyah",
    "Rukayah",
    "Halimah",
    "Hamidah",
    "Misnati",
    "Rohima",
    "Juma'ati",
    "Suhartini",
    "Asiyah",
    "Nurul",
    "Mutmainnah",
    "Buhati",
    "Satuni",
    "Hatija",
    "Sunarti",
    "Marlia",
    "Fatimah",
    "Salama",
    "Mistiya",
    "Hayati",
    "Yatimah",
    "Munawarah",
    "Badriyah",
    "Sufiyah",
];

pub(crate) const ARABIC_MALE: &[&str] = &[
    "Muhammad",
    "Ahmad",
    "Abdul Rahman",
    "Abdullah",
    "Abdurrahman",
    "Ali",
    "Hasan",
    "Husein",
    "Umar",
    "Usman",
    "Ibrahim",
    "Ismail",
    "Yusuf",
    "Zainal Abidin",
    "Fauzi",
    "Rahmat",
    "Hamzah",
    "Ridwan",
    "Syaiful",
    "Syamsul",
    "Sholeh",
    "Jamaluddin",
    "Nurul Huda",
    "Ilham",
    "Arif",
    "Lukman",
    "Faisal",
    "Hamid",
    "Mahmud",
    "Anwar",
    "Hasyim",
    "Mustofa",
    "Khoirul",
    "Muhaimin",
    "Imam",
    "Zulkifli",
    "Fahmi",
    "Yahya",
    "Idris",
    "Sulaiman",
    "Hakim",
    "Nasrullah",
    "Munir",
    "Khairuddin",
    "Amiruddin",
    "Saifullah",
    "Taufiqurrahman",
    "Nashiruddin",
    "Muhammad Rizal",
];

pub(crate) const ARABIC_FEMALE: &[&str] = &[
    "Siti Aminah",
    "Fatimah",
    "Aisyah",
    "Khadijah",
    "Zainab",
    "Maryam",
    "Halimah",
    "Aminah",
    "Rohmah",
    "Nurul Hidayah",
    "Umi Kalsum",
    "Khotimah",
    "Zulaikha",
    "Rahmah",
    "Salamah",
    "Hafsah",
    "Ruqayyah",
    "Latifah",
    "Jamilah",
    "Nafisah",
    "Asma",
    "Habibah",
    "Mardiyah",
    "Rofiah",
    "Sholihah",
    "Muslimah",
    "Faridah",
    "Hasanah",
    "Nurhayati",
    "Azizah",
    "Siti Nurjanah",
    "Nur Aini",
    "Masitoh",
    "Musdalifah",
    "Syarifah",
    "Sa'adah",
];

const ARABIC_SECOND_MALE: &[&str] = &[
    "Hidayat",
    "Rahman",
    "Hakim",
    "Arifin",
    "Maulana",
    "Fauzan",
    "Ramadhan",
    "Nurdin",
    "Ma'ruf",
    "Ansori",
    "Mubarok",
    "Aziz",
    "Rosyid",
    "Munawar",
    "Syarifuddin",
    "Hidayatullah",
    "Fathoni",
    "Zakaria",
    "Kholil",
    "Mahfud",
    "Sholihin",
    "Baihaqi",
    "Rifa'i",
];

const ARABIC_SECOND_FEMALE: &[&str] = &[
    "Hasanah",
    "Rahmawati",
    "Nurjanah",
    "Maulida",
    "Khoiriyah",
    "Fadilah",
    "Mahmudah",
    "Ulfa",
    "Zahro",
    "Nuraini",
    "Masruroh",
    "Munawaroh",
    "Afifah",
    "Hidayati",
];

pub(crate) const MALAY_MALE: &[&str] = &[
    "Syahrial",
    "Zulkarnain",
    "Rusli",
    "Darwis",
    "Syafrizal",
    "Hendra",
    "Rahmad",
    "Nasrul",
    "Yusri",
    "Erwin",
    "Afrizal",
    "Dedi",
    "Irwan",
    "Jufri",
    "Syamsuddin",
    "Ridho",
    "Mawardi",
    "Azhar",
    "Fadli",
    "Rizal",
    "Taufik",
    "Syafii",
    "Zulhendri",
    "Amir",
    "Khairul",
    "Yasir",
    "Mukhlis",
    "Darmawan",
    "Asnawi",
    "Muslim",
    "Syafruddin",
    "Indra",
    "Junaidi",
    "Rasyid",
    "Safrudin",
    "Baharuddin",
    "Alimuddin",
    "Baso",
    "Jamal",
    "Sudirman",
    "Firdaus",
    "Hendri",
    "Nofrizal",
    "Efendi",
    "Idham",
    "Arsyad",
    "Samsuddin",
    "La Ode",
];

pub(crate) const MALAY_FEMALE: &[&str] = &[
    "Nurhayati",
    "Yusnidar",
    "Rosmawati",
    "Syafrida",
    "Ernawati",
    "Yusniar",
    "Nurlela",
    "Asnidar",
    "Darmawati",
    "Mardiana",
    "Rosnah",
    "Yenni",
    "Fitri",
    "Rina",
    "Desi",
    "Nurjanah",
    "Elvi",
    "Zuraida",
    "Rosmiati",
    "Nelly",
    "Nurbaiti",
    "Misrawati",
    "Yusmaniar",
    "Wirda",
    "Afni",
    "Hasnah",
    "Rosdiana",
    "Salmah",
    "Nurmala",
    "Jusniati",
    "Erni",
    "Nuraini",
    "Sitti Hawa",
    "Hasmiati",
    "Rahmatia",
    "Nurhaeda",
    "Megawati",
    "Yulinar",
    "Rusmini",
    "Lisnawati",
];

const MALAY_SECOND_MALE: &[&str] = &[
    "Syahputra",
    "Putra",
    "Saputra",
    "Effendi",
    "Harun",
    "Ismail",
    "Yunus",
    "Hamid",
    "Rasyid",
    "Idris",
    "Usman",
    "Amri",
    "Saleh",
    "Arsyad",
    "Zainuddin",
    "Mansur",
    "Rahim",
    "Jaya",
    "Sakti",
    "Gani",
];

const MALAY_SECOND_FEMALE: &[&str] = &[
    "Putri",
    "Wati",
    "Sari",
    "Yanti",
    "Ningsih",
    "Hayati",
    "Fitriani",
    "Ramadhani",
    "Susanti",
    "Hasanah",
    "Aryani",
    "Wahyuni",
    "Yusnita",
    "Safitri",
    "Sartika",
    "Dewi",
];

pub(crate) const BATAK_MALE: &[&str] = &[
    "Togar",
    "Parlindungan",
    "Bonar",
    "Hotman",
    "Maruli",
    "Sahat",
    "Tigor",
    "Mangasi",
    "Halomoan",
    "Torang",
    "Poltak",
    "Tumpal",
    "Binsar",
    "Parulian",
    "Marihot",
];

pub(crate) const BATAK_FEMALE: &[&str] = &[
    "Tiurma", "Lamria", "Tiominar", "Rugun", "Romauli", "Nurmaida", "Hotmaida", "Dormauli",
    "Lasma", "Duma", "Tiarma", "Lamtiur", "Rosmaida",
];

const BATAK_CLANS: &[&str] = &[
    "Siregar",
    "Nasution",
    "Lubis",
    "Harahap",
    "Simanjuntak",
    "Sitompul",
    "Hutapea",
    "Sinaga",
    "Manurung",
    "Panjaitan",
    "Simatupang",
    "Situmorang",
    "Pardede",
    "Sihombing",
    "Hutagalung",
    "Tampubolon",
    "Pasaribu",
    "Sitorus",
    "Silalahi",
    "Marpaung",
    "Ginting",
    "Tarigan",
    "Sembiring",
    "Purba",
    "Saragih",
    "Damanik",
    "Napitupulu",
    "Hasibuan",
    "Daulay",
    "Pohan",
];

pub(crate) const BALINESE_MALE: &[&str] = &[
    "Sudarsana",
    "Suardana",
    "Artawan",
    "Sukadana",
    "Mertayasa",
    "Suarjana",
    "Wirawan",
    "Budiarta",
    "Suparta",
    "Darmawan",
    "Adnyana",
    "Astawa",
    "Sudiarta",
    "Wiranata",
    "Sumerta",
    "Kariasa",
    "Yasa",
    "Suweta",
    "Arsana",
    "Parwata",
    "Sutama",
    "Sudana",
    "Mahendra",
    "Widiana",
    "Ariawan",
    "Sukarta",
    "Wardana",
    "Juliarta",
    "Agus Sudarma",
    "Eka Putra",
    "Dharma Yasa",
    "Surya Dinata",
];

pub(crate) const BALINESE_FEMALE: &[&str] = &[
    "Sri Wulandari",
    "Sukarmini",
    "Suartini",
    "Ariani",
    "Sudiani",
    "Astiti",
    "Sumerti",
    "Suastini",
    "Purnamasari",
    "Sriasih",
    "Arsini",
    "Darmini",
    "Murniati",
    "Budiasih",
    "Suciati",
    "Widiantari",
    "Ayu Lestari",
    "Sukerti",
    "Ratna Dewi",
    "Suarni",
    "Sekar",
    "Jayanti",
    "Kusuma Dewi",
    "Mariani",
    "Puspa",
    "Ayu Wulan",
];

pub(crate) const CHRISTIAN_MALE: &[&str] = &[
    "Yohanes",
    "Paulus",
    "Petrus",
    "Yosef",
    "Agustinus",
    "Fransiskus",
    "Antonius",
    "Stefanus",
    "Yakobus",
    "Markus",
    "Lukas",
    "Matius",
    "Andreas",
    "Thomas",
    "Simon",
    "Daniel",
    "Samuel",
    "Yunus",
    "Gabriel",
    "Mikael",
    "Robert",
    "Benediktus",
    "Kornelius",
    "Hendrik",
    "Frans",
    "Yulius",
    "Dominikus",
    "Ignatius",
    "Filipus",
    "Aloysius",
    "Bernardus",
    "Marthen",
    "Yeremias",
    "Obed",
    "Elias",
    "Nikolaus",
    "Yosua",
    "Imanuel",
    "Kristian",
    "Yulianus",
];

pub(crate) const CHRISTIAN_FEMALE: &[&str] = &[
    "Maria",
    "Yohana",
    "Theresia",
    "Elisabeth",
    "Martha",
    "Magdalena",
    "Veronika",
    "Kristina",
    "Agustina",
    "Fransiska",
    "Margaretha",
    "Katarina",
    "Yuliana",
    "Ester",
    "Debora",
    "Rut",
    "Lidia",
    "Priska",
    "Paulina",
    "Anastasia",
    "Yosefina",
    "Bernadeta",
    "Monika",
    "Rosalina",
    "Florentina",
    "Sofia",
    "Selfina",
    "Yustina",
    "Helena",
    "Natalia",
    "Novita",
    "Yohanita",
    "Agnes",
    "Sisilia",
    "Regina",
    "Kornelia",
];

const MINAHASA_CLANS: &[&str] = &[
    "Lumowa",
    "Wuisan",
    "Pangemanan",
    "Rumengan",
    "Tumbelaka",
    "Sondakh",
    "Mandagi",
    "Kaunang",
    "Lumenta",
    "Rondonuwu",
    "Sumual",
    "Tangkilisan",
    "Runtuwene",
    "Wowor",
    "Lengkong",
    "Supit",
    "Karundeng",
    "Tumewu",
    "Walangitan",
    "Rorimpandey",
];

const NUSA_CLANS: &[&str] = &[
    "Fernandez",
    "da Costa",
    "Parera",
    "Lewar",
    "Bria",
    "Seran",
    "Nahak",
    "Tefa",
    "Manu",
    "Ndun",
    "Lado",
    "Bere",
    "Laka",
    "Wadu",
    "Kolo",
    "Bunga",
    "Djami",
    "Riwu",
    "Lamury",
    "Sogen",
];

const MALUKU_CLANS: &[&str] = &[
    "Pattiasina",
    "Latuheru",
    "Tuhumury",
    "Pattinama",
    "Sahetapy",
    "Lewerissa",
    "Matulessy",
    "Pelupessy",
    "Tahapary",
    "Latumahina",
    "Siahaya",
    "Wattimena",
    "Tupamahu",
    "Leiwakabessy",
    "Sapulete",
];

const PAPUA_CLANS: &[&str] = &[
    "Wenda", "Kogoya", "Wonda", "Tabuni", "Rumbiak", "Mandowen", "Kambu", "Yikwa", "Murib",
    "Rumbewas", "Kareth", "Wanimbo", "Ayomi", "Krey", "Sawaki", "Wakerkwa", "Gobai", "Pigai",
    "Tebay", "Yogi",
];

pub(crate) const CHINESE_MALE: &[&str] = &[
    "Hendra", "Sutanto", "Yohan", "Willy", "Kevin", "Steven", "Rudy", "Hengky", "Johan", "Ferry",
    "Edy", "Tony", "Jimmy", "Fendi", "Aldo", "Albert", "Welly", "Sonny",
];

pub(crate) const CHINESE_FEMALE: &[&str] = &[
    "Lina", "Susan", "Lily", "Meiliana", "Yenny", "Linda", "Mei", "Vivian", "Cindy", "Jessica",
    "Fenny", "Wenny", "Lanny", "Melinda", "Inge", "Angelina", "Elisa", "Lisa",
];

const CHINESE_SURNAMES: &[&str] = &[
    "Wijaya", "Gunawan", "Halim", "Salim", "Tanoto", "Tanjaya", "Kusuma", "Santoso", "Sugianto",
    "Setiadi", "Hartanto", "Lim", "Tan", "Tjandra", "Widjaja", "Lie", "Oey", "Gozali",
];

pub(crate) const MODERN_MALE: &[&str] = &[
    "Rizki", "Rizky", "Dimas", "Fajar", "Aditya", "Bayu", "Dicky", "Yoga", "Andika", "Reza",
    "Arya", "Rafi", "Farhan", "Alif", "Fikri", "Naufal", "Raka", "Galih", "Bagas", "Hafiz",
    "Akbar", "Daffa", "Rehan", "Fadil", "Zaki", "Rafa", "Azka", "Arkan", "Gibran", "Alvaro",
    "Rayyan", "Satria", "Rangga", "Dani", "Ferdi", "Angga", "Yudha", "Irfan", "Gilang", "Ilham",
];

pub(crate) const MODERN_FEMALE: &[&str] = &[
    "Putri",
    "Aulia",
    "Nabila",
    "Salsabila",
    "Dinda",
    "Ayu",
    "Dewi",
    "Intan",
    "Anisa",
    "Nadia",
    "Amelia",
    "Fitri",
    "Indah",
    "Rani",
    "Tiara",
    "Zahra",
    "Nayla",
    "Keisha",
    "Alya",
    "Kirana",
    "Citra",
    "Laras",
    "Anggun",
    "Della",
    "Sinta",
    "Novi",
    "Wulan",
    "Vina",
    "Cahya",
    "Mutiara",
    "Syifa",
    "Khansa",
    "Azzahra",
    "Naura",
    "Adiba",
    "Risma",
    "Devi",
    "Elsa",
    "Maya",
    "Shinta",
];

const MODERN_SECOND_MALE: &[&str] = &[
    "Pratama",
    "Saputra",
    "Ramadhan",
    "Maulana",
    "Firmansyah",
    "Prasetya",
    "Nugraha",
    "Setiawan",
    "Wijaya",
    "Putra",
    "Kurniawan",
    "Syahputra",
    "Permana",
    "Akbar",
    "Alfarizi",
    "Hidayatullah",
    "Pangestu",
    "Adi Nugroho",
    "Febrian",
    "Kusuma",
];

const MODERN_SECOND_FEMALE: &[&str] = &[
    "Lestari",
    "Permatasari",
    "Rahmawati",
    "Safitri",
    "Anggraini",
    "Putri",
    "Maharani",
    "Ramadhani",
    "Puspita",
    "Nurhaliza",
    "Azzahra",
    "Febriani",
    "Oktaviani",
    "Wulandari",
    "Pratiwi",
    "Kurniawati",
    "Amalia",
    "Salsabila",
    "Aprilia",
];

const STREETS: &[&str] = &[
    "Melati",
    "Mawar",
    "Kenanga",
    "Anggrek",
    "Flamboyan",
    "Cempaka",
    "Merdeka",
    "Diponegoro",
    "Sudirman",
    "Ahmad Yani",
    "Gajah Mada",
    "Hayam Wuruk",
    "Pahlawan",
    "Kartini",
    "Veteran",
    "Imam Bonjol",
    "Pattimura",
    "Kauman",
    "Pemuda",
    "Gatot Subroto",
    "Teuku Umar",
    "Hasanuddin",
    "Cendrawasih",
    "Nusantara",
    "Mangga",
    "Rambutan",
    "Durian",
    "Kelapa",
    "Sawo",
    "Raya",
    "Masjid",
    "Pasar",
    "Sekolah",
    "Kenari",
    "Dahlia",
    "Teratai",
];

const JAVANESE_HAMLETS: &[&str] = &[
    "Krajan",
    "Kauman",
    "Sumberejo",
    "Karanganyar",
    "Sidomulyo",
    "Tegalsari",
    "Ngemplak",
    "Ngasem",
    "Kedungsari",
    "Wonorejo",
    "Sukorejo",
    "Mulyorejo",
    "Jatirejo",
    "Tanjungsari",
    "Gondang",
    "Pucung",
    "Sumbersari",
    "Kalisari",
    "Gedangan",
    "Banaran",
    "Ngrejo",
    "Plosorejo",
    "Kebonagung",
    "Krajan Lor",
    "Krajan Kidul",
];

const SUNDANESE_HAMLETS: &[&str] = &[
    "Babakan",
    "Cibeureum",
    "Sukajadi",
    "Cikaret",
    "Cipanas",
    "Sukamaju",
    "Cimanggu",
    "Pasirhalang",
    "Cijambe",
    "Sindangsari",
    "Sukamulya",
    "Cileungsi",
    "Pasir Angin",
    "Ciherang",
    "Sukasari",
];

const BALINESE_BANJARS: &[&str] = &[
    "Kaja",
    "Kelod",
    "Kangin",
    "Kauh",
    "Tengah",
    "Anyar",
    "Pasekan",
    "Dauh Pangkung",
    "Tegal",
    "Sakah",
];

const BIG_CITIES: &[&str] = &[
    "Jakarta",
    "Surabaya",
    "Bandung",
    "Medan",
    "Semarang",
    "Makassar",
    "Yogyakarta",
    "Palembang",
];

/// A few regencies and cities per province, enough for a plausible "born nearby".
const BIRTH_PLACES: &[(u8, &[&str])] = &[
    (
        11,
        &[
            "Banda Aceh",
            "Aceh Besar",
            "Pidie",
            "Bireuen",
            "Lhokseumawe",
            "Aceh Utara",
        ],
    ),
    (
        12,
        &[
            "Medan",
            "Deli Serdang",
            "Tapanuli Utara",
            "Simalungun",
            "Pematangsiantar",
            "Asahan",
            "Langkat",
            "Toba",
        ],
    ),
    (
        13,
        &[
            "Padang",
            "Bukittinggi",
            "Agam",
            "Tanah Datar",
            "Payakumbuh",
            "Solok",
        ],
    ),
    (14, &["Pekanbaru", "Kampar", "Bengkalis", "Dumai", "Siak"]),
    (15, &["Jambi", "Kerinci", "Merangin", "Bungo"]),
    (
        16,
        &[
            "Palembang",
            "Ogan Komering Ilir",
            "Muara Enim",
            "Lahat",
            "Banyuasin",
        ],
    ),
    (17, &["Bengkulu", "Rejang Lebong", "Bengkulu Utara"]),
    (
        18,
        &[
            "Bandar Lampung",
            "Metro",
            "Lampung Tengah",
            "Lampung Selatan",
            "Pringsewu",
        ],
    ),
    (19, &["Pangkal Pinang", "Bangka", "Belitung"]),
    (21, &["Batam", "Tanjung Pinang", "Karimun", "Bintan"]),
    (31, &["Jakarta"]),
    (
        32,
        &[
            "Bandung",
            "Bogor",
            "Garut",
            "Tasikmalaya",
            "Cianjur",
            "Sukabumi",
            "Cirebon",
            "Bekasi",
        ],
    ),
    (
        33,
        &[
            "Semarang",
            "Surakarta",
            "Klaten",
            "Boyolali",
            "Pati",
            "Kudus",
            "Banyumas",
            "Tegal",
        ],
    ),
    (
        34,
        &[
            "Yogyakarta",
            "Sleman",
            "Bantul",
            "Gunungkidul",
            "Kulon Progo",
        ],
    ),
    (
        35,
        &[
            "Surabaya",
            "Malang",
            "Kediri",
            "Blitar",
            "Jember",
            "Sidoarjo",
            "Tulungagung",
            "Madiun",
            "Lamongan",
            "Pamekasan",
        ],
    ),
    (
        36,
        &["Serang", "Tangerang", "Pandeglang", "Lebak", "Cilegon"],
    ),
    (
        51,
        &[
            "Denpasar",
            "Gianyar",
            "Tabanan",
            "Buleleng",
            "Karangasem",
            "Badung",
        ],
    ),
    (
        52,
        &[
            "Mataram",
            "Lombok Timur",
            "Lombok Tengah",
            "Bima",
            "Sumbawa",
        ],
    ),
    (
        53,
        &[
            "Kupang",
            "Ende",
            "Sikka",
            "Manggarai",
            "Belu",
            "Sumba Timur",
            "Flores Timur",
        ],
    ),
    (
        61,
        &["Pontianak", "Sambas", "Singkawang", "Ketapang", "Sanggau"],
    ),
    (
        62,
        &[
            "Palangkaraya",
            "Kotawaringin Timur",
            "Kapuas",
            "Barito Utara",
        ],
    ),
    (
        63,
        &[
            "Banjarmasin",
            "Banjar",
            "Banjarbaru",
            "Hulu Sungai Selatan",
            "Tabalong",
        ],
    ),
    (
        64,
        &["Samarinda", "Balikpapan", "Kutai Kartanegara", "Bontang"],
    ),
    (65, &["Tarakan", "Bulungan", "Nunukan"]),
    (
        71,
        &["Manado", "Minahasa", "Bitung", "Tomohon", "Kotamobagu"],
    ),
    (72, &["Palu", "Donggala", "Poso", "Banggai"]),
    (
        73,
        &["Makassar", "Gowa", "Bone", "Parepare", "Wajo", "Palopo"],
    ),
    (74, &["Kendari", "Konawe", "Kolaka", "Muna", "Bau Bau"]),
    (75, &["Gorontalo", "Boalemo", "Bone Bolango"]),
    (76, &["Mamuju", "Polewali Mandar", "Majene"]),
    (81, &["Ambon", "Maluku Tengah", "Tual", "Buru"]),
    (82, &["Ternate", "Halmahera Utara", "Tidore"]),
    (91, &["Jayapura", "Biak", "Keerom"]),
    (92, &["Manokwari", "Fakfak", "Kaimana"]),
    (93, &["Merauke", "Boven Digoel"]),
    (94, &["Nabire", "Mimika", "Paniai"]),
    (95, &["Wamena", "Jayawijaya", "Yahukimo"]),
    (96, &["Sorong", "Raja Ampat"]),
];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use std::collections::HashSet;

    #[test]
    fn the_pools_hold_at_least_150_distinct_given_names_per_sex() {
        let male: HashSet<&str> = [
            JAVANESE_MALE,
            SUNDANESE_MALE,
            MADURESE_MALE,
            ARABIC_MALE,
            MALAY_MALE,
            BATAK_MALE,
            BALINESE_MALE,
            CHRISTIAN_MALE,
            CHINESE_MALE,
            MODERN_MALE,
        ]
        .concat()
        .into_iter()
        .collect();
        let female: HashSet<&str> = [
            JAVANESE_FEMALE,
            SUNDANESE_FEMALE,
            MADURESE_FEMALE,
            ARABIC_FEMALE,
            MALAY_FEMALE,
            BATAK_FEMALE,
            BALINESE_FEMALE,
            CHRISTIAN_FEMALE,
            CHINESE_FEMALE,
            MODERN_FEMALE,
        ]
        .concat()
        .into_iter()
        .collect();
        assert!(male.len() >= 150, "{} male names", male.len());
        assert!(female.len() >= 150, "{} female names", female.len());
    }

    #[test]
    fn every_embedded_word_is_plain_ascii() {
        let all = [
            JAVANESE_MALE,
            JAVANESE_FEMALE,
            SUNDANESE_MALE,
            SUNDANESE_FEMALE,
            ARABIC_MALE,
            ARABIC_FEMALE,
            MALAY_MALE,
            MALAY_FEMALE,
            BALINESE_MALE,
            BALINESE_FEMALE,
            NUSA_CLANS,
            STREETS,
        ]
        .concat();
        assert!(all.iter().all(|w| w.is_ascii() && !w.is_empty()));
    }

    #[test]
    fn balinese_names_start_with_i_or_ni_and_the_birth_order_name() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let ctx = NameCtx {
            culture: Culture::Balinese,
            christian: false,
            sex: Sex::Female,
            birth_year: 1980,
            clan: None,
            birth_order: 1,
        };
        for _ in 0..50 {
            let name = person_name(&mut rng, &ctx);
            assert!(
                name.starts_with("Ni Made")
                    || name.starts_with("Ni Kadek")
                    || name.starts_with("Ni Nengah")
                    || name.starts_with("I Gusti Ayu"),
                "{name}"
            );
        }
    }

    #[test]
    fn batak_daughters_carry_their_fathers_clan_after_br() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let ctx = NameCtx {
            culture: Culture::Batak,
            christian: true,
            sex: Sex::Female,
            birth_year: 2001,
            clan: Some("Sinaga"),
            birth_order: 0,
        };
        assert!(person_name(&mut rng, &ctx).ends_with(" Br. Sinaga"));
    }

    #[test]
    fn numbers_are_pushed_in_decimal() {
        let mut s = String::new();
        push_number(&mut s, 0);
        s.push(' ');
        push_number(&mut s, 4_070);
        assert_eq!(s, "0 4070");
    }
}
