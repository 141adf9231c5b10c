//! Satisfaction surveys: templates (unique names, questions locked once answered), the
//! settings row, the link key that every server agrees on, one answer per link even when
//! answers race (with exactly one follow-up ticket), one answer per callback and
//! template, and the results' filters and scores.

use crate::common::{actor_for, at, create_customer, customer, mobile, system, t0};
use crate::tickets::{center, ticket, Center};
use kefu_domain::survey::{
    parse_answers, parse_template, Answers, Question, RawQuestion, SurveyChannel, Thresholds,
};
use kefu_domain::ticket::TicketType;
use kefu_store::surveys::{
    NewInvitation, NewResponse, ResponseFilter, SurveyError, SurveySettings, TemplateInput,
};
use kefu_store::tickets::{TicketDeadlines, TicketToOpen};
use kefu_store::{new_id, Db};
use kefu_test_support::{TestBackend, TestDb};
use std::collections::BTreeMap;

fn questions() -> Vec<Question> {
    let raw = |kind, text| RawQuestion {
        kind,
        text,
        options: Vec::new(),
        required: true,
    };
    parse_template(
        "售后回访",
        &[raw("csat", "满意吗？"), raw("nps", "推荐吗？")],
    )
    .unwrap()
    .1
}

fn input(name: &str) -> TemplateInput {
    TemplateInput {
        name: name.into(),
        description: None,
        questions: questions(),
        active: true,
    }
}

fn scores(csat: &str, nps: &str) -> Answers {
    let raw: BTreeMap<String, Vec<String>> = [("q1", csat), ("q2", nps)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
        .collect();
    parse_answers(&questions(), &raw).unwrap()
}

fn response(
    template: &str,
    customer: &str,
    invitation: Option<&str>,
    callback: Option<&str>,
    answers: Answers,
) -> NewResponse {
    let dissatisfied = Thresholds::default().is_dissatisfied(answers.csat, answers.nps);
    NewResponse {
        id: new_id(),
        invitation_id: invitation.map(str::to_string),
        template_id: template.into(),
        customer_id: customer.into(),
        ticket_id: None,
        callback_id: callback.map(str::to_string),
        channel: if callback.is_some() {
            SurveyChannel::Callback
        } else {
            SurveyChannel::Sms
        },
        answers,
        dissatisfied,
    }
}

fn followup(c: &Center, customer: &str) -> TicketToOpen {
    let mut t = ticket(c, None);
    t.ticket_type = TicketType::Inquiry;
    t.customer_id = Some(customer.into());
    t.tags = vec!["满意度跟进".into()];
    TicketToOpen {
        actor: system(),
        now: at(5),
        ticket: t,
        deadlines: TicketDeadlines::default(),
    }
}

async fn invitation(db: &Db, template: &str, customer: &str) -> String {
    let id = new_id();
    db.create_survey_invitation(
        &system(),
        t0(),
        &NewInvitation {
            id: id.clone(),
            template_id: template.into(),
            customer_id: customer.into(),
            ticket_id: None,
            channel: SurveyChannel::Sms,
            recipient: "13800138000".into(),
            expires_at: at(7 * 24 * 60),
            message: "【客服中心】请评价：http://kefu/s/x".into(),
        },
        "售后回访",
    )
    .await
    .unwrap();
    id
}

async fn followups_of(db: &Db, customer: &str) -> usize {
    db.open_tickets_of_customer(customer, 50)
        .await
        .unwrap()
        .iter()
        .filter(|t| t.subject == "快递三天未送达")
        .count()
}

pub async fn templates_settings_and_link_key(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let db = &t.db;
    let c = center(db).await;
    let admin = actor_for(&c.lead, "lead");
    let id = db
        .create_survey_template(&admin, t0(), &input("售后回访"))
        .await
        .unwrap();
    assert!(matches!(
        db.create_survey_template(&admin, t0(), &input("售后回访"))
            .await,
        Err(SurveyError::DuplicateName)
    ));
    // Without answers the questions may change.
    let mut changed = input("售后回访 v2");
    changed.questions.pop();
    db.update_survey_template(&admin, at(1), &id, &changed)
        .await
        .unwrap();
    let row = db.get_survey_template(&id).await.unwrap();
    assert_eq!((row.name.as_str(), row.questions.len()), ("售后回访 v2", 1));
    assert_eq!(db.list_survey_templates(true).await.unwrap().len(), 1);
    changed.active = false;
    db.update_survey_template(&admin, at(2), &id, &changed)
        .await
        .unwrap();
    assert!(db.list_survey_templates(true).await.unwrap().is_empty());
    assert_eq!(db.list_survey_templates(false).await.unwrap().len(), 1);

    let s = db.get_survey_settings().await.unwrap();
    assert_eq!(s.thresholds, Thresholds::default());
    assert_eq!(s.link_days, 7);
    let new = SurveySettings {
        thresholds: Thresholds::new(Some(3), None).unwrap(),
        link_days: 14,
    };
    db.update_survey_settings(&admin, at(3), &new)
        .await
        .unwrap();
    assert_eq!(db.get_survey_settings().await.unwrap(), new);

    // The first server's key wins; later ones read it back.
    let first = db.survey_link_secret("key-one", t0()).await.unwrap();
    let second = db.survey_link_secret("key-two", at(1)).await.unwrap();
    assert_eq!((first.as_str(), second.as_str()), ("key-one", "key-one"));
    t.cleanup().await;
}

pub async fn one_answer_per_link_under_a_race(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let c = center(&t.db).await;
    let mut cust = customer("王芳");
    cust.contacts.push(mobile("13800138000"));
    let customer_id = create_customer(&t.db, &cust).await;
    let admin = actor_for(&c.lead, "lead");
    let template =
        t.db.create_survey_template(&admin, t0(), &input("售后回访"))
            .await
            .unwrap();
    let inv = invitation(&t.db, &template, &customer_id).await;
    let outbox = t.db.survey_outbox_of(&inv).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].2, "queued");

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let db = t.db.clone();
        let r = response(&template, &customer_id, Some(&inv), None, scores("1", "3"));
        let f = followup(&c, &customer_id);
        tasks.spawn(async move {
            db.record_survey_response(&system(), None, at(5), &r, "售后回访", Some(&f))
                .await
        });
    }
    let (mut won, mut refused) = (0, 0);
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            Ok(rec) => {
                won += 1;
                assert!(rec.followup.is_some());
            }
            Err(SurveyError::AlreadyAnswered) => refused += 1,
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!((won, refused), (1, 7));
    assert_eq!(followups_of(&t.db, &customer_id).await, 1, "one follow-up");
    let inv_row = t.db.get_survey_invitation(&inv).await.unwrap().unwrap();
    assert!(inv_row.answered_at.is_some());
    let page =
        t.db.list_survey_responses(&ResponseFilter::default(), None, 10)
            .await
            .unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.items[0].followup_number.is_some());

    // Answered: the questions are locked, the name is not.
    let mut locked = input("售后回访");
    locked.questions.pop();
    assert!(matches!(
        t.db.update_survey_template(&admin, at(9), &template, &locked)
            .await,
        Err(SurveyError::TemplateAnswered)
    ));
    t.db.update_survey_template(&admin, at(9), &template, &input("售后回访（旧）"))
        .await
        .unwrap();
    // The customer's timeline shows the survey.
    let events = t.db.list_customer_events(&customer_id, 50).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "survey_sent"));
    assert!(events.iter().any(|e| e.kind == "survey_answered"));
    t.cleanup().await;
}

pub async fn callback_answers_and_results(backend: TestBackend) {
    let t = TestDb::new(backend).await;
    let c = center(&t.db).await;
    let customer_id = create_customer(&t.db, &customer("李雷")).await;
    let agent = actor_for(&c.agent, "agent1");
    let template =
        t.db.create_survey_template(&agent, t0(), &input("投诉回访"))
            .await
            .unwrap();
    let r = response(
        &template,
        &customer_id,
        None,
        Some("cb-1"),
        scores("2", "8"),
    );
    let f = followup(&c, &customer_id);
    let rec =
        t.db.record_survey_response(&agent, Some(&c.agent), at(1), &r, "投诉回访", Some(&f))
            .await
            .unwrap();
    assert!(rec.followup.is_some());
    // The same callback again: refused, nothing more opened.
    let again = response(
        &template,
        &customer_id,
        None,
        Some("cb-1"),
        scores("2", "8"),
    );
    assert!(matches!(
        t.db.record_survey_response(&agent, Some(&c.agent), at(2), &again, "投诉回访", Some(&f))
            .await,
        Err(SurveyError::AlreadyAnswered)
    ));
    assert_eq!(followups_of(&t.db, &customer_id).await, 1);
    // Other callbacks and agents' answers without a callback are separate answers.
    for (i, (cb, csat, nps)) in [
        (Some("cb-2"), "5", "10"),
        (None, "4", "9"),
        (None, "3", "5"),
    ]
    .into_iter()
    .enumerate()
    {
        let r = response(&template, &customer_id, None, cb, scores(csat, nps));
        t.db.record_survey_response(
            &agent,
            Some(&c.agent),
            at(10 + i as i64),
            &r,
            "投诉回访",
            None,
        )
        .await
        .unwrap();
    }
    let all = ResponseFilter::default();
    let s = t.db.summarize_survey_responses(&all).await.unwrap();
    assert_eq!(s.answers, 4);
    assert_eq!((s.csat_count, s.csat_sum), (4, 14));
    assert_eq!((s.nps_count, s.promoters, s.detractors), (4, 2, 1));
    assert_eq!(s.dissatisfied, 2, "CSAT 2, and NPS 5");
    let only = ResponseFilter {
        dissatisfied_only: true,
        ..ResponseFilter::default()
    };
    let page = t.db.list_survey_responses(&only, None, 10).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].csat, Some(3), "newest first");
    assert_eq!(page.items[1].callback_id.as_deref(), Some("cb-1"));
    assert_eq!(
        page.items[1].answered_by_name.as_deref(),
        Some("agent1 坐席")
    );
    // Paging and the date range.
    let first = t.db.list_survey_responses(&all, None, 3).await.unwrap();
    let rest =
        t.db.list_survey_responses(&all, first.next_cursor.as_deref(), 3)
            .await
            .unwrap();
    assert_eq!((first.items.len(), rest.items.len()), (3, 1));
    assert!(rest.next_cursor.is_none());
    let window = ResponseFilter {
        from: Some(kefu_store::to_millis(at(10))),
        to: Some(kefu_store::to_millis(at(12))),
        ..ResponseFilter::default()
    };
    assert_eq!(
        t.db.summarize_survey_responses(&window)
            .await
            .unwrap()
            .answers,
        2
    );
    t.cleanup().await;
}
