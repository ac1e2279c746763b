-- A rep's activities from `since` up to $as_of (exclusive), newest first, with the account's name
-- and whether it is a target account; `limit_rows` caps the feed.
with
feed as (
    select a.activity_id, a.activity_at, a.type, a.contact_level, a.duration_min,
           a.account_id, a.opportunity_id
    from activities as a
    where a.rep_id = $rep_id
      and a.rep_id in (select unnest($visible_reps::varchar[]))
      and a.activity_at >= $since::timestamp
      and a.activity_at < $as_of
),
final as (
    select f.activity_at, f.type, acc.account_name, f.contact_level, f.duration_min,
           f.opportunity_id, coalesce(acc.is_target, false) as target_account, f.activity_id
    from feed as f
    left join accounts as acc using (account_id)
)
select * from final order by activity_at desc, activity_id limit $limit_rows
