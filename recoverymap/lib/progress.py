"""A one-line progress bar for management commands, drawn only on a terminal."""

import sys


def is_terminal(stream) -> bool:
    """Whether a command's stdout/stderr (an OutputWrapper) writes to a terminal."""
    target = getattr(stream, "_out", stream)
    return hasattr(target, "isatty") and target.isatty()


class ProgressBar:
    """``meetings  [#########.....]  62%  155,000/250,000``, redrawn in place.

    Call it with ``(stage, done, total)``; a new stage keeps the finished one's line.
    ``for_stream`` gives None when the stream is not a terminal, so logs and CI
    output get the command's summary only."""

    width = 30

    def __init__(self, stream):
        self.stream = getattr(stream, "_out", stream) or sys.stderr
        self.stage = None

    @classmethod
    def for_stream(cls, stream) -> "ProgressBar | None":
        return cls(stream) if is_terminal(stream) else None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage and self.stage is not None:
            self.stream.write("\n")
        self.stage = stage
        if total:
            filled = self.width * done // total
            bar = "#" * filled + "." * (self.width - filled)
            line = f"{stage:<10} [{bar}] {100 * done // total:3d}%  {done:,}/{total:,}"
        else:
            line = f"{stage:<10} {done:,}"
        self.stream.write("\r" + line)
        self.stream.flush()

    def close(self) -> None:
        if self.stage is not None:
            self.stream.write("\n")
            self.stream.flush()
