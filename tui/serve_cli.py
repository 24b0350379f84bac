"""``ptdv serve``: run the service that owns a shared store (db/server.py; docs/SERVICE.md)."""
from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from db.server import serve as run_service


@click.command("serve")
@click.option("--db", "store", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The store the service owns (its folder: the service account's alone, mode 0700).")
@click.option("--socket", "socket_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to listen (e.g. /run/ptdv/ptdv.sock); not needed when systemd passes the socket.")
@click.option("--group", help="The staff group that may connect (the socket is made 0660 of this group).")
@click.option("--audit-sink", "sink", type=click.Path(dir_okay=False, path_type=Path),
              help="A file of the service account that gets a copy of every audit entry "
                   "(e.g. /var/log/ptdv/audit.jsonl).")
@click.pass_obj
def serve(ses, store: Path, socket_path: Path | None, group: str | None, sink: Path | None) -> None:
    """Serve a shared store to the staff group over a Unix socket (run as the service account)."""

    def report(exc: BaseException) -> None:
        print("ptdv serve: " + "".join(traceback.format_exception(exc)), file=sys.stderr, flush=True)

    def ready(address: str) -> None:
        print(ses.t("cli.serve.ready", socket=address, store=store), file=sys.stderr, flush=True)

    run_service(store, socket_path, group, sink, report, ready)
