"""A search of candidates by name (``ptdv search``, the app's palette) answers from the store's name index in search
order (``ptdv.parts/names.txt``, db/store/names.py): the first matches by folded name, then id, of the units the
user may read, whatever part they are in; it follows every save, of this session or another; a damaged index is
made again, and one edited by hand is named by ``check``."""
from __future__ import annotations

import pytest

from db.service import Service
from db.store import Store
from db.store import names as names_module
from db.store.parts import Parts
from db.store.summaries import Summaries
from db.text import fold

from conftest import TODAY, build_small, caller

MORE = (  # branch key, name: names that tie, that hold a word in the middle, across the three parts
    ("tt1", "Nguyễn Văn An"), ("ahb1", "Nguyễn Văn An"), ("pm2", "Lê Nguyễn Văn Bảo"), ("tt2", "Nguyễn Thị Vân"),
    ("ahb1", "Trần Văn Nguyên"), ("pm1", "Nguyen Van Ca"), ("tt1", "Đặng Thị Ánh"), ("pm2", "Ksor H'Bơ"),
    ("ahb1", "Nguyễn Văn Anh"), ("tt2", "Phạm Văn Đông"),
)
QUERIES = ("nguyen van", "van nguyen", "Nguyễn", "an", "thi", "h'b", "VĂN AN", "ong", "xyz", "00", "official", "1")


@pytest.fixture
def store(store_path):
    boss = Service(Store(store_path), caller=caller("boss"), today=TODAY)
    ids = build_small(boss)
    for key, name in MORE:
        boss.add_candidate(ids[key], name, gender="male", born="01/05/1995", date_="01/10/2024",
                           introducers=["Ngô Văn Hai", "Đỗ Thị Ba"])
    return store_path, ids


def session(path, account: str = "boss") -> Service:
    return Service(Store(path), caller=caller(account), today=TODAY)


def expected(service: Service, query: str, limit: int) -> list[int]:
    """What a search must answer, from every candidate the user may read (each branch's part loaded)."""
    words = fold(query).split()
    found = [c for c in service.candidates(include_exited=True) if all(w in fold(c.name) for w in words)]
    return [c.id for c in sorted(found, key=lambda c: (fold(c.name), c.id))][:limit]


def index_of(path):
    return path.with_name(path.stem + ".parts") / "names.txt"


def searched(service: Service, query: str, limit: int = 50) -> list[int]:
    return [hit.id for hit in service.search_candidates(query, limit)]


def test_a_search_answers_the_first_matches_by_folded_name_then_id_across_parts(store):
    path, _ = store
    service = session(path)
    for query in QUERIES:
        for limit in (1, 3, 50):
            assert searched(service, query, limit) == expected(service, query, limit), (query, limit)
    assert searched(service, "nguyen van", 4) == searched(session(path), "nguyen van", 4)  # read from the file
    hits = service.search_candidates("nguyen van an")
    assert [(h.name, h.unit, h.stage, h.exit) for h in hits] == [
        (c.name, c.unit, c.stage, c.exit.kind if c.exit else None) for c in (service.candidate(h.id) for h in hits)]
    same = [h.id for h in hits if h.name == "Nguyễn Văn An"]  # one in each part: by id, one after the other
    assert len(same) == 3 and same == sorted(same) and "".join("A" if h.name == "Nguyễn Văn An" else "-"
                                                               for h in hits).count("AAA") == 1
    assert searched(service, "00") == searched(service, "official") == []  # the line's other fields hold these


def test_a_search_follows_the_saves_of_this_session_and_of_another(store):
    path, ids = store
    mine, other = session(path), session(path)
    searched(mine, "an")  # the index made
    added = other.add_candidate(ids["pm1"], "Nguyễn Văn Ân", gender="male", born="01/05/1995", date_="01/10/2024",
                                introducers=["Ngô Văn Hai", "Đỗ Thị Ba"])
    other.edit(ids["cand2"], {"name": "Trần Thị Bích"})
    other.exit(ids["cand5"], "chuyển đi nơi khác", day="01/11/2024")
    mine.move_candidate(ids["cand3"], ids["tt1"])
    for service in (mine, session(path), other):
        assert added.id in searched(service, "nguyen van an")
        assert searched(service, "binh") == [] and searched(service, "tran thi bich") == [ids["cand2"]]
        assert [h.exit for h in service.search_candidates("hoang van em")] == ["withdrawn"]
        assert [h.unit for h in service.search_candidates("le van cuong")] == [ids["tt1"]]
        for query in QUERIES:
            assert searched(service, query, 5) == expected(service, query, 5), query


def test_a_search_after_no_save_reads_no_part_nor_summary(store, monkeypatch):
    path, _ = store
    searched(session(path), "thi")
    read = []
    for cls, name in ((Parts, "file"), (Summaries, "summary")):
        original = getattr(cls, name)
        monkeypatch.setattr(cls, name, lambda self, pid, *a, _o=original, _n=name: read.append(_n) or _o(self, pid, *a))
    fresh = session(path)
    assert searched(fresh, "nguyen van", 3) and searched(fresh, "thi")
    assert read == []


def test_a_user_finds_the_first_matches_among_the_units_they_may_read(store):
    path, ids = store
    session(path).add_user("bob", ids["thach_thang"], "viewer")
    bob = session(path, "bob")
    theirs = {c.id for c in session(path).candidates(ids["thach_thang"])}
    for query in ("nguyen", "van", "thi", "a"):
        found = searched(bob, query, 2)
        assert found == expected(bob, query, 2) and set(found) <= theirs, query
    assert searched(bob, "nguyen", 2) != searched(session(path), "nguyen", 2)  # not the first two of the city


@pytest.mark.parametrize("damage", [
    lambda raw: raw[:len(raw) // 2],                      # cut short mid-line
    lambda raw: b"not the index\n",                       # another file
    lambda raw: raw.replace(b'"official"', b"official"),  # a line that is not JSON
    lambda raw: raw.replace(b"\t", b" ", 3),              # the header and a line without their tabs
])
def test_a_damaged_index_is_made_again_and_answers_right(store, damage):
    path, _ = store
    right = {query: searched(session(path), query) for query in QUERIES}
    index = path.with_name(path.stem + ".parts") / "names.txt"
    index.write_bytes(damage(index.read_bytes()))
    service = session(path)
    assert {query: searched(service, query) for query in QUERIES} == right
    assert session(path).check() == []  # made whole again


def test_check_names_an_index_edited_by_hand(store):
    path, ids = store
    service = session(path)
    searched(service, "an")
    index = path.with_name(path.stem + ".parts") / "names.txt"
    index.write_bytes(index.read_bytes().replace("Trần Thị Bình".encode(), "Trần Thị Bính".encode()))
    assert ("check.cache_forged", {"path": str(index)}) in session(path).check()
    index.unlink()
    assert session(path).check() == []
    assert searched(session(path), "tran thi binh") == [ids["cand2"]]


@pytest.mark.parametrize("stale, whole", [(0, 256), (0, 0)])
def test_an_index_with_many_parts_changed_is_made_again(store, monkeypatch, stale, whole):
    path, ids = store
    searched(session(path), "an")
    monkeypatch.setattr(names_module, "STALE_PARTS", stale)  # more parts changed than a search reads aside
    monkeypatch.setattr(names_module, "REMADE_WHOLE_AFTER", whole)  # …and than are put in again: from every summary
    session(path).edit(ids["cand1"], {"name": "Nguyễn Văn Ba"})
    before = index_of(path).read_bytes()
    service = session(path)
    for query in (*QUERIES, "nguyen van ba"):
        assert searched(service, query) == expected(service, query, 50), query
    assert index_of(path).read_bytes() != before and "Nguyễn Văn Ba".encode() in index_of(path).read_bytes()


def test_a_search_follows_saves_the_audit_log_cannot_tell(store):
    path, ids = store
    searched(session(path), "an")
    session(path).edit(ids["cand1"], {"name": "Nguyễn Văn Ba"})
    log = path.with_name(path.stem + ".audit.jsonl")
    copy = log.with_name("copy")
    copy.write_bytes(log.read_bytes())
    copy.chmod(log.stat().st_mode)
    copy.replace(log)  # another file (a restored copy): what was written since cannot be read from it
    service = session(path)
    assert ids["cand1"] in searched(service, "nguyen van ba")
    for query in (*QUERIES, "nguyen van ba"):
        assert searched(service, query) == expected(service, query, 50), query


def test_the_name_index_of_an_older_version_is_removed(store):
    path, _ = store
    parts = path.with_name(path.stem + ".parts")
    (parts / "names.json").write_bytes(b'{"settings": "x", "parts": {}}')
    (parts / "names.txt").unlink(missing_ok=True)
    assert searched(session(path), "nguyen") == expected(session(path), "nguyen", 50)
    assert not (parts / "names.json").exists() and (parts / "names.txt").exists()


def test_lines_put_in_their_places_keep_the_file_sorted():
    import random
    rng = random.Random(4)
    words = ["an", "an b", "anh", "a", "b", "nguyen van", "nguyen", "z", "đ"]
    lines = sorted({f"{rng.choice(words)} {rng.randint(0, 9)}\t{rng.randint(0, 99):010d}\t7\t[]\n".encode()
                    for _ in range(300)})
    for _ in range(20):
        new = sorted(rng.sample(lines, rng.randint(0, 12)))
        base = [line for line in lines if line not in new]
        assert names_module._inserted(b"".join(base), new) == b"".join(lines)
    assert names_module._inserted(b"", [b"x\n"]) == b"x\n"
