-- Activity and coaching metrics per leader over the whole team's sellers: activities_per_rep_day,
-- daily_consistency, insight_touches, target_account_focus, pipeline_created, coaching_coverage;
-- and the leader's own leader_customer_meetings.
-- The sellers of a team are the people in it who lead no one, and the leader or a leader below who
-- owns a deal in play in the period (a player-coach: queries/team_macros.sql, selling_leaders).
-- Coaching coverage counts the sessions held with the reps below who lead no one.
-- A seller counts for the working days (Monday to Friday) of the period up to $as_of on which they
-- were employed; a month is 30.4375 days.
-- An activity without a type is an activity of unknown kind: it counts as activity on the day
-- (daily consistency) but not as a customer-facing or insight activity, nor a meeting.
-- Returns one row per (leader_id, metric): value (null when undefined) and sample.
with
visible_leaders as (
    -- the units scored (queries/team_macros.sql)
    select leader_id from scored_units($visible_reps::varchar[], $per_rep)
),
team as (
    -- each unit's team: the leader and everyone below (queries/team_macros.sql)
    select leader_id, rep_id, is_leader_self from scored_team($visible_reps::varchar[], $per_rep)
),
sellers as (
    select
        r.rep_id,
        r.hire_date,
        r.termination_date,
        r.rep_id not in (select leader_id from leaders) as leads_no_one
    from reps as r
    where r.rep_id in (select rep_id from team)
      and (r.rep_id not in (select leader_id from leaders)
           or r.rep_id in (select rep_id from selling_leaders($period_start, $as_of)))
),
days as (
    select d::date as day
    from generate_series($period_start::date, $as_of::date - interval 1 day, interval 1 day) as g(d)
),
seller_days as (
    select s.rep_id, d.day, isodow(d.day) <= 5 as working
    from sellers as s
    join days as d
      on coalesce(s.hire_date <= d.day, true) and coalesce(s.termination_date > d.day, true)
),
seller_activity as (
    select
        a.rep_id,
        a.activity_at::date as day,
        count(nullif(trim(a.type), '')) as typed,
        count(*) filter (where lower(trim(a.type)) <> 'other') as customer_activities,
        count(*) filter (where coalesce(lower(trim(a.type)), '') <> 'other') as active,
        count(*) filter (where lower(trim(a.type)) in ('content', 'social', 'event')) as insight,
        count(a.account_id) as with_account,
        count(*) filter (where acc.is_target) as on_target
    from activities as a
    left join accounts as acc on acc.account_id = a.account_id
    where a.activity_at >= $period_start and a.activity_at < $as_of
      and a.rep_id in (select rep_id from sellers)
    group by a.rep_id, a.activity_at::date
),
rep_figures as (
    select
        sd.rep_id,
        count(*) filter (where sd.working) as working_days,
        count(*) as employed_days,
        count(*) filter (where sd.working and sa.active > 0) as active_days,
        coalesce(sum(sa.customer_activities), 0) as customer_activities,
        coalesce(sum(sa.typed), 0) as typed,
        coalesce(sum(sa.insight), 0) as insight,
        coalesce(sum(sa.with_account), 0) as with_account,
        coalesce(sum(sa.on_target), 0) as on_target
    from seller_days as sd
    left join seller_activity as sa using (rep_id, day)
    group by sd.rep_id
),
coaching_sessions as (
    select rep_id, count(*) as sessions
    from coaching
    where session_at >= $period_start and session_at < $as_of
      and rep_id in (select rep_id from sellers where leads_no_one)
    group by rep_id
),
created_pipeline as (
    select t.leader_id,
           sum(o.amount) as created_amount,
           sum(o.amount) filter (where acc.is_target) as target_amount,
           count(*) as created
    from team as t
    join opportunities as o on o.owner_rep_id = t.rep_id
    join accounts as acc on acc.account_id = o.account_id
    where o.created_date >= $period_start and o.created_date < $as_of
    group by t.leader_id
),
created_deals as (
    select t.leader_id, count(*) as created
    from team as t
    join opportunities as o on o.owner_rep_id = t.rep_id
    where o.created_date >= $period_start and o.created_date < $as_of
    group by t.leader_id
),
leader_figures as (
    select
        t.leader_id,
        sum(f.working_days) as working_days,
        sum(f.employed_days) as employed_days,
        sum(f.active_days) as active_days,
        sum(f.customer_activities) as customer_activities,
        sum(f.typed) as typed,
        sum(f.insight) as insight,
        sum(f.with_account) as with_account,
        sum(f.on_target) as on_target,
        count(*) as sellers,
        -- coaching: the reps below who lead no one
        coalesce(sum(f.employed_days) filter (where s.leads_no_one and not t.is_leader_self), 0) as coached_days,
        count(*) filter (where s.leads_no_one and not t.is_leader_self) as coached,
        coalesce(sum(c.sessions) filter (where s.leads_no_one and not t.is_leader_self), 0) as sessions
    from team as t
    join sellers as s using (rep_id)
    join rep_figures as f using (rep_id)
    left join coaching_sessions as c using (rep_id)
    group by t.leader_id
),
own_meetings as (
    select l.leader_id, count(a.activity_id) as meetings
    from visible_leaders as l
    left join activities as a
      on a.rep_id = l.leader_id
     and lower(trim(a.type)) in ('meeting', 'demo')
     and a.activity_at >= $period_start and a.activity_at < $as_of
    group by l.leader_id
),
final as (
    select leader_id, 'activities_per_rep_day' as metric,
           customer_activities / nullif(working_days, 0) as value, working_days as sample
    from leader_figures
    union all
    select leader_id, 'daily_consistency', active_days / nullif(working_days, 0), working_days
    from leader_figures
    union all
    select leader_id, 'insight_touches', insight / nullif(typed, 0), typed from leader_figures
    union all
    select leader_id, 'coaching_coverage', sessions / nullif(coached_days / 30.4375, 0),
           case when coached_days > 0 then coached else 0 end
    from leader_figures
    union all
    select l.leader_id, 'pipeline_created', coalesce(c.created, 0) / nullif(l.employed_days / 30.4375, 0),
           case when l.employed_days > 0 then l.sellers else 0 end
    from leader_figures as l
    left join created_deals as c using (leader_id)
    union all
    select coalesce(l.leader_id, p.leader_id), 'target_account_focus',
           case
               when l.with_account > 0 and p.created_amount > 0
                   then (l.on_target / l.with_account + coalesce(p.target_amount, 0) / p.created_amount) / 2
               when l.with_account > 0 then l.on_target / l.with_account
               when p.created_amount > 0 then coalesce(p.target_amount, 0) / p.created_amount
           end,
           coalesce(l.with_account, 0) + coalesce(p.created, 0)
    from leader_figures as l
    full join created_pipeline as p using (leader_id)
    union all
    select leader_id, 'leader_customer_meetings',
           meetings / nullif(datediff('day', $period_start::date, $as_of::date) / 30.4375, 0),
           datediff('day', $period_start::date, $as_of::date)
    from own_meetings
)
select leader_id, metric, value::double as value, sample::bigint as sample from final
