"""YAML syntax errors say what is meant: a second document in a file, a tab that is not indentation, an anchor
defined twice. Each is one line `FILE:LINE: ...` from `load`, exit code 1, and the register left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import run, table_hash

from emrtrack.reading import yaml_files

FACILITY = "facilities:\n  - id: new-clinic\n    name: Phòng khám Mới\n    ownership: public\n    kind: clinic\n"
SECOND_DOCUMENT = (
    "not valid YAML: a second document starts here, and a file holds one document: delete the '---' or '...' "
    "line between them, or move the second into a file of its own"
)

CASES = {
    "a second document": (FACILITY + "---\nfacilities: []\n", 6, SECOND_DOCUMENT),
    "a second, empty document": (FACILITY + "---\n", 6, SECOND_DOCUMENT),
    "a second document after an end marker": (FACILITY + "...\n---\nrequirements: []\n", 7, SECOND_DOCUMENT),
    "a document after an end marker, without its start": (FACILITY + "...\nrequirements: []\n", 7, SECOND_DOCUMENT),
    "a duplicate anchor in a list": (
        "facilities:\n  - &f {id: a, name: A, ownership: public, kind: clinic}\n"
        "  - &f {id: b, name: B, ownership: public, kind: clinic}\n",
        3,
        "not valid YAML: the anchor &f is defined twice (first on line 2): give each anchor a name of its own",
    ),
    "a duplicate anchor in a mapping": (
        FACILITY + "    aliases: &names [A]\n    distinct_from: &names [b]\n",
        7,
        "not valid YAML: the anchor &names is defined twice (first on line 6): give each anchor a name of its own",
    ),
    "a tab after a key, before a list": (
        FACILITY + "    aliases:\t- Mới\n",
        6,
        "not valid YAML: block sequence entries are not allowed in this context",
    ),
    "a tab after a key, before a value holding a colon": (
        FACILITY + "    location:\tVinh: Nghệ An\n",
        6,
        "not valid YAML: mapping values are not allowed in this context",
    ),
}


def _refused_in_these_words(db: Path, tmp_path: Path, text: str, line: int, message: str) -> None:
    """Loading `text` is refused in one line, `message` at `line`, and the register is left as it was."""
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    before = table_hash(db)
    r = run("load", str(path))
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", f"emrtrack: {path}:{line}: {message}\n")
    assert table_hash(db) == before


@pytest.mark.parametrize("case", list(CASES))
def test_yaml_syntax_is_explained(dispatch_day_db: Path, tmp_path: Path, case: str) -> None:
    _refused_in_these_words(dispatch_day_db, tmp_path, *CASES[case])


def test_a_tab_in_the_indentation_still_says_so(dispatch_day_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(FACILITY + "\tverified: 2025-07-09\n", encoding="utf-8")
    r = run("load", str(path))
    assert r.exit_code == 1
    assert r.stderr == (
        f"emrtrack: {path}:6: not valid YAML: while scanning a plain scalar found a tab character that violates "
        "indentation (the construct began on line 5); indent with spaces, not tabs\n"
    )


def test_a_tab_after_a_key_is_read_as_a_space(dispatch_day_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "tabs.yaml"
    path.write_text(FACILITY.replace("kind: clinic", "kind:\tclinic") + "    location:\tVinh\n", encoding="utf-8")
    r = run("load", str(path))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("Facilities: 1 added, 0 updated")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            FACILITY.replace("kind: clinic", "kind:\tclinic"),
            5,
            "not valid YAML: a tab in field 'kind' where YAML takes spaces: replace it with a space",
        ),
        (
            FACILITY.replace("id: new-clinic", "id: new-clinic\t"),
            2,
            "not valid YAML: a tab in field 'id' where YAML takes spaces: replace it with a space",
        ),
        (
            FACILITY + "\tverified: 2025-07-09\n",
            6,
            "not valid YAML: while scanning for the next token found character '\\t' that cannot start any token; "
            "indent with spaces, not tabs",
        ),
        (FACILITY + "---\nfacilities: []\n", 6, SECOND_DOCUMENT),
        (FACILITY + "...\nrequirements: []\n", 7, SECOND_DOCUMENT),
        (
            "facilities:\n  - &f {id: a, name: A, ownership: public, kind: clinic}\n  - &f {id: b}\n",
            3,
            "not valid YAML: the anchor &f is defined twice (first on line 2): give each anchor a name of its own",
        ),
    ],
)
def test_the_pure_python_parser_says_the_same(
    dispatch_day_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, line: int, message: str
) -> None:
    """Where PyYAML was built without libyaml, its own parser reads: it refuses a tab after a key."""
    monkeypatch.setattr(yaml_files, "_Composer", yaml.SafeLoader)
    _refused_in_these_words(dispatch_day_db, tmp_path, text, line, message)
