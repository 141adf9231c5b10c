-- The knowledge base (知识库): categories (a tree), articles (FAQ, manual, script, policy)
-- with their tags, every saved version of an article (immutable), and files attached to
-- articles (the bytes live in the blob store, 0006). Keep this file and
-- ../postgres/0011_knowledge.sql equal in meaning.

CREATE TABLE kb_categories (
    id TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES kb_categories(id),
    name TEXT NOT NULL,
    sort_order BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Sibling names are unique (a root category's parent is '').
CREATE UNIQUE INDEX kb_categories_name ON kb_categories (COALESCE(parent_id, ''), name);
CREATE INDEX kb_categories_parent ON kb_categories (parent_id, sort_order, name);

-- The current state of each article. `version` counts every save (the optimistic
-- concurrency token an edit must name); state is draft, published or archived;
-- audience internal or customer; tags are kept in kb_article_tags.
CREATE TABLE kb_articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    audience TEXT NOT NULL,
    category_id TEXT NOT NULL REFERENCES kb_categories(id),
    version BIGINT NOT NULL,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_by TEXT REFERENCES users(id),
    updated_at BIGINT NOT NULL,
    published_at BIGINT
);
-- The browse lists: newest first within a category, a kind, a state.
CREATE INDEX kb_articles_category ON kb_articles (category_id, state, updated_at, id);
CREATE INDEX kb_articles_kind ON kb_articles (kind, state, updated_at, id);
CREATE INDEX kb_articles_state ON kb_articles (state, updated_at, id);

CREATE TABLE kb_article_tags (
    article_id TEXT NOT NULL REFERENCES kb_articles(id),
    tag TEXT NOT NULL,
    PRIMARY KEY (article_id, tag)
);
CREATE INDEX kb_article_tags_tag ON kb_article_tags (tag, article_id);

-- Every save writes one row here: the whole content as it was then. Rows are never
-- changed or deleted (triggers refuse it); a restore writes a new row. The category is
-- kept by id and by name, so history reads right after the category is renamed or gone.
CREATE TABLE kb_article_versions (
    article_id TEXT NOT NULL REFERENCES kb_articles(id),
    version BIGINT NOT NULL,
    action TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    audience TEXT NOT NULL,
    category_id TEXT NOT NULL,
    category_name TEXT NOT NULL,
    tags TEXT NOT NULL,
    restored_from BIGINT,
    author_id TEXT REFERENCES users(id),
    author_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, version)
);
CREATE TRIGGER kb_article_versions_no_update BEFORE UPDATE ON kb_article_versions
BEGIN SELECT RAISE(ABORT, 'kb_article_versions is append-only'); END;
CREATE TRIGGER kb_article_versions_no_delete BEFORE DELETE ON kb_article_versions
BEGIN SELECT RAISE(ABORT, 'kb_article_versions is append-only'); END;

CREATE TABLE kb_attachments (
    id TEXT PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES kb_articles(id),
    blob_sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    filename TEXT NOT NULL,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX kb_attachments_article ON kb_attachments (article_id, id);
