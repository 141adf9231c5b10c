//! Business calendars (工作日历) as the admin keeps them: the weekly hours of the
//! `working` and `on_duty` calendars, and the dated holidays and make-up days (调休) that
//! every calendar observing holidays shares. [`Db::business_calendar`] assembles the
//! domain's [`BusinessCalendar`] that deadlines are computed on.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::{to_millis, Db, StoreError, Tx};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::calendar::{BusinessCalendar, DayKind, HolidayLine, Span};
use kefu_domain::sla::SlaCalendar;

/// One calendar with its decoded week (Monday first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarRow {
    pub code: String,
    pub name: String,
    pub week: [Vec<Span>; 7],
    /// Whether the shared holidays and make-up days apply (on-duty lines usually run
    /// through the holidays).
    pub observes_holidays: bool,
    pub updated_at: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct CalendarDbRow {
    code: String,
    name: String,
    week: String,
    observes_holidays: i64,
    updated_at: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct DayDbRow {
    day: String,
    kind: String,
    as_weekday: Option<i64>,
    name: String,
}

/// What an admin sets on a calendar.
#[derive(Debug, Clone)]
pub struct CalendarInput {
    pub name: String,
    pub week: [Vec<Span>; 7],
    pub observes_holidays: bool,
}

fn week_to_json(week: &[Vec<Span>; 7]) -> String {
    let text: Vec<Vec<String>> = week
        .iter()
        .map(|day| day.iter().map(Span::to_string).collect())
        .collect();
    serde_json::to_string(&text).expect("strings serialize")
}

fn week_from_json(json: &str) -> Result<[Vec<Span>; 7], StoreError> {
    let text: Vec<Vec<String>> = serde_json::from_str(json)?;
    let days: Vec<Vec<Span>> = text
        .iter()
        .map(|day| day.iter().map(|s| Span::parse(s)).collect())
        .collect::<Result<_, _>>()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    days.try_into()
        .map_err(|_| StoreError::Corrupt("a calendar week needs seven days".into()))
}

impl TryFrom<CalendarDbRow> for CalendarRow {
    type Error = StoreError;

    fn try_from(r: CalendarDbRow) -> Result<Self, StoreError> {
        Ok(CalendarRow {
            week: week_from_json(&r.week)?,
            code: r.code,
            name: r.name,
            observes_holidays: r.observes_holidays != 0,
            updated_at: r.updated_at,
        })
    }
}

impl TryFrom<DayDbRow> for HolidayLine {
    type Error = StoreError;

    fn try_from(r: DayDbRow) -> Result<Self, StoreError> {
        let date = NaiveDate::parse_from_str(&r.day, "%Y-%m-%d")
            .map_err(|e| StoreError::Corrupt(format!("calendar day {:?}: {e}", r.day)))?;
        let kind = match (r.kind.as_str(), r.as_weekday) {
            ("holiday", _) => DayKind::Holiday,
            ("workday", w) => DayKind::Workday {
                as_weekday: w.unwrap_or(0).clamp(0, 6) as usize,
            },
            (other, _) => return Err(StoreError::Corrupt(format!("calendar day kind {other}"))),
        };
        Ok(HolidayLine {
            date,
            kind,
            name: r.name,
        })
    }
}

fn day_key(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

async fn insert_day(
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    l: &HolidayLine,
) -> Result<(), StoreError> {
    let (kind, as_weekday) = match l.kind {
        DayKind::Holiday => ("holiday", None),
        DayKind::Workday { as_weekday } => ("workday", Some(as_weekday as i64)),
    };
    sqlx::query(
        "INSERT INTO calendar_days (day, kind, as_weekday, name, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, \
         as_weekday = excluded.as_weekday, name = excluded.name, updated_at = excluded.updated_at",
    )
    .bind(day_key(l.date))
    .bind(kind)
    .bind(as_weekday)
    .bind(l.name.as_str())
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const CALENDAR_SELECT: &str =
    "SELECT code, name, week, observes_holidays, updated_at FROM calendars";

impl Db {
    /// The editable calendars (`working`, `on_duty`), in that order.
    pub async fn list_calendars(&self) -> Result<Vec<CalendarRow>, StoreError> {
        let rows: Vec<CalendarDbRow> = sqlx::query_as(&format!(
            "{CALENDAR_SELECT} ORDER BY CASE code WHEN 'working' THEN 0 ELSE 1 END, code"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(CalendarRow::try_from).collect()
    }

    pub async fn get_calendar(&self, code: &str) -> Result<CalendarRow, StoreError> {
        let row: CalendarDbRow = sqlx::query_as(&format!("{CALENDAR_SELECT} WHERE code = $1"))
            .bind(code)
            .fetch_one(&self.read)
            .await?;
        row.try_into()
    }

    /// Sets a calendar's hours. The caller has validated the week (a
    /// [`BusinessCalendar`] can be built from it); unknown codes are `NotFound`.
    #[tracing::instrument(skip_all, fields(code))]
    pub async fn update_calendar(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        code: &str,
        input: &CalendarInput,
    ) -> Result<(), StoreError> {
        let week = week_to_json(&input.week);
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE calendars SET name = $1, week = $2, observes_holidays = $3, updated_at = $4 \
             WHERE code = $5",
        )
        .bind(input.name.as_str())
        .bind(week.as_str())
        .bind(i64::from(input.observes_holidays))
        .bind(to_millis(now))
        .bind(code)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let detail = format!(
            "{week}{}",
            if input.observes_holidays {
                ""
            } else {
                " (runs on holidays)"
            }
        );
        let entry = NewAuditEntry::new(AuditAction::CalendarSaved)
            .subject("calendar", code)
            .detail(detail);
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        self.sla_cache.invalidate();
        Ok(())
    }

    /// Holidays and make-up days in date order, of one year or all.
    pub async fn list_calendar_days(
        &self,
        year: Option<i32>,
    ) -> Result<Vec<HolidayLine>, StoreError> {
        let rows: Vec<DayDbRow> = match year {
            Some(y) => {
                sqlx::query_as(
                    "SELECT day, kind, as_weekday, name FROM calendar_days \
                     WHERE day >= $1 AND day < $2 ORDER BY day",
                )
                .bind(format!("{y:04}-01-01"))
                .bind(format!("{:04}-01-01", y + 1))
                .fetch_all(&self.read)
                .await?
            }
            None => {
                sqlx::query_as("SELECT day, kind, as_weekday, name FROM calendar_days ORDER BY day")
                    .fetch_all(&self.read)
                    .await?
            }
        };
        rows.into_iter().map(HolidayLine::try_from).collect()
    }

    /// The years that have holidays or make-up days, newest first.
    pub async fn list_calendar_years(&self) -> Result<Vec<i32>, StoreError> {
        let mut years: Vec<i32> = self
            .list_calendar_days(None)
            .await?
            .iter()
            .map(|l| l.date.year())
            .collect();
        years.dedup();
        years.reverse();
        Ok(years)
    }

    /// Adds or changes one holiday or make-up day.
    #[tracing::instrument(skip_all)]
    pub async fn save_calendar_day(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        line: &HolidayLine,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        insert_day(&mut tx, now, line).await?;
        let kind = match line.kind {
            DayKind::Holiday => "holiday".to_string(),
            DayKind::Workday { as_weekday } => format!("workday:{as_weekday}"),
        };
        let entry = NewAuditEntry::new(AuditAction::CalendarDaySaved)
            .subject("calendar_day", day_key(line.date))
            .detail(format!("{kind} {}", line.name));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        self.sla_cache.invalidate();
        Ok(())
    }

    /// Removes a holiday or make-up day: the date follows its weekday's hours again.
    #[tracing::instrument(skip_all)]
    pub async fn delete_calendar_day(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        date: NaiveDate,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("DELETE FROM calendar_days WHERE day = $1")
            .bind(day_key(date))
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let entry = NewAuditEntry::new(AuditAction::CalendarDayDeleted)
            .subject("calendar_day", day_key(date));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        self.sla_cache.invalidate();
        Ok(())
    }

    /// Replaces a whole year's holidays and make-up days with `lines` (the published
    /// notice, imported), in one transaction. Lines of another year are refused before
    /// anything is written. Returns how many days the year had before.
    #[tracing::instrument(skip_all, fields(year))]
    pub async fn replace_calendar_year(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        year: i32,
        lines: &[HolidayLine],
    ) -> Result<u64, StoreError> {
        if let Some(l) = lines.iter().find(|l| l.date.year() != year) {
            return Err(StoreError::Refused(format!(
                "{} is not in {year}",
                day_key(l.date)
            )));
        }
        let mut tx = self.write.begin().await?;
        let removed = sqlx::query("DELETE FROM calendar_days WHERE day >= $1 AND day < $2")
            .bind(format!("{year:04}-01-01"))
            .bind(format!("{:04}-01-01", year + 1))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        for l in lines {
            insert_day(&mut tx, now, l).await?;
        }
        let entry = NewAuditEntry::new(AuditAction::CalendarYearImported)
            .subject("calendar_year", year.to_string())
            .detail(format!("{} days replace {removed}", lines.len()));
        append_in(&mut tx, actor, now, &entry).await?;
        tx.commit().await?;
        self.sla_cache.invalidate();
        Ok(removed)
    }

    /// The calendar an SLA target is counted on, as the admin configured it: `24x7` is
    /// around the clock; `working` and `on_duty` are the stored weeks, with the shared
    /// holidays and make-up days when the calendar observes them. `offset` is the
    /// center's time zone (China: [`kefu_domain::calendar::china_offset`]). Served from
    /// memory (see `sla_cache`).
    pub async fn business_calendar(
        &self,
        calendar: SlaCalendar,
        offset: FixedOffset,
    ) -> Result<BusinessCalendar, StoreError> {
        let snapshot = match calendar {
            SlaCalendar::AroundTheClock => return Ok(BusinessCalendar::around_the_clock(offset)),
            SlaCalendar::Working | SlaCalendar::OnDuty => self.sla_cache.snapshot(self).await?,
        };
        let row = snapshot
            .calendars
            .iter()
            .find(|c| c.code == calendar.code())
            .ok_or(StoreError::NotFound)?;
        let mut cal = BusinessCalendar::new(offset, row.week.clone())
            .map_err(|e| StoreError::Corrupt(format!("calendar {}: {e}", row.code)))?;
        if row.observes_holidays {
            for l in &snapshot.days {
                cal.apply(l.date, l.kind);
            }
        }
        Ok(cal)
    }
}
