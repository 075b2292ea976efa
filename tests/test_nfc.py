"""Text is stored in Unicode's composed form (NFC): the same names written composed and decomposed (as some
converters write them) are the same, and loading one after the other changes nothing."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import openpyxl
from helpers import rows, run

NAME = "Bệnh viện Đa khoa Đô Lương"


def test_decomposed_names_are_the_names_as_typed(shipped_db: Path, tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", NAME)
    assert decomposed != NAME
    yaml_path = tmp_path / "nfd.yaml"
    yaml_path.write_text(
        "facilities:\n  - id: do-luong-general\n"
        f"    name: {decomposed}\n    aliases: [Do Luong General Hospital]\n    ownership: public\n"
        "    kind: hospital\n    managed_by: province\n    location: Đô Lương (former district)\n"
        "    verified: 2025-07-09\n",
        encoding="utf-8",
    )
    assert run("load", str(yaml_path)).stdout.endswith("Nothing changed; no history recorded.\n")
    csv_path = tmp_path / "nfd.csv"
    csv_path.write_text(
        f"id,name,ownership,kind\nnew-1,{unicodedata.normalize('NFD', 'Trạm y tế Đồng')},public,clinic\n",
        encoding="utf-8",
    )
    assert run("load", str(csv_path)).exit_code == 0
    wb = openpyxl.Workbook()
    wb.active.append(["id", "name", "ownership", "kind"])
    wb.active.append(["new-2", unicodedata.normalize("NFD", "Phòng khám Hữu Nghị"), "non-public", "clinic"])
    xlsx_path = tmp_path / "nfd.xlsx"
    wb.save(xlsx_path)
    assert run("load", str(xlsx_path)).exit_code == 0
    stored = dict(rows(shipped_db, "SELECT id, name FROM facilities WHERE id IN ('new-1', 'new-2')"))
    assert stored == {"new-1": "Trạm y tế Đồng", "new-2": "Phòng khám Hữu Nghị"}
    assert all(unicodedata.is_normalized("NFC", n) for n in stored.values())
