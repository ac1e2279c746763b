-- The drill-down figures that are not metrics (scorecard/metrics.py, DISPLAY_FIGURES), per unit:
-- each visible leader over their whole team, or with $per_rep each visible rep on their own (the
-- units and teams of the metric queries, queries/team_macros.sql), for one period up to $as_of
-- (exclusive, as the metric queries count):
--   won_amount              deals won with a close date from $period_start up to $as_of
--   period_quota            the quota of the whole period, not prorated
--   attainment_full_period  won by the reps with a quota / their quota for the whole period
--   open_pipeline           deals open on the as-of date (created before it, not closed before it)
with
team as (
    select leader_id, rep_id from scored_team($visible_reps::varchar[], $per_rep)
),
team_reps as (
    select distinct rep_id from team
),
period_quota as (
    select rep_id, sum(quota_amount) as quota
    from quotas
    where period_start >= $period_start and period_start < $period_end
      and rep_id in (select rep_id from team_reps)
    group by rep_id
),
deals as (
    select
        owner_rep_id as rep_id,
        sum(amount) filter (where is_won and close_date >= $period_start and close_date < $as_of) as won,
        sum(amount) filter (where created_date < $as_of and not (is_closed and close_date < $as_of))
            as open_pipeline
    from opportunities
    where owner_rep_id in (select rep_id from team_reps)
    group by owner_rep_id
),
rep_figures as (
    select
        r.rep_id,
        q.quota,
        coalesce(d.won, 0) as won,
        coalesce(d.open_pipeline, 0) as open_pipeline
    from team_reps as r
    left join period_quota as q using (rep_id)
    left join deals as d using (rep_id)
),
final as (
    select
        t.leader_id as unit_id,
        sum(f.won)::double as won_amount,
        sum(f.quota)::double as period_quota,
        (sum(f.won) filter (where f.quota > 0)
            / nullif(sum(f.quota) filter (where f.quota > 0), 0))::double as attainment_full_period,
        sum(f.open_pipeline)::double as open_pipeline
    from team as t
    join rep_figures as f using (rep_id)
    group by t.leader_id
)
select * from final order by unit_id
