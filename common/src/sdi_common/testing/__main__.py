"""``python -m sdi_common.testing prepare``: build the local bases (``make test-deps``)."""

from .docker import main

raise SystemExit(main())
