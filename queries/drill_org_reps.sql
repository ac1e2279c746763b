-- Everyone in the reps extract: the whole org, which the drill-down figures are computed over
-- before they are kept for the reps a viewer may see (as the scores are).
with
final as (
    select rep_id from reps
)
select * from final order by rep_id
