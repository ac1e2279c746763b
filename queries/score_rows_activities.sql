-- The activities behind one leader's activity metrics for a period: the activities of the sellers
-- in the leader's team (visible reps only; the leader too when a player-coach) and the leader's
-- own, newest first, with the flags each metric selects its rows by (see scorecard/metrics.py,
-- row_filter). An activity without a type is of unknown kind: never a meeting or an insight touch.
with
visible as (
    select unnest($visible_reps::varchar[]) as rep_id
),
sellers as (
    -- the sellers of the leader's team (queries/team_macros.sql)
    select rep_id from team_sellers($leader_id, $visible_reps::varchar[], $period_start, $as_of)
),
people as (
    select rep_id from sellers
    union
    select $leader_id where $leader_id in (select rep_id from visible)
),
final as (
    select
        a.activity_id,
        a.rep_id,
        r.rep_name,
        a.activity_at,
        a.type,
        a.account_id,
        coalesce(acc.is_target, false) as is_target,
        a.opportunity_id,
        a.contact_id,
        a.contact_level,
        a.duration_min,
        coalesce(a.rep_id = $leader_id and lower(trim(a.type)) in ('meeting', 'demo'), false) as leader_meeting,
        coalesce(a.rep_id in (select rep_id from sellers)
                 and lower(trim(a.type)) in ('content', 'social', 'event'), false) as insight,
        a.rep_id in (select rep_id from sellers) as seller_activity
    from activities as a
    join reps as r on r.rep_id = a.rep_id
    left join accounts as acc on acc.account_id = a.account_id
    where a.rep_id in (select rep_id from people)
      and a.activity_at >= $period_start and a.activity_at < $as_of
)
select * from final order by activity_at desc, activity_id
