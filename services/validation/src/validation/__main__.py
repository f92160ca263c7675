"""``sdi-validation``: serve the validation worker (health/metrics on HOST:PORT)."""

from __future__ import annotations

import signal
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
    # uvicorn re-raises the SIGTERM it handled once it has shut down gracefully; with the
    # default disposition that kills the process (exit -15). Turn it into a clean exit 0.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    serve(app, settings)
    return 0


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    sys.exit(main())
