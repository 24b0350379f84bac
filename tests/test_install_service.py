"""The ptdv service under systemd (issue 15 item 4): the units pass ``systemd-analyze verify`` and its offline
security review, and say what the issue asks."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest

from db.errors import PtdvError
from db.systemd_units import Installation, hidden_by, units


def fake_program(path: Path) -> Path:
    """An executable file where the units' ExecStart names ptdv."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def sections(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as systemd reads it: each section's keys, with every value given (in order)."""
    found: dict[str, dict[str, list[str]]] = {}
    section = None
    for line in text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            section = found.setdefault(line[1:-1], {})
        elif line and not line.startswith("#"):
            key, _, value = line.partition("=")
            section.setdefault(key, []).append(value)
    return found


# -- the units ------------------------------------------------------------------------------------------------
@pytest.fixture
def written_units(tmp_path) -> tuple[Path, Installation]:
    inst = Installation(PurePosixPath(fake_program(tmp_path / "bin" / "ptdv")), PurePosixPath("/var/lib/ptdv/ptdv.json"),
                        PurePosixPath("/run/ptdv/ptdv.sock"), "ptdvstaff", "ptdv",
                        PurePosixPath("/var/log/ptdv/audit.jsonl"))
    folder = tmp_path / "units"
    folder.mkdir()
    for name, text in units(inst).items():
        (folder / name).write_text(text)
    return folder, inst


needs_systemd_analyze = pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")


@needs_systemd_analyze
def test_the_units_pass_systemd_analyze_verify(written_units):
    folder, _ = written_units
    done = subprocess.run(["systemd-analyze", "verify", "ptdv.socket", "ptdv.service"], cwd=folder,
                          capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")   # not a warning, not an unknown key

    service = folder / "ptdv.service"   # and the check sees what is wrong: a misspelt value is said
    service.write_text(service.read_text().replace("ProtectSystem=strict", "ProtectSystem=strikt"))
    done = subprocess.run(["systemd-analyze", "verify", "ptdv.service"], cwd=folder, capture_output=True, text=True)
    assert "strikt" in done.stderr


@needs_systemd_analyze
def test_systemd_analyze_security_rates_the_service_exposure_at_most_2(written_units):
    folder, _ = written_units
    done = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--threshold=20", "ptdv.service"],
                          cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-400:] + done.stderr


def test_the_units_listen_for_the_staff_and_run_the_service_in_a_sandbox_with_the_store_and_sink_writable(
        written_units):
    folder, inst = written_units
    socket = sections((folder / "ptdv.socket").read_text())["Socket"]
    assert {key: socket[key] for key in ("ListenStream", "SocketUser", "SocketGroup", "SocketMode")} == \
        {"ListenStream": ["/run/ptdv/ptdv.sock"], "SocketUser": ["ptdv"], "SocketGroup": ["ptdvstaff"],
         "SocketMode": ["0660"]}
    unit = sections((folder / "ptdv.service").read_text())
    assert unit["Unit"]["Requires"] == ["ptdv.socket"]
    service = unit["Service"]
    assert service["User"] == ["ptdv"]
    assert service["ExecStart"] == [f"{inst.ptdv} serve --db /var/lib/ptdv/ptdv.json --socket /run/ptdv/ptdv.sock "
                                    "--group ptdvstaff --audit-sink /var/log/ptdv/audit.jsonl"]
    assert service["Restart"] == ["on-failure"]
    assert service["ReadWritePaths"] == ["/var/lib/ptdv /var/log/ptdv"]
    assert {key: service[key] for key in ("ProtectSystem", "NoNewPrivileges", "PrivateTmp", "ProtectHome",
                                          "PrivateDevices", "RestrictAddressFamilies", "UMask",
                                          "CapabilityBoundingSet")} == \
        {"ProtectSystem": ["strict"], "NoNewPrivileges": ["yes"], "PrivateTmp": ["yes"], "ProtectHome": ["yes"],
         "PrivateDevices": ["yes"], "RestrictAddressFamilies": ["AF_UNIX"], "UMask": ["0077"],
         "CapabilityBoundingSet": [""]}
    assert "PrivateUsers" not in service   # in a user namespace of its own, the service would see every caller's
    #                                        uid as "nobody" (SO_PEERCRED)


@pytest.mark.parametrize("path, option", [("/home/an/.local/pipx/venvs/ptdv/bin/ptdv", "ProtectHome"),
                                          ("/root/.pyenv/versions/3.11.7/bin/python3.11", "ProtectHome"),
                                          ("/run/user/1000/ptdv", "ProtectHome"), ("/tmp/ptdv", "PrivateTmp"),
                                          ("/var/tmp/x/ptdv.json", "PrivateTmp"), ("/opt/pipx/venvs/ptdv", None),
                                          ("/var/lib/ptdv", None), ("/homework/ptdv", None)])
def test_the_sandbox_hides_home_folders_and_tmp(path, option):
    assert hidden_by(PurePosixPath(path)) == option


@pytest.mark.parametrize("store, staff, key", [("/srv/my store/ptdv.json", "ptdvstaff", "install.bad_path"),
                                               ("/srv/100%/ptdv.json", "ptdvstaff", "install.bad_path"),
                                               ("srv/ptdv.json", "ptdvstaff", "install.bad_path"),
                                               ("/srv/ptdv/ptdv.json", "staff group", "install.bad_name")])
def test_what_systemd_would_read_as_something_else_is_refused(store, staff, key):
    with pytest.raises(PtdvError) as err:
        Installation(PurePosixPath("/usr/local/bin/ptdv"), PurePosixPath(store), PurePosixPath("/run/ptdv/ptdv.sock"),
                     staff, "ptdv", PurePosixPath("/var/log/ptdv/audit.jsonl"))
    assert err.value.key == key
