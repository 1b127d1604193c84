"""Where things live, which language to speak, and what the office configured.

The one reader of config.toml: `load_settings` runs once when the CLI starts (and `make_app` when
the TUI is started without settings) and returns a frozen `Settings`; services get what they need
from it as explicit arguments, screens from `self.app.settings`. After the office saves its
settings (F3) the app calls `reload_settings` once.

Precedence, lowest first: defaults < config file (config.toml in the platform's config dir)
< environment (PARKINSPECT_DB, PARKINSPECT_LANG, PARKINSPECT_PDF_FONT, PARKINSPECT_KEYS_DIR,
PARKINSPECT_TIME_ZONE) < command line (--db, --lang).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from forms import china_time
from forms.i18n import normalise_language
from forms.inspection_due import RISK_CLASSES, DueRules
from forms.risk_flag_thresholds import RiskFlagThresholds
from forms.working_days import WorkCalendar
from inspect_app.paths import APP_NAME, config_dir, data_dir, log_dir  # noqa: F401 - also read from here


def config_path() -> Path:
    """The office's config.toml (read here, written by inspect_app/config_writer.py)."""
    return config_dir() / "config.toml"


def _config_file() -> dict:
    path = config_path()
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        logging.getLogger(__name__).warning("ignoring unreadable config file %s", path)
        return {}


def agency_config() -> dict:
    """The issuing agency as the office configures it: `[agency]` in config.toml
    (name, short, basis = [...], reinspection_note). Empty when not configured."""
    agency = _config_file().get("agency", {})
    return agency if isinstance(agency, dict) else {}


def pdf_font_setting(table: object = None) -> tuple[Path | None, int | str | None]:
    """The font the office wants its PDF documents in: `[pdf] font = PATH` in config.toml (or
    `table` as given), overridden by the environment PARKINSPECT_PDF_FONT; `face` picks a face of
    a .ttc by index or family name. (None, None) is the bundled font (exports/fonts.py), which the
    PDF code also falls back to, with a warning, when the named file is not a usable font.

    A value of the wrong type is logged and ignored: a typo must not stop inspectors from issuing.
    """
    log = logging.getLogger(__name__)
    if table is None:
        table = _config_file().get("pdf", {})
    if not isinstance(table, dict):
        log.warning("config [pdf] is not a table; using the bundled font")
        table = {}
    font = os.environ.get("PARKINSPECT_PDF_FONT", "").strip() or table.get("font")
    if font is not None and not (isinstance(font, str) and font.strip()):
        log.warning("config [pdf] font = %r is not a file path; using the bundled font", font)
        font = None
    face = table.get("face")
    if face is not None and (isinstance(face, bool) or not isinstance(face, int | str)
                             or (isinstance(face, int) and face < 0)):
        log.warning("config [pdf] face = %r is neither a face number nor a family name; ignored", face)
        face = None
    if font is None:
        return None, None
    return Path(font.strip()).expanduser(), face


# key -> (accepts the value?, what a valid value is, for the log)
_RISK_FLAG_RULES = {
    "decline_pct": (lambda v: _is_number(v) and 0 < v <= 100, "a number above 0 and at most 100"),
    "zombie_output_wan": (lambda v: _is_number(v) and v >= 0, "a number of 0 or more"),
    "zombie_power_pct": (lambda v: _is_number(v) and 0 < v <= 100, "a number above 0 and at most 100"),
    # At most 4: the overview reads eight quarters, four idle ones plus the four before them.
    "zombie_quarters": (lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4,
                        "a whole number from 1 to 4"),
}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value  # not NaN


def risk_flags_config() -> dict:
    """The `[risk_flags]` table as written in config.toml (empty when absent or not a table)."""
    table = _config_file().get("risk_flags", {})
    return table if isinstance(table, dict) else {}


def risk_flag_thresholds(table: object = None) -> RiskFlagThresholds:
    """The `[risk_flags]` table of config.toml (or `table` as given), checked key by key.

    A bad value or an unknown key is logged as a warning and the default is used: a typo in the
    office's config file must not stop inspectors from working.
    """
    log = logging.getLogger(__name__)
    if table is None:
        table = _config_file().get("risk_flags", {})
    if not isinstance(table, dict):
        log.warning("config [risk_flags] is not a table; using the default thresholds")
        return RiskFlagThresholds()
    values = {}
    for key, value in table.items():
        rule = _RISK_FLAG_RULES.get(key)
        if rule is None:
            log.warning("config [risk_flags] has an unknown key %r; ignored", key)
        elif not rule[0](value):
            log.warning("config [risk_flags] %s = %r is not %s; using the default %r",
                        key, value, rule[1], getattr(RiskFlagThresholds, key))
        else:
            values[key] = value if key == "zombie_quarters" else float(value)
    return RiskFlagThresholds(**values)


def strip_photo_metadata(table: object = None) -> bool:
    """Whether the kept copy of a photo loses its EXIF (GPS, camera, owner): `[photos]
    strip_metadata = true` in config.toml (or `table` as given); the default is true, a privacy
    default. A value that is not true or false is logged and the default kept."""
    if table is None:
        table = _config_file().get("photos", {})
    if not isinstance(table, dict):
        logging.getLogger(__name__).warning("config [photos] is not a table; photos are stripped of metadata")
        return True
    value = table.get("strip_metadata", True)
    if not isinstance(value, bool):
        logging.getLogger(__name__).warning("config [photos] strip_metadata = %r is not true or false; "
                                            "photos are stripped of metadata", value)
        return True
    return value


def inspection_due_rules(table: object = None) -> DueRules:
    """`[inspection]` of config.toml (or `table` as given): when a tenant is due for inspection.

        [inspection]
        interval_days = { high = 30, medium = 90, low = 180 }  # days between inspections per risk class
        deadline_within_days = 7   # an open hazard's deadline this close makes its tenant due

    A bad value or an unknown key is logged and the default kept, like `[risk_flags]`."""
    log = logging.getLogger(__name__)
    if table is None:
        table = _config_file().get("inspection", {})
    defaults = DueRules()
    if not isinstance(table, dict):
        log.warning("config [inspection] is not a table; using the default intervals")
        return defaults
    intervals = dict(defaults.interval_days)
    within = defaults.deadline_within_days
    for key, value in table.items():
        if key == "interval_days" and isinstance(value, dict):
            for risk, days in value.items():
                if risk not in RISK_CLASSES:
                    log.warning("config [inspection] interval_days has an unknown class %r; ignored", risk)
                elif not _whole_days(days, minimum=1):
                    log.warning("config [inspection] interval_days.%s = %r is not a whole number of days "
                                "from 1 to 3650; using %r", risk, days, intervals[risk])
                else:
                    intervals[risk] = days
        elif key == "deadline_within_days" and _whole_days(value, minimum=0):
            within = value
        else:
            log.warning("config [inspection] %s = %r is not understood; ignored", key, value)
    return DueRules(interval_days=intervals, deadline_within_days=within)


def _whole_days(value: object, *, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= 3650


def work_calendar(table: object = None) -> WorkCalendar:
    """China working days for "served within three working days" (forms/working_days.py):
    `[calendar] holidays = ["2027-01-01", ...]` (public holidays on weekdays) and `workdays =
    ["2027-02-06", ...]` (调休: weekend days worked) in config.toml, or `table` as given.

    Each entry must be a date (a TOML date or "YYYY-MM-DD"); a bad one is logged and left out, a
    typo must not stop inspectors from working. A day in both lists is a working day.
    """
    log = logging.getLogger(__name__)
    if table is None:
        table = _config_file().get("calendar", {})
    if not isinstance(table, dict):
        log.warning("config [calendar] is not a table; using Monday to Friday")
        return WorkCalendar()
    days: dict[str, frozenset[date]] = {}
    for key in ("holidays", "workdays"):
        values = table.get(key, [])
        if not isinstance(values, list):
            log.warning("config [calendar] %s is not a list of dates; ignored", key)
            values = []
        found = set()
        for value in values:
            day = _calendar_day(value)
            if day is None:
                log.warning("config [calendar] %s: %r is not a date (YYYY-MM-DD); ignored", key, value)
            else:
                found.add(day)
        days[key] = frozenset(found)
    for key in sorted(set(table) - {"holidays", "workdays"}):
        log.warning("config [calendar] has an unknown key %r; ignored", key)
    return WorkCalendar(holidays=days["holidays"], workdays=days["workdays"])


def _calendar_day(value: object) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def keys_dir() -> Path:
    """This device's signing key folder: env PARKINSPECT_KEYS_DIR, else `<data dir>/keys`."""
    configured = os.environ.get("PARKINSPECT_KEYS_DIR")
    return Path(configured).expanduser() if configured else data_dir() / "keys"


def apply_time_zone(table: object) -> None:
    """`[locale] time_zone = "Asia/Shanghai"` of config.toml: the zone dates and deadlines are reckoned
    in (forms/china_time.py). The environment variable PARKINSPECT_TIME_ZONE wins; an unknown name is
    logged and China time kept."""
    name = table.get("time_zone") if isinstance(table, dict) else None
    if os.environ.get(china_time.ENV_VARIABLE) or not isinstance(name, str) or not name.strip():
        china_time.set_zone(None)
        return
    try:
        china_time.set_zone(name.strip())
    except ValueError:
        logging.getLogger(__name__).warning("ignoring unknown time zone %r in config.toml", name)
        china_time.set_zone(None)


def _empty_table() -> MappingProxyType:
    return MappingProxyType({})


def hub_file() -> Path:
    """The file remembering each device database's hub and token (inspect_app/sync/hub_settings.py)."""
    return config_dir() / "hub.toml"  # inspect_app/sync/hub_settings.py FILE_NAME


@dataclass(frozen=True)
class Settings:
    """Everything this run reads from config.toml and the environment, read once.

    The defaults are the built-in ones (what an empty config.toml means), so a test can build
    the settings it needs; `load_settings` fills them from the file."""

    db_path: Path
    language: str
    office: bool = False  # `parkinspect --office`: this run in the office's role (services/office_role.py)
    agency: Mapping[str, Any] = field(default_factory=_empty_table)  # `[agency]`, read-only
    risk_flags: RiskFlagThresholds = field(default_factory=RiskFlagThresholds)  # `[risk_flags]`
    due_rules: DueRules = field(default_factory=DueRules)  # `[inspection]`
    calendar: WorkCalendar = field(default_factory=WorkCalendar)  # `[calendar]`
    pdf_font: tuple[Path | None, int | str | None] = (None, None)  # `[pdf]` / PARKINSPECT_PDF_FONT
    strip_photo_metadata: bool = True  # `[photos] strip_metadata`
    keys_dir: Path = field(default_factory=keys_dir)  # PARKINSPECT_KEYS_DIR, else <data dir>/keys
    hub_file: Path = field(default_factory=hub_file)  # <config dir>/hub.toml


def _office_values(file: dict) -> dict:
    """The parts of Settings the office configures in config.toml (and the environment overrides)."""
    agency = file.get("agency", {})
    return {
        "agency": MappingProxyType(dict(agency) if isinstance(agency, dict) else {}),
        "risk_flags": risk_flag_thresholds(file.get("risk_flags", {})),
        "due_rules": inspection_due_rules(file.get("inspection", {})),
        "calendar": work_calendar(file.get("calendar", {})),
        "pdf_font": pdf_font_setting(file.get("pdf", {})),
        "strip_photo_metadata": strip_photo_metadata(file.get("photos", {})),
        "keys_dir": keys_dir(),
        "hub_file": hub_file(),
    }


def language_setting(lang: str | None = None) -> str:
    """The language alone (the CLI's help text is in it, before the arguments are parsed)."""
    return normalise_language(lang or os.environ.get("PARKINSPECT_LANG") or _config_file().get("lang"))


def load_settings(*, db: str | None = None, lang: str | None = None, office: bool = False) -> Settings:
    """Read config.toml and the environment once: the settings of this run."""
    file = _config_file()
    db_value = db or os.environ.get("PARKINSPECT_DB") or file.get("db") or str(data_dir() / "parkinspect.db")
    lang_value = lang or os.environ.get("PARKINSPECT_LANG") or file.get("lang")
    apply_time_zone(file.get("locale"))
    return Settings(db_path=Path(db_value).expanduser(), language=normalise_language(lang_value), office=office,
                    **_office_values(file))


def reload_settings(settings: Settings) -> Settings:
    """The same run's settings with what the office configures read again (after F3 saved it);
    the database, language and role of the run stay as they are."""
    file = _config_file()
    apply_time_zone(file.get("locale"))
    return replace(settings, **_office_values(file))


def log_file() -> Path | None:
    """The log file setup_logging opened, or None (not set up, or the folder could not be written)."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, "parkinspect", False):
            return Path(handler.baseFilename)
    return None


def setup_logging() -> None:
    """A rotating log file in the platform's log dir; never secrets, never the screen."""
    root = logging.getLogger()
    if any(getattr(h, "parkinspect", False) for h in root.handlers):
        return  # already set up (main() called again in the same process, as tests do)
    try:
        directory = log_dir()
        directory.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(directory / "parkinspect.log", maxBytes=1_000_000,
                                                       backupCount=3, encoding="utf-8")
    except OSError:
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.parkinspect = True
    root.addHandler(handler)
    root.setLevel(logging.INFO)
