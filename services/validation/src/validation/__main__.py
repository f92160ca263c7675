"""``sdi-validation``: serve the validation worker (health/metrics on HOST:PORT)."""

from __future__ import annotations

import sys

from sdi_common.editions import EditionError
from sdi_common.http import serve

from .settings import ValidationSettings


def main() -> int:
    from .app import build_app

    settings = ValidationSettings()
    try:
        app = build_app(settings)
    except EditionError as exc:
        # no structured logging yet (the app configures it): a plain, clear line and exit 2
        sys.stderr.write(f"sdi-validation: {exc}\n")
        return 2
    serve(app, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
