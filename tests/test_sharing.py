"""Sharing a register: officers who each keep a register of their own and share `emrtrack export` through git, end
to end with real `git` and the real command line (child processes), and a national register combined from
provincial files. The README's "Sharing a register" is what these tests do."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from helpers import SHIPPED, table_hash

CLI = [sys.executable, "-m", "emrtrack"]
DO_LUONG = "  - id: do-luong-general"
DONG_AU_NAME = "    name: Bệnh viện Đa khoa Đông Âu\n"  # the block right after Đô Lương's: the closest a merge gets
DONG_AU_RENAMED = "    name: Bệnh viện Đa khoa Quốc tế Đông Âu\n"
THAI_AN_NAME = "    name: Bệnh viện Đa khoa Thái An\n"
THAI_AN_RENAMED = "    name: Bệnh viện Đa khoa Quốc tế Thái An\n"
REPORT = ("report", "-r", "all", "--as-of", "2025-09-01", "--format", "json")


def _run(cmd: list[str], cwd: Path, env: dict[str, str], ok: bool = True) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, encoding="utf-8", timeout=120)
    if ok:
        assert r.returncode == 0, f"{cmd} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r


def _env(tmp_path: Path, name: str) -> dict[str, str]:
    """A child's environment: this officer's register, and git configured inside tmp_path only."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "EMRTRACK_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME=name,
        GIT_AUTHOR_EMAIL=f"{name.lower()}@example.org",
        GIT_COMMITTER_NAME=name,
        GIT_COMMITTER_EMAIL=f"{name.lower()}@example.org",
        EMRTRACK_DB=str(tmp_path / f"{name.lower()}.db"),  # beside the clone, never in it
        EMRTRACK_LANG="en",
        LANG="C.UTF-8",
        COLUMNS="200",
        NO_COLOR="1",
    )
    return env


class Officer:
    """An officer: a register of their own ($EMRTRACK_DB) and a clone of the shared repository (the working
    directory of every command)."""

    def __init__(self, tmp_path: Path, name: str, origin: Path) -> None:
        self.name = name
        self.env = _env(tmp_path, name)
        self.db = Path(self.env["EMRTRACK_DB"])
        self.clone = tmp_path / name.lower()
        _run(["git", "-c", "init.defaultBranch=main", "clone", "-q", str(origin), str(self.clone)], tmp_path, self.env)

    def emrtrack(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        return _run([*CLI, *args], self.clone, self.env, ok)

    def git(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        return _run(["git", *args], self.clone, self.env, ok)

    def commit(self, message: str, *paths: str) -> None:
        self.git("add", *(paths or ("register.yaml",)))
        self.git("commit", "-q", "-m", message)

    @property
    def file(self) -> Path:
        return self.clone / "register.yaml"

    def text(self) -> str:
        return self.file.read_text(encoding="utf-8")

    def history(self, *args: str) -> list[dict[str, Any]]:
        return json.loads(self.emrtrack("history", *args, "--format", "json", "-n", "100000").stdout)


def _origin(tmp_path: Path) -> Path:
    origin = tmp_path / "origin.git"
    _run(["git", "-c", "init.defaultBranch=main", "init", "-q", "--bare", str(origin)], tmp_path, _env(tmp_path, "x"))
    return origin


def _two_officers(tmp_path: Path) -> tuple[Officer, Officer]:
    """A starts the register from the shipped data and pushes its export; B clones and starts theirs from it."""
    origin = _origin(tmp_path)
    a = Officer(tmp_path, "A", origin)
    first = a.emrtrack("export", "--output", "register.yaml")
    assert first.stderr == (
        f"Created a new register at {a.db} with the shipped data (nghe-an-2898.yaml: 25 facilities).\n"
        "Wrote register.yaml.\n"
    )
    shipped = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    exported = yaml.safe_load(a.text())
    assert sorted(f["id"] for f in exported["facilities"]) == sorted(f["id"] for f in shipped["facilities"])
    assert a.emrtrack("load", str(SHIPPED)).stdout.endswith("Nothing changed; no history recorded.\n")
    a.commit("The register as shipped")
    a.git("push", "-q", "-u", "origin", "main")

    b = Officer(tmp_path, "B", origin)
    joined = b.emrtrack("load", "--no-shipped", "register.yaml", "--by", "B")
    assert joined.stderr == f"Created a new register at {b.db}.\n"
    assert "Facilities: 25 added" in joined.stdout
    assert b.emrtrack("export").stdout == b.text()  # B's register holds exactly what the file says
    return a, b


def _conflict(text: str) -> tuple[int, int, int, list[str]]:
    """The one conflict in a file: the lines of <<<<<<<, ======= and >>>>>>>, and the file's lines."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("<<<<<<< ")]
    middles = [i for i, line in enumerate(lines) if line == "=======\n"]
    ends = [i for i, line in enumerate(lines) if line.startswith(">>>>>>> ")]
    assert len(starts) == len(middles) == len(ends) == 1, text
    return starts[0], middles[0], ends[0], lines


def _keep(text: str, side: str) -> str:
    """The conflicted file with one side of its conflict kept, as an officer does in an editor."""
    start, middle, end, lines = _conflict(text)
    kept = lines[start + 1 : middle] if side == "ours" else lines[middle + 1 : end]
    return "".join(lines[:start] + kept + lines[end + 1 :])


def _jsonl(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    records = [json.loads(line) for line in text.splitlines()]  # one JSON object a line
    assert all(isinstance(r, dict) for r in records)
    assert [r["id"] for r in records] == list(range(1, len(records) + 1))
    return records


# -- 1. two officers, changes to different facilities: git merges them ------------------------------------------
@pytest.mark.slow
def test_two_officers_share_a_register_through_git(tmp_path: Path) -> None:
    a, b = _two_officers(tmp_path)

    # A marks Đô Lương and shares it, with A's history beside it
    assert a.emrtrack("mark-deployed", "do-luong-general", "--on", "2025-08-20", "--by", "A").stdout.startswith(
        "Updated: Bệnh viện Đa khoa Đô Lương (do-luong-general) deployed on 2025-08-20"
    )
    a.emrtrack("export", "--output", "register.yaml", "--history", "history-a.jsonl")
    a.commit("A: Đô Lương deployed on 2025-08-20", "register.yaml", "history-a.jsonl")
    a.git("push", "-q")

    # B marks Hoàn Mỹ, then corrects Đông Âu's name in the file and loads it (as the YAML format section says)
    b.emrtrack("mark-deployed", "hoan-my-vinh", "--on", "2025-08-25", "--by", "B")
    b.emrtrack("export", "--output", "register.yaml")
    edited = b.text().replace(DONG_AU_NAME, DONG_AU_RENAMED)
    assert edited.count(DONG_AU_RENAMED) == 1
    b.file.write_text(edited, encoding="utf-8")
    # a corrected spelling, not a new official name: --correct, so that the old one is not kept as an earlier name
    renamed = b.emrtrack("load", "register.yaml", "--correct", "--by", "B")
    assert renamed.stdout.startswith("Facilities: 0 added, 1 updated, 24 unchanged;")
    b.emrtrack("export", "--output", "register.yaml", "--history", "history-b.jsonl")
    assert b.text() == edited  # the export writes the edit back exactly as the officer typed it
    b.commit("B: Hoàn Mỹ deployed on 2025-08-25; Đông Âu's name", "register.yaml", "history-b.jsonl")

    # B pulls with a merge: git merges the two facilities' blocks line by line, without a conflict
    pulled = b.git("pull", "--no-rebase", "--no-edit")
    assert "CONFLICT" not in pulled.stdout + pulled.stderr
    assert b.git("status", "--porcelain").stdout == ""
    assert len(b.git("log", "-1", "--format=%P").stdout.split()) == 2  # a merge commit
    merged = b.text()
    assert "<<<<<<<" not in merged and ">>>>>>>" not in merged
    assert "      deployed: 2025-08-20\n" in merged and "      deployed: 2025-08-25\n" in merged
    assert DONG_AU_RENAMED in merged
    b.git("push", "-q")
    a.git("pull", "-q", "--no-rebase", "--no-edit")
    assert a.file.read_bytes() == b.file.read_bytes()

    # each loads the merged file: only what the other changed is recorded, from the file
    a_before = {e["event"] for e in a.history()}
    loaded = a.emrtrack("load", "register.yaml", "--correct", "--by", "A")  # B's correction, taken as one
    assert loaded.stdout == (
        "Facilities: 0 added, 1 updated, 24 unchanged; 0 in the register but not in these files (kept).\n"
        "Requirements: 0 added, 0 updated.\n"
        "Milestones: 1 recorded.\n"
        "Recorded as change #3.\n"
    )
    new = [e for e in a.history() if e["event"] not in a_before]
    assert sorted((e["key"], e["entity"], e["action"], e["source"], e["command"], e["by"]) for e in new) == [
        ("dong-au-general", "facility", "updated", "register.yaml", "load", "A"),
        ("hoan-my-vinh", "milestone", "refined", "register.yaml", "load", "A"),
    ]
    assert json.loads(next(e for e in new if e["entity"] == "facility")["new"])["name"] == DONG_AU_RENAMED[10:-1]
    assert next(e for e in new if e["entity"] == "milestone")["new"] == "2025-08-25"

    b_before = {e["event"] for e in b.history()}
    assert b.emrtrack("load", "register.yaml", "--by", "B").stdout.endswith(
        "Milestones: 1 recorded.\nRecorded as change #4.\n"
    )
    new = [e for e in b.history() if e["event"] not in b_before]
    assert [(e["key"], e["action"], e["new"], e["source"]) for e in new] == [
        ("do-luong-general", "refined", "2025-08-20", "register.yaml")
    ]

    # both registers now hold the same facts, and each history says where each fact came from
    for officer in (a, b):
        officer.emrtrack("export", "--output", "register.yaml")
        assert officer.file.read_bytes() == merged.encode("utf-8"), officer.name
    assert a.emrtrack("export").stdout == b.emrtrack("export").stdout == merged
    assert a.emrtrack(*REPORT).stdout == b.emrtrack(*REPORT).stdout
    for officer in (a, b):
        assert officer.emrtrack("verify").stdout.startswith("ok: ")
        again = officer.emrtrack("load", "register.yaml")
        assert again.stdout.endswith("Nothing changed; no history recorded.\n")
    assert a.git("status", "--porcelain").stdout == "" and b.git("status", "--porcelain").stdout == ""
    assert (
        a.history("do-luong-general")[0]["source"] == "cli"
        and a.history("hoan-my-vinh")[0]["source"] == "register.yaml"
    )
    assert (
        b.history("hoan-my-vinh")[0]["source"] == "cli"
        and b.history("do-luong-general")[0]["source"] == "register.yaml"
    )

    # 4. the history files: one per officer (each register has its own history, so one shared file would conflict)
    history_a, history_b = _jsonl(a.clone / "history-a.jsonl"), _jsonl(b.clone / "history-b.jsonl")
    assert history_a[0]["events"][0]["hash"] != history_b[0]["events"][0]["hash"]
    a.emrtrack("export", "--output", "register.yaml", "--history", "history-a.jsonl")
    longer = _jsonl(a.clone / "history-a.jsonl")
    assert longer[: len(history_a)] == history_a and len(longer) == len(history_a) + 1
    assert (
        (a.clone / "history-a.jsonl")
        .read_text(encoding="utf-8")
        .startswith(a.git("show", "HEAD:history-a.jsonl").stdout)
    )  # a second export appends: the lines already committed are its prefix


def test_a_colleague_starts_from_the_shared_file_alone(tmp_path: Path) -> None:
    """The shared file may hold a correction against the shipped data: a colleague's new register seeded with the
    shipped data refuses it, so a colleague joins with `load --no-shipped`."""
    origin = _origin(tmp_path)
    a = Officer(tmp_path, "A", origin)
    a.emrtrack("mark-deployed", "do-luong-general", "--on", "2025-10-05", "--correct", "--by", "A")
    a.emrtrack("export", "--output", "register.yaml")
    a.commit("A: Đô Lương deployed on 2025-10-05 (after the Minister's statement)")
    a.git("push", "-q", "-u", "origin", "main")
    b = Officer(tmp_path, "B", origin)
    seeded = b.emrtrack("load", "register.yaml", ok=False)
    assert seeded.returncode == 1
    line = a.text().splitlines().index(DO_LUONG) + 1
    assert f"register.yaml:{line}: facility 'do-luong-general': deployed is recorded as on or before 2025-09-24; " in (
        seeded.stderr
    )
    assert not b.db.exists()
    b.emrtrack("load", "--no-shipped", "register.yaml")
    assert b.emrtrack("export").stdout == a.text() == a.emrtrack("export").stdout


# -- 2. two officers, the same facility: a conflict inside its block ---------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("kept", ["theirs", "ours"])
def test_a_conflict_is_confined_to_the_facilitys_block_and_resolved_by_loading(tmp_path: Path, kept: str) -> None:
    a, b = _two_officers(tmp_path)
    a.emrtrack("mark-deployed", "do-luong-general", "--on", "2025-08-20", "--by", "A")
    a.emrtrack("export", "--output", "register.yaml")
    a.commit("A: Đô Lương deployed on 2025-08-20")
    a.git("push", "-q")

    b.emrtrack("mark-deployed", "do-luong-general", "--on", "2025-08-22", "--by", "B")
    b.emrtrack("export", "--output", "register.yaml")
    b.file.write_text(b.text().replace(THAI_AN_NAME, THAI_AN_RENAMED), encoding="utf-8")  # and one change elsewhere
    b.emrtrack("load", "register.yaml", "--by", "B")
    b.emrtrack("export", "--output", "register.yaml")
    b.commit("B: Đô Lương deployed on 2025-08-22; Thái An's name")
    ours = b.text()

    pulled = b.git("pull", "--no-rebase", "--no-edit", ok=False)
    assert pulled.returncode == 1
    assert "CONFLICT (content): Merge conflict in register.yaml" in pulled.stdout
    conflicted = b.text()
    start, middle, end, lines = _conflict(conflicted)
    block = lines.index(DO_LUONG + "\n")
    block_end = lines.index("\n", block)
    assert block < start < middle < end < block_end  # inside Đô Lương's block
    assert lines[start + 1 : middle] == ["      deployed: 2025-08-22\n"]
    assert lines[middle + 1 : end] == ["      deployed: 2025-08-20\n"]
    theirs = ours.replace("      deployed: 2025-08-22\n", "      deployed: 2025-08-20\n")
    assert _keep(conflicted, "ours") == ours and _keep(conflicted, "theirs") == theirs  # the rest: both merged
    # taking a whole side (git checkout --theirs) would lose B's other change, and loading that file would quietly
    # give Thái An its old name back (a name in a file replaces the register's): keep one side of the block instead
    whole_side = b.git("show", ":3:register.yaml").stdout
    assert THAI_AN_RENAMED not in whole_side
    (b.clone.parent / "theirs.yaml").write_text(whole_side, encoding="utf-8")
    dry = b.emrtrack("load", "--dry-run", "--correct", str(b.clone.parent / "theirs.yaml"))
    assert "Facilities: 0 added, 1 updated, 24 unchanged;" in dry.stdout

    # resolve: keep one side of the block, load it with --correct, export (which changes nothing), commit, push
    b.file.write_text(_keep(conflicted, kept), encoding="utf-8")
    resolved = b.text()
    corrected = b.emrtrack("load", "--correct", "register.yaml", "--by", "B")
    assert corrected.stdout.endswith(
        "Recorded as change #4.\n" if kept == "theirs" else "Nothing changed; no history recorded.\n"
    )
    b.emrtrack("export", "--output", "register.yaml")
    assert b.text() == resolved
    b.commit("Merge: Đô Lương's date from " + ("A" if kept == "theirs" else "B"))
    b.git("push", "-q")

    a.git("pull", "-q", "--no-rebase", "--no-edit")
    assert a.text() == resolved
    before = table_hash(a.db)
    if kept == "ours":  # A's date differs from the file's: a plain load is refused, naming the date
        refused = a.emrtrack("load", "register.yaml", ok=False)
        assert refused.returncode == 1
        assert f"register.yaml:{block + 1}: facility 'do-luong-general': deployed is recorded as 2025-08-20" in (
            refused.stderr
        )
        assert table_hash(a.db) == before
    a.emrtrack("load", "--correct", "register.yaml", "--by", "A")
    event = a.history("do-luong-general")[0]
    if kept == "ours":
        assert (event["action"], event["old"], event["new"], event["source"]) == (
            "corrected",
            "2025-08-20",
            "2025-08-22",
            "register.yaml",
        )
    else:
        assert (event["action"], event["source"]) == ("refined", "cli")  # A's own mark stands
    assert a.history("thai-an-general")[0]["source"] == "register.yaml"

    for officer in (a, b):
        officer.emrtrack("export", "--output", "register.yaml")
        assert officer.text() == resolved, officer.name
        assert officer.emrtrack("verify").stdout.startswith("ok: ")
        assert officer.git("status", "--porcelain").stdout == ""
    assert a.emrtrack(*REPORT).stdout == b.emrtrack(*REPORT).stdout


@pytest.mark.slow
def test_two_facilities_added_at_the_same_place_are_both_kept_with_diff3_conflicts(tmp_path: Path) -> None:
    """Facilities added by both whose ids sort between the same two neighbours: git cannot order the two new blocks,
    so it asks. In git's default conflict style the lines the two new blocks end with alike are taken out of the
    conflict and written once, after it: keeping both sides then gives the first block without them, and the file
    still loads (here: a facility without its verified date and its deployment). With `merge.conflictStyle diff3`
    each side holds its whole block: keeping both, loading and exporting gives both facilities whole."""
    a, b = _two_officers(tmp_path)
    tail = "    verified: 2025-08-01\n    milestones:\n      deployed: 2025-08-20\n"
    blocks: dict[str, str] = {}
    for officer, fid, name, kind in (
        (a, "dong-hoi-clinic", "Phòng khám Đa khoa Đồng Hới", "clinic"),
        (b, "dong-son-general", "Bệnh viện Đa khoa Đông Sơn", "hospital"),
    ):
        new = officer.clone.parent / f"{officer.name}-new.yaml"
        block = blocks[officer.name] = (
            f"  - id: {fid}\n    name: {name}\n    ownership: non-public\n    kind: {kind}\n{tail}"
        )
        new.write_text("facilities:\n" + block, encoding="utf-8")
        assert officer.emrtrack("load", str(new)).stdout.startswith(
            "Facilities: 1 added, 0 updated, 0 unchanged; 25 in the register but not in these files (kept)."
        )
        officer.emrtrack("export", "--output", "register.yaml")
        assert block in officer.text()
        officer.commit(f"{officer.name}: {name}")
    a.git("push", "-q")

    # git's default style: the blocks' common ending is outside the conflict
    assert b.git("pull", "--no-rebase", "--no-edit", ok=False).returncode == 1
    start, middle, end, lines = _conflict(b.text())
    assert lines[start + 1] == "  - id: dong-son-general\n" and lines[middle + 1] == "  - id: dong-hoi-clinic\n"
    assert "".join(lines[end + 1 : end + 4]) == tail
    both = "".join(lines[:start] + lines[start + 1 : middle] + ["\n"] + lines[middle + 1 : end] + lines[end + 1 :])
    naive = {f["id"]: f for f in yaml.safe_load(both)["facilities"]}
    assert "milestones" not in naive["dong-son-general"] and "verified" not in naive["dong-son-general"]
    (b.clone.parent / "naive.yaml").write_text(both, encoding="utf-8")
    assert b.emrtrack("load", "--dry-run", str(b.clone.parent / "naive.yaml")).returncode == 0  # nothing says so
    b.git("merge", "--abort")

    # with diff3 each side is whole: keep both sides (not the base), load, export, commit
    b.git("config", "merge.conflictStyle", "diff3")
    assert b.git("pull", "--no-rebase", "--no-edit", ok=False).returncode == 1
    lines = b.text().splitlines(keepends=True)
    (start,) = [i for i, line in enumerate(lines) if line.startswith("<<<<<<< ")]
    (base,) = [i for i, line in enumerate(lines) if line.startswith("||||||| ")]
    (middle,) = [i for i, line in enumerate(lines) if line == "=======\n"]
    (end,) = [i for i, line in enumerate(lines) if line.startswith(">>>>>>> ")]
    assert "".join(lines[start + 1 : base]) == blocks["B"] + "\n"  # each side: its whole block
    assert "".join(lines[middle + 1 : end]) == blocks["A"] + "\n"
    b.file.write_text(
        "".join(lines[:start] + lines[start + 1 : base] + lines[middle + 1 : end] + lines[end + 1 :]), encoding="utf-8"
    )
    assert b.emrtrack("load", "register.yaml").stdout.startswith("Facilities: 1 added, 0 updated, 26 unchanged;")
    b.emrtrack("export", "--output", "register.yaml")
    ordered = b.text()
    assert ordered.index("  - id: dong-hoi-clinic") < ordered.index("  - id: dong-son-general")
    whole = {f["id"]: f for f in yaml.safe_load(ordered)["facilities"]}
    for fid in ("dong-hoi-clinic", "dong-son-general"):
        assert str(whole[fid]["verified"]) == "2025-08-01" and str(whole[fid]["milestones"]["deployed"]) == "2025-08-20"
    b.commit("Merge: both new facilities")
    b.git("push", "-q")
    a.git("pull", "-q", "--no-rebase", "--no-edit")
    assert a.emrtrack("load", "register.yaml").stdout.startswith("Facilities: 1 added, 0 updated, 26 unchanged;")
    assert a.emrtrack("export").stdout == b.emrtrack("export").stdout == ordered == a.text()
    for officer in (a, b):
        assert officer.emrtrack("verify").stdout.startswith("ok: ")


# -- 3. a national register from provincial files -----------------------------------------------------------------
def _prefixed(text: str, code: str, ids: list[str]) -> str:
    """An export's facility ids, wherever they are written, prefixed with a province code (`40-do-luong-general`)."""
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)) + r")(?![\w-])"
    )
    return pattern.sub(lambda m: f"{code}-{m[1]}", text)


def _id_line(text: str, fid: str) -> int:
    return text.splitlines().index(f"  - id: {fid}") + 1


@pytest.fixture
def provinces(tmp_path: Path) -> dict[str, Any]:
    """Nghệ An's export with its ids prefixed 40-; a Thanh Hóa facility list (38-, the same facilities renamed) as
    YAML; a national register of both, made with --no-shipped; and the Nghệ An register alone, for comparison."""
    env = _env(tmp_path, "national")
    exported = _run([*CLI, "--db", str(tmp_path / "shipped.db"), "--create", "export"], tmp_path, env).stdout
    ids = [f["id"] for f in yaml.safe_load(exported)["facilities"]]
    nghe_an = _prefixed(exported, "40", ids)
    facilities = "facilities:\n" + exported.split("\nfacilities:\n", 1)[1]
    thanh_hoa = _prefixed(facilities, "38", ids).replace("Nghệ An", "Thanh Hóa").replace("Nghe An", "Thanh Hoa")
    files = {"nghe-an.yaml": nghe_an, "thanh-hoa.yaml": thanh_hoa}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert [f["id"] for f in yaml.safe_load(nghe_an)["facilities"]] == [f"40-{i}" for i in ids]
    assert [f["id"] for f in yaml.safe_load(thanh_hoa)["facilities"]] == [f"38-{i}" for i in ids]
    national, alone = tmp_path / "national.db", tmp_path / "nghe-an.db"
    _run([*CLI, "--db", str(national), "load", "--no-shipped", "nghe-an.yaml", "thanh-hoa.yaml"], tmp_path, env)
    _run([*CLI, "--db", str(alone), "load", "--no-shipped", "nghe-an.yaml"], tmp_path, env)
    return {"dir": tmp_path, "env": env, "national": national, "alone": alone, "ids": ids, **files}


def _status(p: dict[str, Any], db: Path) -> dict[str, Any]:
    out = _run([*CLI, "--db", str(db), "status", "--format", "json", "--as-of", "2025-10-01"], p["dir"], p["env"])
    return {r["id"]: r for r in json.loads(out.stdout)["requirements"]}


def _counts(requirement: dict[str, Any]) -> dict[str, int]:
    return {k: v for k, v in requirement.items() if isinstance(v, int) and not isinstance(v, bool)}


@pytest.mark.slow
def test_provincial_files_with_prefixed_ids_add_up_in_a_national_register(provinces: dict[str, Any]) -> None:
    national, alone = _status(provinces, provinces["national"]), _status(provinces, provinces["alone"])
    circular = national["13/2025/TT-BYT"]  # national: every facility of both provinces
    assert circular["in_scope"] == 50
    assert _counts(circular) == {k: 2 * v for k, v in _counts(alone["13/2025/TT-BYT"]).items()}
    for ownership in ("public", "non-public"):
        assert (
            circular["by_ownership"][ownership]["in_scope"]
            == 2 * alone["13/2025/TT-BYT"]["by_ownership"][ownership]["in_scope"]
        )
    assert circular["by_ownership"]["public"]["in_scope"] + circular["by_ownership"]["non-public"]["in_scope"] == 50

    # the same from facility lists: the national requirements once (an export of one requirement, its facilities
    # cut off), and each province's CSV export with its code put before every id (the README's `sed '2,$ s/^/40-/'`)
    d, env = provinces["dir"], provinces["env"]
    shipped = ["--db", str(d / "shipped.db")]
    one = _run([*CLI, *shipped, "export", "-r", "13/2025/TT-BYT"], d, env).stdout
    (d / "national.yaml").write_text(one.split("\nfacilities:\n", 1)[0] + "\n", encoding="utf-8")
    _run([*CLI, *shipped, "export", "--output", "nghe-an.csv"], d, env)
    header, *rows = (d / "nghe-an.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    for code, text in (("40", "".join(rows)), ("38", "".join(rows).replace("Nghệ An", "Thanh Hóa"))):
        prefixed = "".join(f"{code}-{row}" for row in text.splitlines(keepends=True))
        (d / f"{code}.csv").write_text(header + prefixed, encoding="utf-8-sig")
    lists = d / "lists.db"
    _run([*CLI, "--db", str(lists), "load", "--no-shipped", "national.yaml", "40.csv", "38.csv"], d, env)
    from_lists = _status(provinces, lists)
    assert list(from_lists) == ["13/2025/TT-BYT"]
    assert _counts(from_lists["13/2025/TT-BYT"]) == _counts(circular)


def _refused(p: dict[str, Any], files: list[str]) -> str:
    before = table_hash(p["national"])
    r = _run([*CLI, "--db", str(p["national"]), "load", *files], p["dir"], p["env"], ok=False)
    assert r.returncode == 1 and r.stdout == ""
    assert table_hash(p["national"]) == before
    new = p["dir"] / "new.db"  # nor is a new register made
    r2 = _run([*CLI, "--db", str(new), "load", "--no-shipped", *files], p["dir"], p["env"], ok=False)
    assert r2.returncode == 1 and not new.exists()
    return r.stderr


@pytest.mark.slow
def test_two_files_giving_one_id_are_refused_naming_both_places(provinces: dict[str, Any]) -> None:
    d, env = provinces["dir"], provinces["env"]
    clash = "40-hoan-my-vinh"

    # YAML + YAML: Thanh Hóa's list gives one of Nghệ An's ids, with another name
    text = provinces["thanh-hoa.yaml"].replace("38-hoan-my-vinh", clash)
    text = text.replace("name: Bệnh viện Đa khoa Hoàn Mỹ Vinh", "name: Bệnh viện Đa khoa Hoàn Mỹ Thanh Hóa")
    (d / "thanh-hoa-clash.yaml").write_text(text, encoding="utf-8")
    stderr = _refused(provinces, ["nghe-an.yaml", "thanh-hoa-clash.yaml"])
    assert stderr == (
        f"emrtrack: thanh-hoa-clash.yaml:{_id_line(text, clash)}: facility '{clash}': the id is used twice "
        f"(first at nghe-an.yaml:{_id_line(provinces['nghe-an.yaml'], clash)})\n"
    )

    # YAML + CSV: the national register's own facility list, one row renamed
    _run([*CLI, "--db", str(provinces["national"]), "export", "--output", "national.csv"], d, env)
    _run([*CLI, "--db", str(provinces["national"]), "export", "--output", "national.xlsx"], d, env)
    rows = (d / "national.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    row = next(i for i, line in enumerate(rows) if line.startswith(clash + ","))
    (d / "one.csv").write_text(rows[0] + rows[row].replace("Hoàn Mỹ Vinh", "Hoàn Mỹ (Vinh)"), encoding="utf-8-sig")
    stderr = _refused(provinces, ["nghe-an.yaml", "one.csv"])
    assert stderr == (
        f"emrtrack: one.csv:2: facility '{clash}': the id is used twice "
        f"(first at nghe-an.yaml:{_id_line(provinces['nghe-an.yaml'], clash)})\n"
    )

    # CSV + XLSX: the same id in both lists, with different names
    book = openpyxl.load_workbook(d / "national.xlsx")
    sheet = book.active
    kept = [r for r in sheet.iter_rows(min_row=2) if r[0].value == clash]
    for r in reversed(list(sheet.iter_rows(min_row=2))):
        if r[0].value not in (clash, "38-thai-an-general"):
            sheet.delete_rows(r[0].row)
    assert len(kept) == 1
    book.save(d / "two.xlsx")
    rows_in_book = [r[0].value for r in openpyxl.load_workbook(d / "two.xlsx").active.iter_rows()]
    stderr = _refused(provinces, ["one.csv", "two.xlsx"])
    assert stderr == (
        f"emrtrack: two.xlsx:{rows_in_book.index(clash) + 1}: facility '{clash}': the id is used twice "
        "(first at one.csv:2)\n"
    )
