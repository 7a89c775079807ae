-- The SQLite twin drops the triggers that held domain rules before they moved into Go; the
-- PostgreSQL schema never had them. The number is kept so both dialects share one numbering.
SELECT 1;
