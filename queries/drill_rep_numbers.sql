-- Each given rep's numbers for one period, as far as `today` (the viewer may see only some reps;
-- the others are left out):
--   quota, won amount and deals, attainment (won / quota), expected_attainment (share of the
--   period elapsed), pace (attainment / expected_attainment), win_rate (won / closed deals),
--   avg_won_deal, open_pipeline (open deals closing in the period), pipeline_coverage (open
--   pipeline / quota still to win), customer-facing activities and activities_per_day (per working
--   day elapsed), customer meetings, stalled_deal_rate (open deals without activity for 21 days),
--   target-account coverage (target accounts touched in the last 30 days) and coaching received
--   (null when no coaching extract is loaded).
with
clock as (
    select
        $period_start::date as period_start,
        $period_end::date as period_end,
        least(greatest($today::date, $period_start::date - 1), $period_end::date) as as_of
),
calendar_share as (
    select
        period_start, period_end, as_of,
        (as_of - period_start + 1) / (period_end - period_start + 1) as elapsed_share,
        (select count(*) from range(period_start, as_of + 1, interval 1 day) as t(d)
         where isodow(d) < 6) as working_days
    from clock
),
team as (
    select r.rep_id, r.rep_name, nullif(trim(r.manager_id), '') as manager_id, r.role, r.region,
           r.hire_date, r.termination_date
    from reps as r
    where r.rep_id in (select unnest($rep_ids::varchar[]))
      and r.rep_id in (select unnest($visible_reps::varchar[]))
),
quota as (
    select q.rep_id, sum(q.quota_amount) as quota
    from quotas as q
    join team using (rep_id)
    cross join clock as c
    where q.period_start between c.period_start and c.period_end
    group by q.rep_id
),
rep_deals as (
    select o.*
    from opportunities as o
    where o.owner_rep_id in (select rep_id from team)
),
closed_in_period as (
    select
        d.owner_rep_id as rep_id,
        sum(case when d.is_won then d.amount else 0 end) as won,
        count(*) filter (where d.is_won) as won_deals,
        count(*) as closed_deals
    from rep_deals as d
    cross join clock as c
    where d.is_closed and d.close_date between c.period_start and c.period_end
    group by d.owner_rep_id
),
open_deals as (
    select d.opportunity_id, d.owner_rep_id as rep_id, d.amount, d.close_date
    from rep_deals as d
    where not coalesce(d.is_closed, false)
),
-- A deal is live when it has any activity on or after as_of - 21 (its last activity is then recent
-- enough); only those days are read, so DuckDB skips the older row groups of activities.
live_deals as (
    select distinct a.opportunity_id
    from activities as a
    cross join clock as c
    where a.activity_at >= c.as_of - 21
      and a.opportunity_id in (select opportunity_id from open_deals)
),
pipeline as (
    select
        od.rep_id,
        sum(od.amount) filter (where od.close_date between c.period_start and c.period_end)
            as open_pipeline,
        count(*) as open_deals,
        count(*) filter (where ld.opportunity_id is null) as stalled_deals
    from open_deals as od
    cross join clock as c
    left join live_deals as ld using (opportunity_id)
    group by od.rep_id
),
team_activity as materialized (
    -- the team's activities since the period began or 30 days before as_of, read once
    select a.rep_id, a.account_id, a.type, a.activity_at
    from activities as a
    cross join clock as c
    where a.rep_id in (select rep_id from team)
      and a.activity_at >= least(c.period_start, c.as_of - 30)
      and a.activity_at < c.as_of + 1
),
activity as (
    select
        a.rep_id,
        count(*) filter (where a.type <> 'other') as activities,
        count(*) filter (where a.type in ('meeting', 'demo')) as customer_meetings
    from team_activity as a
    cross join clock as c
    where a.activity_at >= c.period_start
    group by a.rep_id
),
targets as (
    select acc.owner_rep_id as rep_id, acc.account_id
    from accounts as acc
    where coalesce(acc.is_target, false) and acc.owner_rep_id in (select rep_id from team)
),
touched_recently as (
    select a.rep_id, a.account_id
    from team_activity as a
    cross join clock as c
    where a.activity_at >= c.as_of - 30 and a.account_id is not null
    group by a.rep_id, a.account_id
),
target_touch as (
    select
        t.rep_id,
        count(distinct t.account_id) as target_accounts,
        count(distinct tr.account_id) as target_accounts_touched
    from targets as t
    left join touched_recently as tr on tr.rep_id = t.rep_id and tr.account_id = t.account_id
    group by t.rep_id
),
coaching_received as (
    select k.rep_id, count(*) as coaching_sessions, max(k.session_at) as last_coached_at
    from coaching as k
    cross join clock as c
    where k.rep_id in (select rep_id from team)
      and k.session_at >= c.period_start
      and k.session_at < c.as_of + 1
    group by k.rep_id
),
final as (
    select
        t.rep_id,
        t.rep_name,
        t.manager_id,
        m.rep_name as manager_name,
        t.role,
        t.region,
        t.hire_date,
        t.termination_date,
        q.quota,
        coalesce(w.won, 0) as won,
        coalesce(w.won_deals, 0) as won_deals,
        coalesce(w.closed_deals, 0) as closed_deals,
        coalesce(w.won, 0) / nullif(q.quota, 0) as attainment,
        s.elapsed_share as expected_attainment,
        (coalesce(w.won, 0) / nullif(q.quota, 0)) / nullif(s.elapsed_share, 0) as pace,
        w.won_deals / nullif(w.closed_deals, 0) as win_rate,
        w.won / nullif(w.won_deals, 0) as avg_won_deal,
        coalesce(p.open_pipeline, 0) as open_pipeline,
        coalesce(p.open_pipeline, 0) / nullif(greatest(q.quota - coalesce(w.won, 0), 0), 0)
            as pipeline_coverage,
        coalesce(p.open_deals, 0) as open_deals,
        coalesce(p.stalled_deals, 0) as stalled_deals,
        p.stalled_deals / nullif(p.open_deals, 0) as stalled_deal_rate,
        coalesce(a.activities, 0) as activities,
        coalesce(a.activities, 0) / nullif(s.working_days, 0) as activities_per_day,
        coalesce(a.customer_meetings, 0) as customer_meetings,
        coalesce(tt.target_accounts, 0) as target_accounts,
        coalesce(tt.target_accounts_touched, 0) as target_accounts_touched,
        tt.target_accounts_touched / nullif(tt.target_accounts, 0) as target_account_coverage,
        case when (select count(*) from coaching) = 0 then null
             else coalesce(k.coaching_sessions, 0) end as coaching_sessions,
        k.last_coached_at
    from team as t
    cross join calendar_share as s
    left join reps as m on m.rep_id = t.manager_id
    left join quota as q on q.rep_id = t.rep_id
    left join closed_in_period as w on w.rep_id = t.rep_id
    left join pipeline as p on p.rep_id = t.rep_id
    left join activity as a on a.rep_id = t.rep_id
    left join target_touch as tt on tt.rep_id = t.rep_id
    left join coaching_received as k on k.rep_id = t.rep_id
    where t.termination_date is null or t.termination_date >= s.period_start
)
select * from final order by rep_name
