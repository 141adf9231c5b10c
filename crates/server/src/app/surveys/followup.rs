//! The follow-up work order (跟进工单) of a dissatisfied answer: which group it goes to
//! and what it says. It is opened in the answer's own transaction (see the store), so it
//! exists exactly when the answer does.

use super::answer::{contact_of, customer, Subject};
use crate::app::tickets::opening_deadlines;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use kefu_domain::customer::ContactKind;
use kefu_domain::survey::{Answer, SurveyChannel};
use kefu_domain::ticket::{Channel, Priority, TicketType};
use kefu_store::audit::Actor;
use kefu_store::customers::CustomerRow;
use kefu_store::surveys::NewResponse;
use kefu_store::tickets::{NewTicket, TicketToOpen};

/// The tag every follow-up work order carries (the queue can filter on it).
pub const FOLLOWUP_TAG: &str = "满意度跟进";

/// Where a follow-up goes: the department of the ticket the survey is about, else the
/// department of the customer's owner (from the balanced assignment), else the intake
/// department of the public form.
async fn followup_department(
    state: &AppState,
    ticket_id: Option<&str>,
    customer: &CustomerRow,
) -> Result<String, AppError> {
    if let Some(t) = ticket_id {
        return Ok(state.db().get_ticket(t).await?.ticket.department_id);
    }
    if let Some(owner) = &customer.core.owner_id {
        let mut departments = state.db().user_departments(owner).await?;
        departments.sort();
        if let Some(d) = departments.into_iter().next() {
            return Ok(d);
        }
    }
    let intake = &state.config().public_intake_department;
    state.db().intake_department(intake).await?.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "no department for survey follow-ups: create {intake:?}"
        ))
    })
}

/// The follow-up work order of a dissatisfied answer, unassigned in its department's
/// queue, saying which survey and answer it follows.
pub(super) async fn followup(
    state: &AppState,
    actor: &Actor,
    s: &Subject<'_>,
    r: &NewResponse,
) -> Result<TicketToOpen, AppError> {
    let customer = customer(state, s.customer_id).await?;
    let department_id = followup_department(state, s.ticket_id, &customer).await?;
    let tr = state.i18n().tr(Lang::ZhCn);
    let scores = [
        r.answers.csat.map(|c| format!("CSAT {c}")),
        r.answers.nps.map(|n| format!("NPS {n}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" / ");
    let subject = tr.f(
        "survey.followup_subject",
        &[("template", &s.template.name), ("scores", &scores)],
    );
    let mut lines = vec![tr.f(
        "survey.followup_intro",
        &[
            ("template", s.template.name.as_str()),
            ("response", r.id.as_str()),
            ("channel", tr.label("survey_channel", s.channel.code())),
        ],
    )];
    if let Some(cb) = s.callback_id {
        lines.push(tr.f("survey.followup_callback", &[("callback", cb)]));
    }
    for q in &s.template.questions {
        if let Some(a) = r.answers.answers.get(&q.id) {
            let text = match a {
                Answer::Score(n) => n.to_string(),
                Answer::Choices(c) => c.join("、"),
                Answer::Text(t) => t.clone(),
            };
            lines.push(format!("{}：{}", q.text, text));
        }
    }
    let ticket = NewTicket {
        ticket_type: TicketType::Inquiry,
        channel: match s.channel {
            SurveyChannel::Sms => Channel::Sms,
            SurveyChannel::Email => Channel::Email,
            SurveyChannel::Callback => Channel::Phone,
        },
        priority: Priority::High,
        subject: subject
            .chars()
            .take(crate::app::tickets::MAX_SUBJECT_CHARS)
            .collect(),
        description: lines.join("\n"),
        occurred_at: None,
        place: None,
        people: None,
        contact_name: Some(customer.core.name.clone()),
        contact_phone: contact_of(&customer, ContactKind::Mobile)
            .or_else(|| contact_of(&customer, ContactKind::Landline)),
        customer_id: Some(customer.core.id.clone()),
        department_id,
        owner_id: None,
        tags: vec![FOLLOWUP_TAG.to_string()],
        call_id: None,
    };
    let now = state.clock().now();
    let deadlines = opening_deadlines(
        state,
        now,
        TicketType::Inquiry,
        Priority::High,
        Some(&customer.core.tier),
    )
    .await?;
    Ok(TicketToOpen {
        actor: actor.clone(),
        now,
        ticket,
        deadlines,
    })
}
