"""Names as officers type them: folding without invisible characters, the usual abbreviations (TYT, KV, TP, QT
with the others), i and y as one letter, a part of a name found where a word starts, did-you-mean ranked by the
words typed; and the schema step that folds the stored names again (m006)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers import bench_module, rows, run

from emrtrack.errors import AmbiguousFacility, FacilityNotFound
from emrtrack.naming import (
    ABBREVIATIONS,
    INVISIBLE,
    expand_abbreviations,
    fold,
    match_key,
    spellings,
    starts_a_word,
    word_starts,
)
from emrtrack.store import Register, migrations

# A register of names that differ by a word's beginning: "hoa" starts Hoà Bình and Hòa An but is inside "Đa khoa".
NAMES = """\
facilities:
  - {id: hoa-binh, name: Bệnh viện Đa khoa Hoà Bình, ownership: non-public, kind: hospital}
  - {id: an-phat, name: Bệnh viện Đa khoa An Phát, ownership: non-public, kind: hospital}
  - {id: hoa-an, name: Phòng khám Hòa An, ownership: non-public, kind: clinic}
  - {id: tyt-nghi-phong, name: Trạm Y tế xã Nghi Phong, ownership: public, kind: other}
  - {id: ttyt-kv-quy-chau, name: Trung tâm Y tế khu vực Quỳ Châu, ownership: public, kind: medical-centre}
  - {id: bvdk-tp-vinh, name: Bệnh viện Đa khoa Thành phố Vinh, ownership: public, kind: hospital}
  - {id: bv-qt-vinh, name: Bệnh viện Quốc tế Vinh, ownership: non-public, kind: hospital}
  - {id: pk-ly-thai-to, name: Phòng khám Lý Thái Tổ, ownership: non-public, kind: clinic}
  - {id: pk-ky-anh, name: Phòng khám Kỳ Anh, ownership: non-public, kind: clinic}
"""


@pytest.fixture
def names_db(db_path: Path, tmp_path: Path) -> Path:
    """This test's register (EMRTRACK_DB) holding only NAMES."""
    from emrtrack.service.registers import load_files

    path = tmp_path / "names.yaml"
    path.write_text(NAMES, encoding="utf-8")
    register = Register.open(db_path)
    load_files(register, [path], actor="tester")
    register.close()
    return db_path


@pytest.fixture
def names(names_db: Path):
    register = Register.open(names_db)
    yield register
    register.close()


# -- the domain, without a register -------------------------------------------------------------------
@pytest.mark.parametrize("invisible", list(INVISIBLE))
def test_an_invisible_character_inside_a_word_is_removed_not_made_a_space(invisible: str) -> None:
    assert fold(f"Đô Lư{invisible}ơng") == "do luong"
    assert fold(f"Hoa{invisible}n My") == "hoan my"  # in a word written without diacritics too
    assert fold(f"Đô{invisible}Lương") == "doluong"  # it joins, as it shows: no space is seen there
    assert fold(f"{invisible}BV Phổi") == "bv phoi"
    assert fold(invisible) == ""


@pytest.mark.parametrize(
    ("typed", "written_out"),
    [
        ("tyt nghi phong", "tram y te nghi phong"),
        ("ttyt kv quy chau", "trung tam y te khu vuc quy chau"),
        ("bvdk tp vinh", "benh vien da khoa thanh pho vinh"),
        ("bv qt vinh", "benh vien quoc te vinh"),
        ("tt", "trung tam"),
        ("tyt", "tram y te"),
    ],
)
def test_abbreviations_are_written_out(typed: str, written_out: str) -> None:
    assert expand_abbreviations(typed) == written_out


def test_every_abbreviation_is_folded_and_written_out_folded() -> None:
    assert all(fold(a) == a and fold(w) == w for a, w in ABBREVIATIONS.items())
    assert {"tyt", "kv", "tp", "qt", "bv", "dk", "ttyt"} <= set(ABBREVIATIONS)


@pytest.mark.parametrize(
    ("folded", "key"),
    [
        ("hoan my vinh", "hoan mi vinh"),
        ("hoan mi vinh", "hoan mi vinh"),
        ("pk ly thai to", "pk li thai to"),
        ("ky anh", "ki anh"),
        ("quy hop", "qui hop"),
        ("benh vien quan y 4", "benh vien quan y 4"),  # "y" alone is a word of its own: Y tế
        ("yen thanh", "yen thanh"),  # yên: another sound
        ("tuy phuoc thuy", "tuy phuoc thuy"),
        ("tay ninh", "tay ninh"),  # tây is not tai
        ("psychiatric hospital", "psychiatric hospital"),
    ],
)
def test_i_and_y_are_one_letter_where_vietnamese_spells_a_syllable_either_way(folded: str, key: str) -> None:
    assert match_key(folded) == key


@pytest.mark.parametrize(
    ("folded", "spelled"),
    [
        ("hoan mi", ["hoan mi", "hoan my"]),
        ("hoan my vinh", ["hoan my vinh", "hoan mi vinh"]),
        ("ly ki", ["ly ki", "li ki", "ly ky", "li ky"]),
        ("quy", ["quy", "qui"]),
        ("do luong", ["do luong"]),
        ("quan y 4", ["quan y 4"]),
    ],
)
def test_a_query_is_searched_in_each_spelling_of_its_i_or_y(folded: str, spelled: list[str]) -> None:
    assert spellings(folded) == spelled
    assert {match_key(s) for s in spelled} == {match_key(folded)}


def test_a_part_is_found_where_it_starts_a_word() -> None:
    laid_out = word_starts("benh vien da khoa do luong\ndo luong general hospital")
    assert starts_a_word("do lu", laid_out)
    assert starts_a_word("general hosp", laid_out)
    assert not starts_a_word("hoa", laid_out)  # inside "khoa"
    assert not starts_a_word("luong do", laid_out)  # not across a name and its alias
    assert not starts_a_word("oa do", laid_out)


# -- naming a facility in a register ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hoa", None),  # Hoà Bình and Hòa An: both start a word with it
        ("hoa b", "hoa-binh"),
        ("Hòa An", "hoa-an"),  # not An Phát, whose "Đa khoa An" only has "hoa an" inside a word
        ("hoa an", "hoa-an"),
        ("khoa an", "an-phat"),
        ("TYT Nghi Phong", "tyt-nghi-phong"),
        ("kv quy chau", "ttyt-kv-quy-chau"),
        ("KV Quỳ Châu", "ttyt-kv-quy-chau"),
        ("tp vinh", "bvdk-tp-vinh"),
        ("BVĐK TP Vinh", "bvdk-tp-vinh"),
        ("qt vinh", "bv-qt-vinh"),
        ("BV QT Vinh", "bv-qt-vinh"),
        ("pk li thai to", "pk-ly-thai-to"),
        ("li thai", "pk-ly-thai-to"),
        ("ki anh", "pk-ky-anh"),
        ("Kì Anh", "pk-ky-anh"),
        ("qui cha", "ttyt-kv-quy-chau"),
        ("vinh quoc", "bv-qt-vinh"),  # every word, each starting a word, in any order
        ("vinh quo", "bv-qt-vinh"),
    ],
)
def test_names_by_word_beginnings_abbreviations_and_i_or_y(names: Register, typed: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(AmbiguousFacility) as e:
            names.resolve(typed)
        assert [fid for fid, _ in e.value.candidates] == ["hoa-binh", "hoa-an"]  # by folded name
    else:
        assert names.resolve(typed).id == expected


def test_a_whole_name_as_folded_comes_before_the_same_with_i_for_y(names: Register, tmp_path: Path) -> None:
    from emrtrack.service.registers import load_files

    more = tmp_path / "more.yaml"
    more.write_text(
        "facilities:\n  - {id: pk-li-thai-to, name: Phòng khám Li Thái Tổ, ownership: non-public, kind: clinic}\n",
        encoding="utf-8",
    )
    load_files(names, [more], actor="tester")
    assert names.resolve("phong kham ly thai to").id == "pk-ly-thai-to"
    assert names.resolve("phong kham li thai to").id == "pk-li-thai-to"
    with pytest.raises(AmbiguousFacility):
        names.resolve("li thai")


def test_a_word_inside_another_is_not_a_part(names: Register) -> None:
    with pytest.raises(FacilityNotFound):
        names.resolve("oa an")


# -- on the command line, with the shipped register ---------------------------------------------------
def _shown(typed: str) -> str:
    """The id of the facility `emrtrack show TYPED` shows."""
    result = run("show", typed)
    assert result.exit_code == 0, result.stderr
    found = re.search(r"^\W*Id\W+(\S+)", result.stdout, re.M)
    assert found, result.stdout
    return found[1]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hoan mi", "hoan-my-vinh"),
        ("Hoàn Mĩ", "hoan-my-vinh"),
        ("do lu", "do-luong-general"),
        ("bvdk do lu", "do-luong-general"),
        ("trung tam y te qui hop", "quy-hop-medical-centre"),
        ("TTYT Qui Hợp", "quy-hop-medical-centre"),
    ],
)
def test_show_names_the_facility(shipped_db: Path, typed: str, expected: str) -> None:
    assert _shown(typed) == expected


@pytest.mark.parametrize("typed", ["hoa", "Hoà"])
def test_show_a_word_beginning_lists_the_names_with_a_word_so_begun_not_every_da_khoa(
    shipped_db: Path, typed: str
) -> None:
    result = run("show", typed)
    assert result.exit_code != 0
    assert result.stderr == (
        f"emrtrack: '{typed}' matches 2 facilities: Bệnh viện Đa khoa Hoàn Mỹ Vinh (hoan-my-vinh); "
        "Bệnh viện Thái Thượng Hoàng (thai-thuong-hoang). Nothing was done; name one by its id.\n"
    )


def test_did_you_mean_ranks_by_the_words_of_the_name(shipped_db: Path) -> None:
    result = run("show", "do lung")
    assert result.exit_code != 0
    assert result.stderr.startswith(
        "emrtrack: no facility matches 'do lung'. Did you mean: Bệnh viện Đa khoa Đô Lương (do-luong-general); "
        "Bệnh viện Phổi Nghệ An (nghe-an-lung)"
    )


def test_suggestions_in_order(register: Register) -> None:
    with pytest.raises(FacilityNotFound) as e:
        register.resolve("do lung")
    assert [fid for fid, _ in e.value.suggestions][:2] == ["do-luong-general", "nghe-an-lung"]
    with pytest.raises(FacilityNotFound) as e:
        register.resolve("do luogn")
    assert e.value.suggestions[0][0] == "do-luong-general"
    with pytest.raises(FacilityNotFound) as e:
        register.resolve("benh vien phoi nghe ann")
    assert e.value.suggestions[0][0] == "nghe-an-lung"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("TYT Nghi Phong", "tyt-nghi-phong"), ("KV Quy Chau", "ttyt-kv-quy-chau"), ("TP Vinh", "bvdk-tp-vinh")],
)
def test_abbreviations_on_the_command_line(names_db: Path, typed: str, expected: str) -> None:
    assert _shown(typed) == expected
    assert _shown("QT Vinh") == "bv-qt-vinh"


# -- schema m006: the stored names folded again ------------------------------------------------------
FIXTURE_M005 = Path(__file__).parent / "data" / "schema" / "register-m005.db"
M005_STEPS = ["m001_initial", "m002_hash_chain", "m003_views", "m004_change_facts", "m005_bounds_and_obligations"]


def test_m005_register_folds_its_names_again_with_its_history_untouched(db_path: Path) -> None:
    """The m005 fixture: the shipped register, two facilities whose names have invisible characters inside
    words (loaded from a YAML file), marks and an undo; made by emrtrack before m006."""
    assert [n for (n,) in rows(FIXTURE_M005, "SELECT name FROM _sqlite_migrations ORDER BY id")] == M005_STEPS
    by_id = "SELECT id, folded FROM facilities WHERE id IN ('hoa-binh-clinic', 'tram-y-te-do-luong') ORDER BY id"
    assert rows(FIXTURE_M005, by_id) == [
        ("hoa-binh-clinic", "phong kham hoa bi nh\npk hoa binh\nhoa bi nh clinic\nho a binh"),
        ("tram-y-te-do-luong", "tram y te xa do lu ong\ntyt do luo ng"),
    ]
    shutil.copy(FIXTURE_M005, db_path)
    others = (
        "SELECT id, name, aliases, folded FROM facilities WHERE id NOT IN ('hoa-binh-clinic', 'tram-y-te-do-luong')"
    )
    kept = {
        sql: rows(db_path, sql)
        for sql in (
            "SELECT * FROM events ORDER BY id",
            "SELECT * FROM changes ORDER BY id",
            "SELECT * FROM milestones ORDER BY facility_id, milestone",
            "SELECT id, name, aliases FROM facilities ORDER BY id",
            others,
        )
    }
    result = run("verify")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: 63 events checked\n")
    assert [n for (n,) in rows(db_path, "SELECT name FROM _sqlite_migrations ORDER BY id")] == list(migrations.NAMES)
    assert rows(db_path, by_id) == [
        ("hoa-binh-clinic", "phong kham hoa binh\npk hoa binh\nhoa binh clinic\nhoa binh"),
        ("tram-y-te-do-luong", "tram y te xa do luong\ntyt do luong"),
    ]
    assert {sql: rows(db_path, sql) for sql in kept} == kept
    assert _shown("tyt do luong") == "tram-y-te-do-luong"
    assert _shown("pk hoa binh") == "hoa-binh-clinic"
    # the register keeps working: a new mark extends the chain, and verify replays it
    assert run("mark", "hoa binh", "appraised", "--on", "2025-07-01").exit_code == 0
    assert run("verify").stdout.startswith("ok: 64 events checked\n")


# -- did-you-mean at national scale: the short-list scores only the nearest names --------------------
@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    """A register of 700 generated facilities (the benchmark's generator) and their folded names by id."""
    from emrtrack.service.registers import load_files

    tmp = tmp_path_factory.mktemp("generated")
    path = tmp / "generated.yaml"
    with bench_module("emrtrack_bench_for_naming") as bench:
        bench.write_yaml(path, bench.generate(700))
    Register.open(tmp / "register.db").close()
    register = Register.open(tmp / "register.db")
    load_files(register, [path], actor="test")
    folded = dict(register.conn.execute("SELECT id, folded FROM facilities ORDER BY rowid"))
    yield register, folded
    register.close()


def _suggested_scoring_every_name(names, folded: str, limit: int = 3) -> tuple[list[str], bool]:
    """Did-you-mean as first written, the reference: every distinct name and alias scored by WRatio; and whether
    its short-list was cut among equal scores (which of those it kept is then the register's order)."""
    from rapidfuzz import fuzz, process

    from emrtrack.store.names import _word_score

    bearers: dict[str, list[tuple[int, int, int]]] = {}
    position = 0
    read = names._names()
    for rowid, folded_names in zip(read.rowids, read.folded, strict=True):
        name, *aliases = folded_names.split("\n")
        bearers.setdefault(name, []).append((0, position, rowid))
        position += 1
        for alias in aliases:
            bearers.setdefault(alias, []).append((1, position, rowid))
            position += 1
    every = process.extract(folded, list(bearers), scorer=fuzz.WRatio, limit=None, score_cutoff=60)
    short_list = every[: limit * 10]
    cut_among_equals = len(every) > len(short_list) and every[len(short_list)][1] == short_list[-1][1]
    typed = match_key(folded).split()
    scored = sorted(
        (-_word_score(typed, match_key(choice).split()), -score, alias, pos, rowid)
        for choice, score, _ in short_list
        for alias, pos, rowid in bearers[choice]
    )
    ids = dict(names.conn.execute("SELECT rowid, id FROM facilities"))
    return list(dict.fromkeys(ids[s[-1]] for s in scored))[:limit], cut_among_equals


def _typos(folded: dict[str, str], seed: int = 7) -> list[tuple[str, str]]:
    """Typos as officers make them, of generated names (with the facility typed): two letters swapped, a letter
    dropped, doubled or mistyped, in the whole name, in one with a word left out, with the words in another order,
    with the usual abbreviations, in an alias or in a part of the name."""
    import random

    rnd = random.Random(seed)
    short = {full: abbr for abbr, full in ABBREVIATIONS.items()}
    generic = {*" ".join(ABBREVIATIONS.values()).split(), "xa", "chuyen", "khoa", "nha"}
    out = []
    for n, (fid, names) in enumerate(rnd.sample(sorted(folded.items()), 140)):
        name, *aliases = names.split("\n")
        words = name.split()
        kind = n % 8
        if kind == 5:
            words = [w for i, w in enumerate(words) if i != rnd.randrange(len(words))]
        if kind == 6:
            words = sorted(words, key=lambda _: rnd.random())
        text = " ".join(words)
        if kind == 4:
            for full, abbr in sorted(short.items(), key=lambda fa: -len(fa[0])):
                text = re.sub(rf"\b{full}\b", abbr, text)
        parts = [" ".join(words[i : i + 2]) for i in range(len(words) - 1) if not generic & set(words[i : i + 2])]
        if kind == 7 and parts:  # a part of the name that says which ("lac hoa"), not of what kind ("y te")
            text = rnd.choice(parts)
        if kind == 3 and aliases:
            text = rnd.choice(aliases)
        at = rnd.randrange(len(text) - 1)
        text = [
            text[:at] + text[at + 1] + text[at] + text[at + 2 :],
            text[:at] + text[at + 1 :],
            text[:at] + text[at] + text[at:],
            text[:at] + rnd.choice("aeiou") + text[at + 1 :],
        ][n % 4]
        out.append((expand_abbreviations(fold(text)), fid))
    return out


@pytest.mark.parametrize("nearest", [None, 40])
def test_did_you_mean_short_lists_as_scoring_every_name(generated, nearest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the names nearest by cheap scores are scored by WRatio: on typos of a generated register, the first
    suggestion is the one scoring every name gives (also with a far shorter cheap list than the register's), or
    the facility typed. A short name typed shares whole words ("tram y te", "can") with hundreds of names, all
    scored alike, and scoring every name kept the first of them in the register's order: only where it was cut
    among those may the first suggestion be another; and the facility typed is first at least as often."""
    from emrtrack.store import names as names_module

    register, folded = generated
    if nearest is not None:
        monkeypatch.setattr(names_module, "_NEAREST", nearest)
    typos = _typos(folded)
    same = found = found_before = 0
    for typo, typed_from in typos:
        fresh = names_module.Names(register.conn)
        expected, cut_among_equals = _suggested_scoring_every_name(fresh, typo)
        got = [fid for fid, _ in fresh.suggest(typo)]
        assert got[:1] in (expected[:1], [typed_from]) or cut_among_equals, typo
        same += got[:1] == expected[:1]
        found += got[:1] == [typed_from]
        found_before += expected[:1] == [typed_from]
    assert same >= 0.9 * len(typos)
    assert found >= found_before
