-- Binding chat senders to contacts (issue 22): an unbound sender is asked for their mobile
-- number, and a one-time code sent to it by SMS binds them. One row per sender and channel
-- while a binding is under way; only the code's hash is kept.
CREATE TABLE chat_bindings (
    channel_id TEXT NOT NULL REFERENCES channels (id),
    sender TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    asked_at BIGINT NOT NULL,
    phone TEXT,
    code_hash TEXT,
    sent_at BIGINT,
    tries BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, sender)
);

-- A chat sender's messages on a channel: their thread and their requests to bind.
CREATE INDEX inbound_messages_sender ON inbound_messages (channel_id, sender, received_at);
