"""Files a person asks ptdv to write (a report, an export): what goes wrong is said in their language,
the same way from the app and from the command line.

Every such file is written by :func:`write_file`: readable by its owner only (or by the store's group in
the store's own shared folder), whole or not at all (a temporary file beside it, then a rename), and never
through a symbolic link.  Text cells of a csv go through :func:`csv_cell`, so no spreadsheet runs them as
formulas."""
from __future__ import annotations

import errno
import os
import secrets
import stat
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Iterator

from db.errors import PtdvError
from db.store.files import new_file_mode as store_file_mode
from db.text import safe

PRIVATE = 0o600
GROUP_READ = 0o640   # in the store's folder when that folder is shared with a group
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula (OWASP)


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
    if exc.errno == errno.ELOOP:
        return PtdvError("ui.report.link", path=safe(str(path)))
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


def write_file(path: Path, data: bytes, store_folder: Path | None = None) -> None:
    """Write ``data`` to ``path`` as a whole: into a new temporary file of an unguessable name in the same
    folder (never following a link), synced, then renamed over ``path``; a failure (a full disk) removes the
    temporary file and leaves ``path`` as it was.  The file is the owner's only (0600), or also readable by
    the group (0640) when ``path`` lies in ``store_folder``, the store's folder, and that folder is shared
    with a group.  A ``path`` that is a symbolic link, a folder or anything but a plain file is refused."""
    with writing(path):
        _check_target(path)
        folder = path.parent
        tmp = folder / f".{path.name}.{secrets.token_hex(8)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE)
        try:
            try:
                os.fchmod(fd, _mode(fd, folder, store_folder))
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
        with suppress(OSError):  # the rename itself durable; a folder that cannot be opened still has it
            dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _check_target(path: Path) -> None:
    """Refuse to replace a link (a name that points elsewhere), a folder or a device, pipe or socket."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise PtdvError("ui.report.link", path=safe(str(path)))
    if stat.S_ISDIR(st.st_mode):
        raise PtdvError("ui.report.is_folder", path=safe(str(path)))
    if not stat.S_ISREG(st.st_mode):
        raise PtdvError("ui.report.not_a_file", path=safe(str(path)))


def _mode(fd: int, folder: Path, store_folder: Path | None) -> int:
    """0640 in the store's shared folder, the file given the folder's group; 0600 everywhere else (and when
    the file cannot be given that group)."""
    if store_folder is None:
        return PRIVATE
    try:
        if not os.path.samefile(folder, store_folder) or store_file_mode(store_folder) == PRIVATE:
            return PRIVATE
        group = os.stat(folder).st_gid
        if os.fstat(fd).st_gid != group:
            os.fchown(fd, -1, group)
    except OSError:
        return PRIVATE
    return GROUP_READ


def start_folder() -> Path:
    """Where the app offers to write a file: the folder ptdv was started from, or the home folder when that
    folder was removed meanwhile."""
    try:
        return Path.cwd()
    except OSError:
        return Path.home()


# -- csv ----------------------------------------------------------------------------------------------
def _formula_like(text: str) -> bool:
    """Text a spreadsheet would run as a formula, or such text already escaped with a leading ``'``."""
    return text.startswith(FORMULA_START) or (text.startswith("'") and _formula_like(text[1:]))


def csv_cell(value: object) -> object:
    """A cell as a csv holds it: numbers as they are, text that looks like a formula (``=HYPERLINK(…)``,
    ``+84…``, ``-``) after a ``'`` so a spreadsheet shows it as text; :func:`csv_text` undoes it."""
    if isinstance(value, str) and _formula_like(value):
        return "'" + value
    return value


def csv_text(text: str) -> str:
    """A csv cell as ptdv wrote it, back: the ``'`` :func:`csv_cell` put before a formula-like text removed."""
    return text[1:] if text.startswith("'") and _formula_like(text[1:]) else text
