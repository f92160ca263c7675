"""``sdi-run`` (``make run``): the whole system on this machine, in the foreground.

Starts an embedded nats-server with JetStream (data under ``$DATA_DIR/nats``, on a free
port) unless ``NATS_URL`` names a running server, declares the topology, starts the four
services, restarts any that crashes, and on Ctrl-C or SIGTERM stops them all cleanly.

The submission store is SQLite (``$DATA_DIR/submissions.sqlite3``) unless ``STORE=mongodb``:
then ``MONGODB_URL`` names the server, or, when it is unset, a local FerretDB is started
(the binary ``make test-deps`` builds; its data under ``$DATA_DIR/ferretdb``).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from .editions import EditionError, load_edition
from .natsconn import redact
from .settings import REPO_ROOT
from .stack import SERVICES, Stack, port_is_free

BANNER = """
Semaine de l'industrie: running (Ctrl-C to stop)
  NATS                {nats}
  submission store    {store}
  submission API      {submission}/docs        reference form: {submission}/
  back office         {submission}/back-office/   (operators: sdi-submission operator-token NAME)
  validation          {validation}/metrics
  geocoding           {geocoding}/metrics
  map feed            {map_feed}/v1/feed       widget: {map_feed}/widget
  logs                {logs}
  mails               {mail}
  edition             {edition}
"""


def _mail_line(data_dir: Path) -> str:
    """Where the organisers' mails go: the SMTP server (no password shown), or the Maildir."""
    url = os.environ.get("SMTP_URL", "")
    if url:
        return f"sent through {redact(url)} (SMTP_URL)"
    return f"no SMTP_URL: written to the Maildir {data_dir / 'mail'} (new/ holds each mail)"



def _ports() -> dict[str, int]:
    ports = {}
    for name, default in SERVICES.items():
        var = f"{name.upper().replace('-', '_')}_PORT"
        port = int(os.environ.get(var, default))
        if not port_is_free(port):
            sys.exit(f"sdi-run: port {port} for {name} is taken; set {var} to another port")
        ports[name] = port
    return ports


def _edition_line() -> str:
    try:
        edition = load_edition()
    except EditionError as exc:
        sys.exit(f"sdi-run: {exc}")
    first, last = edition.window()
    line = f"{edition.name}: events from {first} to {last}, submissions until {edition.submissions_close_at}"
    if edition.is_late(datetime.now(UTC)):
        line += (
            "\n  WARNING: this edition's submissions are closed: every new submission will be"
            "\n  rejected as late. To try the system: EDITION_FILE=config/trial/2024-open.toml make run"
        )
    return line


def _store_line(stack: Stack) -> str:
    env = {**os.environ, **stack.env}
    if env.get("STORE") != "mongodb":
        return f"sqlite {stack.data_dir / 'submissions.sqlite3'}"
    if stack.ferretdb:
        return f"mongodb {stack.ferretdb.url} (local FerretDB, data in {stack.ferretdb.data_dir})"
    return "mongodb (MONGODB_URL)"


def main() -> int:
    edition = _edition_line()
    data_dir = Path(os.environ.get("DATA_DIR", REPO_ROOT / "var")).resolve()
    stack = Stack(data_dir=data_dir, nats_url=os.environ.get("NATS_URL") or None, ports=_ports())
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    try:
        stack.start_all()
    except BaseException as exc:  # noqa: BLE001 - whatever failed, stop what was started
        stack.stop_all()
        print(f"sdi-run: could not start: {exc}", file=sys.stderr)
        return 1
    print(
        BANNER.format(
            nats=stack.nats_url,
            store=_store_line(stack),
            submission=stack.url("submission"),
            validation=stack.url("validation"),
            geocoding=stack.url("geocoding"),
            map_feed=stack.url("map-feed"),
            logs=data_dir / "logs",
            mail=_mail_line(data_dir),
            edition=edition,
        ),
        flush=True,
    )
    # Supervise: a crashed service comes back, with a growing pause if it keeps crashing.
    next_try: dict[str, float] = {}
    while not stopping:
        time.sleep(0.5)
        for (name, replica), p in list(stack.processes.items()):
            if stopping or p.alive():
                continue
            now = time.monotonic()
            if now < next_try.get(name, 0):
                continue
            print(f"sdi-run: {name} exited ({p.proc.returncode}); restarting", file=sys.stderr)
            next_try[name] = now + min(30, 2 ** min(p.restarts, 5))
            stack.start(name, replica, wait=False)
        if stack.nats and stack.nats.proc and stack.nats.proc.poll() is not None and not stopping:
            print("sdi-run: nats-server exited; restarting", file=sys.stderr)
            stack.nats.start()
        ferretdb = stack.ferretdb
        if ferretdb and ferretdb.proc and ferretdb.proc.poll() is not None and not stopping:
            print("sdi-run: ferretdb exited; restarting", file=sys.stderr)
            ferretdb.start()
    print("sdi-run: stopping", file=sys.stderr, flush=True)
    stack.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
