-- Codes sent to one chat sender in a day (issue 22): a day's count, from its first code.
ALTER TABLE chat_bindings ADD COLUMN codes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE chat_bindings ADD COLUMN codes_since BIGINT;
