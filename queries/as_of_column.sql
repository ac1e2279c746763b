-- Whether the loads record carries an as-of date per load (a database written before it did has
-- no such column): 1 when it does, else 0.
with
final as (
    select count(*) as has_as_of
    from information_schema.columns
    where table_name = 'loads' and column_name = 'as_of'
)
select * from final
