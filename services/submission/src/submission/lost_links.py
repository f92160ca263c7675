"""Lost links: a new link mailed for every submission of an address.

``POST /v1/organizer-links`` answers 202 at once, the same for any address, before anything
is looked up (the time of the answer tells nothing either); the work is done here, in the
background: the address's submissions are found by their e-mail lookup
(``Filters.email_lookup``), each gets a new token (``Commands.renew_token`` publishes a
``TokenRenewed``, the record keeps the new hash, the old token stops working, a rebuild
restores it), and the outbox mails each new link. Each address gets at most
``LOST_LINKS_PER_HOUR`` requests an hour per replica (on top of the per-client rate limit):
nobody can flood someone's mailbox, or keep their links changing.

A request in progress when the process dies is lost (nothing was answered but 202): the
organiser asks again.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import structlog

from .commands import Commands, Unavailable
from .store.base import Filters, Store

log = structlog.get_logger(__name__)

HOUR = 3600.0


class LostLinks:
    def __init__(self, commands: Commands, store: Store, per_hour: int):
        self.commands = commands
        self.store = store
        self.per_hour = per_hour
        self._recent: dict[str, deque[float]] = {}
        self._tasks: set[asyncio.Task] = set()

    def request(self, email: str, correlation_id: str | None) -> None:
        """Start renewing the links of ``email``; returns at once."""
        task = asyncio.create_task(self._renew(email, correlation_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _allowed(self, lookup: str) -> bool:
        if self.per_hour <= 0:
            return True
        now = time.monotonic()
        times = self._recent.setdefault(lookup, deque())
        while times and now - times[0] > HOUR:
            times.popleft()
        if len(self._recent) > 100_000:  # forget the oldest addresses first
            for stale in [k for k, v in self._recent.items() if not v or now - v[-1] > HOUR]:
                del self._recent[stale]
        if len(times) >= self.per_hour:
            return False
        times.append(now)
        return True

    async def _renew(self, email: str, correlation_id: str | None) -> None:
        try:
            lookup = await self.commands.email_lookup(email)
            if not self._allowed(lookup):
                log.info("lost_link.limited")
                return
            renewed = 0
            async for record in self.store.scan(Filters(email_lookup=lookup)):
                if await self.commands.renew_token(record, correlation_id=correlation_id):
                    renewed += 1
            log.info("lost_link.renewed", submissions=renewed)
        except Unavailable:
            log.warning("lost_link.unavailable")
        except Exception:  # a background task: log, never raise into the void
            log.exception("lost_link.failed")

    async def stop(self, timeout: float = 10.0) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
