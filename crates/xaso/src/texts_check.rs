//! Every message key and error code has a Vietnamese and an English text: the rooms' own
//! declarations, and every error code written as a literal anywhere in the platform's source.

use std::path::Path;

/// The error codes given as string literals to `AppError`'s constructors in `src`.
fn literal_error_codes(src: &str) -> Vec<String> {
    const CALLS: [&str; 4] = [
        "AppError::invalid(",
        "AppError::bad_request(",
        "AppError::conflict(",
        "AppError::new(",
    ];
    let mut codes = Vec::new();
    for call in CALLS {
        for (at, _) in src.match_indices(call) {
            let rest = &src[at + call.len()..];
            // The code is the first argument (the second, after the status, for `new`).
            let end = rest.find(')').unwrap_or(rest.len()).min(160);
            let mut args = &rest[..end];
            if call == "AppError::new(" {
                args = args.split_once(',').map_or("", |(_, a)| a);
            }
            let Some(arg) = args.trim_start().strip_prefix('"') else {
                continue;
            };
            if let Some(len) = arg.find('"') {
                let code = &arg[..len];
                if !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                    codes.push(code.to_owned());
                }
            }
        }
    }
    codes
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_declared_message_and_error_code_has_both_texts() {
    let missing = crate::rooms().missing_texts();
    assert!(missing.is_empty(), "texts missing: {missing:#?}");
}

#[test]
fn every_error_code_in_the_source_has_both_texts() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&crates).expect("crates/").flatten() {
        rust_files(&krate.path().join("src"), &mut files);
    }
    assert!(files.len() > 50, "found only {} source files", files.len());
    let mut codes: Vec<String> = files
        .iter()
        .flat_map(|f| literal_error_codes(&std::fs::read_to_string(f).unwrap_or_default()))
        .collect();
    codes.sort();
    codes.dedup();
    assert!(codes.len() > 20, "found only {} error codes", codes.len());
    let keys: Vec<String> = codes.iter().map(|c| format!("error.{c}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let rooms = crate::rooms();
    let mut texts = vec![kernel::i18n::KERNEL_TEXTS];
    texts.extend(rooms.iter().flat_map(|r| r.texts()));
    let vi: String = texts.iter().map(|t| format!("{}\n", t.vi)).collect();
    let en: String = texts.iter().map(|t| format!("{}\n", t.en)).collect();
    let missing = kernel::i18n::check_keys(&vi, &en, &keys);
    assert!(missing.is_empty(), "error texts missing: {missing:#?}");
}

/// The front door's texts are keys a room names in code (`"front.today.overdue"`): each needs
/// both texts, or the board would show the key.
#[test]
fn every_front_door_text_in_the_source_has_both_texts() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&crates).expect("crates/").flatten() {
        rust_files(&krate.path().join("src"), &mut files);
    }
    let mut keys: Vec<String> = files
        .iter()
        .flat_map(|f| {
            let src = std::fs::read_to_string(f).unwrap_or_default();
            src.split("\"front.")
                .skip(1)
                .filter_map(|rest| {
                    let end = rest.find('"')?;
                    let key = &rest[..end];
                    (!key.is_empty() && !key.ends_with('.')).then_some(())?;
                    key.bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.')
                        .then(|| format!("front.{key}"))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    keys.sort();
    keys.dedup();
    assert!(keys.len() > 10, "found only {keys:?}");
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let rooms = crate::rooms();
    let mut texts = vec![kernel::i18n::KERNEL_TEXTS];
    texts.extend(rooms.iter().flat_map(|r| r.texts()));
    let vi: String = texts.iter().map(|t| format!("{}\n", t.vi)).collect();
    let en: String = texts.iter().map(|t| format!("{}\n", t.en)).collect();
    let missing = kernel::i18n::check_keys(&vi, &en, &keys);
    assert!(missing.is_empty(), "front door texts missing: {missing:#?}");
}

#[test]
fn every_navigation_icon_is_in_the_sprite() {
    let missing = crate::rooms().missing_icons();
    assert!(
        missing.is_empty(),
        "icons missing from static/icons.svg: {missing:?}"
    );
}

#[test]
fn the_scanner_reads_codes_after_a_status_and_skips_variables() {
    let src = r#"
        AppError::invalid("phone_invalid", "phone");
        AppError::new(StatusCode::FORBIDDEN, "step_forbidden")
        AppError::conflict(code)
        AppError::invalid(code, "password")
    "#;
    assert_eq!(
        literal_error_codes(src),
        vec!["phone_invalid".to_owned(), "step_forbidden".to_owned()]
    );
}
