-- The amount a rep won on each day of a period, from $period_start up to $as_of (exclusive, as the
-- metric queries count): the attainment-against-pace curve.
with
won as (
    select o.close_date as day, o.amount
    from opportunities as o
    where o.owner_rep_id = $rep_id
      and o.owner_rep_id in (select unnest($visible_reps::varchar[]))
      and o.is_won
      and o.close_date >= $period_start and o.close_date < $as_of
),
final as (
    select day, sum(amount) as won from won group by day
)
select * from final order by day
