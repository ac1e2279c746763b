-- Rebuilds team_members: one row per (leader, rep below them), at any depth.
-- A leader's team is everyone below them in the manager_id hierarchy, however many levels deep.
-- Depth is capped at $max_depth (the hierarchy depth limit, which the checks enforce: a deeper
-- hierarchy is refused before it gets here), so that a cycle can never loop forever.
create or replace table team_members as
with recursive
reps_in as (
    select rep_id, nullif(trim(manager_id), '') as manager_id from reps
),
walk(leader_id, rep_id, depth) as (
    select manager_id as leader_id, rep_id, 1 as depth
    from reps_in
    where manager_id is not null and manager_id <> rep_id
    union all
    select r.manager_id as leader_id, w.rep_id, w.depth + 1 as depth
    from walk as w
    join reps_in as r on r.rep_id = w.leader_id
    where r.manager_id is not null and w.depth < $max_depth
),
final as (
    select leader_id, rep_id, min(depth) as depth
    from walk
    where leader_id <> rep_id
    group by leader_id, rep_id
)
select * from final
