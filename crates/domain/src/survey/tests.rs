use super::*;
use chrono::{Duration, TimeZone};
use proptest::prelude::*;

fn raw<'a>(kind: &'a str, text: &'a str, options: &[&'a str], required: bool) -> RawQuestion<'a> {
    RawQuestion {
        kind,
        text,
        options: options.to_vec(),
        required,
    }
}

fn template() -> Vec<Question> {
    parse_template(
        "售后回访",
        &[
            raw("csat", "您对本次服务满意吗？", &[], true),
            raw("nps", "您向朋友推荐我们的可能性？", &[], false),
            raw("single", "问题解决了吗？", &["已解决", "未解决"], false),
            raw(
                "multiple",
                "哪些方面需要改进？",
                &["速度", "态度", "专业"],
                false,
            ),
            raw("text", "其他意见", &[], false),
        ],
    )
    .unwrap()
    .1
}

fn answers(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
        .collect()
}

#[test]
fn templates_get_ids_and_are_checked() {
    let qs = template();
    assert_eq!(qs.len(), 5);
    assert_eq!(qs[0].id, "q1");
    assert_eq!(qs[4].id, "q5");
    assert_eq!(qs[2].options, vec!["已解决", "未解决"]);

    let bad = |name: &str, q: Vec<RawQuestion<'_>>| parse_template(name, &q).unwrap_err();
    assert_eq!(
        bad(" ", vec![raw("csat", "x", &[], true)]),
        TemplateError::Name
    );
    assert_eq!(bad("n", vec![]), TemplateError::QuestionCount);
    assert_eq!(
        bad("n", vec![raw("stars", "x", &[], true)]),
        TemplateError::UnknownKind(1, "stars".into())
    );
    assert_eq!(
        bad(
            "n",
            vec![raw("csat", "ok", &[], true), raw("text", " ", &[], false)]
        ),
        TemplateError::QuestionText(2)
    );
    assert_eq!(
        bad("n", vec![raw("single", "x", &["只有一个"], true)]),
        TemplateError::Options(1)
    );
    assert_eq!(
        bad("n", vec![raw("multiple", "x", &["a", "a"], true)]),
        TemplateError::Options(1)
    );
    assert_eq!(
        bad("n", vec![raw("nps", "x", &["a", "b"], true)]),
        TemplateError::UnexpectedOptions(1)
    );
    assert_eq!(
        bad(
            "n",
            vec![raw("csat", "x", &[], true), raw("csat", "y", &[], true)]
        ),
        TemplateError::DuplicateScore
    );
    assert_eq!(TemplateError::Options(1).field(), "questions");
    assert_eq!(TemplateError::Name.code(), "invalid_name");
}

#[test]
fn answers_are_checked_against_the_template() {
    let qs = template();
    let ok = parse_answers(
        &qs,
        &answers(&[
            ("q1", &["4"]),
            ("q2", &["9"]),
            ("q3", &["已解决"]),
            ("q4", &["速度", "态度", "速度"]),
            ("q5", &["很好"]),
        ]),
    )
    .unwrap();
    assert_eq!(ok.csat, Some(4));
    assert_eq!(ok.nps, Some(9));
    assert_eq!(
        ok.answers["q4"],
        Answer::Choices(vec!["速度".into(), "态度".into()])
    );
    // Optional questions may be skipped.
    let only = parse_answers(&qs, &answers(&[("q1", &["1"])])).unwrap();
    assert_eq!((only.csat, only.nps), (Some(1), None));
    assert_eq!(only.answers.len(), 1);

    let err = |pairs: &[(&str, &[&str])]| parse_answers(&qs, &answers(pairs)).unwrap_err();
    assert_eq!(err(&[("q2", &["5"])]), AnswerError::Missing { question: 1 });
    assert_eq!(err(&[("q1", &[" "])]), AnswerError::Missing { question: 1 });
    assert_eq!(
        err(&[("q1", &["6"])]),
        AnswerError::OutOfRange {
            question: 1,
            min: 1,
            max: 5
        }
    );
    assert_eq!(
        err(&[("q1", &["3"]), ("q2", &["11"])]).code(),
        "score_out_of_range"
    );
    assert_eq!(err(&[("q1", &["x"])]).question(), Some(1));
    assert_eq!(
        err(&[("q1", &["3"]), ("q3", &["也许"])]),
        AnswerError::UnknownOption { question: 3 }
    );
    assert_eq!(
        err(&[("q1", &["3"]), ("q3", &["已解决", "未解决"])]),
        AnswerError::NotOne { question: 3 }
    );
    let long = "长".repeat(MAX_TEXT_ANSWER_CHARS + 1);
    assert_eq!(
        err(&[("q1", &["3"]), ("q5", &[long.as_str()])]),
        AnswerError::TooLong { question: 5 }
    );
    assert_eq!(
        err(&[("q1", &["3"]), ("q9", &["x"])]),
        AnswerError::UnknownQuestion("q9".into())
    );
}

#[test]
fn the_dissatisfied_rule_defaults_to_csat_2_and_nps_6() {
    let t = Thresholds::default();
    assert!(t.is_dissatisfied(Some(2), None));
    assert!(t.is_dissatisfied(Some(1), Some(10)));
    assert!(!t.is_dissatisfied(Some(3), None));
    assert!(t.is_dissatisfied(None, Some(6)));
    assert!(!t.is_dissatisfied(None, Some(7)));
    assert!(
        !t.is_dissatisfied(None, None),
        "no scores, nothing to judge"
    );
    let strict = Thresholds::new(Some(3), None).unwrap();
    assert!(strict.is_dissatisfied(Some(3), Some(0)));
    assert!(
        !strict.is_dissatisfied(Some(4), Some(0)),
        "NPS switched off"
    );
    assert_eq!(Thresholds::new(Some(5), None), Err(ThresholdError::Csat));
    assert_eq!(Thresholds::new(Some(0), None), Err(ThresholdError::Csat));
    assert_eq!(Thresholds::new(None, Some(10)), Err(ThresholdError::Nps));
    assert_eq!(ThresholdError::Nps.field(), "nps_max");
}

#[test]
fn scores_summarize() {
    assert_eq!(csat_average(9, 2), Some(4.5));
    assert_eq!(csat_average(0, 0), None);
    // 3 promoters, 1 passive, 2 detractors of 6: (3 - 2) / 6 = 17.
    assert_eq!(nps_score(3, 2, 6), Some(17));
    assert_eq!(nps_score(0, 4, 4), Some(-100));
    assert_eq!(nps_score(0, 0, 0), None);
}

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap()
}

fn facts(expires_at: DateTime<Utc>, answered: bool) -> Option<InvitationFacts> {
    Some(InvitationFacts {
        expires_at,
        answered,
    })
}

#[test]
fn a_signed_link_is_accepted_until_it_expires() {
    let exp = t0() + Duration::days(7);
    let token = sign_link(SECRET, "0190abcd", exp);
    let claims = parse_link(&token).unwrap();
    assert_eq!(claims.invitation_id, "0190abcd");
    assert_eq!(claims.expires_at, exp.timestamp());
    assert_eq!(check_link(SECRET, &claims, facts(exp, false), t0()), Ok(()));
    assert_eq!(
        check_link(SECRET, &claims, facts(exp, false), exp),
        Err(LinkError::Expired)
    );
    assert_eq!(
        check_link(SECRET, &claims, facts(exp, true), t0()),
        Err(LinkError::Used)
    );
    assert_eq!(
        check_link(SECRET, &claims, facts(exp, true), exp + Duration::days(1)),
        Err(LinkError::Used),
        "answered and expired: the customer hears it was answered"
    );
}

#[test]
fn forged_links_are_refused() {
    for token in [
        "",
        "abc",
        "a.b.c",
        "x.1.zz",
        "a.1.00",
        "a..0011",
        "a.b.c.d",
        "a-b.1.00112233445566778899aabbccddeeff",
    ] {
        assert_eq!(parse_link(token), Err(LinkError::Forged), "{token:?}");
    }
    // Well-formed but naming no invitation.
    let claims = parse_link("deadbeef.1893456000.00112233445566778899aabbccddeeff").unwrap();
    assert_eq!(
        check_link(SECRET, &claims, None, t0()),
        Err(LinkError::Forged)
    );
    // Signed with another secret: a real id with a MAC kefu did not make.
    let exp = t0() + Duration::days(7);
    let other = parse_link(&sign_link(b"another secret", "0190abcd", exp)).unwrap();
    assert_eq!(
        check_link(SECRET, &other, facts(exp, false), t0()),
        Err(LinkError::Tampered)
    );
}

#[test]
fn tampered_links_are_refused() {
    let exp = t0() + Duration::days(1);
    let token = sign_link(SECRET, "0190abcd", exp);
    let parts: Vec<&str> = token.split('.').collect();
    // A longer life.
    let later = format!("{}.{}.{}", parts[0], exp.timestamp() + 86_400, parts[2]);
    let claims = parse_link(&later).unwrap();
    assert_eq!(
        check_link(SECRET, &claims, facts(exp, false), t0()),
        Err(LinkError::Tampered)
    );
    // Another invitation's id under this MAC.
    let moved = format!("0190abce.{}.{}", parts[1], parts[2]);
    let claims = parse_link(&moved).unwrap();
    assert_eq!(
        check_link(SECRET, &claims, facts(exp, false), t0()),
        Err(LinkError::Tampered)
    );
    // One flipped MAC digit.
    let mut mac = parts[2].to_string();
    let last = if mac.ends_with('0') { "1" } else { "0" };
    mac.replace_range(mac.len() - 1.., last);
    let flipped = format!("{}.{}.{mac}", parts[0], parts[1]);
    let claims = parse_link(&flipped).unwrap();
    assert_eq!(
        check_link(SECRET, &claims, facts(exp, false), t0()),
        Err(LinkError::Tampered)
    );
    // A valid MAC whose expiry disagrees with the invitation row.
    let claims = parse_link(&token).unwrap();
    assert_eq!(
        check_link(SECRET, &claims, facts(exp + Duration::days(1), false), t0()),
        Err(LinkError::Tampered)
    );
    assert_eq!(LinkError::Tampered.code(), "survey_link_tampered");
}

proptest! {
    #[test]
    fn any_changed_character_breaks_a_link(pos in 0usize..60, c in "[0-9a-f]") {
        let exp = t0() + Duration::days(7);
        let token = sign_link(SECRET, "0190abcd0190abcd", exp);
        let pos = pos % token.len();
        let mut changed = token.clone();
        changed.replace_range(pos..pos + 1, &c);
        prop_assume!(changed != token);
        let verdict = parse_link(&changed)
            .and_then(|claims| check_link(SECRET, &claims, facts(exp, false), t0()));
        prop_assert!(matches!(verdict, Err(LinkError::Forged | LinkError::Tampered)), "{verdict:?}");
    }
}
