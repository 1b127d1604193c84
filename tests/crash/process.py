"""Starting and killing the worker: a fresh interpreter (`spawn`) or a fork of the test process.

`spawn` runs `python -m tests.crash.worker` — exactly a second program on the file, but each start
costs ~1.2 s of imports. `fork` starts a child of the already warm test process (~10 ms), which
then opens its own Store and writes; SIGKILL ends it the same way (no Python clean-up, the OS drops
its locks and file handles), so it is the default for the many-kills runs. POSIX only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


class WorkerProcess:
    def __init__(self, argv: list[str], errors: Path, mode: str = "fork"):
        self.errors = errors
        self.popen: subprocess.Popen | None = None
        self.pid: int | None = None
        self.returncode: int | None = None
        if mode == "spawn":
            with errors.open("ab") as err:
                self.popen = subprocess.Popen([sys.executable, "-m", "tests.crash.worker", *argv], cwd=REPO,
                                              stdout=subprocess.PIPE, stderr=err)
            self.ready = self.popen.stdout.readline().strip() == b"ready"
            self.popen.stdout.close()
        else:
            self.ready = self._fork(argv)

    def _fork(self, argv: list[str]) -> bool:
        from tests.crash import worker

        worker.warm_up(Path(argv[3]))  # once here: every fork inherits it
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: write until killed, never return into the test runner
            os.close(read_end)
            code = 1
            try:
                code = worker.main(argv, ready=lambda: os.write(write_end, b"ready\n"))
            except BaseException:  # noqa: BLE001 - reported through the errors file
                with self.errors.open("a", encoding="utf-8") as err:
                    err.write(traceback.format_exc())
            finally:
                os._exit(code)
        os.close(write_end)
        self.pid = pid
        with os.fdopen(read_end, "rb") as pipe:
            return pipe.readline().strip() == b"ready"

    def poll(self) -> int | None:
        if self.popen is not None:
            return self.popen.poll()
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> int:
        """SIGKILL (if still running) and reap; the exit code (-9 when the kill ended it)."""
        if self.popen is not None:
            self.popen.send_signal(signal.SIGKILL)
            return self.popen.wait()
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float) -> int:
        if self.popen is not None:
            return self.popen.wait(timeout=timeout)
        import time

        end = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > end:
                raise TimeoutError(f"worker {self.pid} still running")
            time.sleep(0.05)
        return self.returncode
