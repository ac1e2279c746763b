-- How many rows each extract holds and how many values each optional column carries: a metric that
-- needs an empty extract or column, or a column blank on most rows, is switched off, naming what
-- would switch it on.
with
final as (
    select
        (select count(*) from reps) as "reps",
        (select count(*) from opportunities) as "opportunities",
        (select count(*) from activities) as "activities",
        (select count(*) from quotas) as "quotas",
        (select count(*) from accounts) as "accounts",
        (select count(*) from forecasts) as "forecasts",
        (select count(*) from opportunity_history) as "opportunity_history",
        (select count(*) from coaching) as "coaching",
        (select count(*) from opportunity_team) as "opportunity_team",
        (select count(nullif(trim(product_line), '')) from opportunities) as "opportunities.product_line",
        (select count(nullif(trim(lead_source), '')) from opportunities) as "opportunities.lead_source",
        (select count(nullif(trim(type), '')) from opportunities) as "opportunities.type",
        (select count(nullif(trim(next_step), '')) from opportunities) as "opportunities.next_step",
        (select count(nullif(trim(account_id), '')) from opportunities) as "opportunities.account_id",
        (select count(nullif(trim(forecast_category), '')) from opportunities)
            as "opportunities.forecast_category",
        (select count(opportunity_id) from activities) as "activities.opportunity_id",
        (select count(nullif(trim(type), '')) from activities) as "activities.type",
        (select count(contact_id) from activities) as "activities.contact_id",
        (select count(contact_level) from activities) as "activities.contact_level",
        (select count(account_id) from activities) as "activities.account_id",
        (select count(is_target) filter (where is_target) from accounts) as "accounts.is_target",
        (select count(hire_date) from reps) as "reps.hire_date",
        (select count(termination_date) from reps) as "reps.termination_date"
)
select * from final
