-- What has been sent already: one row per (kind, recipient, leader, period, reason).
with
sent as (
    select kind, recipient, coalesce(leader_id, '') as leader_id, period, reason from sent_mail
),
final as (
    select distinct * from sent
)
select * from final
