-- Search (issue 20): one document per ticket, customer and asset, its words cut by Loopdesk
-- (core::search, jieba for Chinese) and written in the transaction of the change it indexes.
-- The words are a tsvector built from that list (weight A the title, B what the document's
-- readers see, D internal notes), never by a text search configuration, which knows no
-- Chinese; a GIN index finds the documents that hold every word of a query.
CREATE TABLE search_docs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL,
    ref_id TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    words TSVECTOR NOT NULL
);
CREATE UNIQUE INDEX search_docs_ref ON search_docs (tenant_id, kind, ref_id);
CREATE INDEX search_docs_words ON search_docs USING GIN (words);
