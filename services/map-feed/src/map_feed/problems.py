"""Errors raised by dependencies and endpoints, answered as RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sdi_common.http import problem


class Problem(Exception):
    """An answer that is an error: ``status``, a French ``title`` and ``detail``, and for
    a bad request every faulty parameter in ``errors`` (``[{field, code, message}]``)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers
        self.errors = errors

    def response(self) -> Response:
        extra: dict[str, Any] = {} if self.errors is None else {"errors": self.errors}
        return problem(self.status, self.title, self.detail, headers=self.headers, **extra)


async def problem_response(request: Request, exc: Exception) -> Response:
    """The exception handler (``app.add_exception_handler(Problem, problem_response)``)."""
    assert isinstance(exc, Problem)
    return exc.response()
