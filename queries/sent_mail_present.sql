-- Whether the record of sent mail exists yet (a database that never sent any has none).
with
found as (
    select table_name from information_schema.tables where table_name = 'sent_mail'
),
final as (
    select count(*) > 0 as present from found
)
select * from final
