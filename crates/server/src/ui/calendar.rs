//! The business calendar settings page (工作日历): the weekly hours of the working and
//! on-duty calendars with their breaks, and a year's holidays and make-up days in one
//! dense table — add, change, delete, or import the year from the published notice.
//! Everyone who reads work orders may look; changes need `service.configure`.

use super::{render, Chrome, Page, UiError};
use crate::app::calendars::{
    self as app, CalendarDayPayload, CalendarDayView, CalendarImportPayload, CalendarPayload,
};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use chrono::{Datelike, NaiveDate};
use kefu_domain::calendar::{china_offset, format_holiday_lines, DayKind, HolidayLine};
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/calendar", get(calendar_page))
        .route("/settings/calendar/week/{code}", post(save_week))
        .route("/settings/calendar/days", post(save_day))
        .route("/settings/calendar/days/{date}/delete", post(delete_day))
        .route("/settings/calendar/import", post(import_year))
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub struct WeekForm {
    code: String,
    name: String,
    observes_holidays: bool,
    /// (weekday label, field name, periods as typed)
    days: Vec<(String, String, String)>,
}

pub struct DayLine {
    date: String,
    weekday: String,
    kind: String,
    as_weekday: String,
    name: String,
}

#[derive(Template)]
#[template(path = "settings_calendar.html")]
struct CalendarPageT<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    weeks: Vec<WeekForm>,
    year: i32,
    years: Vec<i32>,
    days: Vec<DayLine>,
    weekdays: Vec<(String, String)>,
    import_text: String,
    can_configure: bool,
}

#[derive(Debug, Deserialize)]
struct YearQuery {
    year: Option<i32>,
}

fn weekday_label<'a>(t: &Tr<'a>, i: usize) -> &'a str {
    t.label("weekday", WEEKDAYS[i.min(6)])
}

fn line_of(v: &CalendarDayView) -> HolidayLine {
    HolidayLine {
        date: NaiveDate::parse_from_str(&v.date, "%Y-%m-%d").unwrap_or_default(),
        kind: match v.as_weekday {
            Some(w) => DayKind::Workday { as_weekday: w },
            None if v.kind == "workday" => DayKind::Workday { as_weekday: 0 },
            None => DayKind::Holiday,
        },
        name: v.name.clone(),
    }
}

async fn calendar_page(page: Page, Query(q): Query<YearQuery>) -> Result<Response, UiError> {
    let (state, ctx) = (&page.state, &page.ctx);
    let calendars = app::calendars(state, ctx)
        .await
        .map_err(|e| page.error(e))?;
    let this_year = state.clock().now().with_timezone(&china_offset()).year();
    let year = q.year.unwrap_or(this_year).clamp(2000, 2100);
    let days = app::days(state, ctx, Some(year))
        .await
        .map_err(|e| page.error(e))?;
    let mut years = state
        .db()
        .list_calendar_years()
        .await
        .map_err(|e| page.error(e.into()))?;
    for y in [this_year, this_year + 1, year] {
        if !years.contains(&y) {
            years.push(y);
        }
    }
    years.sort_unstable();
    let t = page.t();
    let weeks = calendars
        .into_iter()
        .map(|c| WeekForm {
            days: c
                .week
                .iter()
                .enumerate()
                .map(|(i, spans)| {
                    (
                        weekday_label(&t, i).to_string(),
                        format!("d{i}"),
                        spans.join(" "),
                    )
                })
                .collect(),
            code: c.code,
            name: c.name,
            observes_holidays: c.observes_holidays,
        })
        .collect();
    let lines: Vec<HolidayLine> = days.iter().map(line_of).collect();
    let body = CalendarPageT {
        chrome: page.chrome("settings"),
        weeks,
        year,
        years,
        days: days
            .iter()
            .zip(&lines)
            .map(|(v, l)| DayLine {
                date: v.date.clone(),
                weekday: weekday_label(&t, l.date.weekday().num_days_from_monday() as usize)
                    .to_string(),
                kind: v.kind.clone(),
                as_weekday: v.as_weekday.map(|w| w.to_string()).unwrap_or_default(),
                name: v.name.clone(),
            })
            .collect(),
        weekdays: (0..7)
            .map(|i| (i.to_string(), weekday_label(&t, i).to_string()))
            .collect(),
        import_text: format_holiday_lines(&lines),
        can_configure: ctx.can(Permission::ServiceConfigure),
        t,
    };
    Ok(render(&body))
}

#[derive(Debug, Deserialize)]
struct WeekFormData {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
    observes_holidays: Option<String>,
    d0: String,
    d1: String,
    d2: String,
    d3: String,
    d4: String,
    d5: String,
    d6: String,
}

/// Periods as people type them: `09:00-12:00 13:30-18:00`, commas or semicolons allowed.
fn periods(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '，' | '；' | '、'))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

async fn save_week(
    page: Page,
    Path(code): Path<String>,
    Form(f): Form<WeekFormData>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let payload = CalendarPayload {
        name: f.name,
        week: [&f.d0, &f.d1, &f.d2, &f.d3, &f.d4, &f.d5, &f.d6]
            .iter()
            .map(|d| periods(d))
            .collect(),
        observes_holidays: f.observes_holidays.is_some(),
    };
    app::update_calendar(&page.state, &page.ctx, &code, &payload)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to("/settings/calendar").into_response())
}

#[derive(Debug, Deserialize)]
struct DayFormData {
    #[serde(rename = "_csrf")]
    csrf: String,
    date: String,
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    as_weekday: String,
}

fn back_to(date: &str) -> Response {
    let year = date.get(..4).unwrap_or_default();
    Redirect::to(&format!("/settings/calendar?year={year}")).into_response()
}

async fn save_day(page: Page, Form(f): Form<DayFormData>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    // A holiday has no weekday to work as: the row's weekday choice is ignored for it.
    let as_weekday = match (f.kind.as_str(), f.as_weekday.trim()) {
        ("workday", w) if !w.is_empty() => Some(w.parse().map_err(|_| {
            page.error(AppError::invalid(
                "invalid_day_kind",
                "as_weekday is 0 (Monday) to 6 (Sunday)",
            ))
        })?),
        _ => None,
    };
    let payload = CalendarDayPayload {
        as_weekday,
        kind: f.kind,
        name: f.name,
    };
    app::save_day(&page.state, &page.ctx, &f.date, &payload)
        .await
        .map_err(|e| page.error(e))?;
    Ok(back_to(f.date.trim()))
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn delete_day(
    page: Page,
    Path(date): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    app::delete_day(&page.state, &page.ctx, &date)
        .await
        .map_err(|e| page.error(e))?;
    Ok(back_to(&date))
}

#[derive(Debug, Deserialize)]
struct ImportFormData {
    #[serde(rename = "_csrf")]
    csrf: String,
    year: String,
    text: String,
}

async fn import_year(page: Page, Form(f): Form<ImportFormData>) -> Result<Response, UiError> {
    page.check_csrf(&f.csrf)?;
    let year = f.year.trim().parse().unwrap_or(0);
    let payload = CalendarImportPayload { year, text: f.text };
    app::import_year(&page.state, &page.ctx, &payload)
        .await
        .map_err(|e| page.error(e))?;
    Ok(Redirect::to(&format!("/settings/calendar?year={year}")).into_response())
}
