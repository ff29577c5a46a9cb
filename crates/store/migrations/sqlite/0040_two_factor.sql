-- A second factor for staff (issue 24): the secret of a user's authenticator app (base32),
-- one set aside while they enrol (until a first code confirms it), and the last 30-second
-- step a code was taken for (a code works once). A tenant names the roles that must enrol.
-- Sign-ins keep where they came from, for the list of a user's sessions.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
ALTER TABLE tenants ADD COLUMN two_factor_roles TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN client_ip TEXT;
ALTER TABLE api_tokens ADD COLUMN user_agent TEXT;
