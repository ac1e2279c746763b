-- The coaching sessions behind one leader's coaching coverage for a period: sessions held (by any
-- leader) with the reps below the leader who lead no one, visible reps only, newest first.
with
sellers as (
    -- the reps below the leader who lead no one (queries/team_macros.sql)
    select rep_id from coached_reps($leader_id, $visible_reps::varchar[])
),
final as (
    select c.leader_id as coach_id, c.rep_id, r.rep_name, c.session_at, c.kind, c.duration_min
    from coaching as c
    join reps as r on r.rep_id = c.rep_id
    where c.rep_id in (select rep_id from sellers)
      and c.session_at >= $period_start and c.session_at < $as_of
)
select * from final order by session_at desc, rep_id
