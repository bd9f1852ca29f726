-- Schema version 5: lifecycle snapshots (see store.Lifecycle). Times are
-- unix microseconds as in version 1; prev_at = 0 means no flows recorded.
CREATE TABLE IF NOT EXISTS lifecycle_snapshots (
    at         INTEGER PRIMARY KEY,
    as_of      INTEGER NOT NULL,
    prev_at    INTEGER NOT NULL,
    prev_as_of INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS lifecycle_snapshots_as_of ON lifecycle_snapshots (as_of, at);

-- Customers per stage at each snapshot.
CREATE TABLE IF NOT EXISTS lifecycle_stages (
    at        INTEGER NOT NULL,
    position  INTEGER NOT NULL,
    stage     TEXT    NOT NULL,
    customers INTEGER NOT NULL,
    PRIMARY KEY (at, position)
) WITHOUT ROWID;

-- Customers who moved from_stage → to_stage since the previous snapshot
-- ('' from: entered; '' to: left); non-zero cells only.
CREATE TABLE IF NOT EXISTS lifecycle_flows (
    at         INTEGER NOT NULL,
    from_stage TEXT    NOT NULL,
    to_stage   TEXT    NOT NULL,
    customers  INTEGER NOT NULL,
    PRIMARY KEY (at, from_stage, to_stage)
) WITHOUT ROWID;
