"""``sdi-geocoding``: serve the geocoding worker (health/metrics on HOST:PORT)."""

from __future__ import annotations

import sys

from pydantic import ValidationError
from sdi_common.http import serve

from .settings import GeocodingSettings


def main() -> int:
    from .app import build_app

    try:
        settings = GeocodingSettings()
    except ValidationError as exc:
        # no structured logging yet (the app configures it): a plain, clear line and exit 2
        errors = "; ".join(e["msg"] for e in exc.errors())
        sys.stderr.write(f"sdi-geocoding: invalid settings: {errors}\n")
        return 2
    serve(build_app(settings), settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
