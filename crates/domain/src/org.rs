//! The organization (部门设置、岗位职责): departments form a tree, positions belong to a
//! department, carry duties, qualification requirements, a headcount limit and the 兼任
//! rules — which other positions may not be held by the same person (separation of
//! duties, handbook document 4).

use crate::ids::{DepartmentId, PositionId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
}

impl AssignmentViolation {
    /// Conflicts with the current state (409) versus the person not meeting the rule (422).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            Self::AlreadyHolds { .. }
                | Self::IncompatiblePositions { .. }
                | Self::HeadcountFull { .. }
        )
    }

    /// A stable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AlreadyHolds { .. } => "already_holds_position",
            Self::IncompatiblePositions { .. } => "incompatible_positions",
            Self::HeadcountFull { .. } => "headcount_full",
            Self::EducationTooLow { .. }
            | Self::NotEnoughExperience { .. }
            | Self::MissingCertificate { .. } => "qualification_not_met",
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
    let q = &position.qualifications;
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
