-- After a restore, the check results that stand for the restored data: for each extract, those of
-- the newest accepted load up to the restored one that checked it, recorded again under the new load.
insert into check_results
with source as (
    select extract, max(load_id) as load_id
    from check_results
    where accepted and load_id <= $restored
    group by extract
)
select $at as checked_at, $new_load as load_id, true as accepted, c.file, c.extract, c.column_name,
       c.rule, c.outcome, c.passed, c.failed_rows, c.total_rows, c.message, c.sample
from check_results as c
join source as s on c.extract = s.extract and c.load_id = s.load_id
