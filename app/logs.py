"""Logging that never carries a secret: feed tokens and API keys are redacted from every record
(the access log prints request paths, and a feed URL is its own secret)."""

from __future__ import annotations

import logging
import re

SECRET = re.compile(r"(/feeds/)[^/?\s\"]+|\b(sp_live_|spf_)[A-Za-z0-9_\-]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Replace feed tokens and API keys in `text`."""
    return SECRET.sub(lambda m: (m.group(1) or m.group(2)) + REDACTED, text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and arguments before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def install_redaction(*names: str) -> None:
    """Attach the filter to the named loggers (once each)."""
    for name in names or ("uvicorn.access", "uvicorn.error", "app"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
