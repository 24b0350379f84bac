"""The systemd units of the ptdv service (issue 15): ``ptdv.socket`` and ``ptdv.service`` as text, made from the
paths and names an installation chose, and the places the service's sandbox hides from it.

Pure: nothing here reads a file or runs a command (``tui/install_service.py`` makes the account and the folders
and writes these units).

- ``ptdv.socket`` listens on the socket: systemd makes it (owner the service account, group the staff, mode 0660,
  so only root, the account and the staff may connect) and hands it to the service (socket activation).
- ``ptdv.service`` runs ``ptdv serve`` as the service account, restarted when it fails, in a sandbox: the whole
  file system read-only but for the store's folder and the audit sink's folder, no home folders, a /tmp of its
  own, no devices, no capabilities, no socket but a Unix one, no privileges gained by running a program.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from .errors import PtdvError

SOCKET_UNIT = "ptdv.socket"
SERVICE_UNIT = "ptdv.service"
RESTART_SEC = 2
# What the sandbox of ptdv.service hides from the service: ProtectHome=yes makes these folders empty and
# inaccessible, PrivateTmp=yes gives it a /tmp and /var/tmp of its own.  A program, a store or a sink there
# cannot be used by the service.
HIDDEN = {"/home": "ProtectHome", "/root": "ProtectHome", "/run/user": "ProtectHome",
          "/tmp": "PrivateTmp", "/var/tmp": "PrivateTmp"}
# Paths written into a unit as they are: systemd would read a space, a quote, a backslash, % or $ in them as
# something else (a separator, quoting, a specifier, a variable).
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9_./@+,:=-]*")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}")  # an account or a group (useradd's and groupadd's names)


@dataclass(frozen=True)
class Installation:
    """What the units are made of.  Paths are absolute; ``store`` is the store's catalogue (``--db``)."""

    ptdv: PurePosixPath        # the ptdv program the service runs
    store: PurePosixPath
    socket: PurePosixPath
    staff: str                 # the group whose members may connect to the socket
    account: str               # the service account, the only one that opens the store's files
    audit_sink: PurePosixPath  # the file every audit entry is also appended to, outside the store's folder

    def __post_init__(self) -> None:
        for path in (self.ptdv, self.store, self.socket, self.audit_sink):
            if not _PLAIN_PATH.fullmatch(str(path)) or path.name in ("", ".", ".."):
                raise PtdvError("install.bad_path", path=str(path))
        for name in (self.staff, self.account):
            if not _NAME.fullmatch(name):
                raise PtdvError("install.bad_name", name=name)

    @property
    def store_folder(self) -> PurePosixPath:
        return self.store.parent

    @property
    def sink_folder(self) -> PurePosixPath:
        return self.audit_sink.parent

    def serve_argv(self) -> list[str]:
        """The command the service runs."""
        return [str(self.ptdv), "serve", "--db", str(self.store), "--socket", str(self.socket),
                "--group", self.staff, "--audit-sink", str(self.audit_sink)]


def hidden_by(path: PurePosixPath) -> str | None:
    """The option of ptdv.service that hides ``path`` (absolute, links resolved) from the service, or None."""
    for place, option in HIDDEN.items():
        if path == PurePosixPath(place) or PurePosixPath(place) in path.parents:
            return option
    return None


def socket_unit(inst: Installation) -> str:
    return f"""\
[Unit]
Description=ptdv: the socket staff of the group {inst.staff} reach the ptdv service on

[Socket]
ListenStream={inst.socket}
SocketUser={inst.account}
SocketGroup={inst.staff}
SocketMode=0660
# the folder systemd makes for the socket belongs to root: staff must be able to pass it (the socket's own
# mode and group decide who connects)
DirectoryMode=0755
# the socket file goes when the socket stops (the restore of the README): staff are told the service is not
# running (No such file or directory), not "Connection refused" from a socket left behind
RemoveOnStop=yes

[Install]
WantedBy=sockets.target
"""


def service_unit(inst: Installation) -> str:
    return f"""\
[Unit]
Description=ptdv: the service that owns the store {inst.store}
Requires={SOCKET_UNIT}
After={SOCKET_UNIT}
# a service that cannot start (no store yet, a folder others may enter) is given up at its fifth start within a
# minute (every start counts, a good one too): the socket fails too and staff waiting on it are told at once.  systemd's default (five starts in
# ten seconds) is never reached with RestartSec and Python's start: it restarted every 2.5 s for ever while a
# client waited (seen under systemd 252)
StartLimitIntervalSec=60
StartLimitBurst=5

[Service]
Type=simple
User={inst.account}
ExecStart={" ".join(inst.serve_argv())}
Restart=on-failure
RestartSec={RESTART_SEC}
UMask=0077
Environment=PYTHONDONTWRITEBYTECODE=1
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths={inst.store_folder} {inst.sink_folder}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
ProtectProc=invisible
PrivateMounts=yes
RemoveIPC=yes
CapabilityBoundingSet=
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM

[Install]
# started at boot, so the first staff session finds the read model in memory
WantedBy=multi-user.target
Also={SOCKET_UNIT}
"""


def units(inst: Installation) -> dict[str, str]:
    """The units' file names and texts."""
    return {SOCKET_UNIT: socket_unit(inst), SERVICE_UNIT: service_unit(inst)}
