"""``sdi-submission``: serve the API (default), or run a maintenance command.

    sdi-submission                 serve on HOST:PORT
    sdi-submission rebuild         rebuild the store from the SUBMISSIONS stream
    sdi-submission retention       erase the contact data that is past its retention
    sdi-submission operator-token NAME [--region CODE]... [--department CODE]...
                                   print a new operator token and its OPERATOR_TOKENS entry
                                   (scoped to those régions and départements; none: national)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

import orjson
from sdi_common import topology
from sdi_common.http import serve
from sdi_common.logging import configure_logging
from sdi_common.natsconn import connect

if TYPE_CHECKING:
    from .settings import SubmissionSettings


def _settings():
    from .settings import SubmissionSettings

    return SubmissionSettings()


async def _rebuild(settings: SubmissionSettings) -> dict:
    from .app import make_store
    from .projector import rebuild

    store = make_store(settings)
    await store.open()
    nc = await connect(settings, name="submission-rebuild")
    try:
        return await rebuild(nc, store)
    finally:
        await nc.drain()
        await store.close()


async def _retention(settings: SubmissionSettings) -> int:
    from .app import active_edition, make_store
    from .commands import Commands
    from .idempotency import IdempotencyRecords
    from .retention import run_retention
    from .sealing import ContactKeys

    store = make_store(settings)
    await store.open()
    nc = await connect(settings, name="submission-retention")
    js = nc.jetstream(timeout=settings.publish_timeout)
    edition = active_edition()
    commands = Commands(
        nc=nc,
        store=store,
        keys=ContactKeys(await js.key_value(topology.CONTACT_KEYS_BUCKET.name), pool_size=0),
        idempotency=IdempotencyRecords(await js.key_value(topology.IDEMPOTENCY_BUCKET.name)),
        edition=lambda: edition,
        publish_timeout=settings.publish_timeout,
        apply_on_accept=True,
    )
    try:
        return await run_retention(commands, store, edition, settings.contact_retention_days)
    finally:
        await nc.drain()
        await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sdi-submission", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="serve",
                        choices=["serve", "rebuild", "retention", "operator-token"])
    parser.add_argument("name", nargs="?", help="operator name (operator-token)")
    parser.add_argument("--region", action="append", default=[], metavar="CODE",
                        help="operator-token: a région (INSEE code, e.g. 84) in the scope")
    parser.add_argument("--department", action="append", default=[], metavar="CODE",
                        help="operator-token: a département (e.g. 69, 2A, 974) in the scope")
    args = parser.parse_args(argv)
    settings = _settings()
    if args.command == "serve":
        from .app import build_app

        app = build_app(settings)
        # X-Forwarded-For is read by the app itself, from trusted proxies only (api/deps.py)
        serve(app, settings)
        return 0
    if args.command == "operator-token":
        from .scopes import Scope, ScopeError
        from .tokens import format_entry, new_token, token_hash

        if not args.name or any(c in args.name for c in ":,/#") or args.name != args.name.strip():
            parser.error("operator-token needs a NAME without ':', ',', '/', '#' or blanks around")
        try:
            scope = Scope.of(args.region, args.department)
        except ScopeError as exc:
            parser.error(str(exc))
        token = new_token()
        sys.stdout.write(f"token (give it to {args.name}, once): {token}\n"
                         f"OPERATOR_TOKENS entry: {format_entry(args.name, token_hash(token), scope)}\n")
        return 0
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    if args.command == "rebuild":
        counts = asyncio.run(_rebuild(settings))
        sys.stdout.write(orjson.dumps(counts).decode() + "\n")
        return 0
    erased = asyncio.run(_retention(settings))
    sys.stdout.write(orjson.dumps({"erased": erased}).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
