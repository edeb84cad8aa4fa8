//! Record linkage: which source record is which person in the registry.
//!
//! Fellegi–Sunter: every candidate pair is compared field by field into a pattern of
//! agreement levels; each level carries a weight log2(m/u), where m is the chance of that
//! level for a true match and u for a non-match. The m and u of every level, and the share of
//! matches among the candidates, are estimated from the data by expectation–maximisation, so
//! a source whose names are spelled as heard gets weights that fit it. Candidates come from
//! blocking keys (same NIK, same KK, same village and birth year, same village and first name
//! ...), so no two records far apart are ever compared. Pairs are then assigned one to one,
//! best first, with ties broken by the records' keys: the result does not depend on the
//! order of the records.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, NaiveDate};
use foldhash::{HashMap as FastMap, HashSet as FastSet};

use crate::Sex;

/// The facts of one record that linkage compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkFields {
    /// A stable key (registry person id, or source row): breaks ties.
    pub key: String,
    pub nik: Option<String>,
    pub kk: Option<String>,
    /// [`crate::names::search_key`] of the full name.
    pub name_key: String,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    /// Village code (`35.07.12.2003`).
    pub village: Option<String>,
    /// Name keys of the other members of the record's household (the partner and members
    /// a social protection card lists, the rest of a family card or survey household).
    pub others: Vec<String>,
    /// Whether `others` names the whole household, so that naming nobody means living alone
    /// (a social protection card, a person of the registry in a household); `false` where
    /// the record does not say who else lives with them.
    pub household_listed: bool,
}

/// How many fields a pair is compared on.
pub const N_FIELDS: usize = 7;

/// The compared fields, in pattern order.
pub const FIELDS: [&str; N_FIELDS] = [
    "nik",
    "kk",
    "name",
    "birth_date",
    "sex",
    "village",
    "household",
];

/// Agreement levels per field (0 is the closest).
const LEVELS: [usize; N_FIELDS] = [3, 2, 4, 5, 2, 3, 3];

/// One pair's agreement level per field; `None` where either side is unknown.
pub type Pattern = [Option<u8>; N_FIELDS];

/// NIK: 0 equal; 1 one digit changed or two neighbours swapped (a typo); 2 different.
pub fn compare_nik(a: &str, b: &str) -> u8 {
    if a == b {
        return 0;
    }
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if x.len() != y.len() {
        return 2;
    }
    let diff: Vec<usize> = (0..x.len()).filter(|&i| x[i] != y[i]).collect();
    match diff.as_slice() {
        [_] => 1,
        [i, j] if *j == i + 1 && x[*i] == y[*j] && x[*j] == y[*i] => 1,
        _ => 2,
    }
}

/// Names (search keys): 0 equal; 1 Jaro–Winkler ≥ 0.94; 2 ≥ 0.85, or one name is the other
/// with names left out (`siti aminah` / `siti`); 3 different.
pub fn compare_name(a: &str, b: &str) -> u8 {
    if a == b {
        return 0;
    }
    let mut jw = jaro_winkler(a, b);
    // Rewriting costs allocations; a name without an old spelling is already modern.
    if jw < 0.94 && (has_old_spelling(a) || has_old_spelling(b)) {
        jw = jw.max(jaro_winkler(&modern_spelling(a), &modern_spelling(b)));
    }
    if jw >= 0.94 {
        1
    } else if jw >= 0.85 || tokens_within(a, b) || tokens_within(b, a) {
        2
    } else {
        3
    }
}

/// Jaro–Winkler similarity: of the bytes where both names are ASCII (as nearly all are),
/// which is the same as of their characters and several times faster.
fn jaro_winkler(a: &str, b: &str) -> f64 {
    if a.is_ascii() && b.is_ascii() {
        strsim::generic_jaro_winkler(&Bytes(a.as_bytes()), &Bytes(b.as_bytes()))
    } else {
        strsim::jaro_winkler(a, b)
    }
}

/// A name's bytes, for [`strsim`]'s comparisons of any sequence.
struct Bytes<'a>(&'a [u8]);

impl<'b> IntoIterator for &Bytes<'b> {
    type Item = u8;
    type IntoIter = std::iter::Copied<std::slice::Iter<'b, u8>>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().copied()
    }
}

/// A name in today's spelling: the older spellings still found on cards and in surveys
/// (`oe` for `u`, `dj` for `j`, `tj` for `c`, `nj` for `ny`, `sj` for `sy`, `ch` for `kh`)
/// rewritten, so `soetrisno` and `sutrisno` meet.
pub fn modern_spelling(name: &str) -> std::borrow::Cow<'_, str> {
    if !has_old_spelling(name) {
        return std::borrow::Cow::Borrowed(name);
    }
    std::borrow::Cow::Owned(
        name.replace("oe", "u")
            .replace("dj", "j")
            .replace("tj", "c")
            .replace("nj", "ny")
            .replace("sj", "sy")
            .replace("ch", "kh"),
    )
}

/// The spellings [`modern_spelling`] rewrites.
const OLD_SPELLINGS: [&str; 6] = ["oe", "dj", "tj", "nj", "sj", "ch"];

fn has_old_spelling(name: &str) -> bool {
    name.as_bytes()
        .windows(2)
        .any(|w| OLD_SPELLINGS.iter().any(|p| p.as_bytes() == w))
}

/// Every word of `short` appears in `long`, in order.
fn tokens_within(short: &str, long: &str) -> bool {
    let mut words = long.split(' ');
    !short.is_empty() && short.split(' ').all(|w| words.any(|l| l == w))
}

/// Birth dates: 0 equal; 1 day and month swapped; 2 same year and month, or one digit off;
/// 3 same year; 4 different.
pub fn compare_birth_date(a: NaiveDate, b: NaiveDate) -> u8 {
    if a == b {
        0
    } else if a.year() == b.year() && a.day() == b.month() && a.month() == b.day() {
        1
    } else if a.year() == b.year() && (a.month() == b.month() || a.day() == b.day())
        || (a.month() == b.month() && a.day() == b.day() && (a.year() - b.year()).abs() == 1)
    {
        2
    } else if a.year() == b.year() {
        3
    } else {
        4
    }
}

/// Villages: 0 same village; 1 same district; 2 further apart.
pub fn compare_village(a: &str, b: &str) -> u8 {
    if a == b {
        0
    } else if district(a) == district(b) {
        1
    } else {
        2
    }
}

/// Households, by the names of their other members: 0 all the names of the shorter list
/// (or at least two) found in the other, spelled alike or with names left out; 1 some; 2
/// none (also when one list is empty). A card that names the
/// head's wife and children tells two namesakes apart.
pub fn compare_household(a: &[String], b: &[String]) -> u8 {
    // Names spelled alike, and names found only with a word left out (a looser match, which
    // alone does not make two households one).
    let (mut alike, mut shortened) = (0, 0);
    for x in a {
        if b.iter().any(|y| x == y || compare_name(x, y) <= 1) {
            alike += 1;
        } else if b.iter().any(|y| tokens_within(x, y) || tokens_within(y, x)) {
            shortened += 1;
        }
    }
    let shorter = a.len().min(b.len());
    if alike + shortened == 0 {
        2
    } else if (alike + shortened >= 2 && alike >= 1) || (alike >= shorter && alike > 0) {
        0
    } else {
        1
    }
}

fn district(village: &str) -> &str {
    village.rsplit_once('.').map_or(village, |(d, _)| d)
}

fn both<'a>(x: &'a Option<String>, y: &'a Option<String>) -> Option<(&'a str, &'a str)> {
    match (x, y) {
        (Some(x), Some(y)) => Some((x.as_str(), y.as_str())),
        _ => None,
    }
}

/// Compares two records field by field.
///
/// The household, the costliest comparison, is made only where the names are close or the
/// family card is the same: it tells namesakes and mistyped cards apart, while two people
/// with different names need no help.
pub fn compare(a: &LinkFields, b: &LinkFields) -> Pattern {
    let kk = both(&a.kk, &b.kk).map(|(x, y)| u8::from(x != y));
    let name = (!a.name_key.is_empty() && !b.name_key.is_empty())
        .then(|| compare_name(&a.name_key, &b.name_key));
    let close = name.is_some_and(|l| l <= 2) || kk == Some(0);
    let listed = a.household_listed && b.household_listed;
    let household = match (a.others.is_empty(), b.others.is_empty()) {
        _ if !close => None,
        (false, false) => Some(compare_household(&a.others, &b.others)),
        // Where both sides name the whole household, living alone is known: both alone
        // agree, and one alone while the other lives with a family disagree.
        (true, true) if listed => Some(0),
        _ if listed => Some(compare_household(&a.others, &b.others)),
        _ => None,
    };
    [
        both(&a.nik, &b.nik).map(|(x, y)| compare_nik(x, y)),
        kk,
        name,
        a.birth_date
            .zip(b.birth_date)
            .map(|(x, y)| compare_birth_date(x, y)),
        a.sex.zip(b.sex).map(|(x, y)| u8::from(x != y)),
        both(&a.village, &b.village).map(|(x, y)| compare_village(x, y)),
        household,
    ]
}

/// The blocking keys of a record: two records are compared when they share one.
pub fn blocking_keys(r: &LinkFields) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(nik) = &r.nik {
        keys.push(format!("n:{nik}"));
    }
    let modern = modern_spelling(&r.name_key);
    let first = modern.split(' ').next().unwrap_or("");
    let stem: String = first.chars().take(3).collect();
    if let Some(kk) = &r.kk {
        // A family is small: everyone on the same card is a candidate.
        keys.push(format!("k:{kk}"));
    }
    if let Some(d) = r.birth_date
        && !r.name_key.is_empty()
    {
        // Finds people who moved: the same name and birth date anywhere in the area.
        keys.push(format!("nd:{}:{d}", r.name_key));
    }
    if let Some(v) = &r.village {
        if let Some(d) = r.birth_date {
            keys.push(format!("vy:{v}:{}", d.year()));
        }
        if !stem.is_empty() {
            keys.push(format!("vn:{v}:{stem}"));
        }
        if !r.name_key.is_empty() {
            keys.push(format!("dn:{}:{}", district(v), r.name_key));
        }
    }
    keys
}

/// Whether a record needs [`household_keys`] to find its person: it has no NIK and no birth
/// date to block on (a social protection card), only its name, which may be misspelled, and
/// the names of its household.
pub fn needs_household_keys(r: &LinkFields) -> bool {
    r.nik.is_none() && r.birth_date.is_none() && !r.others.is_empty() && r.village.is_some()
}

/// The blocking keys of a record's household: its village and the name of each other
/// member. Two records share one when someone of one household bears the name of someone of
/// the other, so a card whose head's name is misspelled still meets the head through the
/// partner and children it names.
pub fn household_keys(r: &LinkFields) -> Vec<String> {
    match &r.village {
        Some(v) => r.others.iter().map(|o| format!("ho:{v}:{o}")).collect(),
        None => Vec::new(),
    }
}

/// A Fellegi–Sunter model: the share of matches among candidates, and m and u per level.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub lambda: f64,
    pub m: [Vec<f64>; N_FIELDS],
    pub u: [Vec<f64>; N_FIELDS],
}

impl Default for Model {
    /// Starting values: matches agree, non-matches mostly do not.
    fn default() -> Self {
        let m = [
            vec![0.95, 0.04, 0.01],
            vec![0.9, 0.1],
            vec![0.7, 0.15, 0.1, 0.05],
            vec![0.75, 0.05, 0.08, 0.1, 0.02],
            vec![0.98, 0.02],
            vec![0.9, 0.08, 0.02],
            vec![0.75, 0.15, 0.1],
        ];
        let u = [
            vec![0.001, 0.004, 0.995],
            vec![0.05, 0.95],
            vec![0.003, 0.006, 0.06, 0.931],
            vec![0.002, 0.001, 0.05, 0.15, 0.797],
            vec![0.5, 0.5],
            vec![0.3, 0.5, 0.2],
            vec![0.01, 0.05, 0.94],
        ];
        Model { lambda: 0.1, m, u }
    }
}

/// Fewer candidate pairs than this say too little to estimate from: the starting values
/// are used as they are.
pub const MIN_PAIRS_TO_ESTIMATE: usize = 500;

/// Smallest probability a level keeps, so that no weight is infinite.
const FLOOR: f64 = 1e-6;

impl Model {
    /// Estimates the model from candidate patterns by expectation–maximisation, starting from
    /// [`Model::default`]. Patterns are counted first, so the estimate does not depend on
    /// their order.
    pub fn estimate(patterns: &[Pattern], iterations: usize) -> Model {
        Model::estimate_with_u(patterns, None, None, &NO_KNOWN_M, iterations)
    }

    /// As [`Model::estimate`]; with `u` given (from random pairs, which are almost all
    /// non-matches), only the m probabilities (and the share of matches, unless given too)
    /// are estimated. Blocked candidates agree on the blocking fields far more often than
    /// unrelated people do, so u is better measured outside the blocks; and as each record
    /// has at most one match, the share of matches among candidates is known to be at most
    /// records ÷ candidate pairs. The m probabilities given in `known_m` (measured on pairs
    /// known to be matches, see [`m_from_matches`]) are kept as they are.
    pub fn estimate_with_u(
        patterns: &[Pattern],
        fixed_u: Option<&[Vec<f64>; N_FIELDS]>,
        fixed_lambda: Option<f64>,
        known_m: &KnownM,
        iterations: usize,
    ) -> Model {
        let mut counts: BTreeMap<Pattern, f64> = BTreeMap::new();
        for p in patterns {
            *counts.entry(*p).or_default() += 1.0;
        }
        let mut model = Model::default();
        if let Some(u) = fixed_u {
            model.u = u.clone();
        }
        for (f, m) in known_m.iter().enumerate() {
            if let Some(m) = m {
                model.m[f] = m.clone();
            }
        }
        if let Some(l) = fixed_lambda {
            model.lambda = l.clamp(FLOOR, 1.0 - FLOOR);
        }
        if patterns.len() < MIN_PAIRS_TO_ESTIMATE || counts.len() < 2 {
            return model;
        }
        for _ in 0..iterations {
            let mut lambda_sum = 0.0;
            let mut total = 0.0;
            let mut m_acc: [Vec<f64>; N_FIELDS] = LEVELS.map(|n| vec![0.0; n]);
            let mut u_acc: [Vec<f64>; N_FIELDS] = LEVELS.map(|n| vec![0.0; n]);
            for (p, n) in &counts {
                let g = model.probability(p);
                lambda_sum += g * n;
                total += n;
                for (f, level) in p.iter().enumerate() {
                    if let Some(l) = level {
                        m_acc[f][*l as usize] += g * n;
                        u_acc[f][*l as usize] += (1.0 - g) * n;
                    }
                }
            }
            let normalise = |acc: &Vec<f64>, old: &Vec<f64>| -> Vec<f64> {
                let sum: f64 = acc.iter().sum();
                if sum <= 0.0 {
                    return old.clone();
                }
                acc.iter().map(|x| (x / sum).max(FLOOR)).collect()
            };
            let next = Model {
                lambda: match fixed_lambda {
                    Some(_) => model.lambda,
                    None => (lambda_sum / total).clamp(FLOOR, 1.0 - FLOOR),
                },
                m: std::array::from_fn(|f| match &known_m[f] {
                    Some(m) => m.clone(),
                    None => normalise(&m_acc[f], &model.m[f]),
                }),
                u: match fixed_u {
                    Some(u) => u.clone(),
                    None => std::array::from_fn(|f| normalise(&u_acc[f], &model.u[f])),
                },
            };
            let converged = (next.lambda - model.lambda).abs() < 1e-7
                && (0..N_FIELDS).all(|f| (next.m[f][0] - model.m[f][0]).abs() < 1e-7);
            model = next;
            if converged {
                break;
            }
        }
        if fixed_u.is_none() {
            model.orient();
        }
        model
    }

    /// u from `samples` random pairs of `left` × `right`, drawn after sorting both sides by
    /// key (so the draw does not depend on the order of the records). Levels never seen keep
    /// a small floor; `None` when either side is empty.
    pub fn random_u(
        left: &[LinkFields],
        right: &[LinkFields],
        samples: usize,
    ) -> Option<[Vec<f64>; N_FIELDS]> {
        if left.is_empty() || right.is_empty() {
            return None;
        }
        let mut l: Vec<&LinkFields> = left.iter().collect();
        let mut r: Vec<&LinkFields> = right.iter().collect();
        l.sort_by(|a, b| a.key.cmp(&b.key));
        r.sort_by(|a, b| a.key.cmp(&b.key));
        let mut acc: [Vec<f64>; N_FIELDS] = LEVELS.map(|n| vec![0.0; n]);
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut count = |a: &LinkFields, b: &LinkFields| {
            for (f, level) in compare(a, b).iter().enumerate() {
                if let Some(level) = level {
                    acc[f][*level as usize] += 1.0;
                }
            }
        };
        if l.len().saturating_mul(r.len()) <= samples {
            // Few enough to take every pair.
            for a in &l {
                for b in &r {
                    count(a, b);
                }
            }
        } else {
            for _ in 0..samples {
                let a = l[(next() % l.len() as u64) as usize];
                let b = r[(next() % r.len() as u64) as usize];
                count(a, b);
            }
        }
        Some(std::array::from_fn(|f| {
            let sum: f64 = acc[f].iter().sum();
            let default = &Model::default().u[f];
            if sum < 100.0 {
                return default.clone();
            }
            // Add-one smoothing, then a floor.
            acc[f]
                .iter()
                .map(|x| ((x + 1.0) / (sum + acc[f].len() as f64)).max(FLOOR))
                .collect()
        }))
    }

    /// EM can settle with m and u swapped; matches are the side where names agree.
    fn orient(&mut self) {
        if self.m[2][0] < self.u[2][0] {
            std::mem::swap(&mut self.m, &mut self.u);
            self.lambda = 1.0 - self.lambda;
        }
    }

    /// The match weight of a pattern: log2 of the odds that the pair is a match.
    pub fn weight(&self, p: &Pattern) -> f64 {
        let prior = (self.lambda / (1.0 - self.lambda)).log2();
        prior
            + p.iter()
                .enumerate()
                .filter_map(|(f, l)| {
                    l.map(|l| (self.m[f][l as usize] / self.u[f][l as usize]).log2())
                })
                .sum::<f64>()
    }

    /// The probability that a pair with this pattern is a match.
    pub fn probability(&self, p: &Pattern) -> f64 {
        let w = self.weight(p);
        1.0 / (1.0 + (-w).exp2())
    }

    /// The field that weighed most for (positive) or against (negative) a pattern: for
    /// explanations.
    pub fn deciding_field(&self, p: &Pattern) -> Option<(&'static str, f64)> {
        p.iter()
            .enumerate()
            .filter_map(|(f, l)| {
                l.map(|l| {
                    (
                        FIELDS[f],
                        (self.m[f][l as usize] / self.u[f][l as usize]).log2(),
                    )
                })
            })
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
    }
}

/// Random pairs drawn to measure u.
const RANDOM_PAIRS: usize = 200_000;

/// m probabilities measured on known matches, per field (`None`: to estimate).
pub type KnownM = [Option<Vec<f64>>; N_FIELDS];

/// Nothing known: every m is estimated.
pub const NO_KNOWN_M: KnownM = [None, None, None, None, None, None, None];

/// Known matches below this many comparisons of a field say too little about it.
pub const MIN_KNOWN_MATCHES: usize = 200;

/// The fields of a pattern, by position in [`FIELDS`].
pub const NIK: usize = 0;
pub const KK: usize = 1;
pub const NAME: usize = 2;
pub const HOUSEHOLD: usize = 6;

/// The m probabilities measured on `matches`: pairs known to be the same person (rows
/// linked on a NIK the name confirms; in a source without NIKs, a card's head found by name
/// on the family card its number gives), but for the fields `chosen_on`, which the pairs
/// agree on by construction or selection and whose m stays to estimate. Left to themselves,
/// the candidates of a household source are dominated by members of one household, and
/// expectation–maximisation takes "the same household" for "the same person" (names,
/// birth dates and sexes that disagree half the time); the known matches say how often one
/// person's name, birth date, sex, village, card and household really disagree between two
/// sources.
pub fn m_from_matches(matches: &[Pattern], chosen_on: &[usize]) -> KnownM {
    std::array::from_fn(|f| {
        if chosen_on.contains(&f) {
            return None;
        }
        let mut acc = vec![0.0; LEVELS[f]];
        for p in matches {
            if let Some(l) = p[f] {
                acc[l as usize] += 1.0;
            }
        }
        let sum: f64 = acc.iter().sum();
        (sum >= MIN_KNOWN_MATCHES as f64).then(|| {
            acc.iter()
                .map(|x| ((x + 1.0) / (sum + acc.len() as f64)).max(FLOOR))
                .collect()
        })
    })
}

/// How a record was linked.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Index into the registry side.
    pub target: usize,
    pub probability: f64,
    pub pattern: Pattern,
}

/// What [`link`] found for each source record, and the model it estimated.
#[derive(Debug, Clone)]
pub struct Linkage {
    pub links: Vec<Option<Link>>,
    /// The best candidate below the threshold, for review.
    pub possible: Vec<Option<Link>>,
    pub model: Model,
    pub candidate_pairs: usize,
}

/// Links each of `records` to at most one of `registry`, and each registry record to at most
/// one of `records` (a source lists each person once). A pair is a link when its match
/// probability is at least `threshold`; the strongest pairs (by match weight, which unlike
/// the probability does not saturate at 1) are taken first. `known_m` fixes the m
/// probabilities measured on known matches ([`m_from_matches`]).
pub fn link(
    registry: &[LinkFields],
    records: &[LinkFields],
    threshold: f64,
    known_m: &KnownM,
) -> Linkage {
    // The registry's households are indexed only when a record needs them: that is as many
    // keys again as people, for the few rows (cards) that cannot block on anything else.
    let by_household = records.iter().any(needs_household_keys);
    let index = Blocks::new(registry, |r| {
        let mut keys = blocking_keys(r);
        if by_household {
            keys.extend(household_keys(r));
        }
        keys.iter().map(|k| fnv1a(k)).collect()
    });
    // The records are compared in as many slices as there are cores; the pairs come back
    // in record order whatever the number of slices.
    let index = &index;
    // (Nothing to compare with an empty registry.)
    let rows = if registry.is_empty() {
        0
    } else {
        records.len()
    };
    let pairs: Vec<(usize, usize, Pattern)> = in_slices(rows, |part| {
        let mut out = Vec::new();
        let mut seen: FastSet<u32> = FastSet::default();
        for j in part {
            let rec = &records[j];
            seen.clear();
            let mut keys = blocking_keys(rec);
            if needs_household_keys(rec) {
                keys.extend(household_keys(rec));
            }
            for k in keys {
                for &i in index.get(&k) {
                    if seen.insert(i) {
                        let i = i as usize;
                        out.push((i, j, compare(&registry[i], rec)));
                    }
                }
            }
        }
        out
    });
    let patterns: Vec<Pattern> = pairs.iter().map(|(_, _, p)| *p).collect();
    let u = Model::random_u(registry, records, RANDOM_PAIRS);
    let lambda = (!patterns.is_empty())
        .then(|| records.len().min(registry.len()) as f64 / patterns.len() as f64);
    let model = Model::estimate_with_u(&patterns, u.as_ref(), lambda, known_m, 60);
    // Best first; equal scores in the order of the records' keys, never of their positions
    // (each side's keys ranked once, so that the sort compares numbers).
    let (registry_rank, record_rank) = if pairs.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        std::thread::scope(|s| {
            let registry_rank = s.spawn(|| ranks(registry));
            let record_rank = ranks(records);
            match registry_rank.join() {
                Ok(registry_rank) => (registry_rank, record_rank),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    };
    let mut scored: Vec<(f64, u32, u32, u32)> = pairs
        .iter()
        .enumerate()
        .map(|(n, (i, j, p))| {
            (
                model.weight(p),
                registry_rank[*i],
                record_rank[*j],
                n as u32,
            )
        })
        .collect();
    scored.sort_unstable_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.cmp(&b.1))
            .then_with(|| a.2.cmp(&b.2))
    });
    let mut links: Vec<Option<Link>> = vec![None; records.len()];
    let mut possible: Vec<Option<Link>> = vec![None; records.len()];
    let mut taken = vec![false; registry.len()];
    let candidate_pairs = scored.len();
    for (weight, _, _, n) in scored {
        let (i, j, pattern) = pairs[n as usize];
        let prob = 1.0 / (1.0 + (-weight).exp2());
        let l = Link {
            target: i,
            probability: prob,
            pattern,
        };
        if prob >= threshold {
            if links[j].is_none() && !taken[i] {
                taken[i] = true;
                links[j] = Some(l);
            }
        } else if possible[j].is_none() && links[j].is_none() {
            possible[j] = Some(l);
        }
    }
    for (j, l) in links.iter().enumerate() {
        if l.is_some() {
            possible[j] = None;
        }
    }
    Linkage {
        links,
        possible,
        model,
        candidate_pairs,
    }
}

/// Records by blocking key. A key is kept as its 64-bit hash (FNV-1a), not its text: two
/// keys of one hash would only put more pairs to compare, and among the few million keys
/// of a million people that has a chance of about one in ten million.
struct Blocks {
    /// Each block's records, in record order, the blocks one after another.
    members: Vec<u32>,
    /// Where each key's block is in `members`: (start, end).
    ranges: FastMap<u64, (u32, u32)>,
}

impl Blocks {
    /// The blocks of `records` under `keys` (their hashes, [`fnv1a`] of the key); the keys
    /// are made on every core.
    fn new(records: &[LinkFields], keys: impl Fn(&LinkFields) -> Vec<u64> + Sync) -> Blocks {
        let mut entries: Vec<(u64, u32)> = in_slices(records.len(), |part| {
            let mut out = Vec::new();
            for i in part {
                out.extend(keys(&records[i]).into_iter().map(|k| (k, i as u32)));
            }
            out
        });
        // Sorted by key, then record: a record with a key twice is in its block once.
        entries.sort_unstable();
        entries.dedup();
        let mut ranges: FastMap<u64, (u32, u32)> = FastMap::default();
        let mut members = Vec::with_capacity(entries.len());
        for (n, (hash, i)) in entries.iter().enumerate() {
            members.push(*i);
            ranges
                .entry(*hash)
                .and_modify(|r| r.1 = n as u32 + 1)
                .or_insert((n as u32, n as u32 + 1));
        }
        Blocks { members, ranges }
    }

    /// The records that have `key`, in record order.
    fn get(&self, key: &str) -> &[u32] {
        match self.ranges.get(&fnv1a(key)) {
            Some(&(start, end)) => &self.members[start as usize..end as usize],
            None => &[],
        }
    }

    /// Every block, in the order of their keys' hashes.
    fn iter(&self) -> impl Iterator<Item = &[u32]> {
        let mut ranges: Vec<(u32, u32)> = self.ranges.values().copied().collect();
        ranges.sort_unstable();
        ranges
            .into_iter()
            .map(|(start, end)| &self.members[start as usize..end as usize])
    }
}

/// The 64-bit FNV-1a hash of a text: blocking keys, and samples chosen by id.
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `work` over `0..n` cut into as many slices as there are cores (at most 8), run at once:
/// the outputs one after another, in the order of the slices.
fn in_slices<T: Send>(n: usize, work: impl Fn(std::ops::Range<usize>) -> Vec<T> + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |c| c.get().min(8));
    let slice = n.div_ceil(threads).max(1);
    if threads == 1 || n <= slice {
        return work(0..n);
    }
    let work = &work;
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..n)
            .step_by(slice)
            .map(|start| s.spawn(move || work(start..(start + slice).min(n))))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(out) => out,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Each record's place in the order of the records' keys.
fn ranks(records: &[LinkFields]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..records.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| records[a as usize].key.cmp(&records[b as usize].key));
    let mut rank = vec![0; records.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    rank
}

/// Keys that bring together two registry records of the same person: the same name and
/// birth date anywhere, the same birth date in the village (a name spelled another way), the
/// same name in the village and birth year (a date mistyped). Narrower than
/// [`blocking_keys`]: a registry is scanned as a whole, and family members or neighbours
/// born the same year are no duplicates.
fn duplicate_keys(r: &LinkFields) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(d) = r.birth_date {
        if !r.name_key.is_empty() {
            keys.push(format!("nd:{}:{d}", r.name_key));
        }
        if let Some(v) = &r.village {
            keys.push(format!("vd:{v}:{d}"));
            if !r.name_key.is_empty() {
                keys.push(format!("vny:{v}:{}:{}", r.name_key, d.year()));
            }
        }
    }
    keys
}

/// A likely duplicate: two registry records (indexes into the scanned slice, `a < b` by
/// key) and the probability that they are the same person.
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicate {
    pub a: usize,
    pub b: usize,
    pub probability: f64,
}

/// Pairs of `records` that `model` says are the same person with at least `threshold`
/// probability, where at least one of the pair is `focus` (all of them when `focus` is
/// `None`). Two records with NIKs are two people, and so are two with different names (twins
/// share a birth date and a family card) or birth dates far apart. Sorted by the pair's keys,
/// whatever the order of the records.
pub fn duplicates(
    records: &[LinkFields],
    focus: Option<&HashSet<usize>>,
    model: &Model,
    threshold: f64,
) -> Vec<Duplicate> {
    // Only blocks with a record of the focus can hold a pair to report.
    let wanted: Option<FastSet<u64>> = focus.map(|f| {
        f.iter()
            .filter_map(|&i| records.get(i))
            .flat_map(duplicate_keys)
            .map(|k| fnv1a(&k))
            .collect()
    });
    let blocks = Blocks::new(records, |r| {
        duplicate_keys(r)
            .iter()
            .map(|k| fnv1a(k))
            .filter(|k| wanted.as_ref().is_none_or(|w| w.contains(k)))
            .collect()
    });
    let in_focus: Option<Vec<bool>> = focus.map(|f| {
        let mut mask = vec![false; records.len()];
        for &i in f.iter().filter(|&&i| i < records.len()) {
            mask[i] = true;
        }
        mask
    });
    let mut seen: FastSet<(u32, u32)> = FastSet::default();
    let mut found = Vec::new();
    for members in blocks.iter() {
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                let (i, j) = (i as usize, j as usize);
                let (a, b) = match records[i].key <= records[j].key {
                    true => (i, j),
                    false => (j, i),
                };
                if in_focus.as_ref().is_some_and(|f| !f[a] && !f[b])
                    || !seen.insert((a as u32, b as u32))
                {
                    continue;
                }
                let pattern = compare(&records[a], &records[b]);
                // Two NIKs are two people (Dukcapil issues one per person, and NIKs of
                // namesakes born the same day differ by a digit or two); so are twins, whose
                // names differ, and namesakes born years apart.
                if pattern[0].is_some()
                    || pattern[2].is_none_or(|l| l > 2)
                    || pattern[3].is_none_or(|l| l > 2)
                {
                    continue;
                }
                let probability = model.probability(&pattern);
                if probability >= threshold {
                    found.push(Duplicate { a, b, probability });
                }
            }
        }
    }
    found.sort_by(|x, y| {
        (&records[x.a].key, &records[x.b].key).cmp(&(&records[y.a].key, &records[y.b].key))
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn niks_with_a_typo_are_near() {
        assert_eq!(compare_nik("3507124508850003", "3507124508850003"), 0);
        assert_eq!(compare_nik("3507124508850003", "3507124508850008"), 1);
        assert_eq!(
            compare_nik("3507124508850003", "3507124508850030"),
            1,
            "swapped"
        );
        assert_eq!(compare_nik("3507124508850003", "3507124508851103"), 2);
    }

    #[test]
    fn names_spelled_as_heard_are_near() {
        assert_eq!(compare_name("siti aminah", "siti aminah"), 0);
        assert_eq!(compare_name("auliya wulandari", "aulia wulandari"), 1);
        assert_eq!(
            compare_name("siti aminah", "siti"),
            2,
            "second name left out"
        );
        assert_eq!(compare_name("budi santoso", "agus prasetyo"), 3);
    }

    #[test]
    fn birth_dates_close_in_the_ways_surveys_get_them_wrong() {
        assert_eq!(compare_birth_date(d("1985-08-05"), d("1985-08-05")), 0);
        assert_eq!(compare_birth_date(d("1985-08-05"), d("1985-05-08")), 1);
        assert_eq!(compare_birth_date(d("1985-08-05"), d("1985-08-15")), 2);
        assert_eq!(compare_birth_date(d("1985-08-05"), d("1984-08-05")), 2);
        assert_eq!(compare_birth_date(d("1985-08-05"), d("1985-01-01")), 3);
        assert_eq!(compare_birth_date(d("1985-08-05"), d("1990-01-01")), 4);
    }

    #[test]
    fn villages_compare_by_distance() {
        assert_eq!(compare_village("35.07.12.2003", "35.07.12.2003"), 0);
        assert_eq!(compare_village("35.07.12.2003", "35.07.12.2001"), 1);
        assert_eq!(compare_village("35.07.12.2003", "35.07.13.2003"), 2);
    }

    fn person(
        key: &str,
        nik: Option<&str>,
        name: &str,
        born: &str,
        sex: Sex,
        village: &str,
    ) -> LinkFields {
        LinkFields {
            key: key.into(),
            nik: nik.map(str::to_string),
            kk: None,
            name_key: crate::names::search_key(name),
            birth_date: Some(d(born)),
            sex: Some(sex),
            village: Some(village.into()),
            others: Vec::new(),
            household_listed: false,
        }
    }

    #[test]
    fn blocking_keys_cover_nik_kk_village_and_name() {
        let mut p = person(
            "a",
            Some("3507124508850003"),
            "Siti Aminah",
            "1985-08-05",
            Sex::Female,
            "35.07.12.2003",
        );
        p.kk = Some("3507120101100001".into());
        let keys = blocking_keys(&p);
        assert!(keys.contains(&"n:3507124508850003".to_string()));
        assert!(keys.contains(&"k:3507120101100001".to_string()));
        assert!(keys.contains(&"vy:35.07.12.2003:1985".to_string()));
        assert!(keys.contains(&"vn:35.07.12.2003:sit".to_string()));
        assert!(keys.contains(&"dn:35.07.12:siti aminah".to_string()));
    }

    fn village_population() -> (Vec<LinkFields>, Vec<LinkFields>) {
        let names = [
            "siti aminah",
            "budi santoso",
            "agus prasetyo",
            "dewi lestari",
            "joko widodo",
            "sri wahyuni",
            "ahmad fauzi",
            "nur hidayah",
            "eko saputra",
            "rina marlina",
            "hendra gunawan",
            "yuni astuti",
            "bambang susilo",
            "wati ningsih",
            "rudi hartono",
        ];
        let mut registry = Vec::new();
        let mut survey = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let born = format!("19{:02}-0{}-1{}", 60 + i, 1 + i % 9, i % 10);
            let sex = if i % 2 == 0 { Sex::Female } else { Sex::Male };
            registry.push(person(
                &format!("p{i:02}"),
                Some(&format!("35071201010{i:05}")),
                n,
                &born,
                sex,
                "35.07.12.2003",
            ));
            // The survey: no NIK; a name spelled as heard, or only the year of birth.
            let heard = if i % 3 == 0 {
                n.to_string()
            } else {
                n.replace('u', "oe").replace("iy", "i")
            };
            let born = if i % 3 == 0 {
                format!("19{:02}-01-01", 60 + i)
            } else {
                born
            };
            survey.push(person(
                &format!("s{i:02}"),
                None,
                &heard,
                &born,
                sex,
                "35.07.12.2003",
            ));
        }
        (registry, survey)
    }

    #[test]
    fn survey_records_without_a_nik_find_their_person() {
        let (registry, survey) = village_population();
        let result = link(&registry, &survey, 0.9, &NO_KNOWN_M);
        for (j, l) in result.links.iter().enumerate() {
            let l = l
                .as_ref()
                .unwrap_or_else(|| panic!("{} unlinked ({:?})", survey[j].key, result.possible[j]));
            assert_eq!(
                registry[l.target].key[1..],
                survey[j].key[1..],
                "{}",
                survey[j].name_key
            );
        }
    }

    #[test]
    fn a_stranger_is_not_linked() {
        let (registry, _) = village_population();
        let stranger = person(
            "x",
            None,
            "maria goretti",
            "2001-12-24",
            Sex::Female,
            "35.07.12.2003",
        );
        let result = link(&registry, &[stranger], 0.9, &NO_KNOWN_M);
        assert!(result.links[0].is_none());
    }

    #[test]
    fn households_compare_by_the_names_of_the_others() {
        let names = |l: &[&str]| l.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let home = names(&["sumini setyawati", "bayu", "dewi lestari"]);
        assert_eq!(compare_household(&names(&["sumini setyawati"]), &home), 0);
        assert_eq!(
            compare_household(&names(&["sumini setiawati", "dewi lestari"]), &home),
            0,
            "spelled as heard"
        );
        assert_eq!(
            compare_household(&names(&["sumini setyawati", "agus", "rina"]), &home),
            1
        );
        assert_eq!(compare_household(&names(&["legini retnowati"]), &home), 2);
        assert_eq!(
            compare_household(&names(&["dewi", "bayu"]), &home),
            0,
            "a name with its second name left out"
        );
        assert_eq!(
            compare_household(&names(&["dewi"]), &home),
            1,
            "one name with a word left out is not enough"
        );
        assert_eq!(compare_household(&[], &home), 2, "nobody else");
    }

    #[test]
    fn the_household_tells_namesakes_apart() {
        let v = "35.07.30.2006";
        let mut paiman = person("a", None, "PAIMAN", "1970-01-01", Sex::Male, v);
        paiman.others = vec!["legini retnowati".into()];
        let mut namesake = person("b", None, "PAIMAN", "1972-05-05", Sex::Male, v);
        namesake.others = vec!["sumini".into(), "agus".into()];
        // A card: the head's name and village, his wife's name; no birth date.
        let card = LinkFields {
            key: "card".into(),
            nik: None,
            kk: None,
            name_key: "paiman".into(),
            birth_date: None,
            sex: None,
            village: Some(v.into()),
            others: vec!["legini retnowati".into()],
            household_listed: true,
        };
        let model = Model::default();
        let right = model.weight(&compare(&paiman, &card));
        let wrong = model.weight(&compare(&namesake, &card));
        assert!(right - wrong > 8.0, "{right} against {wrong} bits");
        let found = link(&[namesake, paiman], &[card], 0.9, &NO_KNOWN_M);
        assert_eq!(found.links[0].as_ref().map(|l| l.target), Some(1));
    }

    /// A card: the head's name, the village and the rest of the household; no NIK, no
    /// birth date, no sex.
    fn card(name: &str, village: &str, others: &[&str]) -> LinkFields {
        LinkFields {
            key: "card".into(),
            nik: None,
            kk: None,
            name_key: crate::names::search_key(name),
            birth_date: None,
            sex: None,
            village: Some(village.into()),
            others: others.iter().map(|o| crate::names::search_key(o)).collect(),
            household_listed: true,
        }
    }

    /// A person of the registry living with `others`.
    fn at_home(key: &str, name: &str, born: &str, village: &str, others: &[&str]) -> LinkFields {
        let mut p = person(key, None, name, born, Sex::Female, village);
        p.others = others.iter().map(|o| crate::names::search_key(o)).collect();
        p.household_listed = true;
        p
    }

    #[test]
    fn a_card_whose_head_is_misspelled_meets_the_head_through_the_household() {
        let v = "35.07.23.2006";
        let farhan = at_home(
            "a",
            "FARHAN PERMANA",
            "1990-10-03",
            v,
            &["GIYEM YULIANI", "FAJAR WIBOWO", "DINDA NINGSIH"],
        );
        let parno = at_home("b", "PARNO", "1974-02-05", v, &["WIWIK"]);
        let card = card(
            "PARHAN PERMANA",
            v,
            &["GIYEM YULIANI", "FAJAR WIBOWO", "DINDA NINGSIH"],
        );
        // Nothing but the household brings the card and the head together.
        let keys: HashSet<String> = blocking_keys(&farhan).into_iter().collect();
        assert!(blocking_keys(&card).iter().all(|k| !keys.contains(k)));
        assert!(needs_household_keys(&card));
        assert!(household_keys(&card).contains(&format!("ho:{v}:giyem yuliani")));
        let found = link(&[parno, farhan], &[card], 0.9, &NO_KNOWN_M);
        assert_eq!(found.links[0].as_ref().map(|l| l.target), Some(1));
        // A row with a birth date blocks on it, not on its household.
        let mut row = person("r", None, "PARHAN PERMANA", "1990-10-03", Sex::Male, v);
        row.others = vec!["giyem yuliani".into()];
        assert!(!needs_household_keys(&row));
    }

    #[test]
    fn a_card_that_names_nobody_else_is_the_namesake_who_lives_alone() {
        let v = "35.07.24.2016";
        // The namesake sorts first, so a tie would go to her.
        let wife = at_home("a", "WARSINI", "1951-09-03", v, &["SUMADI", "TRI MULYONO"]);
        let alone = at_home("b", "WARSINI", "1945-05-19", v, &[]);
        let card = card("WARSINI", v, &[]);
        assert_eq!(compare(&alone, &card)[6], Some(0));
        assert_eq!(compare(&wife, &card)[6], Some(2), "she lives with a family");
        let found = link(
            &[wife, alone.clone()],
            std::slice::from_ref(&card),
            0.9,
            &NO_KNOWN_M,
        );
        assert_eq!(found.links[0].as_ref().map(|l| l.target), Some(1));
        // Where a side does not say who else lives there, living alone is not known.
        let unlisted = LinkFields {
            household_listed: false,
            ..alone
        };
        assert_eq!(compare(&unlisted, &card)[6], None);
    }

    #[test]
    fn known_matches_fix_m_for_every_field_but_the_nik_and_the_name() {
        // 300 known matches: the birth date agrees in 290, is a year off in 10; the sex
        // always agrees; the village is compared in only 50 of them.
        let matches: Vec<Pattern> = (0..300)
            .map(|i| {
                let date = if i < 290 { 0 } else { 3 };
                let village = (i < 50).then_some(0);
                [Some(0), None, Some(0), Some(date), Some(0), village, None]
            })
            .collect();
        let m = m_from_matches(&matches, &[NIK, NAME]);
        assert_eq!(m[0], None, "the NIK agrees by construction");
        assert_eq!(m[2], None, "the name agrees by selection");
        let date = m[3].as_ref().expect("dates measured");
        assert!((date[0] - 291.0 / 305.0).abs() < 1e-12);
        assert!((date[3] - 11.0 / 305.0).abs() < 1e-12);
        assert!(date[4] > 0.0, "a level never seen keeps a small share");
        assert_eq!(m[5], None, "50 comparisons say too little");
        // EM keeps what is known.
        let patterns: Vec<Pattern> = (0..600)
            .map(|i| {
                [
                    None,
                    None,
                    Some((i % 4) as u8),
                    Some((i % 5) as u8),
                    Some((i % 2) as u8),
                    None,
                    None,
                ]
            })
            .collect();
        let model = Model::estimate_with_u(&patterns, None, None, &m, 20);
        assert_eq!(model.m[3], m[3].clone().expect("dates"));
    }

    #[test]
    fn duplicates_are_the_same_person_twice_never_two_niks() {
        let v = "35.07.12.2003";
        let records = vec![
            person(
                "a",
                Some("3507124508850003"),
                "SITI AMINAH",
                "1985-08-05",
                Sex::Female,
                v,
            ),
            // The same woman, registered again from a survey without her NIK.
            person("b", None, "SITI AMINA", "1985-08-05", Sex::Female, v),
            // A namesake born the same day with another NIK: another person.
            person(
                "c",
                Some("3507124508850777"),
                "SITI AMINAH",
                "1985-08-05",
                Sex::Female,
                v,
            ),
            person("d", None, "BUDI SANTOSO", "1985-08-05", Sex::Male, v),
        ];
        let model = Model::default();
        let found = duplicates(&records, None, &model, 0.5);
        let keys: Vec<(&str, &str)> = found
            .iter()
            .map(|d| (records[d.a].key.as_str(), records[d.b].key.as_str()))
            .collect();
        assert!(keys.contains(&("a", "b")), "{keys:?}");
        assert!(!keys.contains(&("a", "c")), "two NIKs are two people");
        assert!(keys.iter().all(|(x, y)| *x != "d" && *y != "d"), "{keys:?}");
        // Focused on "d", nothing; the order of the records does not matter.
        let only_d: HashSet<usize> = [3].into();
        assert!(duplicates(&records, Some(&only_d), &model, 0.5).is_empty());
        let mut reversed = records.clone();
        reversed.reverse();
        let again: Vec<(String, String)> = duplicates(&reversed, None, &model, 0.5)
            .iter()
            .map(|d| (reversed[d.a].key.clone(), reversed[d.b].key.clone()))
            .collect();
        let keys: Vec<(String, String)> = keys
            .iter()
            .map(|(x, y)| (x.to_string(), y.to_string()))
            .collect();
        assert_eq!(again, keys);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn links_do_not_depend_on_the_order_of_the_records(seed in any::<u64>()) {
            let (registry, survey) = village_population();
            let key_of = |reg: &[LinkFields], rec: &[LinkFields]| {
                let r = link(reg, rec, 0.9, &NO_KNOWN_M);
                let mut pairs: Vec<(String, String)> = r.links.iter().enumerate()
                    .filter_map(|(j, l)| l.as_ref().map(|l| (rec[j].key.clone(), reg[l.target].key.clone())))
                    .collect();
                pairs.sort();
                pairs
            };
            let expected = key_of(&registry, &survey);
            let mut reg2 = registry.clone();
            let mut rec2 = survey.clone();
            // A deterministic shuffle from the seed.
            let mut s = seed | 1;
            for v in [&mut reg2, &mut rec2] {
                for i in (1..v.len()).rev() {
                    s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                    v.swap(i, (s % (i as u64 + 1)) as usize);
                }
            }
            prop_assert_eq!(key_of(&reg2, &rec2), expected);
        }

        #[test]
        fn jaro_winkler_of_ascii_bytes_is_that_of_characters(
            a in "[a-z ]{0,24}",
            b in "[a-z ]{0,24}",
        ) {
            prop_assert_eq!(jaro_winkler(&a, &b).to_bits(), strsim::jaro_winkler(&a, &b).to_bits());
        }
    }

    #[test]
    fn a_block_holds_its_records_once_each_in_record_order() {
        let names = ["siti aminah", "budi santoso", "siti aminah", "siti rahayu"];
        let records: Vec<LinkFields> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut p = person(
                    &format!("p{i}"),
                    None,
                    n,
                    "1980-01-01",
                    Sex::Female,
                    "35.07.12.2003",
                );
                p.others = vec!["agus".into(), "agus".into()];
                p
            })
            .collect();
        // Each record has the household key `ho:35.07.12.2003:agus` twice.
        let blocks = Blocks::new(&records, |r| {
            let mut keys = blocking_keys(r);
            keys.extend(household_keys(r));
            keys.iter().map(|k| fnv1a(k)).collect()
        });
        assert_eq!(blocks.get("dn:35.07.12:siti aminah"), &[0, 2]);
        assert_eq!(blocks.get("vn:35.07.12.2003:sit"), &[0, 2, 3]);
        assert_eq!(blocks.get("ho:35.07.12.2003:agus"), &[0, 1, 2, 3]);
        assert!(blocks.get("vn:35.07.12.2003:xyz").is_empty());
        let mut sizes: Vec<usize> = blocks.iter().map(<[u32]>::len).collect();
        sizes.sort_unstable();
        assert_eq!(sizes.iter().sum::<usize>(), blocks.members.len());
    }

    #[test]
    fn names_in_old_spelling_are_found_and_rewritten() {
        assert!(has_old_spelling("soetrisno"));
        assert!(has_old_spelling("djoko"));
        assert!(!has_old_spelling("sutrisno"));
        assert!(!has_old_spelling("o"));
        assert_eq!(modern_spelling("soetrisno djojo"), "sutrisno jojo");
        assert!(matches!(
            modern_spelling("sutrisno"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
