"""Structured logging: JSON lines in production, readable lines in development.

Secrets never reach a log: `redact()` masks known secret shapes in every message and extra field before it is
formatted (Shopify tokens `shpat_…`/`shpca_…`, Fernet keys, `Bearer …`, API keys `trk_…`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from app.config import Settings

_SECRET_PATTERNS = [
    re.compile(r"shp(?:at|ca|pa|ss)_[A-Za-z0-9]+"),
    re.compile(r"trk_[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._\-]+"),
    re.compile(r"gAAAAA[A-Za-z0-9_\-=]{20,}"),  # Fernet tokens
    re.compile(r"(?i)(password|secret|token|access_token|api_key)=([^&\s]+)"),
]
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(0)[:4] + "…[redacted]" if m.lastindex is None
                           else f"{m.group(1)}=[redacted]", text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, redact(value))
        # Tracebacks too: formatters reuse a cached exc_text, so every handler prints the redacted one.
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        payload.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS})
        if record.exc_info:
            payload["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)


_factory_installed = False


def install_redaction() -> None:
    """Redact every log record at creation, so that every handler (files, pytest's caplog, Sentry) sees it masked."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        RedactingFilter().filter(record)
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def configure_logging(settings: Settings) -> None:
    install_redaction()
    fmt = settings.log_format
    if fmt == "auto":
        fmt = "json" if settings.env == "production" else "console"
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for noisy in ("httpx", "httpcore", "pika", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
