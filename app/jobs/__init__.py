"""Durable jobs: a transactional outbox relayed to Dramatiq (see ARCHITECTURE.md, "Outbox").

    from app.jobs import enqueue, job, JobContext, JobRuntime, job_status, wait_for

The broker is a wake-up signal; the database is the truth. A job is an outbox row written in the caller's
transaction; its handler's effects commit together with the row's done-mark.
"""

from app.jobs.outbox import enqueue, job_status, wait_for
from app.jobs.registry import FetchContext, JobContext, job
from app.jobs.runtime import JobRuntime

__all__ = ["FetchContext", "JobContext", "JobRuntime", "enqueue", "job", "job_status", "wait_for"]
