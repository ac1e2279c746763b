-- The record of every digest, board summary and alert sent by `scorecard digest`, so that nothing
-- is sent twice for the same period and reason (idempotent).
create table if not exists sent_mail (
    sent_at TIMESTAMP not null,
    kind VARCHAR not null,
    recipient VARCHAR not null,
    leader_id VARCHAR,
    period VARCHAR not null,
    reason VARCHAR not null,
    subject VARCHAR
)
