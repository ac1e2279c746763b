-- The deals of the reps $rep_ids (those of them the viewer may see: $visible_reps) open on the as-of
-- date ($as_of, exclusive: what happened before it counts; deals created before it and not closed
-- before it, as the metric queries count them), with their risk flags measured on that date:
--   stalled          at least 21 days old and no activity in the last 21 days (the deals the
--                    stalled-deal rate counts, queries/metric_deal_activity.sql)
--   slipped          close date before the as-of date, or pushed later than an earlier close date
--   no_next_step     next step blank (a deal closed since the as-of date had it cleared on closing)
--   single_threaded  at most one distinct contact met on the deal
-- and what the reasons in words need: days_since_activity (since the last activity, or since the
-- deal was created when it has none), contacts, and close_date_pushes: how many times the close
-- date was set later than the one before it, over the history's close dates up to the as-of date
-- in the order they were set, then the deal's own.
-- strong_signs counts the flags that say the deal is going wrong (stalled, slipped), not only that
-- its record has a gap; scorecard.drilldown.most_urgent_first orders the deals by it.
with
deals as (
    select o.owner_rep_id, o.opportunity_id, o.account_id, o.stage, o.amount, o.close_date, o.created_date,
           o.forecast_category, o.next_step, o.type, o.is_closed
    from opportunities as o
    where o.owner_rep_id in (select unnest($rep_ids::varchar[]))
      and o.owner_rep_id in (select unnest($visible_reps::varchar[]))
      and o.created_date < $as_of
      and not (o.is_closed and o.close_date < $as_of)
),
touches as (
    select
        a.opportunity_id,
        max(a.activity_at) as last_activity_at,
        count(distinct a.contact_id) as contacts
    from activities as a
    where a.opportunity_id in (select opportunity_id from deals)
      and a.activity_at < $as_of
    group by a.opportunity_id
),
pushed as (
    select h.opportunity_id, bool_or(h.close_date < d.close_date) as pushed_out
    from opportunity_history as h
    join deals as d using (opportunity_id)
    where h.close_date is not null
      and h.changed_at < $as_of
    group by h.opportunity_id
),
close_dates as (
    select h.opportunity_id, 0 as after_history, h.changed_at, h.close_date
    from opportunity_history as h
    where h.opportunity_id in (select opportunity_id from deals)
      and h.close_date is not null
      and h.changed_at < $as_of
    union all
    select d.opportunity_id, 1 as after_history, null as changed_at, d.close_date
    from deals as d
    where d.close_date is not null
),
moves as (
    select
        opportunity_id,
        close_date,
        lag(close_date) over (partition by opportunity_id order by after_history, changed_at, close_date)
            as close_date_before
    from close_dates
),
pushes as (
    select opportunity_id, count(*) filter (where close_date > close_date_before) as close_date_pushes
    from moves
    group by opportunity_id
),
flagged as (
    select
        d.owner_rep_id, d.opportunity_id, acc.account_name, d.stage, d.amount, d.close_date, d.created_date,
        d.forecast_category, d.next_step, t.last_activity_at,
        datediff('day', coalesce(t.last_activity_at::date, d.created_date), $as_of::date - 1)
            as days_since_activity,
        coalesce(t.contacts, 0) as contacts,
        coalesce(m.close_date_pushes, 0) as close_date_pushes,
        d.created_date <= $as_of::date - interval 21 day
            and coalesce(t.last_activity_at < $as_of::date - interval 21 day, true) as stalled,
        coalesce(d.close_date < $as_of, false) or coalesce(p.pushed_out, false) as slipped,
        not d.is_closed and nullif(trim(d.next_step), '') is null as no_next_step,
        coalesce(t.contacts, 0) <= 1 as single_threaded
    from deals as d
    left join touches as t using (opportunity_id)
    left join pushed as p using (opportunity_id)
    left join pushes as m using (opportunity_id)
    left join accounts as acc using (account_id)
),
final as (
    select
        *,
        stalled::int + slipped::int as strong_signs,
        stalled::int + slipped::int + no_next_step::int + single_threaded::int as risk_count
    from flagged
)
select * from final order by owner_rep_id, opportunity_id
