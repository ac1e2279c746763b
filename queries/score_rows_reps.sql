-- The reps behind one leader's quota and organisation metrics for a period: the leader (depth 0,
-- whose own quota and deals count as a player-coach's do) and every visible member of the team
-- below, with their prorated quota, won amount, attainment, employment and the flags each metric
-- selects its rows by (see scorecard/metrics.py, row_filter). Ramp and retention count the reps
-- below who lead no one; ramp only those hired inside the data window (on or after $data_start).
with
visible as (
    select unnest($visible_reps::varchar[]) as rep_id
),
team as (
    select tm.rep_id, tm.depth
    from team_members as tm
    where tm.leader_id = $leader_id
      and tm.rep_id in (select rep_id from visible)
      and $leader_id in (select rep_id from visible)
    union all
    select $leader_id, 0 where $leader_id in (select rep_id from visible)
),
period_quota as (
    select rep_id, sum(quota_amount) as quota
    from quotas
    where period_start >= $period_start and period_start < $period_end
      and rep_id in (select rep_id from team)
    group by rep_id
),
deals as (
    select
        owner_rep_id as rep_id,
        coalesce(sum(amount) filter (where is_won and close_date >= $period_start and close_date < $as_of), 0)
            as won_to_date,
        coalesce(sum(amount) filter (where is_won and close_date >= $period_start
                                     and close_date < least($mid::date, $as_of::date)), 0) as won_to_mid,
        min(close_date) filter (where is_won) as first_won_date,
        coalesce(sum(amount) filter (where created_date < $as_of
                                     and not coalesce(is_closed and close_date < $as_of, false)), 0)
            as open_pipeline,
        count(*) filter (where created_date < $as_of and created_date >= $as_of::date - interval 365 day)
            as recent_deals
    from opportunities
    where owner_rep_id in (select rep_id from team)
    group by owner_rep_id
),
figures as (
    select
        t.rep_id,
        r.rep_name,
        r.role,
        nullif(trim(r.manager_id), '') as manager_id,
        t.depth,
        r.hire_date,
        r.termination_date,
        t.rep_id not in (select leader_id from leaders) as is_seller,
        coalesce(r.hire_date < $as_of, true) and coalesce(r.termination_date >= $as_of, true) as employed_now,
        coalesce(r.hire_date < $as_of::date - interval 365 day, true)
            and coalesce(r.termination_date >= $as_of::date - interval 365 day, true) as employed_then,
        greatest(0, datediff('day', greatest($period_start::date, coalesce(r.hire_date, $period_start::date)),
                                    least($as_of::date, coalesce(r.termination_date, $as_of::date))))
            as days_employed,
        greatest(0, datediff('day', greatest($period_start::date, coalesce(r.hire_date, $period_start::date)),
                                    least($mid::date, $as_of::date, coalesce(r.termination_date, $mid::date))))
            as days_to_mid,
        q.quota as period_quota,
        coalesce(d.won_to_date, 0) as won_to_date,
        coalesce(d.won_to_mid, 0) as won_to_mid,
        d.first_won_date,
        coalesce(d.open_pipeline, 0) as open_pipeline,
        coalesce(d.recent_deals, 0) as recent_deals
    from team as t
    join reps as r using (rep_id)
    left join period_quota as q using (rep_id)
    left join deals as d using (rep_id)
),
final as (
    select
        rep_id, rep_name, role, manager_id, depth, hire_date, termination_date, is_seller,
        employed_now, days_employed, period_quota,
        period_quota * days_employed / $period_days as quota_to_date,
        won_to_date,
        won_to_date / nullif(period_quota * days_employed / $period_days, 0) as attainment,
        won_to_mid,
        period_quota * days_to_mid / $period_days as quota_to_mid,
        first_won_date,
        datediff('day', hire_date, first_won_date) as ramp_days,
        open_pipeline,
        coalesce(period_quota * days_employed > 0, false) as has_quota,
        $period_complete and coalesce(period_quota * days_employed > 0, false)
            and won_to_mid < period_quota * days_to_mid / $period_days as behind_at_mid,
        depth = 1 and employed_now as direct_report,
        coalesce(depth > 0 and hire_date >= $data_start::date and first_won_date >= $as_of::date - interval 365 day
                 and first_won_date < $as_of, false) as ramped,
        depth > 0 and is_seller and employed_then as employed_year_before,
        employed_now and recent_deals > 0 as carries_pipeline
    from figures
)
select * from final order by depth, rep_name
