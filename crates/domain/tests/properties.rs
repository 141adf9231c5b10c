//! Property tests of the domain's rules.

use kefu_domain::org::{
    check_assignment, HeldPosition, PositionFacts, Qualifications, StaffProfile,
};
use kefu_domain::phone::mask_phone;
use kefu_domain::{PhoneNumber, PositionId};
use proptest::prelude::*;

fn mobile() -> impl Strategy<Value = String> {
    (3u8..=9, 0u64..1_000_000_000).prop_map(|(second, rest)| format!("1{second}{rest:09}"))
}

proptest! {
    /// However a mobile number is written, it normalizes to the same 11 digits.
    #[test]
    fn mobile_spellings_normalize_alike(m in mobile(), style in 0usize..5) {
        let written = match style {
            0 => m.clone(),
            1 => format!("+86 {} {} {}", &m[..3], &m[3..7], &m[7..]),
            2 => format!("0086-{m}"),
            3 => format!("86{m}"),
            _ => format!("{}-{}-{}", &m[..3], &m[3..7], &m[7..]),
        };
        let parsed = PhoneNumber::parse(&written).unwrap();
        prop_assert_eq!(parsed.as_str(), m.as_str());
    }

    /// A masked mobile number shows only the first three and last four digits.
    #[test]
    fn masks_hide_the_middle(m in mobile()) {
        let masked = mask_phone(&m);
        prop_assert_eq!(&masked[..3], &m[..3]);
        prop_assert_eq!(&masked[3..7], "****");
        prop_assert_eq!(&masked[7..], &m[7..]);
    }

    /// Parsing never panics on arbitrary input.
    #[test]
    fn parsing_is_total(s in ".{0,40}") {
        let _ = PhoneNumber::parse(&s);
    }

    /// A full position never takes another holder, whatever else is true.
    #[test]
    fn headcount_is_never_exceeded(limit in 0u32..5, holders in 0u32..8, years in 0u32..10) {
        let position = PositionFacts {
            id: PositionId("p".into()),
            title: "班长".into(),
            headcount_limit: Some(limit),
            current_holders: holders,
            qualifications: Qualifications::default(),
        };
        let staff = StaffProfile { education: None, years_experience: years, certificates: vec![] };
        let held: Vec<HeldPosition> = vec![];
        let ok = check_assignment(&position, &held, &[], &staff).is_ok();
        prop_assert_eq!(ok, holders < limit);
    }
}
