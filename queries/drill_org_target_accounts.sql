-- Every rep's target accounts (is_target, owned by the rep: owner_rep_id) with the owner's last touch
-- before $as_of (exclusive), the owner's touches in the 30 days up to it, and the pipeline open on
-- each on the as-of date (created before it, not closed before it); covered = touched in those 30
-- days. The whole org's rows of queries/drill_target_accounts.sql, each rep's in its order, made
-- once per data version (one scan of the activity history instead of one per rep).
with
targets as (
    select acc.owner_rep_id, acc.account_id, acc.account_name, acc.industry
    from accounts as acc
    where acc.owner_rep_id is not null
      and coalesce(acc.is_target, false)
),
touches as (
    select
        a.rep_id as owner_rep_id,
        a.account_id,
        max(a.activity_at) as last_touch_at,
        count(*) filter (where a.activity_at >= $as_of::date - interval 30 day) as touches_30d
    from activities as a
    join targets as t on t.account_id = a.account_id and t.owner_rep_id = a.rep_id
    where a.activity_at < $as_of
    group by a.rep_id, a.account_id
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
        t.owner_rep_id, t.account_id, t.account_name, t.industry, tc.last_touch_at,
        coalesce(tc.touches_30d, 0) as touches_30d,
        coalesce(p.open_pipeline, 0) as open_pipeline,
        coalesce(p.open_deals, 0) as open_deals,
        coalesce(tc.touches_30d, 0) > 0 as covered
    from targets as t
    left join touches as tc using (owner_rep_id, account_id)
    left join pipeline as p using (account_id)
)
select * from final order by owner_rep_id, covered, open_pipeline desc, account_name, account_id
