//! Name normalisation for search: case- and accent-insensitive, spaces collapsed.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `"  Siti  Nurhalizá "` → `"siti nurhaliza"`. Apostrophes and dots are dropped so that
/// `Ma'ruf` and `Maruf`, `Moh.` and `Moh` find each other.
pub fn search_key(name: &str) -> String {
    let folded: String = name
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .filter(|c| !matches!(c, '\'' | '`' | '’' | '.'))
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A display name tidied for storage: trimmed, inner whitespace collapsed.
pub fn tidy(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_keys_ignore_case_accents_and_spacing() {
        assert_eq!(search_key("  Siti  NURHALIZÁ "), "siti nurhaliza");
        assert_eq!(search_key("Ma'ruf Amin"), "maruf amin");
        assert_eq!(search_key("Moh. Hatta"), "moh hatta");
        assert_eq!(search_key("Dewi-Sartika"), "dewi sartika");
    }
}
