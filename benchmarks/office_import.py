"""How long `ptdv import LIST --dry-run` takes on a ward office's list of 25,000 rows, and how fast calamine
reads a city's export against openpyxl.  Not part of `make bench` nor of the pytest suite.

    .venv/bin/python benchmarks/office_import.py --db /root/bench/ptdv.json --ward "An Hải" [--rows 25000]
        [--export CITY.xlsx]

The store must exist (`ptdv --db … demo`); the list goes to its folder (office-list.xlsx): a title, a
merged heading row over two (Ngày sinh over Nam | Nữ), STT, mixed date forms, a column ptdv has no field for
and a signature block, its rows spread over the ward's branches.  Three runs of the whole process each,
the median printed.  With ``--export``, an xlsx export (`ptdv export --format xlsx`) is read whole by
python-calamine and by openpyxl (read-only), three times each.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Thanh", "Hữu", "Quốc", "Thu", "Đức", "Kim", "Bảo", "Gia"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Khánh", "Lan", "Linh",
         "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"]


def names(count: int, rng: random.Random) -> list[str]:
    """``count`` different names, letters only: a third given name when the pairs run out."""
    out: set[str] = set()
    while len(out) < count:
        parts = [rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN)]
        if rng.random() < 0.7:
            parts.insert(2, rng.choice(GIVEN))
        if rng.random() < 0.5:
            parts.insert(1, rng.choice(FAMILY))
        out.add(" ".join(parts))
    return sorted(out, key=lambda _: rng.random())


def office_list(path: Path, branches: list[str], count: int, today: date) -> None:
    """The list as a ward office keeps it, written with openpyxl (merged cells, date cells)."""
    from openpyxl import Workbook

    rng = random.Random(13)
    book = Workbook()
    sheet = book.active
    sheet.title = "Danh sách"
    sheet["A1"] = "ĐẢNG ỦY PHƯỜNG"
    sheet["A3"] = "DANH SÁCH QUẦN CHÚNG ƯU TÚ"
    sheet.merge_cells("A3:K3")
    head = ["STT", "Họ và tên", "Ngày, tháng, năm sinh", "", "Dân tộc", "Tôn giáo", "Trình độ văn hóa",
            "Nghề nghiệp", "Nơi cư trú", "Ngày học lớp nhận thức về Đảng", "Chi bộ", "Quê quán"]
    sheet.append([])
    sheet.append(head)
    sheet.append(["", "", "Nam", "Nữ"])
    sheet.merge_cells("C5:D5")
    for number, name in enumerate(names(count, rng), start=1):
        born = date(rng.randint(1970, 2004), rng.randint(1, 12), rng.randint(1, 28))
        cell: object = born if number % 3 else born.strftime("%d/%m/%Y" if number % 2 else "%d-%m-%Y")
        male = " Thị " not in f" {name} "
        learnt = today - timedelta(days=rng.randint(40, 700))
        sheet.append([number, name, cell if male else None, None if male else cell, "Kinh",
                      rng.choice(["Không", "Phật giáo", ""]), rng.choice(["12/12", "9/12", "Đại học"]),
                      rng.choice(["Công nhân", "Sinh viên", "Nông dân", "Giáo viên"]), "Tổ 5",
                      learnt if number % 2 else learnt.strftime("%d.%m.%Y"), rng.choice(branches), "Quảng Nam"])
    sheet.append(["Tổng cộng:", f"{count} người"])
    sheet.append([])
    sheet.append(["", "", "", "", "", "", "", "", "Đà Nẵng, ngày 15 tháng 3 năm 2026"])
    sheet.append(["", "NGƯỜI LẬP BIỂU", "", "", "", "", "", "", "T/M ĐẢNG ỦY"])
    book.save(path)


def timed(command: list[str], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(done.stderr or done.stdout)
    return statistics.median(times)


def read_both(path: Path, runs: int = 3) -> tuple[float, float]:
    import python_calamine
    from openpyxl import load_workbook

    def calamine() -> None:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python(skip_empty_area=False)

    def openpyxl() -> None:
        book = load_workbook(path, read_only=True, data_only=True)
        for sheet in book.worksheets:
            sheet.reset_dimensions()
            list(sheet.iter_rows(values_only=True))
        book.close()

    out = []
    for read in (calamine, openpyxl):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            read()
            times.append(time.perf_counter() - start)
        out.append(statistics.median(times))
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--ward", required=True)
    parser.add_argument("--rows", type=int, default=25_000)
    parser.add_argument("--export", type=Path)
    args = parser.parse_args()
    from db.service import Service
    from db.store import Store

    service = Service(Store(args.db))
    state = service.state()
    ward = service.resolve_unit(args.ward)
    branches = [state.units[u].name for u in state.every_under(ward.id)
                if state.is_leaf(u) and state.exists(u) and u != ward.id]
    unique = [name for name in branches if branches.count(name) == 1]
    path = args.db.parent / "office-list.xlsx"
    if not path.exists():
        office_list(path, unique, args.rows, service.today())
    ptdv = str(ROOT / ".venv" / "bin" / "ptdv")
    seconds = timed([ptdv, "--db", str(args.db), "import", str(path), "--dry-run", "--unit", args.ward])
    print(f"dry run of {args.rows:,} rows into {ward.name} ({len(unique)} branches): {seconds:.2f} s "
          f"(whole process, median of 3; {os.cpu_count()} cores)")
    if args.export:
        calamine, openpyxl = read_both(args.export)
        print(f"read {args.export.name}: python-calamine {calamine:.2f} s, openpyxl {openpyxl:.2f} s "
              f"({openpyxl / calamine:.1f}×)")


if __name__ == "__main__":
    main()
