-- How many rows of a loaded extract ($table) carry each value of one column ($column):
-- the ingest path checks that replacing reps, accounts or opportunities leaves nothing loaded
-- pointing at someone or something that is gone.
select columns(lambda c: c = $column) as value, count(*) as n
from query_table($table)
group by all
