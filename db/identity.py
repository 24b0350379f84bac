"""Who is running ptdv: an OS account the kernel names, never an option, a variable or a name a caller sends.

Embedded (a store in a file), that is the process's own effective uid: under ``sudo -u X`` it is X.  A service
acting for others learns each caller's uid from the kernel, from the Unix socket it was reached on
(``SO_PEERCRED``): nothing the caller writes on the socket takes part.
"""
from __future__ import annotations

import os
import pwd
import socket
import struct
from dataclasses import dataclass

from .errors import PtdvError

_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


@dataclass(frozen=True)
class Caller:
    uid: int
    account: str

    @classmethod
    def of_process(cls) -> "Caller":
        """The account this process runs as (its effective uid); ``uid<N>`` when the system names none."""
        uid = os.geteuid()
        try:
            return cls(uid, pwd.getpwuid(uid).pw_name)
        except KeyError:
            return cls(uid, f"uid{uid}")

    @classmethod
    def of_peer(cls, sock: socket.socket) -> "Caller":
        """The account of the process at the other end of the connected Unix socket ``sock``, as the kernel
        recorded it when the connection was made."""
        _pid, uid, _gid = _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))
        try:
            return cls(uid, pwd.getpwuid(uid).pw_name)
        except KeyError:
            raise PtdvError("identity.no_account", uid=uid) from None


def current_user() -> str:
    return Caller.of_process().account
