//! Organization templates (组织模板): the department trees, positions, duties with their
//! cadences, qualifications, headcounts and ratios and 兼任 rules of the organizations
//! the handbook describes, one TOML file each under `crates/domain/data/org/`, embedded
//! in the binary. A template is checked completely here, before anything is written;
//! the store then loads a checked [`OrgTemplate`] in one transaction.

use super::{Duty, HeadcountRatio, Qualifications, Quantities};
use crate::Permission;
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

/// The built-in templates: (code, TOML text).
const BUILTIN: &[(&str, &str)] = &[
    (
        "cs-software",
        include_str!("../../data/org/cs-software.toml"),
    ),
    ("cs-wallet", include_str!("../../data/org/cs-wallet.toml")),
    ("cs-group", include_str!("../../data/org/cs-group.toml")),
    ("investment", include_str!("../../data/org/investment.toml")),
    (
        "youth-league",
        include_str!("../../data/org/youth-league.toml"),
    ),
    (
        "vehicle-tech",
        include_str!("../../data/org/vehicle-tech.toml"),
    ),
    (
        "cs-group-crm",
        include_str!("../../data/org/cs-group-crm.toml"),
    ),
    ("cs-telecom", include_str!("../../data/org/cs-telecom.toml")),
    (
        "cs-manufacturer",
        include_str!("../../data/org/cs-manufacturer.toml"),
    ),
    (
        "cs-online-shop",
        include_str!("../../data/org/cs-online-shop.toml"),
    ),
    (
        "cs-property",
        include_str!("../../data/org/cs-property.toml"),
    ),
    (
        "construction",
        include_str!("../../data/org/construction.toml"),
    ),
];

/// Every built-in template, checked (a broken built-in file is a bug the tests catch).
pub fn builtin() -> &'static [OrgTemplate] {
    static PARSED: OnceLock<Vec<OrgTemplate>> = OnceLock::new();
    PARSED.get_or_init(|| {
        BUILTIN
            .iter()
            .map(|(code, text)| {
                OrgTemplate::parse(code, text)
                    .unwrap_or_else(|e| panic!("built-in org template {code}: {e}"))
            })
            .collect()
    })
}

/// The built-in template with this code.
pub fn find(code: &str) -> Option<&'static OrgTemplate> {
    builtin().iter().find(|t| t.code == code)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("template {code}: {message}")]
    Syntax { code: String, message: String },
    #[error("template {code}: {message}")]
    Invalid { code: String, message: String },
}

/// A checked template. Departments come parents first; positions refer to their
/// department by index; exclusions are pairs of indexes into `positions`.
#[derive(Debug, Clone)]
pub struct OrgTemplate {
    pub code: String,
    pub name: String,
    /// The handbook document the template was written from (1 … 20).
    pub document: u32,
    pub source: String,
    pub summary: String,
    pub departments: Vec<TemplateDepartment>,
    pub positions: Vec<TemplatePosition>,
    pub exclusions: Vec<(usize, usize)>,
}

#[derive(Debug, Clone)]
pub struct TemplateDepartment {
    pub name: String,
    pub parent: Option<usize>,
    pub description: Option<String>,
    pub quantities: Quantities,
}

#[derive(Debug, Clone)]
pub struct TemplatePosition {
    pub department: usize,
    pub title: String,
    pub duties: Vec<Duty>,
    pub qualifications: Qualifications,
    pub headcount_limit: Option<u32>,
    pub headcount_ratio: Option<HeadcountRatio>,
    pub permissions: Vec<Permission>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTemplate {
    name: String,
    document: u32,
    source: String,
    summary: String,
    departments: Vec<FileDepartment>,
    #[serde(default)]
    separation: FileSeparation,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDepartment {
    name: String,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    quantities: Quantities,
    #[serde(default)]
    positions: Vec<FilePosition>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePosition {
    title: String,
    #[serde(default)]
    duties: Vec<Duty>,
    #[serde(default)]
    qualifications: Qualifications,
    #[serde(default)]
    headcount_limit: Option<u32>,
    #[serde(default)]
    headcount_ratio: Option<HeadcountRatio>,
    #[serde(default)]
    permissions: Vec<String>,
}

/// 兼任 rules. Positions are named by title, or `部门/岗位` where a title repeats.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileSeparation {
    /// "其他各岗位之间不能兼任": no two positions of the template may be held together…
    #[serde(default)]
    all_positions: bool,
    /// …except within one of these groups ("以下岗位可以兼任").
    #[serde(default)]
    may_combine: Vec<Vec<String>>,
    /// Pairs that may not be held together.
    #[serde(default)]
    pairs: Vec<[String; 2]>,
}

const MAX_NAME_CHARS: usize = 60;

impl OrgTemplate {
    /// Reads and checks a template: names, the tree, references, duties, permissions.
    pub fn parse(code: &str, text: &str) -> Result<OrgTemplate, TemplateError> {
        let file: FileTemplate = toml::from_str(text).map_err(|e| TemplateError::Syntax {
            code: code.to_string(),
            message: e.to_string(),
        })?;
        let invalid = |message: String| TemplateError::Invalid {
            code: code.to_string(),
            message,
        };
        let name_ok = |s: &str| !s.trim().is_empty() && s.chars().count() <= MAX_NAME_CHARS;
        if !name_ok(&file.name)
            || file.source.trim().is_empty()
            || !(1..=20).contains(&file.document)
        {
            return Err(invalid(
                "needs a name (1 to 60 characters), a source and a document number 1 to 20".into(),
            ));
        }
        if file.departments.is_empty() {
            return Err(invalid("has no departments".into()));
        }
        let mut departments: Vec<TemplateDepartment> = Vec::new();
        let mut positions: Vec<TemplatePosition> = Vec::new();
        let mut index_of: HashMap<&str, usize> = HashMap::new();
        for d in &file.departments {
            if !name_ok(&d.name) {
                return Err(invalid(format!(
                    "department name {:?} must be 1 to 60 characters",
                    d.name
                )));
            }
            // A department is named once per template so that `parent` is unambiguous.
            if index_of.contains_key(d.name.as_str()) {
                return Err(invalid(format!("department {} appears twice", d.name)));
            }
            let parent = match &d.parent {
                None => None,
                Some(p) => Some(*index_of.get(p.as_str()).ok_or_else(|| {
                    invalid(format!(
                        "department {}: parent {p} is not a department listed before it",
                        d.name
                    ))
                })?),
            };
            let department = departments.len();
            index_of.insert(d.name.as_str(), department);
            departments.push(TemplateDepartment {
                name: d.name.trim().to_string(),
                parent,
                description: d.description.clone().filter(|s| !s.trim().is_empty()),
                quantities: d.quantities.clone(),
            });
            let mut titles = BTreeSet::new();
            for p in &d.positions {
                if !name_ok(&p.title) {
                    return Err(invalid(format!(
                        "{}: position title {:?} must be 1 to 60 characters",
                        d.name, p.title
                    )));
                }
                if !titles.insert(p.title.as_str()) {
                    return Err(invalid(format!(
                        "{}: position {} appears twice",
                        d.name, p.title
                    )));
                }
                if p.duties.len() > 100 {
                    return Err(invalid(format!("{}: more than 100 duties", p.title)));
                }
                let mut permissions = Vec::new();
                for c in &p.permissions {
                    permissions.push(Permission::from_code(c).ok_or_else(|| {
                        invalid(format!("{}: unknown permission {c:?}", p.title))
                    })?);
                }
                positions.push(TemplatePosition {
                    department,
                    title: p.title.trim().to_string(),
                    duties: p.duties.clone(),
                    qualifications: p.qualifications.clone(),
                    headcount_limit: p.headcount_limit,
                    headcount_ratio: p.headcount_ratio.clone(),
                    permissions,
                });
            }
        }
        let position_ref = |name: &str| -> Result<usize, TemplateError> {
            let found: Vec<usize> = match name.split_once('/') {
                Some((dept, title)) => positions
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.title == title && departments[p.department].name == dept)
                    .map(|(i, _)| i)
                    .collect(),
                None => positions
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.title == name)
                    .map(|(i, _)| i)
                    .collect(),
            };
            match found[..] {
                [one] => Ok(one),
                [] => Err(invalid(format!(
                    "兼任 rule names an unknown position {name}"
                ))),
                _ => Err(invalid(format!(
                    "兼任 rule: {name} names several positions; write 部门/岗位"
                ))),
            }
        };
        let mut exclusions = BTreeSet::new();
        let s = &file.separation;
        let mut groups: Vec<BTreeSet<usize>> = Vec::new();
        for group in &s.may_combine {
            groups.push(
                group
                    .iter()
                    .map(|n| position_ref(n))
                    .collect::<Result<_, _>>()?,
            );
        }
        if s.all_positions {
            for a in 0..positions.len() {
                for b in a + 1..positions.len() {
                    let allowed = groups.iter().any(|g| g.contains(&a) && g.contains(&b));
                    if !allowed {
                        exclusions.insert((a, b));
                    }
                }
            }
        } else if !groups.is_empty() {
            return Err(invalid(
                "may_combine only makes sense with all_positions = true".into(),
            ));
        }
        for [a, b] in &s.pairs {
            let (a, b) = (position_ref(a)?, position_ref(b)?);
            if a == b {
                return Err(invalid(format!(
                    "兼任 rule pairs {} with itself",
                    positions[a].title
                )));
            }
            exclusions.insert((a.min(b), a.max(b)));
        }
        Ok(OrgTemplate {
            code: code.to_string(),
            name: file.name.trim().to_string(),
            document: file.document,
            source: file.source.trim().to_string(),
            summary: file.summary.trim().to_string(),
            departments,
            positions,
            exclusions: exclusions.into_iter().collect(),
        })
    }

    /// How many duties carry a cadence.
    pub fn recurring_duties(&self) -> usize {
        self.positions
            .iter()
            .flat_map(|p| &p.duties)
            .filter(|d| d.cadence.is_some())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::{Alternative, Cadence};

    #[test]
    fn every_builtin_template_is_valid() {
        let all = builtin();
        assert_eq!(all.len(), BUILTIN.len());
        let documents: BTreeSet<u32> = all.iter().map(|t| t.document).collect();
        assert_eq!(
            documents,
            [1, 2, 3, 4, 5, 6, 10, 12, 14, 16, 18, 20].into(),
            "every organization of the handbook has a template"
        );
        // Department names are unique across templates, so every template loads into
        // the same kefu.
        let mut names = BTreeSet::new();
        for t in all {
            assert!(!t.positions.is_empty(), "{} has positions", t.code);
            for d in &t.departments {
                assert!(
                    names.insert(d.name.clone()),
                    "{}: {} is unique",
                    t.code,
                    d.name
                );
            }
        }
    }

    #[test]
    fn handbook_rules_are_in_the_templates() {
        let vehicle = find("vehicle-tech").unwrap();
        let manager = vehicle
            .positions
            .iter()
            .find(|p| p.headcount_ratio.is_some())
            .expect("one manager per 50 vehicles");
        let ratio = manager.headcount_ratio.as_ref().unwrap();
        assert_eq!((ratio.holders, ratio.per, ratio.at_least), (1, 50, 1));
        assert!(manager
            .qualifications
            .any_of
            .contains(&Alternative::Years(2)));
        let investment = find("investment").unwrap();
        let idx = |title: &str| {
            investment
                .positions
                .iter()
                .position(|p| p.title == title)
                .unwrap()
        };
        let excluded = |a: usize, b: usize| investment.exclusions.contains(&(a.min(b), a.max(b)));
        assert!(excluded(idx("会计"), idx("出纳")));
        assert!(!excluded(idx("行政文员"), idx("资产保全岗")));
        assert!(!excluded(idx("业务部经理"), idx("客户经理")));
        let telecom = find("cs-telecom").unwrap();
        let monthly_22 = telecom.positions.iter().flat_map(|p| &p.duties).any(|d| {
            d.cadence
                == Some(Cadence::Monthly {
                    day: 22.try_into().unwrap(),
                })
        });
        assert!(monthly_22, "the monthly quality report by the 22nd");
    }

    #[test]
    fn bad_templates_are_refused_with_the_reason() {
        let base = r#"name = "x"
document = 3
source = "s"
summary = ""
"#;
        let check = |extra: &str, needle: &str| {
            let err = OrgTemplate::parse("t", &format!("{base}{extra}")).unwrap_err();
            assert!(
                err.to_string().contains(needle),
                "{err} should say {needle}"
            );
        };
        check("departments = []", "no departments");
        check(
            "[[departments]]\nname = \"a\"\nparent = \"b\"\n",
            "parent b is not a department",
        );
        check(
            "[[departments]]\nname = \"a\"\n[[departments]]\nname = \"a\"\n",
            "appears twice",
        );
        check(
            "[[departments]]\nname = \"a\"\n[[departments.positions]]\ntitle = \"p\"\npermissions = [\"root\"]\n",
            "unknown permission",
        );
        check(
            "[[departments]]\nname = \"a\"\n[[departments.positions]]\ntitle = \"p\"\nduties = [{ text = \"月报\", cadence = { every = \"monthly\", day = 0 } }]\n",
            "1 to 31",
        );
        check(
            "[separation]\npairs = [[\"p\", \"q\"]]\n[[departments]]\nname = \"a\"\n[[departments.positions]]\ntitle = \"p\"\n",
            "unknown position q",
        );
        check(
            "[[departments]]\nname = \"a\"\n[[departments.positions]]\ntitle = \"p\"\n[[departments]]\nname = \"b\"\n[[departments.positions]]\ntitle = \"p\"\n[separation]\npairs = [[\"p\", \"a/p\"]]\n",
            "names several positions",
        );
        check(
            "[[departments]]\nname = \"a\"\ncolour = 1\n",
            "unknown field",
        );
    }
}
