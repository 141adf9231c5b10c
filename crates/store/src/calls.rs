//! Phone calls (来电): every CTI event as received, the call record merged from them,
//! what agents add to a call (identity check, work order, recording), and the IVR menu.

use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::blobs::{insert_blob_in, BlobMeta};
use crate::{backend, from_millis, to_millis, Db, Page, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::call::{
    merge_events, CallEvent, CallEventKind, HangupSide, IdentityMethod, IdentityResult, IvrOption,
};

/// One line of a call's transcript.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TranscriptLine {
    /// customer or agent.
    pub speaker: String,
    /// From the start of the call.
    pub at_ms: i64,
    pub text: String,
}

/// A call as pages and the API read it, with the agent's and customer's names.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallRow {
    pub id: String,
    pub external_id: String,
    pub state: String,
    pub caller: Option<String>,
    pub ivr_key: Option<String>,
    pub queue: Option<String>,
    pub agent_ref: Option<String>,
    pub agent_id: Option<String>,
    pub agent_name: Option<String>,
    pub offered_at: Option<i64>,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub duration_s: Option<i64>,
    pub hangup_side: Option<String>,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub ticket_id: Option<String>,
    pub identity_check: Option<String>,
    pub identity_method: Option<String>,
    pub identity_checked_by: Option<String>,
    pub identity_checked_at: Option<i64>,
    pub recording_sha256: Option<String>,
    pub started_at: i64,
    pub updated_at: i64,
}

/// One webhook event as kefu received it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallEventRow {
    pub seq: i64,
    pub kind: String,
    pub at: i64,
    pub received_at: i64,
    pub payload: String,
}

#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    pub agent_id: Option<String>,
    pub customer_id: Option<String>,
    pub queue: Option<String>,
    pub state: Option<String>,
    /// Calls that started at or after this instant…
    pub from: Option<DateTime<Utc>>,
    /// …and before this one.
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IvrOptionRow {
    pub key: String,
    pub label: String,
    pub queue: String,
    pub ticket_type: Option<String>,
    pub sort_order: i64,
}

const CALL_SELECT: &str = "SELECT c.id, c.external_id, c.state, c.caller, c.ivr_key, c.queue, \
    c.agent_ref, c.agent_id, u.display_name AS agent_name, c.offered_at, c.answered_at, \
    c.ended_at, c.duration_s, c.hangup_side, c.customer_id, cu.name AS customer_name, \
    c.ticket_id, c.identity_check, c.identity_method, c.identity_checked_by, \
    c.identity_checked_at, c.recording_sha256, c.started_at, c.updated_at \
    FROM calls c LEFT JOIN users u ON u.id = c.agent_id \
    LEFT JOIN customers cu ON cu.id = c.customer_id";

type StoredEvent = (
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

impl Db {
    /// Stores one CTI event exactly as received and merges the call's events, in one
    /// transaction. An event for a call id kefu has not seen yet (the `offered` event
    /// is late or lost) creates the call: it shows without an offer time until the
    /// offer arrives, and nothing the CTI sent is dropped.
    #[tracing::instrument(skip_all, fields(kind = event.kind.code()))]
    pub async fn apply_call_event(
        &self,
        external_id: &str,
        event: &CallEvent,
        payload: &str,
        received_at: DateTime<Utc>,
    ) -> Result<CallRow, StoreError> {
        let mut tx = self.write.begin().await?;
        let now = to_millis(received_at);
        sqlx::query(
            "INSERT INTO calls (id, external_id, state, started_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (external_id) DO NOTHING",
        )
        .bind(crate::new_id())
        .bind(external_id)
        .bind(event.kind.code())
        .bind(to_millis(event.at))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let (call_id, customer_id): (String, Option<String>) =
            sqlx::query_as("SELECT id, customer_id FROM calls WHERE external_id = $1")
                .bind(external_id)
                .fetch_one(&mut *tx)
                .await?;
        backend::lock_row(self.backend(), &mut tx, "calls", &call_id).await?;
        sqlx::query(
            "INSERT INTO call_events (call_id, kind, at, received_at, caller, ivr_key, queue, \
             agent_ref, duration_s, hangup_side, payload) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(call_id.as_str())
        .bind(event.kind.code())
        .bind(to_millis(event.at))
        .bind(now)
        .bind(event.caller.as_deref())
        .bind(event.ivr_key.as_deref())
        .bind(event.queue.as_deref())
        .bind(event.agent.as_deref())
        .bind(event.duration_s)
        .bind(event.hangup_side.map(HangupSide::code))
        .bind(payload)
        .execute(&mut *tx)
        .await?;
        let stored: Vec<StoredEvent> = sqlx::query_as(
            "SELECT kind, at, caller, ivr_key, queue, agent_ref, duration_s, hangup_side \
             FROM call_events WHERE call_id = $1",
        )
        .bind(call_id.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let events = stored
            .into_iter()
            .map(event_of)
            .collect::<Result<Vec<_>, _>>()?;
        let record = merge_events(&events).ok_or(StoreError::NotFound)?;
        let agent_id = match &record.agent {
            Some(agent) => find_agent(&mut tx, agent).await?,
            None => None,
        };
        let customer_id = match (customer_id, &record.caller) {
            (Some(id), _) => Some(id),
            (None, Some(caller)) => match_customer(&mut tx, caller).await?,
            (None, None) => None,
        };
        let started_at = [record.offered_at, record.answered_at, record.ended_at]
            .into_iter()
            .flatten()
            .min()
            .map(to_millis)
            .unwrap_or(now);
        sqlx::query(
            "UPDATE calls SET state = $1, caller = $2, ivr_key = $3, queue = $4, agent_ref = $5, \
             agent_id = $6, offered_at = $7, answered_at = $8, ended_at = $9, duration_s = $10, \
             hangup_side = $11, customer_id = $12, started_at = $13, updated_at = $14 \
             WHERE id = $15",
        )
        .bind(record.state.code())
        .bind(record.caller.as_deref())
        .bind(record.ivr_key.as_deref())
        .bind(record.queue.as_deref())
        .bind(record.agent.as_deref())
        .bind(agent_id.as_deref())
        .bind(record.offered_at.map(to_millis))
        .bind(record.answered_at.map(to_millis))
        .bind(record.ended_at.map(to_millis))
        .bind(record.duration_s)
        .bind(record.hangup_side.map(HangupSide::code))
        .bind(customer_id.as_deref())
        .bind(started_at)
        .bind(now)
        .bind(call_id.as_str())
        .execute(&mut *tx)
        .await?;
        let row = get_call_in(&mut tx, &call_id).await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn get_call(&self, id: &str) -> Result<CallRow, StoreError> {
        let sql = format!("{CALL_SELECT} WHERE c.id = $1");
        Ok(sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?)
    }

    /// The call the CTI knows by `external_id`.
    pub async fn get_call_by_external_id(&self, external_id: &str) -> Result<CallRow, StoreError> {
        let sql = format!("{CALL_SELECT} WHERE c.external_id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(external_id)
            .fetch_one(&self.read)
            .await?)
    }

    /// The raw events of a call, in the order received.
    pub async fn list_call_events(&self, call_id: &str) -> Result<Vec<CallEventRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT seq, kind, at, received_at, payload FROM call_events WHERE call_id = $1 \
             ORDER BY seq",
        )
        .bind(call_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// The call log, newest first; the cursor is `started_at:id` of the last row.
    pub async fn list_calls(
        &self,
        filter: &CallFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<CallRow>, StoreError> {
        let mut sql = Sql::new(CALL_SELECT);
        sql.push(" WHERE 1 = 1");
        if let Some(agent) = &filter.agent_id {
            sql.push(" AND c.agent_id = ").bind_text(agent);
        }
        if let Some(customer) = &filter.customer_id {
            sql.push(" AND c.customer_id = ").bind_text(customer);
        }
        if let Some(queue) = &filter.queue {
            sql.push(" AND c.queue = ").bind_text(queue);
        }
        if let Some(state) = &filter.state {
            sql.push(" AND c.state = ").bind_text(state);
        }
        if let Some(from) = filter.from {
            sql.push(" AND c.started_at >= ").bind_int(to_millis(from));
        }
        if let Some(to) = filter.to {
            sql.push(" AND c.started_at < ").bind_int(to_millis(to));
        }
        if let Some((at, id)) = cursor.and_then(parse_cursor) {
            sql.push(" AND (c.started_at < ")
                .bind_int(at)
                .push(" OR (c.started_at = ")
                .bind_int(at)
                .push(" AND c.id < ")
                .bind_text(id)
                .push("))");
        }
        sql.push(" ORDER BY c.started_at DESC, c.id DESC LIMIT ")
            .bind_int(limit as i64 + 1);
        let rows: Vec<CallRow> = sql.query_as().fetch_all(&self.read).await?;
        Ok(Page::from_overfetch(rows, limit, |r| {
            format!("{}:{}", r.started_at, r.id)
        }))
    }

    /// Calls an agent should see: the ones they answered that are still running, and
    /// the ones ringing in `queues`. Newest first; what the screen pop polls.
    pub async fn list_active_calls(
        &self,
        agent_id: &str,
        queues: &[String],
    ) -> Result<Vec<CallRow>, StoreError> {
        let mut sql = Sql::new(CALL_SELECT);
        sql.push(" WHERE c.state <> 'ended' AND c.agent_id = ")
            .bind_text(agent_id)
            .push(" ORDER BY c.started_at DESC LIMIT 20");
        let mut rows: Vec<CallRow> = sql.query_as().fetch_all(&self.read).await?;
        if !queues.is_empty() {
            let mut sql = Sql::new(CALL_SELECT);
            sql.push(" WHERE c.state = 'offered' AND c.queue IN (");
            for (i, q) in queues.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_text(q.clone());
            }
            sql.push(") ORDER BY c.started_at DESC LIMIT 20");
            rows.extend(sql.query_as::<CallRow>().fetch_all(&self.read).await?);
        }
        rows.sort_by(|a, b| (b.started_at, &b.id).cmp(&(a.started_at, &a.id)));
        rows.dedup_by(|a, b| a.id == b.id);
        Ok(rows)
    }

    /// Records the identity check (身份核验) an agent did on the call; audited.
    #[tracing::instrument(skip_all, fields(call = id))]
    pub async fn set_call_identity_check(
        &self,
        actor: &Actor,
        at: DateTime<Utc>,
        id: &str,
        result: IdentityResult,
        method: IdentityMethod,
    ) -> Result<CallRow, StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE calls SET identity_check = $1, identity_method = $2, \
             identity_checked_by = $3, identity_checked_at = $4, updated_at = $4 WHERE id = $5",
        )
        .bind(result.code())
        .bind(method.code())
        .bind(actor.user_id.as_deref())
        .bind(to_millis(at))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append_in(
            &mut tx,
            actor,
            at,
            &NewAuditEntry::new(AuditAction::CallIdentityChecked)
                .subject("call", id)
                .detail(format!("{} ({})", result.code(), method.code())),
        )
        .await?;
        let row = get_call_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Attaches the call to a work order; audited. See [`attach_call_ticket_in`] for
    /// doing it inside the transaction that creates the ticket.
    pub async fn attach_call_ticket(
        &self,
        actor: &Actor,
        at: DateTime<Utc>,
        id: &str,
        ticket_id: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        attach_call_ticket_in(&mut tx, actor, at, id, ticket_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores the recording's file row and points the call at it, in one transaction.
    /// The file itself must already be kept in the [`crate::blobs::BlobStore`].
    #[tracing::instrument(skip_all, fields(call = id))]
    pub async fn set_call_recording(
        &self,
        id: &str,
        blob: &BlobMeta,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        insert_blob_in(&mut tx, blob, at).await?;
        let done =
            sqlx::query("UPDATE calls SET recording_sha256 = $1, updated_at = $2 WHERE id = $3")
                .bind(blob.sha256.as_str())
                .bind(to_millis(at))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the call's transcript (checked by the caller: `speaker` is customer or
    /// agent, times from the start of the call). The call's quality item is read again by
    /// the automatic checks.
    pub async fn set_call_transcript(
        &self,
        id: &str,
        lines: &[TranscriptLine],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("UPDATE calls SET updated_at = $1 WHERE id = $2")
            .bind(to_millis(at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM call_transcript_lines WHERE call_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (i, l) in lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO call_transcript_lines (call_id, position, speaker, at_ms, text) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(i as i64)
            .bind(&l.speaker)
            .bind(l.at_ms)
            .bind(&l.text)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE qa_items SET checked_at = NULL WHERE kind = 'call' AND source_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The IVR menu in the order callers hear it.
    pub async fn list_ivr_options(&self) -> Result<Vec<IvrOptionRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT key, label, queue, ticket_type, sort_order FROM ivr_options \
             ORDER BY sort_order, key",
        )
        .fetch_all(&self.read)
        .await?)
    }

    /// Replaces the whole IVR menu (already checked by
    /// [`kefu_domain::call::check_ivr_menu`]); audited.
    #[tracing::instrument(skip_all, fields(options = options.len()))]
    pub async fn save_ivr_menu(
        &self,
        actor: &Actor,
        at: DateTime<Utc>,
        options: &[IvrOption],
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM ivr_options")
            .execute(&mut *tx)
            .await?;
        for (i, o) in options.iter().enumerate() {
            sqlx::query(
                "INSERT INTO ivr_options (key, label, queue, ticket_type, sort_order, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(o.key.as_str())
            .bind(o.label.as_str())
            .bind(o.queue.as_str())
            .bind(o.ticket_type.as_deref())
            .bind(i as i64 + 1)
            .bind(to_millis(at))
            .execute(&mut *tx)
            .await?;
        }
        let summary: Vec<String> = options
            .iter()
            .map(|o| format!("{}={}", o.key, o.queue))
            .collect();
        append_in(
            &mut tx,
            actor,
            at,
            &NewAuditEntry::new(AuditAction::IvrMenuSaved).detail(summary.join(" ")),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Attaches a call to a work order inside the caller's transaction (e.g. the one that
/// creates the ticket from the call), with its audit entry.
pub async fn attach_call_ticket_in(
    tx: &mut Tx<'_>,
    actor: &Actor,
    at: DateTime<Utc>,
    id: &str,
    ticket_id: &str,
) -> Result<(), StoreError> {
    let done = sqlx::query("UPDATE calls SET ticket_id = $1, updated_at = $2 WHERE id = $3")
        .bind(ticket_id)
        .bind(to_millis(at))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    // The call shows on the ticket's timeline (and so on the customer's).
    crate::tickets::append_call_event(tx, actor, at, ticket_id, id).await?;
    append_in(
        tx,
        actor,
        at,
        &NewAuditEntry::new(AuditAction::CallTicketAttached)
            .subject("call", id)
            .detail(format!("ticket {ticket_id}")),
    )
    .await?;
    Ok(())
}

async fn get_call_in(tx: &mut Tx<'_>, id: &str) -> Result<CallRow, StoreError> {
    let sql = format!("{CALL_SELECT} WHERE c.id = $1");
    Ok(sqlx::query_as(&sql).bind(id).fetch_one(&mut **tx).await?)
}

fn event_of(s: StoredEvent) -> Result<CallEvent, StoreError> {
    let (kind, at, caller, ivr_key, queue, agent, duration_s, hangup_side) = s;
    let corrupt = |what: &str, v: &str| StoreError::Corrupt(format!("call event {what} {v:?}"));
    Ok(CallEvent {
        kind: CallEventKind::from_code(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        at: from_millis(at),
        caller,
        ivr_key,
        queue,
        agent,
        duration_s,
        hangup_side: match hangup_side {
            Some(h) => Some(HangupSide::from_code(&h).ok_or_else(|| corrupt("hang-up side", &h))?),
            None => None,
        },
    })
}

/// The staff member a CTI agent reference names: 工号 first, then username.
async fn find_agent(tx: &mut Tx<'_>, agent: &str) -> Result<Option<String>, StoreError> {
    for column in ["agent_no", "username"] {
        let sql = format!("SELECT id FROM users WHERE {column} = $1");
        let found: Option<(String,)> = sqlx::query_as(&sql)
            .bind(agent)
            .fetch_optional(&mut **tx)
            .await?;
        if let Some((id,)) = found {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// The one customer who has this number as a contact (through the reversed-value
/// index); none when nobody or several do.
async fn match_customer(tx: &mut Tx<'_>, caller: &str) -> Result<Option<String>, StoreError> {
    let found: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT customer_id FROM customer_contacts WHERE value_rev = $1 LIMIT 2",
    )
    .bind(crate::customers::reversed(caller))
    .fetch_all(&mut **tx)
    .await?;
    Ok(match found.as_slice() {
        [(id,)] => Some(id.clone()),
        _ => None,
    })
}

fn parse_cursor(cursor: &str) -> Option<(i64, &str)> {
    let (at, id) = cursor.split_once(':')?;
    Some((at.parse().ok()?, id))
}
