"""A hub served by uvicorn in a thread on loopback, for tests that talk real HTTP to it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

# Generous: on two busy cores uvicorn has been seen to take over 5 s to start, and a test that
# went on before it listened saw "connection refused" instead of the answer it was testing.
STARTUP_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(app, *, tls: tuple[str, str] | None = None) -> Iterator[str]:
    """Serve `app` on 127.0.0.1; yield its base URL (http://127.0.0.1:PORT). With `tls` (a certificate
    file and its key file), over HTTPS as a proxy in front of a hub serves it: https://127.0.0.1:PORT."""
    port = free_port()
    certfile, keyfile = tls or (None, None)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           ssl_certfile=certfile, ssl_keyfile=keyfile))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_S
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"the hub did not start in {STARTUP_S} s")
            time.sleep(0.01)
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
