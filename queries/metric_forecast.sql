-- Course-correction metrics per leader over the whole team, the leader's own deals and quota
-- included: forecast_accuracy and pipeline_coverage. An open deal without a close date is in no
-- period's pipeline.
-- The forecast is the leader's first commit call for the period submitted before $as_of; a leader
-- without one is judged on the commit-category pipeline closing in the period in the last
-- opportunity snapshot taken on or before the period's first day. While the period runs the
-- forecast is prorated to the share elapsed ($elapsed_share).
-- Returns one row per (leader_id, metric): value (null when undefined) and sample.
with
visible_leaders as (
    -- the units scored (queries/team_macros.sql)
    select leader_id from scored_units($visible_reps::varchar[], $per_rep)
),
team as (
    -- each unit's team: the leader and everyone below (queries/team_macros.sql)
    select leader_id, rep_id from scored_team($visible_reps::varchar[], $per_rep)
),
called as (
    select leader_id, arg_min(forecast_amount, submitted_at) as forecast_amount
    from forecasts
    where leader_id in (select leader_id from visible_leaders)
      and period_start >= $period_start and period_start < $period_end
      and submitted_at < $as_of
    group by leader_id
),
snapshot as (
    select max(load_id) as load_id
    from opportunity_snapshots
    where snapshot_at < $period_start::date + interval 1 day
),
snapshot_commit as (
    select t.leader_id, sum(s.amount) as forecast_amount
    from opportunity_snapshots as s
    join team as t on t.rep_id = s.owner_rep_id
    where s.load_id = (select load_id from snapshot)
      and lower(trim(s.forecast_category)) in ('commit', 'forecast')
      and s.close_date >= $period_start and s.close_date < $period_end
      and t.leader_id not in (select leader_id from called)
    group by t.leader_id
),
forecast as (
    select leader_id, forecast_amount from called
    union all
    select leader_id, forecast_amount from snapshot_commit
),
team_deals as (
    select t.leader_id,
           sum(o.amount) filter (where o.is_won and o.close_date >= $period_start and o.close_date < $as_of)
               as won,
           sum(o.amount) filter (where o.created_date < $as_of and not (o.is_closed and o.close_date < $as_of)
                                 and o.close_date >= $next_start and o.close_date < $next_end) as next_pipeline
    from team as t
    join opportunities as o on o.owner_rep_id = t.rep_id
    group by t.leader_id
),
next_quota as (
    select t.leader_id, sum(q.quota_amount) as quota, count(distinct q.rep_id) as reps
    from team as t
    join quotas as q on q.rep_id = t.rep_id
    join reps as r on r.rep_id = t.rep_id
    where q.period_start >= $next_start and q.period_start < $next_end
      and coalesce(r.termination_date >= $as_of, true)
    group by t.leader_id
),
final as (
    select f.leader_id, 'forecast_accuracy' as metric,
           1 - abs(f.forecast_amount * $elapsed_share - d.won) / nullif(d.won, 0) as value,
           case when d.won > 0 then 1 else 0 end as sample
    from forecast as f
    left join team_deals as d using (leader_id)
    union all
    select q.leader_id, 'pipeline_coverage', coalesce(d.next_pipeline, 0) / nullif(q.quota, 0), q.reps
    from next_quota as q
    left join team_deals as d using (leader_id)
)
select leader_id, metric, value::double as value, sample::bigint as sample from final
