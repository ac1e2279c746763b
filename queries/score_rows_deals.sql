-- The deals behind one leader's deal metrics for a period: every deal of the leader's team (the
-- leader's own and everyone's below, visible reps only) that is in play, created, closed or open in
-- the period or the same days a year before, with the flags each metric selects its rows by (see
-- scorecard/metrics.py, row_filter) and the sales cycle (none for a deal closed before it was created).
with
visible as (
    select unnest($visible_reps::varchar[]) as rep_id
),
team as (
    select tm.rep_id
    from team_members as tm
    where tm.leader_id = $leader_id
      and tm.rep_id in (select rep_id from visible)
      and $leader_id in (select rep_id from visible)
    union all
    select $leader_id where $leader_id in (select rep_id from visible)
),
deals as (
    select o.*
    from opportunities as o
    where o.owner_rep_id in (select rep_id from team)
      and ((o.created_date < $as_of and not coalesce(o.is_closed and o.close_date < $period_start, false))
           or (o.close_date >= $year_before_start and o.close_date < $year_before_as_of))
),
touches as (
    -- queries/team_macros.sql
    select * from deal_touches((select list(opportunity_id) from deals),
                               $period_start::date - interval 365 day, $as_of)
),
history as (
    select opportunity_id, count(distinct stage) as history_stages
    from opportunity_history
    where opportunity_id in (select opportunity_id from deals)
    group by opportunity_id
),
helpers as (
    select ot.opportunity_id, string_agg(ot.rep_id || coalesce(' (' || ot.role || ')', ''), ', ') as helpers
    from opportunity_team as ot
    join deals as d on d.opportunity_id = ot.opportunity_id and ot.rep_id <> d.owner_rep_id
    group by ot.opportunity_id
),
flagged as (
    select
        d.opportunity_id,
        d.owner_rep_id,
        r.rep_name as owner_name,
        d.account_id,
        acc.account_name,
        coalesce(acc.is_target, false) as is_target,
        d.created_date,
        d.close_date,
        d.stage,
        d.is_closed,
        d.is_won,
        d.amount,
        case when d.close_date >= d.created_date then datediff('day', d.created_date, d.close_date) end
            as cycle_days,
        d.type,
        d.product_line,
        d.lead_source,
        d.forecast_category,
        d.next_step,
        coalesce(t.activities, 0) as activities,
        t.first_activity_at,
        t.last_activity_at,
        coalesce(t.contacts, 0) as contacts,
        coalesce(t.exec_meeting, false) as exec_meeting,
        h.history_stages,
        hl.helpers,
        coalesce(d.close_date >= $as_of, false)
            and (not $judge_next_step or d.is_closed or nullif(trim(d.next_step), '') is not null)
            and (not $judge_activity or coalesce(t.last_activity_at >= $as_of::date - interval 30 day, false))
            as hygienic,
        coalesce(t.last_activity_at < $as_of::date - interval 21 day, true) as quiet_21_days,
        d.created_date < $as_of and not coalesce(d.is_closed and d.close_date < $period_start, false) as in_play,
        d.created_date < $as_of and not coalesce(d.is_closed and d.close_date < $period_start, false)
            and coalesce(t.activities, 0) > 0 as in_play_touched,
        d.created_date < $as_of and not coalesce(d.is_closed and d.close_date < $as_of, false) as open_at_as_of,
        d.created_date < $as_of and not coalesce(d.is_closed and d.close_date < $as_of, false)
            and d.created_date <= $as_of::date - interval 21 day as open_aged,
        d.created_date >= $period_start and d.created_date < $as_of as created_in_period,
        coalesce((d.is_closed or d.is_won) and d.close_date >= $period_start and d.close_date < $as_of, false)
            as closed_in_period,
        coalesce(d.is_won and d.close_date >= $period_start and d.close_date < $as_of, false) as won_in_period,
        coalesce(d.is_won and d.close_date >= $period_start and d.close_date < $as_of
                 and d.close_date >= d.created_date, false) as won_with_cycle,
        coalesce(d.is_won and d.close_date >= $year_before_start and d.close_date < $year_before_as_of, false)
            as won_year_before,
        coalesce(d.is_closed and d.close_date >= $period_start and d.close_date < $as_of
                 and lower(trim(d.type)) = 'renewal', false) as renewal_closed,
        coalesce(d.is_closed and d.close_date >= $period_start and d.close_date < $as_of
                 and acc.is_target, false) as target_closed,
        coalesce(d.is_won and d.close_date >= $period_start and d.close_date < $as_of
                 and h.history_stages is not null, false) as won_with_history,
        coalesce(d.created_date < $as_of and not coalesce(d.is_closed and d.close_date < $as_of, false)
                 and d.close_date >= $next_start and d.close_date < $next_end, false) as next_period_pipeline
    from deals as d
    join reps as r on r.rep_id = d.owner_rep_id
    left join accounts as acc on acc.account_id = d.account_id
    left join touches as t using (opportunity_id)
    left join history as h using (opportunity_id)
    left join helpers as hl using (opportunity_id)
),
final as (
    -- why a deal is not hygienic, in words, by the three tests of `hygienic` (null for a hygienic deal)
    select
        *,
        case when hygienic then null
             else concat_ws(', ',
                 case when close_date is null then 'no close date'
                      when close_date < $as_of then 'close date in the past' end,
                 case when $judge_next_step and not coalesce(is_closed, false)
                           and coalesce(trim(next_step), '') = '' then 'no next step' end,
                 case when $judge_activity and coalesce(last_activity_at < $as_of::date - interval 30 day, true)
                      then 'no activity in 30 days' end)
        end as hygiene_reason
    from flagged
)
select * from final order by close_date desc, opportunity_id
