//! The knowledge base (知识库): articles — FAQs, manuals, scripts (话术), policies — for
//! everyone with `knowledge.read`; drafts, archived articles and every write for those
//! with `knowledge.write`. An edit names the version it started from (409 when someone
//! saved in between); history, diffs and restores work on the immutable versions.

mod attachments;
mod categories;
pub mod render;
pub mod script;

pub use attachments::{attach, attachment_view, file, ArticleAttachmentView};
pub use categories::*;

use crate::app::rfc3339;
use crate::auth::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use kefu_domain::knowledge::{
    parse_body, parse_tags, parse_title, placeholders_in, ArticleKind, ArticleState, Audience,
};
use kefu_domain::Permission;
use kefu_store::knowledge::{
    ArticleFilter, ArticleInput, ArticleRow, ArticleSummary, ArticleVersionRow,
};
use render::{diff_html, line_diff, markdown_html, DiffLine};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An article as the API and the pages show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleView {
    pub id: String,
    pub title: String,
    /// Markdown, as written.
    pub body: String,
    /// The body rendered to safe HTML (raw HTML escaped, unsafe links dropped).
    pub html: String,
    /// faq, manual, script or policy
    pub kind: String,
    /// draft, published or archived
    pub state: String,
    /// internal or customer
    pub audience: String,
    pub category_id: String,
    pub category_path: Vec<String>,
    pub tags: Vec<String>,
    /// Name it in an update (`version`) to be told when someone saved in between.
    pub version: i64,
    pub placeholders: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub updated_by: Option<String>,
    pub published_at: Option<String>,
}

pub fn article_view(a: &ArticleRow) -> ArticleView {
    ArticleView {
        id: a.id.clone(),
        title: a.title.clone(),
        body: a.body.clone(),
        html: markdown_html(&a.body),
        kind: a.kind.code().into(),
        state: a.state.code().into(),
        audience: a.audience.code().into(),
        category_id: a.category_id.clone(),
        category_path: a.category_path.clone(),
        tags: a.tags.clone(),
        version: a.version,
        placeholders: placeholders_in(&a.body),
        created_at: rfc3339(a.created_at),
        updated_at: rfc3339(a.updated_at),
        updated_by: a.updated_by_name.clone(),
        published_at: a.published_at.map(rfc3339),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleSummaryView {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub state: String,
    pub audience: String,
    pub category_id: String,
    pub category_path: Vec<String>,
    pub tags: Vec<String>,
    pub version: i64,
    pub updated_at: String,
    pub updated_by: Option<String>,
}

pub fn summary_view(a: &ArticleSummary) -> ArticleSummaryView {
    ArticleSummaryView {
        id: a.id.clone(),
        title: a.title.clone(),
        kind: a.kind.code().into(),
        state: a.state.code().into(),
        audience: a.audience.code().into(),
        category_id: a.category_id.clone(),
        category_path: a.category_path.clone(),
        tags: a.tags.clone(),
        version: a.version,
        updated_at: rfc3339(a.updated_at),
        updated_by: a.updated_by_name.clone(),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleList {
    pub items: Vec<ArticleSummaryView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ArticleListParams {
    /// This category and the categories below it.
    pub category_id: Option<String>,
    /// faq, manual, script or policy
    pub kind: Option<String>,
    /// draft, published or archived; drafts and archived need `knowledge.write`. Default:
    /// published (and drafts for writers).
    pub state: Option<String>,
    pub tag: Option<String>,
    /// internal or customer
    pub audience: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

/// A new article; `publish` publishes it at once (otherwise it is a draft).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArticlePayload {
    pub title: String,
    /// Markdown.
    pub body: String,
    /// faq, manual, script or policy
    pub kind: String,
    /// internal (default) or customer
    #[serde(default)]
    pub audience: Option<String>,
    pub category_id: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub publish: bool,
}

/// New content for an article, over the version it was edited from.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArticlePayload {
    /// The version the edit started from; 409 `stale_version` when the article has moved on.
    pub version: i64,
    pub title: String,
    pub body: String,
    pub kind: String,
    #[serde(default)]
    pub audience: Option<String>,
    pub category_id: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Optionally names the version a state change or restore is meant for.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionGuard {
    pub version: Option<i64>,
}

fn kind(raw: &str) -> Result<ArticleKind, AppError> {
    ArticleKind::from_code(raw.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "invalid_kind",
            "kind",
            "kind is faq, manual, script or policy",
        )
    })
}

fn audience(raw: Option<&str>) -> Result<Audience, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Audience::Internal),
        Some(a) => Audience::from_code(a).ok_or_else(|| {
            AppError::invalid_field(
                "invalid_audience",
                "audience",
                "audience is internal or customer",
            )
        }),
    }
}

/// Validates an article's fields, in the order of the form.
pub fn article_input(
    title: &str,
    body: &str,
    kind_code: &str,
    audience_code: Option<&str>,
    category_id: &str,
    tags: &[String],
) -> Result<ArticleInput, AppError> {
    let title = parse_title(title)?;
    let kind = kind(kind_code)?;
    let audience = audience(audience_code)?;
    if category_id.trim().is_empty() {
        return Err(AppError::invalid_field(
            "unknown_category",
            "category_id",
            "choose a category",
        ));
    }
    Ok(ArticleInput {
        title,
        body: parse_body(body)?,
        kind,
        audience,
        category_id: category_id.trim().to_string(),
        tags: parse_tags(tags)?,
    })
}

/// Whether the viewer may see an article in `state`.
pub fn may_see(ctx: &Ctx, state: ArticleState) -> bool {
    ctx.can(Permission::KnowledgeRead)
        && (state == ArticleState::Published || ctx.can(Permission::KnowledgeWrite))
}

/// An article the viewer may see; drafts and archived articles are 404 to readers.
pub async fn load_visible(state: &AppState, ctx: &Ctx, id: &str) -> Result<ArticleRow, AppError> {
    ctx.require(Permission::KnowledgeRead)?;
    let article = match state.db().get_article(id).await {
        Ok(a) => a,
        Err(kefu_store::StoreError::NotFound) => return Err(AppError::NotFound("article")),
        Err(e) => return Err(e.into()),
    };
    if !may_see(ctx, article.state) {
        return Err(AppError::NotFound("article"));
    }
    Ok(article)
}

pub async fn list(
    state: &AppState,
    ctx: &Ctx,
    p: &ArticleListParams,
) -> Result<ArticleList, AppError> {
    ctx.require(Permission::KnowledgeRead)?;
    let text = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let states = match text(&p.state) {
        Some(code) => {
            let s = ArticleState::from_code(&code).ok_or_else(|| {
                AppError::invalid_field(
                    "invalid_state",
                    "state",
                    "state is draft, published or archived",
                )
            })?;
            if s != ArticleState::Published {
                ctx.require(Permission::KnowledgeWrite)?;
            }
            vec![s]
        }
        None if ctx.can(Permission::KnowledgeWrite) => {
            vec![ArticleState::Draft, ArticleState::Published]
        }
        None => vec![ArticleState::Published],
    };
    let filter = ArticleFilter {
        category_id: text(&p.category_id),
        kind: text(&p.kind).map(|k| kind(&k)).transpose()?,
        states,
        tag: text(&p.tag),
        audience: match text(&p.audience) {
            Some(a) => Some(audience(Some(&a))?),
            None => None,
        },
    };
    let page = state
        .db()
        .list_articles(
            &filter,
            p.cursor.as_deref(),
            crate::app::page_limit(p.limit),
        )
        .await?;
    Ok(ArticleList {
        items: page.items.iter().map(summary_view).collect(),
        next_cursor: page.next_cursor,
    })
}

pub async fn create(
    state: &AppState,
    ctx: &Ctx,
    p: &NewArticlePayload,
) -> Result<String, AppError> {
    ctx.require(Permission::KnowledgeWrite)?;
    let input = article_input(
        &p.title,
        &p.body,
        &p.kind,
        p.audience.as_deref(),
        &p.category_id,
        &p.tags,
    )?;
    let to = if p.publish {
        ArticleState::Published
    } else {
        ArticleState::Draft
    };
    Ok(state
        .db()
        .create_article(&ctx.actor(), state.clock().now(), &input, to)
        .await?)
}

pub async fn update(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: &UpdateArticlePayload,
) -> Result<i64, AppError> {
    ctx.require(Permission::KnowledgeWrite)?;
    let input = article_input(
        &p.title,
        &p.body,
        &p.kind,
        p.audience.as_deref(),
        &p.category_id,
        &p.tags,
    )?;
    Ok(state
        .db()
        .update_article(&ctx.actor(), state.clock().now(), id, p.version, &input)
        .await?)
}

/// Publishes or archives an article.
pub async fn set_state(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    to: ArticleState,
    expected: Option<i64>,
) -> Result<i64, AppError> {
    ctx.require(Permission::KnowledgeWrite)?;
    Ok(state
        .db()
        .set_article_state(&ctx.actor(), state.clock().now(), id, to, expected)
        .await?)
}

pub async fn restore(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    from_version: i64,
    expected: Option<i64>,
) -> Result<i64, AppError> {
    ctx.require(Permission::KnowledgeWrite)?;
    Ok(state
        .db()
        .restore_article_version(
            &ctx.actor(),
            state.clock().now(),
            id,
            from_version,
            expected,
        )
        .await?)
}

/// One saved version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionView {
    pub version: i64,
    /// create, update, publish, archive or restore
    pub action: String,
    pub title: String,
    /// Markdown as saved (left out of the list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub kind: String,
    pub state: String,
    pub audience: String,
    pub category_id: String,
    pub category_name: String,
    pub tags: Vec<String>,
    pub restored_from: Option<i64>,
    pub author: String,
    pub created_at: String,
}

pub fn version_view(v: &ArticleVersionRow, with_body: bool) -> VersionView {
    VersionView {
        version: v.version,
        action: v.action.code().into(),
        title: v.title.clone(),
        body: with_body.then(|| v.body.clone()),
        kind: v.kind.code().into(),
        state: v.state.code().into(),
        audience: v.audience.code().into(),
        category_id: v.category_id.clone(),
        category_name: v.category_name.clone(),
        tags: v.tags.clone(),
        restored_from: v.restored_from,
        author: v.author_name.clone(),
        created_at: rfc3339(v.created_at),
    }
}

pub async fn versions(state: &AppState, ctx: &Ctx, id: &str) -> Result<Vec<VersionView>, AppError> {
    let article = load_visible(state, ctx, id).await?;
    let rows = state.db().list_article_versions(&article.id).await?;
    Ok(rows.iter().map(|v| version_view(v, false)).collect())
}

pub async fn version(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    version: i64,
) -> Result<ArticleVersionRow, AppError> {
    let article = load_visible(state, ctx, id).await?;
    match state.db().get_article_version(&article.id, version).await {
        Ok(v) => Ok(v),
        Err(kefu_store::StoreError::NotFound) => Err(AppError::NotFound("version")),
        Err(e) => Err(e.into()),
    }
}

/// A field other than the body that differs between two versions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldChange {
    /// title, kind, audience, category or tags
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

/// What changed from an older version to the current article.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiffView {
    pub from_version: i64,
    pub to_version: i64,
    pub fields: Vec<FieldChange>,
    /// The body's line diff.
    pub lines: Vec<DiffLine>,
    /// The same as an HTML table, every line escaped.
    pub html: String,
}

/// The diff between version `from` and the current article.
pub async fn diff(state: &AppState, ctx: &Ctx, id: &str, from: i64) -> Result<DiffView, AppError> {
    let old = version(state, ctx, id, from).await?;
    let now = load_visible(state, ctx, id).await?;
    let mut fields = Vec::new();
    let mut check = |field: &'static str, old: String, new: String| {
        if old != new {
            fields.push(FieldChange { field, old, new });
        }
    };
    check("title", old.title.clone(), now.title.clone());
    check("kind", old.kind.code().into(), now.kind.code().into());
    check(
        "audience",
        old.audience.code().into(),
        now.audience.code().into(),
    );
    check(
        "category",
        old.category_name.clone(),
        now.category_path.last().cloned().unwrap_or_default(),
    );
    check("tags", old.tags.join("、"), now.tags.join("、"));
    let lines = line_diff(&old.body, &now.body);
    Ok(DiffView {
        from_version: from,
        to_version: now.version,
        fields,
        html: diff_html(&lines),
        lines,
    })
}
