//! Interface text in Vietnamese (default) and English, looked up by key.
//!
//! Catalogues are plain `key = text` files compiled into the binary. A missing English text
//! falls back to Vietnamese; a missing key shows the key itself so it is noticed in review.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

/// One pair of text catalogues (Vietnamese, English) in the `key = text` format of `i18n/`.
#[derive(Debug, Clone, Copy)]
pub struct Texts {
    pub vi: &'static str,
    pub en: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Vi,
    En,
}

impl Locale {
    pub fn parse(s: &str) -> Option<Locale> {
        match s.trim() {
            "vi" => Some(Locale::Vi),
            "en" => Some(Locale::En),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Locale::Vi => "vi",
            Locale::En => "en",
        }
    }
}

fn parse_catalogue(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

type Catalogue = HashMap<&'static str, &'static str>;

fn catalogues() -> &'static RwLock<(Catalogue, Catalogue)> {
    static CATS: OnceLock<RwLock<(Catalogue, Catalogue)>> = OnceLock::new();
    CATS.get_or_init(|| {
        RwLock::new((
            parse_catalogue(include_str!("../i18n/vi.txt")),
            parse_catalogue(include_str!("../i18n/en.txt")),
        ))
    })
}

/// Adds a feature room's texts to the catalogues (called once per room at start-up).
pub fn extend(vi: &'static str, en: &'static str) {
    let mut c = catalogues().write().unwrap_or_else(|e| e.into_inner());
    c.0.extend(parse_catalogue(vi));
    c.1.extend(parse_catalogue(en));
}

fn lookup(locale: Locale, key: &str) -> Option<&'static str> {
    let c = catalogues().read().unwrap_or_else(|e| e.into_inner());
    match locale {
        Locale::Vi => c.0.get(key).copied(),
        Locale::En => c.1.get(key).copied(),
    }
}

/// Looks up `key` in the locale's catalogue.
pub fn t(locale: Locale, key: &str) -> &'static str {
    if let Some(v) = lookup(locale, key).or_else(|| lookup(Locale::Vi, key)) {
        return v;
    }
    // Leak once per unknown key so the signature can stay `&'static`; keys are a closed set.
    static MISSING: OnceLock<std::sync::Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let mut m = MISSING
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    m.entry(key.to_owned())
        .or_insert_with(|| Box::leak(key.to_owned().into_boxed_str()))
}

/// Every key of a catalogue pair missing from the other, for the rooms' own tests.
pub fn missing_keys(vi: &'static str, en: &'static str) -> Vec<String> {
    let (v, e) = (parse_catalogue(vi), parse_catalogue(en));
    v.keys()
        .filter(|k| !e.contains_key(*k))
        .chain(e.keys().filter(|k| !v.contains_key(*k)))
        .map(|k| k.to_string())
        .collect()
}

/// Whether one catalogue's text (`include_str!` of a `vi.txt` or `en.txt`) has `key`, without
/// falling back: for tests that every error code or message key of a crate has both texts.
pub fn catalogue_has(text: &'static str, key: &str) -> bool {
    parse_catalogue(text).contains_key(key)
}

/// A translator bound to one locale, handed to templates.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr(pub Locale);

impl Tr {
    pub fn get(&self, key: &str) -> &'static str {
        t(self.0, key)
    }
    pub fn lang(&self) -> &'static str {
        self.0.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_have_the_same_keys() {
        let missing = missing_keys(
            include_str!("../i18n/vi.txt"),
            include_str!("../i18n/en.txt"),
        );
        assert!(
            missing.is_empty(),
            "keys in one catalogue only: {missing:?}"
        );
    }

    #[test]
    fn lookup_and_fallback() {
        assert_eq!(t(Locale::Vi, "nav.login"), "Đăng nhập");
        assert_eq!(t(Locale::En, "nav.login"), "Log in");
        assert_eq!(t(Locale::Vi, "no.such.key"), "no.such.key");
    }
}
