//! Getting answers: a signed link sent to the customer (queued in the outbox for a
//! gateway, and shown to the agent to send by hand), the customer answering through it
//! without a log-in, and an agent recording the answers given on a callback. Every answer
//! goes through [`record`]: checked against its template, judged by the dissatisfied
//! rule, and — when dissatisfied — stored together with its follow-up work order (see
//! `followup`).

use super::link_secret;
use crate::app::public::limit::Kind;
use crate::app::rfc3339;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;
use chrono::Duration;
use kefu_domain::customer::{ContactKind, ContactValue};
use kefu_domain::survey::{
    check_link, parse_answers, parse_link, sign_link, InvitationFacts, LinkError, SurveyChannel,
};
use kefu_domain::Permission;
use kefu_store::audit::Actor;
use kefu_store::customers::CustomerRow;
use kefu_store::surveys::{InvitationRow, NewInvitation, NewResponse, TemplateRow};
use kefu_store::{from_millis, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Send a survey link by SMS or e-mail. The recipient defaults to the customer's first
/// mobile number (SMS) or e-mail address.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendPayload {
    pub template_id: String,
    pub customer_id: String,
    /// The ticket the survey is about (id or number), if any.
    #[serde(default)]
    pub ticket: Option<String>,
    /// sms or email
    pub channel: String,
    #[serde(default)]
    pub recipient: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SentView {
    pub invitation_id: String,
    /// The link to send (absolute when the request named its host).
    pub url: String,
    /// The queued message with the link, as a gateway will send it.
    pub message: String,
    /// Masked.
    pub recipient: String,
    pub expires_at: String,
}

/// Answers keyed by question id (`q1`…): a number for CSAT/NPS, a string for a single
/// choice or text, a list of strings for a multiple choice.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersPayload {
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, serde_json::Value>,
}

/// An agent records the answers a customer gave on the phone.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentAnswerPayload {
    pub template_id: String,
    pub customer_id: String,
    #[serde(default)]
    pub ticket: Option<String>,
    /// The callback (回访) the questions were asked on; one answer per callback and
    /// template.
    #[serde(default)]
    pub callback_id: Option<String>,
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnsweredView {
    pub response_id: String,
    pub dissatisfied: bool,
    /// The follow-up work order a dissatisfied answer opened.
    pub followup_ticket: Option<FollowupRef>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowupRef {
    pub id: String,
    pub number: String,
}

/// What the customer's page shows: the questions, never who the customer is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicSurveyView {
    pub title: String,
    pub description: Option<String>,
    pub questions: Vec<super::QuestionView>,
    pub expires_at: String,
}

impl From<LinkError> for AppError {
    fn from(e: LinkError) -> Self {
        let (code, message) = (e.code(), e.to_string());
        match e {
            LinkError::Forged => AppError::Unknown { code, message },
            LinkError::Tampered | LinkError::Expired => AppError::Refused { code, message },
            LinkError::Used => AppError::Conflict { code, message },
        }
    }
}

/// Raw values from JSON: numbers and strings as text, lists element by element.
pub fn raw_answers(answers: &BTreeMap<String, serde_json::Value>) -> BTreeMap<String, Vec<String>> {
    fn text(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    answers
        .iter()
        .map(|(k, v)| {
            let values = match v {
                serde_json::Value::Array(items) => items.iter().filter_map(text).collect(),
                other => text(other).into_iter().collect(),
            };
            (k.clone(), values)
        })
        .collect()
}

pub(super) async fn customer(state: &AppState, id: &str) -> Result<CustomerRow, AppError> {
    match state.db().get_customer(id.trim()).await {
        Ok(c) => Ok(c),
        Err(StoreError::NotFound) => Err(AppError::invalid_field(
            "unknown_customer",
            "customer_id",
            format!("no customer {id}"),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn ticket_ref(state: &AppState, raw: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(r) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let id = crate::app::tickets::resolve_ref(state, r).await?;
    match state.db().get_ticket(&id).await {
        Ok(_) => Ok(Some(id)),
        Err(StoreError::NotFound) => Err(AppError::invalid_field(
            "unknown_ticket",
            "ticket",
            format!("no ticket {r}"),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn active_template(state: &AppState, id: &str) -> Result<TemplateRow, AppError> {
    match state.db().get_survey_template(id.trim()).await {
        Ok(t) if t.active => Ok(t),
        Ok(_) | Err(StoreError::NotFound) => Err(AppError::invalid_field(
            "unknown_template",
            "template_id",
            format!("no active survey template {id}"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The first contact of `kind` the customer has.
pub(super) fn contact_of(c: &CustomerRow, kind: ContactKind) -> Option<String> {
    c.contacts
        .iter()
        .find(|x| x.kind == kind.code())
        .map(|x| x.value.clone())
}

/// `http(s)://host` of the request, for links the agent sends (kefu has no configured
/// public address; the agent's own address is the one customers can reach).
pub fn base_url(state: &AppState, headers: &axum::http::HeaderMap) -> String {
    let scheme = if state.config().secure_cookies {
        "https"
    } else {
        "http"
    };
    headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })
        .map(|h| format!("{scheme}://{h}"))
        .unwrap_or_default()
}

/// Makes a link for a customer and queues its message for the gateway.
pub async fn send(
    state: &AppState,
    ctx: &Ctx,
    base_url: &str,
    p: &SendPayload,
) -> Result<SentView, AppError> {
    ctx.require(Permission::SurveySend)?;
    let channel = SurveyChannel::from_code(p.channel.trim())
        .filter(|c| *c != SurveyChannel::Callback)
        .ok_or_else(|| {
            AppError::invalid_field("invalid_channel", "channel", "send by sms or email")
        })?;
    let template = active_template(state, &p.template_id).await?;
    let customer = customer(state, &p.customer_id).await?;
    let ticket_id = ticket_ref(state, p.ticket.as_deref()).await?;
    let kind = match channel {
        SurveyChannel::Email => ContactKind::Email,
        _ => ContactKind::Mobile,
    };
    let raw = match p
        .recipient
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(r) => r.to_string(),
        None => contact_of(&customer, kind).ok_or_else(|| {
            AppError::invalid_field(
                "no_recipient",
                "recipient",
                format!(
                    "the customer has no {} contact; give a recipient",
                    kind.code()
                ),
            )
        })?,
    };
    let recipient = ContactValue::parse(kind, &raw)
        .map_err(|e| AppError::invalid_field("invalid_recipient", "recipient", e.to_string()))?
        .value;
    let now = state.clock().now();
    let settings = state.db().get_survey_settings().await?;
    let expires_at = now + Duration::days(settings.link_days);
    let id = kefu_store::new_id();
    let secret = link_secret(state).await?;
    let url = format!(
        "{}/s/{}",
        base_url.trim_end_matches('/'),
        sign_link(secret.0.as_bytes(), &id, expires_at)
    );
    let tr = state.i18n().tr(Lang::ZhCn);
    let message = tr.f(
        "survey.message",
        &[("url", &url), ("days", &settings.link_days.to_string())],
    );
    let inv = NewInvitation {
        id: id.clone(),
        template_id: template.id.clone(),
        customer_id: customer.core.id.clone(),
        ticket_id,
        channel,
        recipient: recipient.clone(),
        expires_at,
        message: message.clone(),
    };
    state
        .db()
        .create_survey_invitation(&ctx.actor(), now, &inv, &template.name)
        .await?;
    Ok(SentView {
        invitation_id: id,
        url,
        message,
        recipient: crate::app::customers::mask_contact(kind.code(), &recipient),
        expires_at: rfc3339(kefu_store::to_millis(expires_at)),
    })
}

/// The invitation a token names, once the token is proven good for one answer now.
async fn checked_invitation(
    state: &AppState,
    token: &str,
) -> Result<(InvitationRow, TemplateRow), AppError> {
    let claims = parse_link(token)?;
    let inv = state
        .db()
        .get_survey_invitation(&claims.invitation_id)
        .await?;
    let facts = inv.as_ref().map(|i| InvitationFacts {
        expires_at: from_millis(i.expires_at),
        answered: i.answered_at.is_some(),
    });
    let secret = link_secret(state).await?;
    check_link(secret.0.as_bytes(), &claims, facts, state.clock().now())?;
    let inv = inv.ok_or(LinkError::Forged)?;
    let template = state.db().get_survey_template(&inv.template_id).await?;
    Ok((inv, template))
}

/// The survey behind a link, for the customer's page. Rate-limited per address like
/// the other public lookups (guessing tokens is slow).
pub async fn open_link(
    state: &AppState,
    addr: Option<&str>,
    token: &str,
) -> Result<PublicSurveyView, AppError> {
    state
        .public_limiter()
        .check(Kind::Lookup, addr.unwrap_or("unknown"), state.clock().now())?;
    let (inv, template) = checked_invitation(state, token).await?;
    Ok(PublicSurveyView {
        title: template.name.clone(),
        description: template.description.clone(),
        questions: template
            .questions
            .iter()
            .map(super::question_view)
            .collect(),
        expires_at: rfc3339(inv.expires_at),
    })
}

/// The customer's answer through a link: one per link, refused once used or expired.
pub async fn answer_link(
    state: &AppState,
    addr: Option<&str>,
    token: &str,
    raw: &BTreeMap<String, Vec<String>>,
) -> Result<AnsweredView, AppError> {
    state
        .public_limiter()
        .check(Kind::Lookup, addr.unwrap_or("unknown"), state.clock().now())?;
    let (inv, template) = checked_invitation(state, token).await?;
    let channel = SurveyChannel::from_code(&inv.channel).unwrap_or(SurveyChannel::Sms);
    let actor = Actor {
        user_id: None,
        name: "survey link".into(),
        client_addr: addr.map(str::to_string),
    };
    let subject = Subject {
        template: &template,
        customer_id: &inv.customer_id,
        ticket_id: inv.ticket_id.as_deref(),
        callback_id: None,
        invitation_id: Some(&inv.id),
        channel,
    };
    record(state, &actor, None, &subject, raw)
        .await
        .map_err(|e| match e.code() {
            // A racing answer won: the same refusal as a used link.
            "survey_already_answered" => LinkError::Used.into(),
            _ => e,
        })
}

/// An agent records the answers given on a callback (or any call).
pub async fn answer_as_agent(
    state: &AppState,
    ctx: &Ctx,
    p: &AgentAnswerPayload,
) -> Result<AnsweredView, AppError> {
    ctx.require(Permission::SurveySend)?;
    let template = active_template(state, &p.template_id).await?;
    let customer = customer(state, &p.customer_id).await?;
    let ticket_id = ticket_ref(state, p.ticket.as_deref()).await?;
    let callback_id = p
        .callback_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if callback_id.is_some_and(|c| c.chars().count() > 64) {
        return Err(AppError::invalid_field(
            "invalid_callback",
            "callback_id",
            "not a callback id",
        ));
    }
    let subject = Subject {
        template: &template,
        customer_id: &customer.core.id,
        ticket_id: ticket_id.as_deref(),
        callback_id,
        invitation_id: None,
        channel: SurveyChannel::Callback,
    };
    record(
        state,
        &ctx.actor(),
        Some(&ctx.user_id),
        &subject,
        &raw_answers(&p.answers),
    )
    .await
}

/// What an answer is about.
pub(super) struct Subject<'a> {
    pub template: &'a TemplateRow,
    pub customer_id: &'a str,
    pub ticket_id: Option<&'a str>,
    pub callback_id: Option<&'a str>,
    pub invitation_id: Option<&'a str>,
    pub channel: SurveyChannel,
}

impl From<kefu_domain::survey::AnswerError> for AppError {
    fn from(e: kefu_domain::survey::AnswerError) -> Self {
        AppError::invalid_field(e.code(), "answers", e.to_string())
    }
}

async fn record(
    state: &AppState,
    actor: &Actor,
    answered_by: Option<&str>,
    s: &Subject<'_>,
    raw: &BTreeMap<String, Vec<String>>,
) -> Result<AnsweredView, AppError> {
    let answers = parse_answers(&s.template.questions, raw)?;
    let settings = state.db().get_survey_settings().await?;
    let dissatisfied = settings
        .thresholds
        .is_dissatisfied(answers.csat, answers.nps);
    let response = NewResponse {
        id: kefu_store::new_id(),
        invitation_id: s.invitation_id.map(str::to_string),
        template_id: s.template.id.clone(),
        customer_id: s.customer_id.to_string(),
        ticket_id: s.ticket_id.map(str::to_string),
        callback_id: s.callback_id.map(str::to_string),
        channel: s.channel,
        answers,
        dissatisfied,
    };
    let followup = match dissatisfied {
        true => Some(super::followup::followup(state, actor, s, &response).await?),
        false => None,
    };
    let recorded = state
        .db()
        .record_survey_response(
            actor,
            answered_by,
            state.clock().now(),
            &response,
            &s.template.name,
            followup.as_ref(),
        )
        .await?;
    Ok(AnsweredView {
        response_id: recorded.response_id,
        dissatisfied,
        followup_ticket: recorded.followup.map(|(id, number)| FollowupRef {
            id,
            number: number.as_str().to_string(),
        }),
    })
}
