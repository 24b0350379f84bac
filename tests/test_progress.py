"""The progress bar of long imports and exports (tui/progress.py): on stderr when it is a terminal, with the
rows done and the time left; nothing when stderr is piped."""
from __future__ import annotations

import io

from click.testing import CliRunner

from db.i18n import t
from tui.cli import main
from tui.progress import Progress

from conftest import TODAY, build_small


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_on_a_terminal_a_bar_shows_the_rows_done_and_the_time_left_then_is_cleared():
    screen, clock = Terminal(), Clock()
    with Progress("vi", screen, clock=clock, columns=120) as bar:
        bar.step("cli.progress.checking")
        clock.now += 2.0
        bar(5_000, 25_000)
        last = screen.getvalue().split("\r")[-1]
        assert last.startswith(t("cli.progress.checking", "vi") + "  [████░░░░░░░░░░░░░░░░]")
        assert t("cli.progress.rows", "vi", done="5.000", total="25.000") in last
        assert last.rstrip().endswith(t("cli.progress.left", "vi", time="0:08"))  # 2 s for a fifth: 8 s to go
        clock.now += 0.05
        bar(6_000, 25_000)  # too soon after the last: not redrawn
        assert "6.000" not in screen.getvalue()
        clock.now += 0.2
        bar(25_000, 25_000)
        assert t("cli.progress.rows", "vi", done="25.000", total="25.000") in screen.getvalue().split("\r")[-1]
    assert screen.getvalue().endswith("\r")  # the line cleared: the result is printed where the bar was
    assert screen.getvalue().split("\r")[-2].strip() == ""


def test_a_long_line_is_cut_to_the_terminals_width():
    screen, clock = Terminal(), Clock()
    bar = Progress("en", screen, clock=clock, columns=30)
    bar.step("cli.progress.writing")
    clock.now += 1
    bar(10, 100)
    assert all(len(part) <= 29 for part in screen.getvalue().split("\r"))


def test_nothing_is_written_when_stderr_is_not_a_terminal():
    piped, clock = io.StringIO(), Clock()
    with Progress("en", piped, clock=clock) as bar:
        bar.step("cli.progress.reading")
        clock.now += 5
        bar(10, 100)
    assert piped.getvalue() == ""


def test_an_import_and_an_export_piped_print_only_their_result(store_path, tmp_path):
    from db.service import Service
    from db.store import Store

    build_small(Service(Store(store_path), today=TODAY))
    runner = CliRunner()
    file = tmp_path / "ra.xlsx"
    out = runner.invoke(main, ["--db", str(store_path), "export", "--format", "xlsx", "-o", str(file)],
                        obj={"today": TODAY})
    assert out.exit_code == 0 and out.stderr == ""
    assert out.output == t("cli.export.written", "vi", path=file) + "\n"
    back = runner.invoke(main, ["--db", str(store_path), "import", str(file), "--dry-run"], obj={"today": TODAY})
    assert back.exit_code == 0 and back.stderr == ""
    assert "█" not in back.output and "\r" not in back.output
