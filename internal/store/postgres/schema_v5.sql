-- Sagitta PostgreSQL schema, version 5: lifecycle snapshots (see
-- store.Lifecycle); prev_at IS NULL means no flows recorded.
CREATE TABLE IF NOT EXISTS lifecycle_snapshots (
    at         timestamptz PRIMARY KEY,
    as_of      timestamptz NOT NULL,
    prev_at    timestamptz,
    prev_as_of timestamptz
);
CREATE INDEX IF NOT EXISTS lifecycle_snapshots_as_of ON lifecycle_snapshots (as_of, at);

-- Customers per stage at each snapshot.
CREATE TABLE IF NOT EXISTS lifecycle_stages (
    at        timestamptz NOT NULL REFERENCES lifecycle_snapshots (at) ON DELETE CASCADE,
    position  integer     NOT NULL,
    stage     text        NOT NULL,
    customers bigint      NOT NULL,
    PRIMARY KEY (at, position)
);

-- Customers who moved from_stage → to_stage since the previous snapshot
-- ('' from: entered; '' to: left); non-zero cells only.
CREATE TABLE IF NOT EXISTS lifecycle_flows (
    at         timestamptz NOT NULL REFERENCES lifecycle_snapshots (at) ON DELETE CASCADE,
    from_stage text        NOT NULL,
    to_stage   text        NOT NULL,
    customers  bigint      NOT NULL,
    PRIMARY KEY (at, from_stage, to_stage)
);
