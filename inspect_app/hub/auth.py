"""Authentication of every API request (but the health check) before its body is read.

`Authorization: Bearer <token>`: the device is looked up by sha256(token) and compared in constant
time (storage.device_for_token); a revoked device is refused from its next request on, since
nothing is cached. Then the device's rate limit. Neither the token nor the header is logged.
"""

from __future__ import annotations

import logging

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from inspect_app.hub.limits import TokenBuckets, send_json
from inspect_app.hub.storage import device_for_token

log = logging.getLogger("inspect_app.hub")
API_PREFIX = "/api/"


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


class Authenticate:
    def __init__(self, app, engine: Engine, buckets: TokenBuckets, public_paths: set[str]):
        self.app = app
        self.engine = engine
        self.buckets = buckets
        self.public_paths = public_paths

    def _lookup(self, token: str):
        with self.engine.connect() as conn:
            return device_for_token(conn, token)

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIX) or path in self.public_paths:
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope["headers"])
        hub_device = await run_in_threadpool(self._lookup, token) if token else None
        if hub_device is None:
            log.info("refused %s %s: %s", scope["method"], path, "bad token" if token else "no token")
            await send_json(send, 401, "authentication required" if token is None else "unknown or revoked token",
                            {"WWW-Authenticate": "Bearer"})
            return
        wait = self.buckets.take(hub_device.id)
        if wait:
            await send_json(send, 429, "too many requests", {"Retry-After": str(max(1, round(wait)))})
            return
        scope.setdefault("state", {})["device"] = hub_device
        await self.app(scope, receive, send)
