//! Headcount ratios (人员配备比例): a position's headcount may follow a quantity its
//! department manages — "道路旅客运输车辆每50辆应配备1人，不足50辆应至少配备1人"
//! (handbook document 6). The department records the quantity (营运车辆: 120), the
//! position says how many holders per how many of it, and the ratio gives the limit.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const MAX_QUANTITY_NAME_CHARS: usize = 30;
pub const MAX_QUANTITY: u64 = 1_000_000_000;

/// How a fraction of the ratio is counted: "每50辆配备1人" with 120 vehicles allows 3
/// people when a started block counts (ceil), 2 when only full blocks count (floor).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rounding {
    #[default]
    Ceil,
    Floor,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatioError {
    #[error("a headcount ratio needs at least 1 holder per at least 1 {0}")]
    Zero(String),
    #[error("a counted quantity needs a name of 1 to 30 characters")]
    Name,
    #[error("the quantity {0} must be between 0 and 1000000000")]
    Count(String),
}

/// `holders` people per `per` units of `quantity`, never fewer than `at_least`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RatioFields")]
pub struct HeadcountRatio {
    pub holders: u32,
    pub per: u32,
    /// The counted quantity's name as the department records it (营运车辆).
    pub quantity: String,
    pub rounding: Rounding,
    pub at_least: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RatioFields {
    #[serde(default = "one")]
    holders: u32,
    per: u32,
    quantity: String,
    #[serde(default)]
    rounding: Rounding,
    #[serde(default)]
    at_least: u32,
}

fn one() -> u32 {
    1
}

impl TryFrom<RatioFields> for HeadcountRatio {
    type Error = RatioError;
    fn try_from(f: RatioFields) -> Result<Self, RatioError> {
        HeadcountRatio::new(f.holders, f.per, &f.quantity, f.rounding, f.at_least)
    }
}

fn quantity_name(name: &str) -> Result<String, RatioError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_QUANTITY_NAME_CHARS {
        return Err(RatioError::Name);
    }
    Ok(name.to_string())
}

impl HeadcountRatio {
    pub fn new(
        holders: u32,
        per: u32,
        quantity: &str,
        rounding: Rounding,
        at_least: u32,
    ) -> Result<Self, RatioError> {
        let quantity = quantity_name(quantity)?;
        if holders == 0 || per == 0 {
            return Err(RatioError::Zero(quantity));
        }
        Ok(HeadcountRatio {
            holders,
            per,
            quantity,
            rounding,
            at_least,
        })
    }

    /// How many people the position allows when the department counts `count`.
    pub fn limit(&self, count: u64) -> u64 {
        let per = u64::from(self.per);
        let blocks = match self.rounding {
            Rounding::Ceil => count.div_ceil(per),
            Rounding::Floor => count / per,
        };
        (blocks * u64::from(self.holders)).max(u64::from(self.at_least))
    }
}

/// What a department counts and manages (营运车辆: 120), by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BTreeMap<String, u64>", into = "BTreeMap<String, u64>")]
pub struct Quantities(BTreeMap<String, u64>);

impl Quantities {
    pub fn new(items: impl IntoIterator<Item = (String, u64)>) -> Result<Self, RatioError> {
        let mut map = BTreeMap::new();
        for (name, count) in items {
            let name = quantity_name(&name)?;
            if count > MAX_QUANTITY {
                return Err(RatioError::Count(name));
            }
            map.insert(name, count);
        }
        Ok(Quantities(map))
    }

    pub fn get(&self, name: &str) -> Option<u64> {
        self.0.get(name).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// The form text: `营运车辆=120; 机电设备=8`.
    pub fn parse(text: &str) -> Result<Self, RatioError> {
        let mut items = Vec::new();
        for part in text.split([';', '；', '\n']).map(str::trim) {
            if part.is_empty() {
                continue;
            }
            let (name, count) = part
                .split_once(['=', '＝'])
                .ok_or_else(|| RatioError::Count(part.to_string()))?;
            let count = count
                .trim()
                .parse()
                .map_err(|_| RatioError::Count(name.trim().to_string()))?;
            items.push((name.to_string(), count));
        }
        Quantities::new(items)
    }

    pub fn to_text(&self) -> String {
        self.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl TryFrom<BTreeMap<String, u64>> for Quantities {
    type Error = RatioError;
    fn try_from(map: BTreeMap<String, u64>) -> Result<Self, RatioError> {
        Quantities::new(map)
    }
}

impl From<Quantities> for BTreeMap<String, u64> {
    fn from(q: Quantities) -> Self {
        q.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vehicles(rounding: Rounding, at_least: u32) -> HeadcountRatio {
        HeadcountRatio::new(1, 50, "营运车辆", rounding, at_least).unwrap()
    }

    #[test]
    fn one_per_fifty_vehicles_at_least_one() {
        // Document 6: every 50 vehicles need one manager; fewer than 50 still need one.
        let r = vehicles(Rounding::Ceil, 1);
        assert_eq!(r.limit(0), 1);
        assert_eq!(r.limit(10), 1);
        assert_eq!(r.limit(50), 1);
        assert_eq!(r.limit(51), 2);
        assert_eq!(r.limit(120), 3);
        let floor = vehicles(Rounding::Floor, 0);
        assert_eq!(floor.limit(49), 0);
        assert_eq!(floor.limit(120), 2);
        let two_per_hundred = HeadcountRatio::new(2, 100, "床位", Rounding::Ceil, 0).unwrap();
        assert_eq!(two_per_hundred.limit(150), 4);
        assert_eq!(two_per_hundred.limit(u64::from(u32::MAX)), 85_899_346);
    }

    #[test]
    fn bad_ratios_and_quantities_are_refused() {
        assert!(HeadcountRatio::new(1, 0, "营运车辆", Rounding::Ceil, 0).is_err());
        assert!(HeadcountRatio::new(0, 50, "营运车辆", Rounding::Ceil, 0).is_err());
        assert_eq!(
            HeadcountRatio::new(1, 50, " ", Rounding::Ceil, 0).unwrap_err(),
            RatioError::Name
        );
        let err =
            serde_json::from_str::<HeadcountRatio>(r#"{"per": 0, "quantity": "车"}"#).unwrap_err();
        assert!(err.to_string().contains("at least 1"), "{err}");
        let r: HeadcountRatio =
            serde_json::from_str(r#"{"per": 50, "quantity": "营运车辆", "at_least": 1}"#).unwrap();
        assert_eq!((r.holders, r.rounding), (1, Rounding::Ceil));
        let q = Quantities::parse("营运车辆=120； 机电设备 = 8\n").unwrap();
        assert_eq!(q.get("营运车辆"), Some(120));
        assert_eq!(q.get("机电设备"), Some(8));
        assert_eq!(Quantities::parse(&q.to_text()).unwrap(), q);
        assert!(Quantities::parse("营运车辆").is_err());
        assert!(Quantities::parse("营运车辆=-1").is_err());
        assert!(Quantities::parse("营运车辆=2000000000").is_err());
        assert!(serde_json::from_str::<Quantities>(r#"{"": 3}"#).is_err());
    }
}
