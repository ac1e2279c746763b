-- The leaders the viewer may see (a leader is listed only if the viewer may see the leader themself):
-- id, name, level (0 = top), region, direct reports and whole-team size counted over visible reps.
with
visible as (
    select unnest($visible_reps::varchar[]) as rep_id
),
visible_team as (
    select leader_id, count(*) as team_size
    from team_members
    where rep_id in (select rep_id from visible)
    group by leader_id
),
final as (
    select
        l.leader_id,
        r.rep_name as leader_name,
        l.level::integer as level,
        r.region,
        l.direct_reports::bigint as direct_reports,
        coalesce(v.team_size, 0)::bigint as team_size
    from leaders as l
    join reps as r on r.rep_id = l.leader_id
    left join visible_team as v on v.leader_id = l.leader_id
    where l.leader_id in (select rep_id from visible)
)
select * from final order by level, leader_id
