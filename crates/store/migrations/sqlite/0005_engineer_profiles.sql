-- What dispatch knows of an engineer: skills with levels, regions served besides their own,
-- home base, capacity and weekly shift (set by admins); on/off duty and the last position
-- (from the engineer's phone).
CREATE TABLE engineer_profiles (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    skills TEXT NOT NULL DEFAULT '[]',
    regions TEXT NOT NULL DEFAULT '[]',
    home_lat DOUBLE PRECISION,
    home_lon DOUBLE PRECISION,
    capacity BIGINT NOT NULL DEFAULT 5,
    shift TEXT NOT NULL DEFAULT '[]',
    on_duty BIGINT NOT NULL DEFAULT 0,
    position_lat DOUBLE PRECISION,
    position_lon DOUBLE PRECISION,
    position_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX engineer_profiles_tenant ON engineer_profiles (tenant_id);
