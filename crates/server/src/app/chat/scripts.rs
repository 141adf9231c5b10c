//! Scripts (话术): canned replies kept on the settings page (`chat.manage`) and listed in
//! the console beside the reply box (`chat.answer`), for every topic or for one.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::chat::MAX_MESSAGE_CHARS;
use kefu_store::chat::{ScriptInput, ScriptRow};
use kefu_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest script title accepted.
pub const MAX_TITLE_CHARS: usize = 100;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScriptView {
    pub id: String,
    pub title: String,
    /// The text inserted into the reply box.
    pub body: String,
    /// The topic it is for; `None` = every topic.
    pub topic_id: Option<String>,
    pub topic: Option<String>,
}

pub fn script_view(s: &ScriptRow) -> ScriptView {
    ScriptView {
        id: s.id.clone(),
        title: s.title.clone(),
        body: s.body.clone(),
        topic_id: s.topic_id.clone(),
        topic: s.topic_name.clone(),
    }
}

/// A script. `topic_id` empty or absent = for every topic.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptPayload {
    pub title: String,
    pub body: String,
    pub topic_id: Option<String>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> AppError {
    AppError::InvalidField {
        code: "invalid_chat_script",
        field,
        message: message.into(),
    }
}

async fn script_input(state: &AppState, p: &ScriptPayload) -> Result<ScriptInput, AppError> {
    let title = p.title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(invalid("title", format!("1–{MAX_TITLE_CHARS} characters")));
    }
    // The body is what an agent sends: the message rules apply (trimmed, 1–4,000).
    let body = p.body.trim();
    if body.is_empty() || body.chars().count() > MAX_MESSAGE_CHARS {
        return Err(invalid("body", format!("1–{MAX_MESSAGE_CHARS} characters")));
    }
    let topic_id = p
        .topic_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if let Some(t) = &topic_id {
        match state.db().get_chat_topic(t).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => return Err(invalid("topic_id", "no such topic")),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(ScriptInput {
        title: title.to_string(),
        body: body.to_string(),
        topic_id,
    })
}

pub async fn list(state: &AppState) -> Result<Vec<ScriptView>, AppError> {
    Ok(state
        .db()
        .list_chat_scripts()
        .await?
        .iter()
        .map(script_view)
        .collect())
}

pub async fn get(state: &AppState, id: &str) -> Result<ScriptView, AppError> {
    match state.db().get_chat_script(id).await {
        Ok(s) => Ok(script_view(&s)),
        Err(StoreError::NotFound) => Err(AppError::NotFound("chat script")),
        Err(e) => Err(e.into()),
    }
}

/// Creates (`id` = `None`) or updates a script; returns its id.
pub async fn save(
    state: &AppState,
    ctx: &Ctx,
    id: Option<&str>,
    p: &ScriptPayload,
) -> Result<String, AppError> {
    let input = script_input(state, p).await?;
    match state
        .db()
        .save_chat_script(&ctx.actor(), state.clock().now(), id, &input)
        .await
    {
        Ok(id) => Ok(id),
        Err(StoreError::NotFound) => Err(AppError::NotFound("chat script")),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(state: &AppState, ctx: &Ctx, id: &str) -> Result<(), AppError> {
    match state
        .db()
        .delete_chat_script(&ctx.actor(), state.clock().now(), id)
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound) => Err(AppError::NotFound("chat script")),
        Err(e) => Err(e.into()),
    }
}
