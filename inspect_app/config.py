"""Where things live and which language to speak.

Precedence, lowest first: defaults < config file (config.toml in the platform's config dir)
< environment (PARKINSPECT_DB, PARKINSPECT_LANG) < command line (--db, --lang).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from forms.i18n import normalise_language

APP_NAME = "parkinspect"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class Settings:
    db_path: Path
    language: str


def _config_file() -> dict:
    path = config_dir() / "config.toml"
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


def keys_dir() -> Path:
    """This device's signing key folder: env PARKINSPECT_KEYS_DIR, else `<data dir>/keys`."""
    configured = os.environ.get("PARKINSPECT_KEYS_DIR")
    return Path(configured).expanduser() if configured else data_dir() / "keys"


def load_settings(*, db: str | None = None, lang: str | None = None) -> Settings:
    file = _config_file()
    db_value = db or os.environ.get("PARKINSPECT_DB") or file.get("db") or str(data_dir() / "parkinspect.db")
    lang_value = lang or os.environ.get("PARKINSPECT_LANG") or file.get("lang")
    return Settings(db_path=Path(db_value).expanduser(), language=normalise_language(lang_value))


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
