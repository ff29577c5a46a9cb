-- Category guesses (issue 23): a category the tenant's model set on its own stays marked until
-- a person confirms or corrects it (a guess is never training data); a new ticket the model
-- has looked at is marked, so that it is looked at once. The threshold is the tenant's: the
-- confidence from which the model sets a category itself (NULL: it only suggests).
ALTER TABLE tickets ADD COLUMN category_guessed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN category_triaged BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN triage_auto_category DOUBLE PRECISION;
