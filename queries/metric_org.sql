-- Organisation metrics per leader: span_of_control (the leader's direct reports), and over the
-- team ramp_days, rep_retention and load_balance. "Employed on the as-of date" means on the last
-- day before $as_of.
-- Ramp time and retention are about the reps the leader manages: the people below who lead no one,
-- never the leader themself. Ramp counts only reps hired inside the data window (on or after
-- $data_start): a rep hired before the data begins may have won earlier deals the data does not hold.
-- Load balance spreads the open pipeline over everyone in the team who carries some (owns a deal
-- created in the last year), a player-coach leader included.
-- Returns one row per (leader_id, metric): value (null when undefined) and sample.
with
visible as (
    select unnest($visible_reps::varchar[]) as rep_id
),
visible_leaders as (
    -- the units scored (queries/team_macros.sql)
    select leader_id from scored_units($visible_reps::varchar[], $per_rep)
),
team as (
    -- each unit's team: the leader and everyone below (queries/team_macros.sql)
    select leader_id, rep_id, is_leader_self from scored_team($visible_reps::varchar[], $per_rep)
),
people as (
    select
        r.rep_id,
        nullif(trim(r.manager_id), '') as manager_id,
        r.hire_date,
        r.rep_id not in (select leader_id from leaders) as is_seller,
        coalesce(r.hire_date < $as_of, true) and coalesce(r.termination_date >= $as_of, true)
            as employed_now,
        coalesce(r.hire_date < $as_of::date - interval 365 day, true)
            and coalesce(r.termination_date >= $as_of::date - interval 365 day, true) as employed_year_before
    from reps as r
    where r.rep_id in (select rep_id from visible)
),
first_won as (
    select owner_rep_id as rep_id, min(close_date) as first_won_date
    from opportunities
    where is_won
    group by owner_rep_id
),
open_pipeline as (
    select owner_rep_id as rep_id,
           sum(amount) filter (where not coalesce(is_closed and close_date < $as_of, false)) as open_amount,
           count(*) filter (where created_date >= $as_of::date - interval 365 day) as recent_deals
    from opportunities
    where created_date < $as_of
    group by owner_rep_id
),
rep_figures as (
    select
        p.*,
        datediff('day', p.hire_date, w.first_won_date) as ramp_days,
        coalesce(w.first_won_date >= $as_of::date - interval 365 day and w.first_won_date < $as_of
                 and p.hire_date >= $data_start::date, false) as ramped,
        coalesce(o.open_amount, 0) as open_amount,
        p.employed_now and coalesce(o.recent_deals, 0) > 0 as carries_pipeline
    from people as p
    left join first_won as w using (rep_id)
    left join open_pipeline as o using (rep_id)
),
span as (
    select l.leader_id, count(p.rep_id) filter (where p.employed_now) as direct_reports
    from visible_leaders as l
    left join people as p on p.manager_id = l.leader_id
    group by l.leader_id
),
ranked as (
    select t.leader_id, f.open_amount,
           row_number() over (partition by t.leader_id order by f.open_amount, f.rep_id) as position
    from team as t
    join rep_figures as f using (rep_id)
    where f.carries_pipeline
),
gini as (
    -- Gini = 2 * sum(i * x_i) / (n * sum(x)) - (n + 1) / n, with x sorted ascending
    select leader_id, count(*) as sellers,
           2.0 * sum(position * open_amount) / nullif(count(*) * sum(open_amount), 0)
               - (count(*) + 1.0) / count(*) as gini
    from ranked
    group by leader_id
),
leader_figures as (
    select
        t.leader_id,
        median(f.ramp_days) filter (where f.ramped) as median_ramp,
        count(*) filter (where f.ramped) as ramped,
        count(*) filter (where f.is_seller and f.employed_year_before) as sellers_year_before,
        count(*) filter (where f.is_seller and f.employed_year_before and f.employed_now) as retained
    from team as t
    join rep_figures as f using (rep_id)
    where not t.is_leader_self
    group by t.leader_id
),
final as (
    select leader_id, 'span_of_control' as metric, direct_reports as value, 1 as sample from span
    union all
    select leader_id, 'ramp_days', median_ramp, ramped from leader_figures
    union all
    select leader_id, 'rep_retention', retained / nullif(sellers_year_before, 0), sellers_year_before
    from leader_figures
    union all
    select leader_id, 'load_balance', 1 - gini, sellers from gini
)
select leader_id, metric, value::double as value, sample::bigint as sample from final
