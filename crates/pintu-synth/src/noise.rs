//! The ways survey and insurance data go wrong: names written down as heard, numbers mistyped,
//! birth dates guessed or written in the wrong order.
//!
//! Each function returns a value that really differs from its input, so an extract row counted
//! as "misspelled" is one a linker has to work for.

use chrono::{Datelike, NaiveDate};
use rand::Rng;

use crate::pick::chance;

/// Spelling variants an enumerator produces when writing a name as heard, in upper case:
/// old Dutch-era spellings (`OE`, `DJ`, `TJ`) and their modern forms, `Y`/`I` around vowels,
/// dropped `H`s and double letters, and the usual abbreviations.
const VARIANTS: &[(&str, &str)] = &[
    ("MUHAMMAD", "MOH."),
    ("MUHAMMAD", "M."),
    ("MUHAMMAD", "MUHAMAD"),
    ("MOHAMMAD", "MOH."),
    ("MOHAMMAD", "MOCHAMAD"),
    ("MOH.", "MUHAMMAD"),
    ("ABDUL ", "ABD. "),
    ("SITI ", "ST. "),
    ("AHMAD", "ACHMAD"),
    ("SU", "SOE"),
    ("TU", "TOE"),
    ("MU", "MOE"),
    ("RU", "ROE"),
    ("PU", "POE"),
    ("DU", "DOE"),
    ("NU", "NOE"),
    ("OE", "U"),
    ("DJ", "J"),
    ("TJ", "C"),
    ("C", "TJ"),
    ("IYA", "IA"),
    ("IA", "IYA"),
    ("YA", "IA"),
    ("IO", "YO"),
    ("AI", "AY"),
    ("SY", "S"),
    ("KH", "K"),
    ("CH", "K"),
    ("TH", "T"),
    ("DH", "D"),
    ("F", "P"),
    ("V", "F"),
    ("Z", "J"),
    ("Q", "K"),
    ("LL", "L"),
    ("MM", "M"),
    ("NN", "N"),
    ("SS", "S"),
    ("RR", "R"),
    ("DD", "D"),
    ("TT", "T"),
    ("AA", "A"),
    ("AH ", "A "),
];

/// A spelling of `name` (upper case) as an enumerator might write it; always different.
pub(crate) fn misspell<R: Rng + ?Sized>(rng: &mut R, name: &str) -> String {
    let name = name.to_uppercase();
    let words = name.split_whitespace().count();
    // Missing second name: the most common difference of all.
    if words >= 2 && chance(rng, 0.25) {
        return drop_last_word(&name);
    }
    if words >= 3 && chance(rng, 0.15) {
        return initial_middle_word(&name);
    }
    let mut out = apply_variant(rng, &name).unwrap_or_else(|| fallback(rng, &name));
    if chance(rng, 0.2)
        && let Some(twice) = apply_variant(rng, &out)
    {
        out = twice;
    }
    if out == name {
        out = fallback(rng, &name);
    }
    out
}

/// `J` becomes `DJ` and `U` becomes `OE` only in the syllables listed above; a word-final `AH`
/// loses its `H`; otherwise one of the applicable variants is chosen at random.
fn apply_variant<R: Rng + ?Sized>(rng: &mut R, name: &str) -> Option<String> {
    let padded_final_h = name.ends_with("AH");
    let mut applicable = [0usize; VARIANTS.len() + 2];
    let mut n = 0;
    for (i, (from, _)) in VARIANTS.iter().enumerate() {
        if name.contains(from) {
            applicable[n] = i;
            n += 1;
        }
    }
    let j_without_d = name
        .as_bytes()
        .windows(2)
        .any(|w| w[1] == b'J' && w[0] != b'D')
        || name.starts_with('J');
    if j_without_d {
        applicable[n] = VARIANTS.len();
        n += 1;
    }
    if padded_final_h {
        applicable[n] = VARIANTS.len() + 1;
        n += 1;
    }
    if n == 0 {
        return None;
    }
    let choice = applicable[rng.random_range(0..n)];
    if choice == VARIANTS.len() {
        return Some(old_spelling_of_j(rng, name));
    }
    if choice == VARIANTS.len() + 1 {
        return Some(name[..name.len() - 1].to_string());
    }
    let (from, to) = VARIANTS[choice];
    let count = name.matches(from).count();
    let nth = rng.random_range(0..count);
    let (at, _) = name.match_indices(from).nth(nth)?;
    let mut out = String::with_capacity(name.len() + 2);
    out.push_str(&name[..at]);
    out.push_str(to);
    out.push_str(&name[at + from.len()..]);
    Some(out)
}

fn old_spelling_of_j<R: Rng + ?Sized>(rng: &mut R, name: &str) -> String {
    let bytes = name.as_bytes();
    let positions: Vec<usize> = (0..bytes.len())
        .filter(|&i| bytes[i] == b'J' && (i == 0 || bytes[i - 1] != b'D'))
        .collect();
    let at = positions[rng.random_range(0..positions.len())];
    format!("{}D{}", &name[..at], &name[at..])
}

fn drop_last_word(name: &str) -> String {
    match name.trim_end().rfind(' ') {
        Some(i) => name[..i].trim_end().to_string(),
        None => name.to_string(),
    }
}

fn initial_middle_word(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let mut out = String::with_capacity(name.len());
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if i == 1 && w.len() > 2 {
            out.push_str(&w[..1]);
            out.push('.');
        } else {
            out.push_str(w);
        }
    }
    out
}

/// When no variant applies: drop an interior letter, or double one.
fn fallback<R: Rng + ?Sized>(rng: &mut R, name: &str) -> String {
    let letters: Vec<usize> = name
        .char_indices()
        .filter(|(i, c)| *i > 0 && c.is_ascii_alphabetic())
        .map(|(i, _)| i)
        .collect();
    if letters.is_empty() {
        return format!("{name}H");
    }
    let at = letters[rng.random_range(0..letters.len())];
    let mut out = String::with_capacity(name.len() + 1);
    out.push_str(&name[..at]);
    if chance(rng, 0.5) && name.len() > 3 {
        out.push_str(&name[at + 1..]);
    } else {
        out.push_str(&name[at..=at]);
        out.push_str(&name[at..]);
    }
    out
}

/// A 16-digit number with one digit changed, or two neighbouring differing digits swapped.
pub(crate) fn mistype_digits<R: Rng + ?Sized>(rng: &mut R, number: &str) -> String {
    let mut bytes = number.as_bytes().to_vec();
    if bytes.len() < 2 || !bytes.iter().all(u8::is_ascii_digit) {
        return format!("{number}0");
    }
    if chance(rng, 0.3) {
        let swappable: Vec<usize> = (0..bytes.len() - 1)
            .filter(|&i| bytes[i] != bytes[i + 1])
            .collect();
        if !swappable.is_empty() {
            let i = swappable[rng.random_range(0..swappable.len())];
            bytes.swap(i, i + 1);
            return String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    let i = rng.random_range(0..bytes.len());
    let shift = rng.random_range(1..10u8);
    bytes[i] = b'0' + (bytes[i] - b'0' + shift) % 10;
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The birth date with day and month swapped, when that is a different valid date.
pub(crate) fn swap_day_month(date: NaiveDate) -> Option<NaiveDate> {
    if date.day() == date.month() || date.day() > 12 {
        return None;
    }
    NaiveDate::from_ymd_opt(date.year(), date.day(), date.month())
}

/// Only the year is right: enumerators write 1 July or 1 January, or a guess.
pub(crate) fn year_only<R: Rng + ?Sized>(rng: &mut R, date: NaiveDate) -> NaiveDate {
    let (month, day) = match rng.random_range(0..3) {
        0 => (7, 1),
        1 => (1, 1),
        _ => (rng.random_range(1..=12), rng.random_range(1..=28)),
    };
    let guess = NaiveDate::from_ymd_opt(date.year(), month, day).unwrap_or(date);
    if guess != date {
        return guess;
    }
    NaiveDate::from_ymd_opt(date.year(), if month == 7 { 1 } else { 7 }, 1).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn a_misspelling_always_differs_from_the_name() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for name in [
            "Sutrisno",
            "Siti Nurjanah",
            "Muhammad Rizki Pratama",
            "Ai",
            "I Made Yasa",
            "Lim",
        ] {
            for _ in 0..200 {
                let spelled = misspell(&mut rng, name);
                assert_ne!(spelled, name.to_uppercase(), "{name}");
                assert!(!spelled.is_empty());
            }
        }
    }

    #[test]
    fn misspellings_include_the_classic_indonesian_variants() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let seen: Vec<String> = (0..400)
            .map(|_| misspell(&mut rng, "Muhammad Sutrisno"))
            .collect();
        for expected in ["MOH. SUTRISNO", "MUHAMMAD", "MUHAMMAD SOETRISNO"] {
            assert!(seen.iter().any(|s| s == expected), "never saw {expected}");
        }
        let seen: Vec<String> = (0..200).map(|_| misspell(&mut rng, "Joko")).collect();
        assert!(seen.iter().any(|s| s == "DJOKO"));
    }

    #[test]
    fn a_mistyped_number_keeps_its_length_and_changes() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..500 {
            let typo = mistype_digits(&mut rng, "3507125708900003");
            assert_eq!(typo.len(), 16);
            assert_ne!(typo, "3507125708900003");
        }
    }

    #[test]
    fn dates_are_swapped_only_when_the_result_is_a_different_date() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        assert_eq!(swap_day_month(d(1980, 11, 4)), Some(d(1980, 4, 11)));
        assert_eq!(swap_day_month(d(1980, 11, 24)), None);
        assert_eq!(swap_day_month(d(1980, 5, 5)), None);
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for _ in 0..100 {
            let guess = year_only(&mut rng, d(1980, 7, 1));
            assert_eq!(guess.year(), 1980);
            assert_ne!(guess, d(1980, 7, 1));
        }
    }
}
