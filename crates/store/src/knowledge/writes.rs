//! Writing articles: create, update (optimistic concurrency on `version`), publish,
//! archive and restore. Each is one transaction that also writes the version row, the
//! audit entry and the search-log entry.

use super::{KnowledgeError, VersionAction};
use crate::audit::{append_in, Actor, NewAuditEntry};
use crate::backend::lock_row;
use crate::search_log::{self, Entity};
use crate::{new_id, to_millis, Db, StoreError, Tx};
use chrono::{DateTime, Utc};
use kefu_domain::audit::AuditAction;
use kefu_domain::knowledge::{ArticleKind, ArticleState, Audience};

/// An article's content, validated by the domain's parsers; everything a version keeps
/// except the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleInput {
    pub title: String,
    pub body: String,
    pub kind: ArticleKind,
    pub audience: Audience,
    pub category_id: String,
    pub tags: Vec<String>,
}

impl ArticleInput {
    fn sorted_tags(&self) -> Vec<String> {
        let mut tags = self.tags.clone();
        tags.sort();
        tags.dedup();
        tags
    }
}

/// The category's name, or [`KnowledgeError::UnknownCategory`].
async fn category_name(tx: &mut Tx<'_>, id: &str) -> Result<String, KnowledgeError> {
    let name: Option<(String,)> = sqlx::query_as("SELECT name FROM kb_categories WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    name.map(|(n,)| n)
        .ok_or_else(|| KnowledgeError::UnknownCategory(id.to_string()))
}

async fn write_tags(tx: &mut Tx<'_>, id: &str, tags: &[String]) -> Result<(), KnowledgeError> {
    sqlx::query("DELETE FROM kb_article_tags WHERE article_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for tag in tags {
        sqlx::query("INSERT INTO kb_article_tags (article_id, tag) VALUES ($1, $2)")
            .bind(id)
            .bind(tag)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// What one write did, for its version row, audit entry and search-log entry.
struct Saved<'a> {
    id: &'a str,
    version: i64,
    action: VersionAction,
    content: &'a ArticleInput,
    category_name: &'a str,
    state: ArticleState,
    restored_from: Option<i64>,
}

async fn record(
    db: &Db,
    tx: &mut Tx<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    s: &Saved<'_>,
) -> Result<(), KnowledgeError> {
    let tags = s.content.sorted_tags();
    sqlx::query(
        "INSERT INTO kb_article_versions (article_id, version, action, title, body, kind, \
         state, audience, category_id, category_name, tags, restored_from, author_id, \
         author_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(s.id)
    .bind(s.version)
    .bind(s.action.code())
    .bind(&s.content.title)
    .bind(&s.content.body)
    .bind(s.content.kind.code())
    .bind(s.state.code())
    .bind(s.content.audience.code())
    .bind(&s.content.category_id)
    .bind(s.category_name)
    .bind(serde_json::to_string(&tags).map_err(StoreError::from)?)
    .bind(s.restored_from)
    .bind(actor.user_id.as_deref())
    .bind(actor.name.as_str())
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    let action = match s.action {
        VersionAction::Create => AuditAction::ArticleCreated,
        VersionAction::Update => AuditAction::ArticleUpdated,
        VersionAction::Publish => AuditAction::ArticlePublished,
        VersionAction::Archive => AuditAction::ArticleArchived,
        VersionAction::Restore => AuditAction::ArticleRestored,
    };
    let detail = match s.restored_from {
        Some(from) => format!("version {} from version {from}", s.version),
        None => format!("version {}", s.version),
    };
    let entry = NewAuditEntry::new(action)
        .subject("article", s.id)
        .detail(detail);
    append_in(tx, actor, now, &entry).await?;
    search_log::record_in(tx, db.backend(), Entity::Article, &[s.id.to_string()], now).await?;
    Ok(())
}

/// The article's current version and state, locked for this transaction.
async fn current(
    db: &Db,
    tx: &mut Tx<'_>,
    id: &str,
) -> Result<(i64, ArticleState, ArticleInput), KnowledgeError> {
    lock_row(db.backend(), tx, "kb_articles", id).await?;
    #[derive(sqlx::FromRow)]
    struct Row {
        version: i64,
        state: String,
        title: String,
        body: String,
        kind: String,
        audience: String,
        category_id: String,
    }
    let row: Row = sqlx::query_as(
        "SELECT version, state, title, body, kind, audience, category_id FROM kb_articles \
         WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let tags: Vec<(String,)> =
        sqlx::query_as("SELECT tag FROM kb_article_tags WHERE article_id = $1 ORDER BY tag")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("article {id}: {what}"));
    Ok((
        row.version,
        ArticleState::from_code(&row.state).ok_or_else(|| corrupt("state"))?,
        ArticleInput {
            title: row.title,
            body: row.body,
            kind: ArticleKind::from_code(&row.kind).ok_or_else(|| corrupt("kind"))?,
            audience: Audience::from_code(&row.audience).ok_or_else(|| corrupt("audience"))?,
            category_id: row.category_id,
            tags: tags.into_iter().map(|(t,)| t).collect(),
        },
    ))
}

fn check_version(expected: Option<i64>, current: i64) -> Result<(), KnowledgeError> {
    match expected {
        Some(v) if v != current => Err(KnowledgeError::Stale { current }),
        _ => Ok(()),
    }
}

impl Db {
    /// Writes a new article (version 1) as a draft or published at once; returns its id.
    #[tracing::instrument(skip_all, fields(state = state.code()))]
    pub async fn create_article(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        input: &ArticleInput,
        state: ArticleState,
    ) -> Result<String, KnowledgeError> {
        let id = new_id();
        let mut tx = self.write.begin().await?;
        let category_name = category_name(&mut tx, &input.category_id).await?;
        let at = to_millis(now);
        sqlx::query(
            "INSERT INTO kb_articles (id, title, body, kind, state, audience, category_id, \
             version, created_by, created_at, updated_by, updated_at, published_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $8, $9, $10)",
        )
        .bind(&id)
        .bind(&input.title)
        .bind(&input.body)
        .bind(input.kind.code())
        .bind(state.code())
        .bind(input.audience.code())
        .bind(&input.category_id)
        .bind(actor.user_id.as_deref())
        .bind(at)
        .bind((state == ArticleState::Published).then_some(at))
        .execute(&mut *tx)
        .await?;
        write_tags(&mut tx, &id, &input.sorted_tags()).await?;
        let saved = Saved {
            id: &id,
            version: 1,
            action: VersionAction::Create,
            content: input,
            category_name: &category_name,
            state,
            restored_from: None,
        };
        record(self, &mut tx, actor, now, &saved).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Saves new content over `expected_version`; returns the new version. Refused with
    /// [`KnowledgeError::Stale`] when the article is no longer at `expected_version`.
    #[tracing::instrument(skip_all)]
    pub async fn update_article(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        expected_version: i64,
        input: &ArticleInput,
    ) -> Result<i64, KnowledgeError> {
        let mut tx = self.write.begin().await?;
        let (version, state, _) = current(self, &mut tx, id).await?;
        check_version(Some(expected_version), version)?;
        let version = self
            .save_content(
                &mut tx,
                actor,
                now,
                id,
                version,
                state,
                input,
                VersionAction::Update,
                None,
            )
            .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Brings back the content of `from_version` as a new version (the state stays);
    /// returns the new version.
    #[tracing::instrument(skip_all)]
    pub async fn restore_article_version(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        from_version: i64,
        expected_version: Option<i64>,
    ) -> Result<i64, KnowledgeError> {
        let mut tx = self.write.begin().await?;
        let (version, state, _) = current(self, &mut tx, id).await?;
        check_version(expected_version, version)?;
        let old: Option<(String, String, String, String, String, String)> = sqlx::query_as(
            "SELECT title, body, kind, audience, category_id, tags FROM kb_article_versions \
             WHERE article_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(from_version)
        .fetch_optional(&mut *tx)
        .await?;
        let (title, body, kind, audience, category_id, tags) =
            old.ok_or(KnowledgeError::UnknownVersion(from_version))?;
        let corrupt = |what: &str| StoreError::Corrupt(format!("article {id} version: {what}"));
        let input = ArticleInput {
            title,
            body,
            kind: ArticleKind::from_code(&kind).ok_or_else(|| corrupt("kind"))?,
            audience: Audience::from_code(&audience).ok_or_else(|| corrupt("audience"))?,
            category_id,
            tags: serde_json::from_str(&tags).map_err(StoreError::from)?,
        };
        let version = self
            .save_content(
                &mut tx,
                actor,
                now,
                id,
                version,
                state,
                &input,
                VersionAction::Restore,
                Some(from_version),
            )
            .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Publishes or archives the article (content unchanged); returns the new version.
    #[tracing::instrument(skip_all, fields(to = to.code()))]
    pub async fn set_article_state(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        to: ArticleState,
        expected_version: Option<i64>,
    ) -> Result<i64, KnowledgeError> {
        let mut tx = self.write.begin().await?;
        let (version, state, content) = current(self, &mut tx, id).await?;
        check_version(expected_version, version)?;
        if state == to {
            return Err(KnowledgeError::AlreadyInState(to.code()));
        }
        let action = match to {
            ArticleState::Published => VersionAction::Publish,
            ArticleState::Archived => VersionAction::Archive,
            ArticleState::Draft => VersionAction::Update,
        };
        let version = self
            .save_content(&mut tx, actor, now, id, version, to, &content, action, None)
            .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Writes content and state as version `previous + 1`, with its version row, audit
    /// and search-log entries.
    #[allow(clippy::too_many_arguments)]
    async fn save_content(
        &self,
        tx: &mut Tx<'_>,
        actor: &Actor,
        now: DateTime<Utc>,
        id: &str,
        previous: i64,
        state: ArticleState,
        input: &ArticleInput,
        action: VersionAction,
        restored_from: Option<i64>,
    ) -> Result<i64, KnowledgeError> {
        let category_name = category_name(tx, &input.category_id).await?;
        let at = to_millis(now);
        let version = previous + 1;
        let done = sqlx::query(
            "UPDATE kb_articles SET title = $1, body = $2, kind = $3, state = $4, audience = $5, \
             category_id = $6, version = $7, updated_by = $8, updated_at = $9, \
             published_at = CASE WHEN $4 = 'published' AND published_at IS NULL THEN $9 \
             ELSE published_at END WHERE id = $10 AND version = $11",
        )
        .bind(&input.title)
        .bind(&input.body)
        .bind(input.kind.code())
        .bind(state.code())
        .bind(input.audience.code())
        .bind(&input.category_id)
        .bind(version)
        .bind(actor.user_id.as_deref())
        .bind(at)
        .bind(id)
        .bind(previous)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(KnowledgeError::Stale { current: previous });
        }
        write_tags(tx, id, &input.sorted_tags()).await?;
        let saved = Saved {
            id,
            version,
            action,
            content: input,
            category_name: &category_name,
            state,
            restored_from,
        };
        record(self, tx, actor, now, &saved).await?;
        Ok(version)
    }
}
