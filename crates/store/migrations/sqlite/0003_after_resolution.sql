-- After resolution: surveys, auto-close, remediation and the loyalty tag; how each contact
-- and user wants to hear from us; the tenant's knobs for all of it.

ALTER TABLE tenants ADD COLUMN auto_close_days BIGINT NOT NULL DEFAULT 7;
ALTER TABLE tenants ADD COLUMN survey_delay_minutes BIGINT NOT NULL DEFAULT 60;
ALTER TABLE tenants ADD COLUMN survey_valid_days BIGINT NOT NULL DEFAULT 14;
-- The key survey links are signed with; made on first use.
ALTER TABLE tenants ADD COLUMN survey_secret TEXT;

-- `email` | `sms` | `wechat` | `none`; `lang` is the language of what we send.
ALTER TABLE contacts ADD COLUMN notify_channel TEXT NOT NULL DEFAULT 'email';
ALTER TABLE contacts ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh-CN';
-- `app` (in-app only) | `email` (in-app and e-mail).
ALTER TABLE users ADD COLUMN notify_channel TEXT NOT NULL DEFAULT 'app';
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh-CN';

ALTER TABLE customers ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';

-- NULL, `open` (in the supervisors' remediation queue) or `done`.
ALTER TABLE tickets ADD COLUMN remediation TEXT;
CREATE INDEX tickets_remediation ON tickets (tenant_id, remediation) WHERE remediation IS NOT NULL;
CREATE INDEX tickets_resolved ON tickets (status, resolved_at) WHERE status = 'resolved';

-- One survey per resolution: `round` is the ticket's reopen count when it was resolved.
CREATE TABLE surveys (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    round BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    answered_at BIGINT,
    csat BIGINT,
    nps BIGINT,
    comment TEXT,
    UNIQUE (ticket_id, round)
);
CREATE INDEX surveys_tenant ON surveys (tenant_id, sent_at);
