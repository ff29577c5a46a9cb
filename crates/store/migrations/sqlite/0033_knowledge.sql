-- The knowledge base (issue 23): articles with their review state and every version kept,
-- each reader's helpful / not helpful, the requests an article answered before they were filed
-- (deflections), and the tickets resolved with an article.
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category TEXT,
    model TEXT,
    visibility TEXT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    author_id TEXT REFERENCES users (id),
    source_ticket_id TEXT REFERENCES tickets (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX articles_tenant_state ON articles (tenant_id, state, updated_at);
CREATE TABLE article_versions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    article_id TEXT NOT NULL REFERENCES articles (id),
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    author_id TEXT REFERENCES users (id),
    at BIGINT NOT NULL,
    PRIMARY KEY (article_id, version)
);
CREATE TABLE article_feedback (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    article_id TEXT NOT NULL REFERENCES articles (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    helpful BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (article_id, user_id)
);
CREATE TABLE article_deflections (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    article_id TEXT NOT NULL REFERENCES articles (id),
    user_id TEXT REFERENCES users (id),
    at BIGINT NOT NULL
);
CREATE INDEX article_deflections_tenant_at ON article_deflections (tenant_id, at);
CREATE TABLE ticket_articles (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    article_id TEXT NOT NULL REFERENCES articles (id),
    user_id TEXT REFERENCES users (id),
    at BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, article_id)
);
CREATE INDEX ticket_articles_tenant_at ON ticket_articles (tenant_id, at);
