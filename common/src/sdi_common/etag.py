"""Matching ``If-None-Match`` against a representation's entity tags."""

from __future__ import annotations


def etag_matches(header: str | bytes, *etags: str | bytes) -> bool:
    """True when ``If-None-Match`` names one of ``etags`` (or is ``*``).

    The comparison is weak (RFC 9110 §13.1.2), as ``If-None-Match`` requires: ``W/"x"``
    matches ``"x"``. A representation sent gzipped and plain has one tag per encoding;
    either satisfies a revalidation.
    """
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    header = header.strip()
    if header == "*":
        return True
    wanted = {e.decode("latin-1") if isinstance(e, bytes) else e for e in etags}
    wanted = {e.removeprefix("W/") for e in wanted}
    return any(tag.strip().removeprefix("W/") in wanted for tag in header.split(","))
