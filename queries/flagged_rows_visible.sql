-- The rows in place loaded with a flag that belong to someone the viewer may see: a rep's own row,
-- an account or deal they own, an activity, quota or deal-team seat of theirs, a leader's forecast.
-- Rows that name no one (deal history, coaching without a key, currency rates) are left out.
with
visible as (
    select unnest($visible_reps::varchar[]) as rep_id
),
flags as (
    select load_id, extract, row_key, file, line, rule, column_name
    from flagged_rows
),
owned as (
    select
        f.*,
        case f.extract
            when 'reps' then f.row_key
            when 'accounts' then a.owner_rep_id
            when 'opportunities' then o.owner_rep_id
            when 'activities' then act.rep_id
            when 'quotas' then split_part(f.row_key, '|', 1)
            when 'forecasts' then split_part(f.row_key, '|', 1)
            when 'opportunity_team' then split_part(f.row_key, '|', 2)
        end as person_id
    from flags as f
    left join accounts as a on f.extract = 'accounts' and a.account_id = f.row_key
    left join opportunities as o on f.extract = 'opportunities' and o.opportunity_id = f.row_key
    left join activities as act on f.extract = 'activities' and act.activity_id = f.row_key
),
final as (
    select load_id, extract, row_key, file, line, rule, column_name
    from owned
    where person_id in (select rep_id from visible)
)
select * from final order by extract, rule, file, line
