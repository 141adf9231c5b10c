//! Reports (日报、周报、月报): what can be counted, how records are grouped into a report's
//! rows, how days fold into weeks and months, and how a cell's value follows from the
//! records behind it. The store finds the records; every cell keeps the number of records
//! it stands on, which is exactly the length of its drill-down list.

use chrono::{Datelike, Duration, NaiveDate};

code_enum!(
    /// The length of a report's period rows.
    Granularity {
        Day = "day",
        Week = "week",
        Month = "month",
    }
);

impl Granularity {
    /// The first day of the period that contains `day` (weeks begin on Monday).
    pub fn period_start(self, day: NaiveDate) -> NaiveDate {
        match self {
            Granularity::Day => day,
            Granularity::Week => {
                day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
            }
            Granularity::Month => day.with_day(1).expect("every month has a first day"),
        }
    }

    /// The first day of the period after the one beginning at `start`.
    pub fn next_start(self, start: NaiveDate) -> NaiveDate {
        match self {
            Granularity::Day => start + Duration::days(1),
            Granularity::Week => start + Duration::days(7),
            Granularity::Month => {
                let (y, m) = if start.month() == 12 {
                    (start.year() + 1, 1)
                } else {
                    (start.year(), start.month() + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1).expect("valid month")
            }
        }
    }
}

/// One row of a report by period: `[from, until)` clipped to the report's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    /// The day after the period's last day.
    pub until: NaiveDate,
}

/// The longest range a report covers (two years of days).
pub const MAX_RANGE_DAYS: i64 = 732;

/// The periods that cover the days `from..=to`, the first and last clipped to them.
/// Empty when `to` is before `from`.
pub fn periods(granularity: Granularity, from: NaiveDate, to: NaiveDate) -> Vec<Period> {
    let mut out = Vec::new();
    let end = to + Duration::days(1);
    let mut start = granularity.period_start(from);
    while start < end {
        let next = granularity.next_start(start);
        out.push(Period {
            from: start.max(from),
            until: next.min(end),
        });
        start = next;
    }
    out
}

code_enum!(
    /// What a report's rows are.
    Grouping {
        Period = "period",
        Agent = "agent",
        Channel = "channel",
        TicketType = "type",
        /// Complaints only: 投诉原因.
        Cause = "cause",
        /// Complaints only.
        Severity = "severity",
        /// Complaints only: the department responsible.
        ComplaintDepartment = "complaint_department",
    }
);

code_enum!(
    /// The sections a report's columns are arranged in.
    Section {
        Contacts = "contacts",
        Tickets = "tickets",
        Times = "times",
        Promises = "promises",
        Complaints = "complaints",
        Callbacks = "callbacks",
        Satisfaction = "satisfaction",
        Quality = "quality",
        Campaigns = "campaigns",
    }
);

/// How a metric's value follows from its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// The number of records.
    Count,
    /// The share of records that met a condition, in percent.
    Rate,
    /// The mean of a value the records carry.
    Average,
    /// The median working hours between two moments of each record.
    Median,
    /// The 90th percentile of the same.
    P90,
    /// Net promoter score: percent of 9–10 answers minus percent of 0–6 answers.
    Nps,
}

code_enum!(
    /// Everything a report can show. Each is counted over records stamped with a moment
    /// inside the report's range (named in each variant's comment).
    Metric {
        /// Calls that reached a queue (started).
        CallsOffered = "calls_offered",
        /// … answered by an agent.
        CallsAnswered = "calls_answered",
        /// Chats started.
        Chats = "chats",
        /// Outbound campaign calls made (主动服务).
        OutboundCalls = "outbound_calls",
        /// Tickets opened.
        TicketsOpened = "tickets_opened",
        /// Tickets resolved (resolved at).
        TicketsResolved = "tickets_resolved",
        /// Tickets reopened after being resolved or closed (reopened at).
        TicketsReopened = "tickets_reopened",
        /// Tickets opened in the range that went overdue at some point.
        TicketsOverdue = "tickets_overdue",
        /// Working hours from opening to the first response (first responded at).
        FirstResponseMedian = "first_response_median",
        FirstResponseP90 = "first_response_p90",
        /// Working hours from opening to resolution (resolved at).
        ResolutionMedian = "resolution_median",
        ResolutionP90 = "resolution_p90",
        /// First responses on or before their SLA deadline, of those with one.
        SlaFirstResponse = "sla_first_response",
        /// Resolutions on or before their SLA deadline, of those with one.
        SlaResolution = "sla_resolution",
        /// Promises kept: a reply given before the promise fell due.
        PromisesKept = "promises_kept",
        /// Promises renewed with an overdue notice (progress, apology, new promise).
        PromisesRenewed = "promises_renewed",
        /// Promises broken: the deadline passed unanswered.
        PromisesBroken = "promises_broken",
        /// Complaints registered.
        Complaints = "complaints",
        /// Callbacks planned (falling due), cancelled ones left out.
        CallbacksPlanned = "callbacks_planned",
        /// Callback attempts that took place (已回访).
        CallbacksDone = "callbacks_done",
        /// … that reached the customer (done, or asked to call later).
        CallbacksReached = "callbacks_reached",
        /// … that did not (no answer, busy).
        CallbacksUnreachable = "callbacks_unreachable",
        /// Mean CSAT (1–5) of survey answers.
        Csat = "csat",
        /// NPS of survey answers.
        Nps = "nps",
        /// Mean QA score (0–100) of published inspections.
        QaScore = "qa_score",
        /// Campaign targets converted.
        Conversions = "conversions",
    }
);

impl Metric {
    pub fn measure(self) -> Measure {
        use Metric::*;
        match self {
            FirstResponseMedian | ResolutionMedian => Measure::Median,
            FirstResponseP90 | ResolutionP90 => Measure::P90,
            SlaFirstResponse | SlaResolution => Measure::Rate,
            Csat | QaScore => Measure::Average,
            Nps => Measure::Nps,
            _ => Measure::Count,
        }
    }

    pub fn section(self) -> Section {
        use Metric::*;
        match self {
            CallsOffered | CallsAnswered | Chats | OutboundCalls => Section::Contacts,
            TicketsOpened | TicketsResolved | TicketsReopened | TicketsOverdue => Section::Tickets,
            FirstResponseMedian | FirstResponseP90 | ResolutionMedian | ResolutionP90
            | SlaFirstResponse | SlaResolution => Section::Times,
            PromisesKept | PromisesRenewed | PromisesBroken => Section::Promises,
            Complaints => Section::Complaints,
            CallbacksPlanned | CallbacksDone | CallbacksReached | CallbacksUnreachable => {
                Section::Callbacks
            }
            Csat | Nps => Section::Satisfaction,
            QaScore => Section::Quality,
            Conversions => Section::Campaigns,
        }
    }

    /// The metrics a report about complaints shows (by cause, department, severity).
    pub const COMPLAINTS: &'static [Metric] = &[Metric::Complaints];
}

/// What the records behind one cell came to, before the value is derived.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// The records behind the cell: its drill-down list's length.
    pub n: i64,
    /// Rate: the records that met the condition.
    pub hits: i64,
    /// Average: the sum of the values.
    pub sum: i64,
    /// NPS: answers of 9–10 and of 0–6.
    pub promoters: i64,
    pub detractors: i64,
    /// Median and P90: each record's working time, in seconds.
    pub seconds: Vec<i64>,
}

impl Tally {
    pub fn add(&mut self, other: &Tally) {
        self.n += other.n;
        self.hits += other.hits;
        self.sum += other.sum;
        self.promoters += other.promoters;
        self.detractors += other.detractors;
        self.seconds.extend_from_slice(&other.seconds);
    }

    /// The cell's value: a count, a percent, a mean, or hours; `None` when there is
    /// nothing to derive it from (no records for a rate, mean or percentile).
    /// `scale` divides an average's sum (QA totals are kept in tenths of a point).
    pub fn value(&self, measure: Measure, scale: i64) -> Option<f64> {
        if measure == Measure::Count {
            return Some(self.n as f64);
        }
        if self.n == 0 {
            return None;
        }
        let n = self.n as f64;
        match measure {
            Measure::Count => unreachable!("handled above"),
            Measure::Rate => Some(100.0 * self.hits as f64 / n),
            Measure::Average => Some(self.sum as f64 / scale.max(1) as f64 / n),
            Measure::Nps => Some(100.0 * (self.promoters - self.detractors) as f64 / n),
            Measure::Median | Measure::P90 => {
                let mut s = self.seconds.clone();
                s.sort_unstable();
                let p = if measure == Measure::Median { 50 } else { 90 };
                percentile(&s, p).map(|secs| secs as f64 / 3600.0)
            }
        }
    }
}

/// The `p`th percentile of sorted values by the nearest-rank method: the smallest value
/// with at least `p`% of the values at or below it. `None` for no values.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (u64::from(p.min(100)) * sorted.len() as u64)
        .div_ceil(100)
        .max(1);
    sorted.get(rank as usize - 1).copied()
}

/// Working times kept compactly (a day's rollup of a median or P90 metric holds one per
/// ticket): sorted, then each as its distance from the one before, in LEB128 varints; the
/// first is zigzag-encoded, so a negative time survives.
pub fn encode_seconds(values: &[i64]) -> Vec<u8> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mut out = Vec::with_capacity(sorted.len() * 2);
    let mut previous = None;
    for v in sorted {
        let word = match previous {
            None => ((v << 1) ^ (v >> 63)) as u64,
            Some(p) => (v - p) as u64,
        };
        previous = Some(v);
        let mut w = word;
        loop {
            let byte = (w & 0x7f) as u8;
            w >>= 7;
            if w == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    out
}

/// The times [`encode_seconds`] kept, in ascending order; `None` for bytes it did not write.
pub fn decode_seconds(bytes: &[u8]) -> Option<Vec<i64>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut word: u64 = 0;
    let mut shift = 0u32;
    for &b in bytes {
        if shift > 63 {
            return None;
        }
        word |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            let v = match out.last() {
                None => ((word >> 1) as i64) ^ -((word & 1) as i64),
                Some(p) => p + word as i64,
            };
            out.push(v);
            word = 0;
            shift = 0;
        }
    }
    (shift == 0).then_some(out)
}

code_enum!(
    /// The reports the handbook asks to be handed in on schedule.
    Scheduled {
        /// 月度服务质量分析报告: the previous month, handed in by the 22nd.
        MonthlyQuality = "monthly_quality",
        /// 月度投诉统计: the previous month's complaints.
        MonthlyComplaints = "monthly_complaints",
        /// 每周质检小结: the previous week's inspections.
        WeeklyQa = "weekly_qa",
        /// 每周客服简报: the previous week's service.
        WeeklyBulletin = "weekly_bulletin",
    }
);

/// The period a scheduled report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPeriod {
    /// `2026-11` or `2026-W48`.
    pub key: String,
    pub from: NaiveDate,
    /// The last day, included.
    pub to: NaiveDate,
    /// The day it must be handed in by, if the handbook sets one.
    pub due: Option<NaiveDate>,
}

/// The day of the month the monthly quality report is due (handbook: by the 22nd).
pub const QUALITY_REPORT_DUE_DAY: u32 = 22;

impl Scheduled {
    /// The latest whole period before `today` (the last full week, Monday to Sunday, or
    /// the last full month): what the report generated on `today` covers. A server that
    /// was down on the first day of a period still generates it on its next run.
    pub fn latest_period(self, today: NaiveDate) -> ReportPeriod {
        match self {
            Scheduled::MonthlyQuality | Scheduled::MonthlyComplaints => {
                let this = Granularity::Month.period_start(today);
                let from = Granularity::Month.period_start(this - Duration::days(1));
                ReportPeriod {
                    key: from.format("%Y-%m").to_string(),
                    from,
                    to: this - Duration::days(1),
                    due: (self == Scheduled::MonthlyQuality).then(|| {
                        this.with_day(QUALITY_REPORT_DUE_DAY)
                            .expect("every month has a 22nd")
                    }),
                }
            }
            Scheduled::WeeklyQa | Scheduled::WeeklyBulletin => {
                let from = Granularity::Week.period_start(today) - Duration::days(7);
                let w = from.iso_week();
                ReportPeriod {
                    key: format!("{}-W{:02}", w.year(), w.week()),
                    from,
                    to: from + Duration::days(6),
                    due: None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weeks_begin_on_monday_and_months_on_the_first() {
        // 2026-12-06 is a Sunday.
        assert_eq!(
            Granularity::Week.period_start(d(2026, 12, 6)),
            d(2026, 11, 30)
        );
        assert_eq!(
            Granularity::Week.period_start(d(2026, 11, 30)),
            d(2026, 11, 30)
        );
        assert_eq!(
            Granularity::Month.period_start(d(2026, 12, 31)),
            d(2026, 12, 1)
        );
        assert_eq!(Granularity::Month.next_start(d(2026, 12, 1)), d(2027, 1, 1));
    }

    #[test]
    fn periods_cover_the_range_and_are_clipped_to_it() {
        let p = periods(Granularity::Month, d(2026, 11, 15), d(2027, 1, 10));
        assert_eq!(
            p,
            vec![
                Period {
                    from: d(2026, 11, 15),
                    until: d(2026, 12, 1)
                },
                Period {
                    from: d(2026, 12, 1),
                    until: d(2027, 1, 1)
                },
                Period {
                    from: d(2027, 1, 1),
                    until: d(2027, 1, 11)
                },
            ]
        );
        let w = periods(Granularity::Week, d(2026, 12, 2), d(2026, 12, 14));
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].from, d(2026, 12, 2));
        assert_eq!(w[2].until, d(2026, 12, 15));
        assert_eq!(
            periods(Granularity::Day, d(2026, 12, 2), d(2026, 12, 2)).len(),
            1
        );
        assert!(periods(Granularity::Day, d(2026, 12, 2), d(2026, 12, 1)).is_empty());
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 50), Some(5));
        assert_eq!(percentile(&v, 90), Some(9));
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[1, 2, 3], 50), Some(2));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn values_follow_from_the_tally() {
        let t = Tally {
            n: 4,
            hits: 3,
            sum: 14,
            promoters: 2,
            detractors: 1,
            seconds: vec![7200, 3600, 10800, 1800],
        };
        assert_eq!(t.value(Measure::Count, 1), Some(4.0));
        assert_eq!(t.value(Measure::Rate, 1), Some(75.0));
        assert_eq!(t.value(Measure::Average, 1), Some(3.5));
        assert_eq!(t.value(Measure::Average, 10), Some(0.35));
        assert_eq!(t.value(Measure::Nps, 1), Some(25.0));
        assert_eq!(t.value(Measure::Median, 1), Some(1.0));
        assert_eq!(t.value(Measure::P90, 1), Some(3.0));
        let empty = Tally::default();
        assert_eq!(empty.value(Measure::Count, 1), Some(0.0));
        assert_eq!(empty.value(Measure::Rate, 1), None);
        assert_eq!(empty.value(Measure::Median, 1), None);
    }

    #[test]
    fn working_times_survive_their_encoding() {
        let times = vec![7200, -5, 0, 3_000_000_000, 127, 128, 16_384, 7200];
        let bytes = encode_seconds(&times);
        let mut sorted = times.clone();
        sorted.sort_unstable();
        assert_eq!(decode_seconds(&bytes), Some(sorted));
        assert_eq!(decode_seconds(&encode_seconds(&[])), Some(vec![]));
        // Close times take a byte each after the first.
        assert_eq!(encode_seconds(&[3600, 3601, 3700]).len(), 2 + 1 + 1);
        // A cut-off varint is refused, not misread.
        assert_eq!(decode_seconds(&[0x80]), None);
    }

    #[test]
    fn scheduled_reports_cover_the_last_whole_period() {
        // Tuesday 2026-12-01.
        let p = Scheduled::MonthlyQuality.latest_period(d(2026, 12, 1));
        assert_eq!(
            p,
            ReportPeriod {
                key: "2026-11".into(),
                from: d(2026, 11, 1),
                to: d(2026, 11, 30),
                due: Some(d(2026, 12, 22)),
            }
        );
        let p = Scheduled::MonthlyComplaints.latest_period(d(2027, 1, 15));
        assert_eq!(
            (p.key.as_str(), p.from, p.to, p.due),
            ("2026-12", d(2026, 12, 1), d(2026, 12, 31), None)
        );
        let p = Scheduled::WeeklyQa.latest_period(d(2026, 12, 7));
        assert_eq!(
            (p.key.as_str(), p.from, p.to),
            ("2026-W49", d(2026, 11, 30), d(2026, 12, 6))
        );
        // Any day of the next week names the same week.
        assert_eq!(
            Scheduled::WeeklyBulletin.latest_period(d(2026, 12, 13)).key,
            "2026-W49"
        );
        // The ISO year of a week that begins in December.
        assert_eq!(
            Scheduled::WeeklyQa.latest_period(d(2027, 1, 4)).key,
            "2026-W53"
        );
    }

    #[test]
    fn every_metric_has_a_section_and_a_measure() {
        for m in Metric::ALL {
            let _ = (m.section(), m.measure());
            assert_eq!(Metric::from_code(m.code()), Some(*m));
        }
    }
}
