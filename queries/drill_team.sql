-- The visible members of a leader's whole team (every level below them, the leader left out)
-- employed at some point of the period (hired before $as_of, not gone before $period_start), with
-- their depth below the leader and their direct manager's name.
with
team as (
    select rep_id, depth from team_members where leader_id = $leader_id and rep_id <> $leader_id
),
final as (
    select r.rep_id, r.rep_name, nullif(trim(r.manager_id), '') as manager_id, m.rep_name as manager_name,
           r.role, r.region, r.hire_date, r.termination_date, t.depth
    from team as t
    join reps as r using (rep_id)
    left join reps as m on m.rep_id = nullif(trim(r.manager_id), '')
    where r.rep_id in (select unnest($visible_reps::varchar[]))
      and coalesce(r.hire_date < $as_of, true)
      and coalesce(r.termination_date >= $period_start, true)
)
select * from final order by depth, rep_name
