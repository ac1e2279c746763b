"""Mapping profiles: how a file of any shape maps to one canonical extract, saved by name.

A profile is a small TOML file in the ``mappings/`` folder beside the database, readable and
editable by hand::

    name = "pipeline sheet"
    extract = "opportunities"
    date_order = "mdy"
    headers = ["Deal", "Owner", "Stage", ...]      # the shape it was made for

    [columns]                                      # canonical column = header in the file
    opportunity_id = "Deal"
    owner_rep_id = "Owner"

    [stages]                                       # stage value = open, won or lost
    "Closed - Won" = "won"

People (owner, manager, rep, leader) may be written as IDs, names or e-mails: they are resolved to
rep IDs against the reps of the same upload, else those already loaded. A sheet without IDs gets
stable generated ones (reps: from the name; other extracts: ``<profile>-<line>``).

A team sheet that names people (no rep ID column) often names its managers only in the manager
column: they have no row of their own, yet they are the leaders. Each such manager becomes a rep
with an ID generated from the name (the same way as the sheet's other reps), at the top of the
hierarchy, and the verdict notes say who was added. A sheet with its own rep IDs keeps a manager
it does not list as written, and the checks name it.

Two saved profiles may match the same headers; then neither is taken on its own: the file is not
mapped until the uploader chooses one (on the Upload page, or ``scorecard ingest --mapping NAME``).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from scorecard.formats import MappedTable, people_lookup, resolve_people
from scorecard.formats.canonical import CODE_COLUMNS
from scorecard.formats.values import DateOrder, normalise_header, slug, type_columns, with_line_numbers
from scorecard.readers import RawTable
from scorecard.schema import EXTRACTS

PEOPLE_COLUMNS = {"owner_rep_id", "manager_id", "rep_id", "leader_id"}
STAGE_OUTCOMES = ("open", "won", "lost")


class MappingError(ValueError):
    """A profile that cannot be saved or found."""


@dataclass
class MappingProfile:
    name: str
    extract: str
    columns: dict[str, str]
    """Canonical column -> header in the file."""
    headers: list[str] = field(default_factory=list)
    date_order: DateOrder = "auto"
    stages: dict[str, str] = field(default_factory=dict)
    """Stage value as written -> open, won or lost (sets is_closed and is_won)."""
    path: Path | None = None

    def matches(self, headers: list[str]) -> bool:
        """True when a file has every header this profile reads (so it can be applied as is)."""
        have = {normalise_header(h) for h in headers}
        needed = {normalise_header(h) for h in self.columns.values()}
        if not needed or not needed <= have:
            return False
        mine = {normalise_header(h) for h in self.headers} or needed
        return len(have & mine) >= 0.8 * len(mine | have) or have == mine

    def reads(self, headers: list[str]) -> bool:
        """True when a file has every header this profile reads."""
        have = {normalise_header(h) for h in headers}
        return bool(self.columns) and all(normalise_header(h) in have for h in self.columns.values())

    def missing_required(self) -> list[str]:
        """Required canonical columns this profile leaves unmapped (and cannot derive)."""
        derived = set()
        extract = EXTRACTS[self.extract]
        if self.stages:
            derived |= {"is_closed", "is_won"}
        if extract.key and len(extract.key) == 1:
            derived.add(extract.key[0])  # generated when absent
        if self.extract == "reps":
            derived.add("manager_id")
        return [c for c in extract.required_columns if c not in self.columns and c not in derived]


class ProfileChoice(MappingProfile):
    """Two or more saved profiles match a file's headers: the file is not mapped until one is chosen.

    Stands where a profile would (so recognition treats the file as a profile's), and applying it
    gives the problem that names the candidates and how to choose."""

    candidates: list[MappingProfile]

    @classmethod
    def between(cls, candidates: list[MappingProfile]) -> ProfileChoice:
        extracts = {p.extract for p in candidates}
        choice = cls(name=" or ".join(p.name for p in candidates),
                     extract=extracts.pop() if len(extracts) == 1 else "", columns={})
        choice.candidates = list(candidates)
        return choice

    @property
    def problem(self) -> str:
        names = ", ".join(f"'{p.name}'" for p in self.candidates[:-1]) + f" and '{self.candidates[-1].name}'"
        return (f"the saved mapping profiles {names} all match these headers: choose one on the Upload page,"
                f" or name it with --mapping (e.g. scorecard ingest --mapping '{self.candidates[0].name}')")


CHOICE_RULE = "one mapping profile"
"""The rule a file breaks while more than one saved profile matches it."""


def matching_profiles(profiles: list[MappingProfile], headers: list[str]) -> list[MappingProfile]:
    """The saved profiles that would each take a file with these headers as it is."""
    return [p for p in profiles if not isinstance(p, ProfileChoice) and p.matches(headers)]


def profiles_dir(db_path: Path) -> Path:
    return Path(db_path).parent / "mappings"


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def profile_toml(profile: MappingProfile) -> str:
    lines = [f"name = {_toml_str(profile.name)}", f"extract = {_toml_str(profile.extract)}",
             f"date_order = {_toml_str(profile.date_order)}",
             "headers = [" + ", ".join(_toml_str(h) for h in profile.headers) + "]", "", "[columns]"]
    lines += [f"{_toml_str(k)} = {_toml_str(v)}" for k, v in profile.columns.items()]
    if profile.stages:
        lines += ["", "[stages]"] + [f"{_toml_str(k)} = {_toml_str(v)}" for k, v in profile.stages.items()]
    return "\n".join(lines) + "\n"


def save_profile(folder: Path, profile: MappingProfile) -> Path:
    """Write the profile as ``<folder>/<slug>.toml`` (replacing one of the same name)."""
    if not profile.name.strip():
        raise MappingError("a mapping profile needs a name")
    if profile.extract not in EXTRACTS:
        raise MappingError(f"unknown extract {profile.extract!r}")
    unknown = [c for c in profile.columns if c not in EXTRACTS[profile.extract].column_names]
    if unknown:
        raise MappingError(f"{profile.extract} has no column(s) {', '.join(unknown)}")
    bad = sorted({v for v in profile.stages.values() if v not in STAGE_OUTCOMES})
    if bad:
        raise MappingError(f"stage outcomes must be open, won or lost, not {', '.join(bad)}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug(profile.name) or 'profile'}.toml"
    path.write_text(profile_toml(profile), encoding="utf-8")
    profile.path = path
    return path


def read_profile(path: Path) -> MappingProfile:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return MappingProfile(
        name=str(data["name"]), extract=str(data["extract"]),
        columns={str(k): str(v) for k, v in dict(data.get("columns", {})).items()},
        headers=[str(h) for h in data.get("headers", [])],
        date_order=data.get("date_order", "auto"),
        stages={str(k): str(v) for k, v in dict(data.get("stages", {})).items()}, path=path)


def load_profiles(folder: Path) -> list[MappingProfile]:
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.toml")):
        try:
            out.append(read_profile(path))
        except (tomllib.TOMLDecodeError, KeyError):
            continue
    return out


def delete_profile(profile: MappingProfile) -> None:
    """Remove a saved profile's file (files of its shape are then unknown again)."""
    if profile.path is None:
        raise MappingError(f"the mapping profile '{profile.name}' is not saved")
    profile.path.unlink(missing_ok=True)


def replace_profile(folder: Path, old: MappingProfile, new: MappingProfile) -> Path:
    """Save an edited profile; renamed, its old file goes (another profile's name is refused)."""
    target = folder / f"{slug(new.name) or 'profile'}.toml"
    if old.path is not None and target != old.path and target.exists():
        raise MappingError(f"a mapping profile named '{new.name}' exists already")
    path = save_profile(folder, new)
    if old.path is not None and old.path != path:
        old.path.unlink(missing_ok=True)
    return path


def find_profile(folder: Path, name: str) -> MappingProfile:
    """A profile by its name or file name; raises :class:`MappingError` listing what exists."""
    candidates = load_profiles(folder)
    for profile in candidates:
        if name in (profile.name, slug(profile.name)) or (profile.path and profile.path.stem == name):
            return profile
    known = ", ".join(p.name for p in candidates) or "none saved yet"
    raise MappingError(f"no mapping profile named {name!r} in {folder} (known: {known})")


def suggest_columns(headers: list[str], extract: str) -> dict[str, str | None]:
    """A first guess for the editor: canonical column -> the header that looks like it."""
    people = ["agent", "sales_agent", "salesperson", "sales_rep", "rep", "seller", "sales_person"]
    synonyms = {
        "rep_name": ["name", "rep_name", "full_name", *people],
        "manager_id": ["manager", "manager_name", "reports_to", "sales_manager"],
        "owner_rep_id": ["owner", "deal_owner", "opportunity_owner", "owner_name", *people],
        "opportunity_id": ["deal", "deal_id", "opportunity", "id", "record_id"],
        "account_id": ["account", "company", "customer", "account_name"],
        "created_date": ["created", "create_date", "created_date", "engage_date", "engaged", "engaged_date",
                         "opened", "open_date"],
        "close_date": ["close_date", "closed", "close", "closed_date", "expected_close"],
        "stage": ["stage", "deal_stage", "status"],
        "amount": ["close_value", "amount", "value", "deal_value", "revenue", "arr"],
        "region": ["region", "office", "regional_office", "territory", "sales_region"],
        "product_line": ["product", "product_name", "product_line"],
        "email": ["email", "e_mail", "mail"],
    }
    normal = {normalise_header(h): h for h in headers}
    out: dict[str, str | None] = {}
    used: set[str] = set()
    for col in EXTRACTS[extract].column_names:
        match = None
        for candidate in [col, *synonyms.get(col, [])]:
            if candidate in normal and normal[candidate] not in used:
                match = normal[candidate]
                break
        if match:
            used.add(match)
        out[col] = match
    return out


def apply_profile(table: RawTable, profile: MappingProfile, reps: pl.DataFrame | None = None) -> MappedTable:
    """Map a table with a profile: rename, derive, resolve people, type."""
    if isinstance(profile, ProfileChoice):
        return MappedTable(table=table, format="unknown", extract=None, rule=CHOICE_RULE, problem=profile.problem)
    extract = EXTRACTS[profile.extract]
    result = MappedTable(table=table, format=f"profile:{profile.name}", extract=profile.extract,
                         mapping=dict(profile.columns))
    by_norm = {normalise_header(h): h for h in table.headers}
    absent = [h for h in profile.columns.values() if normalise_header(h) not in by_norm]
    if absent:
        result.problem = f"the file lacks the column(s) the profile reads: {', '.join(absent)}"
        result.rule, result.column = "required columns", ", ".join(absent)
        return result
    missing = profile.missing_required()
    if missing:
        result.problem = f"the profile maps nothing to the required column(s) {', '.join(missing)}"
        result.rule, result.column = "required columns", ", ".join(missing)
        return result
    frame = with_line_numbers(table.frame).select(
        pl.col("__line"), *(pl.col(by_norm[normalise_header(src)]).alias(dst) for dst, src in profile.columns.items()))
    frame = frame.with_columns(pl.col(c).str.strip_chars() for c in frame.columns if c != "__line")
    frame = frame.with_columns(pl.col(c).str.to_lowercase() for c in frame.columns if c in CODE_COLUMNS)
    key = extract.key[0] if len(extract.key) == 1 else None
    if key and key not in frame.columns:
        if profile.extract == "reps":
            frame = frame.with_columns(pl.col("rep_name").map_elements(slug, return_dtype=pl.String).alias("rep_id"))
        else:
            frame = frame.with_columns(
                (pl.lit(f"{slug(profile.name)}-") + pl.col("__line").cast(pl.String)).alias(key))
        result.mapping[key] = "generated"
    if profile.extract == "reps" and "manager_id" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("manager_id"))
    if profile.stages and "stage" in frame.columns:
        outcome = pl.col("stage").str.to_lowercase().replace_strict(
            {k.strip().lower(): v for k, v in profile.stages.items()}, default=None, return_dtype=pl.String)
        derived = []
        if "is_closed" not in profile.columns:
            derived.append(pl.when(outcome.is_null()).then(pl.lit(None, dtype=pl.String))
                           .when(outcome == "open").then(pl.lit("0")).otherwise(pl.lit("1")).alias("is_closed"))
            result.mapping["is_closed"] = "stage -> open/won/lost"
        if "is_won" not in profile.columns:
            derived.append(pl.when(outcome.is_null()).then(pl.lit(None, dtype=pl.String))
                           .when(outcome == "won").then(pl.lit("1")).otherwise(pl.lit("0")).alias("is_won"))
            result.mapping["is_won"] = "stage -> open/won/lost"
        frame = frame.with_columns(derived)
        unmapped = frame.filter(outcome.is_null() & pl.col("stage").is_not_null())["stage"].unique().to_list()
        if unmapped:
            result.notes.append("stage values not mapped to open/won/lost: " + ", ".join(map(str, unmapped[:8])))
    own = frame.select("rep_id", "rep_name", *(["email"] if "email" in frame.columns else [])) \
        if profile.extract == "reps" else None
    lookup = people_lookup(pl.concat([f for f in (own, reps) if f is not None], how="diagonal_relaxed")
                           if own is not None or reps is not None else None)
    # A sheet of names (IDs generated): its managers are among its own rows, or added from the names.
    names_sheet = profile.extract == "reps" and "rep_id" not in profile.columns
    for col in PEOPLE_COLUMNS & set(frame.columns):
        if profile.extract == "reps" and col == "rep_id":
            continue
        frame = resolve_people(frame, col, people_lookup(own) if names_sheet and col == "manager_id" else lookup)
    if names_sheet and "manager_id" in profile.columns:
        frame = _add_unlisted_managers(frame, result)
    result.frame = type_columns(frame, extract, date_order=profile.date_order)
    return result


def _add_unlisted_managers(frame: pl.DataFrame, result: MappedTable, named: int = 12) -> pl.DataFrame:
    """Managers named in the manager column without a row of their own become reps with IDs made
    from their names, at the top of the hierarchy (no manager), each at the line first naming them."""
    listed = set(frame["rep_id"].drop_nulls().to_list())
    unlisted = (frame.filter(pl.col("manager_id").is_not_null() & ~pl.col("manager_id").is_in(listed))
                .select("__line", "manager_id")
                .with_columns(pl.col("manager_id").map_elements(slug, return_dtype=pl.String).alias("__id")))
    if unlisted.is_empty():
        return frame
    # Spelled as a listed rep's ID would be ("Grace-Garcia" for grace_garcia): that rep, not a new one.
    frame = frame.join(unlisted.select("manager_id", "__id").unique("manager_id"), on="manager_id", how="left",
                       maintain_order="left").with_columns(pl.coalesce("__id", "manager_id").alias("manager_id")
                                                           ).drop("__id")
    new = unlisted.filter(~pl.col("__id").is_in(listed)).sort("__line").unique("__id", keep="first",
                                                                                 maintain_order=True)
    if new.is_empty():
        return frame
    added = new.select("__line", pl.col("__id").alias("rep_id"), pl.col("manager_id").alias("rep_name"))
    if "email" in frame.columns:
        added = added.with_columns(pl.when(pl.col("rep_name").str.contains("@")).then(pl.col("rep_name"))
                                   .otherwise(None).alias("email"))
    who = [f"{r['rep_name']} ({r['rep_id']})" for r in added.iter_rows(named=True)]
    shown = ", ".join(who[:named]) + (f" and {len(who) - named} more" if len(who) > named else "")
    result.notes.append(
        f"{len(who)} manager{'s' if len(who) != 1 else ''} named only in the manager column added as"
        f" rep{'s' if len(who) != 1 else ''} with generated IDs, at the top of the hierarchy: {shown}")
    return pl.concat([frame, added], how="diagonal_relaxed")
