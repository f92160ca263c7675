"""validation settings, from the environment (see ``sdi_common.settings.ServiceSettings``)."""

from __future__ import annotations

from pathlib import Path

from sdi_common.settings import ServiceSettings


class ValidationSettings(ServiceSettings):
    service_name: str = "validation"
    port: int = 8002
    #: EDITION_FILE: the active edition (TOML); unset: the newest file in config/editions/.
    #: Read once at start-up: changing it re-judges nothing already decided.
    edition_file: Path | None = None
