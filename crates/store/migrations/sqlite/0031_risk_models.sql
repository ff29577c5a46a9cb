-- Risk (issue 23): each tenant's breach and reopen models, trained on its own history (every
-- night, or when first asked for), and the backtest of each night's model, kept per day.
CREATE TABLE risk_models (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    trained_at BIGINT NOT NULL,
    trained_on BIGINT NOT NULL,
    model TEXT NOT NULL
);
CREATE TABLE risk_backtests (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    day TEXT NOT NULL,
    n BIGINT NOT NULL,
    auc REAL NOT NULL,
    brier REAL NOT NULL,
    PRIMARY KEY (tenant_id, day)
);
