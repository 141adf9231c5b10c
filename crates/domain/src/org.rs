//! The organization (部门设置、岗位职责): departments form a tree, positions belong to a
//! department, carry duties, qualification requirements, a headcount limit and the 兼任
//! rules — which other positions may not be held by the same person (separation of
//! duties, handbook document 4).

mod deliverable;
mod duty;
pub mod occurrence;
mod ratio;
pub mod template;

pub use deliverable::{Deliverable, DeliverableError};
pub use duty::{Cadence, CadenceError, DayOfMonth, Duty, Weekday, MAX_DUTY_CHARS};
pub use ratio::{HeadcountRatio, Quantities, RatioError, Rounding};

use crate::ids::{DepartmentId, PositionId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// Education levels in ascending order, as job descriptions in the handbook state them
/// (高中、大专、本科 …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Education {
    HighSchool,
    Associate,
    Bachelor,
    Master,
    Doctorate,
}

impl Education {
    pub const ALL: &'static [Education] = &[
        Education::HighSchool,
        Education::Associate,
        Education::Bachelor,
        Education::Master,
        Education::Doctorate,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Education::HighSchool => "high_school",
            Education::Associate => "associate",
            Education::Bachelor => "bachelor",
            Education::Master => "master",
            Education::Doctorate => "doctorate",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.code() == code)
    }
}

/// What a position requires of the person who holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Qualifications {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_education: Option<Education>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_years_experience: Option<u32>,
    /// Certificates or titles (职称), e.g. "中级职称", "普通话二级甲等".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<String>,
    /// 具备以下条件之一: when not empty, the person must meet at least one of these
    /// (document 6: 大专以上学历, or 工程师 title, or 3 years in the trade).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub any_of: Vec<Alternative>,
}

/// One condition of a "one of these" qualification rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Alternative {
    /// This education or higher.
    Education(Education),
    /// At least this many years of experience.
    Years(u32),
    /// This certificate or title (职称、职业技能等级).
    Certificate(String),
}

impl Alternative {
    fn met_by(&self, staff: &StaffProfile) -> bool {
        match self {
            Alternative::Education(min) => staff.education.is_some_and(|e| e >= *min),
            Alternative::Years(n) => staff.years_experience >= *n,
            Alternative::Certificate(c) => staff.certificates.contains(c),
        }
    }

    /// The form line: `education associate`, `years 3`, `certificate 工程师`.
    pub fn parse(line: &str) -> Option<Alternative> {
        let (kind, value) = line.trim().split_once(char::is_whitespace)?;
        let value = value.trim();
        match kind {
            "education" => Education::from_code(value).map(Alternative::Education),
            "years" => value.parse().ok().map(Alternative::Years),
            "certificate" if !value.is_empty() => Some(Alternative::Certificate(value.into())),
            _ => None,
        }
    }
}

impl fmt::Display for Alternative {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Alternative::Education(e) => write!(f, "education {}", e.code()),
            Alternative::Years(n) => write!(f, "years {n}"),
            Alternative::Certificate(c) => write!(f, "certificate {c}"),
        }
    }
}

/// What a person brings to a position.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffProfile {
    pub education: Option<Education>,
    pub years_experience: u32,
    pub certificates: Vec<String>,
}

/// The facts about a position that decide whether someone may take it.
#[derive(Debug, Clone)]
pub struct PositionFacts {
    pub id: PositionId,
    pub title: String,
    pub headcount_limit: Option<u32>,
    pub current_holders: u32,
    pub qualifications: Qualifications,
    /// The ratio rule and the count the department (or the nearest ancestor that
    /// records the quantity) holds; `None` count when nobody records it.
    pub ratio: Option<(HeadcountRatio, Option<u64>)>,
}

/// A position someone already holds.
#[derive(Debug, Clone)]
pub struct HeldPosition {
    pub id: PositionId,
    pub title: String,
}

/// Why an assignment is refused. The message names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentViolation {
    #[error("already holds the position {position}")]
    AlreadyHolds { position: String },
    #[error("兼任 rule: {position} may not be held together with {held} by the same person")]
    IncompatiblePositions { position: String, held: String },
    #[error("headcount limit: {position} allows at most {limit} people and is full")]
    HeadcountFull { position: String, limit: u32 },
    #[error("qualification: {position} requires education {required} or higher")]
    EducationTooLow {
        position: String,
        required: &'static str,
    },
    #[error("qualification: {position} requires at least {required} years of experience")]
    NotEnoughExperience { position: String, required: u32 },
    #[error("qualification: {position} requires the certificate {certificate}")]
    MissingCertificate {
        position: String,
        certificate: String,
    },
    #[error("qualification: {position} requires one of: {options}")]
    NoAlternativeMet { position: String, options: String },
    #[error(
        "headcount ratio: {position} allows {holders} per {per} {quantity}; with {count} \
         recorded that is at most {limit} people, and it is full"
    )]
    RatioFull {
        position: String,
        holders: u32,
        per: u32,
        quantity: String,
        count: u64,
        limit: u64,
    },
    #[error(
        "headcount ratio: {position} is staffed per {quantity}, but neither its department \
         nor a parent department records how many {quantity} it manages"
    )]
    RatioQuantityMissing { position: String, quantity: String },
}

impl AssignmentViolation {
    /// Conflicts with the current state (409) versus the person not meeting the rule (422).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            Self::AlreadyHolds { .. }
                | Self::IncompatiblePositions { .. }
                | Self::HeadcountFull { .. }
                | Self::RatioFull { .. }
        )
    }

    /// A stable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AlreadyHolds { .. } => "already_holds_position",
            Self::IncompatiblePositions { .. } => "incompatible_positions",
            Self::HeadcountFull { .. } => "headcount_full",
            Self::RatioFull { .. } => "headcount_ratio_full",
            Self::RatioQuantityMissing { .. } => "ratio_quantity_missing",
            Self::EducationTooLow { .. }
            | Self::NotEnoughExperience { .. }
            | Self::MissingCertificate { .. }
            | Self::NoAlternativeMet { .. } => "qualification_not_met",
        }
    }
}

/// Decides whether `staff`, who already holds `held`, may take `position`.
/// `exclusions` lists pairs of positions that may not be held by one person (symmetric).
pub fn check_assignment(
    position: &PositionFacts,
    held: &[HeldPosition],
    exclusions: &[(PositionId, PositionId)],
    staff: &StaffProfile,
) -> Result<(), AssignmentViolation> {
    if held.iter().any(|h| h.id == position.id) {
        return Err(AssignmentViolation::AlreadyHolds {
            position: position.title.clone(),
        });
    }
    for h in held {
        let excluded = exclusions
            .iter()
            .any(|(a, b)| (*a == position.id && *b == h.id) || (*b == position.id && *a == h.id));
        if excluded {
            return Err(AssignmentViolation::IncompatiblePositions {
                position: position.title.clone(),
                held: h.title.clone(),
            });
        }
    }
    if let Some(limit) = position.headcount_limit {
        if position.current_holders >= limit {
            return Err(AssignmentViolation::HeadcountFull {
                position: position.title.clone(),
                limit,
            });
        }
    }
    if let Some((ratio, count)) = &position.ratio {
        let Some(count) = *count else {
            return Err(AssignmentViolation::RatioQuantityMissing {
                position: position.title.clone(),
                quantity: ratio.quantity.clone(),
            });
        };
        let limit = ratio.limit(count);
        if u64::from(position.current_holders) >= limit {
            return Err(AssignmentViolation::RatioFull {
                position: position.title.clone(),
                holders: ratio.holders,
                per: ratio.per,
                quantity: ratio.quantity.clone(),
                count,
                limit,
            });
        }
    }
    let q = &position.qualifications;
    if !q.any_of.is_empty() && !q.any_of.iter().any(|a| a.met_by(staff)) {
        return Err(AssignmentViolation::NoAlternativeMet {
            position: position.title.clone(),
            options: q
                .any_of
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(" / "),
        });
    }
    if let Some(min) = q.min_education {
        if staff.education.is_none_or(|e| e < min) {
            return Err(AssignmentViolation::EducationTooLow {
                position: position.title.clone(),
                required: min.code(),
            });
        }
    }
    if let Some(min) = q.min_years_experience {
        if staff.years_experience < min {
            return Err(AssignmentViolation::NotEnoughExperience {
                position: position.title.clone(),
                required: min,
            });
        }
    }
    if let Some(missing) = q
        .certificates
        .iter()
        .find(|c| !staff.certificates.contains(c))
    {
        return Err(AssignmentViolation::MissingCertificate {
            position: position.title.clone(),
            certificate: missing.clone(),
        });
    }
    Ok(())
}

/// Whether giving `department` the parent `new_parent` would make the tree a cycle.
/// `parents` maps each department to its current parent.
pub fn would_create_cycle(
    department: &DepartmentId,
    new_parent: &DepartmentId,
    parents: &HashMap<DepartmentId, Option<DepartmentId>>,
) -> bool {
    let mut cursor = Some(new_parent.clone());
    let mut steps = 0;
    while let Some(current) = cursor {
        if &current == department {
            return true;
        }
        steps += 1;
        if steps > parents.len() + 1 {
            return true; // the stored tree is already broken; refuse rather than loop
        }
        cursor = parents.get(&current).cloned().flatten();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(id: &str, limit: Option<u32>, holders: u32) -> PositionFacts {
        PositionFacts {
            id: PositionId(id.into()),
            title: id.to_uppercase(),
            headcount_limit: limit,
            current_holders: holders,
            qualifications: Qualifications::default(),
            ratio: None,
        }
    }

    fn held(id: &str) -> HeldPosition {
        HeldPosition {
            id: PositionId(id.into()),
            title: id.to_uppercase(),
        }
    }

    #[test]
    fn separation_of_duties_is_symmetric() {
        let ex = vec![(
            PositionId("cashier".into()),
            PositionId("accountant".into()),
        )];
        let staff = StaffProfile::default();
        let err = check_assignment(&pos("accountant", None, 0), &[held("cashier")], &ex, &staff)
            .unwrap_err();
        assert_eq!(err.code(), "incompatible_positions");
        assert!(err.to_string().contains("CASHIER"));
        let err = check_assignment(&pos("cashier", None, 0), &[held("accountant")], &ex, &staff)
            .unwrap_err();
        assert!(err.is_conflict());
        assert!(check_assignment(&pos("cashier", None, 0), &[held("clerk")], &ex, &staff).is_ok());
    }

    #[test]
    fn headcount_and_qualifications() {
        let staff = StaffProfile {
            education: Some(Education::Associate),
            years_experience: 2,
            certificates: vec!["普通话二级甲等".into()],
        };
        assert_eq!(
            check_assignment(&pos("lead", Some(1), 1), &[], &[], &staff)
                .unwrap_err()
                .code(),
            "headcount_full"
        );
        let mut p = pos("inspector", None, 0);
        p.qualifications.min_education = Some(Education::Bachelor);
        let err = check_assignment(&p, &[], &[], &staff).unwrap_err();
        assert!(!err.is_conflict());
        p.qualifications.min_education = Some(Education::HighSchool);
        p.qualifications.min_years_experience = Some(3);
        assert_eq!(
            check_assignment(&p, &[], &[], &staff).unwrap_err().code(),
            "qualification_not_met"
        );
        p.qualifications.min_years_experience = Some(2);
        p.qualifications.certificates = vec!["普通话二级甲等".into()];
        assert!(check_assignment(&p, &[], &[], &staff).is_ok());
        assert!(check_assignment(&p, &[held("inspector")], &[], &staff).is_err());
    }

    #[test]
    fn headcount_ratio_is_enforced_and_named() {
        let staff = StaffProfile::default();
        let ratio = HeadcountRatio::new(1, 50, "营运车辆", Rounding::Ceil, 1).unwrap();
        let mut p = pos("vehicle_manager", None, 2);
        p.ratio = Some((ratio.clone(), Some(120)));
        assert!(check_assignment(&p, &[], &[], &staff).is_ok());
        p.current_holders = 3;
        let err = check_assignment(&p, &[], &[], &staff).unwrap_err();
        assert_eq!(err.code(), "headcount_ratio_full");
        assert!(err.is_conflict());
        assert!(
            err.to_string().contains("1 per 50 营运车辆") && err.to_string().contains("120"),
            "{err}"
        );
        p.current_holders = 0;
        p.ratio = Some((ratio.clone(), Some(0)));
        assert!(
            check_assignment(&p, &[], &[], &staff).is_ok(),
            "至少配备1人"
        );
        p.ratio = Some((ratio, None));
        let err = check_assignment(&p, &[], &[], &staff).unwrap_err();
        assert_eq!(err.code(), "ratio_quantity_missing");
        assert!(!err.is_conflict());
        // A fixed limit still applies next to the ratio.
        let mut p = pos("vehicle_manager", Some(1), 1);
        p.ratio = Some((
            HeadcountRatio::new(1, 50, "营运车辆", Rounding::Ceil, 1).unwrap(),
            Some(500),
        ));
        assert_eq!(
            check_assignment(&p, &[], &[], &staff).unwrap_err().code(),
            "headcount_full"
        );
    }

    #[test]
    fn one_of_several_qualifications() {
        // Document 6, 技术负责人: 大专以上学历, or 工程师 title, or 3 years in the trade.
        let mut p = pos("technical_head", None, 0);
        p.qualifications.any_of = vec![
            Alternative::Education(Education::Associate),
            Alternative::Certificate("工程师".into()),
            Alternative::Years(3),
        ];
        let mut staff = StaffProfile {
            education: Some(Education::HighSchool),
            years_experience: 2,
            certificates: vec!["助理工程师".into()],
        };
        let err = check_assignment(&p, &[], &[], &staff).unwrap_err();
        assert_eq!(err.code(), "qualification_not_met");
        assert!(
            err.to_string()
                .contains("education associate / certificate 工程师 / years 3"),
            "{err}"
        );
        staff.years_experience = 3;
        assert!(check_assignment(&p, &[], &[], &staff).is_ok());
        staff.years_experience = 0;
        staff.certificates = vec!["工程师".into()];
        assert!(check_assignment(&p, &[], &[], &staff).is_ok());
        staff.certificates.clear();
        staff.education = Some(Education::Bachelor);
        assert!(check_assignment(&p, &[], &[], &staff).is_ok());
        for line in ["education associate", "years 3", "certificate 工程师"] {
            assert_eq!(Alternative::parse(line).unwrap().to_string(), line);
        }
        assert!(Alternative::parse("education phd").is_none());
        assert!(Alternative::parse("years many").is_none());
        assert!(Alternative::parse("certificate").is_none());
        let q: Qualifications =
            serde_json::from_str(r#"{"any_of": [{"education": "associate"}, {"years": 3}]}"#)
                .unwrap();
        assert_eq!(q.any_of.len(), 2);
        let old: Qualifications = serde_json::from_str(r#"{"min_years_experience": 1}"#).unwrap();
        assert!(old.any_of.is_empty());
    }

    #[test]
    fn department_cycles_are_detected() {
        let d = |s: &str| DepartmentId(s.into());
        let parents: HashMap<_, _> = [
            (d("root"), None),
            (d("a"), Some(d("root"))),
            (d("b"), Some(d("a"))),
        ]
        .into();
        assert!(would_create_cycle(&d("a"), &d("b"), &parents));
        assert!(would_create_cycle(&d("a"), &d("a"), &parents));
        assert!(!would_create_cycle(&d("b"), &d("root"), &parents));
    }
}
