-- Row counts of every canonical extract as loaded now.
select 'reps' as extract, count(*) as rows from reps
union all select 'accounts', count(*) from accounts
union all select 'opportunities', count(*) from opportunities
union all select 'activities', count(*) from activities
union all select 'quotas', count(*) from quotas
union all select 'forecasts', count(*) from forecasts
union all select 'opportunity_history', count(*) from opportunity_history
union all select 'coaching', count(*) from coaching
union all select 'opportunity_team', count(*) from opportunity_team
union all select 'currency_rates', count(*) from currency_rates
