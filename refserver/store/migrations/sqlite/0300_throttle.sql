-- The guessing limiter's counts (refserver/throttle, store.ThrottleCounter), kept here so that
-- every process serving from this database counts every guess. name is the counter's key
-- (kind, account, source address, joined by NUL bytes: a BLOB). Times are Unix nanoseconds,
-- 0 for none. expires_at is when the row holds nothing any more (failures forgiven, delay and
-- good mark over, pending checks expired): the counter's sweep deletes rows past it.
CREATE TABLE throttle_counts (
    name            BLOB    PRIMARY KEY,
    failures        INTEGER NOT NULL DEFAULT 0,
    pending         INTEGER NOT NULL DEFAULT 0,
    pending_at      INTEGER NOT NULL DEFAULT 0,
    last_failure    INTEGER NOT NULL DEFAULT 0,
    throttled_until INTEGER NOT NULL DEFAULT 0,
    good_until      INTEGER NOT NULL DEFAULT 0,
    expires_at      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX throttle_counts_expires ON throttle_counts (expires_at);
