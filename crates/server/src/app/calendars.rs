//! Business calendars (工作日历): the weekly hours of the working and on-duty calendars,
//! and the holidays and make-up days (调休) they share. Reading needs `ticket.read`
//! (agents see when their promises fall due); every change needs `service.configure`.

use crate::app::rfc3339;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{Datelike, NaiveDate};
use kefu_domain::calendar::{
    china_offset, parse_holiday_lines, BusinessCalendar, CalendarError, DayKind, HolidayLine, Span,
};
use kefu_domain::Permission;
use kefu_store::calendars::{CalendarInput, CalendarRow};
use kefu_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest holiday text accepted by an import (a year is a few dozen lines).
pub const MAX_IMPORT_CHARS: usize = 100_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarView {
    /// `working` (工作时间) or `on_duty` (值班时间).
    pub code: String,
    pub name: String,
    /// Seven days, Monday first; each a list of working periods `HH:MM-HH:MM`.
    pub week: Vec<Vec<String>>,
    /// Whether the holidays and make-up days apply to this calendar.
    pub observes_holidays: bool,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarPayload {
    pub name: String,
    /// Seven days, Monday first; each a list of periods `HH:MM-HH:MM` in order, e.g.
    /// `["09:00-12:00", "13:30-18:00"]` for a day with a lunch break; `[]` for a day off.
    pub week: Vec<Vec<String>>,
    pub observes_holidays: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarDayView {
    /// `YYYY-MM-DD`
    pub date: String,
    /// `holiday` (放假) or `workday` (调休上班).
    pub kind: String,
    /// For a workday: the weekday whose hours are worked, 0 = Monday.
    pub as_weekday: Option<usize>,
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDayPayload {
    /// `holiday` or `workday`
    pub kind: String,
    /// The festival or reason, e.g. `春节`.
    #[serde(default)]
    pub name: String,
    /// For a workday: whose hours are worked, 0 = Monday (the default) … 6 = Sunday.
    pub as_weekday: Option<usize>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarImportPayload {
    pub year: i32,
    /// The year's lines in the data-file format: `2027-02-05 holiday # 春节`,
    /// `2027-02-14 workday`, `#` comments. Replaces every day of that year.
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarImportResult {
    pub year: i32,
    /// Days the year has now.
    pub days: usize,
    /// Days it had before.
    pub replaced: u64,
}

pub fn calendar_view(r: CalendarRow) -> CalendarView {
    CalendarView {
        week: r
            .week
            .iter()
            .map(|d| d.iter().map(Span::to_string).collect())
            .collect(),
        code: r.code,
        name: r.name,
        observes_holidays: r.observes_holidays,
        updated_at: rfc3339(r.updated_at),
    }
}

pub fn day_view(l: &HolidayLine) -> CalendarDayView {
    let (kind, as_weekday) = match l.kind {
        DayKind::Holiday => ("holiday", None),
        DayKind::Workday { as_weekday } => ("workday", Some(as_weekday)),
    };
    CalendarDayView {
        date: l.date.format("%Y-%m-%d").to_string(),
        kind: kind.to_string(),
        as_weekday,
        name: l.name.clone(),
    }
}

fn not_found(e: StoreError) -> AppError {
    AppError::store_missing("calendar")(e)
}

pub async fn calendars(state: &AppState, ctx: &Ctx) -> Result<Vec<CalendarView>, AppError> {
    ctx.require(Permission::TicketRead)?;
    Ok(state
        .db()
        .list_calendars()
        .await?
        .into_iter()
        .map(calendar_view)
        .collect())
}

pub async fn calendar(state: &AppState, ctx: &Ctx, code: &str) -> Result<CalendarView, AppError> {
    ctx.require(Permission::TicketRead)?;
    Ok(calendar_view(
        state.db().get_calendar(code).await.map_err(not_found)?,
    ))
}

/// Reads a week as people write it; refuses periods out of order, overlapping or
/// outside the day, and a week without any working time.
pub fn parse_week(week: &[Vec<String>]) -> Result<[Vec<Span>; 7], AppError> {
    if week.len() != 7 {
        return Err(AppError::invalid(
            "invalid_week",
            format!("a week has seven days, Monday first (got {})", week.len()),
        ));
    }
    let mut days: [Vec<Span>; 7] = Default::default();
    for (i, day) in week.iter().enumerate() {
        for text in day {
            let span = Span::parse(text)
                .map_err(|e| AppError::invalid("invalid_span", format!("day {}: {e}", i + 1)))?;
            days[i].push(span);
        }
    }
    BusinessCalendar::new(china_offset(), days.clone()).map_err(|e| match e {
        CalendarError::Overlap => AppError::invalid(
            "invalid_span",
            "the periods of a day must be in order and must not overlap",
        ),
        other => AppError::invalid("invalid_week", other.to_string()),
    })?;
    Ok(days)
}

pub async fn update_calendar(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    p: &CalendarPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::ServiceConfigure)?;
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 30 {
        return Err(AppError::invalid(
            "invalid_name",
            "a calendar name is 1 to 30 characters",
        ));
    }
    let input = CalendarInput {
        name: name.to_string(),
        week: parse_week(&p.week)?,
        observes_holidays: p.observes_holidays,
    };
    state
        .db()
        .update_calendar(&ctx.actor(), state.clock().now(), code, &input)
        .await
        .map_err(not_found)
}

/// Holidays and make-up days of one year (or all, without a year), in date order.
pub async fn days(
    state: &AppState,
    ctx: &Ctx,
    year: Option<i32>,
) -> Result<Vec<CalendarDayView>, AppError> {
    ctx.require(Permission::TicketRead)?;
    Ok(state
        .db()
        .list_calendar_days(year)
        .await?
        .iter()
        .map(day_view)
        .collect())
}

pub fn parse_date(text: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::invalid("invalid_date", format!("{text:?} is not a date YYYY-MM-DD"))
    })
}

/// Builds one dated line from what a person entered.
pub fn day_line(date: &str, p: &CalendarDayPayload) -> Result<HolidayLine, AppError> {
    let date = parse_date(date)?;
    let kind = match (p.kind.as_str(), p.as_weekday) {
        ("holiday", None) => DayKind::Holiday,
        ("workday", None) => DayKind::Workday { as_weekday: 0 },
        ("workday", Some(w)) if w <= 6 => DayKind::Workday { as_weekday: w },
        ("holiday", Some(_)) => {
            return Err(AppError::invalid(
                "invalid_day_kind",
                "as_weekday is for workdays only",
            ))
        }
        ("workday", Some(_)) => {
            return Err(AppError::invalid(
                "invalid_day_kind",
                "as_weekday is 0 (Monday) to 6 (Sunday)",
            ))
        }
        (other, _) => {
            return Err(AppError::invalid(
                "invalid_day_kind",
                format!("kind is holiday or workday, not {other:?}"),
            ))
        }
    };
    let name = p.name.trim();
    if name.chars().count() > 30 || name.contains(['#', '\n', '\r']) {
        return Err(AppError::invalid(
            "invalid_name",
            "a day's name is at most 30 characters, on one line, without #",
        ));
    }
    Ok(HolidayLine {
        date,
        kind,
        name: name.to_string(),
    })
}

pub async fn save_day(
    state: &AppState,
    ctx: &Ctx,
    date: &str,
    p: &CalendarDayPayload,
) -> Result<(), AppError> {
    ctx.require(Permission::ServiceConfigure)?;
    let line = day_line(date, p)?;
    Ok(state
        .db()
        .save_calendar_day(&ctx.actor(), state.clock().now(), &line)
        .await?)
}

pub async fn delete_day(state: &AppState, ctx: &Ctx, date: &str) -> Result<(), AppError> {
    ctx.require(Permission::ServiceConfigure)?;
    let date = parse_date(date)?;
    state
        .db()
        .delete_calendar_day(&ctx.actor(), state.clock().now(), date)
        .await
        .map_err(AppError::store_missing("calendar day"))
}

/// Replaces a year's days with an imported text, after checking every line: a bad line
/// or a date of another year refuses the whole text and changes nothing.
pub async fn import_year(
    state: &AppState,
    ctx: &Ctx,
    p: &CalendarImportPayload,
) -> Result<CalendarImportResult, AppError> {
    ctx.require(Permission::ServiceConfigure)?;
    if !(2000..=2100).contains(&p.year) {
        return Err(AppError::invalid(
            "invalid_year",
            "the year must be between 2000 and 2100",
        ));
    }
    if p.text.chars().count() > MAX_IMPORT_CHARS {
        return Err(AppError::invalid(
            "invalid_holiday_data",
            format!("the text is longer than {MAX_IMPORT_CHARS} characters"),
        ));
    }
    let lines = parse_holiday_lines(&p.text)
        .map_err(|e| AppError::invalid("invalid_holiday_data", e.to_string()))?;
    for l in &lines {
        if l.date.year() != p.year {
            return Err(AppError::invalid(
                "invalid_holiday_data",
                format!("{} is not in {}", l.date.format("%Y-%m-%d"), p.year),
            ));
        }
        if l.name.chars().count() > 30 {
            return Err(AppError::invalid(
                "invalid_holiday_data",
                format!("the name of {} is longer than 30 characters", l.date),
            ));
        }
    }
    let replaced = state
        .db()
        .replace_calendar_year(&ctx.actor(), state.clock().now(), p.year, &lines)
        .await?;
    Ok(CalendarImportResult {
        year: p.year,
        days: lines.len(),
        replaced,
    })
}
