"""A second user of a store, run as its own process by tests/test_store.py.

    python tests/store_worker.py STORE UNIT COUNT

adds COUNT candidates (0: until killed) to UNIT through the service API and prints the id
of each one as soon as ``add_candidate`` has returned, flushed, one per line: a line on
stdout means the write was acknowledged to its user.
"""
from __future__ import annotations

import itertools
import os
import sys

from db.service import Service
from db.store import Store

from conftest import spelled


def main(path: str, unit: str, count: int) -> None:
    service = Service(Store(path))
    numbers = itertools.count(1) if count == 0 else range(1, count + 1)
    for n in numbers:
        cand = service.add_candidate(int(unit), f"Quần chúng {spelled(os.getpid(), n)}")
        print(cand.id, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
