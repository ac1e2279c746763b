-- Everyone in the reps extract as loaded now, by the ways a file may name them (id, name, e-mail):
-- the ingest path resolves owners and managers given by name against this.
select rep_id, rep_name, email from reps
