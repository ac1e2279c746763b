-- The reps in a leader's whole team (every level below them) that the viewer may see,
-- with their depth below the leader and their direct manager.
with
team as (
    select rep_id, depth from team_members where leader_id = $leader_id
),
final as (
    select r.rep_id, r.rep_name, r.email, r.manager_id, r.role, r.region, r.segment,
           r.hire_date, r.termination_date, t.depth
    from team as t
    join reps as r using (rep_id)
    where r.rep_id in (select unnest($visible_reps::varchar[]))
)
select * from final order by depth, rep_name
