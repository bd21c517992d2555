//! Interface text in Vietnamese (default) and English, looked up by key.
//!
//! Catalogues are plain `key = text` files compiled into the binary. A missing English text
//! falls back to Vietnamese; a missing key shows the key itself so it is noticed in review.

use std::collections::HashMap;
use std::sync::OnceLock;

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

fn catalogue(locale: Locale) -> &'static HashMap<&'static str, &'static str> {
    static VI: OnceLock<HashMap<&str, &str>> = OnceLock::new();
    static EN: OnceLock<HashMap<&str, &str>> = OnceLock::new();
    match locale {
        Locale::Vi => VI.get_or_init(|| parse_catalogue(include_str!("../i18n/vi.txt"))),
        Locale::En => EN.get_or_init(|| parse_catalogue(include_str!("../i18n/en.txt"))),
    }
}

/// Looks up `key` in the locale's catalogue.
pub fn t(locale: Locale, key: &str) -> &'static str {
    if let Some(v) = catalogue(locale).get(key) {
        return v;
    }
    if let Some(v) = catalogue(Locale::Vi).get(key) {
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
    fn every_english_key_exists_in_vietnamese() {
        let vi = catalogue(Locale::Vi);
        for k in catalogue(Locale::En).keys() {
            assert!(vi.contains_key(k), "{k} missing in vi.txt");
        }
    }

    #[test]
    fn every_vietnamese_key_has_english() {
        let en = catalogue(Locale::En);
        let missing: Vec<_> = catalogue(Locale::Vi)
            .keys()
            .filter(|k| !en.contains_key(*k))
            .collect();
        assert!(missing.is_empty(), "missing in en.txt: {missing:?}");
    }

    #[test]
    fn lookup_and_fallback() {
        assert_eq!(t(Locale::Vi, "nav.login"), "Đăng nhập");
        assert_eq!(t(Locale::En, "nav.login"), "Log in");
        assert_eq!(t(Locale::Vi, "no.such.key"), "no.such.key");
    }
}
