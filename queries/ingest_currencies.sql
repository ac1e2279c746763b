-- Currencies that have a conversion rate loaded (upper case), for the check that deals' currencies convert.
select distinct upper(trim(currency)) as currency
from currency_rates
where currency is not null
