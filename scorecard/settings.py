"""Settings in force, read from the environment (prefix ``SCORECARD_``) with sensible defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCORECARD_", extra="ignore")

    db: Path = PROJECT_ROOT / "data" / "scorecard.duckdb"
    """Where the DuckDB database lives (``SCORECARD_DB``)."""
    archive_dir: Path | None = None
    """Where raw files of accepted loads are kept; default: ``archive/`` beside the database."""
    inbox_dir: Path | None = None
    """Folder picked up by the running app; default: ``inbox/`` beside the database."""
    inbox_watch: bool = True
    """Whether this app process watches the inbox folder (``false`` on all replicas but one)."""
    fiscal_year_start_month: int = 1
    """First month of the fiscal year (1 = January)."""
    reporting_currency: str = "USD"
    upload_limit_mb: int = 200
    """A larger file is refused with a verdict."""
    zip_unpacked_limit_mb: int = 800
    """A zip whose members unpack to more than this is refused before (and while) it is unpacked."""
    zip_ratio_limit: float = 200.0
    """A zip member that unpacks to more than this many times its packed size is refused (a zip bomb;
    CRM exports pack 5 to 20 times)."""
    text_value_limit: int = 2_000
    """The longest text value (a name, an ID, a next step) a file may hold, in characters."""
    hierarchy_depth_limit: int = 30
    """The deepest reporting chain the hierarchy may have (a deeper one is refused with the chain named)."""
    check_time_limit_seconds: float = 900.0
    """Checks of one upload that run longer are stopped and the upload refused with that verdict (the
    large benchmark org, 100,000 deals and a million activities, checks in under a minute)."""
    upload_abandoned_seconds: float = 30.0
    """An upload's checks stop when its Upload page has stopped waiting for them this long (the page
    was closed or left)."""
    load_wait_seconds: float = 600.0
    """A load or restore waits this long for another one under way to finish before giving up
    (viewers never wait: they read the version in place)."""
    access_file: Path | None = None
    """TOML file naming executives and sales ops by e-mail; default: ``access.toml`` beside the database."""
    rubric: Path | None = None
    """An edited rubric.toml; default: the one shipped with the package."""
    chromium: Path | None = None
    """The Chromium that renders the charts of the PDF packs; default: Debian's ``/usr/bin/chromium``."""
    smtp_host: str = "localhost"
    """The mail server digests and alerts are sent through (``scorecard digest``)."""
    smtp_port: int = 25
    smtp_starttls: bool = False
    """Upgrade the connection with STARTTLS before logging in (port 587 servers)."""
    smtp_user: str | None = None
    """Log in to the mail server as this user (no login when unset)."""
    smtp_password: SecretStr | None = None
    mail_from: str = "scorecard@localhost"
    """The sender of digests and alerts."""
    app_url: str = "http://localhost:8501"
    """The hosted app's public address: the links in digests and alerts open its pages."""
    alert_score_drop: float = 10.0
    """An alert goes out when a leader's overall or role score falls by more than this many points
    against the previous comparable period (the previous quarter at the same share elapsed)."""
    digest_outbox: Path | None = None
    """Where ``scorecard digest --dry-run`` writes the messages; default: ``outbox/`` beside the database."""
    keep_scores: bool = True
    """Keep the whole org's scores on disk between processes (``score_cache_dir``); ``false``: each
    process scores for itself (what the scoring benchmark measures)."""
    score_cache_dir: Path | None = None
    """Where the whole org's scores are kept between processes (the CLI, the digest, each app replica),
    one folder per database and data version; default: ``scores/`` beside the database."""

    def resolved_archive_dir(self) -> Path:
        return self.archive_dir or self.db.parent / "archive"

    def resolved_inbox_dir(self) -> Path:
        return self.inbox_dir or self.db.parent / "inbox"

    def resolved_access_file(self) -> Path:
        return self.access_file or self.db.parent / "access.toml"

    def resolved_chromium(self) -> Path | None:
        default = Path("/usr/bin/chromium")
        return self.chromium or (default if default.is_file() else None)

    def resolved_score_cache_dir(self, db: Path | None = None) -> Path:
        """The kept scores' folder of the database ``db`` (default: the ``db`` setting)."""
        return self.score_cache_dir or (db or self.db).parent / "scores"

    def resolved_digest_outbox(self) -> Path:
        return self.digest_outbox or self.db.parent / "outbox"


def get_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
