-- The key columns ($key_columns) of one canonical extract table ($table), as loaded now.
-- The ingest path uses them to preview a load (rows added, replaced, removed) and to resolve
-- foreign keys of an upload against what is already loaded.
select columns(lambda c: list_contains($key_columns, c)) from query_table($table)
