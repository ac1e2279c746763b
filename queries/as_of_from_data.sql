-- The data's as-of date read from the data itself, for loads that recorded none: the newest
-- activity, close date of a closed deal, created date or stage change, not after the day of the
-- newest accepted load (planned activities and expected close dates lie in the future and do not
-- count). Null for an empty database.
with
newest_load as (
    select max(loaded_at)::date as load_day from loads where status = 'accepted'
),
candidates as (
    select max(activity_at)::date as day
    from activities
    where activity_at < (select load_day from newest_load) + interval 1 day
    union all
    select max(close_date)
    from opportunities
    where is_closed and close_date <= (select load_day from newest_load)
    union all
    select max(created_date)
    from opportunities
    where created_date <= (select load_day from newest_load)
    union all
    select max(changed_at)::date
    from opportunity_history
    where changed_at < (select load_day from newest_load) + interval 1 day
),
final as (
    select max(day)::date as as_of from candidates
)
select * from final
