//! The deployment's working-day calendar: public holidays by year, and the days the government
//! moves each year (extra days off, Saturdays made working days), set by the system admin.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use chrono::{Datelike, NaiveDate};
use kernel::error::{AppError, AppResult};
use kernel::web::AppState;
use kernel::web::api::ApiJson;
use kernel::web::csrf::CsrfForm;
use kernel::web::ctx::Ctx;
use kernel::web::shell::{Shell, render_for};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};

use crate::Services;
use crate::entity::holiday_override;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Holiday {
    /// YYYY-MM-DD
    pub date: String,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Override {
    pub date: String,
    /// true: an extra day off; false: a weekend day made a working day.
    pub day_off: bool,
    pub name: String,
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// Default: this year.
    pub year: Option<i32>,
}

fn year_of(q: &YearQuery) -> AppResult<i32> {
    let y = q.year.unwrap_or_else(|| crate::web::vn_today().year());
    if (1900..=2199).contains(&y) {
        Ok(y)
    } else {
        Err(AppError::invalid("period_invalid", "year"))
    }
}

async fn overrides(db: &impl ConnectionTrait, year: i32) -> AppResult<Vec<Override>> {
    let all = holiday_override::Entity::find().all(db).await?;
    let mut v: Vec<Override> = all
        .into_iter()
        .filter(|o| o.day.year() == year)
        .map(|o| Override {
            date: o.day.to_string(),
            day_off: o.day_off,
            name: o.name,
        })
        .collect();
    v.sort_by(|a, b| a.date.cmp(&b.date));
    Ok(v)
}

#[utoipa::path(get, path = "/api/v1/holidays", tag = "services", params(YearQuery),
    responses((status = 200, description = "Days off of the year (public holidays, compensation days, the government's extra days)", body = [Holiday]),
        (status = 422, description = "`period_invalid`: a year outside 1900–2199", body = kernel::error::ErrorBody)))]
pub async fn api_list(
    Extension(svc): Extension<Services>,
    kernel::web::api::ApiQuery(q): kernel::web::api::ApiQuery<YearQuery>,
) -> AppResult<Json<Vec<Holiday>>> {
    let year = year_of(&q)?;
    Ok(Json(
        svc.calendar()
            .holidays(year)
            .into_iter()
            .map(|(d, name)| Holiday {
                date: d.to_string(),
                name,
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct OverrideRequest {
    /// YYYY-MM-DD
    pub date: String,
    /// `day_off` or `working_day`; `remove` deletes the override of that date.
    pub kind: String,
    #[serde(default)]
    pub name: String,
}

/// Adds, changes or removes one override, then rebuilds the calendar. System admins only:
/// the calendar is national and every commune's due dates follow it.
pub async fn set_override(
    state: &AppState,
    svc: &Services,
    ctx: &Ctx,
    r: &OverrideRequest,
) -> AppResult<()> {
    let u = ctx.system_admin()?;
    let date = NaiveDate::parse_from_str(r.date.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("period_invalid", "date"))?;
    let name = r.name.trim();
    if name.chars().count() > 100 {
        return Err(AppError::invalid("text_too_long", "name"));
    }
    let txn = kernel::db::begin_write(&state.db).await?;
    holiday_override::Entity::delete_by_id(date)
        .exec(&txn)
        .await?;
    let summary = match r.kind.as_str() {
        "remove" => format!("{date}: bỏ điều chỉnh"),
        "day_off" | "working_day" => {
            let day_off = r.kind == "day_off";
            if day_off && name.is_empty() {
                return Err(AppError::invalid("name_required", "name"));
            }
            holiday_override::ActiveModel {
                day: Set(date),
                day_off: Set(day_off),
                name: Set(if name.is_empty() {
                    "Ngày làm việc bù".into()
                } else {
                    name.into()
                }),
            }
            .insert(&txn)
            .await?;
            format!(
                "{date}: {} {name}",
                if day_off { "nghỉ" } else { "làm việc" }
            )
        }
        _ => return Err(AppError::invalid("holiday_kind_invalid", "kind")),
    };
    // The calendar is national: recorded under the system admin's own commune, or VN-wide.
    let unit = u.commune_code.clone().unwrap_or_else(|| "VN".into());
    kernel::audit::record(
        &txn,
        kernel::audit::Entry {
            actor: u,
            role: kernel::accounts::Role::SystemAdmin,
            unit_code: &unit,
            action: "calendar.override",
            object_type: "date",
            object_id: date.to_string(),
            summary,
        },
    )
    .await?;
    txn.commit().await?;
    svc.reload_calendar(&state.db)
        .await
        .map_err(AppError::internal)?;
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/holidays", tag = "services", request_body = OverrideRequest, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = kernel::error::ErrorBody), (status = 422, body = kernel::error::ErrorBody)))]
pub async fn api_set(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    ApiJson(r): ApiJson<OverrideRequest>,
) -> AppResult<StatusCode> {
    set_override(&state, &svc, &ctx, &r).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Template)]
#[template(path = "svc_holidays.html")]
struct HolidaysPage {
    shell: Shell,
    year: i32,
    holidays: Vec<(String, String, String)>,
    overrides: Vec<Override>,
    error: Option<String>,
}

async fn holidays_page(
    state: &AppState,
    svc: &Services,
    ctx: &Ctx,
    year: i32,
    err: Option<&AppError>,
) -> AppResult<Response> {
    ctx.system_admin()?;
    let holidays = svc
        .calendar()
        .holidays(year)
        .into_iter()
        .map(|(d, n)| {
            (
                d.format("%d/%m/%Y").to_string(),
                ctx.tr()
                    .get(&format!("weekday.{}", d.weekday().num_days_from_monday()))
                    .to_owned(),
                n,
            )
        })
        .collect();
    let page = HolidaysPage {
        year,
        holidays,
        overrides: overrides(&state.db, year).await?,
        error: err.map(|e| e.message(ctx.locale).to_owned()),
        shell: Shell::new(state, ctx, None, ctx.tr().get("svc.holidays")).await,
    };
    Ok(render_for(err, &page))
}

pub async fn page(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> AppResult<Response> {
    let year = year_of(&q)?;
    holidays_page(&state, &svc, &ctx, year, None).await
}

#[derive(Deserialize)]
pub struct OverrideForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
}

pub async fn save(
    State(state): State<AppState>,
    Extension(svc): Extension<Services>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<OverrideForm>,
) -> AppResult<Response> {
    let r = OverrideRequest {
        date: f.date.clone(),
        kind: f.kind,
        name: f.name,
    };
    let year = NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d")
        .map(|d| d.year())
        .unwrap_or_else(|_| crate::web::vn_today().year());
    match set_override(&state, &svc, &ctx, &r).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/holidays?year={year}")).into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            holidays_page(&state, &svc, &ctx, year, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}
