"""A reader that leaves early (`| head -1`) ends the command quietly, never with a traceback or 0."""

import subprocess
import sys
from pathlib import Path


def test_a_closed_pipe_ends_the_command_without_a_traceback_and_not_with_success(tmp_path):
    template = Path(__file__).parent.parent / "forms" / "templates" / "fire_safety.toml"
    script = ("import sys; from inspect_app.cli import main; "
              f"sys.exit(main(['--lang', 'en', 'templates', 'check', {str(template)!r}]))")
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first line is written
    _, err = process.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipeError" not in err
    assert process.returncode == 141
