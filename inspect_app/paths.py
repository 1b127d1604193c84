"""Where this program keeps its files on this computer (the platform's folders); reads nothing.

inspect_app/config.py reads config.toml from `config_dir()`; a service that needs a folder of its
own (the documents' fallback folder) takes it from here, never from the config reader.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "parkinspect"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
