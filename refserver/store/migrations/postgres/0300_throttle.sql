-- The guessing limiter's counts (refserver/throttle, store.ThrottleCounter), kept here so that
-- every process serving from this database counts every guess. name is the counter's key
-- (kind, account, source address, joined by NUL bytes: a BLOB). Times are Unix nanoseconds,
-- 0 for none. expires_at is when the row holds nothing any more (failures forgiven, delay and
-- good mark over, pending checks expired): the counter's sweep deletes rows past it.
CREATE TABLE throttle_counts (
    name            BYTEA   PRIMARY KEY,
    failures        BIGINT  NOT NULL DEFAULT 0,
    pending         BIGINT  NOT NULL DEFAULT 0,
    pending_at      BIGINT  NOT NULL DEFAULT 0,
    last_failure    BIGINT  NOT NULL DEFAULT 0,
    throttled_until BIGINT  NOT NULL DEFAULT 0,
    good_until      BIGINT  NOT NULL DEFAULT 0,
    expires_at      BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX throttle_counts_expires ON throttle_counts (expires_at);
