-- How many rows of one extract name only people the viewer may see, and how many non-null values
-- each column holds among them (one row, one column per column). A row names people in its rep_id,
-- owner_rep_id and leader_id columns (whichever the extract has); every one named must be visible.
-- For an extract with none of these columns DuckDB refuses the query: such rows are no one's.
with
visible as (
    select unnest($visible_reps::varchar[]) as rep_id
),
final as (
    select count(*) as "__rows", count(columns(*))
    from query_table($extract)
    where columns(lambda c: c in ('rep_id', 'owner_rep_id', 'leader_id')) in (select rep_id from visible)
)
select * from final
