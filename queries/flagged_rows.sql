-- The rows in place that were loaded with a flag: extract, row key, file and line, the rule broken.
with
flags as (
    select load_id, extract, row_key, file, line, rule, column_name
    from flagged_rows
),
final as (
    select * from flags
)
select * from final order by extract, rule, file, line
