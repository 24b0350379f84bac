"""Starts the commands of the whole-process table, one at a time, and reports each one's wall time and peak RSS.

    python benchmarks/launcher.py      # then one JSON object a line on stdin: {"argv": [...], "out": PATH, "err": PATH}

For each line it starts ``argv`` (stdin /dev/null, stdout and stderr to the files), waits for it with
``os.wait4`` and prints one JSON line: ``seconds`` (wall, from just before the start to the end of the wait),
``code`` (exit status), ``rss_mb`` (the child's ``ru_maxrss``) and ``cpu_s`` (its user + system time).

Why a process of its own, kept this small (it imports nothing beyond ``os``, ``sys``, ``json`` and ``time``):
on Linux a child's ``ru_maxrss`` starts from the peak RSS of the process that started it — ``exec`` records
the peak of the memory it replaces, which for a ``vfork``/``posix_spawn`` child is its parent's.  Started by
the harness, which has just generated a metro store, every command would report the harness's peak (600 MB
and more).  Started from here, the floor is this launcher's own peak (about 10 MB, less than any ptdv command).
"""
from __future__ import annotations

import json
import os
import sys
import time

WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


def run(argv: list[str], out: str, err: str) -> dict:
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, out, WRITE, 0o600),
               (os.POSIX_SPAWN_OPEN, 2, err, WRITE, 0o600)]
    begin = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - begin
    return {"seconds": seconds, "code": os.waitstatus_to_exitcode(status), "rss_mb": usage.ru_maxrss / 1024,
            "cpu_s": usage.ru_utime + usage.ru_stime}


def main() -> None:
    for line in sys.stdin:
        job = json.loads(line)
        print(json.dumps(run(job["argv"], job["out"], job["err"])), flush=True)


if __name__ == "__main__":
    main()
