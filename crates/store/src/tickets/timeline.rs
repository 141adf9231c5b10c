//! The timeline and who hears of it: appending an event, notifying people, and finding
//! the supervisors (shift leads, the manager) over a department.

use crate::audit::Actor;
use crate::{new_id, to_millis, Arg, Backend, Sql, StoreError, Tx};
use chrono::{DateTime, Utc};

/// One timeline entry.
pub(crate) struct Event<'a> {
    ticket_id: &'a str,
    actor_id: Option<&'a str>,
    at: DateTime<Utc>,
    kind: &'a str,
    channel: Option<&'a str>,
    body: Option<&'a str>,
    detail: Option<serde_json::Value>,
    internal: bool,
}

impl<'a> Event<'a> {
    pub fn new(ticket_id: &'a str, actor: &'a Actor, at: DateTime<Utc>, kind: &'a str) -> Self {
        Event {
            ticket_id,
            actor_id: actor.user_id.as_deref(),
            at,
            kind,
            channel: None,
            body: None,
            detail: None,
            internal: true,
        }
    }

    pub fn body(mut self, body: &'a str) -> Self {
        self.body = Some(body);
        self
    }

    pub fn channel(mut self, channel: &'a str) -> Self {
        self.channel = Some(channel);
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }

    /// The customer sees it on the public status page.
    pub fn public(mut self) -> Self {
        self.internal = false;
        self
    }
}

pub(crate) async fn append_event(tx: &mut Tx<'_>, e: &Event<'_>) -> Result<(), StoreError> {
    insert_events(tx, Sql::new(INSERT_EVENTS), std::slice::from_ref(e)).await
}

/// Appends several events in one statement.
pub(crate) async fn append_events(
    tx: &mut Tx<'_>,
    backend: Backend,
    events: &[Event<'_>],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    insert_events(tx, Sql::for_backend(backend, INSERT_EVENTS), events).await
}

const INSERT_EVENTS: &str = "INSERT INTO ticket_events (id, ticket_id, at, actor_id, kind, \
     channel, body, detail, internal) VALUES ";

async fn insert_events(
    tx: &mut Tx<'_>,
    mut sql: Sql,
    events: &[Event<'_>],
) -> Result<(), StoreError> {
    let text = |s: Option<&str>| s.map_or(Arg::Null, |s| Arg::Text(s.to_string()));
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push_row([
            Arg::Text(new_id()),
            Arg::Text(e.ticket_id.to_string()),
            Arg::Int(to_millis(e.at)),
            text(e.actor_id),
            Arg::Text(e.kind.to_string()),
            text(e.channel),
            text(e.body),
            e.detail
                .as_ref()
                .map_or(Arg::Null, |d| Arg::Text(d.to_string())),
            Arg::Int(i64::from(e.internal)),
        ]);
    }
    sql.query().execute(&mut **tx).await?;
    Ok(())
}

/// Tells each of `users` (once) in their notifications, about a ticket or about none.
pub(crate) async fn notify_in(
    tx: &mut Tx<'_>,
    users: &[String],
    now: DateTime<Utc>,
    kind: &str,
    ticket_id: Option<&str>,
    body: &str,
) -> Result<(), StoreError> {
    let mut seen = std::collections::BTreeSet::new();
    for user in users.iter().filter(|u| seen.insert(u.as_str())) {
        sqlx::query(
            "INSERT INTO notifications (id, user_id, at, kind, ticket_id, body) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(user)
        .bind(to_millis(now))
        .bind(kind)
        .bind(ticket_id)
        .bind(body)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Active people holding a position with `ticket.supervise` in the department or any
/// department above it: the shift leads and the manager.
pub(crate) async fn supervisors_in(
    tx: &mut Tx<'_>,
    department_id: &str,
) -> Result<Vec<String>, StoreError> {
    let all: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT id, parent_id FROM departments")
            .fetch_all(&mut **tx)
            .await?;
    let mut chain = vec![department_id.to_string()];
    while let Some(parent) = all
        .iter()
        .find(|(id, _)| Some(id) == chain.last())
        .and_then(|(_, p)| p.clone())
    {
        if chain.contains(&parent) {
            break;
        }
        chain.push(parent);
    }
    let mut sql = crate::Sql::new(
        "SELECT DISTINCT sp.user_id FROM staff_positions sp \
         JOIN positions p ON p.id = sp.position_id JOIN users u ON u.id = sp.user_id \
         WHERE u.active = 1 AND p.permissions LIKE '%\"ticket.supervise\"%'",
    );
    super::push_in_list(&mut sql, "p.department_id", &chain);
    sql.push(" ORDER BY sp.user_id");
    let rows: Vec<(String,)> = sql.query_as().fetch_all(&mut **tx).await?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}
