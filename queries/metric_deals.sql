-- Deal metrics per leader over the whole team, the leader's own deals included, for one period
-- (deals only, no activities): win_rate, strategic_mix, marketing_partner_pipeline, renewal_rate,
-- data_completeness, sales_cycle_days, bundle_rate, stage_discipline, target_win_rate,
-- avg_deal_size, team_selling.
-- "In the period" means from $period_start up to $as_of (exclusive).
-- Rows odd in ways real CRMs produce are kept and left out only where they would distort: a deal
-- that closed before it was created has no sales cycle; a deal without an amount counts in the
-- counts (win rate) but not in the sums and the average.
-- Product lines are compared by product_key (no case, spaces or punctuation); $strategic_lines and
-- $bundle_lines come in already keyed.
-- Returns one row per (leader_id, metric): value (null when undefined) and sample.
with
team as (
    -- each unit's team: the leader and everyone below (queries/team_macros.sql)
    select leader_id, rep_id from scored_team($visible_reps::varchar[], $per_rep)
),
present as (
    -- a field empty in the whole extract is not counted against anyone
    select
        count(account_id) > 0 as has_account,
        count(nullif(trim(type), '')) > 0 as has_type,
        count(nullif(trim(product_line), '')) > 0 as has_product_line,
        count(nullif(trim(lead_source), '')) > 0 as has_lead_source,
        count(nullif(trim(forecast_category), '')) > 0 as has_forecast_category,
        count(nullif(trim(next_step), '')) > 0 as has_next_step
    from opportunities
),
deals as (
    select
        o.opportunity_id,
        o.owner_rep_id,
        o.amount,
        o.is_won,
        coalesce((o.is_closed or o.is_won) and o.close_date >= $period_start and o.close_date < $as_of, false)
            as closed_in_period,
        coalesce(o.is_won and o.close_date >= $period_start and o.close_date < $as_of, false) as won_in_period,
        o.created_date >= $period_start and o.created_date < $as_of as created_in_period,
        case when o.close_date >= o.created_date then datediff('day', o.created_date, o.close_date) end
            as cycle_days,
        coalesce(product_key(o.product_line) in (select unnest($strategic_lines::varchar[])), false)
            as is_strategic,
        coalesce(product_key(o.product_line) in (select unnest($bundle_lines::varchar[])), false) as is_bundle,
        coalesce(lower(trim(o.lead_source)) in ('marketing', 'partner'), false) as marketing_or_partner,
        coalesce(lower(trim(o.type)) = 'renewal', false) as is_renewal,
        coalesce(a.is_target, false) as on_target,
        (case when p.has_account then (o.account_id is not null and trim(o.account_id) <> '')::int else 0 end
         + case when p.has_type then (nullif(trim(o.type), '') is not null)::int else 0 end
         + case when p.has_product_line then (nullif(trim(o.product_line), '') is not null)::int else 0 end
         + case when p.has_lead_source then (nullif(trim(o.lead_source), '') is not null)::int else 0 end
         + case when p.has_forecast_category
                then (nullif(trim(o.forecast_category), '') is not null)::int else 0 end
         + case when p.has_next_step and not o.is_closed
                then (nullif(trim(o.next_step), '') is not null)::int else 0 end) as fields_filled,
        (p.has_account::int + p.has_type::int + p.has_product_line::int + p.has_lead_source::int
         + p.has_forecast_category::int + (p.has_next_step and not o.is_closed)::int) as fields_checked
    from opportunities as o
    cross join present as p
    left join accounts as a on a.account_id = o.account_id
    where o.owner_rep_id in (select rep_id from team)
      and ((o.close_date >= $period_start and o.close_date < $as_of)
           or (o.created_date >= $period_start and o.created_date < $as_of))
),
history as (
    select opportunity_id, count(distinct stage) as stages
    from opportunity_history
    where opportunity_id in (select opportunity_id from deals where won_in_period)
    group by opportunity_id
),
with_team as (
    select distinct ot.opportunity_id
    from opportunity_team as ot
    join deals as d on d.opportunity_id = ot.opportunity_id
    where d.won_in_period and ot.rep_id <> d.owner_rep_id
),
deal_flags as (
    select
        d.*,
        h.stages,
        w.opportunity_id is not null as team_sold
    from deals as d
    left join history as h using (opportunity_id)
    left join with_team as w using (opportunity_id)
),
leader_figures as (
    select
        t.leader_id,
        count(*) filter (where d.closed_in_period) as closed_deals,
        count(*) filter (where d.won_in_period) as won_deals,
        count(d.amount) filter (where d.won_in_period) as won_with_amount,
        sum(d.amount) filter (where d.won_in_period) as won_amount,
        sum(d.amount) filter (where d.won_in_period and d.is_strategic) as strategic_amount,
        count(*) filter (where d.won_in_period and d.is_bundle) as bundles,
        count(*) filter (where d.won_in_period and d.team_sold) as team_sold,
        median(d.cycle_days) filter (where d.won_in_period) as median_cycle,
        count(d.cycle_days) filter (where d.won_in_period) as won_with_cycle,
        avg(d.amount) filter (where d.won_in_period) as avg_won,
        count(*) filter (where d.won_in_period and d.stages is not null) as won_with_history,
        count(*) filter (where d.won_in_period and d.stages >= 3) as walked,
        count(*) filter (where d.created_in_period) as created,
        sum(d.amount) filter (where d.created_in_period) as created_amount,
        sum(d.amount) filter (where d.created_in_period and d.marketing_or_partner) as mp_amount,
        sum(d.fields_filled) filter (where d.created_in_period) as fields_filled,
        sum(d.fields_checked) filter (where d.created_in_period) as fields_checked,
        count(*) filter (where d.closed_in_period and d.is_renewal) as renewals_closed,
        count(*) filter (where d.closed_in_period and d.is_renewal and d.is_won) as renewals_won,
        count(*) filter (where d.closed_in_period and d.on_target) as target_closed,
        count(*) filter (where d.closed_in_period and d.on_target and d.is_won) as target_won
    from team as t
    join deal_flags as d on d.owner_rep_id = t.rep_id
    group by t.leader_id
),
final as (
    select leader_id, 'win_rate' as metric, won_deals / nullif(closed_deals, 0) as value,
           closed_deals as sample
    from leader_figures
    union all
    select leader_id, 'strategic_mix', coalesce(strategic_amount, 0) / nullif(won_amount, 0), won_with_amount
    from leader_figures
    union all
    select leader_id, 'marketing_partner_pipeline', coalesce(mp_amount, 0) / nullif(created_amount, 0), created
    from leader_figures
    union all
    select leader_id, 'renewal_rate', renewals_won / nullif(renewals_closed, 0), renewals_closed
    from leader_figures
    union all
    select leader_id, 'data_completeness', fields_filled / nullif(fields_checked, 0), created
    from leader_figures
    union all
    select leader_id, 'sales_cycle_days', median_cycle, won_with_cycle from leader_figures
    union all
    select leader_id, 'bundle_rate', bundles / nullif(won_deals, 0), won_deals from leader_figures
    union all
    select leader_id, 'stage_discipline', walked / nullif(won_with_history, 0), won_with_history
    from leader_figures
    union all
    select leader_id, 'target_win_rate', target_won / nullif(target_closed, 0), target_closed
    from leader_figures
    union all
    select leader_id, 'avg_deal_size', avg_won, won_with_amount from leader_figures
    union all
    select leader_id, 'team_selling', team_sold / nullif(won_deals, 0), won_deals from leader_figures
)
select leader_id, metric, value::double as value, sample::bigint as sample from final
