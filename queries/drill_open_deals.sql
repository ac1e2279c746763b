-- A rep's open deals with their risk flags as of `today`:
--   stalled          no activity on the deal in the last 21 days
--   slipped          close date already past, or pushed later than an earlier close date (history)
--   no_next_step     next step blank
--   single_threaded  at most one distinct contact touched on the deal
--   no_exec_contact  no activity with a c_level or vp contact on the deal
with
deals as (
    select o.opportunity_id, o.account_id, o.stage, o.amount, o.close_date, o.created_date,
           o.forecast_category, o.next_step, o.type
    from opportunities as o
    where o.owner_rep_id = $rep_id
      and o.owner_rep_id in (select unnest($visible_reps::varchar[]))
      and not coalesce(o.is_closed, false)
),
touches as (
    select
        a.opportunity_id,
        max(a.activity_at) as last_activity_at,
        count(distinct a.contact_id) as contacts,
        bool_or(a.contact_level in ('c_level', 'vp')) as exec_contact
    from activities as a
    where a.opportunity_id in (select opportunity_id from deals)
    group by a.opportunity_id
),
pushed as (
    select h.opportunity_id, bool_or(h.close_date < d.close_date) as pushed_out
    from opportunity_history as h
    join deals as d using (opportunity_id)
    where h.close_date is not null
    group by h.opportunity_id
),
flagged as (
    select
        d.opportunity_id, acc.account_name, d.stage, d.amount, d.close_date, d.forecast_category,
        d.next_step, t.last_activity_at,
        $today::date - coalesce(t.last_activity_at::date, d.created_date) as days_since_activity,
        coalesce(t.contacts, 0) as contacts,
        t.last_activity_at is null or t.last_activity_at::date < $today::date - 21 as stalled,
        d.close_date < $today::date or coalesce(p.pushed_out, false) as slipped,
        d.next_step is null or trim(d.next_step) = '' as no_next_step,
        coalesce(t.contacts, 0) <= 1 as single_threaded,
        not coalesce(t.exec_contact, false) as no_exec_contact
    from deals as d
    left join touches as t using (opportunity_id)
    left join pushed as p using (opportunity_id)
    left join accounts as acc using (account_id)
),
final as (
    select
        *,
        stalled::int + slipped::int + no_next_step::int + single_threaded::int
            + no_exec_contact::int as risk_count
    from flagged
)
select * from final order by risk_count desc, amount desc nulls last, opportunity_id
