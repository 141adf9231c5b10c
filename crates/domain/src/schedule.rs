//! Shift operations (排班): the scheduling settings, shift templates, each scheduled agent's
//! hard rules, and the lifecycles of leave and swap requests. The optimizer and Erlang C live
//! in the `kefu-wfm` crate; these are the rules the center configures and the requests'
//! state machines, checked here so the store and the server never re-implement them.
//!
//! Handbook document 10: four people, shifts a 09:00–17:00 and b 12:00–20:00 on site and c
//! 20:00–22:00 on call from home cover 09:00–24:00 every day; nobody skips a shift without a
//! colleague who agrees to take it, and both can prove the agreement.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ScheduleError {
    ScheduleError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A queue the center staffs (e.g. 咨询, 投诉): its average handling time and which contacts
/// make its volume (calls of the named CTI queues — all calls when empty — and web chats).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSetting {
    pub name: String,
    pub aht_seconds: u32,
    #[serde(default)]
    pub call_queues: Vec<String>,
    #[serde(default)]
    pub chats: bool,
}

/// The service-level target Erlang C staffs for: e.g. 80 % answered within 15 s (three
/// rings, handbook document 13), 30 % shrinkage, at most 85 % occupancy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTarget {
    pub service_level: f64,
    pub answer_seconds: u32,
    pub shrinkage: f64,
    pub max_occupancy: f64,
}

impl ServiceTarget {
    /// The service level reached: the share of `offered` contacts answered within
    /// `answer_seconds` (those abandoned count against it); `None` before any was offered.
    pub fn reached(answered_in_target: i64, offered: i64) -> Option<f64> {
        (offered > 0).then(|| answered_in_target.clamp(0, offered) as f64 / offered as f64)
    }

    /// Whether a reached service level meets this target.
    pub fn met_by(&self, reached: f64) -> bool {
        reached + 1e-9 >= self.service_level
    }
}

/// A standing requirement: at least `agents` on `queue` from `start_minute` to `end_minute`
/// (minutes of the day, end up to 1440) on the given weekdays (1 = Monday … 7 = Sunday).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageRule {
    pub queue: String,
    pub weekdays: Vec<u8>,
    pub start_minute: u32,
    pub end_minute: u32,
    pub agents: u32,
}

/// A planner's correction to the forecast (人工调整): contacts of `queue` (`*` for every
/// queue) on `date` (`YYYY-MM-DD`) from `start_minute` to `end_minute` multiplied by
/// `factor` — 1.5 for a promotion day, 0.6 for a quiet holiday eve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastAdjustment {
    pub date: String,
    pub queue: String,
    pub start_minute: u32,
    pub end_minute: u32,
    pub factor: f64,
}

impl ForecastAdjustment {
    /// Whether it applies to the queue named `queue`.
    pub fn applies_to(&self, queue: &str) -> bool {
        self.queue == "*" || self.queue == queue
    }

    /// The day it changes.
    pub fn day(&self) -> Option<chrono::NaiveDate> {
        chrono::NaiveDate::parse_from_str(&self.date, "%Y-%m-%d").ok()
    }
}

/// The scheduling settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSettings {
    /// 15, 30 or 60.
    pub interval_minutes: u32,
    pub queues: Vec<QueueSetting>,
    pub target: ServiceTarget,
    pub coverage: Vec<CoverageRule>,
    /// Add the forecast's required agents (Erlang C over the last `forecast_weeks` weeks of
    /// calls and chats) to the standing coverage rules: the requirement is the larger of both.
    pub use_forecast: bool,
    pub forecast_weeks: u32,
    /// The rotation cycle in weeks (the handbook's three weeks); 0 for none.
    pub rotation_weeks: u32,
    /// A shift ending after this minute counts as an evening for fairness.
    pub evening_after_minute: u32,
    /// How long the solver may search when a roster is generated.
    pub solver_seconds: u32,
    /// Corrections to the forecast for known events.
    #[serde(default)]
    pub adjustments: Vec<ForecastAdjustment>,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        ScheduleSettings {
            interval_minutes: 30,
            queues: vec![QueueSetting {
                name: "咨询".into(),
                aht_seconds: 240,
                call_queues: Vec::new(),
                chats: true,
            }],
            target: ServiceTarget {
                service_level: 0.8,
                answer_seconds: 15,
                shrinkage: 0.3,
                max_occupancy: 0.85,
            },
            // Handbook document 10: 09:00–24:00 every day of the week.
            coverage: vec![CoverageRule {
                queue: "咨询".into(),
                weekdays: (1..=7).collect(),
                start_minute: 9 * 60,
                end_minute: 24 * 60,
                agents: 1,
            }],
            use_forecast: false,
            forecast_weeks: 8,
            rotation_weeks: 3,
            evening_after_minute: 19 * 60,
            solver_seconds: 5,
            adjustments: Vec::new(),
        }
    }
}

impl ScheduleSettings {
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if ![15, 30, 60].contains(&self.interval_minutes) {
            return Err(invalid("interval_minutes", "must be 15, 30 or 60"));
        }
        if self.queues.is_empty() {
            return Err(invalid("queues", "at least one queue"));
        }
        let mut names = std::collections::BTreeSet::new();
        for q in &self.queues {
            if q.name.trim().is_empty() || q.name.chars().count() > 40 {
                return Err(invalid("queues", "a queue needs a name of 1–40 characters"));
            }
            if !names.insert(q.name.as_str()) {
                return Err(invalid("queues", format!("queue {} appears twice", q.name)));
            }
            if !(10..=7200).contains(&q.aht_seconds) {
                return Err(invalid("queues", "handling time must be 10–7200 seconds"));
            }
        }
        let t = &self.target;
        if !(t.service_level > 0.0 && t.service_level < 1.0) {
            return Err(invalid("target", "service level must be between 0 and 1"));
        }
        if !(1..=600).contains(&t.answer_seconds) {
            return Err(invalid("target", "answer time must be 1–600 seconds"));
        }
        if !(0.0..0.9).contains(&t.shrinkage) {
            return Err(invalid("target", "shrinkage must be 0 to 0.9"));
        }
        if !(t.max_occupancy > 0.0 && t.max_occupancy <= 1.0) {
            return Err(invalid("target", "maximum occupancy must be in (0, 1]"));
        }
        for r in &self.coverage {
            if !names.contains(r.queue.as_str()) {
                return Err(invalid(
                    "coverage",
                    format!("queue {} is not configured", r.queue),
                ));
            }
            if r.weekdays.is_empty() || r.weekdays.iter().any(|d| !(1..=7).contains(d)) {
                return Err(invalid("coverage", "weekdays are 1 (Monday) to 7 (Sunday)"));
            }
            if r.start_minute >= r.end_minute || r.end_minute > 1440 {
                return Err(invalid("coverage", "a period runs from 00:00 up to 24:00"));
            }
            if r.start_minute % self.interval_minutes != 0
                || r.end_minute % self.interval_minutes != 0
            {
                return Err(invalid(
                    "coverage",
                    "a period must start and end on an interval boundary",
                ));
            }
            if r.agents == 0 || r.agents > 1000 {
                return Err(invalid("coverage", "agents must be 1–1000"));
            }
        }
        if !(1..=52).contains(&self.forecast_weeks) {
            return Err(invalid("forecast_weeks", "must be 1–52"));
        }
        if self.rotation_weeks > 8 {
            return Err(invalid("rotation_weeks", "must be 0–8"));
        }
        if self.evening_after_minute > 1440 {
            return Err(invalid("evening_after_minute", "a minute of the day"));
        }
        if !(1..=120).contains(&self.solver_seconds) {
            return Err(invalid("solver_seconds", "must be 1–120"));
        }
        for a in &self.adjustments {
            if a.day().is_none() {
                return Err(invalid("adjustments", "a date is YYYY-MM-DD"));
            }
            if a.queue != "*" && !names.contains(a.queue.as_str()) {
                return Err(invalid(
                    "adjustments",
                    format!("queue {} is not configured", a.queue),
                ));
            }
            if a.start_minute >= a.end_minute
                || a.end_minute > 1440
                || a.start_minute % self.interval_minutes != 0
                || a.end_minute % self.interval_minutes != 0
            {
                return Err(invalid(
                    "adjustments",
                    "a period runs between interval boundaries, from 00:00 up to 24:00",
                ));
            }
            if !(0.0..=10.0).contains(&a.factor) {
                return Err(invalid("adjustments", "a factor is 0 to 10"));
            }
        }
        Ok(())
    }
}

/// A break inside a shift, from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftBreak {
    pub offset_minutes: u32,
    pub minutes: u32,
}

/// A shift template as the center defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftTemplateSpec {
    pub code: String,
    pub name: String,
    pub start_minute: u32,
    pub length_minutes: u32,
    #[serde(default)]
    pub breaks: Vec<ShiftBreak>,
    #[serde(default)]
    pub on_call: bool,
    /// `#rrggbb`, the color of the shift in the grid.
    pub color: String,
}

impl ShiftTemplateSpec {
    pub fn validate(&self) -> Result<(), ScheduleError> {
        let code_ok = !self.code.is_empty()
            && self.code.chars().count() <= 8
            && self.code.chars().all(|c| c.is_alphanumeric() || c == '-');
        if !code_ok {
            return Err(invalid("code", "1–8 letters or digits"));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 40 {
            return Err(invalid("name", "1–40 characters"));
        }
        if self.start_minute >= 1440 {
            return Err(invalid("start_minute", "a minute of the day (0–1439)"));
        }
        if !(30..=16 * 60).contains(&self.length_minutes) {
            return Err(invalid("length_minutes", "30 minutes to 16 hours"));
        }
        let mut end_of_last = 0;
        for b in &self.breaks {
            if b.minutes == 0
                || b.offset_minutes < end_of_last
                || b.offset_minutes + b.minutes > self.length_minutes
            {
                return Err(invalid(
                    "breaks",
                    "breaks lie inside the shift, in order, without overlapping",
                ));
            }
            end_of_last = b.offset_minutes + b.minutes;
        }
        let hex = self.color.strip_prefix('#').unwrap_or("");
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid("color", "a color as #rrggbb"));
        }
        Ok(())
    }

    /// Minutes worked (length minus breaks).
    pub fn worked_minutes(&self) -> u32 {
        self.length_minutes - self.breaks.iter().map(|b| b.minutes).sum::<u32>()
    }
}

/// A scheduled agent's hard rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentRules {
    /// Queue names the agent is skilled for.
    pub queues: Vec<String>,
    pub contract_week_minutes: u32,
    pub max_week_minutes: u32,
    pub max_consecutive_days: u32,
    pub min_rest_minutes: u32,
    pub on_site: bool,
    pub on_call: bool,
    /// Template codes the agent may work; empty for all.
    #[serde(default)]
    pub templates: Vec<String>,
}

impl Default for AgentRules {
    fn default() -> Self {
        AgentRules {
            queues: vec!["咨询".into()],
            contract_week_minutes: 40 * 60,
            max_week_minutes: 44 * 60,
            max_consecutive_days: 6,
            min_rest_minutes: 11 * 60,
            on_site: true,
            on_call: true,
            templates: Vec::new(),
        }
    }
}

impl AgentRules {
    pub fn validate(&self, settings: &ScheduleSettings) -> Result<(), ScheduleError> {
        if self.queues.is_empty() {
            return Err(invalid("queues", "at least one queue"));
        }
        if let Some(q) = self
            .queues
            .iter()
            .find(|q| !settings.queues.iter().any(|s| &s.name == *q))
        {
            return Err(invalid("queues", format!("queue {q} is not configured")));
        }
        if self.max_week_minutes > 80 * 60 || self.contract_week_minutes > self.max_week_minutes {
            return Err(invalid(
                "max_week_minutes",
                "contracted ≤ maximum ≤ 80 hours a week",
            ));
        }
        if !(1..=14).contains(&self.max_consecutive_days) {
            return Err(invalid("max_consecutive_days", "must be 1–14"));
        }
        if self.min_rest_minutes > 24 * 60 {
            return Err(invalid("min_rest_minutes", "at most 24 hours"));
        }
        if !self.on_site && !self.on_call {
            return Err(invalid(
                "on_site",
                "an agent works on site, on call or both",
            ));
        }
        Ok(())
    }
}

/// Leave kinds (请假).
pub const LEAVE_KINDS: &[&str] = &["annual", "sick", "personal", "compensatory", "other"];

/// Where a leave request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

/// Where a swap request stands: proposed → accepted (the colleague agrees) → approved or
/// rejected (the shift lead); the colleague may decline, the requester may cancel before
/// the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SwapStatus {
    Proposed,
    Accepted,
    Declined,
    Approved,
    Rejected,
    Cancelled,
}

macro_rules! status_codes {
    ($t:ty { $($v:ident = $c:literal),* }) => {
        impl $t {
            pub fn code(self) -> &'static str {
                match self { $(Self::$v => $c,)* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($c => Some(Self::$v),)* _ => None }
            }
        }
    };
}
status_codes!(LeaveStatus { Pending = "pending", Approved = "approved", Rejected = "rejected", Cancelled = "cancelled" });
status_codes!(SwapStatus { Proposed = "proposed", Accepted = "accepted", Declined = "declined", Approved = "approved", Rejected = "rejected", Cancelled = "cancelled" });

/// What someone does to a swap request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapStep {
    Accept,
    Decline,
    Approve,
    Reject,
    Cancel,
}

impl SwapStatus {
    /// The status after `step`, or `None` when the step is not possible from here.
    pub fn after(self, step: SwapStep) -> Option<SwapStatus> {
        use SwapStatus::*;
        use SwapStep::*;
        match (self, step) {
            (Proposed, Accept) => Some(Accepted),
            (Proposed, Decline) => Some(Declined),
            (Accepted, Approve) => Some(Approved),
            (Accepted, Reject) => Some(Rejected),
            (Proposed | Accepted, Cancel) => Some(Cancelled),
            _ => None,
        }
    }
}

impl LeaveStatus {
    pub fn decide(self, approve: bool) -> Option<LeaveStatus> {
        match self {
            LeaveStatus::Pending if approve => Some(LeaveStatus::Approved),
            LeaveStatus::Pending => Some(LeaveStatus::Rejected),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_handbook_and_valid() {
        let s = ScheduleSettings::default();
        s.validate().unwrap();
        assert_eq!(s.coverage[0].start_minute, 540);
        assert_eq!(s.coverage[0].end_minute, 1440);
        AgentRules::default().validate(&s).unwrap();
    }

    #[test]
    fn service_level_reached_and_met() {
        assert_eq!(ServiceTarget::reached(0, 0), None);
        assert_eq!(ServiceTarget::reached(8, 10), Some(0.8));
        assert_eq!(ServiceTarget::reached(12, 10), Some(1.0), "never above all");
        let target = ScheduleSettings::default().target;
        assert!(target.met_by(target.service_level));
        assert!(!target.met_by(target.service_level - 0.01));
    }

    #[test]
    fn bad_settings_name_the_field() {
        let s = ScheduleSettings {
            interval_minutes: 20,
            ..Default::default()
        };
        assert!(matches!(
            s.validate(),
            Err(ScheduleError::Invalid {
                field: "interval_minutes",
                ..
            })
        ));
        let mut s = ScheduleSettings::default();
        s.coverage[0].queue = "投诉".into();
        assert!(s.validate().unwrap_err().to_string().contains("投诉"));
        let mut s = ScheduleSettings::default();
        s.coverage[0].start_minute = 545;
        assert!(s.validate().is_err());
    }

    #[test]
    fn forecast_adjustments_are_checked() {
        let promotion = ForecastAdjustment {
            date: "2026-12-12".into(),
            queue: "咨询".into(),
            start_minute: 540,
            end_minute: 720,
            factor: 1.5,
        };
        let with = |a: ForecastAdjustment| ScheduleSettings {
            adjustments: vec![a],
            ..Default::default()
        };
        with(promotion.clone()).validate().unwrap();
        assert!(promotion.applies_to("咨询") && !promotion.applies_to("投诉"));
        let everywhere = ForecastAdjustment {
            queue: "*".into(),
            ..promotion.clone()
        };
        assert!(everywhere.applies_to("投诉"));
        for bad in [
            ForecastAdjustment {
                date: "12/12".into(),
                ..promotion.clone()
            },
            ForecastAdjustment {
                queue: "投诉".into(),
                ..promotion.clone()
            },
            ForecastAdjustment {
                start_minute: 545,
                ..promotion.clone()
            },
            ForecastAdjustment {
                factor: -1.0,
                ..promotion.clone()
            },
        ] {
            let e = with(bad).validate().unwrap_err();
            assert!(
                matches!(
                    e,
                    ScheduleError::Invalid {
                        field: "adjustments",
                        ..
                    }
                ),
                "{e}"
            );
        }
        // Settings stored before adjustments existed still read.
        let mut old = serde_json::to_value(ScheduleSettings::default()).unwrap();
        old.as_object_mut().unwrap().remove("adjustments");
        let read: ScheduleSettings = serde_json::from_value(old).unwrap();
        assert!(read.adjustments.is_empty());
    }

    #[test]
    fn templates_check_breaks_and_color() {
        let mut t = ShiftTemplateSpec {
            code: "a".into(),
            name: "早班".into(),
            start_minute: 540,
            length_minutes: 480,
            breaks: vec![ShiftBreak {
                offset_minutes: 180,
                minutes: 60,
            }],
            on_call: false,
            color: "#4a90d9".into(),
        };
        t.validate().unwrap();
        assert_eq!(t.worked_minutes(), 420);
        t.breaks.push(ShiftBreak {
            offset_minutes: 200,
            minutes: 10,
        });
        assert!(t.validate().is_err(), "overlapping breaks");
        t.breaks.pop();
        t.color = "blue".into();
        assert!(t.validate().is_err());
    }

    #[test]
    fn swap_lifecycle() {
        use SwapStatus::*;
        use SwapStep::*;
        assert_eq!(Proposed.after(Accept), Some(Accepted));
        assert_eq!(Proposed.after(Approve), None, "the colleague agrees first");
        assert_eq!(Accepted.after(Approve), Some(Approved));
        assert_eq!(Approved.after(Cancel), None);
        assert_eq!(Declined.after(Accept), None);
        for s in [Proposed, Accepted, Declined, Approved, Rejected, Cancelled] {
            assert_eq!(SwapStatus::parse(s.code()), Some(s));
        }
        assert_eq!(
            LeaveStatus::Pending.decide(true),
            Some(LeaveStatus::Approved)
        );
        assert_eq!(LeaveStatus::Approved.decide(false), None);
    }
}
