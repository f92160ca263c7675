"""Declare streams, durable consumers and key-value buckets from ``topology`` (idempotent).

Run once before the services start (``make run`` does; on Kubernetes, a Job). What is
missing is created; what drifted from the code is updated, and the change is logged.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import asdict

import nats
import structlog
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType, StreamConfig
from nats.js.errors import BucketNotFoundError, NotFoundError

from . import topology
from .logging import configure_logging
from .natsconn import connect, redact
from .settings import ServiceSettings

log = structlog.get_logger(__name__)


def _differs(wanted, current) -> dict:
    """Fields set in ``wanted`` whose value on the server is different."""
    diff = {}
    for key, value in asdict(wanted).items():
        if value is None or key in ("name", "durable_name"):
            continue
        now = getattr(current, key, None)
        if hasattr(now, "value") and not hasattr(value, "value"):
            now = now.value
        if hasattr(value, "value"):
            value = value.value
        if now != value:
            diff[key] = (now, value)
    return diff


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    try:
        info = await js.stream_info(config.name)
    except NotFoundError:
        await js.add_stream(config)
        log.info("bootstrap.stream_created", stream=config.name)
        return
    diff = _differs(config, info.config)
    if diff:
        await js.update_stream(config)
        log.info("bootstrap.stream_updated", stream=config.name, changes=str(diff))


async def ensure_consumer(js: JetStreamContext, consumer: topology.Consumer) -> None:
    config = consumer.config()
    try:
        info = await js.consumer_info(topology.subjects.STREAM, consumer.durable)
    except NotFoundError:
        await js.add_consumer(topology.subjects.STREAM, config)
        log.info("bootstrap.consumer_created", consumer=consumer.durable)
        return
    diff = _differs(config, info.config)
    if diff:
        # The server keeps a durable's first config: update it explicitly.
        await js.add_consumer(topology.subjects.STREAM, config)
        log.info("bootstrap.consumer_updated", consumer=consumer.durable, changes=str(diff))


async def ensure_bucket(js: JetStreamContext, bucket: topology.Bucket, replicas: int) -> None:
    config = KeyValueConfig(
        bucket=bucket.name,
        description=bucket.description,
        history=bucket.history,
        ttl=bucket.ttl,
        storage=StorageType.FILE,
        replicas=replicas,
        **bucket.extra,
    )
    try:
        await js.key_value(bucket.name)
    except (BucketNotFoundError, NotFoundError):
        await js.create_key_value(config)
        log.info("bootstrap.bucket_created", bucket=bucket.name)
        return
    info = await js.stream_info(f"KV_{bucket.name}")
    wanted_age = bucket.ttl or 0.0
    if (info.config.max_age or 0.0) != wanted_age or info.config.max_msgs_per_subject != bucket.history:
        info.config.max_age = wanted_age
        info.config.max_msgs_per_subject = bucket.history
        await js.update_stream(info.config)
        log.info("bootstrap.bucket_updated", bucket=bucket.name)


async def bootstrap(url: str, replicas: int = 1, nc: nats.NATS | None = None) -> None:
    own = nc is None
    if own:
        nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=5)
    try:
        js = nc.jetstream()
        for stream in topology.stream_configs(replicas):
            await ensure_stream(js, stream)
        for consumer in topology.CONSUMERS:
            await ensure_consumer(js, consumer)
        for bucket in topology.BUCKETS:
            await ensure_bucket(js, bucket, replicas)
    finally:
        if own:
            await nc.close()


def main() -> int:
    settings = ServiceSettings(service_name="bootstrap")
    configure_logging("bootstrap", settings.log_level, settings.log_format)

    async def run() -> None:
        nc = await connect(settings)
        try:
            await bootstrap(settings.nats_url, settings.stream_replicas, nc=nc)
        finally:
            await nc.close()

    asyncio.run(run())
    log.info("bootstrap.done", nats_url=redact(settings.nats_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
