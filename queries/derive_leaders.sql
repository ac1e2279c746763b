-- Rebuilds leaders: every rep who manages someone, with their level (0 = top of the org),
-- direct reports and whole-team size.
create or replace table leaders as
with recursive
reps_in as (
    select rep_id, nullif(trim(manager_id), '') as manager_id from reps
),
levels(rep_id, level) as (
    select rep_id, 0 from reps_in where manager_id is null
    union all
    select r.rep_id, l.level + 1
    from reps_in as r join levels as l on r.manager_id = l.rep_id
    where l.level < 30
),
directs as (
    select manager_id as leader_id, count(*) as direct_reports
    from reps_in where manager_id is not null group by manager_id
),
teams as (
    select leader_id, count(*) as team_size from team_members group by leader_id
),
final as (
    select
        d.leader_id,
        coalesce(min(l.level), 0) as level,
        d.direct_reports,
        t.team_size
    from directs as d
    join teams as t using (leader_id)
    left join levels as l on l.rep_id = d.leader_id
    where d.leader_id in (select rep_id from reps_in)
    group by d.leader_id, d.direct_reports, t.team_size
)
select * from final
