//! The SMS gateway adapter: one HTTP POST per message to the provider's URL, JSON
//! `{"to", "template", "text"}` with the key in `Authorization: Bearer`. A 2xx answer
//! is a delivery accepted by the provider; its `id` (or the whole body) is recorded as
//! the delivery reference. Anything else is a failed attempt, retried by the outbox.

use anyhow::{bail, Context};

#[derive(Clone)]
pub struct SmsSettings {
    pub url: String,
    pub api_key: Option<String>,
    pub template: String,
}

impl std::fmt::Debug for SmsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsSettings")
            .field("url", &self.url)
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

pub async fn send(s: &SmsSettings, to: &str, text: &str) -> anyhow::Result<String> {
    // reqwest takes the process's TLS provider (the binary installs it at start; tests
    // may call this without the binary).
    crate::install_tls_provider();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()?;
    let mut req = client.post(&s.url).json(&serde_json::json!({
        "to": to,
        "template": s.template,
        "text": text,
    }));
    if let Some(key) = &s.api_key {
        req = req.bearer_auth(key);
    }
    let res = req.send().await.context("SMS gateway unreachable")?;
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    if !status.is_success() {
        let head: String = body.chars().take(200).collect();
        bail!("SMS gateway answered {status}: {head}");
    }
    let reference = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("id")
                .map(|id| id.as_str().map_or(id.to_string(), str::to_string))
        })
        .unwrap_or_else(|| body.chars().take(200).collect());
    Ok(reference)
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsSettingsPayload {
    pub enabled: bool,
    /// The provider's endpoint (https; http only to 127.0.0.1).
    pub url: String,
    /// Empty or absent keeps the stored key.
    pub api_key: Option<String>,
    /// The provider's template id for kefu's messages.
    pub template: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SmsSettingsView {
    pub enabled: bool,
    pub url: String,
    pub template: String,
    pub api_key_set: bool,
}

pub async fn get_settings(
    state: &crate::state::AppState,
    ctx: &crate::auth::Ctx,
) -> Result<SmsSettingsView, crate::error::AppError> {
    ctx.require(kefu_domain::Permission::MailManage)?;
    Ok(match state.db().get_sms_settings().await? {
        Some(s) => SmsSettingsView {
            enabled: s.enabled != 0,
            url: s.url,
            template: s.template,
            api_key_set: s.api_key.is_some(),
        },
        None => SmsSettingsView {
            enabled: false,
            url: String::new(),
            template: String::new(),
            api_key_set: false,
        },
    })
}

pub async fn save_settings(
    state: &crate::state::AppState,
    ctx: &crate::auth::Ctx,
    p: &SmsSettingsPayload,
) -> Result<(), crate::error::AppError> {
    use crate::error::AppError;
    ctx.require(kefu_domain::Permission::MailManage)?;
    let url = p.url.trim();
    let host = url
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', ':']).next().unwrap_or(""))
        .unwrap_or("");
    let ok = (url.starts_with("https://") && !host.is_empty())
        || (url.starts_with("http://") && super::mailboxes::is_loopback(host));
    if !ok {
        return Err(AppError::invalid_field(
            "invalid_url",
            "url",
            "give an https:// URL (http:// only to 127.0.0.1)",
        ));
    }
    let template = p.template.trim();
    if template.is_empty() || template.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "invalid_field",
            "template",
            "give the provider's template id (1 to 100 characters)",
        ));
    }
    let key = p.api_key.as_deref().filter(|k| !k.is_empty());
    state
        .db()
        .save_sms_settings(
            &ctx.actor(),
            state.clock().now(),
            p.enabled,
            url,
            key,
            template,
        )
        .await?;
    Ok(())
}
