"""Made-up stores at three sizes, to see how ptdv does at the size of a ward, a city and the largest city.

- ``ward``: one ward committee (the top unit, a grassroots committee) and its ~20 branches.
- ``city``: Đà Nẵng after 2025 (no districts): the city committee over its wards, communes
  and bloc committees, ~830 grassroots units under them, ~5,000 branches, ~140,000 members.
- ``metro``: the largest city party organisation: ~170 committees, ~20,000 units, 500,000 members.

A ward or commune committee of 2025 is several former wards or communes merged: each former
one is a grassroots unit ("Đảng bộ khu vực …") over its residential areas or villages and its
schools; the committee's other grassroots units are its People's Committee, police, military,
health centre, high schools and firms. Bloc committees hold the city's party agencies,
departments, hospitals, colleges, firms, defence zones and police departments.

Members at the start of the first year are drawn per branch by what it is, then scaled to the
scale's total; the rest (later years' members, rates of 3–4% at the top, targets allocated down
every level, cohorts of candidates with dated histories up to today, the people) is
:class:`db.demo.Builder`'s, as in the demo. Three years have quotas: today's and the two before.

The city and metro stores carry a reorganisation on 1 July (of 2025 when their years include it,
else of the year before today), so that what is measured is a store with history: two former
areas of the first ward committee merged into a new one (their branches move under it), and a
bloc committee of firms (made up here: the firms of the People's Committee's bloc before the day)
dissolved, its firms moving under the People's Committee's bloc. Quotas are allocated in each
year's tree of 1 January, so the year of the change is planned in the tree before it.

``plan`` gives the summary ``generate`` returns, without writing anything: the same drawing
up to the people. ``fraction`` draws the same shape with fewer committees (tests).
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date
from itertools import count
from typing import Iterator

from .demo import Builder, Node
from .model import Unit
from .quota import proportional_split
from .service import Service

SCALES = ("ward", "city", "metro")
RATES = (3.0, 3.5, 4.0)  # the city's rate in a year (percent of members at its start)

# -- names ------------------------------------------------------------------------------
PLACE_FIRST = ("Hòa", "An", "Tân", "Phước", "Bình", "Điện", "Duy", "Quế", "Đại", "Thăng", "Tam", "Tiên", "Phú",
               "Hương", "Vĩnh", "Mỹ", "Long", "Thạnh", "Xuân", "Trà", "Hiệp", "Cẩm", "Thanh", "Hải", "Nghĩa",
               "Quang", "Sơn", "Thuận", "Trung", "Đông")
PLACE_SECOND = ("Khánh", "Minh", "Hải", "Thọ", "Xuân", "Phong", "Ninh", "Châu", "Lợi", "Hưng", "Thạnh", "Phú",
                "Hiệp", "Sơn", "Lộc", "Thuận", "An", "Bình", "Trung", "Đông", "Tây", "Nam", "Bắc", "Mỹ", "Quý",
                "Tiến", "Phước", "Thành", "Đức", "Vinh", "Kỳ", "Giang", "Hòa", "Tân", "Long", "Lâm", "Hà",
                "Cường", "Thắng", "Định")
FIRM_FORMS = ("Công ty Cổ phần", "Công ty TNHH")
FIRM_TRADES = ("Xây dựng", "Thủy sản", "Du lịch", "Dệt may", "Cơ khí", "Vận tải", "Thương mại", "Phần mềm",
               "Điện tử", "Chế biến gỗ", "In", "Nhựa", "Thép", "Dược phẩm", "Bao bì", "Vật liệu xây dựng",
               "Cấp thoát nước", "Môi trường", "Logistics", "Thực phẩm", "Khách sạn", "Cảng", "Điện lực", "Da giày")

# branches of a grassroots unit, by what it is: the first few always, more in bigger ones
HIGH_SCHOOL_BRANCHES = ("Chi bộ Tổ Toán - Tin", "Chi bộ Tổ Ngữ văn", "Chi bộ Tổ Khoa học tự nhiên",
                        "Chi bộ Tổ Khoa học xã hội", "Chi bộ Tổ Ngoại ngữ", "Chi bộ Văn phòng")
LOCAL_AGENCY_BRANCHES = ("Chi bộ Văn phòng HĐND và UBND", "Chi bộ Phòng Kinh tế", "Chi bộ Phòng Văn hóa - Xã hội",
                         "Chi bộ Trung tâm Phục vụ hành chính công", "Chi bộ Mặt trận và các đoàn thể")
LOCAL_POLICE_BRANCHES = ("Chi bộ Tổ Tổng hợp", "Chi bộ Tổ An ninh", "Chi bộ Tổ Cảnh sát khu vực",
                         "Chi bộ Tổ Cảnh sát trật tự")
LOCAL_MILITARY_BRANCHES = ("Chi bộ Ban Chỉ huy", "Chi bộ Dân quân thường trực", "Chi bộ Dân quân cơ động")
HEALTH_BRANCHES = ("Chi bộ Khoa Khám bệnh", "Chi bộ Khoa Y tế công cộng", "Chi bộ Trạm Y tế", "Chi bộ Khối Hành chính",
                   "Chi bộ Khoa Dược - Xét nghiệm")
FIRM_BRANCHES = ("Chi bộ Khối Văn phòng", "Chi bộ Xí nghiệp 1", "Chi bộ Xí nghiệp 2", "Chi bộ Phòng Kỹ thuật",
                 "Chi bộ Xí nghiệp 3", "Chi bộ Đội Vận hành")
AGENCY_BRANCHES = ("Chi bộ Văn phòng", "Chi bộ Phòng Tổng hợp", "Chi bộ Phòng Nghiệp vụ 1", "Chi bộ Phòng Nghiệp vụ 2",
                   "Chi bộ Phòng Nghiệp vụ 3", "Chi bộ Trung tâm trực thuộc")
HOSPITAL_BRANCHES = ("Chi bộ Khoa Nội", "Chi bộ Khoa Ngoại", "Chi bộ Khoa Cấp cứu", "Chi bộ Khoa Hồi sức tích cực",
                     "Chi bộ Phòng Điều dưỡng", "Chi bộ Khối Hành chính", "Chi bộ Khoa Xét nghiệm",
                     "Chi bộ Khoa Chẩn đoán hình ảnh")
COLLEGE_BRANCHES = ("Chi bộ Khoa Cơ bản", "Chi bộ Khoa Kinh tế", "Chi bộ Khoa Kỹ thuật", "Chi bộ Phòng Đào tạo",
                    "Chi bộ Học sinh - Sinh viên")
DEFENCE_BRANCHES = ("Chi bộ Cơ quan", "Chi bộ Tham mưu", "Chi bộ Chính trị", "Chi bộ Hậu cần - Kỹ thuật")
POLICE_BRANCHES = ("Chi bộ Đội Tổng hợp", "Chi bộ Đội 1", "Chi bộ Đội 2", "Chi bộ Đội 3", "Chi bộ Đội 4")

# where a bloc committee's grassroots units come from: (name pattern, names, what their branches are, the branches);
# and firms, named after places
BLOC_SOURCES: dict[str, tuple[str, tuple[str, ...], str, tuple[str, ...]]] = {
    "party": ("Đảng bộ {}", ("Văn phòng Thành ủy", "Ban Tổ chức Thành ủy", "Ban Tuyên giáo và Dân vận Thành ủy",
                             "Ủy ban Kiểm tra Thành ủy", "Ban Nội chính Thành ủy", "Trường Chính trị thành phố",
                             "Báo và Phát thanh, Truyền hình thành phố", "Cơ quan Ủy ban Mặt trận Tổ quốc thành phố"),
              "agency", AGENCY_BRANCHES),
    "department": ("Đảng ủy {}", ("Sở Tài chính", "Sở Nội vụ", "Sở Tư pháp", "Sở Xây dựng", "Sở Công Thương",
                                  "Sở Nông nghiệp và Môi trường", "Sở Khoa học và Công nghệ", "Sở Giáo dục và Đào tạo",
                                  "Sở Y tế", "Sở Văn hóa, Thể thao và Du lịch", "Sở Ngoại vụ", "Sở Dân tộc và Tôn giáo",
                                  "Thanh tra thành phố", "Văn phòng UBND thành phố"),
                   "agency", AGENCY_BRANCHES),
    "hospital": ("Đảng ủy {}", ("Bệnh viện Đa khoa thành phố", "Bệnh viện Phụ sản - Nhi", "Bệnh viện Ung bướu",
                                "Bệnh viện Mắt", "Bệnh viện Da liễu", "Bệnh viện Phổi", "Bệnh viện Tâm thần",
                                "Bệnh viện Y học cổ truyền", "Bệnh viện Phục hồi chức năng", "Bệnh viện Nhi đồng",
                                "Bệnh viện Tim mạch", "Bệnh viện Chấn thương chỉnh hình"),
                 "hospital", HOSPITAL_BRANCHES),
    "college": ("Đảng ủy {}", ("Trường Cao đẳng Nghề", "Trường Cao đẳng Kinh tế - Kế hoạch", "Trường Cao đẳng Du lịch",
                               "Trường Cao đẳng Y tế", "Trường Cao đẳng Văn hóa Nghệ thuật",
                               "Trường Cao đẳng Công nghệ", "Trường Đại học Kỹ thuật Y - Dược"),
                "college", COLLEGE_BRANCHES),
    "defence": ("Đảng ủy Ban Chỉ huy Phòng thủ khu vực {}", tuple(str(n) for n in range(1, 13)), "military",
                DEFENCE_BRANCHES),
    "police": ("Đảng bộ Phòng {}", ("Tham mưu", "Cảnh sát hình sự", "An ninh chính trị nội bộ", "Cảnh sát giao thông",
                                    "Cảnh sát quản lý hành chính", "Cảnh sát phòng cháy, chữa cháy và cứu nạn, cứu hộ",
                                    "Kỹ thuật hình sự", "An ninh kinh tế", "Cảnh sát kinh tế", "Cảnh sát môi trường",
                                    "Hậu cần", "Cảnh sát cơ động"),
               "military", POLICE_BRANCHES),
}
BLOCS = (  # bloc committees directly under the city since 2025, and where their units come from
    ("Đảng ủy các cơ quan Đảng thành phố", ("party",)),
    ("Đảng ủy Ủy ban nhân dân thành phố", ("department", "hospital", "college", "firm")),
    ("Đảng ủy Quân sự thành phố", ("defence",)),
    ("Đảng ủy Công an thành phố", ("police",)),
)
PEOPLES_COMMITTEE_BLOC = BLOCS[1][0]
FIRMS_BLOC = "Đảng ủy Khối Doanh nghiệp thành phố"  # dissolved on the day of the change, its firms to the above
CHANGE_YEAR = 2025  # the reorganisation is on 1 July of it when the store's years include it


@dataclass(frozen=True)
class Shape:
    """How a city's tree is drawn."""

    root: str
    place: str
    wards: int
    communes: int
    members: int                   # at the start of the first year
    areas: tuple[int, int]         # former wards or communes in one of 2025, a grassroots unit each
    residential: tuple[int, int]   # residential branches of a former ward
    villages: tuple[int, int]      # villages of a former commune
    mountains: float               # share of communes in the mountains (remote villages)
    high_schools: tuple[int, int]  # per committee
    firms: tuple[int, int]         # per committee
    blocs: int                     # the first ones of BLOCS
    bloc_units: int                # grassroots units per bloc committee


SHAPES = {
    "city": Shape(root="Đảng bộ thành phố Đà Nẵng", place="thành phố Đà Nẵng", wards=23, communes=71,
                  members=139_534, areas=(1, 3), residential=(8, 16), villages=(8, 14), mountains=0.25,
                  high_schools=(1, 2), firms=(0, 3), blocs=3, bloc_units=12),
    "metro": Shape(root="Đảng bộ Thành phố Hồ Chí Minh", place="Thành phố Hồ Chí Minh", wards=113, communes=55,
                   members=500_000, areas=(3, 4), residential=(12, 20), villages=(8, 12), mountains=0.0,
                   high_schools=(2, 4), firms=(3, 8), blocs=4, bloc_units=50),
}
WARD_PLACE = "thành phố Đà Nẵng"
WARD_MEMBERS = 350
WARD_RESIDENTIAL = (10, 13)
WARD_FIRMS = (2, 3)


class _Generator(Builder):
    def __init__(self, scale: str, seed: int, today: date, fraction: float) -> None:
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}: one of {', '.join(SCALES)}")
        years = range(today.year - 2, today.year + 1)
        rates = random.Random(f"{seed}/rates")
        super().__init__(seed, today, {year: rates.choice(RATES) for year in years})
        self.scale = scale
        self.fraction = fraction
        names = [f"{a} {b}" for a in PLACE_FIRST for b in PLACE_SECOND if a != b]
        self.rng.shuffle(names)
        self.place_names = tuple(names)
        self.names = iter(names)  # of wards, communes and former ones, each used once
        self.first_committee = True  # the first ward committee has two areas at least (two of them merge)

    def tree(self) -> Node:
        if self.scale == "ward":
            root, members = self.ward_root(), WARD_MEMBERS
        else:
            shape = SHAPES[self.scale]
            root, members = self.city(shape), round(shape.members * self.fraction)
        self.populate(root)
        leaves = root.leaves()  # drawn by what each branch is, then scaled to the total
        first = self.years[0]
        for leaf, share in zip(leaves, proportional_split(members, [leaf.members[first] for leaf in leaves])):
            leaf.members[first] = share
        if self.scale != "ward":
            self.reorganise(root)
        return root

    def change_day(self) -> date:
        """1 July of CHANGE_YEAR if the store's years hold it by today, else the last 1 July before today."""
        days = [date(year, 7, 1) for year in self.years if date(year, 7, 1) <= self.today]
        return date(CHANGE_YEAR, 7, 1) if date(CHANGE_YEAR, 7, 1) in days else days[-1]

    def reorganise(self, root: Node) -> None:
        """The history of the store (see the module's text): the tree as drawn is the tree after the day."""
        day = self.change_day()
        committee = root.children[0]  # the first ward committee, drawn with two areas at least
        areas = [kid for kid in committee.children if kid.name.startswith("Đảng bộ khu vực ")][:2]
        merged = Node(f"Đảng bộ khu vực {next(self.names)}", "grassroots", performance=areas[0].performance)
        self.merge(areas, merged, day, committee)
        bloc = next((kid for kid in root.children if kid.name == PEOPLES_COMMITTEE_BLOC), None)
        firms = [kid for kid in bloc.children if kid.children and kid.children[0].kind == "firm"] if bloc else []
        if firms:  # before the day, they were under a bloc committee of their own
            firms_bloc = Node(FIRMS_BLOC, "district")
            for firm in firms:
                bloc.children.remove(firm)
                firms_bloc.children.append(firm)
            root.children.append(firms_bloc)
            self.dissolve(firms_bloc, day, bloc)

    def ward_root(self) -> Node:
        name = next(self.names)
        firms = tuple(f"Chi bộ {firm}" for firm in self.firms(name, self.rng.randint(*WARD_FIRMS)))
        ward = self.ward(name, "phường", f"phường {name}, {WARD_PLACE}", residential=WARD_RESIDENTIAL, firms=firms)
        ward.children.append(Node("Chi bộ Công an phường", "branch", "military"))
        return ward

    def city(self, shape: Shape) -> Node:
        root = Node(shape.root, "city")
        for word, number in (("phường", shape.wards), ("xã", shape.communes)):
            root.children += [self.committee(shape, word, next(self.names))
                              for _ in range(max(1, round(number * self.fraction)))]
        units = max(1, round(shape.bloc_units * self.fraction))
        root.children += [self.bloc(name, sources, units) for name, sources in BLOCS[:shape.blocs]]
        return root

    def committee(self, shape: Shape, word: str, name: str) -> Node:
        """A ward or commune committee of 2025: its former wards or communes, then its institutions."""
        rng = self.rng
        place = f"{word} {name}, {shape.place}"
        remote = word == "xã" and rng.random() < shape.mountains
        committee = Node(f"Đảng ủy {word} {name}", "district")
        first = self.first_committee
        self.first_committee = False
        for _ in range(max(2, rng.randint(*shape.areas)) if first else rng.randint(*shape.areas)):
            villages = tuple(rng.sample(self.place_names, rng.randint(*shape.villages))) if word == "xã" else ()
            branches = self.local_branches(place, villages, remote=villages if remote else (),
                                           residential=shape.residential)
            self.resides(committee.name, place, branches)
            committee.children.append(Node(f"Đảng bộ khu vực {next(self.names)}", "grassroots", children=branches))
        institutions = [(f"Đảng bộ Cơ quan UBND {word} {name}", "agency", LOCAL_AGENCY_BRANCHES),
                        (f"Đảng bộ Công an {word} {name}", "military", LOCAL_POLICE_BRANCHES),
                        (f"Đảng bộ Quân sự {word} {name}", "military", LOCAL_MILITARY_BRANCHES)]
        if rng.random() < 0.6:
            institutions.append((f"Đảng bộ Trung tâm Y tế khu vực {name}", "health", HEALTH_BRANCHES))
        institutions += [(f"Đảng bộ Trường THPT {next(self.schools['THPT'])}", "high_school", HIGH_SCHOOL_BRANCHES)
                         for _ in range(rng.randint(*shape.high_schools))]
        institutions += [(f"Đảng bộ {firm}", "firm", FIRM_BRANCHES)
                         for firm in self.firms(name, rng.randint(*shape.firms))]
        committee.children += [self.institution(*institution) for institution in institutions]
        return committee

    def bloc(self, name: str, sources: tuple[str, ...], units: int) -> Node:
        """A bloc committee with ``units`` grassroots units, taken in turn from ``sources`` while they last."""
        queues = [self.source(source) for source in sources]
        taken: list[tuple[str, str, tuple[str, ...]]] = []
        while queues and len(taken) < units:
            for queue in list(queues):
                unit = next(queue, None)
                if unit is None:
                    queues.remove(queue)
                elif len(taken) < units:
                    taken.append(unit)
        return Node(name, "district", children=[self.institution(*unit) for unit in taken])

    def source(self, source: str) -> Iterator[tuple[str, str, tuple[str, ...]]]:
        """Grassroots units of one kind for a bloc committee: (name, what their branches are, the branches)."""
        if source == "firm":  # as many as wanted, named after places, never twice
            seen: set[str] = set()
            while True:
                name = f"Đảng ủy {self.firms(self.rng.choice(self.place_names), 1)[0]}"
                if name not in seen:
                    seen.add(name)
                    yield name, "firm", FIRM_BRANCHES
        pattern, names, kind, branches = BLOC_SOURCES[source]
        for name in names:
            yield pattern.format(name), kind, branches

    def institution(self, name: str, kind: str, branches: tuple[str, ...]) -> Node:
        """A grassroots unit whose branches are the first few (two at least) of ``branches``."""
        size = self.rng.randint(2, len(branches))
        return Node(name, "grassroots", children=[Node(branch, "branch", kind) for branch in branches[:size]])

    def firms(self, place: str, number: int) -> list[str]:
        """``number`` firms named after ``place``, each of another trade."""
        rng = self.rng
        return [f"{rng.choice(FIRM_FORMS)} {trade} {place}" for trade in rng.sample(FIRM_TRADES, number)]


def plan(scale: str, *, seed: int = 1, today: date | None = None, fraction: float = 1.0) -> dict:
    """The summary ``generate`` would return for the same arguments (but the seconds), without writing."""
    gen = _Generator(scale, seed, today or date.today(), fraction)
    root = gen.tree()
    gen.number(root, 1, count(2).__next__)  # the ids of a new store: its top unit is the first
    gen.plan_years(root)
    return gen.sizes(root)


def generate(service: Service, scale: str, *, seed: int = 1, today: date | None = None,
             fraction: float = 1.0) -> dict:
    """Create a store of ``scale`` at ``service.store.path`` (there must be no file yet) and fill it.

    The same scale, seed and today give the same records (but the timestamps of when they were
    recorded). Returns the summary of ``plan`` and the seconds it took.
    """
    start = time.perf_counter()
    gen = _Generator(scale, seed, today or service.today(), fraction)
    top = gen.tree()
    root = service.init(top.name)
    with service.store.transaction(by=service.user) as tx:
        if top.level != root.level:  # a ward's store: its top unit is a grassroots committee
            tx.put_unit(Unit(root.id, root.name, top.level, None, rev=root.rev + 1))
        units = gen.number(top, root.id, tx.new_unit_id)
        gen.plan_years(top)
        gen.write(tx, units)
        summary = gen.sizes(top)
        tx.audit("demo.generate", "store", root.id, None, {"scale": scale, "seed": seed, **summary})
    return {**summary, "seconds": round(time.perf_counter() - start, 2)}
