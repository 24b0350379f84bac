"""Files a person asks ptdv to write (a report, an export): what goes wrong is said in their language,
the same way from the app and from the command line."""
from __future__ import annotations

import errno
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from db.errors import PtdvError
from db.text import safe


def write_error(path: Path, exc: OSError) -> PtdvError:
    """What went wrong writing ``path``, said in the user's language rather than the system's."""
    if exc.errno in (errno.ENOENT, errno.ENOTDIR) and not path.parent.is_dir():
        return PtdvError("ui.report.no_folder", folder=safe(str(path.parent)))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return PtdvError("ui.report.no_permission", path=safe(str(path)))
    if exc.errno == errno.EISDIR:
        return PtdvError("ui.report.is_folder", path=safe(str(path)))
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return PtdvError("ui.report.disk_full", path=safe(str(path)))
    return PtdvError("ui.report.write_failed", path=safe(str(path)), detail=exc.strerror or str(exc))


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Write ``path`` in the block; a refusal of the system becomes :func:`write_error`'s message."""
    try:
        yield
    except OSError as exc:
        raise write_error(path, exc) from exc
    except ValueError as exc:  # a name the system refuses (a NUL character)
        raise PtdvError("ui.report.write_failed", path=safe(str(path)), detail=safe(str(exc))) from exc
