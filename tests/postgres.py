"""A throwaway PostgreSQL server for tests: initdb + pg_ctl into a scratch folder, on loopback.

Its fixtures are loaded for every test by tests/conftest.py (`pytest_plugins`), so a test takes
them by name: `postgres_url` (an empty database), `postgres_hub_url` (a new hub at the newest
revision, as `hub_url` in tests/sync_fixtures.py gives) and `postgres_cluster`, one server per test
process. Imported into each module instead, the session-scoped server was one per module (pytest
keeps a fixture's value per place it is defined): a run of the hub tests on four workers started
18 servers instead of 4.
Without PostgreSQL's binaries the tests that use them skip with the reason — unless
PARKINSPECT_REQUIRE_POSTGRES=1 (CI sets it in .ci/run), where a missing server is a failure.
initdb refuses to run as root, so as root the cluster runs as the `nobody` user.
"""

from __future__ import annotations

import glob
import itertools
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

REQUIRE_ENV = "PARKINSPECT_REQUIRE_POSTGRES"


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parts[-3].split(".")])
    for candidate in reversed(candidates):
        folder = Path(candidate).parent
        if (folder / "initdb").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The tests' server: no durability (a test database is thrown away), few connections.
TEST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "60"}


class PostgresCluster:
    def __init__(self, binaries: Path, parent: str | None = None):
        self.binaries = binaries
        self.as_root = os.geteuid() == 0
        # As root the server runs as `nobody`, who must reach the folder: /tmp, not a TMPDIR under /root.
        if parent is None and self.as_root and os.path.isdir("/tmp"):
            parent = "/tmp"
        self.root = Path(tempfile.mkdtemp(prefix="parkinspect-pg-", dir=parent))
        self.data = self.root / "data"
        self.port = 0
        self._names = itertools.count(1)
        self._hub_template: str | None = None

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.binaries / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "nobody", "--", *command]
        # Run inside the cluster's own folder: the `nobody` user may not enter the caller's (/root/...).
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=check, cwd=self.root)

    def start(self, settings: dict[str, str] | None = None) -> None:
        """initdb and start, with `settings` (postgresql.conf names) instead of TEST_SETTINGS."""
        if self.as_root:
            shutil.chown(self.root, user="nobody")
            os.chmod(self.root, 0o700)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        for _attempt in range(3):
            self.port = _free_port()
            done = self._pg_ctl("start", settings)
            if done.returncode == 0:
                return
        raise RuntimeError(f"PostgreSQL did not start: {done.stdout}{done.stderr}")

    def restart(self, settings: dict[str, str] | None = None) -> None:
        """Stop cleanly and start again on the same port with other settings."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        done = self._pg_ctl("start", settings)
        if done.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not restart: {done.stdout}{done.stderr}")

    def _pg_ctl(self, action: str, settings: dict[str, str] | None) -> subprocess.CompletedProcess:
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root}"
        options += "".join(f" -c {name}={value}" for name, value in (settings or TEST_SETTINGS).items())
        return self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                         "-w", "-t", "60", action, check=False)

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        return self.url(self._create_database("template1"))

    def new_hub_database(self) -> str:
        """A fresh hub database at the newest revision, with a hub id of its own; its URL.

        A copy of one migrated once per cluster (CREATE DATABASE … TEMPLATE), as a SQLite hub is a
        copy of a migrated file (tests/new_files.py): migrating each new database ran every revision
        again, ~0.12 s of the server's and the test's CPU. Tests of the migrations take `postgres_url`."""
        from inspect_app.hub.storage import open_engine  # the hub extra: only tests that start a hub

        if self._hub_template is None:
            template = self._create_database("template1")
            open_engine(self.url(template)).dispose()  # no connection left: a template must have none while copied
            self._hub_template = template
        name = self._create_database(self._hub_template)
        self._execute("UPDATE hub_meta SET value = %s WHERE key = 'hub_id'", (secrets.token_hex(16),), database=name)
        return self.url(name)

    def _create_database(self, template: str) -> str:
        """A new database copied from `template`; its name."""
        name = f"hub_{os.getpid()}_{next(self._names)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def _execute(self, statement: str, parameters: tuple = (), *, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname={database}",
                             autocommit=True) as conn:
            conn.execute(statement, parameters)


def _unavailable(reason: str):
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 requires PostgreSQL", pytrace=False)
    pytest.skip(f"{reason} (install PostgreSQL's server package to run the PostgreSQL hub tests)")


@pytest.fixture(scope="session")
def postgres_cluster():
    binaries = find_binaries()
    if binaries is None:
        _unavailable("PostgreSQL's initdb/pg_ctl not found on PATH or under /usr/lib/postgresql/*/bin")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        _unavailable("running as root and runuser is missing (initdb refuses root)")
    cluster = PostgresCluster(binaries)
    try:
        cluster.start()
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        cluster.stop()
        _unavailable(f"could not start a throwaway PostgreSQL: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """An empty database: for the hub's migrations and whatever makes its own tables."""
    return postgres_cluster.new_database()


@pytest.fixture
def postgres_hub_url(postgres_cluster: PostgresCluster) -> str:
    """A new hub's database, already at the newest revision (`new_hub_database`)."""
    return postgres_cluster.new_hub_database()
