"""Catalogues: both languages have every key with the same placeholders, and everything db/ can say is in them."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from db.errors import PtdvError
from db.i18n import CATALOGUES, placeholders, t
from db.model import EDITABLE_FIELDS, EDUCATION, EXIT_KINDS, GENDERS, OCCUPATIONS, STAGES
from db.rules import SEVERITIES

VI, EN = CATALOGUES["vi"], CATALOGUES["en"]
DB = Path(__file__).resolve().parents[1] / "db"


def test_every_key_exists_in_both_languages():
    assert sorted(set(VI) - set(EN)) == []
    assert sorted(set(EN) - set(VI)) == []


def test_placeholders_match_between_the_languages():
    differing = {key: (placeholders(VI[key]), placeholders(EN[key]))
                 for key in VI.keys() & EN.keys() if placeholders(VI[key]) != placeholders(EN[key])}
    assert differing == {}


def test_no_text_is_empty():
    assert [(lang, key) for lang, cat in CATALOGUES.items() for key, text in cat.items() if not text.strip()] == []


@pytest.mark.parametrize("key", [f"{kind}.{stage}" for stage in STAGES for kind in ("stage", "stage_short")]
                         + [f"exit.{k}" for k in EXIT_KINDS] + [f"severity.{s}" for s in SEVERITIES]
                         + [f"gender.{g}" for g in GENDERS] + [f"education.{e}" for e in EDUCATION]
                         + [f"occupation.{o}" for o in OCCUPATIONS] + [f"field.{f}" for f in EDITABLE_FIELDS])
def test_every_value_the_model_knows_has_a_label(key):
    assert key in VI and key in EN


# -- what db/ says, read from its source ----------------------------------------------------------
def _sources():
    for path in sorted(DB.rglob("*.py")):
        if "locales" not in path.parts:
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _keys_of_variable(tree: ast.Module, function: ast.FunctionDef, name: str) -> list[str]:
    """The message keys a variable first argument can hold: what the function assigns to it, or what
    callers pass for it when it is the function's parameter."""
    keys = [s for node in ast.walk(function) if isinstance(node, ast.Assign)
            and any(isinstance(tg, ast.Name) and tg.id == name for tg in node.targets) for s in _strings(node.value)]
    params = [a.arg for a in function.args.args]
    if name in params:
        position = params.index(name)
        keys += [call.args[position].value for call in ast.walk(tree) if isinstance(call, ast.Call)
                 and _name(call.func) == function.name and len(call.args) > position
                 and isinstance(call.args[position], ast.Constant)]
    return keys


def raised_errors() -> list[tuple[str, str, set[str]]]:
    """(where, key, parameters given) for every ``PtdvError(...)`` in db/."""
    found = []
    for path, tree in _sources():
        for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            for call in ast.walk(function):
                if not (isinstance(call, ast.Call) and _name(call.func) == "PtdvError" and call.args):
                    continue
                first, where = call.args[0], f"{path.name}:{call.lineno}"
                given = {kw.arg for kw in call.keywords}
                if isinstance(first, ast.Constant):
                    found.append((where, first.value, given))
                else:
                    keys = _keys_of_variable(tree, function, first.id)
                    assert keys, f"{where}: cannot tell which message key this PtdvError carries"
                    found += [(where, key, given) for key in keys]
    unique = {(where, key): given for where, key, given in found}   # a nested function is walked twice
    return [(where, key, given) for (where, key), given in unique.items()]


def findings_and_checks() -> list[tuple[str, str, set[str]]]:
    """(where, key, parameters given) for rule findings (``rule.<code>``) and store checks (``check.*``)."""
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            where = f"{path.name}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and _name(node.func) in ("Finding", "_deadline") \
                    and isinstance(node.args[0], ast.Constant):
                given = {kw.arg for kw in node.keywords} | {k.value for a in node.args if isinstance(a, ast.Dict)
                                                            for k in a.keys}
                found.append((where, f"rule.{node.args[0].value}", given))
            if isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[0], ast.Constant) \
                    and str(node.elts[0].value).startswith("check.") and isinstance(node.elts[1], ast.Dict):
                found.append((where, node.elts[0].value, {k.value for k in node.elts[1].keys}))
    return found


def test_the_source_scan_finds_what_db_says():
    keys = {key for _, key, _ in raised_errors()}
    assert {"stage.skipped", "store.disk_full", "store.unwritable", "candidate.bad_gender", "input.bad_date"} <= keys
    assert {"rule.certificate", "rule.introducers", "check.candidate_order", "check.allocation_gap"} <= \
        {key for _, key, _ in findings_and_checks()}


@pytest.mark.parametrize("where, key, given", raised_errors() + findings_and_checks(),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_every_message_db_produces_is_in_both_catalogues_with_its_parameters(where, key, given):
    assert key in VI and key in EN, f"{where}: {key} missing"
    assert placeholders(EN[key]) <= given, f"{where}: {key} needs {placeholders(EN[key]) - given}"


def test_a_message_shows_stage_labels_in_the_users_language():
    err = PtdvError("stage.skipped", stage="verified", expected="dossier")
    assert err.message("vi") == t("stage.skipped", "vi", stage=VI["stage_short.verified"],
                                  expected=VI["stage_short.dossier"])
    assert VI["stage_short.dossier"] in err.message("vi") and EN["stage_short.dossier"] in err.message("en")
    assert str(err) == err.message("en")


def test_t_falls_back_rather_than_crash():
    assert t("no.such.key", "vi") == "no.such.key"
    assert t("input.required", "fr", field="x") == t("input.required", "vi", field="x")
    assert t("input.required", "en") == EN["input.required"]   # a missing parameter shows the template
