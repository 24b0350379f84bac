"""Import follows the pipeline as the regulations write it (db.transfer._replay, docs/RULES.md): a grassroots
branch's rows have no committee date, a retaken class keeps its latest date, the decision's received day, the
recognition vote and the exceptions make the round trip, and a history that breaks a hard rule is refused with
the rule and its source unless the row gives the exception that rule allows."""
from __future__ import annotations

from datetime import date

import orjson
import pytest

from db import rules
from db.i18n import t
from db.service import Service
from db.store import Store
from db.transfer import ImportRefused, heading
from tui.transfer_io import read_tables, write

from conftest import TODAY
from test_store import store_files

CITY = "Đảng bộ thành phố Đà Nẵng"
PM1 = "Phước Mỹ/Chi bộ khu dân cư số 1"
FULL = {"source": "10/01/2022", "class": "10/02/2022", "dossier": "10/03/2022", "verified": "11/04/2022",
        "branch": "10/05/2022", "committee": "20/05/2022", "decided": "01/06/2022", "admitted": "20/06/2022"}


def rows(*people: dict) -> list[list[str]]:
    """A candidates table whose headings are the column keys (``name``, ``stage:branch``, ``exception``...),
    which import reads as it reads the headings export writes."""
    keys = list(dict.fromkeys(k for p in people for k in p))
    return [keys, *[[p.get(k, "") for k in keys] for p in people]]


def person(name: str, unit: str = PM1, born: str = "01/05/1995", introducers: str = "Ngô Văn Hai; Đỗ Thị Ba",
           **stages: str) -> dict:
    cells = {"name": name, "unit": unit, "born": born, "introducers": introducers}
    for key, value in stages.items():
        cells[key if key in ("id", "exception", "received", "vote") or ":" in key else f"stage:{key}"] = value
    return cells


def refused(service: Service, table: list[list[str]]) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportRefused) as err:
        service.import_candidates(table)
    return [(row, e.key, e.message("en")) for _, row, e in err.value.bad]


# -- grassroots branches --------------------------------------------------------------------------
def test_a_grassroots_branchs_row_has_no_committee_date_and_imports(small):
    service, ids = small
    service.add_unit("Chi bộ Cơ quan Quận ủy", ids["son_tra"], "branch")  # right under a district: chi bộ cơ sở
    branch = "Quận ủy Sơn Trà/Chi bộ Cơ quan Quận ủy"
    dates = {k: v for k, v in FULL.items() if k not in ("committee", "admitted")}
    plan = service.import_candidates(rows(person("Lê Thị Cơ Sở", branch, **dates)))
    [added] = [p.after for p in plan.candidates.adds]
    assert [e.stage for e in added.history] == ["source", "class", "dossier", "verified", "branch", "decided"]
    # a branch under a grassroots committee still has its committee vote
    assert [(k, row) for row, k, _ in refused(service, rows(person("Lê Văn Thường", **dates)))] == \
        [("stage.skipped", 2)]


def test_a_grassroots_branch_added_by_the_same_file_skips_the_committee_too(small):
    service, ids = small
    units = [["unit", "level", "parent"], ["Chi bộ Bệnh viện Quận", "branch", f"{CITY}/Quận ủy Sơn Trà"]]
    dates = {k: v for k, v in FULL.items() if k not in ("committee", "admitted")}
    branch = f"{CITY}/Quận ủy Sơn Trà/Chi bộ Bệnh viện Quận"
    plan = service.import_tables({"units": units, "candidates": rows(person("Phan Thị Mới", branch, **dates))})
    assert [p.after.stage for p in plan.candidates.adds] == ["decided"]


# -- retakes: one date per stage, the latest ---------------------------------------------------------
def test_a_retaken_class_exports_its_latest_date_and_the_file_goes_back_unchanged(small, tmp_path):
    service, ids = small
    cand = service.add_candidate(PM1, "Đinh Thị Học", date_="02/01/2024")
    service.advance(cand.id, "class", "05/02/2024")
    service.advance(cand.id, "class", "10/09/2024")  # retaken
    service.advance(cand.id, "dossier", "01/10/2024")
    table = service.export(PM1, "en")["candidates"]
    row = next(r for r in table[1] if r[0] == cand.id)
    assert row[table[0].index(heading("stage:class", "en"))] == "10/09/2024"
    out = tmp_path / "all.json"
    out.write_bytes(write(service.export(lang="en", include_sensitive=True), "json", "en"))
    before = store_files(service.store.path)
    plan = service.import_tables(read_tables(out))
    assert plan.candidates.counts()["changed"] == 0 and store_files(service.store.path) == before
    # into an empty store: the class on its latest date
    target = Service(Store(tmp_path / "copy" / "ptdv.json"), today=TODAY)
    target.init(CITY)
    target.import_tables(read_tables(out))
    copied = next(c for c in target.candidates(include_exited=True) if c.name == "Đinh Thị Học")
    assert [(e.stage, e.date) for e in copied.history] == \
        [("source", date(2024, 1, 2)), ("class", date(2024, 9, 10)), ("dossier", date(2024, 10, 1))]


def test_a_newer_class_date_for_a_known_candidate_is_a_retake_before_the_branch_vote(small):
    service, ids = small
    bình = service.candidate(ids["cand2"])  # source 05/01, class 10/02, dossier 11/03/2024
    row = person("Trần Thị Bình", born="02/05/1992", **{"id": str(bình.id), "source": "05/01/2024",
                                                         "class": "01/10/2024", "dossier": "11/10/2024"})
    service.import_candidates(rows(row))
    assert [(e.stage, e.date.isoformat()) for e in service.candidate(bình.id).history] == [
        ("source", "2024-01-05"), ("class", "2024-02-10"), ("dossier", "2024-03-11"),
        ("class", "2024-10-01"), ("dossier", "2024-10-11")]
    cường = service.candidate(ids["cand3"])  # voted on 03/09/2024: no retake after the branch vote
    late = person("Lê Văn Cường", unit="Phước Mỹ/Chi bộ Trường THCS Phước Mỹ", born="03/05/1993",
                  **{"id": str(cường.id), "class": "01/10/2024"})
    assert [k for _, k, _ in refused(service, rows(late))] == ["import.history_differs"]


def test_a_class_retaken_after_the_dossier_is_refused_saying_why(service):
    service.init(CITY)
    service.add_unit("Chi bộ Một", CITY, "branch")
    found = refused(service, rows(person("Võ Văn Lại", f"{CITY}/Chi bộ Một", source="02/01/2023",
                                         **{"class": "01/06/2024", "dossier": "01/03/2023"})))
    assert [(row, key) for row, key, _ in found] == [(2, "import.retake_order")]
    assert "01/06/2024" in found[0][2] and "01/03/2023" in found[0][2]


# -- what a step keeps besides its date: the round trip ---------------------------------------------
def decorated(service: Service) -> dict[str, int]:
    """The small store with an exception (a late ceremony), a received date, a recognition vote with its
    decision, and a recognition vote recorded alone."""
    late = person("Nguyễn Thị Muộn", **FULL, received="03/06/2022")
    late["stage:admitted"] = "30/08/2022"  # 30 working days from 03/06/2022 ended on 15/07/2022
    late["exception:admitted"] = "BTV Quận ủy Sơn Trà, CV 45-CV/QU, 14/07/2022"
    late.update({"stage:official": "20/09/2023", "vote": "05/09/2023"})
    waiting = person("Trần Văn Chờ", **{stage: day[:-4] + "2023" for stage, day in FULL.items()})
    waiting["vote"] = "05/07/2024"  # probation ended on 20/06/2024; the committee has not decided yet
    plan = service.import_candidates(rows(late, waiting))
    return {p.after.name: p.after.id for p in plan.candidates.adds}


@pytest.mark.parametrize("kind", ["xlsx", "json"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_exceptions_received_dates_and_votes_make_the_round_trip(small, tmp_path, kind, lang):
    service, ids = small
    plain = service.export(lang=lang)["candidates"][0]
    for key in ("import.col.received", "import.col.vote", "import.col.exception"):
        assert t(key, lang) not in plain  # written only when a candidate has one
    made = decorated(service)
    head = service.export(lang=lang)["candidates"][0]
    assert t("import.col.received", lang) in head and t("import.col.vote", lang) in head
    assert heading("exception:admitted", lang) in head
    out = tmp_path / f"all.{kind}"
    out.write_bytes(write(service.export(lang=lang, include_sensitive=True), kind, lang))
    target = Service(Store(tmp_path / "copy" / "ptdv.json"), today=TODAY)
    target.init(CITY)
    target.import_tables(read_tables(out))
    for name, cid in made.items():
        mine, theirs = service.candidate(cid), target.candidate(cid)
        keep = lambda c: [(e.stage, e.date, e.exception, e.received, e.vote) for e in c.history]  # noqa: E731
        assert keep(theirs) == keep(mine) and theirs.recognition_vote == mine.recognition_vote
        assert [(e.stage, b.rule) for e, b in target.breaches(theirs)] == \
            [(e.stage, b.rule) for e, b in service.breaches(mine)]
    muộn = target.candidate(made["Nguyễn Thị Muộn"])
    assert muộn.stage_entry("admitted").exception == "BTV Quận ủy Sơn Trà, CV 45-CV/QU, 14/07/2022"
    assert (muộn.stage_entry("decided").received, muộn.stage_entry("official").vote) == \
        (date(2022, 6, 3), date(2023, 9, 5))
    assert target.candidate(made["Trần Văn Chờ"]).recognition_vote == date(2024, 7, 5)
    before = store_files(target.store.path)
    assert target.import_tables(read_tables(out)).candidates.counts()["changed"] == 0
    assert store_files(target.store.path) == before


# -- imported histories judged by the rules -----------------------------------------------------------
def test_a_history_breaking_a_hard_rule_is_refused_with_the_rule_and_its_source(small):
    service, ids = small
    before = store_files(service.store.path)
    early = person("Hồ Văn Sớm", **{**FULL, "official": "25/06/2022"})  # official 5 days after the ceremony
    young = person("Mai Thị Trẻ", born="01/09/2004", **{k: FULL[k] for k in ("source", "class", "dossier",
                                                                            "verified", "branch")})
    found = refused(service, rows(early, young))
    assert [(row, key) for row, key, _ in found] == [(2, "refused.probation"), (3, "refused.age_min")]
    assert "Điều lệ Đảng, Điều 5 khoản 1" in found[0][2] and "[rule probation:" in found[0][2]
    assert "Quy định 232-QĐ/TW, điểm 1.1.1" in found[1][2]
    assert store_files(service.store.path) == before


def test_a_hard_rule_that_allows_an_exception_imports_with_the_exception_column_only(small):
    service, ids = small
    late = person("Nguyễn Thị Muộn", **{**FULL, "admitted": "30/08/2022"})
    [(row, key, message)] = refused(service, rows(late))
    assert key == "refused.ceremony" and "--exception" in message and "Quy định 232-QĐ/TW, điểm 4.1" in message
    given = {**late, "exception": "BTV Quận ủy Sơn Trà, CV 45-CV/QU, 14/07/2022"}  # the "Ngoại lệ" column
    assert rules.RULES_BY_ID["ceremony"].exception
    [added] = [p.after for p in service.import_candidates(rows(given)).candidates.adds]
    assert added.stage_entry("admitted").exception == "BTV Quận ủy Sơn Trà, CV 45-CV/QU, 14/07/2022"
    assert [(e.stage, b.rule, e.exception) for e, b in service.breaches(added)] == \
        [("admitted", "ceremony", "BTV Quận ủy Sơn Trà, CV 45-CV/QU, 14/07/2022")]
    # an exception does not allow what no decision may allow, nor is it kept where nothing needs it
    early = {**person("Hồ Văn Sớm", **{**FULL, "official": "25/06/2022"}), "exception": "anyone, 1, 2022"}
    plain = {**person("Đỗ Văn Thường", **FULL), "exception": "anyone, 1, 2022"}
    assert [k for _, k, _ in refused(service, rows(early, plain))] == ["refused.probation",
                                                                      "import.exception_unused"]


def test_a_soft_breach_imports_and_stays_visible(small):
    service, ids = small
    one = person("Lý Văn Một", introducers="Ngô Văn Hai", **FULL)
    [added] = [p.after for p in service.import_candidates(rows(one)).candidates.adds]
    assert [(e.stage, b.rule) for e, b in service.breaches(added)] == [("branch", "introducers")]
    assert added.stage_entry("branch").breaches is not None  # judged on import, kept on the entry


def test_the_heading_of_an_exception_column_is_read_in_either_language(small):
    service, ids = small
    for lang in ("vi", "en"):
        late = person(f"Nguyễn Thị Muộn {'Một' if lang == 'vi' else 'Hai'}", **{**FULL, "admitted": "30/08/2022"})
        late[t("import.col.stage_exception", lang, stage=t("stage.admitted", lang))] = "BTV Quận ủy, CV 1, 2022"
        [added] = [p.after for p in service.import_candidates(rows(late)).candidates.adds]
        assert added.stage_entry("admitted").exception == "BTV Quận ủy, CV 1, 2022"


def test_the_demo_store_with_its_extensions_makes_the_round_trip_keeping_them(tmp_path):
    from db.demo import build_demo

    service = Service(Store(tmp_path / "demo" / "ptdv.json"), today=TODAY)
    build_demo(service, today=TODAY)
    excused = {(c.id, e.stage, e.exception) for c in service.candidates(include_exited=True)
               for e, b in service.breaches(c) if e.exception}
    assert excused and {stage for _, stage, _ in excused} <= {"decided", "admitted"}
    out = tmp_path / "demo.json"
    out.write_bytes(write(service.export(lang="vi", include_sensitive=True), "json", "vi"))
    target = Service(Store(tmp_path / "copy" / "ptdv.json"), today=TODAY)
    target.init(CITY)
    target.import_tables(read_tables(out))
    assert {(c.id, e.stage, e.exception) for c in target.candidates(include_exited=True)
            for e, b in target.breaches(c) if e.exception} == excused
    assert orjson.loads(out.read_bytes())  # a json a person can open
