"""The palette (ctrl+p) keeps Textual's own commands — theme, keys, screenshot, quit — beside ptdv's units,
candidates and screen commands, in the user's language; a theme chosen there is remembered in the user's config
file and used by the next app."""
from __future__ import annotations

import stat

from textual.command import CommandList, CommandPalette

from tui import config
from tui.app import make_app
from tui.screens.unit import UnitScreen
from tui_pilot import notified, pilot_test, settle

SIZE = (80, 24)


def offered(app) -> list[str]:
    """The lines of the palette's list: each command's name, then its help."""
    options = app.screen.query_one(CommandList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def palette_type(pilot, query: str) -> list[str]:
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*query)
    await settle(pilot)
    await pilot.pause(0.3)  # the palette searches its providers in the background
    return offered(pilot.app)


@pilot_test
async def test_theme_is_found_in_the_palette_chosen_and_remembered(small, config_files):
    service, ids = small
    user_file, _ = config_files
    app = make_app(service, lang="vi", year=2024)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        found = await palette_type(pilot, "theme")
        assert found and found[0].startswith("Giao diện (theme)")  # Textual's command, in Vietnamese
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause(0.3)
        assert isinstance(app.screen, CommandPalette)  # the themes to choose from
        await pilot.press(*"nord")
        await settle(pilot)
        await pilot.pause(0.3)
        assert offered(app)[0].startswith("nord")
        await pilot.press("enter")
        await settle(pilot)
        assert app.theme == "nord"
        assert isinstance(app.screen, UnitScreen)
        assert any("nord" in text and str(user_file) in text for text in notified(app))
    assert config.read_file(user_file) == {"theme": "nord"}
    assert stat.S_IMODE(user_file.stat().st_mode) == 0o600

    again = make_app(service, lang="vi", year=2024)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.theme == "nord"


@pilot_test
async def test_the_palette_still_finds_units_and_the_screens_commands(small):
    service, ids = small
    app = make_app(service, lang="en", year=2024)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any(line.startswith("Đảng ủy phường Phước Mỹ") for line in await palette_type(pilot, "phuoc my"))
        await pilot.press("escape")
        await settle(pilot)
        keys = await palette_type(pilot, "keys")
        assert any(line.startswith("Keys") for line in keys)
        await pilot.press("escape")
        await settle(pilot)
        assert any(line.startswith("Screenshot") for line in await palette_type(pilot, "screenshot"))
        await pilot.press("escape")
        await settle(pilot)
        assert [line for line in await palette_type(pilot, "quit") if line.startswith("Quit")] == ["Quit\n^q"]  # once


def configured(config_files, user: str, server: str = "") -> None:
    """The user's config file and the server's hold these lines."""
    user_file, server_file = config_files
    user_file.parent.mkdir(parents=True)
    user_file.write_text(user, encoding="utf-8")
    server_file.write_text(server, encoding="utf-8")


@pilot_test
async def test_a_theme_of_the_server_file_is_used_and_a_choice_goes_to_the_users_file(small, config_files):
    user_file, server_file = config_files
    configured(config_files, '# mine\nlang = "en"\n', 'theme = "dracula"\nlang = "vi"\n')
    app = make_app(small[0], lang="vi", year=2024)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "dracula"
        app.theme = "gruvbox"
        await settle(pilot)
    assert user_file.read_text(encoding="utf-8") == '# mine\nlang = "en"\ntheme = "gruvbox"\n'
    assert "gruvbox" not in server_file.read_text(encoding="utf-8")


@pilot_test
async def test_a_theme_the_app_does_not_have_is_said_and_the_app_opens(small, config_files):
    configured(config_files, 'theme = "sepia"\n')
    user_file = config_files[0]
    app = make_app(small[0], lang="en", year=2024)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        assert isinstance(app.screen, UnitScreen)
        said = notified(app)
        assert any(str(user_file) in text and "theme" in text and "sepia" in text for text in said), said
