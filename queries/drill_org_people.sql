-- Everyone the viewer may see, with their manager (blank when the manager is outside the view, so
-- the visible part of the org is a tree), their level, and for leaders the team size.
with
people as (
    select r.rep_id, r.rep_name, nullif(trim(r.manager_id), '') as manager_id, r.role, r.region,
           r.termination_date
    from reps as r
    where r.rep_id in (select unnest($visible_reps::varchar[]))
),
final as (
    select
        p.rep_id, p.rep_name,
        case when p.manager_id in (select rep_id from people) then p.manager_id end as manager_id,
        m.rep_name as manager_name,
        p.role, p.region,
        l.level,
        coalesce(l.direct_reports, 0) as direct_reports,
        coalesce(l.team_size, 0) as team_size,
        p.termination_date is not null as has_left
    from people as p
    left join people as m on m.rep_id = p.manager_id
    left join leaders as l on l.leader_id = p.rep_id
)
select * from final order by level nulls last, team_size desc, rep_name
