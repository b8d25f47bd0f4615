"""Logging helpers for settings.LOGGING."""

import logging


class WarningWithoutTraceback(logging.Filter):
    """Logs the record as one warning line: its level lowered to WARNING, its traceback
    dropped. For errors that are the client's doing (a bad Host header), which Django
    logs as errors with a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno = logging.WARNING
            record.levelname = logging.getLevelName(logging.WARNING)
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
