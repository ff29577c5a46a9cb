-- Search (issue 20): one document per ticket, customer and asset, its words cut by Loopdesk
-- (core::search, jieba for Chinese) and written in the transaction of the change it indexes.
-- `search_docs` says what each document is; the words live in an FTS5 table that keeps no
-- copy of the text (contentless, with deletes), its rowid the document's id.
CREATE TABLE search_docs (
    id INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL,
    ref_id TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX search_docs_ref ON search_docs (tenant_id, kind, ref_id);

-- The words are already cut and lower-cased, letters and digits only: the `ascii` tokenizer
-- splits them at the spaces between them and nowhere else (it keeps a Chinese word whole).
-- The index keeps where each word stands (detail = full): `detail = column` would be a
-- third smaller, but FTS5's bm25 then scores every match 0, and relevance is the point.
CREATE VIRTUAL TABLE search_fts USING fts5 (
    title, body, internal,
    content = '', contentless_delete = 1,
    tokenize = 'ascii'
);
