"""Job modules and their Dramatiq actors.

`TASK_MODULES` lists every module that registers jobs with `@job`; a domain adds its `app.<domain>.tasks` here (one
line). `import_all_tasks()` imports those that exist, so a domain not built yet is simply skipped.

`declare_actors()` declares one Dramatiq actor per registered job on a given broker (actor name = job name, queue =
the job's queue). One actor per job, rather than one dispatcher per queue, keeps Dramatiq's per-actor options (retry
budget, time limit) and its logs meaningful. Every actor takes one argument: the outbox row id, or for a batch of
a job declared `batch=True` the list of its rows' ids.
"""

from __future__ import annotations

import importlib
import importlib.util
import uuid

import dramatiq

from app.config import Settings
from app.jobs.batch import run_batch, send_follow_ups
from app.jobs.broker import TIME_LIMIT_GRACE_MS, BrokerTarget
from app.jobs.executor import JobDeadLettered
from app.jobs.registry import JobSpec, registered_jobs
from app.jobs.worker import WorkerResources

TASK_MODULES = [
    "app.jobs.tasks",
    "app.shopify.tasks",
    "app.commerce.tasks",
    "app.tax.tasks",
    "app.ledger.tasks",
    "app.erp.tasks",
    "app.reconciliation.tasks",
    "app.reports.tasks",
]


def import_all_tasks() -> list[str]:
    """Import every job module that exists; returns the names imported."""
    imported = []
    for name in TASK_MODULES:
        parent = name.rsplit(".", 1)[0]
        if importlib.util.find_spec(parent) is None or importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name)
        imported.append(name)
    return imported


def declare_actors(broker: dramatiq.Broker, target: BrokerTarget, settings: Settings,
                   resources: WorkerResources) -> dict[str, dramatiq.Actor]:
    """One actor per registered job on `broker`. In a process without a worker the actors only send."""
    return {name: _declare(broker, target, settings, resources, spec) for name, spec in registered_jobs().items()}


def _declare(broker: dramatiq.Broker, target: BrokerTarget, settings: Settings, resources: WorkerResources,
             spec: JobSpec) -> dramatiq.Actor:
    async def run_job(outbox_id: str | list[str]) -> None:
        """One outbox id (the single-job path), or a list of ids of a batch (`app.jobs.batch`)."""
        executor = resources.executor
        if executor is None:
            raise RuntimeError("this process has no job worker running")
        if isinstance(outbox_id, list):
            outcome = await run_batch(executor, spec, [uuid.UUID(i) for i in outbox_id])
            send_follow_ups(actor, spec, outcome, settings)
            return
        await executor.run(spec, uuid.UUID(outbox_id))

    run_job.__qualname__ = run_job.__name__ = f"run_{spec.name.replace('.', '_')}"
    actor = dramatiq.Actor(
        run_job, broker=broker, actor_name=spec.name, queue_name=target.queue_name(spec.queue), priority=0,
        options={
            "max_retries": spec.retries(settings),
            "min_backoff": settings.job_min_backoff_ms,
            "max_backoff": settings.job_max_backoff_ms,
            "time_limit": spec.time_limit(settings) + TIME_LIMIT_GRACE_MS,
            "max_age": settings.job_max_age_ms,
            "throws": (JobDeadLettered,),
        },
    )
    return actor
