//! The baseline survey's questions (guideline §4.1 step 1: the eligibility conditions of §2 and
//! the Appendix I indicators) and the rules that read an answer sheet: pure functions,
//! unit-tested without a database. A household sheet becomes dated household attributes
//! (`Facts`); an official's sheet becomes their readiness (5.2).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::Refusal;
use crate::model::{Facts, Internet};

/// Who a campaign asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Household,
    Official,
    Business,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Household, Kind::Official, Kind::Business];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Household => "household",
            Kind::Official => "official",
            Kind::Business => "business",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn questions(self) -> &'static [Question] {
        match self {
            Kind::Household => HOUSEHOLD,
            Kind::Official => OFFICIAL,
            Kind::Business => BUSINESS,
        }
    }
}

/// How a question is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    YesNo,
    /// A whole number from 0 to the bound.
    Count(i64),
    /// One of these.
    Choice(&'static [&'static str]),
    /// Any of these.
    Multi(&'static [&'static str]),
}

/// One question; its text is `sv.q.<key>` (choices `sv.q.<key>.<value>`) in the catalogues.
#[derive(Debug, Clone, Copy)]
pub struct Question {
    pub key: &'static str,
    pub input: Input,
    pub required: bool,
    /// The Appendix I indicator or §2 condition it informs (shown beside the question).
    pub informs: &'static str,
}

const fn q(key: &'static str, input: Input, required: bool, informs: &'static str) -> Question {
    Question {
        key,
        input,
        required,
        informs,
    }
}

const YES: Input = Input::YesNo;

pub const HOUSEHOLD: &[Question] = &[
    q(
        "internet",
        Input::Choice(&["fibre", "mobile", "none"]),
        true,
        "4.1",
    ),
    q("smartphones", Input::Count(30), true, "5.1"),
    q("computer", YES, false, "5.1"),
    q("working_age", Input::Count(30), false, "§2"),
    q("working_age_smartphone", Input::Count(30), false, "§2"),
    q("online_payment", YES, false, "8.1"),
    q("ecommerce", YES, false, "7.2"),
    q("health_app", YES, false, "9.1"),
    q("clean_energy", YES, false, "15.1"),
    q("waste_sorting", YES, false, "16.1"),
    q("wastewater_treated", YES, false, "16.2"),
    q(
        "needs",
        Input::Multi(&[
            "skills",
            "sell_online",
            "pay_online",
            "services_online",
            "telehealth",
        ]),
        false,
        "§4.1",
    ),
];

pub const OFFICIAL: &[Question] = &[
    q("smartphone", YES, true, "5.2"),
    q("official_email", YES, true, "§2"),
    q("e_office", YES, true, "§2"),
    q("digital_signature", YES, false, "1.1"),
    q("trained", YES, false, "12.1"),
    q(
        "needs",
        Input::Multi(&["skills", "equipment", "connection"]),
        false,
        "§4.1",
    ),
];

pub const BUSINESS: &[Question] = &[
    q("registered", YES, true, "8.2"),
    q(
        "sector",
        Input::Choice(&["agriculture", "craft", "trade", "tourism", "services"]),
        true,
        "§4.1",
    ),
    q("online_payment", YES, true, "8.2"),
    q("social_selling", YES, false, "7.2"),
    q("marketplace", YES, false, "7.2"),
    q("traceability", YES, false, "7.1"),
    q("ocop", YES, false, "13.1"),
    q(
        "needs",
        Input::Multi(&["skills", "sell_online", "pay_online", "packaging"]),
        false,
        "§4.1",
    ),
];

/// A checked answer sheet: question key → `true`/`false`, a number, a choice, or a list.
pub type Answers = BTreeMap<String, Value>;

/// What went wrong with a sheet, and on which question.
pub type Fault = (Refusal, &'static str);

/// Reads a sheet given as words (a form: `yes`/`no`, digits, choices; a list repeats its key).
/// Blank answers count as not asked; unknown keys are refused (a sheet of another kind of
/// campaign, or a typo in an API client).
pub fn read(kind: Kind, given: &[(String, String)]) -> Result<Answers, Fault> {
    let mut words: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in given {
        let v = v.trim();
        if !v.is_empty() {
            words.entry(k.as_str()).or_default().push(v);
        }
    }
    for k in words.keys() {
        if !kind.questions().iter().any(|q| q.key == *k) {
            return Err((Refusal::SurveyQuestionUnknown, "answers"));
        }
    }
    let mut out = Answers::new();
    for q in kind.questions() {
        let given = words.remove(q.key).unwrap_or_default();
        let bad = || (Refusal::SurveyAnswerInvalid, q.key);
        let value = match (q.input, given.as_slice()) {
            (_, []) if q.required => {
                return Err((Refusal::SurveyAnswerMissing, q.key));
            }
            (_, []) => continue,
            (Input::Multi(options), many) => {
                let mut picked: Vec<&str> = vec![];
                for v in many {
                    if !options.contains(v) {
                        return Err(bad());
                    }
                    if !picked.contains(v) {
                        picked.push(v);
                    }
                }
                Value::from(picked)
            }
            (_, [_, _, ..]) => return Err(bad()),
            (Input::YesNo, [v]) => match *v {
                "yes" | "true" => Value::Bool(true),
                "no" | "false" => Value::Bool(false),
                _ => return Err(bad()),
            },
            (Input::Count(max), [v]) => match v.parse::<i64>() {
                Ok(n) if (0..=max).contains(&n) => Value::from(n),
                _ => return Err(bad()),
            },
            (Input::Choice(options), [v]) if options.contains(v) => Value::from(*v),
            (Input::Choice(_), [_]) => return Err(bad()),
        };
        out.insert(q.key.to_owned(), value);
    }
    // Cross-question rules.
    if let (Some(all), Some(with)) = (
        count(&out, "working_age"),
        count(&out, "working_age_smartphone"),
    ) && with > all
    {
        return Err((Refusal::SurveyAnswerInvalid, "working_age_smartphone"));
    }
    Ok(out)
}

/// Reads a sheet sent as JSON by the same rules, each answer of its question's type: `true`
/// or `false`, a number, a choice's string, a list of choices.
pub fn read_json(kind: Kind, given: &serde_json::Map<String, Value>) -> Result<Answers, Fault> {
    let mut words = vec![];
    for (k, v) in given {
        let Some(q) = kind.questions().iter().find(|q| q.key == k) else {
            return Err((Refusal::SurveyQuestionUnknown, "answers"));
        };
        let bad = || (Refusal::SurveyAnswerInvalid, q.key);
        match (q.input, v) {
            (_, Value::Null) => {}
            (Input::YesNo, Value::Bool(b)) => {
                words.push((k.clone(), if *b { "yes" } else { "no" }.to_owned()))
            }
            (Input::Count(_), Value::Number(n)) => words.push((k.clone(), n.to_string())),
            (Input::Choice(_), Value::String(s)) => words.push((k.clone(), s.clone())),
            (Input::Multi(_), Value::Array(items)) => {
                for i in items {
                    let s = i.as_str().ok_or_else(bad)?;
                    words.push((k.clone(), s.to_owned()));
                }
            }
            _ => return Err(bad()),
        }
    }
    read(kind, &words)
}

fn count(a: &Answers, key: &str) -> Option<i64> {
    a.get(key).and_then(Value::as_i64)
}

fn yes(a: &Answers, key: &str) -> Option<bool> {
    a.get(key).and_then(Value::as_bool)
}

/// The household attributes a household sheet observes.
pub fn facts(a: &Answers) -> Facts {
    let mut f = Facts {
        internet: a
            .get("internet")
            .and_then(Value::as_str)
            .and_then(Internet::parse),
        smartphones: count(a, "smartphones").map(|n| n as i32),
        ..Facts::default()
    };
    for k in crate::model::YES_NO {
        if let Some(v) = yes(a, k) {
            f.set_yes_no(k, v);
        }
    }
    f
}

/// An official's readiness as their sheet says (5.2, and §2's condition that every official
/// uses a smartphone, official email and the e-office).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Readiness {
    pub smartphone: bool,
    pub official_email: bool,
    pub e_office: bool,
}

impl Readiness {
    pub fn of(a: &Answers) -> Readiness {
        Readiness {
            smartphone: yes(a, "smartphone").unwrap_or(false),
            official_email: yes(a, "official_email").unwrap_or(false),
            e_office: yes(a, "e_office").unwrap_or(false),
        }
    }
    /// All three: what §2 asks of every official.
    pub fn ready(self) -> bool {
        self.smartphone && self.official_email && self.e_office
    }
}

/// How the answers to one question came out over a campaign's sheets: per value, the sheets
/// that gave it; `asked` the sheets that answered the question at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub asked: i64,
    pub counts: BTreeMap<String, i64>,
    /// For counts: the sum of the numbers given.
    pub sum: i64,
}

/// Tallies sheets question by question.
pub fn tally<'a>(kind: Kind, sheets: impl Iterator<Item = &'a Answers>) -> Vec<(Question, Tally)> {
    let mut out: Vec<(Question, Tally)> = kind
        .questions()
        .iter()
        .map(|q| (*q, Tally::default()))
        .collect();
    for a in sheets {
        for (q, t) in out.iter_mut() {
            let Some(v) = a.get(q.key) else { continue };
            t.asked += 1;
            match v {
                Value::Bool(b) => {
                    *t.counts
                        .entry(if *b { "yes" } else { "no" }.into())
                        .or_default() += 1
                }
                Value::Number(n) => t.sum += n.as_i64().unwrap_or(0),
                Value::String(s) => *t.counts.entry(s.clone()).or_default() += 1,
                Value::Array(items) => {
                    for i in items.iter().filter_map(Value::as_str) {
                        *t.counts.entry(i.to_owned()).or_default() += 1;
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_household_sheet_becomes_facts() {
        let a = read(
            Kind::Household,
            &w(&[
                ("internet", "fibre"),
                ("smartphones", "2"),
                ("computer", "no"),
                ("waste_sorting", "yes"),
                ("needs", "skills"),
                ("needs", "pay_online"),
                ("needs", "skills"),
                ("health_app", " "),
            ]),
        )
        .unwrap();
        assert_eq!(a["needs"], serde_json::json!(["skills", "pay_online"]));
        assert!(!a.contains_key("health_app"), "blank is not asked");
        let f = facts(&a);
        assert_eq!(f.internet, Some(Internet::Fibre));
        assert_eq!(f.smartphones, Some(2));
        assert_eq!(f.computer, Some(false));
        assert_eq!(f.waste_sorting, Some(true));
        assert_eq!(f.health_app, None);
    }

    #[test]
    fn bad_sheets_say_which_question() {
        let fault = |pairs: &[(&str, &str)]| read(Kind::Household, &w(pairs)).unwrap_err();
        assert_eq!(
            fault(&[("smartphones", "1")]),
            (Refusal::SurveyAnswerMissing, "internet")
        );
        assert_eq!(
            fault(&[("internet", "adsl"), ("smartphones", "1")]),
            (Refusal::SurveyAnswerInvalid, "internet")
        );
        assert_eq!(
            fault(&[("internet", "none"), ("smartphones", "-1")]),
            (Refusal::SurveyAnswerInvalid, "smartphones")
        );
        assert_eq!(
            fault(&[("internet", "none"), ("smartphones", "31")]),
            (Refusal::SurveyAnswerInvalid, "smartphones")
        );
        assert_eq!(
            fault(&[
                ("internet", "none"),
                ("smartphones", "1"),
                ("computer", "maybe")
            ]),
            (Refusal::SurveyAnswerInvalid, "computer")
        );
        assert_eq!(
            fault(&[
                ("internet", "none"),
                ("smartphones", "1"),
                ("e_office", "yes")
            ]),
            (Refusal::SurveyQuestionUnknown, "answers")
        );
        assert_eq!(
            fault(&[
                ("internet", "none"),
                ("smartphones", "1"),
                ("working_age", "2"),
                ("working_age_smartphone", "3")
            ]),
            (Refusal::SurveyAnswerInvalid, "working_age_smartphone")
        );
        assert_eq!(
            fault(&[
                ("internet", "none"),
                ("internet", "fibre"),
                ("smartphones", "1")
            ]),
            (Refusal::SurveyAnswerInvalid, "internet")
        );
    }

    #[test]
    fn json_sheets_follow_the_same_rules() {
        let j = |v: serde_json::Value| read_json(Kind::Official, v.as_object().unwrap());
        let a = j(serde_json::json!({"smartphone": true, "official_email": true, "e_office": false, "needs": ["skills"]}))
            .unwrap();
        let r = Readiness::of(&a);
        assert!(r.smartphone && r.official_email && !r.e_office && !r.ready());
        assert_eq!(
            j(serde_json::json!({"smartphone": "yes", "official_email": true, "e_office": true}))
                .unwrap_err()
                .1,
            "smartphone"
        );
        assert_eq!(
            j(serde_json::json!({"smartphone": [true], "official_email": true, "e_office": true}))
                .unwrap_err()
                .1,
            "smartphone"
        );
        assert_eq!(
            j(serde_json::json!({"smartphone": true, "official_email": true})).unwrap_err(),
            (Refusal::SurveyAnswerMissing, "e_office")
        );
    }

    #[test]
    fn tallies_count_each_answer() {
        let sheets: Vec<Answers> = [("fibre", "yes"), ("mobile", "no"), ("fibre", "")]
            .iter()
            .map(|(i, c)| {
                read(
                    Kind::Household,
                    &w(&[("internet", i), ("smartphones", "2"), ("computer", c)]),
                )
                .unwrap()
            })
            .collect();
        let t = tally(Kind::Household, sheets.iter());
        let internet = &t.iter().find(|(q, _)| q.key == "internet").unwrap().1;
        assert_eq!(internet.asked, 3);
        assert_eq!(internet.counts["fibre"], 2);
        let computer = &t.iter().find(|(q, _)| q.key == "computer").unwrap().1;
        assert_eq!((computer.asked, computer.counts["yes"]), (2, 1));
        let phones = &t.iter().find(|(q, _)| q.key == "smartphones").unwrap().1;
        assert_eq!(phones.sum, 6);
    }

    #[test]
    fn every_kind_round_trips() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Kind::parse("village"), None);
    }
}
