"""The lists ward offices keep, as data: the headings they write above their columns, the values they write
in the cells, and the lines above and below a list that are not candidates.

``db.transfer`` reads every text here as it reads a cell: case, diacritics (NFC or NFD), punctuation and
extra spaces aside (``Họ và tên (khai sinh)`` is ``ho va ten khai sinh``).  When an office writes a heading
or a value another way, add it here.
"""
from __future__ import annotations

NUMBER = "number"  # the row's number in the list (STT): read as nothing
MALE, FEMALE = "male", "female"  # old forms: the birth date under Nam or Nữ; newer ones: a mark (x) there

# column key (db.transfer.CANDIDATE_COLUMNS, or one of the three above) -> the headings offices write
HEADINGS: dict[str, tuple[str, ...]] = {
    NUMBER: ("STT", "TT", "Số TT", "Số thứ tự"),
    "name": ("Họ và tên", "Họ tên", "Họ và tên khai sinh", "Họ và tên quần chúng", "Họ và tên quần chúng ưu tú",
             "Full name"),
    "born": ("Ngày sinh", "Ngày, tháng, năm sinh", "Ngày tháng năm sinh", "Năm sinh", "Sinh ngày", "Ngày sinh năm sinh",
             "Date of birth"),
    "gender": ("Giới tính", "Nam/Nữ", "Nam, nữ", "Nam hay nữ", "Sex", "Gender"),
    MALE: ("Nam",),
    FEMALE: ("Nữ",),
    "ethnicity": ("Dân tộc",),
    "religion": ("Tôn giáo",),
    "education": ("Trình độ", "Học vấn", "Trình độ học vấn", "Trình độ văn hóa", "Văn hóa", "Giáo dục phổ thông",
                  "Trình độ chuyên môn", "Chuyên môn", "Chuyên môn nghiệp vụ", "Trình độ chuyên môn, nghiệp vụ"),
    "occupation": ("Nghề nghiệp", "Chức vụ, nơi làm việc", "Nghề nghiệp, nơi làm việc", "Nghề nghiệp, chức vụ",
                   "Nghề nghiệp, chức vụ, nơi làm việc", "Chức vụ, đơn vị công tác", "Công việc hiện nay"),
    "youth_union": ("Đoàn viên", "Là đoàn viên", "Đoàn viên TNCS Hồ Chí Minh"),
    "residence": ("Nơi cư trú", "Chỗ ở hiện nay", "Nơi ở hiện nay", "Nơi ở", "Địa chỉ", "Địa chỉ thường trú",
                  "Nơi thường trú", "Hộ khẩu thường trú", "Thường trú"),
    "stage:class": ("Ngày học lớp", "Ngày học lớp cảm tình Đảng", "Học lớp cảm tình Đảng", "Lớp cảm tình Đảng",
                    "Lớp nhận thức về Đảng", "Học lớp nhận thức về Đảng", "Ngày học lớp nhận thức về Đảng",
                    "Lớp bồi dưỡng nhận thức về Đảng", "Ngày học lớp bồi dưỡng nhận thức về Đảng"),
    "notes": ("Ghi chú",),
    "unit": ("Chi bộ sinh hoạt", "Thuộc chi bộ"),
}

# columns a list may give twice (văn hóa 12/12 and chuyên môn Đại học): the highest level is kept
HIGHEST_OF = frozenset({"education"})
# ... or the first cell of a row that tells (Nghề nghiệp, then Chức vụ, nơi làm việc)
FIRST_OF = frozenset({"occupation"})

# -- values ------------------------------------------------------------------------------------------
YES = ("x", "có", "1", "✓", "√", "v", "đv", "đoàn viên", "yes", "true")  # a mark in a yes/no column
NO = ("", "không", "0", "no", "false", "-", "chưa")
NO_RELIGION = ("không", "không có", "không tôn giáo", "ko", "-", "—", "0")  # a religion column's "none"
ETHNICITIES = ("Kinh",)  # spelled as ptdv keeps them (reports compare with "Kinh")

# a choice's id -> what lists write for it (besides ptdv's own labels in either language)
WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "education": {
        "primary": ("Tiểu học", "Cấp 1", "Cấp I"),
        "secondary": ("THCS", "Cấp 2", "Cấp II"),
        "high_school": ("THPT", "Cấp 3", "Cấp III", "Phổ thông"),
        "vocational": ("Trung cấp", "TC", "Trung cấp nghề", "Sơ cấp", "Sơ cấp nghề", "THCN", "Trung học chuyên nghiệp"),
        "college": ("CĐ", "Cao đẳng nghề"),
        "university": ("ĐH", "Cử nhân", "Kỹ sư", "Bác sĩ", "Dược sĩ", "Kiến trúc sư"),
        "postgraduate": ("Thạc sĩ", "ThS", "Tiến sĩ", "TS", "Cao học", "Bác sĩ chuyên khoa", "BSCK"),
    },
    "gender": {"male": ("M", "Trai"), "female": ("F", "Gái")},
}
# "12/12", "9/12", "10/10": the grade of general school reached, of a 12- or 10-year system
GRADES = {12: ((12, "high_school"), (9, "secondary"), (1, "primary")),
          10: ((10, "high_school"), (7, "secondary"), (1, "primary"))}

# an occupation written as a person's job: the first group with a word in the cell gives it
OCCUPATION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("student", ("học sinh", "sinh viên", "HS", "SV", "học viên")),
    ("armed_forces", ("công an", "quân đội", "quân nhân", "bộ đội", "chiến sĩ", "sĩ quan", "quân sự",
                      "dân quân", "biên phòng")),
    ("farmer", ("nông dân", "làm ruộng", "làm nông", "nông nghiệp", "ngư dân", "chăn nuôi", "trồng trọt")),
    ("public_service", ("viên chức", "giáo viên", "giảng viên", "bác sĩ", "y sĩ", "y tá", "điều dưỡng", "dược sĩ",
                        "bệnh viện", "trường", "trạm y tế")),
    ("civil_servant", ("công chức", "cán bộ", "UBND", "ủy ban", "MTTQ", "mặt trận", "hội phụ nữ", "đoàn phường",
                       "chuyên viên")),
    ("non_state_worker", ("công nhân", "công ty", "cty", "doanh nghiệp", "DNTN", "TNHH", "cổ phần", "xí nghiệp",
                          "nhà máy", "lao động")),
    ("other", ("tự do", "kinh doanh", "buôn bán", "nội trợ", "lao động tự do", "hưu trí")),
)

# -- rows that are no candidate (regular expressions over the folded text of a cell) ----------------------
# a total or count, in the row's first cell that has text: ends no list, the rows after it are read
TOTAL = (r"(tong cong|tong so|tong|cong)\s*(:.*|\d.*|\(.*|)", r"(tong cong|tong so)\b.*")
# a line of the footer or the signature block, a whole cell anywhere in the row: the list ends above it
FOOTER = (r"nguoi lap( bieu| danh sach| bang)?\s*:?", r"(t/m|tm\.?|thay mat)\s.+", r"(pho )?bi thu( chi bo| dang uy)?",
          r"\(\s*ky\b.*\)?", r"xac nhan\b.*", r"noi nhan\s*:?.*", r"(.+,\s*)?ngay\b.*\bthang\b.*\bnam\b.*",
          r"ket thuc danh sach.*", r"danh sach (nay )?(co|gom)\b.*")
# a row of column numbers under the headings: 1 2 3 … or (1) (2) (3) … or A B C …
COLUMN_NUMBER = (r"\(?(\d{1,2}|[a-z])\)?",)
