"""The process that lays an audit report out (started by :mod:`.layout_process`).

    python -m server.audit.report.layout_child MEMORY_BYTES

It reads the report's title and steps (``marshal``: plain data only) on its standard
input, writes the PDF on its standard output and ends with status 0; on any failure, a
traceback on its standard error and another status. Its address space is capped at
``MEMORY_BYTES`` (0: no cap), and it ends itself within a quarter of a second once the
process that started it is gone (a server killed does not leave it running)."""

from __future__ import annotations

import marshal
import os
import resource
import sys
import threading
import time

ORPHANED = 3
"""The status it ends with when the server that started it is gone."""


def _end_once_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.25)
    os._exit(ORPHANED)


def _cap_memory(limit: int) -> None:
    if limit > 0:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        capped = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (capped, hard))


def main() -> None:
    threading.Thread(target=_end_once_orphaned, args=(os.getppid(),), daemon=True).start()
    _cap_memory(int(sys.argv[1]))
    title, steps = marshal.loads(sys.stdin.buffer.read())
    from server.audit.report.layout import lay_out  # ReportLab: in this process alone

    sys.stdout.buffer.write(lay_out(title, steps))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
