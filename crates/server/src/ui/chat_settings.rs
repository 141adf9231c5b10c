//! The chat settings page (`/chat/settings`, `chat.manage`): the topics (code, name,
//! skills, routing rule, hours, the department their tickets go to), each agent's
//! capacity and skills, and the scripts (话术) agents insert in the console. Forms post
//! to the same app-layer functions as the JSON API.

use super::{render, shown_on_form, Chrome, Page, UiError};
use crate::app::chat::manage::{self, AgentPayload, ChatAgentView, TopicPayload, TopicView};
use crate::app::chat::scripts::{self, ScriptPayload, ScriptView};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::ui::form_field as field;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use kefu_domain::chat::skill_words;
use kefu_domain::chat::Routing;
use kefu_domain::sla::SlaCalendar;
use kefu_domain::Permission;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/chat/settings", get(settings_page))
        .route("/chat/settings/topics", post(create_topic))
        .route("/chat/settings/topics/{id}", post(update_topic))
        .route("/chat/settings/agents", post(save_agent))
        .route("/chat/settings/scripts", post(create_script))
        .route("/chat/settings/scripts/{id}", post(update_script))
        .route("/chat/settings/scripts/{id}/delete", post(delete_script))
}

/// The topic form as shown.
#[derive(Default)]
pub struct TopicForm {
    pub id: Option<String>,
    pub code: String,
    pub name: String,
    pub skills: String,
    pub routing: String,
    pub hours: String,
    pub department_id: String,
    pub active: bool,
}

/// The script form as shown.
#[derive(Default)]
pub struct ScriptForm {
    pub id: Option<String>,
    pub title: String,
    pub body: String,
    pub topic_id: String,
}

#[derive(Template)]
#[template(path = "chat_settings.html")]
struct SettingsPage<'a> {
    t: Tr<'a>,
    chrome: Chrome,
    topics: Vec<TopicView>,
    agents: Vec<ChatAgentView>,
    scripts: Vec<ScriptView>,
    topic: TopicForm,
    script: ScriptForm,
    /// Staff without a chat desk yet: (user id, name).
    staff: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    routings: Vec<(String, String)>,
    hours: Vec<(String, String)>,
    error: Option<String>,
    saved: bool,
}

#[derive(Deserialize, Default)]
struct SettingsQuery {
    topic: Option<String>,
    script: Option<String>,
    saved: Option<String>,
}

fn blank_topic() -> TopicForm {
    TopicForm {
        routing: Routing::LeastBusy.code().into(),
        hours: SlaCalendar::OnDuty.code().into(),
        active: true,
        ..TopicForm::default()
    }
}

async fn show(
    page: &Page,
    topic: TopicForm,
    script: ScriptForm,
    error: Option<String>,
    saved: bool,
) -> Result<Response, UiError> {
    let st = &page.state;
    let err = |e: AppError| page.error(e);
    let topics = manage::topics(st).await.map_err(err)?;
    let agents = manage::agents(st).await.map_err(err)?;
    let scripts = scripts::list(st).await.map_err(err)?;
    let staff = st
        .db()
        .list_users()
        .await
        .map_err(|e| page.error(e.into()))?
        .into_iter()
        .filter(|u| u.active != 0 && !agents.iter().any(|a| a.user_id == u.id))
        .map(|u| (u.id, u.display_name))
        .collect();
    let departments = st
        .db()
        .list_departments()
        .await
        .map_err(|e| page.error(e.into()))?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let t = page.t();
    Ok(render(&SettingsPage {
        topics,
        agents,
        scripts,
        topic,
        script,
        staff,
        departments,
        routings: t.options("chat_routing", Routing::ALL.iter().map(|r| r.code())),
        hours: t.options("sla.calendar", SlaCalendar::ALL.iter().map(|c| c.code())),
        error,
        saved,
        chrome: page.chrome("chat"),
        t,
    }))
}

async fn settings_page(page: Page, Query(q): Query<SettingsQuery>) -> Result<Response, UiError> {
    require_manager(&page)?;
    let topic = match q.topic.as_deref().filter(|s| !s.is_empty()) {
        None => blank_topic(),
        Some(id) => {
            let t = page
                .state
                .db()
                .get_chat_topic(id)
                .await
                .map_err(|e| page.error(e.into()))?;
            let v = manage::topic_view(&t);
            TopicForm {
                id: Some(v.id),
                code: v.code,
                name: v.name,
                skills: v.skills.join(", "),
                routing: v.routing,
                hours: v.hours,
                department_id: v.department_id.unwrap_or_default(),
                active: v.active,
            }
        }
    };
    let script = match q.script.as_deref().filter(|s| !s.is_empty()) {
        None => ScriptForm::default(),
        Some(id) => {
            let s = scripts::get(&page.state, id)
                .await
                .map_err(|e| page.error(e))?;
            ScriptForm {
                id: Some(s.id),
                title: s.title,
                body: s.body,
                topic_id: s.topic_id.unwrap_or_default(),
            }
        }
    };
    show(&page, topic, script, None, q.saved.is_some()).await
}

/// Back to the page after a save; a correctable mistake shows the form again with the
/// reason (and what was typed).
async fn done(
    page: &Page,
    result: Result<(), AppError>,
    topic: TopicForm,
    script: ScriptForm,
) -> Result<Response, UiError> {
    match result {
        Ok(()) => Ok(Redirect::to("/chat/settings?saved=1").into_response()),
        Err(e) if shown_on_form(&e) => {
            let status = e.status();
            let shown = show(page, topic, script, Some(e.to_string()), false).await?;
            Ok((status, shown).into_response())
        }
        Err(e) => Err(page.error(e)),
    }
}

/// The forms' own permission check (the API's gate does not guard pages).
fn require_manager(page: &Page) -> Result<(), UiError> {
    page.ctx
        .require(Permission::ChatManage)
        .map_err(|e| page.error(e))
}

/// Skills as typed, split by the domain's rule.
fn skill_list(raw: &str) -> Vec<String> {
    skill_words(raw).map(str::to_string).collect()
}

fn read_topic(id: Option<String>, pairs: &[(String, String)]) -> (TopicForm, TopicPayload) {
    let f = |n: &str| field(pairs, n);
    let form = TopicForm {
        id,
        code: f("code"),
        name: f("name"),
        skills: f("skills"),
        routing: f("routing"),
        hours: f("hours"),
        department_id: f("department_id"),
        active: !f("active").is_empty(),
    };
    let payload = TopicPayload {
        code: form.code.clone(),
        name: form.name.clone(),
        skills: skill_list(&form.skills),
        routing: form.routing.clone(),
        hours: form.hours.clone(),
        department_id: Some(form.department_id.clone()),
        active: form.active,
    };
    (form, payload)
}

async fn save_topic(
    page: Page,
    id: Option<String>,
    pairs: Vec<(String, String)>,
) -> Result<Response, UiError> {
    require_manager(&page)?;
    page.check_csrf(&field(&pairs, "_csrf"))?;
    let (form, payload) = read_topic(id.clone(), &pairs);
    let result = manage::save_topic(&page.state, &page.ctx, id.as_deref(), &payload)
        .await
        .map(|_| ());
    done(&page, result, form, ScriptForm::default()).await
}

async fn create_topic(
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    save_topic(page, None, pairs).await
}

async fn update_topic(
    page: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    save_topic(page, Some(id), pairs).await
}

async fn save_agent(
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    require_manager(&page)?;
    page.check_csrf(&field(&pairs, "_csrf"))?;
    let capacity = field(&pairs, "capacity")
        .trim()
        .parse::<i64>()
        .unwrap_or(-1);
    let payload = AgentPayload {
        capacity,
        skills: skill_list(&field(&pairs, "skills")),
    };
    let result =
        manage::save_agent(&page.state, &page.ctx, &field(&pairs, "user_id"), &payload).await;
    done(&page, result, blank_topic(), ScriptForm::default()).await
}

fn read_script(id: Option<String>, pairs: &[(String, String)]) -> (ScriptForm, ScriptPayload) {
    let form = ScriptForm {
        id,
        title: field(pairs, "title"),
        body: field(pairs, "body"),
        topic_id: field(pairs, "topic_id"),
    };
    let payload = ScriptPayload {
        title: form.title.clone(),
        body: form.body.clone(),
        topic_id: Some(form.topic_id.clone()),
    };
    (form, payload)
}

async fn save_script(
    page: Page,
    id: Option<String>,
    pairs: Vec<(String, String)>,
) -> Result<Response, UiError> {
    require_manager(&page)?;
    page.check_csrf(&field(&pairs, "_csrf"))?;
    let (form, payload) = read_script(id.clone(), &pairs);
    let result = scripts::save(&page.state, &page.ctx, id.as_deref(), &payload)
        .await
        .map(|_| ());
    done(&page, result, blank_topic(), form).await
}

async fn create_script(
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    save_script(page, None, pairs).await
}

async fn update_script(
    page: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    save_script(page, Some(id), pairs).await
}

async fn delete_script(
    page: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    require_manager(&page)?;
    page.check_csrf(&field(&pairs, "_csrf"))?;
    let result = scripts::delete(&page.state, &page.ctx, &id).await;
    done(&page, result, blank_topic(), ScriptForm::default()).await
}
