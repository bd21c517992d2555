//! What a message says, kept as a catalogue key with arguments so every channel renders it in
//! the recipient's language, or as the words an official wrote, shown as written.
//!
//! A keyed message `k` has two texts in the catalogues, `k.title` and `k.body`, with `{name}`
//! placeholders. The outbox and inbox keep the key and the arguments beside a Vietnamese
//! rendering (for the delivery desk, figures and anything reading the table directly); the
//! dispatcher renders again in the recipient's language before a channel sends, and the inbox
//! renders in the reader's language each time it is shown.

use serde_json::{Map, Value};

use crate::i18n::{Locale, fill, t};

/// One argument of a keyed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Shown as given: a receipt code, a name, a date, an official's note.
    Plain(String),
    /// Itself a catalogue key (a status's label), rendered in the reader's language.
    Key(String),
}

impl Arg {
    fn render(&self, locale: Locale) -> String {
        match self {
            Arg::Plain(s) => s.clone(),
            Arg::Key(k) => t(locale, k).to_owned(),
        }
    }

    /// A plain argument is stored as a JSON string, a keyed one as `{"key": …}`.
    fn to_json(&self) -> Value {
        match self {
            Arg::Plain(s) => Value::String(s.clone()),
            Arg::Key(k) => {
                Value::Object(Map::from_iter([("key".into(), Value::String(k.clone()))]))
            }
        }
    }

    fn from_json(v: Value) -> Arg {
        match v {
            Value::String(s) => Arg::Plain(s),
            Value::Object(mut o) => match o.remove("key") {
                Some(Value::String(k)) => Arg::Key(k),
                _ => Arg::Plain(String::new()),
            },
            other => Arg::Plain(other.to_string()),
        }
    }
}

/// The text of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    /// A catalogue message: `<key>.title` and `<key>.body` with named arguments.
    Key {
        key: &'static str,
        args: Vec<(&'static str, Arg)>,
    },
    /// Words a person wrote (a notice's title and summary): the same for every reader.
    Written { title: String, body: String },
}

impl Default for Text {
    fn default() -> Self {
        Text::Written {
            title: String::new(),
            body: String::new(),
        }
    }
}

impl Text {
    pub fn key(key: &'static str) -> Self {
        Text::Key { key, args: vec![] }
    }

    /// Adds a `{name}` argument shown as given (no effect on written words).
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        if let Text::Key { args, .. } = &mut self {
            args.push((name, Arg::Plain(value.to_string())));
        }
        self
    }

    /// Adds a `{name}` argument that is itself a catalogue key, such as a status's label.
    pub fn arg_key(mut self, name: &'static str, key: impl Into<String>) -> Self {
        if let Text::Key { args, .. } = &mut self {
            args.push((name, Arg::Key(key.into())));
        }
        self
    }

    pub fn written(title: impl Into<String>, body: impl Into<String>) -> Self {
        Text::Written {
            title: title.into(),
            body: body.into(),
        }
    }

    /// Title and body in `locale`.
    pub fn render(&self, locale: Locale) -> (String, String) {
        match self {
            Text::Key { key, args } => {
                let args: Vec<(&str, String)> =
                    args.iter().map(|(n, v)| (*n, v.render(locale))).collect();
                render_key(locale, key, &args)
            }
            Text::Written { title, body } => (title.clone(), body.clone()),
        }
    }

    /// What the outbox stores beside the Vietnamese rendering: the key and the arguments as
    /// a JSON object, or nothing for written words.
    pub fn stored(&self) -> (Option<String>, Option<String>) {
        match self {
            Text::Key { key, args } => {
                let map: Map<String, Value> = args
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), v.to_json()))
                    .collect();
                (
                    Some((*key).to_owned()),
                    Some(Value::Object(map).to_string()),
                )
            }
            Text::Written { .. } => (None, None),
        }
    }
}

/// Title and body of a stored message in `locale`: rendered from its key and arguments when
/// it has them, else the stored words.
pub fn localized(
    locale: Locale,
    key: Option<&str>,
    args: Option<&str>,
    title: &str,
    body: &str,
) -> (String, String) {
    let Some(key) = key else {
        return (title.to_owned(), body.to_owned());
    };
    let args: Vec<(String, String)> = args
        .and_then(|a| serde_json::from_str::<Map<String, Value>>(a).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|(n, v)| (n, Arg::from_json(v).render(locale)))
        .collect();
    render_key(locale, key, &args)
}

fn render_key<S: AsRef<str>>(locale: Locale, key: &str, args: &[(S, String)]) -> (String, String) {
    let args: Vec<(&str, &str)> = args.iter().map(|(n, v)| (n.as_ref(), v.as_str())).collect();
    (
        fill(locale, &format!("{key}.title"), &args),
        fill(locale, &format!("{key}.body"), &args),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyed_message_is_rendered_again_from_what_is_stored() {
        crate::i18n::extend(
            "t.msg.title = Hồ sơ {receipt}\nt.msg.body = Hẹn trả: {due}",
            "t.msg.title = Dossier {receipt}\nt.msg.body = Due: {due}",
        );
        let text = Text::key("t.msg")
            .arg("receipt", "HS-17071-1")
            .arg("due", "05/12/2026");
        let (key, args) = text.stored();
        let en = localized(Locale::En, key.as_deref(), args.as_deref(), "x", "y");
        assert_eq!(en, ("Dossier HS-17071-1".into(), "Due: 05/12/2026".into()));
        assert_eq!(text.render(Locale::En), en);
        assert_eq!(
            text.render(Locale::Vi),
            ("Hồ sơ HS-17071-1".into(), "Hẹn trả: 05/12/2026".into())
        );
    }

    #[test]
    fn a_keyed_argument_is_rendered_in_the_readers_language() {
        crate::i18n::extend(
            "t.st.title = Hồ sơ {receipt}: {status}\nt.st.body = {status}\nt.st.done = Đã trả kết quả",
            "t.st.title = Dossier {receipt}: {status}\nt.st.body = {status}\nt.st.done = Result returned",
        );
        let text = Text::key("t.st")
            .arg("receipt", "HS-2")
            .arg_key("status", "t.st.done");
        let (key, args) = text.stored();
        assert_eq!(
            localized(Locale::En, key.as_deref(), args.as_deref(), "", "").0,
            "Dossier HS-2: Result returned"
        );
        assert_eq!(text.render(Locale::Vi).0, "Hồ sơ HS-2: Đã trả kết quả");
    }

    #[test]
    fn written_words_stay_as_written() {
        let text = Text::written("Mất điện", "Thôn 3, 8 giờ");
        assert_eq!(text.stored(), (None, None));
        assert_eq!(
            localized(Locale::En, None, None, "Mất điện", "Thôn 3, 8 giờ"),
            ("Mất điện".into(), "Thôn 3, 8 giờ".into())
        );
    }
}
