-- The first and last day with any deal or activity, to list the periods that have data.
select
    least((select min(created_date) from opportunities), (select min(activity_at)::date from activities))
        as first_day,
    greatest((select max(close_date) from opportunities), (select max(activity_at)::date from activities))
        as last_day
