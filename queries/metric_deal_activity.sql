-- Deal metrics that need the activities logged on each deal, per leader over the whole team, the
-- leader's own deals included: executive_access, multi_threading, pipeline_hygiene,
-- stalled_deal_rate, speed_to_first_touch.
-- A deal is "in play" if created before $as_of and not closed before $period_start; "open on the
-- as-of date" if created before $as_of and not closed before it. Activities are read from a year
-- before the period on, which covers every deal but the very oldest.
-- Pipeline hygiene judges what the data carries: the close date always (an open deal without one
-- is not hygienic), the next step when the extract has next steps ($judge_next_step), the last
-- activity when activities on deals are loaded ($judge_activity).
-- Returns one row per (leader_id, metric): value (null when undefined) and sample.
with
team as (
    -- each unit's team: the leader and everyone below (queries/team_macros.sql)
    select leader_id, rep_id from scored_team($visible_reps::varchar[], $per_rep)
),
deals as (
    select
        o.opportunity_id,
        o.owner_rep_id,
        o.created_date,
        o.close_date,
        o.next_step,
        o.is_closed,
        o.created_date < $as_of and not coalesce(o.is_closed and o.close_date < $period_start, false) as in_play,
        o.created_date < $as_of and not coalesce(o.is_closed and o.close_date < $as_of, false) as open_at_as_of,
        o.created_date >= $period_start and o.created_date < $as_of as created_in_period
    from opportunities as o
    where o.owner_rep_id in (select rep_id from team)
      and o.created_date < $as_of
      and not coalesce(o.is_closed and o.close_date < $period_start, false)
),
touches as (
    -- queries/team_macros.sql
    select * from deal_touches((select list(opportunity_id) from deals),
                               $period_start::date - interval 365 day, $as_of)
),
deal_flags as (
    select
        d.owner_rep_id,
        d.in_play,
        d.open_at_as_of,
        d.created_in_period,
        coalesce(t.activities, 0) > 0 as touched,
        coalesce(t.contacts, 0) as contacts,
        coalesce(t.exec_meeting, false) as exec_meeting,
        d.open_at_as_of and d.created_date <= $as_of::date - interval 21 day as aged,
        coalesce(t.last_activity_at < $as_of::date - interval 21 day, true) as quiet_21_days,
        -- a deal closed since the as-of date had its next step cleared on closing: only its close
        -- date and activity can be judged
        coalesce(d.close_date >= $as_of, false)
            and (not $judge_next_step or d.is_closed or nullif(trim(d.next_step), '') is not null)
            and (not $judge_activity or coalesce(t.last_activity_at >= $as_of::date - interval 30 day, false))
            as hygienic,
        greatest(0, datediff('day', d.created_date,
                             coalesce(t.first_activity_at::date, $as_of::date))) as days_to_first_touch
    from deals as d
    left join touches as t using (opportunity_id)
),
leader_figures as (
    select
        t.leader_id,
        count(*) filter (where f.in_play) as in_play,
        count(*) filter (where f.in_play and f.exec_meeting) as exec_access,
        count(*) filter (where f.in_play and f.touched) as touched,
        avg(f.contacts) filter (where f.in_play and f.touched) as contacts_per_deal,
        count(*) filter (where f.open_at_as_of) as open_deals,
        count(*) filter (where f.open_at_as_of and f.hygienic) as hygienic,
        count(*) filter (where f.aged) as aged,
        count(*) filter (where f.aged and f.quiet_21_days) as stalled,
        count(*) filter (where f.created_in_period) as created,
        median(f.days_to_first_touch) filter (where f.created_in_period) as median_first_touch
    from team as t
    join deal_flags as f on f.owner_rep_id = t.rep_id
    group by t.leader_id
),
final as (
    select leader_id, 'executive_access' as metric, exec_access / nullif(in_play, 0) as value,
           in_play as sample
    from leader_figures
    union all
    select leader_id, 'multi_threading', contacts_per_deal, touched from leader_figures
    union all
    select leader_id, 'pipeline_hygiene', hygienic / nullif(open_deals, 0), open_deals from leader_figures
    union all
    select leader_id, 'stalled_deal_rate', stalled / nullif(aged, 0), aged from leader_figures
    union all
    select leader_id, 'speed_to_first_touch', median_first_touch, created from leader_figures
)
select leader_id, metric, value::double as value, sample::bigint as sample from final
