"""Request bodies: JSON only, size-limited, parsed by orjson.

FastAPI reads a route's body before it solves the route's dependencies, so a limit on
what is read cannot be a dependency: it is the route class of the API's routers
(FastAPI's documented way to change how a request is read). On a route with a body:

- another Content-Type than JSON (``application/json``, ``application/*+json``) is 415;
- past ``MAX_BODY_BYTES`` it is 413, counted as the body streams in (also without a
  Content-Length);
- the body is parsed by orjson: text that is not JSON (invalid UTF-8, a lone surrogate,
  nesting deeper than 1024) is a validation error like any other (422), never a 400 or a 500.

The body is then validated by FastAPI against the route's typed parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute

from .problems import too_large, unsupported_media_type


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, up to ``limit`` bytes (413 past it, counted as it streams in); kept on the
    request, so that Starlette's own readers (``form()``) find it."""
    if not hasattr(request, "_body"):
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise too_large(limit)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
        request._body = b"".join(chunks)
    return request._body


class LimitedJsonRequest(Request):
    """A request whose body is read up to the service's ``max_body_bytes``."""

    async def body(self) -> bytes:
        return await read_limited(self, self.app.state.runtime.settings.max_body_bytes)

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            # orjson.JSONDecodeError is a json.JSONDecodeError: FastAPI answers it as invalid
            self._json = orjson.loads(await self.body())
        return self._json


class JsonBodyRoute(APIRoute):
    """The API's routes: those with a body take JSON only, and only so much of it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def json_body_handler(request: Request) -> Response:
            if not is_json(request.headers.get("content-type", "")):
                raise unsupported_media_type()
            return await handler(LimitedJsonRequest(request.scope, request.receive))

        return json_body_handler
