//! Complaints (投诉闭环): the registration form of the handbook's document 13 (company,
//! address, phone, cause, what the customer wants, severity, the recorder's signature and
//! the agent's restatement confirmed by the customer), handling rounds, the callback that
//! decides whether the customer is satisfied, the close rule and the root-cause tree.
//!
//! A complaint closes only when the latest round's callback found the customer
//! satisfied, or a manager closes it with a written reason; a dissatisfied callback sends
//! it back to handling as a new round. These rules are pure functions here; the store
//! applies them inside its transactions.

use crate::phone::PhoneNumber;
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;

code_enum!(
    /// How serious a complaint is (一般 / 重大 / 紧急). Major and urgent complaints are
    /// "serious": they go to the manager at once (document 13: 严重情况下向领导汇报).
    Severity {
        /// 一般
        General = "general",
        /// 重大
        Major = "major",
        /// 紧急
        Urgent = "urgent",
    }
);

impl Severity {
    pub fn is_serious(self) -> bool {
        matches!(self, Severity::Major | Severity::Urgent)
    }
}

code_enum!(
    /// What the callback after a round of handling found (回访结果).
    CallbackOutcome {
        /// 满意: the complaint may close.
        Satisfied = "satisfied",
        /// 不满意: handling continues in a new round.
        Dissatisfied = "dissatisfied",
    }
);

code_enum!(
    /// Where a complaint stands; kept on the complaint for the archive's filter.
    Stage {
        /// The current round is being handled by the responsible department.
        Handling = "handling",
        /// Handling recorded; the callback is due.
        AwaitingCallback = "awaiting_callback",
        /// Closed: a satisfied callback, or a manager's written decision.
        Closed = "closed",
    }
);

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_COMPANY_CHARS: usize = 200;
pub const MAX_ADDRESS_CHARS: usize = 300;
pub const MAX_TEXT_CHARS: usize = 5_000;
pub const MAX_CAUSE_NAME_CHARS: usize = 60;
/// Root-cause categories nest at most this deep (产品质量 → 功能故障 → 死机).
pub const MAX_CAUSE_DEPTH: usize = 3;

/// A field of a complaint that was refused: the field, a stable code and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, code: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        code,
        message: message.into(),
    }
}

/// Required text: trimmed, not empty, at most `max` characters.
pub fn required_text(field: &'static str, raw: &str, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(refuse(field, "required", format!("{field} is required")));
    }
    if s.chars().count() > max {
        return Err(refuse(
            field,
            "too_long",
            format!("{field} is longer than {max} characters"),
        ));
    }
    Ok(s.to_string())
}

/// Optional text: blank is none; otherwise at most `max` characters.
pub fn optional_text(
    field: &'static str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => required_text(field, s, max).map(Some),
    }
}

/// The registration form as typed.
#[derive(Debug, Clone, Default)]
pub struct RawForm<'a> {
    /// Who complains (投诉人).
    pub complainant: &'a str,
    pub company: Option<&'a str>,
    pub address: Option<&'a str>,
    pub phone: &'a str,
    /// What happened, in the customer's words (投诉原因).
    pub cause: &'a str,
    /// What the customer wants (客户诉求).
    pub desired_outcome: &'a str,
    pub severity: &'a str,
    /// The agent's restatement of the problem (复述).
    pub restatement: Option<&'a str>,
    /// The customer confirmed the restatement.
    pub restatement_confirmed: bool,
}

/// A checked registration form. The recorder (记录人签名) is whoever registers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub complainant: String,
    pub company: Option<String>,
    pub address: Option<String>,
    pub phone: PhoneNumber,
    pub cause: String,
    pub desired_outcome: String,
    pub severity: Severity,
    pub restatement: Option<String>,
    pub restatement_confirmed: bool,
}

/// Checks the form field by field, in the order it is filled in.
pub fn parse_form(raw: &RawForm<'_>) -> Result<Form, FieldError> {
    let complainant = required_text("complainant", raw.complainant, MAX_NAME_CHARS)?;
    let company = optional_text("company", raw.company, MAX_COMPANY_CHARS)?;
    let address = optional_text("address", raw.address, MAX_ADDRESS_CHARS)?;
    if raw.phone.trim().is_empty() {
        return Err(refuse("phone", "required", "phone is required"));
    }
    let phone = PhoneNumber::parse(raw.phone)
        .map_err(|e| refuse("phone", "invalid_phone", e.to_string()))?;
    let cause = required_text("cause", raw.cause, MAX_TEXT_CHARS)?;
    let desired_outcome = required_text("desired_outcome", raw.desired_outcome, MAX_TEXT_CHARS)?;
    let severity = parse_severity(raw.severity)?;
    let restatement = optional_text("restatement", raw.restatement, MAX_TEXT_CHARS)?;
    if raw.restatement_confirmed && restatement.is_none() {
        return Err(refuse(
            "restatement",
            "required",
            "the customer can only confirm a restatement that was written down",
        ));
    }
    Ok(Form {
        complainant,
        company,
        address,
        phone,
        cause,
        desired_outcome,
        severity,
        restatement,
        restatement_confirmed: raw.restatement_confirmed,
    })
}

pub fn parse_severity(raw: &str) -> Result<Severity, FieldError> {
    match raw.trim() {
        "" => Err(refuse("severity", "required", "severity is required")),
        code => Severity::from_code(code).ok_or_else(|| {
            refuse(
                "severity",
                "invalid_severity",
                format!("unknown severity {code}; use general, major or urgent"),
            )
        }),
    }
}

/// What the rules need to know about a complaint's latest round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundFacts {
    pub number: i64,
    pub handled: bool,
    pub outcome: Option<CallbackOutcome>,
}

/// Why a step of the loop was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the complaint is closed; reopen the ticket to handle it again")]
    Closed,
    #[error("this round's handling is already recorded; wait for the callback")]
    AlreadyHandled,
    #[error("record the responsible department's handling before the callback")]
    NotHandled,
    #[error("this round's callback is already recorded")]
    CallbackRecorded,
    #[error("a complaint closes only after a callback finds the customer satisfied")]
    NotSatisfied,
    #[error("closing without a satisfied callback needs a written reason")]
    ReasonRequired,
    #[error("the root-cause category must be set before handling is recorded")]
    CauseRequired,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Closed => "complaint_closed",
            Refusal::AlreadyHandled => "already_handled",
            Refusal::NotHandled => "not_handled",
            Refusal::CallbackRecorded => "callback_recorded",
            Refusal::NotSatisfied => "complaint_not_satisfied",
            Refusal::ReasonRequired => "close_reason_required",
            Refusal::CauseRequired => "cause_required",
        }
    }

    /// Refusals about the request itself (422); the others are about the complaint's
    /// state (409).
    pub fn is_invalid_input(self) -> bool {
        matches!(
            self,
            Refusal::NotSatisfied | Refusal::ReasonRequired | Refusal::CauseRequired
        )
    }
}

/// May the responsible department record its handling of the current round?
pub fn may_handle(stage: Stage, round: &RoundFacts, has_cause: bool) -> Result<(), Refusal> {
    if stage == Stage::Closed {
        return Err(Refusal::Closed);
    }
    if round.handled {
        return Err(Refusal::AlreadyHandled);
    }
    if !has_cause {
        return Err(Refusal::CauseRequired);
    }
    Ok(())
}

/// What follows a callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterCallback {
    /// The customer is satisfied: the complaint closes.
    Close,
    /// Not satisfied: back to handling as round `n`.
    NewRound(i64),
}

/// May the callback be recorded, and what follows it?
pub fn callback(
    stage: Stage,
    round: &RoundFacts,
    outcome: CallbackOutcome,
) -> Result<AfterCallback, Refusal> {
    if stage == Stage::Closed {
        return Err(Refusal::Closed);
    }
    if !round.handled {
        return Err(Refusal::NotHandled);
    }
    if round.outcome.is_some() {
        return Err(Refusal::CallbackRecorded);
    }
    Ok(match outcome {
        CallbackOutcome::Satisfied => AfterCallback::Close,
        CallbackOutcome::Dissatisfied => AfterCallback::NewRound(round.number + 1),
    })
}

/// How a complaint may be closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closing {
    /// The latest callback found the customer satisfied.
    Satisfied,
    /// A manager's decision with its written reason (trimmed).
    Override { reason: String },
}

/// The close rule: closable when the latest round's callback is satisfied, or when the
/// actor may override (the manager, `complaint.close_override`) and writes a reason.
pub fn may_close(
    stage: Stage,
    latest: &RoundFacts,
    can_override: bool,
    reason: Option<&str>,
) -> Result<Closing, Refusal> {
    if stage == Stage::Closed {
        return Err(Refusal::Closed);
    }
    if latest.outcome == Some(CallbackOutcome::Satisfied) {
        return Ok(Closing::Satisfied);
    }
    if !can_override {
        return Err(Refusal::NotSatisfied);
    }
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) if r.chars().count() <= MAX_TEXT_CHARS => Ok(Closing::Override {
            reason: r.to_string(),
        }),
        _ => Err(Refusal::ReasonRequired),
    }
}

/// Whether the ordinary ticket close may close a complaint ticket: only after a
/// satisfied callback, or once a manager's override is recorded for the round.
pub fn ticket_close_allowed(latest: Option<CallbackOutcome>, override_recorded: bool) -> bool {
    override_recorded || latest == Some(CallbackOutcome::Satisfied)
}

/// Why a change to the root-cause tree was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CauseTreeError {
    #[error("a category cannot be placed under itself or its own subcategories")]
    Cycle,
    #[error("root-cause categories nest at most {MAX_CAUSE_DEPTH} levels deep")]
    TooDeep,
}

impl CauseTreeError {
    pub fn code(self) -> &'static str {
        match self {
            CauseTreeError::Cycle => "cause_cycle",
            CauseTreeError::TooDeep => "cause_too_deep",
        }
    }
}

/// Checks placing `category` (`None` for a new one) under `new_parent` (`None`: a root).
/// `parents` maps every existing category to its parent.
pub fn check_cause_parent(
    category: Option<&str>,
    new_parent: Option<&str>,
    parents: &HashMap<String, Option<String>>,
) -> Result<(), CauseTreeError> {
    // Levels from the root down to the new parent (0 for a root category).
    let mut above = 0;
    let mut cursor = new_parent.map(str::to_string);
    while let Some(current) = cursor {
        if Some(current.as_str()) == category {
            return Err(CauseTreeError::Cycle);
        }
        above += 1;
        if above > parents.len() + 1 {
            return Err(CauseTreeError::Cycle); // a broken stored tree: refuse, never loop
        }
        cursor = parents.get(&current).cloned().flatten();
    }
    let height = category.map_or(1, |c| subtree_height(c, parents));
    if above + height > MAX_CAUSE_DEPTH {
        return Err(CauseTreeError::TooDeep);
    }
    Ok(())
}

/// Levels of the subtree rooted at `category` (1 for a leaf).
fn subtree_height(category: &str, parents: &HashMap<String, Option<String>>) -> usize {
    let mut height = 1;
    let mut level = vec![category.to_string()];
    while !level.is_empty() && height <= parents.len() {
        level = parents
            .iter()
            .filter(|(_, p)| p.as_ref().is_some_and(|p| level.contains(p)))
            .map(|(id, _)| id.clone())
            .collect();
        if !level.is_empty() {
            height += 1;
        }
    }
    height
}

/// A root-cause category name: trimmed, one line, 1–60 characters.
pub fn parse_cause_name(raw: &str) -> Result<String, FieldError> {
    let name = required_text("name", raw, MAX_CAUSE_NAME_CHARS)?;
    if name.chars().any(char::is_control) {
        return Err(refuse("name", "invalid_name", "the name must be one line"));
    }
    Ok(name)
}

/// A calendar month as typed (`2026-11`): its first day and the first day of the next.
pub fn parse_month(raw: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (y, m) = raw.trim().split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let first = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)?
    };
    Some((first, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> RawForm<'static> {
        RawForm {
            complainant: " 王芳 ",
            company: Some("上海某贸易有限公司"),
            address: Some(" "),
            phone: "+86 138-0013-8000",
            cause: "快递三天未送达，包装破损",
            desired_outcome: "退款并道歉",
            severity: "major",
            restatement: Some("您反映订单三天未送达且包装破损，希望退款并道歉，对吗？"),
            restatement_confirmed: true,
        }
    }

    #[test]
    fn the_form_is_checked_field_by_field() {
        let f = parse_form(&form()).unwrap();
        assert_eq!(f.complainant, "王芳");
        assert_eq!(f.address, None, "a blank address is none");
        assert_eq!(f.phone.as_str(), "13800138000");
        assert_eq!(f.severity, Severity::Major);
        assert!(f.severity.is_serious() && Severity::Urgent.is_serious());
        assert!(!Severity::General.is_serious());

        let err = |raw: RawForm<'static>| parse_form(&raw).unwrap_err();
        let e = err(RawForm {
            phone: "12",
            ..form()
        });
        assert_eq!((e.field, e.code), ("phone", "invalid_phone"));
        let e = err(RawForm {
            phone: " ",
            ..form()
        });
        assert_eq!((e.field, e.code), ("phone", "required"));
        let e = err(RawForm {
            cause: "  ",
            ..form()
        });
        assert_eq!((e.field, e.code), ("cause", "required"));
        let e = err(RawForm {
            desired_outcome: "",
            ..form()
        });
        assert_eq!(e.field, "desired_outcome");
        let e = err(RawForm {
            severity: "big",
            ..form()
        });
        assert_eq!((e.field, e.code), ("severity", "invalid_severity"));
        let e = err(RawForm {
            complainant: "",
            ..form()
        });
        assert_eq!(e.field, "complainant");
        let long = "长".repeat(MAX_ADDRESS_CHARS + 1);
        let e = parse_form(&RawForm {
            address: Some(&long),
            ..form()
        })
        .unwrap_err();
        assert_eq!((e.field, e.code), ("address", "too_long"));
        let e = err(RawForm {
            restatement: None,
            ..form()
        });
        assert_eq!(
            (e.field, e.code),
            ("restatement", "required"),
            "confirming needs a restatement"
        );
    }

    fn round(number: i64, handled: bool, outcome: Option<CallbackOutcome>) -> RoundFacts {
        RoundFacts {
            number,
            handled,
            outcome,
        }
    }

    #[test]
    fn the_loop_handles_then_calls_back() {
        use CallbackOutcome::*;
        let fresh = round(1, false, None);
        assert_eq!(
            may_handle(Stage::Handling, &fresh, false),
            Err(Refusal::CauseRequired)
        );
        assert_eq!(may_handle(Stage::Handling, &fresh, true), Ok(()));
        assert_eq!(
            callback(Stage::Handling, &fresh, Satisfied),
            Err(Refusal::NotHandled)
        );
        let handled = round(1, true, None);
        assert_eq!(
            may_handle(Stage::AwaitingCallback, &handled, true),
            Err(Refusal::AlreadyHandled)
        );
        assert_eq!(
            callback(Stage::AwaitingCallback, &handled, Dissatisfied),
            Ok(AfterCallback::NewRound(2))
        );
        assert_eq!(
            callback(Stage::AwaitingCallback, &handled, Satisfied),
            Ok(AfterCallback::Close)
        );
        assert_eq!(
            callback(
                Stage::AwaitingCallback,
                &round(1, true, Some(Satisfied)),
                Satisfied
            ),
            Err(Refusal::CallbackRecorded)
        );
        assert_eq!(
            callback(Stage::Closed, &handled, Satisfied),
            Err(Refusal::Closed)
        );
    }

    #[test]
    fn only_a_satisfied_callback_or_a_manager_with_a_reason_closes() {
        use CallbackOutcome::*;
        let open = round(2, true, Some(Dissatisfied));
        assert_eq!(
            may_close(Stage::Handling, &open, false, Some("客户不再联系")),
            Err(Refusal::NotSatisfied),
            "an agent cannot close, reason or not"
        );
        assert_eq!(
            may_close(Stage::Handling, &open, true, Some("  ")),
            Err(Refusal::ReasonRequired)
        );
        assert_eq!(
            may_close(Stage::Handling, &open, true, None),
            Err(Refusal::ReasonRequired)
        );
        assert_eq!(
            may_close(Stage::Handling, &open, true, Some(" 客户拒绝继续沟通 ")),
            Ok(Closing::Override {
                reason: "客户拒绝继续沟通".into()
            })
        );
        let satisfied = round(2, true, Some(Satisfied));
        assert_eq!(
            may_close(Stage::AwaitingCallback, &satisfied, false, None),
            Ok(Closing::Satisfied)
        );
        assert_eq!(
            may_close(Stage::Closed, &satisfied, true, Some("x")),
            Err(Refusal::Closed)
        );
        assert!(ticket_close_allowed(Some(Satisfied), false));
        assert!(!ticket_close_allowed(Some(Dissatisfied), false));
        assert!(!ticket_close_allowed(None, false));
        assert!(ticket_close_allowed(None, true));
        assert_eq!(Refusal::NotSatisfied.code(), "complaint_not_satisfied");
        assert!(Refusal::ReasonRequired.is_invalid_input());
        assert!(!Refusal::Closed.is_invalid_input());
    }

    fn tree() -> HashMap<String, Option<String>> {
        // 产品质量 → 功能故障 → 死机; 服务态度 (a root, no children)
        [
            ("quality", None),
            ("fault", Some("quality")),
            ("freeze", Some("fault")),
            ("attitude", None),
        ]
        .into_iter()
        .map(|(k, p)| (k.to_string(), p.map(str::to_string)))
        .collect()
    }

    #[test]
    fn the_cause_tree_has_no_cycles_and_a_depth_limit() {
        let t = tree();
        assert_eq!(check_cause_parent(None, None, &t), Ok(()));
        assert_eq!(check_cause_parent(None, Some("fault"), &t), Ok(()));
        assert_eq!(
            check_cause_parent(None, Some("freeze"), &t),
            Err(CauseTreeError::TooDeep)
        );
        assert_eq!(
            check_cause_parent(Some("quality"), Some("freeze"), &t),
            Err(CauseTreeError::Cycle)
        );
        assert_eq!(
            check_cause_parent(Some("fault"), Some("fault"), &t),
            Err(CauseTreeError::Cycle)
        );
        assert_eq!(
            check_cause_parent(Some("fault"), Some("attitude"), &t),
            Ok(()),
            "a two-level subtree under a root fits"
        );
        assert_eq!(
            check_cause_parent(Some("quality"), Some("attitude"), &t),
            Err(CauseTreeError::TooDeep),
            "a three-level subtree under a root does not"
        );
        assert_eq!(check_cause_parent(Some("freeze"), None, &t), Ok(()));
        let mut broken = t.clone();
        broken.insert("quality".into(), Some("freeze".into()));
        assert_eq!(
            check_cause_parent(None, Some("fault"), &broken),
            Err(CauseTreeError::Cycle),
            "a cyclic stored tree is refused, not walked forever"
        );
        assert_eq!(parse_cause_name(" 物流配送 ").unwrap(), "物流配送");
        assert_eq!(parse_cause_name("a\nb").unwrap_err().code, "invalid_name");
        assert!(parse_cause_name("").is_err());
    }

    #[test]
    fn months_parse_to_their_bounds() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            parse_month("2026-11"),
            Some((d(2026, 11, 1), d(2026, 12, 1)))
        );
        assert_eq!(
            parse_month("2026-12"),
            Some((d(2026, 12, 1), d(2027, 1, 1)))
        );
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("2026-1"), None);
        assert_eq!(parse_month("nov"), None);
    }

    #[test]
    fn codes_round_trip() {
        for s in Severity::ALL {
            assert_eq!(Severity::from_code(s.code()), Some(*s));
        }
        for s in Stage::ALL {
            assert_eq!(Stage::from_code(s.code()), Some(*s));
        }
        assert_eq!(CallbackOutcome::from_code("meh"), None);
    }
}
