-- The reps the viewer may see, for rep-level metrics: id, name, role, direct manager, whether they
-- lead anyone, and whether they were employed at some point of the period (before $as_of).
with
visible as (
    select unnest($visible_reps::varchar[]) as rep_id
),
final as (
    select
        r.rep_id,
        r.rep_name,
        r.role,
        nullif(trim(r.manager_id), '') as manager_id,
        r.rep_id in (select leader_id from leaders) as is_leader,
        coalesce(r.hire_date < $as_of, true) and coalesce(r.termination_date >= $period_start, true)
            as employed_in_period
    from reps as r
    where r.rep_id in (select rep_id from visible)
)
select * from final order by rep_id
