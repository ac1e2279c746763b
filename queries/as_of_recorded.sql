-- The as-of date recorded with the newest accepted load (the uploader's date, or the date the
-- export itself carries); null when that load recorded none. Run only when loads has an as_of column
-- (queries/as_of_column.sql).
with
newest as (
    select as_of
    from loads
    where status = 'accepted'
    order by load_id desc
    limit 1
),
final as (
    select max(as_of)::date as as_of from newest
)
select * from final
