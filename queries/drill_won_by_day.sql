-- The amount a rep won on each day of a period (the attainment-against-pace curve).
select o.close_date as day, sum(o.amount) as won
from opportunities as o
where o.owner_rep_id = $rep_id
  and o.owner_rep_id in (select unnest($visible_reps::varchar[]))
  and o.is_won
  and o.close_date between $period_start::date and $period_end::date
group by o.close_date
order by o.close_date
