-- Table macros the metric queries use, created on each read connection (temporary, so a
-- read-only database takes them too).
--
-- A leader's team is the leader and everyone below them: a player-coach's own deals and
-- activities are part of the team's numbers, as Salesforce's role hierarchy rolls up. Metrics about
-- the leader as a manager (span of control, coaching, ramp and retention of the team's reps, the
-- leader's own customer meetings) leave the leader out.
--
-- scored_units(visible_reps, per_rep): the units scored: the visible leaders, or with per_rep every
--   visible rep on their own.
-- scored_team(visible_reps, per_rep): each unit's team: (leader_id, rep_id, is_leader_self) for the
--   visible leader themself (is_leader_self) and everyone below them who is visible too, or with
--   per_rep each visible rep paired with themself (is_leader_self false: the rep is the unit).
create or replace temp macro scored_units(visible_reps, per_rep) as table
    with visible as (select unnest(visible_reps) as rep_id)
    select leader_id from leaders where not per_rep and leader_id in (select rep_id from visible)
    union all
    select rep_id as leader_id from visible where per_rep;

create or replace temp macro scored_team(visible_reps, per_rep) as table
    with visible as (select unnest(visible_reps) as rep_id)
    select tm.leader_id, tm.rep_id, false as is_leader_self
    from team_members as tm
    where not per_rep
      and tm.rep_id in (select rep_id from visible)
      and tm.leader_id in (select rep_id from visible)
    union all
    select l.leader_id, l.leader_id as rep_id, true as is_leader_self
    from leaders as l
    where not per_rep and l.leader_id in (select rep_id from visible)
    union all
    select rep_id as leader_id, rep_id, false as is_leader_self from visible where per_rep;

-- selling_leaders(since, until): the leaders who also sell (player-coaches): they own a deal in
--   play between ``since`` and ``until`` (created before ``until``, not closed before ``since``).
create or replace temp macro selling_leaders(since, until) as table
    select distinct o.owner_rep_id as rep_id
    from opportunities as o
    where o.owner_rep_id in (select l.leader_id from leaders as l)
      and o.created_date < until
      and not coalesce(o.is_closed and o.close_date < since, false);

-- team_sellers(team_leader, visible_reps, since, until): the people who sell in a visible leader's
--   team, visible reps only: everyone below who leads no one, and the leader or a leader below who
--   owns a deal in play (selling_leaders); empty when the leader is not visible.
create or replace temp macro team_sellers(team_leader, visible_reps, since, until) as table
    with visible as (select unnest(visible_reps) as rep_id),
    members as (
        select tm.rep_id from team_members as tm where tm.leader_id = team_leader
        union all
        select team_leader
    )
    select m.rep_id
    from members as m
    where m.rep_id in (select rep_id from visible)
      and team_leader in (select rep_id from visible)
      and (m.rep_id not in (select l.leader_id from leaders as l)
           or m.rep_id in (select s.rep_id from selling_leaders(since, until) as s));

-- coached_reps(team_leader, visible_reps): the reps below a visible leader who lead no one (whom
--   the leaders coach), visible reps only; empty when the leader is not visible.
create or replace temp macro coached_reps(team_leader, visible_reps) as table
    with visible as (select unnest(visible_reps) as rep_id)
    select tm.rep_id
    from team_members as tm
    where tm.leader_id = team_leader
      and tm.rep_id in (select rep_id from visible)
      and tm.rep_id not in (select l.leader_id from leaders as l)
      and team_leader in (select rep_id from visible);

-- product_key(name): a product line name compared without case, spaces or punctuation, so that
--   "GTX Pro" in the rubric matches "GTXPro" in the deals.
create or replace temp macro product_key(name) as
    lower(regexp_replace(name, '[^\pL\pN]', '', 'g'));

-- deal_touches(deal_ids, since, until): the activities logged on each of the deals from ``since`` up
--   to ``until``: how many, the first and last, distinct contacts, and whether any was a meeting or
--   demo with a C-level or VP contact (executive access). An activity without a type counts as an
--   activity of unknown kind: it touches the deal, but it is not known to be a meeting.
create or replace temp macro deal_touches(deal_ids, since, until) as table
    select
        a.opportunity_id,
        count(*) as activities,
        max(a.activity_at) as last_activity_at,
        min(a.activity_at) as first_activity_at,
        count(distinct a.contact_id) as contacts,
        coalesce(bool_or(lower(a.type) in ('meeting', 'demo') and lower(a.contact_level) in ('c_level', 'vp')),
                 false) as exec_meeting
    from activities as a
    where a.opportunity_id in (select unnest(deal_ids))
      and a.activity_at >= since
      and a.activity_at < until
    group by a.opportunity_id;
