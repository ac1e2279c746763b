-- Table macros the metric queries use, created on each read connection (temporary, so a
-- read-only database takes them too).
-- scored_units(visible_reps, per_rep): the units scored: the visible leaders, or with per_rep every
--   visible rep on their own.
-- scored_team(visible_reps, per_rep): each unit's whole team: (leader_id, rep_id) for everyone below
--   a visible leader who is visible too, or with per_rep each visible rep paired with themself.
create or replace temp macro scored_units(visible_reps, per_rep) as table
    with visible as (select unnest(visible_reps) as rep_id)
    select leader_id from leaders where not per_rep and leader_id in (select rep_id from visible)
    union all
    select rep_id as leader_id from visible where per_rep;

create or replace temp macro scored_team(visible_reps, per_rep) as table
    with visible as (select unnest(visible_reps) as rep_id)
    select tm.leader_id, tm.rep_id
    from team_members as tm
    where not per_rep
      and tm.rep_id in (select rep_id from visible)
      and tm.leader_id in (select rep_id from visible)
    union all
    select rep_id as leader_id, rep_id from visible where per_rep;

-- team_sellers(team_leader, visible_reps): the sellers (reps who lead no one) anywhere below a visible
--   leader, visible reps only; empty when the leader is not visible.
create or replace temp macro team_sellers(team_leader, visible_reps) as table
    with visible as (select unnest(visible_reps) as rep_id)
    select tm.rep_id
    from team_members as tm
    where tm.leader_id = team_leader
      and tm.rep_id in (select rep_id from visible)
      and tm.rep_id not in (select l.leader_id from leaders as l)
      and team_leader in (select rep_id from visible);

-- deal_touches(deal_ids, since, until): the activities logged on each of the deals from ``since`` up
--   to ``until``: how many, the first and last, distinct contacts, and whether any was a meeting or
--   demo with a C-level or VP contact (executive access).
create or replace temp macro deal_touches(deal_ids, since, until) as table
    select
        a.opportunity_id,
        count(*) as activities,
        max(a.activity_at) as last_activity_at,
        min(a.activity_at) as first_activity_at,
        count(distinct a.contact_id) as contacts,
        bool_or(lower(a.type) in ('meeting', 'demo') and lower(a.contact_level) in ('c_level', 'vp'))
            as exec_meeting
    from activities as a
    where a.opportunity_id in (select unnest(deal_ids))
      and a.activity_at >= since
      and a.activity_at < until
    group by a.opportunity_id;
