//! The knowledge base (知识库): articles in a category tree, their version history and
//! their attached files.
//!
//! Every write to an article (create, update, publish, archive, restore) bumps its
//! `version`, writes an immutable row to `kb_article_versions`, an audit entry and a
//! search-log entry, all in one transaction. An update names the version it was based
//! on and is refused with [`KnowledgeError::Stale`] when someone saved in between.

mod attachments;
mod categories;
mod writes;

pub use attachments::ArticleAttachmentRow;
pub use categories::{CategoryInput, CategoryRow};
pub use kefu_domain::knowledge::VersionAction;
pub use writes::ArticleInput;

use crate::{Db, Page, Sql, StoreError};
use kefu_domain::knowledge::{category_path, ArticleKind, ArticleState, Audience};
use std::collections::HashMap;

/// Why a knowledge-base write was refused.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The article was saved by someone else after the version the edit started from.
    #[error("the article was changed meanwhile: it is now at version {current}")]
    Stale { current: i64 },
    #[error("no knowledge category {0}")]
    UnknownCategory(String),
    #[error("the article has no version {0}")]
    UnknownVersion(i64),
    #[error("the article is already {0}")]
    AlreadyInState(&'static str),
    #[error("the category still holds articles or subcategories")]
    CategoryNotEmpty,
    #[error("a category cannot be placed under itself or one of its subcategories")]
    CategoryCycle,
}

impl From<sqlx::Error> for KnowledgeError {
    fn from(e: sqlx::Error) -> Self {
        KnowledgeError::Store(e.into())
    }
}

/// An article as it is now: what the pages show and what the search index reads
/// ([`Db::get_article`], [`Db::articles_chunk`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleRow {
    pub id: String,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub kind: ArticleKind,
    pub state: ArticleState,
    pub audience: Audience,
    pub category_id: String,
    /// Category names from the root down to the article's category.
    pub category_path: Vec<String>,
    /// Sorted.
    pub tags: Vec<String>,
    /// Counts every save; the token an update must name.
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub updated_by_name: Option<String>,
    pub published_at: Option<i64>,
}

/// An article in a list (without its body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleSummary {
    pub id: String,
    pub title: String,
    pub kind: ArticleKind,
    pub state: ArticleState,
    pub audience: Audience,
    pub category_id: String,
    pub category_path: Vec<String>,
    pub tags: Vec<String>,
    pub version: i64,
    pub updated_at: i64,
    pub updated_by_name: Option<String>,
}

/// What a list of articles shows.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    /// This category and every category below it.
    pub category_id: Option<String>,
    pub kind: Option<ArticleKind>,
    /// The states to show; empty means published only.
    pub states: Vec<ArticleState>,
    pub tag: Option<String>,
    pub audience: Option<Audience>,
}

/// One saved version of an article, as it was saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleVersionRow {
    pub article_id: String,
    pub version: i64,
    pub action: VersionAction,
    pub title: String,
    pub body: String,
    pub kind: ArticleKind,
    pub state: ArticleState,
    pub audience: Audience,
    pub category_id: String,
    /// The category's name when the version was saved.
    pub category_name: String,
    pub tags: Vec<String>,
    /// For a restore: the version whose content it brought back.
    pub restored_from: Option<i64>,
    pub author_id: Option<String>,
    pub author_name: String,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct RawArticle {
    id: String,
    title: String,
    body: String,
    kind: String,
    state: String,
    audience: String,
    category_id: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
    updated_by_name: Option<String>,
    published_at: Option<i64>,
}

const ARTICLE_SELECT: &str = "SELECT a.id, a.title, a.body, a.kind, a.state, a.audience, \
    a.category_id, a.version, a.created_at, a.updated_at, u.display_name AS updated_by_name, \
    a.published_at FROM kb_articles a LEFT JOIN users u ON u.id = a.updated_by";

/// A summary's columns: the body is left out (`'' AS body`).
const SUMMARY_SELECT: &str = "SELECT a.id, a.title, '' AS body, a.kind, a.state, a.audience, \
    a.category_id, a.version, a.created_at, a.updated_at, u.display_name AS updated_by_name, \
    a.published_at FROM kb_articles a LEFT JOIN users u ON u.id = a.updated_by";

fn code<T>(what: &str, raw: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(raw).ok_or_else(|| StoreError::Corrupt(format!("unknown {what} {raw:?}")))
}

/// Category id → (parent, name), the whole (small) tree.
pub(crate) type CategoryNodes = HashMap<String, (Option<String>, String)>;

impl RawArticle {
    fn into_row(self, nodes: &CategoryNodes, tags: Vec<String>) -> Result<ArticleRow, StoreError> {
        Ok(ArticleRow {
            kind: code("article kind", &self.kind, ArticleKind::from_code)?,
            state: code("article state", &self.state, ArticleState::from_code)?,
            audience: code("audience", &self.audience, Audience::from_code)?,
            category_path: category_path(&self.category_id, nodes),
            id: self.id,
            title: self.title,
            body: self.body,
            category_id: self.category_id,
            tags,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            updated_by_name: self.updated_by_name,
            published_at: self.published_at,
        })
    }
}

impl From<ArticleRow> for ArticleSummary {
    fn from(a: ArticleRow) -> Self {
        ArticleSummary {
            id: a.id,
            title: a.title,
            kind: a.kind,
            state: a.state,
            audience: a.audience,
            category_id: a.category_id,
            category_path: a.category_path,
            tags: a.tags,
            version: a.version,
            updated_at: a.updated_at,
            updated_by_name: a.updated_by_name,
        }
    }
}

/// `updated_at:id` of the last row of a page.
fn cursor_of(a: &ArticleSummary) -> String {
    format!("{}:{}", a.updated_at, a.id)
}

impl Db {
    pub(crate) async fn kb_category_nodes(&self) -> Result<CategoryNodes, StoreError> {
        let rows: Vec<(String, Option<String>, String)> =
            sqlx::query_as("SELECT id, parent_id, name FROM kb_categories")
                .fetch_all(&self.read)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, parent, name)| (id, (parent, name)))
            .collect())
    }

    /// The tags of the given articles (each list sorted).
    async fn kb_tags_of(&self, ids: &[&str]) -> Result<HashMap<String, Vec<String>>, StoreError> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for chunk in ids.chunks(300) {
            let mut sql =
                Sql::new("SELECT article_id, tag FROM kb_article_tags WHERE article_id IN (");
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_text(*id);
            }
            sql.push(") ORDER BY article_id, tag");
            let rows: Vec<(String, String)> = sql.query_as().fetch_all(&self.read).await?;
            for (id, tag) in rows {
                out.entry(id).or_default().push(tag);
            }
        }
        Ok(out)
    }

    async fn kb_rows(&self, raw: Vec<RawArticle>) -> Result<Vec<ArticleRow>, StoreError> {
        if raw.is_empty() {
            return Ok(Vec::new());
        }
        let nodes = self.kb_category_nodes().await?;
        let ids: Vec<&str> = raw.iter().map(|r| r.id.as_str()).collect();
        let mut tags = self.kb_tags_of(&ids).await?;
        raw.into_iter()
            .map(|r| {
                let t = tags.remove(&r.id).unwrap_or_default();
                r.into_row(&nodes, t)
            })
            .collect()
    }

    /// An article as it is now, whatever its state (callers decide who may see drafts).
    #[tracing::instrument(skip_all)]
    pub async fn get_article(&self, id: &str) -> Result<ArticleRow, StoreError> {
        let sql = format!("{ARTICLE_SELECT} WHERE a.id = $1");
        let raw: RawArticle = sqlx::query_as(&sql).bind(id).fetch_one(&self.read).await?;
        self.kb_rows(vec![raw])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    /// Up to `limit` whole articles (every state) with ids after `after_id`, by id: the
    /// search index reads the knowledge base with this when it rebuilds.
    #[tracing::instrument(skip_all)]
    pub async fn articles_chunk(
        &self,
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ArticleRow>, StoreError> {
        let raw: Vec<RawArticle> = match after_id {
            Some(after) => {
                let sql = format!("{ARTICLE_SELECT} WHERE a.id > $1 ORDER BY a.id LIMIT $2");
                sqlx::query_as(&sql)
                    .bind(after)
                    .bind(limit as i64)
                    .fetch_all(&self.read)
                    .await?
            }
            None => {
                let sql = format!("{ARTICLE_SELECT} ORDER BY a.id LIMIT $1");
                sqlx::query_as(&sql)
                    .bind(limit as i64)
                    .fetch_all(&self.read)
                    .await?
            }
        };
        self.kb_rows(raw).await
    }

    /// The articles among `ids` that exist, in any state (for the search index).
    pub async fn articles_by_ids(&self, ids: &[String]) -> Result<Vec<ArticleRow>, StoreError> {
        let mut raw: Vec<RawArticle> = Vec::new();
        for chunk in ids.chunks(500) {
            let mut sql = Sql::for_backend(self.backend(), ARTICLE_SELECT);
            sql.push(" WHERE a.id IN (");
            crate::tickets::bind_list(&mut sql, chunk);
            sql.push(")");
            raw.extend(sql.query_as::<RawArticle>().fetch_all(&self.read).await?);
        }
        self.kb_rows(raw).await
    }

    /// Articles matching `filter`, most recently saved first, one keyset page at a time
    /// (walking `kb_articles_category`, `_kind` or `_state`).
    #[tracing::instrument(skip_all)]
    pub async fn list_articles(
        &self,
        filter: &ArticleFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<ArticleSummary>, StoreError> {
        let mut sql = Sql::new(SUMMARY_SELECT);
        sql.push(" WHERE a.state IN (");
        let states = if filter.states.is_empty() {
            vec![ArticleState::Published]
        } else {
            filter.states.clone()
        };
        for (i, s) in states.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_text(s.code());
        }
        sql.push(")");
        if let Some(category) = &filter.category_id {
            let nodes = self.kb_category_nodes().await?;
            sql.push(" AND a.category_id IN (");
            for (i, id) in subtree(category, &nodes).iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_text(id.clone());
            }
            sql.push(")");
        }
        if let Some(kind) = filter.kind {
            sql.push(" AND a.kind = ").bind_text(kind.code());
        }
        if let Some(audience) = filter.audience {
            sql.push(" AND a.audience = ").bind_text(audience.code());
        }
        if let Some(tag) = filter.tag.as_deref().filter(|t| !t.is_empty()) {
            sql.push(" AND EXISTS (SELECT 1 FROM kb_article_tags t WHERE t.article_id = a.id AND t.tag = ")
                .bind_text(tag)
                .push(")");
        }
        if let Some((at, id)) = cursor.and_then(|c| c.split_once(':')) {
            let at: i64 = at.parse().unwrap_or(i64::MAX);
            sql.push(" AND (a.updated_at < ")
                .bind_int(at)
                .push(" OR (a.updated_at = ")
                .bind_int(at)
                .push(" AND a.id < ")
                .bind_text(id)
                .push("))");
        }
        sql.push(" ORDER BY a.updated_at DESC, a.id DESC LIMIT ")
            .bind_int(limit as i64 + 1);
        let raw: Vec<RawArticle> = sql.query_as().fetch_all(&self.read).await?;
        let rows = self.kb_rows(raw).await?;
        Ok(Page::from_overfetch(
            rows.into_iter().map(ArticleSummary::from).collect(),
            limit,
            cursor_of,
        ))
    }

    /// Every saved version of an article, newest first.
    pub async fn list_article_versions(
        &self,
        article_id: &str,
    ) -> Result<Vec<ArticleVersionRow>, StoreError> {
        let sql = format!("{VERSION_SELECT} WHERE article_id = $1 ORDER BY version DESC");
        let rows: Vec<RawVersion> = sqlx::query_as(&sql)
            .bind(article_id)
            .fetch_all(&self.read)
            .await?;
        rows.into_iter().map(RawVersion::into_row).collect()
    }

    pub async fn get_article_version(
        &self,
        article_id: &str,
        version: i64,
    ) -> Result<ArticleVersionRow, StoreError> {
        let sql = format!("{VERSION_SELECT} WHERE article_id = $1 AND version = $2");
        let row: RawVersion = sqlx::query_as(&sql)
            .bind(article_id)
            .bind(version)
            .fetch_one(&self.read)
            .await?;
        row.into_row()
    }
}

/// `category` and every category below it.
fn subtree(category: &str, nodes: &CategoryNodes) -> Vec<String> {
    let mut out = vec![category.to_string()];
    let mut i = 0;
    while i < out.len() && out.len() <= nodes.len() {
        let parent = out[i].clone();
        for (id, (p, _)) in nodes {
            if p.as_deref() == Some(parent.as_str()) && !out.contains(id) {
                out.push(id.clone());
            }
        }
        i += 1;
    }
    out
}

const VERSION_SELECT: &str = "SELECT article_id, version, action, title, body, kind, state, \
    audience, category_id, category_name, tags, restored_from, author_id, author_name, \
    created_at FROM kb_article_versions";

#[derive(sqlx::FromRow)]
struct RawVersion {
    article_id: String,
    version: i64,
    action: String,
    title: String,
    body: String,
    kind: String,
    state: String,
    audience: String,
    category_id: String,
    category_name: String,
    tags: String,
    restored_from: Option<i64>,
    author_id: Option<String>,
    author_name: String,
    created_at: i64,
}

impl RawVersion {
    fn into_row(self) -> Result<ArticleVersionRow, StoreError> {
        Ok(ArticleVersionRow {
            action: code("version action", &self.action, VersionAction::from_code)?,
            kind: code("article kind", &self.kind, ArticleKind::from_code)?,
            state: code("article state", &self.state, ArticleState::from_code)?,
            audience: code("audience", &self.audience, Audience::from_code)?,
            tags: serde_json::from_str(&self.tags)?,
            article_id: self.article_id,
            version: self.version,
            title: self.title,
            body: self.body,
            category_id: self.category_id,
            category_name: self.category_name,
            restored_from: self.restored_from,
            author_id: self.author_id,
            author_name: self.author_name,
            created_at: self.created_at,
        })
    }
}
