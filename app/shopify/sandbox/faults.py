"""Fault injection for tests: 5xx every Nth request, 429 with Retry-After every Nth (or whenever the bucket is empty),
bulk failure after N objects."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field


@dataclass
class FaultPlan:
    fail_every: int | None = None          # every Nth GraphQL request answers `server_error_status`
    server_error_status: int = 503
    throttle_every: int | None = None      # every Nth GraphQL request answers 429 with Retry-After
    retry_after: float = 1.0
    bulk_fail_after: int | None = None     # a bulk operation fails once it would write more objects than this
    throttle_as_429: bool = False          # an empty bucket answers HTTP 429 + Retry-After instead of THROTTLED/200
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def next_fault(self) -> tuple[int, dict, dict] | None:
        """(status, headers, body) to answer instead of executing, or None."""
        with self._lock:
            self.requests += 1
            n = self.requests
        if self.throttle_every and n % self.throttle_every == 0:
            return 429, {"Retry-After": f"{self.retry_after:g}"}, {"errors": "Exceeded 2 calls per second for api "
                                                                              "client. Reduce request rates to resume "
                                                                              "uninterrupted service."}
        if self.fail_every and n % self.fail_every == 0:
            return self.server_error_status, {}, {"errors": "Internal Server Error (injected by the sandbox)"}
        return None

    def update(self, values: dict) -> None:
        allowed = {"fail_every", "server_error_status", "throttle_every", "retry_after", "bulk_fail_after",
                   "throttle_as_429"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        for key, value in values.items():
            setattr(self, key, value)

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}
