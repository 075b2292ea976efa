"""emrtrack export: the register's present facts in the formats load reads, deterministic, and a round trip
that changes nothing (YAML, CSV, XLSX; examples and random registers)."""

from __future__ import annotations

import difflib
import io
import json
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from helpers import SMALL, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emrtrack.output.export import scalar, write_export_csv, write_export_yaml
from emrtrack.service import exports
from emrtrack.service.registers import load_files
from emrtrack.store import Register


def _export(register: Register, write: Any = write_export_yaml, **kw: Any) -> str:
    out = io.StringIO()
    write(exports.export(register, **kw), out)
    return out.getvalue()


def _facts(register: Register) -> list[tuple[Any, ...]]:
    return [(f, tuple(m.items())) for f, m in register.facility_facts()]


def _load_text(register: Register, text: str, folder: Path, name: str = "file.yaml") -> Any:
    path = folder / name
    path.write_text(text, encoding="utf-8-sig" if name.endswith(".csv") else "utf-8")
    return load_files(register, [path], actor="test")


# -- the YAML as written ---------------------------------------------------------------------------------
DO_LUONG_BLOCK = """\
  - id: do-luong-general
    name: Bệnh viện Đa khoa Đô Lương
    aliases: [Do Luong General Hospital]
    ownership: public
    kind: hospital
    managed_by: province
    location: Đô Lương (former district)
    verified: 2025-07-09
    milestones:
      deployed: {on_or_before: 2025-09-24, source: "Minister of Health, 24 September 2025, reported by \
VietNamNet on 26 September 2025 [4]"}
"""


def test_the_shipped_register_exported(shipped_db: Path) -> None:
    r = run("export")
    assert r.exit_code == 0 and r.stderr == ""
    text = r.stdout
    assert text.startswith(
        "# An emrtrack register: load it with `emrtrack load FILE` (see the README's YAML format).\n\n"
        "register:\n  name: Nghệ An EMR register\n  timezone: Asia/Ho_Chi_Minh\n  milestones:\n"
        "    - {id: appraised, en: appraised as qualified, vi: đã được thẩm định đủ điều kiện}\n"
    )
    assert '\nrequirements:\n  - id: "2898/SYT-VP"\n' in text
    assert "\\u" not in text  # Vietnamese as written
    blocks = text.split("\nfacilities:\n", 1)[1].split("\n\n")
    assert len(blocks) == 25  # one block a facility, a blank line between them
    ids = [re.match(r"  - id: (\S+)", b)[1] for b in blocks]  # type: ignore[index]
    assert ids == sorted(ids)
    assert DO_LUONG_BLOCK in text
    assert yaml.safe_load(text)["facilities"][ids.index("do-luong-general")]["milestones"]["deployed"] == {
        "on_or_before": date(2025, 9, 24),
        "source": "Minister of Health, 24 September 2025, reported by VietNamNet on 26 September 2025 [4]",
    }


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("Bệnh viện Đa khoa Đô Lương", "Bệnh viện Đa khoa Đô Lương"),
        ("2898/SYT-VP", '"2898/SYT-VP"'),  # starts with a digit
        ("yes", '"yes"'),
        ("Null", '"Null"'),
        ("A: B", '"A: B"'),
        ("A #1", '"A #1"'),
        ("=1+1 Bệnh viện", '"=1+1 Bệnh viện"'),
        ("Hoàn Mỹ, Vinh", '"Hoàn Mỹ, Vinh"'),
        ("- dash", '"- dash"'),
        ("trailing ", '"trailing "'),
        ('say "hi"', '"say \\"hi\\""'),
        (date(2025, 8, 31), "2025-08-31"),
    ],
)
def test_a_value_is_written_plain_only_when_yaml_reads_it_back_as_itself(value: Any, written: str) -> None:
    assert scalar(value) == written
    assert yaml.safe_load(f"k: {written}")["k"] == value


def test_two_exports_are_identical_and_a_mark_changes_only_its_facilitys_block(shipped_db: Path) -> None:
    first = run("export").stdout
    assert run("export").stdout == first
    assert run("mark-deployed", "do luong", "--on", "2025-08-20").exit_code == 0
    second = run("export").stdout
    changed = [
        line
        for line in difflib.unified_diff(first.splitlines(), second.splitlines(), n=0, lineterm="")
        if line[:1] in "+-" and line[:3] not in ("---", "+++")
    ]
    assert changed == [
        '-      deployed: {on_or_before: 2025-09-24, source: "Minister of Health, 24 September 2025, reported by '
        'VietNamNet on 26 September 2025 [4]"}',
        "+      deployed: 2025-08-20",
    ]


# -- the round trip ------------------------------------------------------------------------------------------
def test_the_round_trip_through_yaml(shipped_db: Path, tmp_path: Path) -> None:
    assert run("mark", "hoan my", "annex-signed", "--on", "2025-10-02").exit_code == 0
    assert run("mark-deployed", "do luong", "--on", "2025-10-05", "--correct").exit_code == 0  # against the bound
    out = tmp_path / "register.yaml"
    r = run("export", "--output", str(out))
    assert (r.exit_code, r.stderr) == (0, f"Wrote {out}.\n")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".register.yaml")]  # nothing left beside it
    copy = tmp_path / "copy.db"
    loaded = run("--db", str(copy), "load", "--no-shipped", str(out))
    assert loaded.exit_code == 0 and loaded.stderr == f"Created a new register at {copy}.\n"
    source, again = Register.open(shipped_db), Register.open(copy)
    assert again.content_hash() == source.content_hash()
    for args in (
        ("status", "--as-of", "2025-10-01", "--format", "json"),
        ("report", "-r", "all", "--as-of", "2025-09-01", "--format", "json"),
        ("report", "--obligation", "all", "--as-of", "2026-01-01", "--format", "csv"),
    ):
        mine, theirs = run(*args).stdout, run("--db", str(copy), *args).stdout
        assert mine == theirs
    assert run("--db", str(copy), "export").stdout == out.read_text(encoding="utf-8")
    events = run("history", "--format", "json", "-n", "1000").stdout
    back = run("load", str(out))
    assert back.exit_code == 0 and back.stdout.endswith("Nothing changed; no history recorded.\n")
    assert run("history", "--format", "json", "-n", "1000").stdout == events


def test_the_facility_list_round_trips_through_csv_and_xlsx(shipped_db: Path, tmp_path: Path) -> None:
    assert run("mark", "hoan my", "annex-signed", "--on", "2025-10-02", "--source", "BHXH letter").exit_code == 0
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"facilities.{fmt}"
        r = run("export", "--output", str(out))
        assert r.exit_code == 0
        assert r.stderr == f"Wrote {out}.\nA facility list holds no requirements: export them with --format yaml.\n"
        back = run("load", str(out))
        assert back.stdout.endswith("Nothing changed; no history recorded.\n"), back.stdout
        fresh = tmp_path / f"fresh-{fmt}.db"  # the shipped data, then the list: the same facilities
        assert run("--db", str(fresh), "load", str(out)).exit_code == 0
        assert _facts(Register.open(fresh)) == _facts(Register.open(shipped_db))
    sheet = openpyxl.load_workbook(tmp_path / "facilities.xlsx").active
    header = [c.value for c in sheet[1]]
    hoan_my = next(row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == "hoan-my-vinh")
    assert hoan_my[header.index("annex-signed")].date() == date(2025, 10, 2)
    assert hoan_my[header.index("annex-signed_source")] == "BHXH letter"
    assert run("export", "--format", "csv").stdout.splitlines()[0].split(",")[:3] == ["id", "name", "aliases"]


def test_export_of_one_requirement_and_its_scope(small: Path) -> None:
    text = run("export", "-r", "13/2025")
    assert text.exit_code == 0
    doc = yaml.safe_load(text.stdout)
    assert [r["id"] for r in doc["requirements"]] == ["13/2025/TT-BYT"]
    assert [f["id"] for f in doc["facilities"]] == ["do-luong-general", "hoan-my-vinh", "hung-nguyen-centre", "thai-an"]


def test_bad_export_requests(small: Path, tmp_path: Path) -> None:
    before = (tmp_path / "small.db").read_bytes()
    for args, message in (
        (("export", "--format", "xlsx"), "--format xlsx writes a file: give it with --output FILE.xlsx"),
        (("export", "--output", str(tmp_path / "r.txt")), "--output needs a file format"),
        (("export", "-r", "nope"), "no requirement 'nope' in the register"),
    ):
        r = run(*args)
        assert r.exit_code in (1, 2) and message in r.stderr, r.stderr
    missing = run("export", "--output", str(tmp_path / "no" / "such" / "r.yaml"))
    assert missing.exit_code == 1 and "No such file or directory" in missing.stderr
    assert (tmp_path / "small.db").read_bytes() == before


def test_an_export_that_fails_leaves_the_file_as_it_was(small: Path, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "register.yaml"
    out.write_text("the colleague's version\n", encoding="utf-8")

    def broken(view: Any, stream: Any) -> None:
        stream.write("half a regi")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("emrtrack.output.export.write_export_yaml", broken)
    r = run("export", "--output", str(out))
    assert (r.exit_code, r.stderr) == (
        1,
        "emrtrack: the disk is full: nothing was written; free some space and try again\n",
    )
    assert out.read_text(encoding="utf-8") == "the colleague's version\n"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".register.yaml")]


# -- random registers ---------------------------------------------------------------------------------------
_letters = st.sampled_from("aăâbcdđeêghiklmnoôơpqrstuưvxyAĐÊÔƠƯÁÀẢÃẠỆỒỮ")
_others = st.sampled_from(" ,:#-'\"=+@[]{}()/&.0123456789")
_text = (
    st.lists(st.one_of(_letters, _letters, _others), min_size=1, max_size=24)
    .map("".join)
    .map(str.strip)
    .filter(lambda s: s != "" and not s.startswith("'"))
)
_day = st.dates(date(2020, 1, 1), date(2025, 12, 31))
_reached = st.one_of(
    _day,
    st.fixed_dictionaries({"on": _day}, optional={"source": _text}),
    st.fixed_dictionaries({"on_or_before": _day}, optional={"source": _text}),
)


@st.composite
def _registers(draw: Any) -> dict[str, Any]:
    ids = draw(st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True), min_size=1, max_size=6, unique=True))
    facilities = []
    for fid in ids:
        f: dict[str, Any] = {
            "id": fid,
            "name": draw(_text),
            "ownership": draw(st.sampled_from(["public", "non-public"])),
            "kind": draw(st.sampled_from(["hospital", "clinic", "medical-centre"])),
        }
        aliases = draw(st.lists(_text.filter(lambda s: ";" not in s), max_size=2, unique=True))
        if aliases:
            f["aliases"] = aliases
        for key in ("managed_by", "location"):
            if draw(st.booleans()):
                f[key] = draw(_text)
        if draw(st.booleans()):
            f["verified"] = draw(_day)
        milestones = draw(st.dictionaries(st.sampled_from(["appraised", "deployed", "annex-signed"]), _reached))
        if milestones:
            f["milestones"] = milestones
        facilities.append(f)
    notes = draw(st.lists(_text, max_size=2))
    return {
        "register": {"name": draw(_text), "timezone": "Asia/Ho_Chi_Minh", **({"notes": notes} if notes else {})},
        "requirements": yaml.safe_load(SMALL)["requirements"],
        "facilities": facilities,
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_registers())
def test_any_register_round_trips_through_its_export(doc: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        source = Register.open(folder / "source.db")
        _load_text(source, yaml.safe_dump(doc, allow_unicode=True), folder, "source.yaml")
        exported = _export(source)
        copy = Register.open(folder / "copy.db")
        _load_text(copy, exported, folder, "export.yaml")
        assert copy.content_hash() == source.content_hash()
        assert _export(copy) == exported
        assert not _load_text(source, exported, folder, "export.yaml").changed
        listed = _export(source, write_export_csv)
        assert not _load_text(copy, listed, folder, "export.csv").changed
        fresh = Register.open(folder / "fresh.db")
        _load_text(fresh, listed, folder, "export.csv")
        assert _facts(fresh) == _facts(source)
        for register in (source, copy, fresh):
            register.close()


def test_an_export_names_what_it_holds_in_json_for_tools(shipped_db: Path) -> None:
    """The export is YAML that any YAML reader takes: the facts as plain data."""
    doc = yaml.safe_load(run("export").stdout)
    assert sorted(doc) == ["facilities", "register", "requirements"]
    assert json.dumps(doc["facilities"][0], default=str, ensure_ascii=False).startswith('{"id": "an-phat-general"')


def test_the_history_goes_out_as_json_lines_and_is_checked_on_its_own(shipped_db: Path, tmp_path: Path) -> None:
    assert run("mark-deployed", "do luong", "--on", "2025-08-20").exit_code == 0
    history = tmp_path / "history.jsonl"
    r = run("export", "--history", str(history))
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", f"Wrote {history}.\n")
    lines = history.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [1, 2]
    register_says = run("verify").stdout
    assert run("verify", "--history", str(history)).stdout == register_says  # the same events, the same last hash
    assert run("mark", "hoan my", "annex-signed", "--on", "2025-10-02").exit_code == 0
    longer = tmp_path / "later.jsonl"
    assert run("export", "--history", str(longer), "--output", str(tmp_path / "r.yaml")).exit_code == 0
    assert longer.read_text(encoding="utf-8").startswith(history.read_text(encoding="utf-8"))  # only appended
    assert (tmp_path / "r.yaml").exists()
    cut = tmp_path / "cut.jsonl"
    cut.write_text(history.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    for lang, expected in (
        ("en", "emrtrack: verify failed after 57 good events: line 2: not valid JSON (cut short or edited)\n"),
        (
            "vi",
            "emrtrack: kiểm tra không đạt sau 57 sự kiện hợp lệ: dòng 2: không phải JSON hợp lệ (bị cắt cụt hoặc bị sửa)\n",
        ),
    ):
        bad = run("verify", "--history", str(cut), "--lang", lang)
        assert (bad.exit_code, bad.stderr) == (1, expected)
    missing = run("verify", "--history", str(tmp_path / "none.jsonl"))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_a_history_file_is_extended_never_replaced_by_another(shipped_db: Path, tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    assert run("export", "--history", str(history)).exit_code == 0
    assert run("mark-deployed", "do luong", "--on", "2025-08-20").exit_code == 0
    assert run("export", "--history", str(history)).exit_code == 0  # the same lines, then one more
    assert len(history.read_text(encoding="utf-8").splitlines()) == 2
    edited = history.read_text(encoding="utf-8").replace('"actor":"emrtrack"', '"actor":"someone"', 1)
    history.write_text(edited, encoding="utf-8")
    r = run("export", "--history", str(history))
    assert r.exit_code == 1
    assert r.stderr == (
        f"emrtrack: {history} holds another history than this register's (from line 1): it is kept; give another "
        f"file, or check it with `emrtrack verify --history {history}`\n"
    )
    assert history.read_text(encoding="utf-8") == edited  # the evidence is kept


def test_nothing_is_written_when_the_request_is_wrong(shipped_db: Path, tmp_path: Path) -> None:
    r = run("export", "--output", str(tmp_path / "r.txt"), "--history", str(tmp_path / "h.jsonl"))
    assert r.exit_code == 2 and "--output needs a file format" in r.stderr
    written = [p.name for p in tmp_path.iterdir() if not p.name.startswith("register.db")]
    assert written == []  # neither the history nor the export, nor a file begun beside them


def test_an_export_is_readable_as_any_new_file_is(shipped_db: Path, tmp_path: Path) -> None:
    import os
    import stat

    mask = os.umask(0o022)
    try:
        out = tmp_path / "register.yaml"
        assert run("export", "--output", str(out)).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o644  # shared: not private as a temporary file is
        out.chmod(0o600)
        assert run("export", "--output", str(out)).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o600  # a file replaced keeps its permissions
    finally:
        os.umask(mask)


def test_a_file_git_could_not_merge_is_refused_saying_so(shipped_db: Path, tmp_path: Path) -> None:
    text = run("export").stdout.replace(
        "      deployed: {on_or_before: 2025-09-24",
        "<<<<<<< HEAD\n      deployed: 2025-08-22\n=======\n      deployed: 2025-08-20\n>>>>>>> 5d6e7f8\n"
        "      deployed: {on_or_before: 2025-09-24",
        1,
    )
    merged = tmp_path / "register.yaml"
    merged.write_text(text, encoding="utf-8")
    line = text.splitlines().index("<<<<<<< HEAD") + 1
    r = run("load", str(merged))
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == (
        f"emrtrack: {merged}:{line}: git's conflict markers (<<<<<<<, =======, >>>>>>>) are still in the file: keep "
        "the right lines, delete the markers, then load it (see the README's 'Sharing a register')\n"
    )
