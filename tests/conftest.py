from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from emrtrack import i18n

SMALL = """\
register:
  name: Test register
  timezone: Asia/Ho_Chi_Minh
requirements:
  - id: 2898/SYT-VP
    title: Đẩy nhanh tiến độ
    issued: 2025-07-09
    deadline: 2025-08-31
    default: true
  - id: 13/2025/TT-BYT
    issued: 2025-06-06
    deadlines:
      - applies_to: {kind: [hospital]}
        deadline: 2025-09-30
      - deadline: 2026-12-31
facilities:
  - id: do-luong-general
    name: Bệnh viện Đa khoa Đô Lương
    ownership: public
    kind: hospital
    verified: 2025-07-09
  - id: hung-nguyen-centre
    name: Trung tâm Y tế Hưng Nguyên
    ownership: public
    kind: medical-centre
    milestones: {deployed: 2025-08-20}
  - id: hoan-my-vinh
    name: Bệnh viện Đa khoa Hoàn Mỹ Vinh
    aliases: [Hoan My]
    ownership: non-public
    kind: hospital
    milestones: {appraised: 2025-08-01, deployed: 2025-09-05}
  - id: thai-an
    name: Bệnh viện Đa khoa Thái An
    ownership: non-public
    kind: hospital
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test has its own register and an English locale unless it asks otherwise."""
    monkeypatch.setenv("EMRTRACK_DB", str(tmp_path / "register.db"))
    monkeypatch.delenv("EMRTRACK_LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("EMRTRACK_DEBUG", raising=False)
    i18n.set_language("en")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def small(tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A register holding only the four facilities of SMALL (not the shipped data)."""
    from emrtrack.app import load_files
    from emrtrack.register import Register

    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    db = tmp_path / "small.db"
    register = Register.open(db)
    load_files(register, [path], actor="test")
    register.close()
    monkeypatch.setenv("EMRTRACK_DB", str(db))
    return db
