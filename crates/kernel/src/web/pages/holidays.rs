//! The working-day calendar's pages and API for the system admin: public holidays by year, and
//! the days the government moves each year (extra days off, Saturdays made working days).

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::time::holidays;
use crate::web::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::extract::ApiJson;
use crate::web::shell::{Shell, render_for};

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
    holidays::check_year(q.year.unwrap_or_else(|| crate::time::vn_today().year()))
}

async fn overrides(state: &AppState, year: i32) -> AppResult<Vec<Override>> {
    Ok(holidays::overrides_of(&state.db, year)
        .await?
        .into_iter()
        .map(|o| Override {
            date: o.day.to_string(),
            day_off: o.day_off,
            name: o.name,
        })
        .collect())
}

#[utoipa::path(get, path = "/api/v1/holidays", tag = "calendar", params(YearQuery),
    responses((status = 200, description = "Days off of the year (public holidays, compensation days, the government's extra days)", body = [Holiday]),
        (status = 422, description = "`period_invalid`: a year outside 1900–2199", body = crate::error::ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    crate::web::extract::ApiQuery(q): crate::web::extract::ApiQuery<YearQuery>,
) -> AppResult<Json<Vec<Holiday>>> {
    let year = year_of(&q)?;
    Ok(Json(
        state
            .calendar
            .get()
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

async fn set_override(state: &AppState, ctx: &Ctx, r: &OverrideRequest) -> AppResult<()> {
    crate::actions::holidays::set_override(
        &state.db,
        &state.calendar,
        ctx.actor(),
        &r.date,
        &r.kind,
        &r.name,
    )
    .await
    .map_err(AppError::from)
}

#[utoipa::path(post, path = "/api/v1/holidays", tag = "calendar", request_body = OverrideRequest, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn api_set(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(r): ApiJson<OverrideRequest>,
) -> AppResult<StatusCode> {
    set_override(&state, &ctx, &r).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Template)]
#[template(path = "holidays.html")]
struct HolidaysPage {
    shell: Shell,
    year: i32,
    holidays: Vec<(String, String, String)>,
    overrides: Vec<Override>,
    error: Option<String>,
}

async fn holidays_page(
    state: &AppState,
    ctx: &Ctx,
    year: i32,
    err: Option<&AppError>,
) -> AppResult<Response> {
    ctx.system_admin()?;
    let holidays = state
        .calendar
        .get()
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
        overrides: overrides(state, year).await?,
        error: err.map(|e| e.message(ctx.locale).to_owned()),
        shell: Shell::new(state, ctx, None, ctx.tr().get("holidays.title")).await,
    };
    Ok(render_for(err, &page))
}

pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<YearQuery>,
) -> AppResult<Response> {
    let year = year_of(&q)?;
    holidays_page(&state, &ctx, year, None).await
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
        .unwrap_or_else(|_| crate::time::vn_today().year());
    match set_override(&state, &ctx, &r).await {
        Ok(()) => Ok(crate::web::flash::redirect(
            &format!("/admin/holidays?year={year}"),
            crate::web::flash::Flash::key("flash.holiday_saved"),
            state.config.cookies_secure(),
        )),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::FORBIDDEN => {
            holidays_page(&state, &ctx, year, Some(&e)).await
        }
        Err(e) => Err(e),
    }
}

pub fn router() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/admin/holidays", get(page).post(save))
        .route("/api/v1/holidays", get(api_list).post(api_set))
}
