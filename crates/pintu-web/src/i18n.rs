//! Translations: Bahasa Indonesia (default) and English, from Fluent catalogues compiled
//! into the binary. Every user-facing string goes through [`Tr::t`].

use std::collections::HashSet;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::langid;

const ID_FTL: &str = include_str!("../locales/id.ftl");
const EN_FTL: &str = include_str!("../locales/en.ftl");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Lang {
        if s.trim().to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::Id
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// From an Accept-Language header: English only when it comes before Indonesian.
    pub fn from_accept_language(header: &str) -> Lang {
        for part in header.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("id") || tag.starts_with("in") {
                return Lang::Id;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::Id
    }
}

struct Catalogues {
    id: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

fn bundle(lang: unic_langid::LanguageIdentifier, source: &str) -> FluentBundle<FluentResource> {
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    bundle.set_use_isolating(false);
    let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(res, errors)| {
        tracing::error!(?errors, "translation catalogue has syntax errors");
        res
    });
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(?errors, "translation catalogue has duplicate keys");
    }
    bundle
}

static CATALOGUES: LazyLock<Catalogues> = LazyLock::new(|| Catalogues {
    id: bundle(langid!("id"), ID_FTL),
    en: bundle(langid!("en"), EN_FTL),
});

/// A translator for one language, handed to every template.
#[derive(Clone)]
pub struct Tr {
    pub lang: Lang,
}

impl std::fmt::Debug for Tr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tr({})", self.lang.code())
    }
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    fn bundle(&self) -> &'static FluentBundle<FluentResource> {
        match self.lang {
            Lang::Id => &CATALOGUES.id,
            Lang::En => &CATALOGUES.en,
        }
    }

    /// The message for `key`, or the key itself when missing (a test keeps that from happening).
    pub fn t(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message for `key` with one argument.
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        let mut args = FluentArgs::new();
        let v = value.to_string();
        match v.parse::<i64>() {
            Ok(n) => args.set(name.to_string(), FluentValue::from(n)),
            Err(_) => args.set(name.to_string(), FluentValue::from(v)),
        }
        self.format(key, Some(&args))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs>) -> String {
        let bundle = self.bundle();
        match bundle.get_message(key).and_then(|m| m.value()) {
            Some(pattern) => {
                let mut errors = vec![];
                bundle
                    .format_pattern(pattern, args, &mut errors)
                    .into_owned()
            }
            None => key.to_string(),
        }
    }

    /// The message for an error code (`error-<code>`), falling back to the generic message.
    pub fn error(&self, code: &str) -> String {
        let key = format!("error-{code}");
        if self.has(&key) {
            self.t(&key)
        } else {
            self.t("error-validation_failed")
        }
    }

    /// The label of a form field, with array indices removed: `members[2].nik` → `field-nik`.
    pub fn field(&self, field: &str) -> String {
        let last = field.rsplit('.').next().unwrap_or(field);
        let key = format!("field-{last}");
        if self.has(&key) {
            self.t(&key)
        } else {
            field.to_string()
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.bundle().has_message(key)
    }

    pub fn other_lang(&self) -> Lang {
        match self.lang {
            Lang::Id => Lang::En,
            Lang::En => Lang::Id,
        }
    }
}

/// The message keys of a catalogue source, for the completeness test.
pub fn catalogue_keys(lang: Lang) -> HashSet<String> {
    let source = match lang {
        Lang::Id => ID_FTL,
        Lang::En => EN_FTL,
    };
    source
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_string()))
        .filter(|k| !k.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_exists_in_both_languages() {
        let id = catalogue_keys(Lang::Id);
        let en = catalogue_keys(Lang::En);
        let missing_en: Vec<_> = id.difference(&en).collect();
        let missing_id: Vec<_> = en.difference(&id).collect();
        assert!(missing_en.is_empty(), "missing in en.ftl: {missing_en:?}");
        assert!(missing_id.is_empty(), "missing in id.ftl: {missing_id:?}");
        assert!(id.len() > 100);
    }

    #[test]
    fn every_error_code_the_product_uses_is_translated() {
        for code in crate::error::ERROR_CODES {
            for lang in [Lang::Id, Lang::En] {
                assert!(
                    Tr::new(lang).has(&format!("error-{code}")),
                    "error-{code} missing in {}",
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn catalogues_parse_and_format_arguments() {
        let en = Tr::new(Lang::En);
        assert_eq!(en.t1("search-results", "count", 1), "One person found");
        assert_eq!(en.t1("search-results", "count", 3), "3 people found");
        assert_eq!(Tr::new(Lang::Id).t("nav-logout"), "Keluar");
        assert_eq!(en.field("members[3].nik"), "NIK");
    }

    #[test]
    fn accept_language_prefers_indonesian_unless_english_comes_first() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept_language("id-ID,en;q=0.5"), Lang::Id);
        assert_eq!(Lang::from_accept_language(""), Lang::Id);
    }
}
