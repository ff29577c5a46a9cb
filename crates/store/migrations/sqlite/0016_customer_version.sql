-- Customers are edited from their page (issue 21): a version for optimistic locking, so two
-- people editing the same card cannot overwrite each other unseen.
ALTER TABLE customers ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
