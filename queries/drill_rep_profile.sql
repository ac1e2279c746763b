-- One rep the viewer may see: name, role, region, manager, hire date, whether they lead a team, and
-- the ids of the visible reps who share the rep's manager (the rep included, leavers too: the
-- metric engine keeps those employed in the period), against whom the rep page compares.
with
rep as (
    select r.*, nullif(trim(r.manager_id), '') as manager_key
    from reps as r
    where r.rep_id = $rep_id
      and r.rep_id in (select unnest($visible_reps::varchar[]))
),
peers as (
    select list(p.rep_id order by p.rep_id) as peer_ids
    from reps as p
    join rep as r on nullif(trim(p.manager_id), '') is not distinct from r.manager_key
    where p.rep_id in (select unnest($visible_reps::varchar[]))
),
final as (
    select
        r.rep_id, r.rep_name, r.email, r.role, r.region, r.segment, r.hire_date,
        r.termination_date, r.manager_key as manager_id, m.rep_name as manager_name,
        coalesce(l.team_size, 0) as team_size,
        coalesce(p.peer_ids, [r.rep_id]) as peer_ids
    from rep as r
    cross join peers as p
    left join reps as m on m.rep_id = r.manager_key
    left join leaders as l on l.leader_id = r.rep_id
)
select * from final
