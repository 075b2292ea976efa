"""Tables that fit: at any width from 60 columns up, no line is wider than the terminal, no date, number, id or
state is cut with an ellipsis, and the columns a narrow table leaves out are named under it; the exact output
at 80 columns of the overdue report and of the status, in English and Vietnamese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import run
from rich.cells import cell_len

from emrtrack import i18n
from emrtrack.output.tables import left_out_line

WIDTHS = (60, 80, 100, 120, 200)
COMMANDS = {
    "overdue": ("report", "--overdue", "--as-of", "2025-09-01"),
    "report": ("report", "--as-of", "2025-10-01"),
    "status": ("status", "--as-of", "2025-10-01"),
    "history": ("history",),
    "show": ("show", "do luong"),
    "chart": ("chart",),
}
# a date (either language's form), a number, an id, with an ellipsis inside or right after it
CUT = re.compile(r"\d…|…\d|[0-9/-]…|[a-z0-9]-[a-z0-9-]*…")
# the report's columns a narrow table may leave out (the facility, deadline, state and days stay)
DROPPABLE = ("Id", "Kind", "Verified", "Latest milestone")  # ownership: the groups


def render(monkeypatch: pytest.MonkeyPatch, width: int, lang: str, args: tuple[str, ...]) -> str:
    monkeypatch.setenv("COLUMNS", str(width))
    r = run(*args, "--lang", lang)
    assert r.exit_code == 0, r.stderr
    return r.stdout


def labels(lang: str) -> tuple[list[str], str]:
    """The droppable columns' headers in `lang`, and how the line naming those left out starts."""
    i18n.set_language(lang)
    try:
        return [i18n._(name) for name in DROPPABLE], left_out_line(["\0"]).split("\0")[0]
    finally:
        i18n.set_language("en")


@pytest.mark.parametrize("lang", ["en", "vi"])
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_fits_the_width(shipped_db: Path, monkeypatch: pytest.MonkeyPatch, command: str, width: int, lang: str) -> None:
    out = render(monkeypatch, width, lang, COMMANDS[command])
    lines = out.splitlines()
    assert lines
    too_wide = [line for line in lines if cell_len(line) > width]
    assert not too_wide
    assert not [line for line in lines if line.endswith(" ")]  # nothing to trim before it goes into a letter
    assert not [line for line in lines if CUT.search(line)]
    assert "…" not in out  # nor anything else: a word too long for its column is folded, never cut
    if command in ("overdue", "report"):
        names, left_out = labels(lang)
        footers = [line for line in lines if line.startswith(left_out)]
        headers = {word for line in lines if line.startswith("┃") for word in line.strip("┃").split()}
        # the footer may wrap: join it with the line after it
        at = lines.index(footers[0]) if footers else len(lines)
        footer = " ".join(line.strip() for line in lines[at : at + 3])
        for label in names:
            shown = all(word in headers for word in label.split())
            assert shown or label in footer, (label, footer)
        if width == 200:
            assert not footers


# -- the exact output at 80 columns (lines compared without their trailing spaces) --------------------------
OVERDUE_80_EN = """\
25 facilities overdue against 2898/SYT-VP (deadline 2025-08-31) as of 2025-09-01
Public (13)
┏━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━┓
┃    ┃                         ┃            ┃    Days ┃ Latest    ┃            ┃
┃  # ┃ Facility                ┃ Deadline   ┃ overdue ┃ milestone ┃ Verified   ┃
┡━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━┩
│  1 │ Bệnh viện Công an tỉnh  │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ Nghệ An                 │            │         │           │            │
│  2 │ Bệnh viện Đa khoa Đô    │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ Lương                   │            │         │           │            │
│  3 │ Bệnh viện Đa khoa Nghi  │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ Lộc                     │            │         │           │            │
│  4 │ Bệnh viện Da liễu Nghệ  │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ An                      │            │         │           │            │
│  5 │ Bệnh viện Hữu nghị Đa   │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ khoa Nghệ An            │            │         │           │            │
│  6 │ Bệnh viện Phổi Nghệ An  │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│  7 │ Bệnh viện Phục hồi chức │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ năng Nghệ An            │            │         │           │            │
│  8 │ Bệnh viện Quân y 4      │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│  9 │ Bệnh viện Tâm thần Nghệ │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ An                      │            │         │           │            │
│ 10 │ Bệnh viện Trường Đại    │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ học Y khoa Vinh         │            │         │           │            │
│ 11 │ Trung tâm Huyết học -   │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ Truyền máu Nghệ An      │            │         │           │            │
│ 12 │ Trung tâm Y tế Hưng     │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ Nguyên                  │            │         │           │            │
│ 13 │ Trung tâm Y tế Quỳ Hợp  │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
└────┴─────────────────────────┴────────────┴─────────┴───────────┴────────────┘
Non-public (12)
┏━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━┓
┃    ┃                         ┃            ┃    Days ┃ Latest    ┃            ┃
┃  # ┃ Facility                ┃ Deadline   ┃ overdue ┃ milestone ┃ Verified   ┃
┡━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━┩
│  1 │ Bệnh viện Đa khoa 115   │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ Nghệ An                 │            │         │           │            │
│  2 │ Bệnh viện Đa khoa An    │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ Phát                    │            │         │           │            │
│  3 │ Bệnh viện Đa khoa Bảo   │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ Sơn                     │            │         │           │            │
│  4 │ Bệnh viện Đa khoa Đông  │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ Âu                      │            │         │           │            │
│  5 │ Bệnh viện Đa khoa Hoàn  │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ Mỹ Vinh                 │            │         │           │            │
│  6 │ Bệnh viện Đa khoa Phủ   │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ Diễn                    │            │         │           │            │
│  7 │ Bệnh viện Đa khoa Thái  │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ An                      │            │         │           │            │
│  8 │ Bệnh viện Đa khoa TTH   │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ Vinh                    │            │         │           │            │
│  9 │ Bệnh viện Ngoại khoa    │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ 115 Nghệ An             │            │         │           │            │
│ 10 │ Bệnh viện Răng Hàm Mặt  │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ Nghệ An                 │            │         │           │            │
│ 11 │ Bệnh viện Thái Thượng   │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ Hoàng                   │            │         │           │            │
│ 12 │ Bệnh viện Y học cổ      │ 2025-08-31 │       1 │ none      │ 2025-07-09 │
│    │ truyền Nguyễn Phúc      │            │         │           │            │
└────┴─────────────────────────┴────────────┴─────────┴───────────┴────────────┘
Not shown at this width: Id, Kind. A wider terminal shows them, as does --format
csv or json.
"""
# the footer is checked apart: it is worded by the catalogue
OVERDUE_80_VI = """\
25 cơ sở quá hạn theo 2898/SYT-VP (thời hạn 31/08/2025) tính đến ngày 01/09/2025
Công lập (13)
┏━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━┓
┃    ┃                            ┃            ┃   Số ┃           ┃            ┃
┃    ┃                            ┃            ┃ ngày ┃           ┃            ┃
┃    ┃                            ┃            ┃  quá ┃ Mốc gần   ┃ Ngày xác   ┃
┃  # ┃ Cơ sở                      ┃ Thời hạn   ┃  hạn ┃ nhất      ┃ minh       ┃
┡━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━┩
│  1 │ Bệnh viện Công an tỉnh     │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│    │ Nghệ An                    │            │      │           │            │
│  2 │ Bệnh viện Đa khoa Đô Lương │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│  3 │ Bệnh viện Đa khoa Nghi Lộc │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│  4 │ Bệnh viện Da liễu Nghệ An  │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│  5 │ Bệnh viện Hữu nghị Đa khoa │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│    │ Nghệ An                    │            │      │           │            │
│  6 │ Bệnh viện Phổi Nghệ An     │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│  7 │ Bệnh viện Phục hồi chức    │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│    │ năng Nghệ An               │            │      │           │            │
│  8 │ Bệnh viện Quân y 4         │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│  9 │ Bệnh viện Tâm thần Nghệ An │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│ 10 │ Bệnh viện Trường Đại học Y │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│    │ khoa Vinh                  │            │      │           │            │
│ 11 │ Trung tâm Huyết học -      │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│    │ Truyền máu Nghệ An         │            │      │           │            │
│ 12 │ Trung tâm Y tế Hưng Nguyên │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│ 13 │ Trung tâm Y tế Quỳ Hợp     │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
└────┴────────────────────────────┴────────────┴──────┴───────────┴────────────┘
Ngoài công lập (12)
┏━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━┓
┃    ┃                            ┃            ┃   Số ┃           ┃            ┃
┃    ┃                            ┃            ┃ ngày ┃           ┃            ┃
┃    ┃                            ┃            ┃  quá ┃ Mốc gần   ┃ Ngày xác   ┃
┃  # ┃ Cơ sở                      ┃ Thời hạn   ┃  hạn ┃ nhất      ┃ minh       ┃
┡━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━┩
│  1 │ Bệnh viện Đa khoa 115 Nghệ │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│    │ An                         │            │      │           │            │
│  2 │ Bệnh viện Đa khoa An Phát  │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│  3 │ Bệnh viện Đa khoa Bảo Sơn  │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│  4 │ Bệnh viện Đa khoa Đông Âu  │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│  5 │ Bệnh viện Đa khoa Hoàn Mỹ  │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│    │ Vinh                       │            │      │           │            │
│  6 │ Bệnh viện Đa khoa Phủ Diễn │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│  7 │ Bệnh viện Đa khoa Thái An  │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│  8 │ Bệnh viện Đa khoa TTH Vinh │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│  9 │ Bệnh viện Ngoại khoa 115   │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│    │ Nghệ An                    │            │      │           │            │
│ 10 │ Bệnh viện Răng Hàm Mặt     │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│    │ Nghệ An                    │            │      │           │            │
│ 11 │ Bệnh viện Thái Thượng      │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│    │ Hoàng                      │            │      │           │            │
│ 12 │ Bệnh viện Y học cổ truyền  │ 31/08/2025 │    1 │ chưa có   │ 09/07/2025 │
│    │ Nguyễn Phúc                │            │      │           │            │
└────┴────────────────────────────┴────────────┴──────┴───────────┴────────────┘
"""
STATUS_80_EN = """\
Nghệ An EMR register: status as of 2025-10-01

2898/SYT-VP · report submitted · 25 named facilities
  Deadline: 2025-07-15 (78 days past)
  In scope: 25 · On time: 0 · Late: 0 · Unconfirmed: 0 · Overdue: 25
    Not yet due: 0 · Compliance: 0.0%

2898/SYT-VP · report submitted · by ownership
  Public — In scope: 13 · On time: 0 · Late: 0 · Unconfirmed: 0 · Overdue: 13
    Not yet due: 0 · Compliance: 0.0%
  Non-public — In scope: 12 · On time: 0 · Late: 0 · Unconfirmed: 0
    Overdue: 12 · Not yet due: 0 · Compliance: 0.0%

2898/SYT-VP · deployed · all facilities
  Deadline: 2025-08-31 (31 days past)
  In scope: 25 · On time: 0 · Late: 0 · Unconfirmed: 25 · Overdue: 0
    Not yet due: 0 · Compliance: 0.0%

2898/SYT-VP · deployed · by ownership
  Public — In scope: 13 · On time: 0 · Late: 0 · Unconfirmed: 13 · Overdue: 0
    Not yet due: 0 · Compliance: 0.0%
  Non-public — In scope: 12 · On time: 0 · Late: 0 · Unconfirmed: 12
    Overdue: 0 · Not yet due: 0 · Compliance: 0.0%

13/2025/TT-BYT · deployed · hospital
  Deadline: 2025-09-30 (1 day past)
  In scope: 22 · On time: 22 · Late: 0 · Unconfirmed: 0 · Overdue: 0
    Not yet due: 0 · Compliance: 100.0%

13/2025/TT-BYT · deployed · other facilities
  Deadline: 2026-12-31 (456 days left)
  In scope: 3 · On time: 3 · Late: 0 · Unconfirmed: 0 · Overdue: 0
    Not yet due: 0 · Compliance: 100.0%

13/2025/TT-BYT · deployed · by ownership
  Public — In scope: 13 · On time: 13 · Late: 0 · Unconfirmed: 0 · Overdue: 0
    Not yet due: 0 · Compliance: 100.0%
  Non-public — In scope: 12 · On time: 12 · Late: 0 · Unconfirmed: 0
    Overdue: 0 · Not yet due: 0 · Compliance: 100.0%

2898/SYT-VP: milestones reached by 25 facilities in scope: appraised as
qualified 0 · report submitted 0 · deployed 25 · Social Insurance annex signed 0
· paper records stopped 0. Data last confirmed: oldest 2025-09-24 (7 days ago),
median 2025-09-24 (7 days ago).
13/2025/TT-BYT: milestones reached by 25 facilities in scope: appraised as
qualified 0 · report submitted 0 · deployed 25 · Social Insurance annex signed 0
· paper records stopped 0. Data last confirmed: oldest 2025-09-24 (7 days ago),
median 2025-09-24 (7 days ago).
Notes:
- Dispatch 2898/SYT-VP (9 July 2025) names 26 units appraised as qualified for
EMR, which must sign an annex with Social Insurance (BHXH); their names were not
published [1].
- Units not yet deployed were to send the Department director a written report
by 15 July 2025: reasons, expected completion date, commitment [2]. Nothing
published says who did.
- On 24 September 2025 the Minister of Health said Nghệ An had activated EMR at
100% of its public and private facilities (VietNamNet, 26 September 2025);
per-facility dates were not published, so each facility is recorded as deployed
on or before 24 September 2025 [4].
- Sources: [1] Báo Nghệ An (baonghean.vn), July 2025; [2] Vietnamese press on
the same dispatch; [3] Circular 13/2025/TT-BYT, Art. 4; [4] VietNamNet, 26
September 2025; [5] VnEconomy on Plan 586/QĐ-BYT.
"""
STATUS_80_VI = """\
Nghệ An EMR register: tình hình tính đến ngày 01/10/2025

2898/SYT-VP · đã gửi báo cáo · 25 cơ sở được nêu tên
  Thời hạn: 15/07/2025 (đã qua 78 ngày)
  Thuộc phạm vi: 25 · Đúng hạn: 0 · Muộn: 0 · Chưa xác nhận: 0 · Quá hạn: 25
    Chưa đến hạn: 0 · Tỷ lệ đạt: 0,0%

2898/SYT-VP · đã gửi báo cáo · theo hình thức sở hữu
  Công lập — Thuộc phạm vi: 13 · Đúng hạn: 0 · Muộn: 0 · Chưa xác nhận: 0
    Quá hạn: 13 · Chưa đến hạn: 0 · Tỷ lệ đạt: 0,0%
  Ngoài công lập — Thuộc phạm vi: 12 · Đúng hạn: 0 · Muộn: 0 · Chưa xác nhận: 0
    Quá hạn: 12 · Chưa đến hạn: 0 · Tỷ lệ đạt: 0,0%

2898/SYT-VP · đã triển khai · mọi cơ sở
  Thời hạn: 31/08/2025 (đã qua 31 ngày)
  Thuộc phạm vi: 25 · Đúng hạn: 0 · Muộn: 0 · Chưa xác nhận: 25 · Quá hạn: 0
    Chưa đến hạn: 0 · Tỷ lệ đạt: 0,0%

2898/SYT-VP · đã triển khai · theo hình thức sở hữu
  Công lập — Thuộc phạm vi: 13 · Đúng hạn: 0 · Muộn: 0 · Chưa xác nhận: 13
    Quá hạn: 0 · Chưa đến hạn: 0 · Tỷ lệ đạt: 0,0%
  Ngoài công lập — Thuộc phạm vi: 12 · Đúng hạn: 0 · Muộn: 0 · Chưa xác nhận: 12
    Quá hạn: 0 · Chưa đến hạn: 0 · Tỷ lệ đạt: 0,0%

13/2025/TT-BYT · đã triển khai · bệnh viện
  Thời hạn: 30/09/2025 (đã qua 1 ngày)
  Thuộc phạm vi: 22 · Đúng hạn: 22 · Muộn: 0 · Chưa xác nhận: 0 · Quá hạn: 0
    Chưa đến hạn: 0 · Tỷ lệ đạt: 100,0%

13/2025/TT-BYT · đã triển khai · các cơ sở khác
  Thời hạn: 31/12/2026 (còn 456 ngày)
  Thuộc phạm vi: 3 · Đúng hạn: 3 · Muộn: 0 · Chưa xác nhận: 0 · Quá hạn: 0
    Chưa đến hạn: 0 · Tỷ lệ đạt: 100,0%

13/2025/TT-BYT · đã triển khai · theo hình thức sở hữu
  Công lập — Thuộc phạm vi: 13 · Đúng hạn: 13 · Muộn: 0 · Chưa xác nhận: 0
    Quá hạn: 0 · Chưa đến hạn: 0 · Tỷ lệ đạt: 100,0%
  Ngoài công lập — Thuộc phạm vi: 12 · Đúng hạn: 12 · Muộn: 0 · Chưa xác nhận: 0
    Quá hạn: 0 · Chưa đến hạn: 0 · Tỷ lệ đạt: 100,0%

2898/SYT-VP: các mốc đạt được trong 25 cơ sở thuộc phạm vi: đã được thẩm định đủ
điều kiện 0 · đã gửi báo cáo 0 · đã triển khai 25 · đã ký phụ lục với BHXH 0 ·
đã dừng bệnh án giấy 0. Dữ liệu được xác nhận lần cuối: cũ nhất 24/09/2025 (7
ngày trước), trung vị 24/09/2025 (7 ngày trước).
13/2025/TT-BYT: các mốc đạt được trong 25 cơ sở thuộc phạm vi: đã được thẩm định
đủ điều kiện 0 · đã gửi báo cáo 0 · đã triển khai 25 · đã ký phụ lục với BHXH 0
· đã dừng bệnh án giấy 0. Dữ liệu được xác nhận lần cuối: cũ nhất 24/09/2025 (7
ngày trước), trung vị 24/09/2025 (7 ngày trước).
Ghi chú:
- Dispatch 2898/SYT-VP (9 July 2025) names 26 units appraised as qualified for
EMR, which must sign an annex with Social Insurance (BHXH); their names were not
published [1].
- Units not yet deployed were to send the Department director a written report
by 15 July 2025: reasons, expected completion date, commitment [2]. Nothing
published says who did.
- On 24 September 2025 the Minister of Health said Nghệ An had activated EMR at
100% of its public and private facilities (VietNamNet, 26 September 2025);
per-facility dates were not published, so each facility is recorded as deployed
on or before 24 September 2025 [4].
- Sources: [1] Báo Nghệ An (baonghean.vn), July 2025; [2] Vietnamese press on
the same dispatch; [3] Circular 13/2025/TT-BYT, Art. 4; [4] VietNamNet, 26
September 2025; [5] VnEconomy on Plan 586/QĐ-BYT.
"""


def stripped(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


@pytest.mark.parametrize(
    ("args", "lang", "expected"),
    [
        (COMMANDS["overdue"], "en", OVERDUE_80_EN),
        (COMMANDS["status"], "en", STATUS_80_EN),
        (COMMANDS["status"], "vi", STATUS_80_VI),
    ],
    ids=["overdue-en", "status-en", "status-vi"],
)
def test_exact_at_80_columns(
    shipped_db: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], lang: str, expected: str
) -> None:
    assert stripped(render(monkeypatch, 80, lang, args)) == stripped(expected)


def test_overdue_at_80_columns_in_vietnamese(shipped_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = stripped(render(monkeypatch, 80, "vi", COMMANDS["overdue"]))
    body = stripped(OVERDUE_80_VI)
    assert lines[: len(body)] == body
    i18n.set_language("vi")
    try:
        footer = left_out_line([i18n._("Id"), i18n._("Kind")])
    finally:
        i18n.set_language("en")
    assert " ".join(lines[len(body) :]) == footer


@pytest.mark.parametrize("width", [60, 80])
def test_a_long_narrowed_table_is_written_as_rich_writes_it(width: int) -> None:
    """The fast path for long tables (print_rows) draws the fitted columns as Rich does."""
    import io

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from emrtrack.output.tables import fit_columns, print_rows

    headers = ["#", "Facility", "Id", "Deadline", "Days overdue"]
    rows = [
        [str(i), f"Bệnh viện Đa khoa số {i} Nghệ An", f"facility-number-{i}", "2025-08-31", str(i % 7)]
        for i in range(1, 230)
    ]
    keep, widths = fit_columns(width, headers, rows, [None, None, 1, None, None], [True, False, False, True, True])
    assert keep == ([0, 1, 3, 4] if width == 60 else [0, 1, 2, 3, 4]) and widths is not None

    def new_table() -> Table:
        table = Table(title="Public (229)", title_justify="left")
        for i, j in enumerate(keep):
            table.add_column(headers[j], justify="right" if j in (0, 4) else "left", width=widths[i], overflow="fold")
        return table

    def console(buf: io.StringIO) -> Console:
        return Console(file=buf, width=width, highlight=False, soft_wrap=False, color_system=None)

    expected, got = io.StringIO(), io.StringIO()
    table = new_table()
    for row in rows:
        table.add_row(*(Text(row[j]) for j in keep))
    console(expected).print(table)
    print_rows(console(got), new_table, [[Text(row[j]) for j in keep] for row in rows])
    assert got.getvalue() == expected.getvalue()
    assert max(cell_len(line) for line in got.getvalue().splitlines()) <= width


def test_a_footnote_is_printed_only_with_its_mark(shipped_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A narrow table that leaves out the column bearing a source's mark leaves out its footnote too."""
    source = "the hospital's letter of 29 August 2025"
    assert run("mark-deployed", "nghi loc", "--on-or-before", "2025-08-29", "--source", source).exit_code == 0
    args = ("report", "--as-of", "2025-10-01", "--limit", "3")
    wide = render(monkeypatch, 200, "en", args)
    assert "deployed ≤ 2025-08-29 ¹" in wide and f"¹ Source: {source}" in wide.splitlines()
    narrow = render(monkeypatch, 80, "en", args)
    assert "¹" not in narrow and "Latest milestone" in narrow  # named as left out


MARKUP = """\
register:
  name: "Sổ [/]"
facilities:
  - id: loi
    name: "Phòng khám [/] Lỗi"
    ownership: non-public
    kind: clinic
  - id: bold
    name: "[bold]Đậm[/bold] [link=http://x.example]Bấm[/link]"
    ownership: non-public
    kind: clinic
"""


@pytest.mark.parametrize("width", [60, 200])
def test_square_brackets_in_names_are_text_never_markup(
    shipped_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, width: int
) -> None:
    """A register's or a facility's name with [/], [bold] or [link=…] is shown as written, in every title."""
    source = tmp_path / "markup.yaml"
    source.write_text(MARKUP, encoding="utf-8")
    assert run("load", str(source)).exit_code == 0
    for args, shown in (
        (("show", "loi"), "Phòng khám [/] Lỗi"),
        (("history", "loi"), "Phòng khám [/] Lỗi"),
        (("show", "bold"), "[bold]Đậm[/bold] [link=http://x.example]Bấm[/link]"),
        (("history", "bold"), "[bold]Đậm[/bold]"),
        (("status",), "Sổ [/]: status as of"),
        (("report", "--as-of", "2025-09-01", "--all"), "[bold]Đậm[/bold]"),
    ):
        out = render(monkeypatch, width, "en", args)
        assert shown in out, (args, out)
        assert "\x1b]8;" not in out  # no hyperlink escape
