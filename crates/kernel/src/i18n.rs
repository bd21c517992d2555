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

/// The kernel's own catalogues.
pub const KERNEL_TEXTS: Texts = Texts {
    vi: include_str!("../i18n/vi.txt"),
    en: include_str!("../i18n/en.txt"),
};

fn parse_catalogue(text: &str) -> HashMap<&str, &str> {
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
            parse_catalogue(KERNEL_TEXTS.vi),
            parse_catalogue(KERNEL_TEXTS.en),
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

/// The text of `key` in `locale` with each `{name}` replaced by its argument; placeholders
/// without an argument stay visible so a mistake is seen rather than hidden.
pub fn fill<S: AsRef<str>>(locale: Locale, key: &str, args: &[(S, S)]) -> String {
    let mut out = t(locale, key).to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{}}}", name.as_ref()), value.as_ref());
    }
    out
}

/// The `{name}` placeholders of a text, in order of appearance.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                out.push(&after[..end]);
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

/// Problems with message keys a room declares: each must have a Vietnamese and an English
/// text with the same placeholders. `keys` are full catalogue keys.
pub fn check_keys(vi: &str, en: &str, keys: &[&str]) -> Vec<String> {
    let (v, e) = (parse_catalogue(vi), parse_catalogue(en));
    let mut problems = Vec::new();
    for key in keys {
        match (v.get(key), e.get(key)) {
            (None, _) => problems.push(format!("{key}: no Vietnamese text")),
            (_, None) => problems.push(format!("{key}: no English text")),
            (Some(vt), Some(et)) => {
                let (mut a, mut b) = (placeholders(vt), placeholders(et));
                a.sort_unstable();
                b.sort_unstable();
                if a != b {
                    problems.push(format!("{key}: placeholders differ: vi {a:?}, en {b:?}"));
                }
            }
        }
    }
    problems
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
    /// Whether either catalogue has `key` (so `get` would not fall back to the key itself).
    pub fn has(&self, key: &str) -> bool {
        lookup(self.0, key)
            .or_else(|| lookup(Locale::Vi, key))
            .is_some()
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
    fn fill_replaces_named_arguments_and_keeps_unknown_ones() {
        extend(
            "t.fill = Hồ sơ {receipt} hẹn {due} {other}",
            "t.fill = Dossier {receipt} due {due} {other}",
        );
        let args = [("receipt", "HS-1"), ("due", "05/12/2026")];
        assert_eq!(
            fill(Locale::En, "t.fill", &args),
            "Dossier HS-1 due 05/12/2026 {other}"
        );
        assert_eq!(
            fill(Locale::Vi, "t.fill", &args),
            "Hồ sơ HS-1 hẹn 05/12/2026 {other}"
        );
    }

    #[test]
    fn check_keys_finds_missing_texts_and_mismatched_placeholders() {
        let vi = "a = Xin chào {name}\nb = Một {x}\nc = Chỉ tiếng Việt";
        let en = "a = Hello {name}\nb = One {y}";
        let p = check_keys(vi, en, &["a", "b", "c", "d"]);
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[0].starts_with("b: placeholders differ"));
        assert_eq!(p[1], "c: no English text");
        assert_eq!(p[2], "d: no Vietnamese text");
    }

    #[test]
    fn lookup_and_fallback() {
        assert_eq!(t(Locale::Vi, "nav.login"), "Đăng nhập");
        assert_eq!(t(Locale::En, "nav.login"), "Log in");
        assert_eq!(t(Locale::Vi, "no.such.key"), "no.such.key");
    }
}
