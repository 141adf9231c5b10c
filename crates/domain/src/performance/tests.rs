use super::*;

fn figures() -> Figures {
    Figures {
        workload: 40,
        sla: Ratio { part: 9, n: 10 },
        csat: Ratio { part: 9, n: 2 },
        qa: Ratio { part: 1700, n: 2 },
        complaints: 1,
        violations: 2,
        shifts: Ratio { part: 3, n: 4 },
    }
}

fn agent(id: &str, name: &str, f: Figures) -> Agent {
    Agent {
        id: id.into(),
        name: name.into(),
        figures: f,
    }
}

#[test]
fn the_handbook_commission_example() {
    // 合同 100 万, 场租 60 万, 税金 10 万, 1% → 0.65 万 = 6,500 yuan.
    let wan = 10_000 * 100;
    assert_eq!(commission(100 * wan, 60 * wan, 10 * wan, 100), Ok(650_000));
    // 总经理助理 at 2%.
    assert_eq!(
        commission(100 * wan, 60 * wan, 10 * wan, 200),
        Ok(1_300_000)
    );
    // Rounded to the cent, halves up: (1 − 0.005 − 0) × 1% of one cent-ish amounts.
    assert_eq!(commission(150, 1, 0, 100), Ok(1)); // 1.495 → 1
    assert_eq!(commission(250, 0, 0, 100), Ok(3)); // 2.5 → 3
    assert_eq!(commission(0, 0, 0, 100), Ok(0));
    assert_eq!(
        commission(100, 150, 60, 100),
        Err(CommissionError::MoreThanContract)
    );
    assert_eq!(
        commission(-1, 0, 0, 100),
        Err(CommissionError::NegativeAmount)
    );
    assert_eq!(
        commission(1, 0, 0, 10_001),
        Err(CommissionError::InvalidRate)
    );
}

#[test]
fn amounts_and_months_parse() {
    assert_eq!(parse_hundredths("1000000"), Ok(100_000_000));
    assert_eq!(parse_hundredths("1,000,000.5"), Ok(100_000_050));
    assert_eq!(parse_hundredths(" 6500.05 "), Ok(650_005));
    assert_eq!(parse_hundredths("1"), Ok(100));
    for bad in ["", "-1", "1.234", "abc", ".5", "1e5", "99999999999999999"] {
        assert!(parse_hundredths(bad).is_err(), "{bad}");
    }
    assert_eq!(format_hundredths(650_000), "6500.00");
    assert_eq!(format_hundredths(-1_005), "-10.05");
    let m = Month::parse("2026-11").unwrap();
    assert_eq!(m.to_string(), "2026-11");
    assert_eq!(m.next().to_string(), "2026-12");
    assert_eq!(m.next().next().to_string(), "2027-01");
    assert_eq!(
        Month::parse("2027-01").unwrap().prev().to_string(),
        "2026-12"
    );
    for bad in ["2026-13", "2026-1", "26-11", "2026/11", "x"] {
        assert!(Month::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn weights_must_add_up_to_100() {
    let mut s = Scheme::default();
    assert_eq!(s.validate(), Ok(()));
    s.weights.qa += 1;
    assert_eq!(s.validate(), Err(SchemeError::InvalidWeights(101)));
    assert_eq!(SchemeError::InvalidWeights(101).code(), "invalid_weights");
    let s = Scheme {
        pass_line: 101,
        ..Scheme::default()
    };
    assert_eq!(s.validate(), Err(SchemeError::InvalidPassLine(101)));
    let bad = Rule {
        amount_cents: 0,
        ..handbook_rules()[0].clone()
    };
    assert_eq!(bad.validate(), Err(SchemeError::InvalidAmount));
    assert_eq!(validate_rules(&handbook_rules()), Ok(()));
}

#[test]
fn component_scores_follow_the_figures() {
    let s = Scheme::default();
    let got = scores(&s, &figures(), 50);
    // 40 of the best 50; 9 of 10; CSAT mean 4.5 → 87.5; QA 85.0; one complaint at 20;
    // 3 of 4 shifts.
    assert_eq!(
        got,
        [
            Some(8_000),
            Some(9_000),
            Some(8_750),
            Some(8_500),
            Some(8_000),
            Some(7_500)
        ]
    );
    // A target instead of the best: capped at 100.
    let t = Scheme {
        workload_target: 30,
        ..Scheme::default()
    };
    assert_eq!(scores(&t, &figures(), 50)[0], Some(10_000));
    // Complaints never go below 0.
    let many = Figures {
        complaints: 9,
        ..figures()
    };
    assert_eq!(scores(&s, &many, 50)[4], Some(0));
}

#[test]
fn the_total_is_the_weighted_mean() {
    let s = Scheme::default();
    let (parts, total) = weigh(&s, &scores(&s, &figures(), 50));
    // 0.20×80 + 0.20×90 + 0.15×87.5 + 0.25×85 + 0.10×80 + 0.10×75 = 83.875 → 83.88.
    assert_eq!(total, 8_388);
    assert_eq!(parts[2].contribution, 1_313); // 13.125 → 13.13
    assert_eq!(parts[0].effective_weight, 2_000);
}

#[test]
fn weights_of_missing_components_are_shared_out() {
    let s = Scheme::default();
    let f = Figures {
        csat: Ratio::default(),
        qa: Ratio::default(),
        ..figures()
    };
    let sc = scores(&s, &f, 50);
    assert_eq!(sc[2], None);
    assert_eq!(sc[3], None);
    let (parts, total) = weigh(&s, &sc);
    // The remaining weights 20+20+10+10 = 60 count as 100:
    // (20×80 + 20×90 + 10×80 + 10×75) / 60 = 82.5.
    assert_eq!(total, 8_250);
    assert_eq!(parts[0].effective_weight, 3_333);
    assert_eq!(parts[2].effective_weight, 0);
    assert_eq!(parts[2].contribution, 0);
    // Nothing at all measured (all weight on absent components): 0.
    let only_qa = Scheme {
        weights: Weights {
            workload: 0,
            sla: 0,
            csat: 0,
            qa: 100,
            complaints: 0,
            attendance: 0,
        },
        ..Scheme::default()
    };
    assert_eq!(weigh(&only_qa, &sc).1, 0);
}

#[test]
fn ranking_shares_ranks_on_ties_and_applies_the_rules() {
    let s = Scheme::default();
    let rules = handbook_rules();
    let strong = Figures {
        workload: 50,
        sla: Ratio { part: 10, n: 10 },
        csat: Ratio { part: 10, n: 2 },
        qa: Ratio { part: 2000, n: 2 },
        complaints: 0,
        violations: 0,
        shifts: Ratio { part: 4, n: 4 },
    };
    let out = evaluate(
        &s,
        &rules,
        vec![
            agent("u3", "王五", figures()),
            agent("u2", "李四", strong.clone()),
            agent("u1", "张三", strong),
            agent("u4", "赵六", Figures::default()),
        ],
    );
    let order: Vec<(&str, i64, i64)> = out
        .iter()
        .map(|e| (e.agent_id.as_str(), e.rank, e.total))
        .collect();
    // Equal totals share rank 1, listed by name (张三 before 李四 in code-point order);
    // the next rank is 3.
    assert_eq!(
        order,
        vec![
            ("u1", 1, 10_000),
            ("u2", 1, 10_000),
            ("u3", 3, 8_388),
            ("u4", 4, 3_333),
        ]
    );
    // Pass at 80: 100 yuan; two violations: 2 × 10 yuan.
    assert_eq!((out[2].reward_cents, out[2].fine_cents), (10_000, 2_000));
    assert_eq!(out[2].applied[1].times, 2);
    assert_eq!((out[0].reward_cents, out[0].fine_cents), (10_000, 0));
    // Nothing done: workload 0 of 50 and no complaints, weighed 20 : 10 → 33.33.
    assert!(!out[3].passed);
    assert_eq!(out[3].reward_cents, 0);
}

#[test]
fn per_shift_and_per_complaint_rules_count_each_time() {
    let rules = vec![
        Rule {
            name: "缺勤".into(),
            kind: RuleKind::Fine,
            condition: RuleCondition::PerMissedShift,
            amount_cents: 5_000,
        },
        Rule {
            name: "被投诉".into(),
            kind: RuleKind::Fine,
            condition: RuleCondition::PerComplaint,
            amount_cents: 2_000,
        },
        Rule {
            name: "未达标".into(),
            kind: RuleKind::Fine,
            condition: RuleCondition::Failed,
            amount_cents: 100,
        },
    ];
    let applied = apply_rules(&rules, false, &figures());
    let got: Vec<(i64, i64)> = applied.iter().map(|a| (a.times, a.amount_cents)).collect();
    assert_eq!(got, vec![(1, 5_000), (1, 2_000), (1, 100)]);
    assert!(apply_rules(&rules[2..], true, &figures()).is_empty());
}
