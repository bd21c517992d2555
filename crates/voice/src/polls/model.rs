//! The rules of polls and surveys: what a well-formed poll is, who may answer, and what a
//! valid answer is. Pure: no database, unit-tested on its own.

use chrono::{DateTime, Utc};
use kernel::accounts::Role;
use serde::{Deserialize, Serialize};

/// Officials who build polls and read free-text answers.
pub const BUILDERS: &[Role] = &[Role::Official, Role::Leader, Role::CommuneAdmin];

/// The kinds of question a poll can ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Single,
    Multiple,
    /// A scale from 1 to `scale` (5 by default).
    Rating,
    Text,
}

impl QuestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Single => "single",
            QuestionKind::Multiple => "multiple",
            QuestionKind::Rating => "rating",
            QuestionKind::Text => "text",
        }
    }

    pub fn parse(s: &str) -> Option<QuestionKind> {
        [
            QuestionKind::Single,
            QuestionKind::Multiple,
            QuestionKind::Rating,
            QuestionKind::Text,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    pub fn has_options(self) -> bool {
        matches!(self, QuestionKind::Single | QuestionKind::Multiple)
    }
}

/// A question as an official writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuestionDraft {
    pub kind: QuestionKind,
    pub text: String,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
    /// Top of a rating scale (2–10); 5 when absent.
    #[serde(default)]
    pub scale: Option<i32>,
}

pub const TITLE_MAX: usize = 200;
pub const QUESTIONS_MAX: usize = 50;
pub const OPTIONS_MAX: usize = 20;
pub const TEXT_ANSWER_MAX: usize = 2000;

pub type Invalid = (&'static str, &'static str);

/// Checks a poll before it is saved. `now` guards against closing dates in the past.
pub fn check_poll(
    title: &str,
    questions: &[QuestionDraft],
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Invalid> {
    let t = title.trim().chars().count();
    if !(3..=TITLE_MAX).contains(&t) {
        return Err(("poll_title_invalid", "title"));
    }
    if questions.is_empty() || questions.len() > QUESTIONS_MAX {
        return Err(("poll_questions_invalid", "questions"));
    }
    for q in questions {
        let n = q.text.trim().chars().count();
        if n == 0 || n > 500 {
            return Err(("question_text_invalid", "questions"));
        }
        if q.kind.has_options() {
            let opts: Vec<&str> = q
                .options
                .iter()
                .map(|o| o.trim())
                .filter(|o| !o.is_empty())
                .collect();
            if opts.len() < 2 || opts.len() > OPTIONS_MAX || opts.len() != q.options.len() {
                return Err(("question_options_invalid", "questions"));
            }
        }
        if q.kind == QuestionKind::Rating && !(2..=10).contains(&q.scale.unwrap_or(5)) {
            return Err(("question_scale_invalid", "questions"));
        }
    }
    if closes_at <= opens_at {
        return Err(("poll_dates_invalid", "closes_at"));
    }
    if closes_at <= now {
        return Err(("poll_closes_in_past", "closes_at"));
    }
    Ok(())
}

/// Where a poll stands in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    NotYetOpen,
    Open,
    Closed,
}

pub fn phase(opens_at: DateTime<Utc>, closes_at: DateTime<Utc>, now: DateTime<Utc>) -> Phase {
    if now < opens_at {
        Phase::NotYetOpen
    } else if now >= closes_at {
        Phase::Closed
    } else {
        Phase::Open
    }
}

/// A registered resident of the commune is in the audience when the poll is for the whole
/// commune or for their village.
pub fn in_audience(
    audience: &[i64],
    user_commune: Option<&str>,
    commune: &str,
    village: Option<i64>,
) -> bool {
    user_commune == Some(commune)
        && (audience.is_empty() || village.is_some_and(|v| audience.contains(&v)))
}

/// One answer to one question, as submitted.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnswerInput {
    /// Chosen option indexes (0-based): one for `single`, any for `multiple`.
    #[serde(default)]
    pub choices: Vec<usize>,
    #[serde(default)]
    pub rating: Option<i32>,
    #[serde(default)]
    pub text: Option<String>,
}

impl AnswerInput {
    pub fn is_empty(&self) -> bool {
        self.choices.is_empty()
            && self.rating.is_none()
            && self.text.as_deref().is_none_or(|t| t.trim().is_empty())
    }
}

/// Checks every answer against its question; required questions must be answered.
pub fn check_answers(questions: &[QuestionDraft], answers: &[AnswerInput]) -> Result<(), Invalid> {
    if answers.len() != questions.len() {
        return Err(("answers_invalid", "answers"));
    }
    for (q, a) in questions.iter().zip(answers) {
        if a.is_empty() {
            if q.required {
                return Err(("answer_required", "answers"));
            }
            continue;
        }
        let ok = match q.kind {
            QuestionKind::Single => {
                a.choices.len() == 1 && a.choices[0] < q.options.len() && a.rating.is_none()
            }
            QuestionKind::Multiple => {
                let mut seen = a.choices.clone();
                seen.sort_unstable();
                seen.dedup();
                seen.len() == a.choices.len() && a.choices.iter().all(|c| *c < q.options.len())
            }
            QuestionKind::Rating => a
                .rating
                .is_some_and(|r| (1..=q.scale.unwrap_or(5)).contains(&r)),
            QuestionKind::Text => a
                .text
                .as_deref()
                .is_some_and(|t| t.trim().chars().count() <= TEXT_ANSWER_MAX),
        };
        if !ok {
            return Err(("answer_invalid", "answers"));
        }
    }
    Ok(())
}

/// The residents' satisfaction survey on new-rural results (seed 001, item (iv); Appendix I
/// 1.2): the built-in template officials start from.
pub fn satisfaction_template() -> (String, String, Vec<QuestionDraft>) {
    let level = |text: &str| QuestionDraft {
        kind: QuestionKind::Single,
        text: text.into(),
        options: vec![
            "Rất hài lòng".into(),
            "Hài lòng".into(),
            "Chưa hài lòng".into(),
            "Không có ý kiến".into(),
        ],
        required: true,
        scale: None,
    };
    (
        "Lấy ý kiến sự hài lòng của người dân về kết quả xây dựng nông thôn mới".into(),
        "Ý kiến của bà con giúp xã đánh giá đúng kết quả xây dựng nông thôn mới và chọn việc cần làm tiếp. Phiếu không ghi tên; mỗi người trả lời một lần.".into(),
        vec![
            QuestionDraft {
                kind: QuestionKind::Rating,
                text: "Nhìn chung, ông/bà hài lòng ở mức nào với kết quả xây dựng nông thôn mới của xã? (1 = rất không hài lòng, 5 = rất hài lòng)".into(),
                options: vec![],
                required: true,
                scale: Some(5),
            },
            level("Đường giao thông nông thôn, cầu cống"),
            level("Điện, nước sạch sinh hoạt"),
            level("Trường học, trạm y tế, nhà văn hóa"),
            level("Môi trường, cảnh quan, thu gom rác thải"),
            level("An ninh, trật tự xã hội"),
            level("Thu nhập, việc làm và hỗ trợ sản xuất"),
            level("Dịch vụ công trực tuyến và thái độ phục vụ của cán bộ xã"),
            QuestionDraft {
                kind: QuestionKind::Multiple,
                text: "Những lĩnh vực xã cần ưu tiên cải thiện trong thời gian tới".into(),
                options: vec![
                    "Giao thông".into(),
                    "Nước sạch".into(),
                    "Môi trường".into(),
                    "Y tế".into(),
                    "Giáo dục".into(),
                    "Việc làm, thu nhập".into(),
                    "Chuyển đổi số".into(),
                ],
                required: false,
                scale: None,
            },
            QuestionDraft {
                kind: QuestionKind::Text,
                text: "Ý kiến, kiến nghị khác của ông/bà".into(),
                options: vec![],
                required: false,
                scale: None,
            },
        ],
    )
}

// ---- the officials' plain-text question editor ----
//
// One question per block, so a poll can be written (or pasted from Word) without any script:
//   * [một] Ông/bà có đồng ý …?      ← `*` marks a required question
//   - Có
//   - Không
//   [nhiều] Lĩnh vực cần ưu tiên     ← then its options, one per line
//   [thang 5] Mức độ hài lòng
//   [ý kiến] Ý kiến khác

fn kind_tag(q: &QuestionDraft) -> String {
    match q.kind {
        QuestionKind::Single => "[một]".into(),
        QuestionKind::Multiple => "[nhiều]".into(),
        QuestionKind::Rating => format!("[thang {}]", q.scale.unwrap_or(5)),
        QuestionKind::Text => "[ý kiến]".into(),
    }
}

/// Writes questions in the editor's format.
pub fn questions_to_text(questions: &[QuestionDraft]) -> String {
    let mut out = String::new();
    for q in questions {
        if q.required {
            out.push_str("* ");
        }
        out.push_str(&format!("{} {}\n", kind_tag(q), q.text));
        for o in &q.options {
            out.push_str(&format!("- {o}\n"));
        }
    }
    out
}

/// Reads the editor's format; a line that fits nowhere is an error, not silently dropped.
pub fn questions_from_text(text: &str) -> Result<Vec<QuestionDraft>, Invalid> {
    let mut out: Vec<QuestionDraft> = vec![];
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(opt) = line.strip_prefix('-') {
            let q = out.last_mut().ok_or(("questions_format", "questions"))?;
            if !q.kind.has_options() {
                return Err(("questions_format", "questions"));
            }
            q.options.push(opt.trim().to_owned());
            continue;
        }
        let (required, rest) = match line.strip_prefix('*') {
            Some(r) => (true, r.trim_start()),
            None => (false, line),
        };
        let rest = rest
            .strip_prefix('[')
            .ok_or(("questions_format", "questions"))?;
        let (tag, question) = rest
            .split_once(']')
            .ok_or(("questions_format", "questions"))?;
        let tag = kernel::text::fold_vi(tag);
        let (kind, scale) = match tag.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["mot"] => (QuestionKind::Single, None),
            ["nhieu"] => (QuestionKind::Multiple, None),
            ["thang"] => (QuestionKind::Rating, Some(5)),
            ["thang", n] => (
                QuestionKind::Rating,
                Some(n.parse().map_err(|_| ("questions_format", "questions"))?),
            ),
            ["y", "kien"] => (QuestionKind::Text, None),
            _ => return Err(("questions_format", "questions")),
        };
        out.push(QuestionDraft {
            kind,
            text: question.trim().to_owned(),
            options: vec![],
            required,
            scale,
        });
    }
    Ok(out)
}

/// Fewest answers a breakdown cell may show: polls promise anonymous answers, and a village
/// with one respondent would otherwise show that person's answer.
pub const MIN_SHOWN: u64 = 5;

/// What the public (and the officials' export) may see of one question's answers by village:
/// `groups` maps a village name to (people who answered the question there, count per option).
/// Villages with fewer than [`MIN_SHOWN`] people are pooled under `pooled`; when that pool is
/// itself smaller than [`MIN_SHOWN`], the smallest shown villages join it (so the commune's
/// totals minus the shown rows never single out a few people), and a pool that still has fewer
/// is left out. Every cell under [`MIN_SHOWN`] is `None` ("fewer than 5").
pub fn safe_breakdown(
    groups: &std::collections::BTreeMap<String, (u64, Vec<u64>)>,
    pooled: &str,
) -> std::collections::BTreeMap<String, Vec<Option<u64>>> {
    let width = groups.values().map(|(_, c)| c.len()).max().unwrap_or(0);
    let mut shown: Vec<(&String, &(u64, Vec<u64>))> = vec![];
    let mut pool = (0u64, vec![0u64; width]);
    let add = |pool: &mut (u64, Vec<u64>), (n, counts): &(u64, Vec<u64>)| {
        pool.0 += n;
        for (i, c) in counts.iter().enumerate() {
            pool.1[i] += c;
        }
    };
    for (name, g) in groups {
        if g.0 >= MIN_SHOWN {
            shown.push((name, g));
        } else {
            add(&mut pool, g);
        }
    }
    shown.sort_by_key(|(_, g)| std::cmp::Reverse(g.0));
    while pool.0 > 0 && pool.0 < MIN_SHOWN {
        let Some((_, g)) = shown.pop() else { break };
        add(&mut pool, g);
    }
    let cells = |counts: &[u64]| -> Vec<Option<u64>> {
        counts
            .iter()
            .map(|c| (*c >= MIN_SHOWN).then_some(*c))
            .collect()
    };
    let mut out: std::collections::BTreeMap<String, Vec<Option<u64>>> = shown
        .into_iter()
        .map(|(name, (_, counts))| (name.clone(), cells(counts)))
        .collect();
    if pool.0 >= MIN_SHOWN {
        out.insert(pooled.to_owned(), cells(&pool.1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn q(kind: QuestionKind, options: &[&str], required: bool) -> QuestionDraft {
        QuestionDraft {
            kind,
            text: "Câu hỏi".into(),
            options: options.iter().map(|s| s.to_string()).collect(),
            required,
            scale: None,
        }
    }

    #[test]
    fn a_poll_needs_a_title_questions_options_and_dates_that_make_sense() {
        let now = Utc::now();
        let later = now + Duration::days(7);
        let ok = vec![q(QuestionKind::Single, &["Có", "Không"], true)];
        assert!(check_poll("Họp thôn", &ok, now, later, now).is_ok());
        assert_eq!(
            check_poll("H", &ok, now, later, now),
            Err(("poll_title_invalid", "title"))
        );
        assert!(check_poll("Họp thôn", &[], now, later, now).is_err());
        assert!(
            check_poll(
                "Họp thôn",
                &[q(QuestionKind::Single, &["Có"], true)],
                now,
                later,
                now
            )
            .is_err()
        );
        assert!(
            check_poll(
                "Họp thôn",
                &[q(QuestionKind::Multiple, &["Có", " "], true)],
                now,
                later,
                now
            )
            .is_err()
        );
        assert_eq!(
            check_poll("Họp thôn", &ok, later, now, now),
            Err(("poll_dates_invalid", "closes_at"))
        );
        assert_eq!(
            check_poll(
                "Họp thôn",
                &ok,
                now - Duration::days(9),
                now - Duration::days(1),
                now
            ),
            Err(("poll_closes_in_past", "closes_at"))
        );
        let (title, _, template) = satisfaction_template();
        assert!(check_poll(&title, &template, now, later, now).is_ok());
    }

    #[test]
    fn answers_match_their_questions() {
        let qs = vec![
            q(QuestionKind::Single, &["A", "B"], true),
            q(QuestionKind::Multiple, &["A", "B", "C"], false),
            QuestionDraft {
                scale: Some(5),
                ..q(QuestionKind::Rating, &[], true)
            },
            q(QuestionKind::Text, &[], false),
        ];
        let good = vec![
            AnswerInput {
                choices: vec![1],
                ..Default::default()
            },
            AnswerInput {
                choices: vec![0, 2],
                ..Default::default()
            },
            AnswerInput {
                rating: Some(4),
                ..Default::default()
            },
            AnswerInput::default(),
        ];
        assert!(check_answers(&qs, &good).is_ok());
        let mut bad = good.clone();
        bad[0].choices = vec![0, 1];
        assert_eq!(check_answers(&qs, &bad), Err(("answer_invalid", "answers")));
        let mut bad = good.clone();
        bad[1].choices = vec![2, 2];
        assert!(check_answers(&qs, &bad).is_err());
        let mut bad = good.clone();
        bad[2].rating = Some(6);
        assert!(check_answers(&qs, &bad).is_err());
        let mut bad = good.clone();
        bad[0] = AnswerInput::default();
        assert_eq!(
            check_answers(&qs, &bad),
            Err(("answer_required", "answers"))
        );
        assert!(check_answers(&qs, &good[..3]).is_err());
    }

    #[test]
    fn the_text_editor_round_trips_and_refuses_stray_lines() {
        let (_, _, template) = satisfaction_template();
        let text = questions_to_text(&template);
        assert_eq!(questions_from_text(&text).unwrap(), template);
        let parsed =
            questions_from_text("* [Một] Có họp không?\n- Có\n- Không\n[thang 7] Điểm\n").unwrap();
        assert_eq!(parsed.len(), 2);
        assert!(parsed[0].required && parsed[0].options == ["Có", "Không"]);
        assert_eq!(parsed[1].scale, Some(7));
        assert!(questions_from_text("- mồ côi").is_err());
        assert!(questions_from_text("[ý kiến] A\n- B").is_err());
        assert!(questions_from_text("Câu hỏi không có loại").is_err());
    }

    #[test]
    fn phases_and_audience() {
        let now = Utc::now();
        let (a, b) = (now - Duration::hours(1), now + Duration::hours(1));
        assert_eq!(phase(a, b, now), Phase::Open);
        assert_eq!(phase(b, b + Duration::hours(1), now), Phase::NotYetOpen);
        assert_eq!(phase(a - Duration::hours(2), a, now), Phase::Closed);
        assert!(in_audience(&[], Some("17071"), "17071", None));
        assert!(!in_audience(&[], Some("02269"), "17071", None));
        assert!(in_audience(&[3], Some("17071"), "17071", Some(3)));
        assert!(!in_audience(&[3], Some("17071"), "17071", Some(4)));
        assert!(!in_audience(&[3], Some("17071"), "17071", None));
    }
    #[test]
    fn a_breakdown_never_shows_fewer_than_five_answers() {
        use std::collections::BTreeMap;
        let g = |v: &[(&str, u64, &[u64])]| -> BTreeMap<String, (u64, Vec<u64>)> {
            v.iter()
                .map(|(n, k, c)| (n.to_string(), (*k, c.to_vec())))
                .collect()
        };
        // One lonely respondent: no row at all.
        assert!(safe_breakdown(&g(&[("Thôn 1", 1, &[1, 0])]), "Khác").is_empty());
        // A big village is shown, small cells hidden; the two small villages pool to 5.
        let out = safe_breakdown(
            &g(&[
                ("Thôn 1", 12, &[9, 3]),
                ("Thôn 2", 2, &[2, 0]),
                ("Thôn 3", 3, &[0, 3]),
            ]),
            "Khác",
        );
        assert_eq!(out["Thôn 1"], vec![Some(9), None]);
        assert_eq!(out["Khác"], vec![None, None]);
        assert_eq!(out.len(), 2);
        // A pool of one person takes the smallest shown village with it.
        let out = safe_breakdown(
            &g(&[
                ("Thôn 1", 20, &[15, 5]),
                ("Thôn 2", 6, &[6, 0]),
                ("Thôn 3", 1, &[1, 0]),
            ]),
            "Khác",
        );
        assert_eq!(out.keys().collect::<Vec<_>>(), ["Khác", "Thôn 1"]);
        assert_eq!(out["Khác"], vec![Some(7), None]);
    }
}
