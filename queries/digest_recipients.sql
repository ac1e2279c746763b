-- Who gets a weekly digest: every leader (anyone with a team), with their name, e-mail, level and
-- their manager's e-mail (alerts about a leader go to the leader and to their manager). An e-mail
-- is null when the reps extract has none.
with
people as (
    select rep_id, rep_name, nullif(lower(trim(email)), '') as email, nullif(trim(manager_id), '') as manager_id
    from reps
),
final as (
    select
        l.leader_id,
        p.rep_name as leader_name,
        p.email,
        l.level,
        p.manager_id,
        m.email as manager_email
    from leaders as l
    join people as p on p.rep_id = l.leader_id
    left join people as m on m.rep_id = p.manager_id
)
select * from final order by level, leader_id
