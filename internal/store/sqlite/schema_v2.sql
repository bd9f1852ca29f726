-- Schema version 2: what the analytics keep (see store.Analytics).
-- Conventions as in version 1; a NULL expires_at means "never".

-- Every version of every definition; a deletion is a version too.
CREATE TABLE IF NOT EXISTS definitions (
    kind       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    body       BLOB    NOT NULL,
    deleted    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    author     TEXT    NOT NULL,
    PRIMARY KEY (kind, name, version)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS admission (
    list        TEXT    NOT NULL,
    customer_id INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    added_at    INTEGER NOT NULL,
    expires_at  INTEGER,
    PRIMARY KEY (list, customer_id)
) WITHOUT ROWID;
-- MergeCustomers moves a customer's entries.
CREATE INDEX IF NOT EXISTS admission_customer ON admission (customer_id);

CREATE TABLE IF NOT EXISTS segment_sizes (
    segment TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (segment, at)
) WITHOUT ROWID;
