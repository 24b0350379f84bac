"""The demo store of ``ptdv demo``: Đà Nẵng as in the 2024 article, with candidates up to today.

The tree is the city of the article (districts, their wards, the two bloc committees and
their agencies, schools, hospitals and firms, then branches with their members at the start
of each year), and then it changes as the city did, on the days it did (those up to today):
on 1/1/2025 some wards of Hải Châu, Thanh Khê and Sơn Trà are merged (``MERGED_2025_01``); on
1/7/2025 the district committees are dissolved and the wards and communes merged into new
committees directly under the city's (``MERGED_2025_07``), and three wards of Quảng Nam join
the merged city (``QUANG_NAM_WARDS``; their contents are made up). The sources are cited where
the changes are listed. Branches persist through a merge: they move under the new ward on its
first day (their earlier parent is kept), with their candidates, whose stages keep their branch.

Quotas: a rate for the city, numbers allocated downward, each year in the tree of its 1 January
(so 2025's go to the units of before 1/7, and the wards formed then have none of their own for
2025); Phước Mỹ's 2024 target is 22 (the article), and one district (``UNEVEN_DISTRICT``, and
from 2026 the ward that followed it, ``UNEVEN_WARD``) allocates more than its own target so
that the allocation warning has something to show.

Candidates come in yearly cohorts per grassroots unit: a cohort's size is its target times
the unit's performance, each admitted candidate's history is laid out around a decision date
in that year with realistic gaps between stages, then cut at "today". A few stall (late
decisions, ceremonies and recognitions) and a few leave the pipeline with a reason.

Everything is drawn from ``random.Random`` seeded from ``seed`` (one stream per unit and
year), so the same seed and the same today give the same records, apart from the timestamps
of when they were recorded. All records are written in one transaction.

:class:`Builder` is what does not depend on the tree (people, timelines, members, quotas,
cohorts, writing); ``db.generate`` builds its larger made-up stores with it.
"""
from __future__ import annotations

import random
from bisect import bisect
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate, cycle
from typing import Callable

from . import papers as papers_mod
from . import rules
from .model import (COUNTS_TOWARD_QUOTA, GENDERS, HIGHER_EDUCATION, MAJORITY_ETHNICITY, STAGES, TAGS, Candidate, Exit,
                    Paper, Quota, Settings, StageEntry, Unit, stage_index)
from .quota import proportional_split, rate_target
from .service import Service
from .store import Transaction
from .text import fold, iso
from .workdays import add_months, is_workday


class Weighted:
    """Values and their weights, drawn with one bisect (``random.choices`` rebuilds its table on every call)."""

    __slots__ = ("values", "cumulative")

    def __init__(self, *pairs: tuple[object, float]) -> None:
        self.values = tuple(value for value, _ in pairs)
        self.cumulative = tuple(accumulate(weight for _, weight in pairs))

    def pick(self, rng: random.Random):
        return self.values[bisect(self.cumulative, rng.random() * self.cumulative[-1], 0, len(self.values) - 1)]


# -- the tree ---------------------------------------------------------------------------
CITY = "Đảng bộ thành phố Đà Nẵng"
FIRST_YEAR = 2024
CITY_RATES = {2024: 4.0}  # percent of members at the start of the year
LATER_RATE = 3.5
PHUOC_MY = "Đảng ủy phường Phước Mỹ"
PHUOC_MY_TARGET_2024 = 22       # "Ban Thường vụ Quận ủy đề ra chỉ tiêu ... phát triển 22 đảng viên"
PHUOC_MY_CLASS_2024 = 30        # "30 quần chúng ưu tú đã được học lớp cảm tình Đảng"
UNEVEN_DISTRICT = "Quận ủy Cẩm Lệ"  # its wards' targets are rounded up and exceed its own
UNEVEN_WARD = "Đảng ủy phường Cẩm Lệ"  # the same, for its branches, from 2026 (the district ended in 2025)
BORN_YEARS = (1964, 2006)

# (committee, its place, its wards)
DISTRICTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Quận ủy Hải Châu", "quận Hải Châu", (
        "Thạch Thang", "Hải Châu 1", "Hải Châu 2", "Phước Ninh", "Hòa Thuận Tây", "Hòa Thuận Đông",
        "Nam Dương", "Bình Hiên", "Bình Thuận", "Hòa Cường Bắc", "Hòa Cường Nam", "Thuận Phước",
        "Thanh Bình")),
    ("Quận ủy Sơn Trà", "quận Sơn Trà", (
        "Phước Mỹ", "An Hải Bắc", "An Hải Tây", "An Hải Đông", "Mân Thái", "Nại Hiên Đông", "Thọ Quang")),
    ("Quận ủy Thanh Khê", "quận Thanh Khê", (
        "Tam Thuận", "Thanh Khê Đông", "Thanh Khê Tây", "Xuân Hà", "Chính Gián", "Thạc Gián", "An Khê",
        "Hòa Khê", "Tân Chính", "Vĩnh Trung")),
    ("Quận ủy Liên Chiểu", "quận Liên Chiểu", ("Hòa Khánh Bắc", "Hòa Khánh Nam", "Hòa Minh", "Hòa Hiệp Nam")),
    ("Quận ủy Ngũ Hành Sơn", "quận Ngũ Hành Sơn", ("Mỹ An", "Khuê Mỹ", "Hòa Hải", "Hòa Quý")),
    ("Quận ủy Cẩm Lệ", "quận Cẩm Lệ", ("Khuê Trung", "Hòa Thọ Đông", "Hòa Xuân", "Hòa An")),
)
RURAL_DISTRICT = ("Huyện ủy Hòa Vang", "huyện Hòa Vang")
COMMUNES: dict[str, tuple[str, ...]] = {  # commune -> its villages (thôn)
    "Hòa Bắc": ("Tà Lang", "Giàn Bí", "Nam Yên", "Nam Mỹ", "Lộc Mỹ", "An Định"),
    "Hòa Ninh": ("Trung Nghĩa", "An Sơn", "Đông Sơn", "Sơn Phước", "Phước Thuận"),
    "Hòa Phong": ("Cẩm Toại Trung", "Cẩm Toại Đông", "Dương Lâm 1", "Dương Lâm 2", "Thạch Bồ"),
    "Hòa Châu": ("Quá Giáng 1", "Quá Giáng 2", "Phong Nam", "Giáng Nam 1", "Bồ Bản"),
}
REMOTE_VILLAGES = frozenset({"Tà Lang", "Giàn Bí"})  # Cơ Tu villages in the mountains
WARD_FIRMS: dict[str, tuple[str, ...]] = {
    "Phước Mỹ": ("Chi bộ Công ty Cổ phần Du lịch Mỹ Khê",),
    "An Hải Bắc": ("Chi bộ Công ty TNHH Phần mềm Sông Hàn",),
    "Thọ Quang": ("Chi bộ Công ty Cổ phần Thủy sản Thọ Quang",),
    "Thạc Gián": ("Chi bộ Công ty Cổ phần In Thanh Khê",),
    "Hòa Khánh Bắc": ("Chi bộ Công ty TNHH Điện tử Hòa Khánh", "Chi bộ Công ty Cổ phần Thép Liên Chiểu"),
    "Hòa Khánh Nam": ("Chi bộ Công ty TNHH Nhựa Hòa Khánh",),
    "Hòa Xuân": ("Chi bộ Công ty Cổ phần Xây dựng Hòa Xuân",),
    "Hòa Châu": ("Chi bộ Công ty TNHH Chế biến gỗ Hòa Châu",),
}

# -- the tree changes on dates ------------------------------------------------------------
# 1/1/2025: Đà Nẵng's arrangement of wards for 2023–2025 (a resolution of the National Assembly Standing
# Committee of late 2024, in force from 1/1/2025). The plan: nld.com.vn/chi-tiet-phuong-an-sap-nhap-phuong-
# xa-tai-da-nang-196240614092213083.htm (14/6/2024); as adopted, "Từ 1/1/2025, Đà Nẵng có 47 đơn vị hành
# chính cấp xã": kienthuc.net.vn/xa-hoi/tu-112025-da-nang-co-47-don-vi-hanh-chinh-cap-xa-2048692.html
# (11/2024: Hòa Khê into Thanh Khê Đông, Tam Thuận into Xuân Hà, Vĩnh Trung into Thạc Gián, Tân Chính into
# Chính Gián); the 2025 lists below name Hải Châu and An Hải Nam and no longer the wards merged into them.
# Where the sources say "into" or keep a ward's name, that ward goes on (the successor is one of them); Hải
# Châu and An Hải Nam are new units. The boundary adjustments of the same resolution (part of Hòa Minh to
# Thanh Khê Tây, …) move no branch here.
# (the ward after 1/1/2025, the demo's wards merged into it)
WARDS_2025_01 = date(2025, 1, 1)
MERGED_2025_01: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Hải Châu", ("Hải Châu 1", "Hải Châu 2")),
    ("Phước Ninh", ("Phước Ninh", "Nam Dương", "Bình Hiên")),
    ("Bình Thuận", ("Bình Thuận", "Hòa Thuận Đông")),
    ("Thanh Khê Đông", ("Thanh Khê Đông", "Hòa Khê")),
    ("Xuân Hà", ("Xuân Hà", "Tam Thuận")),
    ("Thạc Gián", ("Thạc Gián", "Vĩnh Trung")),
    ("Chính Gián", ("Chính Gián", "Tân Chính")),
    ("An Hải Nam", ("An Hải Tây", "An Hải Đông")),
)
# 1/7/2025: the district level ends (its committees are dissolved) and the wards and communes are merged;
# the new committees are directly under the city's. Nghị quyết 1659/NQ-UBTVQH15 of 16/6/2025 on arranging
# the commune-level units of Đà Nẵng (text: nghean24h.vn/tp-da-nang-co-94-dvhc-cap-xa-gom-23-phuong-70-xa-1-
# dac-khu-sau-khi-sap-xep-a754167.html; vietnam.vn/en/nghi-quyet-cua-quoc-hoi-ve-don-vi-hanh-chinh-cap-xa-
# thanh-pho-da-nang-nam-2025; the list of wards and communes: news.laodong.vn/thoi-su/da-nang-co-dac-khu-
# hoang-sa-va-23-phuong-70-xa-sau-sap-xep-1524691.ldo), and the city committee's scheme for the party
# committees (15 ward and commune committees replace the 47, the district committees are dissolved in July:
# cafef.vn/da-nang-thanh-lap-15-dang-bo-phuong-xa-moi-va-chi-bo-dac-khu-hoang-sa-188250511142541281.chn,
# 11/5/2025; the plan of 23/4/2025: plo.vn/da-nang-tiep-tuc-giam-con-16-don-vi-hanh-chinh-cap-xa-dac-khu-
# post846017.html, tienphong.vn/da-nang-con-15-phuong-xa-va-1-dac-khu-post1736253.tpo). The communes:
# Hòa Bắc into phường Hải Vân and Hòa Châu into phường Hòa Xuân (cafef above; the plan of 17/4/2025:
# sggp.org.vn/da-nang-dat-ten-phuong-xa-moi-theo-cac-dia-danh-sau-sap-xep-post791893.html), Hòa Phong
# (with Hòa Phú) into xã Hòa Vang and Hòa Ninh (with Hòa Nhơn) into xã Bà Nà (sggp above, which the plan
# of 23/4 did not change there). Wards and communes that are not in the demo (Hòa Phát, Hòa Thọ Tây, Hòa
# Hiệp Bắc, xã Hòa Sơn, xã Hòa Liên, …) are left out of the lists.
# (the new committee, (the demo's wards and communes merged into it))
WARDS_2025_07 = date(2025, 7, 1)
MERGED_2025_07: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("phường Hải Châu", ("Thanh Bình", "Thuận Phước", "Thạch Thang", "Hải Châu", "Phước Ninh")),
    ("phường Hòa Cường", ("Bình Thuận", "Hòa Thuận Tây", "Hòa Cường Bắc", "Hòa Cường Nam")),
    ("phường Thanh Khê", ("Xuân Hà", "Chính Gián", "Thạc Gián", "Thanh Khê Đông", "Thanh Khê Tây")),
    ("phường An Khê", ("An Khê", "Hòa An")),
    ("phường An Hải", ("Phước Mỹ", "An Hải Bắc", "An Hải Nam")),
    ("phường Sơn Trà", ("Thọ Quang", "Nại Hiên Đông", "Mân Thái")),
    ("phường Ngũ Hành Sơn", ("Mỹ An", "Khuê Mỹ", "Hòa Hải", "Hòa Quý")),
    ("phường Hòa Khánh", ("Hòa Khánh Nam", "Hòa Minh")),
    ("phường Liên Chiểu", ("Hòa Khánh Bắc",)),
    ("phường Hải Vân", ("Hòa Hiệp Nam", "Hòa Bắc")),
    ("phường Cẩm Lệ", ("Khuê Trung", "Hòa Thọ Đông")),
    ("phường Hòa Xuân", ("Hòa Xuân", "Hòa Châu")),
    ("xã Hòa Vang", ("Hòa Phong",)),
    ("xã Bà Nà", ("Hòa Ninh",)),
)
# On the same day Quảng Nam and Đà Nẵng became one city (Nghị quyết 202/2025/QH15 of 12/6/2025, on which
# 1659 rests); the merged city's committee had 139,534 members on 31/8/2025 (DOMAIN.md). The demo adds three
# of Quảng Nam's new wards (their names are in 1659's list), so that 2026 is counted with the larger city;
# made up for the demo: their branches, members and candidates (the rest of Quảng Nam is left out).
QUANG_NAM_WARDS = ("Hội An", "Tam Kỳ", "Điện Bàn")
# The two bloc committees stay as they are: they were reorganised in 2025 too, but the demo cites no source
# for how their units were shared out, so it does not make that up.

# (bloc committee, ((grassroots committee, ((branch, kind), ...)), ...))
BLOCS: tuple[tuple[str, tuple[tuple[str, tuple[tuple[str, str], ...]], ...]], ...] = (
    ("Đảng ủy khối Các cơ quan thành phố", (
        ("Đảng ủy Sở Giáo dục và Đào tạo", (
            ("Chi bộ Văn phòng Sở", "agency"), ("Chi bộ Trường THPT Phan Châu Trinh", "high_school"),
            ("Chi bộ Trường THPT Trần Phú", "high_school"), ("Chi bộ Trường THPT Hoàng Hoa Thám", "high_school"),
            ("Chi bộ Trường THPT Nguyễn Hiền", "high_school"), ("Chi bộ Trường THPT Thái Phiên", "high_school"))),
        ("Đảng ủy Sở Y tế", (
            ("Chi bộ Văn phòng Sở", "agency"), ("Chi bộ Trung tâm Kiểm soát bệnh tật", "health"),
            ("Chi bộ Trung tâm Cấp cứu 115", "health"), ("Chi bộ Chi cục An toàn vệ sinh thực phẩm", "agency"))),
        ("Đảng ủy Bệnh viện Đà Nẵng", (
            ("Chi bộ Khoa Nội", "hospital"), ("Chi bộ Khoa Ngoại", "hospital"), ("Chi bộ Khoa Cấp cứu", "hospital"),
            ("Chi bộ Khoa Hồi sức tích cực", "hospital"), ("Chi bộ Phòng Điều dưỡng", "hospital"),
            ("Chi bộ Khối Hành chính", "hospital"))),
        ("Đảng ủy Bệnh viện Phụ sản - Nhi", (
            ("Chi bộ Khoa Sản", "hospital"), ("Chi bộ Khoa Nhi", "hospital"), ("Chi bộ Khoa Sơ sinh", "hospital"),
            ("Chi bộ Khối Hành chính", "hospital"))),
        ("Đảng ủy Văn phòng UBND thành phố", (
            ("Chi bộ Phòng Tổng hợp", "agency"), ("Chi bộ Phòng Kinh tế", "agency"),
            ("Chi bộ Phòng Nội chính", "agency"), ("Chi bộ Trung tâm Thông tin", "agency"))),
        ("Đảng ủy Trường Cao đẳng Nghề Đà Nẵng", (
            ("Chi bộ Khoa Cơ khí", "college"), ("Chi bộ Khoa Điện - Điện tử", "college"),
            ("Chi bộ Khoa Du lịch", "college"), ("Chi bộ Học sinh - Sinh viên", "college"))),
    )),
    ("Đảng ủy khối Doanh nghiệp", (
        ("Đảng ủy Công ty Cổ phần Cảng Đà Nẵng", (
            ("Chi bộ Xí nghiệp Cảng Tiên Sa", "firm"), ("Chi bộ Xí nghiệp Cảng Sông Hàn", "firm"),
            ("Chi bộ Đội Cơ giới", "firm"), ("Chi bộ Khối Văn phòng", "firm"))),
        ("Đảng ủy Công ty Cổ phần Dệt may 29/3", (
            ("Chi bộ Xí nghiệp May 1", "firm"), ("Chi bộ Xí nghiệp May 2", "firm"),
            ("Chi bộ Xí nghiệp May 3", "firm"), ("Chi bộ Phòng Kỹ thuật", "firm"))),
        ("Đảng ủy Công ty Cổ phần Cấp nước Đà Nẵng", (
            ("Chi bộ Nhà máy nước Cầu Đỏ", "firm"), ("Chi bộ Nhà máy nước Sân Bay", "firm"),
            ("Chi bộ Xí nghiệp Xây lắp", "firm"), ("Chi bộ Khối Văn phòng", "firm"))),
        ("Đảng ủy Công ty Cổ phần Môi trường đô thị Đà Nẵng", (
            ("Chi bộ Xí nghiệp Môi trường Hải Châu", "firm"), ("Chi bộ Xí nghiệp Môi trường Sơn Trà", "firm"),
            ("Chi bộ Xí nghiệp Môi trường Liên Chiểu", "firm"), ("Chi bộ Khối Văn phòng", "firm"))),
    )),
)
SCHOOL_NAMES = (  # schools are named after people; each kind draws from its own shuffled cycle
    "Nguyễn Huệ", "Lê Độ", "Trưng Vương", "Tây Sơn", "Kim Đồng", "Nguyễn Khuyến", "Lý Thường Kiệt",
    "Nguyễn Văn Cừ", "Phan Bội Châu", "Lê Hồng Phong", "Nguyễn Thị Minh Khai", "Hoàng Diệu", "Chu Văn An",
    "Lương Thế Vinh", "Nguyễn Đình Chiểu", "Trần Quốc Toản", "Đặng Thai Mai", "Huỳnh Bá Chánh",
    "Nguyễn Lương Bằng", "Phạm Ngọc Thạch", "Lê Lợi", "Quang Trung", "Ngô Quyền", "Nguyễn Trãi", "Lê Quý Đôn",
    "Võ Thị Sáu", "Hàm Nghi", "Phan Đình Phùng", "Lê Văn Thiêm", "Nguyễn Công Trứ", "Hoàng Văn Thụ",
    "Lê Anh Xuân", "Nguyễn Bỉnh Khiêm", "Tô Hiến Thành", "Trần Cao Vân", "Hùng Vương", "Lý Tự Trọng",
    "Nguyễn Chí Thanh", "Mai Đăng Chơn", "Hoàng Lê Kha", "Phù Đổng", "Điện Biên Phủ", "Bạch Đằng",
    "Đinh Bộ Lĩnh", "Trần Nhân Tông", "Nguyễn Du", "Hồ Xuân Hương", "Ông Ích Đường", "Tôn Thất Tùng",
    "Nguyễn Phan Vinh", "Trần Văn Dư", "Phan Thanh", "Nguyễn Thái Bình", "Lê Lai",
)
KINDERGARTEN_NAMES = (
    "Hoa Sen", "Hoa Hồng", "Sơn Ca", "Họa Mi", "Bình Minh", "Vành Khuyên", "Tuổi Thơ", "Hướng Dương",
    "Ánh Dương", "Hoa Mai", "Hoa Phượng", "Thiên Thần", "Búp Sen Hồng", "Sao Mai", "Hoa Cúc", "Rạng Đông",
)
MEMBERS_BY_KIND: dict[str, tuple[int, int]] = {  # members of one branch at the start of 2024
    "residential": (25, 80), "village": (20, 60), "remote": (10, 25), "school": (10, 30),
    "high_school": (15, 40), "college": (15, 40), "health": (10, 20), "hospital": (15, 45),
    "agency": (12, 35), "military": (10, 18), "firm": (10, 40),
}
# admissions of a grassroots unit per its target: some far under, most around it, some over
PERFORMANCE = (0.3, 0.5, 0.75, 0.9, 1.0, 1.0, 1.1, 1.2, 1.4)

# -- the people -------------------------------------------------------------------------
FAMILY_NAMES = Weighted(("Nguyễn", 30), ("Trần", 10), ("Lê", 9), ("Phạm", 6), ("Huỳnh", 5), ("Hoàng", 3),
                        ("Phan", 5), ("Võ", 6), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2), ("Ngô", 2), ("Dương", 1),
                        ("Lý", 1), ("Trương", 2), ("Đoàn", 1), ("Mai", 1), ("Lương", 1), ("Thái", 1), ("Hà", 1),
                        ("Tô", 1))
FAMILY_NAMES_BY_ETHNICITY = {
    "Cơ Tu": Weighted(("Alăng", 3), ("Bhling", 2), ("Bríu", 3), ("Clâu", 1), ("Pơloong", 2), ("Zơrâm", 2), ("Hôih", 1)),
    "Hoa": Weighted(("Lâm", 3), ("Quách", 2), ("Lý", 2), ("Trương", 2), ("Mã", 1), ("Hứa", 1), ("Tạ", 1)),
}
MIDDLE_NAMES = {
    "male": Weighted(("Văn", 6), ("Minh", 2), ("Quốc", 1), ("Thanh", 1), ("Đức", 1), ("Hữu", 1), ("Công", 1),
                     ("Ngọc", 1), ("Tấn", 1), ("Xuân", 1), ("Anh", 1), ("Trọng", 1), ("Hoàng", 1)),
    "female": Weighted(("Thị", 7), ("Ngọc", 1), ("Thanh", 1), ("Thu", 1), ("Minh", 1), ("Bảo", 1), ("Hồng", 1),
                       ("Mỹ", 1), ("Khánh", 1), ("Thị Thu", 1), ("Thị Ngọc", 1), ("Thị Kim", 1), ("Thị Mỹ", 1)),
}
GIVEN_NAMES = {
    "male": ("An", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khang",
             "Khánh", "Kiên", "Long", "Lộc", "Minh", "Nam", "Nghĩa", "Nhân", "Phát", "Phong", "Phúc", "Quân",
             "Quang", "Sơn", "Tài", "Thắng", "Thành", "Thiện", "Thịnh", "Tiến", "Toàn", "Trí", "Trung", "Tuấn",
             "Tùng", "Việt", "Vinh", "Vũ", "Hưng", "Lợi", "Tâm"),
    "female": ("Anh", "Chi", "Diễm", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương", "Huyền", "Lan",
               "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Nhi", "Nhung", "Oanh", "Phương", "Quyên", "Thảo", "Thu",
               "Trang", "Trâm", "Trinh", "Uyên", "Vân", "Vy", "Yến", "Tâm", "Thủy", "Ly"),
}
ETHNICITIES = Weighted((MAJORITY_ETHNICITY, 960), ("Hoa", 15), ("Cơ Tu", 10), ("Tày", 5), ("Nùng", 5), ("Mường", 5))
RELIGIONS = Weighted(("", 900), ("Phật giáo", 65), ("Công giáo", 28), ("Cao Đài", 7))
OCCUPATIONS_BY_KIND: dict[str, Weighted] = {
    "residential": Weighted(("other", 4), ("non_state_worker", 4), ("student", 2), ("civil_servant", 1),
                            ("public_service", 1)),
    "village": Weighted(("farmer", 6), ("non_state_worker", 2), ("other", 1)),
    "remote": Weighted(("farmer", 1),),
    "school": Weighted(("public_service", 1),),
    "high_school": Weighted(("public_service", 2), ("student", 1)),
    "college": Weighted(("student", 3), ("public_service", 1)),
    "health": Weighted(("public_service", 1),),
    "hospital": Weighted(("public_service", 1),),
    "agency": Weighted(("civil_servant", 4), ("public_service", 1)),
    "military": Weighted(("armed_forces", 1),),
    "firm": Weighted(("non_state_worker", 1),),
}
FEMALE_SHARE = {"residential": 0.5, "village": 0.45, "remote": 0.45, "school": 0.75, "high_school": 0.6,
                "college": 0.45, "health": 0.7, "hospital": 0.65, "agency": 0.5, "military": 0.08, "firm": 0.5}
AGE_BY_OCCUPATION = {  # age at the branch vote
    "student": (18, 22), "public_service": (23, 45), "civil_servant": (24, 45), "non_state_worker": (20, 45),
    "farmer": (22, 55), "armed_forces": (19, 30), "other": (20, 58),
}
EDUCATION_BY_OCCUPATION: dict[str, Weighted] = {
    "public_service": Weighted(("university", 6), ("college", 2), ("postgraduate", 1)),
    "civil_servant": Weighted(("university", 7), ("postgraduate", 2), ("college", 1)),
    "student": Weighted(("high_school", 1),),
    "non_state_worker": Weighted(("vocational", 3), ("high_school", 3), ("college", 2), ("university", 2),
                                 ("secondary", 1)),
    "farmer": Weighted(("secondary", 3), ("high_school", 3), ("primary", 1), ("vocational", 1)),
    "armed_forces": Weighted(("high_school", 3), ("college", 1), ("university", 1)),
    "other": Weighted(("high_school", 3), ("vocational", 2), ("university", 2), ("college", 1), ("secondary", 1)),
}
RENTER_SHARE = {"student": 0.5, "non_state_worker": 0.3}  # others: OTHER_RENTER_SHARE
OTHER_RENTER_SHARE = 0.05
VERIFICATION_NOTES = (
    "Gia đình chấp hành tốt chủ trương của Đảng, chính sách, pháp luật của Nhà nước.",
    "Bố là đảng viên; mẹ là hội viên Hội Liên hiệp Phụ nữ phường.",
    "Lý lịch rõ ràng; đã thẩm tra đủ cha mẹ, vợ/chồng và anh chị em ruột.",
    "Ông nội là thương binh; gia đình có công với cách mạng.",
    "Có người thân định cư ở nước ngoài; đã thẩm tra, không có vấn đề chính trị.",
)
EXIT_REASONS = {
    "withdrawn": (
        "Chuyển công tác ra ngoài thành phố.",
        "Đi học tập, làm việc ở nước ngoài.",
        "Xin rút vì hoàn cảnh gia đình.",
        "Chuyển nơi cư trú sang tỉnh khác.",
        "Lên đường nhập ngũ, chuyển về đơn vị quân đội bồi dưỡng tiếp.",
    ),
    "rejected": (
        "Thẩm tra lý lịch chưa làm rõ được vấn đề chính trị của người thân.",
        "Nghị quyết chi bộ không đủ 2/3 số đảng viên chính thức tán thành.",
        "Chưa đủ tiêu chuẩn về phẩm chất, đạo đức qua xem xét của chi bộ.",
    ),
}

# -- timelines --------------------------------------------------------------------------
GAP_DAYS: dict[str, tuple[int, int]] = {  # days from the previous stage to this one
    "class": (30, 120), "dossier": (30, 90), "verified": (30, 90), "branch": (7, 35),
    "committee": (7, 21), "decided": (7, 49), "admitted": (7, 42),
    "official": (5, 35),  # after the probation months
}
SLOW_DECISION = (0.06, (50, 95))  # share of decisions that take longer, and their committee → decision gap
# decisions by month: more in May (19/5), September and at the end of the year
DECISION_MONTHS = Weighted(*zip(range(1, 13), (4, 6, 8, 8, 10, 8, 7, 8, 9, 9, 10, 12)))
EXTRAS_SHARE = 0.35  # candidates per admission who stay early in the pipeline
EXTRA_STOPS = Weighted(("source", 4), ("class", 5), ("dossier", 1), ("verified", 0.5))
PREVIOUS_YEAR_SHARE = 0.4  # the cohort decided the year before the demo starts (on probation in it)

# -- the builder ------------------------------------------------------------------------
SCHOOL_SHARES = (("THCS", 0.75), ("Tiểu học", 0.7), ("Mầm non", 0.4))  # a ward's schools, each by chance
MIN_MEMBERS = 3  # a branch has at least three members
DOSSIER, VERIFIED, DECIDED, OFFICIAL = (stage_index(s) for s in ("dossier", "verified", COUNTS_TOWARD_QUOTA,
                                                                   "official"))
GAPS = [GAP_DAYS.get(stage, (0, 0)) for stage in STAGES]  # by stage index


@lru_cache(maxsize=None)
def _workday(day: date, step: int = 1) -> date:
    """``day`` itself or the next working day (the previous one with ``step=-1``)."""
    while not is_workday(day):
        day += timedelta(days=step)
    return day


def _short(committee: str) -> str:
    """A committee's name without its kind: "Đảng ủy phường Phước Mỹ" -> "Phước Mỹ"."""
    for prefix in ("Đảng ủy phường ", "Đảng ủy xã ", "Đảng bộ khu vực ", "Đảng ủy ", "Đảng bộ "):
        if committee.startswith(prefix):
            return committee[len(prefix):]
    return committee


@lru_cache(maxsize=None)
def _initials(word: str) -> str:
    return fold(word)[:2]


@dataclass(eq=False)
class Node:
    """A unit to be written, with what is drawn for it, and its period: it exists from ``began`` (None: from
    the start) to the day before ``ended``; ``children`` are its children now, ``former`` those that moved
    away; ``earlier`` its parents before its moves, as ``(until, parent)``, oldest first (as ``Unit`` has them)."""

    name: str
    level: str
    kind: str = ""   # what a branch is (residential, school, firm, …): decides its candidates
    place: str = ""  # where a ward branch's people live: "phường Phước Mỹ, quận Sơn Trà"
    children: list["Node"] = field(default_factory=list)
    members: dict[int, int] = field(default_factory=dict)
    targets: dict[int, int] = field(default_factory=dict)
    performance: float = 1.0
    id: int = 0
    parent: int | None = None
    began: date | None = None
    ended: date | None = None
    end: str | None = None                                     # merged, split or dissolved
    successors: list["Node"] = field(default_factory=list)
    predecessors: list["Node"] = field(default_factory=list)   # the units merged into it
    earlier: list[tuple[date, "Node"]] = field(default_factory=list)
    former: list["Node"] = field(default_factory=list)

    def exists_on(self, day: date) -> bool:
        return (self.began is None or self.began <= day) and (self.ended is None or day < self.ended)

    def under_on(self, day: date, now: "Node | None") -> "Node | None":
        """Its parent on ``day``, ``now`` being its parent after its last move."""
        for until, parent in self.earlier:
            if day < until:
                return parent
        return now

    def kids_on(self, day: date) -> list["Node"]:
        """Its children on ``day``: those that existed then and were under it then."""
        return ([kid for kid in self.children if kid.exists_on(day) and kid.under_on(day, self) is self]
                + [kid for kid in self.former if kid.exists_on(day) and kid.under_on(day, None) is self])

    @property
    def is_leaf(self) -> bool:
        return not self.children and not self.former

    def leaves(self) -> list["Node"]:
        """The branches below it now (from the root: every branch there is), each once."""
        return [node for node in self.walk() if node.is_leaf]

    def leaves_on(self, day: date) -> list["Node"]:
        return [self] if self.is_leaf else [leaf for kid in self.kids_on(day) for leaf in kid.leaves_on(day)]

    def walk_on(self, day: date):
        """It and the units below it on ``day``."""
        yield self
        for kid in self.kids_on(day):
            yield from kid.walk_on(day)

    def total(self, year: int) -> int:
        """Members at the start of ``year`` in its branches of that day."""
        return sum(leaf.members.get(year, 0) for leaf in self.leaves_on(date(year, 1, 1)))

    def walk(self):
        """It and the units below it now (from the root: every unit, ended or not, under its last parent)."""
        yield self
        for kid in self.children:
            yield from kid.walk()

    def to_doc(self) -> dict:
        return Unit(self.id, self.name, self.level, self.parent, dict(self.members), began=self.began,
                    ended=self.ended, end=self.end, successors=tuple(s.id for s in self.successors),
                    earlier=tuple((until, parent.id) for until, parent in self.earlier)).to_doc()


@dataclass(eq=False)
class Plan:
    """One candidate to be: their branch, the date of every stage, how far they get and whether they leave."""

    branch: Node
    days: dict[str, date]
    stop: str = STAGES[-1]
    exit_kind: str | None = None
    exit_day: date | None = None  # drawn for every plan with an exit kind

    def recorded(self, today: date) -> list[str]:
        """The stages on record by ``today``; none before the first."""
        return [s for s in STAGES[:stage_index(self.stop) + 1] if self.days[s] <= today]

    def left(self, today: date) -> bool:
        return self.exit_kind is not None and self.days[self.stop] <= today and self.exit_day <= today

    def decided_in(self, year: int, today: date) -> bool:
        day = self.days[COUNTS_TOWARD_QUOTA]
        return stage_index(self.stop) >= DECIDED and day.year == year and day <= today


class Builder:
    """Everything of a made-up store but the shape of its tree: members year by year, quotas
    allocated down the tree, cohorts of candidates with their timelines, the people, and the
    writing. The demo and ``db.generate`` draw their trees and hand them to it.

    ``rates`` is the root's rate for each year with quotas (the years, oldest first).
    """

    def __init__(self, seed: int, today: date, rates: dict[int, float]) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.today = today
        self.rates = rates
        self.years = sorted(rates)
        self.settings = Settings()
        self.places: list[tuple[str, str]] = []  # (committee, "phường …, quận …") for residences
        self.committees: dict[str, str] = {}     # a ward or village branch's place -> its committee
        self.quotas: list[Quota] = []
        self.cohorts: list[tuple[Node, int | str, list[Plan]]] = []  # (grassroots unit, year, its plans)
        self.schools = {kind: cycle(self.rng.sample(names, len(names)))
                        for kind, names in (("THPT", SCHOOL_NAMES), ("THCS", SCHOOL_NAMES),
                                            ("Tiểu học", SCHOOL_NAMES), ("Mầm non", KINDERGARTEN_NAMES))}

    def unit_rng(self, node: Node, year: int | str) -> random.Random:
        """One stream per unit and year, so a unit's story does not depend on the others'."""
        return random.Random(f"{self.seed}/{node.id}/{year}")

    # -- the tree -----------------------------------------------------------------------
    def local_branches(self, place: str, villages: tuple[str, ...] = (), *, remote=REMOTE_VILLAGES,
                       residential: tuple[int, int] = (3, 6)) -> list[Node]:
        """The branches where a ward's or commune's people live (residential areas, or villages) and its schools."""
        rng = self.rng
        if villages:
            branches = [Node(f"Chi bộ thôn {v}", "branch", "remote" if v in remote else "village", f"thôn {v}, {place}")
                        for v in villages]
        else:
            branches = [Node(f"Chi bộ khu dân cư số {n}", "branch", "residential", place)
                        for n in range(1, rng.randint(*residential) + 1)]
        for school, share in SCHOOL_SHARES:
            if rng.random() < share:
                branches.append(Node(f"Chi bộ Trường {school} {next(self.schools[school])}", "branch", "school"))
        return branches

    def resides(self, committee: str, place: str, branches: list[Node]) -> None:
        """``committee`` answers for the people who live in ``place`` and in the places of ``branches``."""
        self.places.append((committee, place))
        self.committees[place] = committee
        self.committees.update((b.place, committee) for b in branches if b.place)

    def ward(self, name: str, word: str, place: str, villages: tuple[str, ...] = (), *,
             residential: tuple[int, int] = (3, 6), firms: tuple[str, ...] = ()) -> Node:
        """A ward's or commune's committee as before 2025: where people live, schools, the health
        station, maybe the People's Committee and the military, and the firms of ``firms``."""
        rng = self.rng
        committee = f"Đảng ủy {word} {name}"
        branches = self.local_branches(place, villages, residential=residential)
        self.resides(committee, place, branches)
        branches.append(Node(f"Chi bộ Trạm Y tế {word}", "branch", "health"))
        if rng.random() < 0.5:
            branches.append(Node(f"Chi bộ Cơ quan UBND {word}", "branch", "agency"))
        if rng.random() < 0.6:
            branches.append(Node(f"Chi bộ Quân sự {word}", "branch", "military"))
        branches += [Node(firm, "branch", "firm") for firm in firms]
        return Node(committee, "grassroots", children=branches)

    def populate(self, root: Node) -> None:
        """Each grassroots unit's performance and each branch's members at the start of the first year it
        exists on 1 January (the first year, but for a branch that began later)."""
        for node in root.walk():
            if node.level == "grassroots":
                node.performance = self.rng.choice(PERFORMANCE)
            if node.is_leaf:
                first = next((y for y in self.years if node.exists_on(date(y, 1, 1))), None)
                members = self.rng.randint(*MEMBERS_BY_KIND[node.kind])
                if first is not None:
                    node.members[first] = members

    # -- changes on a date --------------------------------------------------------------
    @staticmethod
    def move(node: Node, old: Node, new: Node, day: date) -> None:
        """``node`` goes from under ``old`` to under ``new`` on ``day``."""
        old.children.remove(node)
        old.former.append(node)
        node.earlier.append((day, old))
        new.children.append(node)

    def merge(self, olds: list[Node], into: Node, day: date, parent: Node | None = None) -> Node:
        """``olds`` end on ``day``, merged into ``into``: a new unit that begins on ``day`` under ``parent``,
        or one of them, which goes on. Their children move under it on ``day``. Changes are made in the
        order of their days."""
        if into not in olds:
            into.began = day
            parent.children.append(into)
        self.tell_apart(into, [old for old in olds if old is not into], day)
        for old in olds:
            if old is into:
                continue
            old.ended, old.end, old.successors = day, "merged", [into]
            into.predecessors.append(old)
            for kid in [kid for kid in old.children if kid.exists_on(day)]:
                self.move(kid, old, into, day)
        return into

    @staticmethod
    def tell_apart(into: Node, olds: list[Node], day: date) -> None:
        """Children of the same name that are to be under ``into`` (each ward has its "Chi bộ khu dân cư số 1"
        and its health station's branch) take the name of the unit they come from after their own, as merged
        wards' branches are renamed: "Chi bộ khu dân cư số 1 (Phước Mỹ)". A unit has one name, so the
        earlier trees show it too."""
        owned = [(into, kid) for kid in into.children] + [(old, kid) for old in olds for kid in old.children
                                                           if kid.exists_on(day)]
        seen = Counter(fold(kid.name) for _, kid in owned)
        for owner, kid in owned:
            if seen[fold(kid.name)] > 1:
                kid.name = f"{kid.name} ({_short(owner.name)})"

    def dissolve(self, unit: Node, day: date, children_to: Node) -> None:
        """``unit`` ends on ``day`` (dissolved); its children of that day move under ``children_to``."""
        unit.ended, unit.end = day, "dissolved"
        for kid in [kid for kid in unit.children if kid.exists_on(day)]:
            self.move(kid, unit, children_to, day)

    @staticmethod
    def target(node: Node, year: int) -> int:
        """``node``'s target for ``year``: its own, else (a unit that began during the year) its predecessors'."""
        if year in node.targets:
            return node.targets[year]
        return sum(Builder.target(p, year) for p in node.predecessors)

    @staticmethod
    def number(root: Node, root_id: int, next_id: Callable[[], int]) -> list[Node]:
        """Give every unit its id (parents first); returns the units below the root."""
        root.id = root_id
        units = []
        for node in root.walk():
            for kid in node.children:
                kid.id, kid.parent = next_id(), node.id
                units.append(kid)
        return units

    # -- members and quotas -------------------------------------------------------------
    def next_members(self, root: Node, year: int) -> None:
        """Members at the start of ``year``: last year's, plus those admitted in it, less those who left."""
        admitted = Counter(plan.branch for _, _, plans in self.cohorts for plan in plans
                           if plan.decided_in(year - 1, self.today))
        for leaf in root.leaves():
            rng = self.unit_rng(leaf, f"members{year}")
            before = leaf.members.get(year - 1)
            if before is None or year in leaf.members:  # a branch that began during the year before, or in this one
                continue
            left = rng.randint(0, max(1, before // 20))  # deaths, transfers out
            leaf.members[year] = max(MIN_MEMBERS, before + admitted[leaf] - left + rng.randint(0, 1))

    def allocate(self, root: Node, year: int) -> None:
        rate = self.rates[year]
        root.targets[year] = rate_target(rate, root.total(year))
        self.quotas.append(Quota(root.id, year, rate=rate))
        self.split(root, year)

    def split(self, node: Node, year: int) -> None:
        """Allocate ``node``'s target to its children and on down the tree, the tree of 1 January."""
        kids = node.kids_on(date(year, 1, 1))
        for kid, share in zip(kids, self.shares(node, year, kids, [kid.total(year) for kid in kids])):
            kid.targets[year] = share
            if not kid.is_leaf or share:  # branches without a share get no quota
                self.quotas.append(Quota(kid.id, year, target=share))
            if not kid.is_leaf:
                self.split(kid, year)

    def shares(self, node: Node, year: int, kids: list[Node], weights: list[int]) -> list[int]:
        """``node``'s target split over its children ``kids``, whose members are ``weights``: in proportion."""
        return proportional_split(node.targets[year], weights)

    # -- cohorts ------------------------------------------------------------------------
    def plan_years(self, root: Node) -> None:
        """Members, quotas and the cohorts of every year, oldest first (members depend on admissions).

        A year's quotas are allocated in the tree of its 1 January, and its cohorts are those of the
        grassroots units of that day, over their branches of that day (a unit that ends during the year
        keeps its cohort: its branches go on under its successor, and so do their candidates)."""
        first, last = self.years[0], self.years[-1]

        def grassroots(year: int) -> list[Node]:
            return [n for n in root.walk_on(date(year, 1, 1)) if n.level == "grassroots"]

        for year in self.years:
            if year > first:
                self.next_members(root, year)
            self.allocate(root, year)
            if year == first:  # on probation when the story starts
                self.cohorts += [(unit, year - 1, self.cohort(unit, year - 1, unit.targets[year],
                                                              scale=PREVIOUS_YEAR_SHARE)) for unit in grassroots(year)]
            self.cohorts += [(unit, year, self.cohort(unit, year, unit.targets[year])) for unit in grassroots(year)]
        # next year's, as far as they got by today, in today's tree
        self.cohorts += [(unit, last + 1, self.cohort(unit, last + 1, self.target(unit, last)))
                         for unit in grassroots(last + 1)]
        self.fill_stages([unit for unit in grassroots(last + 1)
                          if all(b.began is None for b in unit.kids_on(self.today))])

    def fill_stages(self, grassroots: list[Node]) -> None:
        """One more candidate at each stage nobody is at today (it happens in small stores: few stay a
        few weeks at a vote or a decision), there since a few days, so that every stage shows."""
        today = self.today
        current = {plan.recorded(today)[-1] for _, _, plans in self.cohorts for plan in plans
                   if plan.recorded(today) and not plan.left(today)}
        rng = random.Random(f"{self.seed}/stages")
        for stage in (s for s in STAGES if s not in current):
            unit = rng.choice(grassroots)
            days = self.timeline(rng, stage, _workday(today - timedelta(days=rng.randint(1, 10)), -1))
            self.cohorts.append((unit, stage, [Plan(rng.choice(unit.kids_on(today)), days, stage)]))

    def timeline(self, rng: random.Random, anchor: str, day: date) -> dict[str, date]:
        """Dates of every stage around ``anchor`` on ``day`` (a working day), each on a working day.

        Each stage is laid out from its neighbour's working day, earlier ones moved back to a
        working day and later ones forward, so that holidays (Tết) lengthen the gaps, never
        shorten them."""
        def gap(index: int) -> timedelta:
            low, high = GAPS[index]
            if index == DECIDED and rng.random() < SLOW_DECISION[0]:
                low, high = SLOW_DECISION[1]
            return timedelta(days=low + int(rng.random() * (high - low + 1)))

        months = self.settings.probation_months
        at = stage_index(anchor)
        days: list[date] = [day] * len(STAGES)
        for i in range(at, 0, -1):
            earlier = days[i] - gap(i)
            days[i - 1] = _workday(add_months(earlier, -months) if i == OFFICIAL else earlier, -1)
        for i in range(at + 1, len(STAGES)):
            days[i] = _workday((add_months(days[i - 1], months) if i == OFFICIAL else days[i - 1]) + gap(i))
        return dict(zip(STAGES, days))

    @staticmethod
    def day_in(rng: random.Random, year: int, months: Weighted | None = None) -> date:
        month = months.pick(rng) if months else rng.randint(1, 12)
        return date(year, month, rng.randint(1, 20 if month == 12 else 28))

    def cohort(self, unit: Node, year: int, target: int, *, scale: float = 1.0) -> list[Plan]:
        """The candidates of a grassroots unit whose decisions fall in ``year``, and those who stay early."""
        rng = self.unit_rng(unit, year)
        admit = round(target * unit.performance * rng.uniform(0.85, 1.15) * scale)
        known = min(max(year, self.years[0]), self.years[-1])  # the cohorts around the quota years use theirs
        kids = unit.kids_on(date(known, 1, 1)) or unit.kids_on(self.today)
        branches = Weighted(*((b, 3 * b.targets.get(known, 0) + b.members.get(known, 0) / 20 or 1) for b in kids))
        plans = self.admissions(rng, unit, year, admit, branches)
        for _ in range(round(admit * EXTRAS_SHARE * scale) + rng.randint(0, 1)):
            days = self.timeline(rng, "source", _workday(self.day_in(rng, year)))
            plan = Plan(branches.pick(rng), days, EXTRA_STOPS.pick(rng))
            if rng.random() < 0.08:
                plan.exit_kind = "withdrawn"
            plans.append(plan)
        for plan in plans:
            if plan.exit_kind:
                plan.exit_day = plan.days[plan.stop] + timedelta(days=rng.randint(7, 60))
        # a branch that joined the store later (from another province) brings only those it identified since
        return [plan for plan in plans if plan.branch.began is None or plan.days["source"] >= plan.branch.began]

    def admissions(self, rng: random.Random, unit: Node, year: int, admit: int, branches: Weighted) -> list[Plan]:
        """``admit`` candidates of ``unit`` decided in ``year`` (a few stall or leave before that)."""
        plans = []
        for _ in range(admit):
            days = self.timeline(rng, COUNTS_TOWARD_QUOTA, _workday(self.day_in(rng, year, DECISION_MONTHS)))
            plans.append(self.fate(rng, Plan(branches.pick(rng), days)))
        return plans

    @staticmethod
    def fate(rng: random.Random, plan: Plan) -> Plan:
        """Most go all the way; a few stall (late decision, ceremony, recognition) or leave."""
        roll = rng.random()
        if roll < 0.03:
            plan.stop = rng.choice(("class", "dossier", "verified", "branch", "committee"))
            rejectable = plan.stop in ("verified", "branch", "committee")
            plan.exit_kind = "rejected" if rejectable and rng.random() < 0.6 else "withdrawn"
        elif roll < 0.045:
            plan.stop = rng.choice(("branch", "committee"))
        elif roll < 0.06:
            plan.stop = "decided"
        elif roll < 0.075:
            plan.stop = "admitted"
        return plan

    # -- the people ---------------------------------------------------------------------
    def person(self, rng: random.Random, branch: Node, vote: date) -> dict:
        """Who a candidate of ``branch`` voted on at ``vote`` is: the person's fields as stored."""
        kind = branch.kind
        occupation = OCCUPATIONS_BY_KIND[kind].pick(rng)
        gender = "female" if rng.random() < FEMALE_SHARE[kind] else "male"
        ethnicity = "Cơ Tu" if kind == "remote" and rng.random() < 0.85 else ETHNICITIES.pick(rng)
        religion = RELIGIONS.pick(rng)
        age = 18 if kind == "high_school" and occupation == "student" else rng.randint(*AGE_BY_OCCUPATION[occupation])
        born = date(vote.year - age, rng.randint(1, 12), rng.randint(1, 28))
        if rules.age_on(born, vote) < age:
            born = born.replace(year=born.year - 1)
        born = born.replace(year=min(max(born.year, BORN_YEARS[0]), BORN_YEARS[1]))
        education = EDUCATION_BY_OCCUPATION[occupation].pick(rng)
        youth_union = age <= 30 and rng.random() < (0.95 if occupation == "student" else 0.8)
        renter = kind not in ("village", "remote") and rng.random() < RENTER_SHARE.get(occupation, OTHER_RENTER_SHARE)
        committee, place = rng.choice(self.places)  # where people of an agency, school or firm live
        if kind in ("residential", "village", "remote"):
            committee, place = self.committees[branch.place], branch.place
        flags = {
            "youth_union": youth_union,
            "demobilised": gender == "male" and kind in ("residential", "village") and age <= 35 and rng.random() < 0.2,
            "religious": bool(religion),
            "renter": renter,
            "ethnic_minority": ethnicity != MAJORITY_ETHNICITY,
            "intellectual": education in HIGHER_EDUCATION and occupation in ("public_service", "civil_servant"),
            "remote": kind == "remote",
        }
        mentor = self.name(rng, rng.choice(GENDERS), MAJORITY_ETHNICITY)
        second = self.name(rng, rng.choice(GENDERS), MAJORITY_ETHNICITY)
        one_introducer = rng.random() < (0.2 if youth_union else 0.04)  # Youth Union resolution + 1, or too few
        note = rng.choice(VERIFICATION_NOTES)
        if renter:
            note += f" Ở trọ: có nhận xét của {committee} nơi cư trú."
        village = kind in ("village", "remote")
        return {
            "name": self.name(rng, gender, ethnicity), "born": iso(born), "gender": gender, "ethnicity": ethnicity,
            "religion": religion, "education": education, "occupation": occupation, "youth_union": youth_union,
            "tags": [tag for tag in TAGS if flags[tag]], "renter": renter,
            "residence": place[0].upper() + place[1:] if village else f"Tổ {rng.randint(1, 60)}, {place}",
            "mentor": mentor, "introducers": [mentor] if one_introducer else [mentor, second], "notes": note,
        }

    @staticmethod
    def name(rng: random.Random, gender: str, ethnicity: str) -> str:
        family = FAMILY_NAMES_BY_ETHNICITY.get(ethnicity, FAMILY_NAMES).pick(rng)
        middle = ("Văn" if gender == "male" else "Thị") if ethnicity == "Cơ Tu" else MIDDLE_NAMES[gender].pick(rng)
        given = rng.choice(GIVEN_NAMES[gender])
        while _initials(given) == _initials(middle.split()[-1]):  # not "Mỹ My", "Minh Minh"
            given = rng.choice(GIVEN_NAMES[gender])
        return f"{family} {middle} {given}"

    def candidate_doc(self, rng: random.Random, plan: Plan, user: str, at: str) -> dict | None:
        """The stored record of ``plan`` as of today (the form of ``Candidate.to_doc``); ``None`` before its
        first stage. The plan's dates never decrease and stop at today, so the history obeys the rules."""
        stages = plan.recorded(self.today)
        if not stages:
            return None
        doc = {"unit": plan.branch.id, **self.person(rng, plan.branch, plan.days["branch"])}
        reached = stage_index(stages[-1])
        if reached < DOSSIER:
            doc["introducers"] = []
        if reached < VERIFIED:
            doc["notes"] = ""
        branch = plan.branch.id  # branches persist through the changes: each stage is recorded where it was
        doc["history"] = [StageEntry(stage, plan.days[stage], user, at, unit=branch,
                                     exception=self.extension(plan, stage)).to_doc() for stage in stages]
        doc["exit"] = (Exit(plan.exit_kind, rng.choice(EXIT_REASONS[plan.exit_kind]), plan.exit_day, user, at).to_doc()
                       if plan.left(self.today) else None)
        doc["rev"] = 1
        if reached >= DOSSIER:
            doc["papers"] = self.papers(doc, plan, reached, user, at)
        return doc

    def papers(self, doc: dict, plan: Plan, reached: int, user: str, at: str) -> list[dict]:
        """The dossier's papers (db.papers) of a candidate past the dossier: those its branch vote needs, received
        between the dossier and the verification (all of them once verified; at the dossier, most of them by
        today, the verification conclusion not yet).  Drawn from their own generator, so the people drawn
        after are those of a store without papers."""
        rng = random.Random(f"{self.seed}/papers/{doc['name']}/{doc['history'][0]['date']}")
        cand = Candidate.from_doc(0, doc)
        start = plan.days["dossier"]
        end = plan.days["verified"] if reached >= VERIFIED else self.today
        out = []
        for kind, count in papers_mod.required(cand, plan.days["branch"], self.settings).items():
            for _ in range(count):
                if reached < VERIFIED and (kind == "verification" or rng.random() < 0.3):
                    continue
                day = start + timedelta(days=rng.randint(0, max(0, (end - start).days)))
                out.append(Paper(kind, day, user, at).to_doc())
        return sorted(out, key=lambda p: p["received"])

    def extension(self, plan: Plan, stage: str) -> str:
        """The exception of a step the drawn dates make late: a slow decision (``SLOW_DECISION``) past its
        working days, extended by the competent committee (rule ``decision``, up to ``decision_extra_workdays``
        more), or a late ceremony the superior committee agreed to (rule ``ceremony``); recorded as staff record
        it with ``--exception`` (who decided, document number, date), so that the history keeps the rules."""
        settings = self.settings
        if stage == "decided":
            start, count, text = plan.days["branch"], settings.decision_workdays, \
                f"Ban Thường vụ cấp ủy cấp trên gia hạn {settings.decision_extra_workdays} ngày làm việc"
        elif stage == "admitted":
            start, count, text = plan.days["decided"], settings.ceremony_workdays, \
                "Ban Thường vụ cấp ủy cấp trên đồng ý tổ chức lễ kết nạp muộn"
        else:
            return ""
        due = settings.calendar.add_workdays(start, count)
        if plan.days[stage] <= due:
            return ""
        number = start.toordinal() % 900 + 100
        return f"{text}, Công văn số {number}-CV/TU ngày {due.day:02d}/{due.month:02d}/{due.year}"

    # -- the store ----------------------------------------------------------------------
    def write(self, tx: Transaction, units: list[Node]) -> int:
        """Write ``units`` (all but the root), the candidates and the quotas; returns the number of candidates.
        Candidate ids follow the order in which people were identified."""
        docs = []
        for unit, year, plans in self.cohorts:
            rng = self.unit_rng(unit, f"people{year}")
            docs += [doc for doc in (self.candidate_doc(rng, plan, tx.user, tx.at) for plan in plans) if doc]
        docs.sort(key=lambda doc: doc["history"][0]["date"])
        tx.add_units({node.id: node.to_doc() for node in units})
        tx.add_candidates({tx.new_candidate_id(): doc for doc in docs})
        tx.add_quotas([quota.to_doc() for quota in self.quotas])
        return len(docs)

    def sizes(self, root: Node) -> dict:
        """What ``write`` writes, counted from the plans: units (and per level), members at the start of the
        last year, candidates (those with a first stage by today) and those of them still live, quotas, years."""
        started = [plan for _, _, plans in self.cohorts for plan in plans if plan.recorded(self.today)]
        return {"units": sum(1 for _ in root.walk()), "levels": dict(Counter(node.level for node in root.walk())),
                "members": sum(leaf.members.get(self.years[-1], 0) for leaf in root.leaves()),
                "candidates": len(started), "live": sum(not plan.left(self.today) for plan in started),
                "quotas": len(self.quotas), "years": self.years}


# -- the demo -----------------------------------------------------------------------------
class _Demo(Builder):
    def tree(self) -> Node:
        """The city of the article, then the changes of 2025 that happened by today."""
        city = Node(CITY, "city")
        wards: dict[str, Node] = {}  # the demo's wards and communes by name (a later one of the same name wins)
        districts = []
        for committee, place, names in DISTRICTS:
            district = Node(committee, "district")
            for ward in names:
                wards[ward] = self.ward(ward, "phường", f"phường {ward}, {place}", firms=WARD_FIRMS.get(ward, ()))
                district.children.append(wards[ward])
            districts.append(district)
        committee, place = RURAL_DISTRICT
        rural = Node(committee, "district")
        for commune, villages in COMMUNES.items():
            wards[commune] = self.ward(commune, "xã", f"xã {commune}, {place}", villages,
                                       firms=WARD_FIRMS.get(commune, ()))
            rural.children.append(wards[commune])
        districts.append(rural)
        city.children += districts
        for bloc, grassroots in BLOCS:
            node = Node(bloc, "district")
            for name, branches in grassroots:
                node.children.append(Node(name, "grassroots", children=[
                    Node(branch, "branch", kind) for branch, kind in branches]))
            city.children.append(node)
        if WARDS_2025_01 <= self.today:
            for name, olds in MERGED_2025_01:
                into = wards[name] if name in olds else Node(f"Đảng ủy phường {name}", "grassroots")
                parent = next(d for d in districts if wards[olds[0]] in d.children)
                wards[name] = self.merge([wards[old] for old in olds], into, WARDS_2025_01, parent)
        if WARDS_2025_07 <= self.today:
            for name, olds in MERGED_2025_07:
                self.merge([wards[old] for old in olds], Node(f"Đảng ủy {name}", "grassroots"), WARDS_2025_07, city)
            for district in districts:
                self.dissolve(district, WARDS_2025_07, city)
            for name in QUANG_NAM_WARDS:  # made up for the demo: what these wards are made of
                ward = self.ward(name, "phường", f"phường {name}, thành phố Đà Nẵng", residential=(4, 6))
                ward.began = WARDS_2025_07
                for branch in ward.children:
                    branch.began = WARDS_2025_07
                city.children.append(ward)
        self.populate(city)
        return city

    def shares(self, node: Node, year: int, kids: list[Node], weights: list[int]) -> list[int]:
        total = node.targets[year]
        if node.name in (UNEVEN_DISTRICT, UNEVEN_WARD):  # each share rounded up: more than the unit's target
            shares = [-(-total * w // sum(weights)) for w in weights]
            if sum(shares) == total:
                shares[weights.index(max(weights))] += 1
            return shares
        if node.name == PHUOC_MY and year == FIRST_YEAR:  # a share for every branch (the article)
            return [1 + s for s in proportional_split(total - len(kids), weights)]
        fixed = {i: PHUOC_MY_TARGET_2024 for i, kid in enumerate(kids) if kid.name == PHUOC_MY and year == FIRST_YEAR}
        free = [i for i in range(len(kids)) if i not in fixed]
        rest = proportional_split(total - sum(fixed.values()), [weights[i] for i in free])
        return [fixed[i] if i in fixed else rest[free.index(i)] for i in range(len(kids))]

    def admissions(self, rng: random.Random, unit: Node, year: int, admit: int, branches: Weighted) -> list[Plan]:
        if unit.name == PHUOC_MY and year == FIRST_YEAR:
            return self.class_of_2024(rng, branches)
        return super().admissions(rng, unit, year, admit, branches)

    def class_of_2024(self, rng: random.Random, branches: Weighted) -> list[Plan]:
        """Phước Mỹ's 30 who finished the awareness class early in 2024, the pool for its 22."""
        plans = []
        for n in range(PHUOC_MY_CLASS_2024):
            day = _workday(date(FIRST_YEAR, 1, 8) + timedelta(days=rng.randint(0, 70)))
            plan = Plan(branches.pick(rng), self.timeline(rng, "class", day))
            if n % 5 == 3:
                plan.stop = rng.choice(("dossier", "verified"))
            elif n % 15 == 7:
                plan.stop, plan.exit_kind = rng.choice((("dossier", "withdrawn"), ("branch", "rejected")))
            plans.append(plan)
        return plans


def build_demo(service: Service, *, today: date | None = None, seed: int = 2024) -> dict:
    """Create the demo store at ``service.store.path`` (there must be no file yet) and fill it.

    ``today`` defaults to the service's today; no date in the demo is after it. Returns a
    summary: units, candidates, quotas and the years that have members and quotas.
    """
    today = today or service.today()
    years = list(range(FIRST_YEAR, max(FIRST_YEAR, today.year) + 1))
    root = service.init(CITY)
    with service.store.transaction(by=service.user) as tx:
        demo = _Demo(seed, today, {year: CITY_RATES.get(year, LATER_RATE) for year in years})
        city = demo.tree()
        units = demo.number(city, root.id, tx.new_unit_id)
        demo.plan_years(city)
        summary = {"units": len(units) + 1, "candidates": demo.write(tx, units), "quotas": len(demo.quotas),
                   "years": years}
        tx.audit("demo.build", "store", root.id, None, summary)
    return summary
