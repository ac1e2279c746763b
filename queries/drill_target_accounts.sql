-- A rep's target accounts (is_target, owned by the rep) with the rep's last touch before $as_of
-- (exclusive), the touches in the 30 days up to it, and the pipeline open on each on the as-of date
-- (created before it, not closed before it); covered = touched in those 30 days.
with
targets as (
    select acc.account_id, acc.account_name, acc.industry
    from accounts as acc
    where acc.owner_rep_id = $rep_id
      and acc.owner_rep_id in (select unnest($visible_reps::varchar[]))
      and coalesce(acc.is_target, false)
),
-- The rep's touches per account first, then the target accounts among them: joining the other
-- way round makes DuckDB probe every activity with the target list, several times slower.
rep_touches as materialized (
    select
        a.account_id,
        max(a.activity_at) as last_touch_at,
        count(*) filter (where a.activity_at >= $as_of::date - interval 30 day) as touches_30d
    from activities as a
    where a.rep_id = $rep_id
      and a.activity_at < $as_of
    group by a.account_id
),
touches as (
    select rt.* from rep_touches as rt where rt.account_id in (select account_id from targets)
),
pipeline as (
    select o.account_id, sum(o.amount) as open_pipeline, count(*) as open_deals
    from opportunities as o
    where o.account_id in (select account_id from targets)
      and o.created_date < $as_of
      and not (o.is_closed and o.close_date < $as_of)
    group by o.account_id
),
final as (
    select
        t.account_id, t.account_name, t.industry, tc.last_touch_at,
        coalesce(tc.touches_30d, 0) as touches_30d,
        coalesce(p.open_pipeline, 0) as open_pipeline,
        coalesce(p.open_deals, 0) as open_deals,
        coalesce(tc.touches_30d, 0) > 0 as covered
    from targets as t
    left join touches as tc using (account_id)
    left join pipeline as p using (account_id)
)
select * from final order by covered, open_pipeline desc, account_name
