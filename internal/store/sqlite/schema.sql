-- Schema version 1. Timestamps are INTEGER unix microseconds (UTC); text
-- columns are NOT NULL with '' for "none"; ids of absent customers are 0.

CREATE TABLE IF NOT EXISTS customers (
    id          INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    merged_into INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS customers_merged_into ON customers (merged_into) WHERE merged_into <> 0;

CREATE TABLE IF NOT EXISTS identities (
    kind        TEXT    NOT NULL,
    namespace   TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    customer_id INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    first_seen  INTEGER NOT NULL,
    PRIMARY KEY (kind, namespace, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS identities_customer ON identities (customer_id);

CREATE TABLE IF NOT EXISTS merges (
    id        INTEGER PRIMARY KEY,
    survivor  INTEGER NOT NULL,
    merged    INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    namespace TEXT    NOT NULL,
    value     TEXT    NOT NULL,
    source    TEXT    NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS merges_survivor ON merges (survivor);

CREATE TABLE IF NOT EXISTS observations (
    customer_id INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    observed_at INTEGER NOT NULL,
    valid       INTEGER NOT NULL,
    problem     TEXT    NOT NULL,
    PRIMARY KEY (customer_id, name, source)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS attributes (
    customer_id INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    observed_at INTEGER NOT NULL,
    rule        TEXT    NOT NULL,
    PRIMARY KEY (customer_id, name)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS consents (
    customer_id INTEGER NOT NULL,
    channel     TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    source      TEXT    NOT NULL,
    PRIMARY KEY (customer_id, channel)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS items (
    id         TEXT    NOT NULL PRIMARY KEY,
    title      TEXT    NOT NULL,
    category   TEXT    NOT NULL,
    brand      TEXT    NOT NULL,
    price      REAL    NOT NULL,
    active     INTEGER NOT NULL,
    source     TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS orders (
    id           INTEGER PRIMARY KEY,
    source       TEXT    NOT NULL,
    ext_id       TEXT    NOT NULL,
    customer_id  INTEGER NOT NULL,
    placed_at    INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    ref_ext_id   TEXT    NOT NULL,
    ref_order_id INTEGER NOT NULL,
    channel      TEXT    NOT NULL,
    payment      TEXT    NOT NULL,
    currency     TEXT    NOT NULL,
    coupon       TEXT    NOT NULL,
    UNIQUE (source, ext_id)
);
-- Rows of an index end with the rowid, so this one also serves
-- "ORDER BY placed_at DESC, id DESC".
CREATE INDEX IF NOT EXISTS orders_customer ON orders (customer_id, placed_at);
-- Cancellations and returns LinkOrders has still to link.
CREATE INDEX IF NOT EXISTS orders_unlinked ON orders (customer_id)
    WHERE kind IN ('cancel', 'return') AND ref_order_id = 0;

CREATE TABLE IF NOT EXISTS order_lines (
    order_id   INTEGER NOT NULL,
    line_no    INTEGER NOT NULL,
    item_id    TEXT    NOT NULL,
    quantity   REAL    NOT NULL,
    unit_price REAL    NOT NULL,
    amount     REAL    NOT NULL,
    discount   REAL    NOT NULL,
    coupon     TEXT    NOT NULL,
    PRIMARY KEY (order_id, line_no)
) WITHOUT ROWID;

-- Event ids are hashes, spread over the whole key space: as the primary key
-- every batch would touch pages all over the table. Rows are stored in
-- arrival order instead (seq) and only the small index on id takes the
-- scattered writes (half the CPU on batches of 1,000 random ids).
CREATE TABLE IF NOT EXISTS events (
    seq         INTEGER PRIMARY KEY,
    id          INTEGER NOT NULL UNIQUE,
    source      TEXT    NOT NULL,
    customer_id INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    item_id     TEXT    NOT NULL,
    value       REAL    NOT NULL,
    props       TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS events_customer ON events (customer_id, at);

CREATE TABLE IF NOT EXISTS api_keys (
    id         TEXT    NOT NULL PRIMARY KEY,
    hash       TEXT    NOT NULL UNIQUE,
    role       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Row counts for Stats, kept by the store in the transaction that changes
-- them, so Stats does not scan millions of rows.
CREATE TABLE IF NOT EXISTS counters (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    customers        INTEGER NOT NULL DEFAULT 0,
    anonymous_orders INTEGER NOT NULL DEFAULT 0,
    orders           INTEGER NOT NULL DEFAULT 0,
    order_lines      INTEGER NOT NULL DEFAULT 0,
    events           INTEGER NOT NULL DEFAULT 0,
    items            INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO counters (id) VALUES (1);
