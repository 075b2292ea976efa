"""The bad-input corpus: every mistake is refused with FILE:LINE and the field, exit 1, no traceback,
in seconds and bounded memory, and the register is left exactly as it was."""

from __future__ import annotations

import resource
import subprocess
import time
from pathlib import Path

import pytest
from helpers import CLI, SHIPPED, run, subprocess_env, table_hash

BAD = Path(__file__).parent / "data" / "bad"


def _manifest() -> list[tuple[list[str], int, str]]:
    rows = []
    for line in (BAD / "manifest.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        files, number, fragment, _what = line.split("\t")
        rows.append((files.split("+"), int(number), fragment))
    return rows


CASES = _manifest()


def test_corpus_is_complete() -> None:
    listed = {f for files, _, _ in CASES for f in files}
    on_disk = {p.name for p in BAD.iterdir()} - {"README.md", "manifest.tsv"}
    assert listed == on_disk
    assert len(CASES) >= 40
    assert all(fragment for _, _, fragment in CASES)


def _check_refused(stderr: str, stdout: str, named: str, line: int, fragment: str) -> None:
    assert "Traceback" not in stderr + stdout
    lines = stderr.splitlines()
    assert lines and all(entry.startswith("emrtrack: ") for entry in lines), stderr
    assert any(entry.startswith(f"emrtrack: {named}:{line}: ") and fragment in entry for entry in lines), stderr
    assert "Loaded" not in stdout


@pytest.mark.parametrize("files,line,fragment", CASES, ids=["+".join(c[0]) for c in CASES])
def test_bad_file_is_refused(db_path: Path, files: list[str], line: int, fragment: str) -> None:
    assert run("status").exit_code == 0  # a register with the shipped data
    before = table_hash(db_path)
    paths = [str(BAD / f) for f in files]
    started = time.monotonic()
    result = run("load", *paths)
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    _check_refused(result.stderr, result.stdout, paths[-1], line, fragment)
    assert elapsed < 5
    assert table_hash(db_path) == before
    assert not Path("/tmp/emrtrack-pwned").exists()


def test_bom_is_accepted(tmp_path: Path) -> None:
    with_bom = tmp_path / "with-bom.yaml"
    with_bom.write_bytes(b"\xef\xbb\xbf" + SHIPPED.read_bytes())
    assert run("load", str(with_bom)).exit_code == 0  # creates the register from the shipped data, then loads
    assert run("load", "--dry-run", str(with_bom)).stdout == run("load", "--dry-run", str(SHIPPED)).stdout


# -- the huge ones: generated, and run in a child process with a memory limit and a timeout ---------
MEMORY_LIMIT = 1536 * 2**20
TIMEOUT = 30


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _junk(path: Path) -> None:
    line = b"lorem ipsum dolor sit amet, consectetur adipiscing elit - [sed do eiusmod]\n"
    with path.open("wb") as f:
        for _ in range(100 * 2**20 // len(line) + 1):
            f.write(line)


def _dense(path: Path) -> None:
    with path.open("wb") as f:
        f.write(b"facilities:\n")
        f.write(b"- x\n" * (60 * 2**20 // 4))


def _deep_flow(path: Path) -> None:
    path.write_text("facilities:\n  - aliases: " + "[" * 10_000 + "]" * 10_000 + "\n")


def _deep_block(path: Path) -> None:
    path.write_text("facilities:\n" + "".join(" " * (i + 1) + "- \n" for i in range(10_000)))


def _deep_mapping(path: Path) -> None:
    path.write_text("register:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(10_000)))


def _alias_bomb(path: Path) -> None:
    lines = [
        "facilities:",
        "  - id: do-luong-general",
        "    name: x",
        "    ownership: public",
        "    kind: hospital",
        "    aliases: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]",
    ]
    for i in range(1, 12):
        lines.append(
            f"  - id: f{i}\n    name: x\n    ownership: public\n    kind: hospital\n"
            f"    aliases: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]"
        )
    path.write_text("\n".join(lines) + "\n")


HUGE = [
    ("junk-100mb", _junk, 1, "the limit is 64 MiB"),
    ("dense-60mb", _dense, 1, "the limit is 2,000,000"),
    ("deep-flow-10000", _deep_flow, 2, "exceeded maximum nesting depth"),
    ("deep-block-10000", _deep_block, 1000, "exceeded maximum nesting depth"),
    ("deep-mapping-10000", _deep_mapping, 1000, "exceeded maximum nesting depth"),
    ("alias-bomb-facilities", _alias_bomb, 6, "facility 'f1': aliases item must be text, not a list"),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,make,line,fragment", HUGE, ids=[h[0] for h in HUGE])
def test_huge_bad_file_is_refused_fast_in_bounded_memory(
    tmp_path: Path, name: str, make, line: int, fragment: str
) -> None:
    db_path = tmp_path / "register.db"
    env = subprocess_env(db_path)
    assert subprocess.run([*CLI, "status"], env=env, capture_output=True, timeout=TIMEOUT).returncode == 0
    before = table_hash(db_path)
    path = tmp_path / f"{name}.yaml"
    make(path)
    started = time.monotonic()
    proc = subprocess.run(
        [*CLI, "load", str(path)], env=env, capture_output=True, text=True, timeout=TIMEOUT, preexec_fn=_limit_memory
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr[-2000:]
    _check_refused(proc.stderr, proc.stdout, str(path), line, fragment)
    assert elapsed < 10
    assert table_hash(db_path) == before
