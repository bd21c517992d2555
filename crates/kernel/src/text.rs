//! Vietnamese text folding for search: one rule applied when writing and when querying.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// Folds Vietnamese text for diacritic-insensitive search.
///
/// Accepts NFC or NFD input, strips every combining mark (tones, breve, circumflex, horn),
/// folds `đ`/`Đ` to `d` (which Unicode does not decompose, and SQLite's `remove_diacritics`
/// leaves alone), lowercases, and collapses runs of whitespace and punctuation into one space.
pub fn fold_vi(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for ch in input.nfd() {
        if is_combining_mark(ch) {
            continue;
        }
        let ch = match ch {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if ch.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(ch.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// True when every word of the folded `query` starts a word of the folded `haystack`.
/// Word-prefix matching lets "thuong lam" find "Xã Thượng Lâm" and "t lam" still match.
pub fn folded_words_match(haystack_folded: &str, query_folded: &str) -> bool {
    query_folded
        .split(' ')
        .filter(|w| !w.is_empty())
        .all(|q| haystack_folded.split(' ').any(|h| h.starts_with(q)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_tones_and_d() {
        assert_eq!(fold_vi("Xã Thượng Lâm"), "xa thuong lam");
        assert_eq!(fold_vi("Phường Đống Đa"), "phuong dong da");
        assert_eq!(fold_vi("  Nghệ   An "), "nghe an");
    }

    #[test]
    fn nfc_and_nfd_fold_alike() {
        let nfc = "Thượng Lâm";
        let nfd: String = nfc.nfd().collect();
        assert_ne!(nfc, nfd);
        assert_eq!(fold_vi(nfc), fold_vi(&nfd));
    }

    #[test]
    fn punctuation_becomes_space() {
        assert_eq!(fold_vi("Văn Miếu - Quốc Tử Giám"), "van mieu quoc tu giam");
    }

    #[test]
    fn word_prefix_match() {
        let h = fold_vi("Xã Thượng Lâm");
        assert!(folded_words_match(&h, &fold_vi("thuong lam")));
        assert!(folded_words_match(&h, &fold_vi("Thuong Lâm")));
        assert!(folded_words_match(&h, "lam thu"));
        assert!(!folded_words_match(&h, "hop"));
    }
}
