//! Polling the mailboxes. Not a durable job: a scheduler job holds the database's write
//! transaction while it runs, and a poll talks to an IMAP server for seconds and ingests
//! each message in a transaction of its own. Instead each server runs this loop, and a
//! lease row per mailbox (`Db::take_mailbox_lease`, one conditional UPDATE) makes sure
//! only one server at a time reads a mailbox; a server that dies loses its lease when it
//! runs out.

use crate::app::mail::imap::{fetch_new, ImapSettings};
use crate::app::mail::ingest::ingest_raw;
use crate::state::AppState;
use chrono::Duration;
use std::sync::OnceLock;

/// How long a poll may hold a mailbox before another server may take it over.
const LEASE_MINUTES: i64 = 5;
/// Seconds between polls.
const EVERY_SECS: u64 = 60;

/// This process's name in the lease column.
pub fn holder() -> &'static str {
    static HOLDER: OnceLock<String> = OnceLock::new();
    HOLDER.get_or_init(|| format!("kefu-{}", hex::encode(rand::random::<[u8; 8]>())))
}

/// What one round of polls did, per mailbox polled.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PollReport {
    /// Mailboxes this server polled (others were leased elsewhere or disabled).
    pub polled: usize,
    pub ingested: usize,
    pub failed: usize,
}

/// Polls every enabled mailbox this server can lease, as `holder`.
pub async fn poll_mailboxes(state: &AppState, holder: &str) -> anyhow::Result<PollReport> {
    let mut report = PollReport::default();
    for mailbox in state.db().list_mailboxes().await? {
        if mailbox.enabled == 0 {
            continue;
        }
        let now = state.clock().now();
        let until = now + Duration::minutes(LEASE_MINUTES);
        if !state
            .db()
            .take_mailbox_lease(&mailbox.id, holder, now, until)
            .await?
        {
            continue;
        }
        report.polled += 1;
        let secrets = state.db().mailbox_secrets(&mailbox.id).await?;
        let settings = ImapSettings {
            host: mailbox.imap_host.clone(),
            port: u16::try_from(mailbox.imap_port).unwrap_or(993),
            security: mailbox.imap_security.clone(),
            username: mailbox.imap_username.clone(),
            auth: mailbox.imap_auth.clone(),
            secret: secrets.imap_secret.unwrap_or_default(),
            folder: mailbox.imap_folder.clone(),
        };
        let known_validity = mailbox.uid_validity.and_then(|v| u32::try_from(v).ok());
        let last_uid = u32::try_from(mailbox.last_uid).unwrap_or(0);
        let (position, error) = match fetch_new(&settings, known_validity, last_uid).await {
            Err(e) => (None, Some(format!("{e:#}"))),
            Ok(fetched) => {
                let same_folder = known_validity == Some(fetched.uid_validity);
                let mut last = if same_folder { last_uid } else { 0 };
                let mut error = None;
                for (uid, raw) in &fetched.messages {
                    match ingest_raw(state, &mailbox.id, &mailbox.address, raw).await {
                        Ok(_) => {
                            report.ingested += 1;
                            last = *uid;
                        }
                        Err(e) => {
                            // Stop here: the next poll starts again at this message.
                            error = Some(format!("message UID {uid}: {e}"));
                            break;
                        }
                    }
                }
                (
                    Some((i64::from(fetched.uid_validity), i64::from(last))),
                    error,
                )
            }
        };
        if let Some(e) = &error {
            report.failed += 1;
            tracing::warn!(mailbox = %mailbox.id, error = %e, "mailbox poll failed");
        }
        state
            .db()
            .finish_mailbox_poll(
                &mailbox.id,
                holder,
                state.clock().now(),
                position,
                error.as_deref(),
            )
            .await?;
    }
    Ok(report)
}

/// Polls the mailboxes every minute until the process ends.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(EVERY_SECS));
        loop {
            tick.tick().await;
            if let Err(e) = poll_mailboxes(&state, holder()).await {
                tracing::warn!(error = %format!("{e:#}"), "mail poll round failed");
            }
        }
    });
}

/// Attempts before a message is given up (dead); waits between them double from a minute.
const MAX_SEND_ATTEMPTS: i64 = 6;
/// Messages one server leases per round.
const SEND_BATCH: usize = 50;

/// What one round of sending did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SendReport {
    pub adopted: usize,
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
}

/// Takes queued survey links into the outbox, then delivers what is due, as `holder`.
pub async fn send_outbox(state: &AppState, holder: &str) -> anyhow::Result<SendReport> {
    use crate::app::mail::{sms, smtp, token_secret};
    let mut report = SendReport::default();
    let now = state.clock().now();
    let mailboxes = state.db().list_mailboxes().await?;
    let sender = mailboxes.iter().find(|m| m.enabled != 0);
    let subject = state
        .i18n()
        .tr(crate::i18n::Lang::ZhCn)
        .t("mail_template.survey_subject")
        .to_string();
    for s in state.db().queued_survey_messages(SEND_BATCH).await? {
        let m = kefu_store::mail::NewOutgoing {
            channel: s.channel.clone(),
            mailbox_id: sender
                .filter(|_| s.channel == "email")
                .map(|m| m.id.clone()),
            ticket_id: s.ticket_id.clone(),
            recipient: s.recipient.clone(),
            subject: subject.clone(),
            body: s.message.clone(),
            ..Default::default()
        };
        if state.db().adopt_survey_message(now, &s.id, &m).await? {
            report.adopted += 1;
        }
    }

    let lease = now + Duration::minutes(LEASE_MINUTES);
    let rows = state
        .db()
        .claim_outgoing(holder, now, lease, SEND_BATCH)
        .await?;
    if rows.is_empty() {
        return Ok(report);
    }
    let sms_settings = state.db().get_sms_settings().await?;
    for row in rows {
        let outcome: anyhow::Result<String> = match row.channel.as_str() {
            "email" => {
                let mailbox = match &row.mailbox_id {
                    Some(id) => mailboxes.iter().find(|m| &m.id == id),
                    None => None,
                };
                match mailbox {
                    None => Err(anyhow::anyhow!("no mailbox to send from")),
                    Some(mb) => {
                        let secrets = state.db().mailbox_secrets(&mb.id).await?;
                        let settings = smtp::SmtpSettings {
                            host: mb.smtp_host.clone(),
                            port: u16::try_from(mb.smtp_port).unwrap_or(465),
                            security: mb.smtp_security.clone(),
                            username: mb.smtp_username.clone(),
                            secret: secrets.smtp_secret,
                        };
                        let reply_to = match &row.ticket_id {
                            Some(ticket) => {
                                let secret = token_secret(state)
                                    .await
                                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                                Some(kefu_domain::mail::token::reply_address(
                                    secret.0.as_bytes(),
                                    &mb.address,
                                    ticket,
                                ))
                            }
                            None => None,
                        };
                        smtp::send(
                            &settings,
                            &smtp::Outgoing {
                                from_name: &mb.name,
                                from_address: &mb.address,
                                reply_to: reply_to.as_deref(),
                                to: &row.recipient,
                                subject: &row.subject,
                                body: &row.body,
                                message_id: row.message_id.as_deref(),
                                in_reply_to: row.in_reply_to.as_deref(),
                            },
                        )
                        .await
                    }
                }
            }
            "sms" => match &sms_settings {
                Some(s) if s.enabled != 0 => {
                    let settings = sms::SmsSettings {
                        url: s.url.clone(),
                        api_key: s.api_key.clone(),
                        template: s.template.clone(),
                    };
                    sms::send(&settings, &row.recipient, &row.body).await
                }
                _ => Err(anyhow::anyhow!("no SMS gateway is configured")),
            },
            other => Err(anyhow::anyhow!("unknown channel {other}")),
        };
        let at = state.clock().now();
        match outcome {
            Ok(reference) => {
                state
                    .db()
                    .mark_outgoing_sent(&row, holder, at, Some(&reference))
                    .await?;
                report.sent += 1;
            }
            Err(e) => {
                let retry = (row.attempts < MAX_SEND_ATTEMPTS)
                    .then(|| at + Duration::minutes(1 << (row.attempts - 1).clamp(0, 10)));
                if retry.is_some() {
                    report.retried += 1;
                } else {
                    report.dead += 1;
                }
                // The reason stays on the outbox entry, not in the log: a server's answer
                // often quotes the recipient's address or number.
                tracing::warn!(outbox = %row.id, channel = %row.channel, attempts = row.attempts, "sending failed");
                state
                    .db()
                    .mark_outgoing_failed(&row, holder, &format!("{e:#}"), retry)
                    .await?;
            }
        }
    }
    Ok(report)
}

/// Delivers the outbox every few seconds until the process ends.
pub fn spawn_sender(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            if let Err(e) = send_outbox(&state, holder()).await {
                tracing::warn!(error = %format!("{e:#}"), "outbox round failed");
            }
        }
    });
}
