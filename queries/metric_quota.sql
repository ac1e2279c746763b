-- Quota metrics per leader over the whole team (the leader, whose own quota and deals count as a
-- player-coach's do, and every level below them), for one period: quota_attainment, reps_at_quota,
-- attainment_spread, recovery, revenue_growth. A deal without an amount adds nothing to a sum.
-- A rep's quota counts in proportion to the days of the period they were employed up to $as_of
-- (so a rep who left mid-quarter, and the part of a running quarter not yet elapsed, are prorated).
-- Returns one row per (leader_id, metric): value (null when undefined) and sample.
with
team as (
    -- each unit's team: the leader and everyone below (queries/team_macros.sql)
    select leader_id, rep_id from scored_team($visible_reps::varchar[], $per_rep)
),
team_reps as (
    select distinct rep_id from team
),
employment as (
    select
        r.rep_id,
        greatest(0, datediff('day', greatest($period_start::date, coalesce(r.hire_date, $period_start::date)),
                                    least($as_of::date, coalesce(r.termination_date, $as_of::date))))
            as days_to_date,
        greatest(0, datediff('day', greatest($period_start::date, coalesce(r.hire_date, $period_start::date)),
                                    least($mid::date, $as_of::date, coalesce(r.termination_date, $mid::date))))
            as days_to_mid
    from reps as r
    where r.rep_id in (select rep_id from team_reps)
),
period_quota as (
    select rep_id, sum(quota_amount) as quota
    from quotas
    where period_start >= $period_start and period_start < $period_end
      and rep_id in (select rep_id from team_reps)
    group by rep_id
),
won as (
    select
        owner_rep_id as rep_id,
        sum(amount) filter (where close_date >= $period_start and close_date < $as_of) as won_to_date,
        sum(amount) filter (where close_date >= $period_start and close_date < least($mid::date, $as_of::date))
            as won_to_mid,
        count(*) filter (where close_date >= $year_before_start and close_date < $year_before_as_of)
            as won_deals_year_before,
        sum(amount) filter (where close_date >= $year_before_start and close_date < $year_before_as_of)
            as won_year_before
    from opportunities
    where is_won
      and owner_rep_id in (select rep_id from team_reps)
      and ((close_date >= $period_start and close_date < $as_of)
           or (close_date >= $year_before_start and close_date < $year_before_as_of))
    group by owner_rep_id
),
rep_figures as (
    select
        e.rep_id,
        q.quota * e.days_to_date / $period_days as quota_to_date,
        q.quota * e.days_to_mid / $period_days as quota_to_mid,
        coalesce(w.won_to_date, 0) as won_to_date,
        coalesce(w.won_to_mid, 0) as won_to_mid,
        coalesce(w.won_year_before, 0) as won_year_before,
        coalesce(w.won_deals_year_before, 0) as won_deals_year_before
    from employment as e
    left join period_quota as q using (rep_id)
    left join won as w using (rep_id)
),
leader_figures as (
    select
        t.leader_id,
        count(*) filter (where f.quota_to_date > 0) as reps_with_quota,
        sum(f.won_to_date) filter (where f.quota_to_date > 0) as won_with_quota,
        sum(f.quota_to_date) filter (where f.quota_to_date > 0) as quota_to_date,
        count(*) filter (where f.quota_to_date > 0 and f.won_to_date >= f.quota_to_date) as reps_at_quota,
        count(*) filter (where f.quota_to_date > 0 and f.won_to_date >= 0.8 * f.quota_to_date) as reps_at_80,
        count(*) filter (where $period_complete and f.quota_to_date > 0 and f.won_to_mid < f.quota_to_mid)
            as behind_at_mid,
        count(*) filter (where $period_complete and f.quota_to_date > 0 and f.won_to_mid < f.quota_to_mid
                         and f.won_to_date >= 0.9 * f.quota_to_date) as recovered,
        sum(f.won_to_date) as team_won,
        sum(f.won_year_before) as team_won_year_before,
        sum(f.won_deals_year_before) as won_deals_year_before
    from team as t
    join rep_figures as f using (rep_id)
    group by t.leader_id
),
final as (
    select leader_id, 'quota_attainment' as metric,
           won_with_quota / nullif(quota_to_date, 0) as value, reps_with_quota as sample
    from leader_figures
    union all
    select leader_id, 'reps_at_quota', reps_at_quota / nullif(reps_with_quota, 0), reps_with_quota
    from leader_figures
    union all
    select leader_id, 'attainment_spread', reps_at_80 / nullif(reps_with_quota, 0), reps_with_quota
    from leader_figures
    union all
    select leader_id, 'recovery', recovered / nullif(behind_at_mid, 0), behind_at_mid
    from leader_figures
    union all
    select leader_id, 'revenue_growth', team_won / nullif(team_won_year_before, 0) - 1,
           case when team_won_year_before > 0 then won_deals_year_before else 0 end
    from leader_figures
)
select leader_id, metric, value::double as value, sample::bigint as sample from final
