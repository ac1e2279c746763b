-- Records one message as sent to one recipient, for one reason.
insert into sent_mail (sent_at, kind, recipient, leader_id, period, reason, subject)
values ($sent_at, $kind, $recipient, $leader_id, $period, $reason, $subject)
