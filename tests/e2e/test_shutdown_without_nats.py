"""A worker asked to stop while NATS is unreachable still stops cleanly (exit 0):
what it had not acknowledged is redelivered to another replica later."""

from sdi_common.stack import Stack, http_ok
from sdi_common.testing import wait_until


def test_workers_stop_cleanly_while_nats_is_down(tmp_path):
    stack = Stack(data_dir=tmp_path)
    try:
        stack.start_nats()
        stack.bootstrap()
        for name in ("validation", "geocoding"):
            stack.start(name)
        stack.nats.stop()
        # the clients are now reconnecting: their readiness says so
        wait_until(lambda: not any(http_ok(stack.url(n) + "/readyz")
                                   for n in ("validation", "geocoding")),
                   10, "validation and geocoding to lose NATS")
        for name in ("validation", "geocoding"):
            log = stack.processes[(name, 1)].log_path
            assert stack.stop(name) == 0, log.read_text()[-2000:]
            assert '"level": "error"' not in log.read_text(), log.read_text()[-2000:]
    finally:
        stack.stop_all()
