"""JSON log lines, one per event, shaped like Hasura's: {timestamp, level, type, detail}."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}
_NAMES = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warn",
    logging.ERROR: "error",
}

logger = logging.getLogger("livegres")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        detail: Any = getattr(record, "detail", None)
        if detail is None:
            detail = {"message": record.getMessage()}
            if record.exc_info:
                detail["exception"] = self.formatException(record.exc_info)
        line = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": _NAMES.get(record.levelno, "error"),
            "type": getattr(record, "log_type", "startup"),
            "detail": detail,
        }
        return orjson.dumps(line, default=str).decode()


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    for name in ("livegres", "uvicorn.error"):
        logging.getLogger(name).setLevel(_LEVELS[level])
    # Uvicorn's own access log is replaced by our http-log middleware.
    logging.getLogger("uvicorn.access").disabled = True


def enabled(level: str) -> bool:
    """Whether a line of this level would be written (to skip building one that would not)."""
    return logger.isEnabledFor(_LEVELS[level])


def log(level: str, log_type: str, detail: Any) -> None:
    """Write one structured line: ``log("info", "http-log", {...})``."""
    logger.log(_LEVELS[level], "%s", log_type, extra={"log_type": log_type, "detail": detail})


def info(message: str, **fields: Any) -> None:
    log("info", "startup", {"message": message, **fields})


def warn(message: str, **fields: Any) -> None:
    log("warn", "startup", {"message": message, **fields})


def error(message: str, **fields: Any) -> None:
    log("error", "startup", {"message": message, **fields})
