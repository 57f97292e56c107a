"""The same pipeline on Redis and RabbitMQ (real services on loopback, a namespace of their own per test), and the
start-up error for an unreachable broker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from app.db import Database
from app.errors import ConfigurationError
from app.jobs import JobRuntime
from app.jobs.probe import run_probe
from tests.conftest import make_settings, require_service
from tests.jobs.conftest import StartRuntime, closed_port, dead_letters

pytestmark = pytest.mark.services


@pytest.fixture
def redis_url() -> Iterator[str]:
    require_service("redis")
    import redis

    namespace = f"taxrecon-test-{uuid.uuid4().hex[:10]}"
    yield f"redis://127.0.0.1:6379/0?namespace={namespace}"
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    keys = list(client.scan_iter(f"{namespace}*"))
    if keys:
        client.delete(*keys)
    assert not list(client.scan_iter(f"{namespace}*"))


@pytest.fixture
def amqp_url() -> Iterator[str]:
    require_service("rabbitmq")
    import pika

    namespace = f"taxrecon-test-{uuid.uuid4().hex[:10]}"
    yield f"amqp://guest:guest@127.0.0.1:5672/%2F?namespace={namespace}"
    connection = pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/%2F"))
    channel = connection.channel()
    for suffix in ("", ".DQ", ".XQ"):
        channel.queue_delete(f"{namespace}-default{suffix}")
    connection.close()


async def test_redis_pipeline_runs_retries_and_dead_letters(db: Database, start_runtime: StartRuntime,
                                                            redis_url: str) -> None:
    runtime = await start_runtime(broker_url=redis_url, job_max_retries=1)
    assert type(runtime.broker).__name__ == "RedisBroker"

    ok = await run_probe(db, count=30, timeout=30)
    retried = await run_probe(db, count=3, fail_attempts=1, timeout=30)
    dead = await run_probe(db, count=2, fail_attempts=5, timeout=30)

    assert (ok.completed, ok.dead, ok.retried) == (30, 0, 0)
    assert (retried.completed, retried.dead, retried.retried) == (3, 0, 0)
    assert (dead.completed, dead.dead) == (0, 2)
    assert sorted((d.reason, d.attempts) for d in await dead_letters(db)) == [("retries_exhausted", 2)] * 2


async def test_rabbitmq_pipeline_confirms_delivery_and_runs(db: Database, start_runtime: StartRuntime,
                                                            amqp_url: str) -> None:
    runtime = await start_runtime(broker_url=amqp_url)
    assert type(runtime.broker).__name__ == "RabbitmqBroker"
    assert runtime.broker.confirm_delivery is True  # type: ignore[union-attr]
    assert runtime.actors["jobs.probe"].queue_name.endswith("-default")

    report = await run_probe(db, count=20, timeout=30)

    assert (report.completed, report.dead, report.retried) == (20, 0, 0)


@pytest.mark.parametrize(
    ("broker_url", "shown"),
    [
        ("redis://:hunter2-secret@127.0.0.1:{port}/0", "redis://:***@127.0.0.1:{port}/0"),
        ("amqp://guest:hunter2-secret@127.0.0.1:{port}/%2F", "amqp://guest:***@127.0.0.1:{port}/%2F"),
    ],
    ids=["redis_case", "amqp_case"],
)
async def test_unreachable_broker_is_a_clear_error_without_the_password(database_url: str, db: Database,
                                                                       broker_url: str, shown: str) -> None:
    port = closed_port()
    runtime = JobRuntime.from_settings(make_settings(database_url, broker_url=broker_url.format(port=port)), db)

    with pytest.raises(ConfigurationError) as caught:
        await runtime.start(embedded_worker=False)

    assert caught.value.code == "BROKER_UNREACHABLE"
    assert caught.value.message.startswith(f"the broker at {shown.format(port=port)} is unreachable (")
    assert "hunter2" not in caught.value.message
    with pytest.raises(ConfigurationError):
        await runtime.ping()
