"""The Dramatiq broker, built explicitly from `Settings.broker_url`, with an ordered middleware list.

- `memory://` → `StubBroker`: in-process queues for the embedded mode (`taxrecon serve`); durable only because of
  the outbox (on start, every pending row is re-sent). `join()` does not raise on dead letters
  (`fail_fast_default=False`): dead letters are recorded in the database, not re-raised into callers.
- `redis://host:port/db` → `RedisBroker`: heartbeat timeout 15 s and a 1 % maintenance chance, so messages held by
  a killed worker go back on the queue within seconds of traffic instead of the default 60 s / 0.1 %. (The sweeper
  re-sends the rows anyway; the broker's own redelivery is then a harmless duplicate. A worker whose threads are all
  busy for longer than the heartbeat timeout also gets its messages redelivered: duplicates again, which the
  executor's claim turns into no-ops.)
- `amqp://user:pw@host/vhost` → `RabbitmqBroker(confirm_delivery=True)`: an enqueue returns only once RabbitMQ
  has accepted the message.
A `namespace` query parameter (`redis://127.0.0.1/0?namespace=acme`) isolates deployments (and test runs) that share
a broker: it is the Redis key namespace, and a queue-name prefix on RabbitMQ.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AgeLimit, AsyncIO, Middleware, Retries, TimeLimit

from app.config import Settings
from app.errors import ConfigurationError

REDIS_HEARTBEAT_TIMEOUT_MS = 15_000
REDIS_MAINTENANCE_CHANCE = 10_000  # out of 1,000,000 commands
TIME_LIMIT_GRACE_MS = 5_000
_NAMESPACE_RE = r"^[A-Za-z0-9_\-]{1,64}$"


def redacted_url(url: str) -> str:
    """The URL with its password replaced by `***` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


@dataclass(frozen=True)
class BrokerTarget:
    """Where the broker is: the URL without our own query parameters, the kind, and the namespace."""

    kind: str
    url: str
    namespace: str

    @classmethod
    def parse(cls, settings: Settings) -> BrokerTarget:
        import re

        parts = urlsplit(settings.broker_url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        namespace = next((v for k, v in query if k == "namespace"), "dramatiq" if settings.broker_kind == "redis"
                         else "")
        if namespace and not re.match(_NAMESPACE_RE, namespace):
            raise ConfigurationError(
                f"TAXRECON_BROKER_URL: namespace {namespace!r} must be 1-64 letters, digits, '-' or '_'")
        rest = urlencode([(k, v) for k, v in query if k != "namespace"])
        return cls(settings.broker_kind, urlunsplit(parts._replace(query=rest)), namespace)

    def queue_name(self, queue: str) -> str:
        """The broker-side queue name (RabbitMQ has no key namespace, so the namespace prefixes queue names)."""
        return f"{self.namespace}-{queue}" if self.kind == "amqp" and self.namespace else queue


def build_middleware(settings: Settings, worker_middleware: list[Middleware]) -> list[Middleware]:
    """The middleware, in order. Dramatiq calls `before_*` hooks in this order and `after_*` hooks in reverse."""
    return [
        # 1. Age limit: a message older than job_max_age_ms is skipped; the dead-letter recorder (below) then marks
        #    its row dead. The timestamp survives retries (a sweeper re-send starts a new one), so this caps how
        #    long one delivery may keep retrying; the database's attempt count caps the rest.
        AgeLimit(max_age=settings.job_max_age_ms),
        # 2. Time limit: a backstop that interrupts a worker thread stuck past the job's limit + grace. The normal
        #    limit is enforced inside the event loop (asyncio.timeout), which cancels the handler cleanly.
        TimeLimit(time_limit=settings.job_time_limit_ms + TIME_LIMIT_GRACE_MS, interval=1000),
        # 3. AsyncIO: one event-loop thread per worker process; async actors run on it.
        AsyncIO(),
        # 4. Worker resources + dead-letter recorder (app.jobs.worker): build the worker's Database inside that
        #    loop (so they must come after AsyncIO), and record what Dramatiq gives up on. The recorder sits before
        #    Retries so that its after-hook runs after Retries has decided whether the message failed.
        *worker_middleware,
        # 5. Retries with bounded exponential backoff; the executor passes its own delay via Retry(delay=...) and
        #    raises JobDeadLettered (an actor `throws`) once the database says the budget is spent.
        Retries(max_retries=settings.job_max_retries, min_backoff=settings.job_min_backoff_ms,
                max_backoff=settings.job_max_backoff_ms),
    ]


def build_broker(settings: Settings, target: BrokerTarget, middleware: list[Middleware]) -> dramatiq.Broker:
    if target.kind == "memory":
        return StubBroker(middleware=middleware, fail_fast_default=False)
    if target.kind == "redis":
        import redis
        from dramatiq.brokers.redis import RedisBroker

        client = redis.Redis.from_url(target.url, socket_connect_timeout=3, socket_timeout=30,
                                      health_check_interval=30)
        return RedisBroker(client=client, namespace=target.namespace, middleware=middleware,
                           heartbeat_timeout=REDIS_HEARTBEAT_TIMEOUT_MS, maintenance_chance=REDIS_MAINTENANCE_CHANCE)
    if target.kind == "amqp":
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        url = _with_default_query(target.url, connection_attempts="2", retry_delay="1", socket_timeout="5",
                                  heartbeat="30")
        return RabbitmqBroker(url=url, confirm_delivery=True, middleware=middleware)
    raise ConfigurationError(f"unsupported broker URL {redacted_url(settings.broker_url)}")


def _with_default_query(url: str, **defaults: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key, value in defaults.items():
        query.setdefault(key, value)
    return urlunsplit(parts._replace(query=urlencode(query)))


def ping_broker(broker: dramatiq.Broker, settings: Settings) -> None:
    """Raise ConfigurationError (naming the URL without its password) when the broker cannot be reached."""
    try:
        if broker.__class__.__name__ == "RedisBroker":
            broker.client.ping()  # type: ignore[attr-defined]
        elif broker.__class__.__name__ == "RabbitmqBroker":
            _ping_rabbitmq(broker)
    except Exception as exc:
        raise ConfigurationError(
            f"the broker at {redacted_url(settings.broker_url)} is unreachable ({type(exc).__name__})",
            code="BROKER_UNREACHABLE",
        ) from None


def _ping_rabbitmq(broker: dramatiq.Broker) -> None:
    """pika connections are per thread and idle ones get closed by the server: retry once on a fresh one."""
    try:
        broker.connection.process_data_events(time_limit=0)  # type: ignore[attr-defined]
    except Exception:
        del broker.connection  # type: ignore[attr-defined]
        broker.connection.process_data_events(time_limit=0)  # type: ignore[attr-defined]
