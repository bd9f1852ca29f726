-- Schema version 3: offers and campaigns (see store.Marketing).
-- Conventions as in version 1; a callback_at of 0 means "none".

-- One shared contact history of every channel, in insertion order.
CREATE TABLE IF NOT EXISTS contacts (
    seq         INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    channel     TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    campaign    TEXT    NOT NULL,
    step        TEXT    NOT NULL,
    offer       TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    detail      TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS contacts_customer ON contacts (customer_id, at);

-- The outbox: one row per (campaign, customer, step), written before the send.
CREATE TABLE IF NOT EXISTS deliveries (
    campaign    TEXT    NOT NULL,
    customer_id INTEGER NOT NULL,
    step        TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    offer       TEXT    NOT NULL,
    code        TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    attempts    INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (campaign, customer_id, step)
) WITHOUT ROWID;
-- Frequency caps count the pending deliveries of a customer.
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (customer_id, created_at) WHERE state = 'pending';

CREATE TABLE IF NOT EXISTS suppressions (
    customer_id INTEGER NOT NULL,
    channel     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (customer_id, channel)
) WITHOUT ROWID;

-- Offers issued: budgets and per-customer limits count these.
CREATE TABLE IF NOT EXISTS issues (
    offer       TEXT    NOT NULL,
    customer_id INTEGER NOT NULL,
    campaign    TEXT    NOT NULL,
    step        TEXT    NOT NULL,
    code        TEXT    NOT NULL,
    cost        REAL    NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (offer, customer_id, campaign, step)
) WITHOUT ROWID;
-- The running totals of each offer, kept in the transaction that issues.
CREATE TABLE IF NOT EXISTS offer_use (
    offer TEXT    NOT NULL PRIMARY KEY,
    count INTEGER NOT NULL,
    cost  REAL    NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS campaign_runs (
    campaign    TEXT    NOT NULL PRIMARY KEY,
    state       TEXT    NOT NULL,
    audience    BLOB    NOT NULL,
    size        INTEGER NOT NULL,
    launched_at INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS call_tasks (
    id          INTEGER PRIMARY KEY,
    campaign    TEXT    NOT NULL,
    customer_id INTEGER NOT NULL,
    offer       TEXT    NOT NULL,
    script      TEXT    NOT NULL,
    assignee    TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    result      TEXT    NOT NULL,
    callback_at INTEGER NOT NULL,
    note        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (campaign, customer_id)
);
