//! Reading the mailboxes and sending the outbox. Not durable jobs: a scheduler job holds
//! the database's write transaction while it runs, and reading a mailbox talks to an
//! IMAP server for seconds (or, with IDLE, for as long as the server runs) and ingests
//! each message in a transaction of its own. Instead each server runs these loops, and a
//! lease row per mailbox (`Db::take_mailbox_lease`, one conditional UPDATE) makes sure
//! only one server at a time reads a mailbox; a server that dies loses its lease when it
//! runs out, and another one takes the mailbox over.
//!
//! Where the IMAP server offers IDLE, the server holding a mailbox keeps its connection
//! open and waits for the IMAP server to announce new mail (renewing its lease every
//! minute, re-issuing IDLE every 25 minutes), so a message becomes a ticket within a
//! second of arriving; elsewhere the mailbox is polled every minute.

use crate::app::mail::imap::{connect, Connection, ImapSettings, Woken, MAX_PER_POLL};
use crate::app::mail::ingest::{commit, prepare};
use crate::app::mail::trust;
use crate::state::AppState;
use chrono::Duration;
use futures::StreamExt;
use kefu_store::mail::MailboxRow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Messages of one batch parsed and kept ahead of the one being committed.
const PREPARE_AHEAD: usize = 8;
/// How long a server holds a mailbox without renewing before another may take it over.
const LEASE_MINUTES: i64 = 5;
/// Seconds between polls of a mailbox whose server has no IDLE (and between looks for
/// mailboxes no server reads).
pub const EVERY_SECS: u64 = 60;
/// Longest single IDLE before it is ended and re-issued (servers may drop a client idle
/// for 30 minutes, RFC 2177).
const IDLE_ROUND: std::time::Duration = std::time::Duration::from_secs(25 * 60);
/// How often a server waiting in IDLE renews its lease (well inside [`LEASE_MINUTES`]).
const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

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

/// Polls every enabled mailbox this server can lease, as `holder`, once (without
/// waiting in IDLE).
pub async fn poll_mailboxes(state: &AppState, holder: &str) -> anyhow::Result<PollReport> {
    let mut report = PollReport::default();
    for mailbox in state.db().list_mailboxes().await? {
        if mailbox.enabled == 0 || !take_lease(state, &mailbox.id, holder).await? {
            continue;
        }
        report.polled += 1;
        read_mailbox(state, &mailbox, holder, false, &mut report).await?;
    }
    Ok(report)
}

async fn take_lease(state: &AppState, id: &str, holder: &str) -> anyhow::Result<bool> {
    let now = state.clock().now();
    let until = now + Duration::minutes(LEASE_MINUTES);
    Ok(state
        .db()
        .take_mailbox_lease(id, holder, now, until)
        .await?)
}

/// The settings a connection was made with; when the admin changes any of them, the
/// server reading the mailbox lets it go and connects again.
fn settings_key(m: &MailboxRow) -> impl PartialEq {
    (
        m.enabled,
        m.imap_host.clone(),
        m.imap_port,
        m.imap_security.clone(),
        m.imap_username.clone(),
        m.imap_auth.clone(),
        m.imap_folder.clone(),
        m.updated_at,
    )
}

/// Records where the mailbox stands and keeps the lease; false when it is not this
/// server's to read any more (lease lost, disabled, settings changed).
async fn keep_reading(
    state: &AppState,
    mailbox: &MailboxRow,
    holder: &str,
    position: Option<(u32, u32)>,
) -> anyhow::Result<bool> {
    let current = state.db().get_mailbox(&mailbox.id).await?;
    if settings_key(&current) != settings_key(mailbox) {
        return Ok(false);
    }
    let now = state.clock().now();
    Ok(state
        .db()
        .record_mailbox_poll(
            &mailbox.id,
            holder,
            now,
            now + Duration::minutes(LEASE_MINUTES),
            (&mailbox.imap_host, &mailbox.imap_folder),
            position.map(|(v, u)| (i64::from(v), i64::from(u))),
            None,
        )
        .await?)
}

/// Fetches and ingests until the folder has nothing new, recording the position after
/// each batch. `Ok(false)`: the mailbox is not this server's any more.
async fn drain(
    state: &AppState,
    conn: &mut Connection,
    mailbox: &MailboxRow,
    holder: &str,
    position: &mut (Option<u32>, u32),
    report: &mut PollReport,
) -> Result<bool, String> {
    loop {
        let batch = conn
            .fetch_after(position.0, position.1)
            .await
            .map_err(|e| format!("{e:#}"))?;
        if position.0 != Some(conn.uid_validity) {
            *position = (Some(conn.uid_validity), 0);
        }
        let full = batch.len() == MAX_PER_POLL;
        let mut failure = None;
        // Parsing and keeping run ahead on their own tasks (both cores); the commits
        // follow one by one in the folder's order.
        let mut prepared = futures::stream::iter(batch.into_iter().map(|(uid, raw)| {
            let state = state.clone();
            let id = mailbox.id.clone();
            let address = mailbox.address.clone();
            tokio::spawn(async move { (uid, prepare(&state, &id, &address, &raw).await) })
        }))
        .buffered(PREPARE_AHEAD);
        while let Some(done) = prepared.next().await {
            let (uid, outcome) = match done {
                Ok((uid, Ok(p))) => (uid, commit(state, p).await.map(|_| ())),
                Ok((uid, Err(e))) => (uid, Err(e)),
                Err(e) => {
                    failure = Some(format!("preparing a message: {e}"));
                    break;
                }
            };
            match outcome {
                Ok(()) => {
                    report.ingested += 1;
                    position.1 = uid;
                }
                Err(e) => {
                    // Stop here: the next read starts again at this message.
                    failure = Some(format!("message UID {uid}: {e}"));
                    break;
                }
            }
        }
        if let Some(f) = failure {
            return Err(f);
        }
        let kept = keep_reading(state, mailbox, holder, position.0.map(|v| (v, position.1)))
            .await
            .map_err(|e| format!("{e:#}"))?;
        if !kept {
            return Ok(false);
        }
        if !full {
            return Ok(true);
        }
    }
}

/// Reads a mailbox whose lease `holder` took: everything new, then (with `idle` and a
/// server that offers it) waits in IDLE for more until the mailbox is not this server's
/// any more or the connection fails; finally gives the lease back with the outcome.
async fn read_mailbox(
    state: &AppState,
    mailbox: &MailboxRow,
    holder: &str,
    idle: bool,
    report: &mut PollReport,
) -> anyhow::Result<()> {
    let secrets = state.db().mailbox_secrets(&mailbox.id).await?;
    let mut settings = ImapSettings {
        host: mailbox.imap_host.clone(),
        port: u16::try_from(mailbox.imap_port).unwrap_or(993),
        security: mailbox.imap_security.clone(),
        username: mailbox.imap_username.clone(),
        auth: mailbox.imap_auth.clone(),
        secret: secrets.imap_secret.unwrap_or_default(),
        folder: mailbox.imap_folder.clone(),
        extra_roots: Vec::new(),
    };
    let roots = trust::extra_roots(state.config().mail_ca_file.as_deref());
    let mut position = (
        mailbox.uid_validity.and_then(|v| u32::try_from(v).ok()),
        u32::try_from(mailbox.last_uid).unwrap_or(0),
    );
    let outcome: Result<bool, String> = async {
        settings.extra_roots = roots.map_err(|e| format!("{e:#}"))?;
        let mut conn = connect(&settings).await.map_err(|e| format!("{e:#}"))?;
        loop {
            if !drain(state, &mut conn, mailbox, holder, &mut position, report).await? {
                conn.logout().await;
                return Ok(false);
            }
            if !(idle && conn.idle) {
                conn.logout().await;
                return Ok(true);
            }
            let (back, woken) = conn
                .wait_for_change(IDLE_ROUND, RENEW_EVERY, || {
                    keep_reading(state, mailbox, holder, None)
                })
                .await
                .map_err(|e| format!("{e:#}"))?;
            conn = back;
            if woken == Woken::Stopped {
                conn.logout().await;
                return Ok(false);
            }
        }
    }
    .await;
    let error = match &outcome {
        Err(e) => {
            report.failed += 1;
            tracing::warn!(mailbox = %mailbox.id, error = %e, "mailbox read failed");
            Some(e.as_str())
        }
        Ok(_) => None,
    };
    // The position was recorded after each batch (a batch cut short by an error is read
    // again; its Message-IDs keep it from opening tickets twice). Here the lease goes back
    // with the outcome; when the mailbox was taken over or changed, only the lease.
    state
        .db()
        .finish_mailbox_poll(&mailbox.id, holder, state.clock().now(), None, error)
        .await?;
    Ok(())
}

/// Reads the mailboxes until the process ends: every `every` (and whenever a mailbox is
/// added or changed) it takes the lease of each enabled mailbox no server reads and
/// reads it in a task of its own — waiting in IDLE where the server offers it, once per
/// round otherwise. Aborting the returned task stops every reader it started.
pub fn spawn_readers(state: AppState, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut readers = tokio::task::JoinSet::new();
        let mut reading: HashMap<tokio::task::Id, String> = HashMap::new();
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = state.mail_wake().notified() => {}
                Some(done) = readers.join_next_with_id() => {
                    let id = match done {
                        Ok((id, ())) => id,
                        Err(e) => e.id(),
                    };
                    reading.remove(&id);
                    continue;
                }
            }
            if let Err(e) = start_readers(&state, &mut readers, &mut reading).await {
                tracing::warn!(error = %format!("{e:#}"), "mail read round failed");
            }
        }
    })
}

async fn start_readers(
    state: &AppState,
    readers: &mut tokio::task::JoinSet<()>,
    reading: &mut HashMap<tokio::task::Id, String>,
) -> anyhow::Result<()> {
    let busy: HashSet<&String> = reading.values().collect();
    let mut started = Vec::new();
    for mailbox in state.db().list_mailboxes().await? {
        if mailbox.enabled == 0
            || busy.contains(&mailbox.id)
            || !take_lease(state, &mailbox.id, holder()).await?
        {
            continue;
        }
        let st = state.clone();
        let id = mailbox.id.clone();
        let task = readers.spawn(async move {
            let mut report = PollReport::default();
            if let Err(e) = read_mailbox(&st, &mailbox, holder(), true, &mut report).await {
                tracing::warn!(mailbox = %mailbox.id, error = %format!("{e:#}"), "mailbox reader failed");
            }
        });
        started.push((task.id(), id));
    }
    reading.extend(started);
    Ok(())
}

/// Reads the mailboxes every minute (or continuously, with IDLE) until the process ends.
pub fn spawn(state: AppState) {
    spawn_readers(state, std::time::Duration::from_secs(EVERY_SECS));
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
            automatic: true,
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
                            extra_roots: trust::extra_roots(
                                state.config().mail_ca_file.as_deref(),
                            )?,
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
                                automatic: row.automatic != 0,
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
