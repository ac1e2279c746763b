-- The time span the data covers, for the metrics that need more of it than one period: the first
-- day with a deal or an activity, and how many reps were hired on or after that day and on or
-- before $as_of (ramp time needs hires inside the data window).
with
span as (
    select least((select min(created_date) from opportunities),
                 (select min(activity_at)::date from activities)) as first_day
),
final as (
    select
        s.first_day,
        (select count(*) from reps as r
         where r.hire_date >= s.first_day and r.hire_date <= $as_of) as hires_inside
    from span as s
)
select * from final
