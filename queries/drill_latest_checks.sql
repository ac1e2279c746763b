-- The latest check results of each extract: every rule of the newest check run that covered it.
with
latest as (
    select extract, max(checked_at) as checked_at
    from check_results
    group by extract
),
final as (
    select c.extract, c.checked_at, c.load_id, c.accepted, c.file, c.column_name, c.rule,
           c.outcome, c.passed, c.failed_rows, c.total_rows, c.message, c.sample
    from check_results as c
    join latest as l using (extract, checked_at)
)
select * from final order by extract, passed, outcome, column_name, rule
