//! Every query of polls: storing one with its questions, listing, storing one person's
//! answers, and counting the results. The use cases are in `super::actions`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kernel::accounts::CurrentUser;
use kernel::error::AppResult;
use kernel::tenancy::CommuneInfo;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use super::entity::{answer, poll, question, response};
use super::model::{self, AnswerInput, Phase, QuestionDraft, QuestionKind};
use crate::error::{ActionResult, Refusal};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PollInput {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Village ids of the commune; empty for everyone.
    #[serde(default)]
    pub audience: Vec<i64>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub questions: Vec<QuestionDraft>,
}

/// A poll with its questions in order.
#[derive(Debug, Clone)]
pub struct Poll {
    pub poll: poll::Model,
    pub audience: Vec<i64>,
    pub questions: Vec<(i64, QuestionDraft)>,
}

impl Poll {
    pub fn phase(&self, now: DateTime<Utc>) -> Phase {
        model::phase(self.poll.opens_at, self.poll.closes_at, now)
    }

    pub fn drafts(&self) -> Vec<QuestionDraft> {
        self.questions.iter().map(|(_, q)| q.clone()).collect()
    }
}

/// Stores a checked poll with its questions (inside the caller's transaction).
pub async fn insert(
    db: &impl ConnectionTrait,
    c: &CommuneInfo,
    u: &CurrentUser,
    input: &PollInput,
    now: DateTime<Utc>,
) -> AppResult<poll::Model> {
    let p = poll::ActiveModel {
        commune_code: Set(c.code.clone()),
        title: Set(input.title.trim().into()),
        description: Set(input.description.trim().into()),
        audience: Set(serde_json::to_string(&input.audience).unwrap_or_else(|_| "[]".into())),
        opens_at: Set(input.opens_at),
        closes_at: Set(input.closes_at),
        created_by: Set(u.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for (i, q) in input.questions.iter().enumerate() {
        question::ActiveModel {
            commune_code: Set(p.commune_code.clone()),
            poll_id: Set(p.id),
            position: Set(i as i32),
            kind: Set(q.kind.as_str().into()),
            text: Set(q.text.trim().into()),
            options: Set(serde_json::to_string(&q.options).unwrap_or_else(|_| "[]".into())),
            required: Set(q.required),
            scale: Set(q.scale.unwrap_or(5)),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(p)
}

/// The generation kind of a commune's list of polls (`kernel::cache`).
pub const POLLS: &str = "polls";

pub async fn list(db: &impl ConnectionTrait, commune: &str) -> AppResult<Vec<poll::Model>> {
    Ok(poll::Entity::find()
        .filter(poll::Column::CommuneCode.eq(commune))
        .order_by_desc(poll::Column::OpensAt)
        .order_by_desc(poll::Column::Id)
        .all(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, commune: &str, id: i64) -> ActionResult<Poll> {
    let p = poll::Entity::find_by_id((commune.to_owned(), id))
        .one(db)
        .await?
        .ok_or(Refusal::PollUnknown)?;
    let questions = question::Entity::find()
        .filter(question::Column::CommuneCode.eq(&p.commune_code))
        .filter(question::Column::PollId.eq(p.id))
        .order_by_asc(question::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|q| {
            (
                q.id,
                QuestionDraft {
                    kind: QuestionKind::parse(&q.kind).unwrap_or(QuestionKind::Text),
                    text: q.text,
                    options: serde_json::from_str(&q.options).unwrap_or_default(),
                    required: q.required,
                    scale: Some(q.scale),
                },
            )
        })
        .collect();
    Ok(Poll {
        audience: serde_json::from_str(&p.audience).unwrap_or_default(),
        poll: p,
        questions,
    })
}

pub async fn has_answered(
    db: &impl ConnectionTrait,
    commune: &str,
    poll_id: i64,
    user_id: i64,
) -> AppResult<bool> {
    Ok(response::Entity::find()
        .filter(response::Column::CommuneCode.eq(commune))
        .filter(response::Column::PollId.eq(poll_id))
        .filter(response::Column::UserId.eq(user_id))
        .count(db)
        .await?
        > 0)
}

/// When this person answered the poll, if they did.
pub async fn answered_at(
    db: &impl ConnectionTrait,
    commune: &str,
    poll_id: i64,
    user_id: i64,
) -> AppResult<Option<DateTime<Utc>>> {
    Ok(response::Entity::find()
        .filter(response::Column::CommuneCode.eq(commune))
        .filter(response::Column::PollId.eq(poll_id))
        .filter(response::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .map(|r| r.created_at))
}

/// Stores one person's checked answers (inside the caller's transaction). The unique
/// (poll, user) index settles a double submission racing past the use case's check:
/// `poll_already_answered`.
pub async fn insert_answers(
    db: &impl ConnectionTrait,
    p: &Poll,
    u: &CurrentUser,
    answers: &[AnswerInput],
    now: DateTime<Utc>,
) -> ActionResult<()> {
    let r = response::ActiveModel {
        commune_code: Set(p.poll.commune_code.clone()),
        poll_id: Set(p.poll.id),
        user_id: Set(u.id),
        village_id: Set(u.village_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|_| Refusal::PollAlreadyAnswered)?;
    for ((qid, _), a) in p.questions.iter().zip(answers) {
        let row =
            |choice: Option<i32>, rating: Option<i32>, text: Option<String>| answer::ActiveModel {
                commune_code: Set(p.poll.commune_code.clone()),
                response_id: Set(r.id),
                poll_id: Set(p.poll.id),
                question_id: Set(*qid),
                choice: Set(choice),
                rating: Set(rating),
                text: Set(text),
                ..Default::default()
            };
        for ch in &a.choices {
            row(Some(*ch as i32), None, None).insert(db).await?;
        }
        if let Some(r) = a.rating {
            row(None, Some(r), None).insert(db).await?;
        }
        if let Some(t) = a.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            row(None, None, Some(t.to_owned())).insert(db).await?;
        }
    }
    Ok(())
}

/// Counts for one question.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct QuestionResult {
    pub text: String,
    pub kind: String,
    /// Options (or rating levels 1..scale) with their counts and shares of respondents.
    pub options: Vec<OptionCount>,
    /// People who answered this question.
    pub answered: u64,
    pub average: Option<f64>,
    /// Free-text answers (officials only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub texts: Vec<String>,
    /// Village name → counts per option, in the order of `options`; `null` where fewer than
    /// 5 people chose it. Villages where fewer than 5 people answered are pooled under
    /// "Các thôn khác (gộp)" (see `model::safe_breakdown`), so no answer can be traced to a person.
    pub by_village: BTreeMap<String, Vec<Option<u64>>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OptionCount {
    pub label: String,
    pub count: u64,
    /// Share of this question's respondents, 0–100.
    pub percent: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Results {
    pub respondents: u64,
    pub questions: Vec<QuestionResult>,
}

/// The row of the villages too small to show on their own.
pub const POOLED: &str = "Các thôn khác (gộp)";

/// Counts every answer of a poll, by question and by village.
pub async fn results(db: &impl ConnectionTrait, p: &Poll, with_texts: bool) -> AppResult<Results> {
    let sheets = response::Entity::find()
        .filter(response::Column::CommuneCode.eq(&p.poll.commune_code))
        .filter(response::Column::PollId.eq(p.poll.id))
        .all(db)
        .await?;
    let village_names: BTreeMap<i64, String> = kernel::tenancy::villages(db, &p.poll.commune_code)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let village_of: BTreeMap<i64, String> = sheets
        .iter()
        .map(|s| {
            let name = s
                .village_id
                .and_then(|v| village_names.get(&v).cloned())
                .unwrap_or_else(|| "Chưa rõ thôn".into());
            (s.id, name)
        })
        .collect();
    let answers = answer::Entity::find()
        .filter(answer::Column::PollId.eq(p.poll.id))
        .order_by_asc(answer::Column::Id)
        .all(db)
        .await?;
    let mut out = vec![];
    for (qid, q) in &p.questions {
        let labels: Vec<String> = match q.kind {
            QuestionKind::Rating => (1..=q.scale.unwrap_or(5)).map(|i| i.to_string()).collect(),
            QuestionKind::Text => vec![],
            _ => q.options.clone(),
        };
        let mut counts = vec![0u64; labels.len()];
        let mut by_village: BTreeMap<String, (std::collections::BTreeSet<i64>, Vec<u64>)> =
            BTreeMap::new();
        let mut people = std::collections::BTreeSet::new();
        let (mut sum, mut n) = (0i64, 0u64);
        let mut texts = vec![];
        for a in answers.iter().filter(|a| a.question_id == *qid) {
            people.insert(a.response_id);
            let slot = match (a.choice, a.rating) {
                (Some(c), _) => Some(c as usize),
                (_, Some(r)) => {
                    sum += r as i64;
                    n += 1;
                    Some((r - 1) as usize)
                }
                _ => None,
            };
            if let Some(i) = slot.filter(|i| *i < counts.len()) {
                counts[i] += 1;
                let v = village_of.get(&a.response_id).cloned().unwrap_or_default();
                let g = by_village
                    .entry(v)
                    .or_insert_with(|| (Default::default(), vec![0; labels.len()]));
                g.0.insert(a.response_id);
                g.1[i] += 1;
            }
            if let Some(t) = &a.text
                && with_texts
            {
                texts.push(t.clone());
            }
        }
        let answered = people.len() as u64;
        out.push(QuestionResult {
            text: q.text.clone(),
            kind: q.kind.as_str().into(),
            options: labels
                .into_iter()
                .zip(&counts)
                .map(|(label, c)| OptionCount {
                    label,
                    count: *c,
                    percent: if answered == 0 {
                        0.0
                    } else {
                        (*c as f64 * 1000.0 / answered as f64).round() / 10.0
                    },
                })
                .collect(),
            answered,
            average: (n > 0).then(|| (sum as f64 * 100.0 / n as f64).round() / 100.0),
            texts,
            by_village: super::model::safe_breakdown(
                &by_village
                    .into_iter()
                    .map(|(v, (people, counts))| (v, (people.len() as u64, counts)))
                    .collect(),
                POOLED,
            ),
        });
    }
    Ok(Results {
        respondents: sheets.len() as u64,
        questions: out,
    })
}
