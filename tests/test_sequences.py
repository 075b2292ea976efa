"""Sequences of commands against a small pure model: a Hypothesis state machine loads generated files (invalid ones
too), marks milestones (dates and "on or before" bounds, with and without --correct), undoes (the latest change, or
one change by its number), round-trips the register through its YAML export, and asks `report`; after every step
the register and the model agree on the facilities, their facts and milestones, every facility's state under every
obligation on several dates, the overdue lists and the last change, `verify` is ok, and a refused step changed
nothing at all (history included)."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from helpers import rows, run, table_hash
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from emrtrack.errors import EmrtrackError, InputError
from emrtrack.model import Reached, Selection, State
from emrtrack.output.export import write_export_yaml
from emrtrack.service import commands, exports
from emrtrack.service.registers import load_files
from emrtrack.store import Register
from emrtrack.views import Counts

# -- the world the sequences play in ------------------------------------------------------------------------
# id, its two names (a load may rename it), ownership and the kinds it may be given
POOL = [
    ("do-luong", ("Bệnh viện Đa khoa Đô Lương", "BVĐK huyện Đô Lương"), "public", ("hospital", "medical-centre")),
    ("nghi-loc", ("Bệnh viện Đa khoa Nghi Lộc", "Trung tâm Y tế Nghi Lộc"), "public", ("hospital", "medical-centre")),
    ("hoan-my", ("Bệnh viện Đa khoa Hoàn Mỹ Vinh", "Hoàn Mỹ Vinh"), "non-public", ("hospital", "clinic")),
    ("thai-an", ("Bệnh viện Thái An", "Phòng khám Thái An"), "non-public", ("hospital", "clinic")),
    ("quynh-luu", ("Trung tâm Y tế Quỳnh Lưu", "TTYT Quỳnh Lưu"), "public", ("medical-centre", "clinic")),
    ("yen-thanh", ("Phòng khám Yên Thành", "Phòng khám Đa khoa Yên Thành"), "non-public", ("clinic", "hospital")),
]
MILESTONES = ("appraised", "deployed", "annex-signed")
DAYS = [date(2025, 7, 10), date(2025, 8, 20), date(2025, 8, 31), date(2025, 9, 1), date(2025, 9, 24), date(2026, 1, 10)]
VERIFIED = [date(2025, 7, 9), date(2025, 9, 5), date(2025, 10, 1)]
SOURCES = [None, "the hospital's letter", "Báo Nghệ An"]
AS_OF = [date(2025, 8, 31), date(2025, 9, 25), date(2026, 6, 30)]
STATES = [  # in the order of `Counts`
    State.DEPLOYED_ON_TIME,
    State.DEPLOYED_LATE,
    State.DEPLOYED_UNCONFIRMED,
    State.OVERDUE,
    State.NOT_YET_DUE,
]

# requirement → obligations: (milestone, [(selector, deadline)], scope); a selector or scope is (kinds, ownerships)
ANY: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
REQUIREMENTS: dict[str, list[tuple[str, list[tuple[Any, date]], Any]]] = {
    "R1": [("deployed", [(ANY, date(2025, 8, 31))], ANY)],
    "R2": [
        (
            "deployed",
            [((("hospital",), ()), date(2025, 9, 30)), (ANY, date(2026, 3, 31))],
            ANY,
        )
    ],
    "R3": [
        ("appraised", [(ANY, date(2025, 8, 1))], ((), ("public",))),
        ("annex-signed", [(ANY, date(2025, 12, 31))], ((("hospital", "medical-centre"), ()))),
    ],
}
INITIAL = """\
register:
  name: Sequences
  timezone: Asia/Ho_Chi_Minh
requirements:
  - id: R1
    issued: 2025-07-01
    deadline: 2025-08-31
    default: true
  - id: R2
    issued: 2025-06-06
    deadlines:
      - applies_to: {kind: [hospital]}
        deadline: 2025-09-30
      - deadline: 2026-03-31
  - id: R3
    issued: 2025-06-01
    obligations:
      - milestone: appraised
        deadline: 2025-08-01
        applies_to: {ownership: [public]}
      - milestone: annex-signed
        deadline: 2025-12-31
        applies_to: {kind: [hospital, medical-centre]}
        principal: true
"""

# files refused whatever the register holds: (text after a valid facility list, what is wrong)
INVALID = [
    "  - id: bad\n    name: X\n   kind: clinic\n",  # indentation
    "---\nfacilities: []\n",  # a second document
    "  - &a {id: bad-1, name: Bad One, ownership: public, kind: clinic}\n  - &a {id: bad-2}\n",  # anchor twice
    "  - id: bad\n    name: Bad\n    ownership: public\n    kind: clinic\n    aliases:\t- B\n",  # tab after a key
    "  - id: bad\n    nmae: Bad\n    ownership: public\n    kind: clinic\n",  # unknown field
    "  - id: bad\n    name: Bad\n    ownership: public\n    kind: clinic\n    verified: 2025-02-30\n",  # no such day
    "  - id: bad\n    name: Bad\n    ownership: public\n    kind: clinic\n    milestones: {deployd: 2025-08-01}\n",
    "  - id: bad\n    name: Bad\n    ownership: public\n    kind: clinic\n    milestones: {deployed: 2099-01-01}\n",
    "  - id: bad\n    name: Bad\n    ownership: private\n    kind: clinic\n",  # unknown ownership
    "  - id: do-luong\n    name: Again\n    ownership: public\n    kind: clinic\n",  # an id twice (see below)
]


@dataclass(frozen=True)
class Facts:
    name: str
    ownership: str
    kind: str
    verified: date | None
    exceptions: tuple[Granted, ...] = ()  # in the order they were granted; a load keeps them
    withdrawn: bool = False


@dataclass(frozen=True)
class Granted:
    """An exception as the model knows it: its kind, requirement, date (an extension's deadline or a commitment's
    promise; an exemption's first day), an exemption's last day, and the day it took effect."""

    kind: str
    requirement: str
    on: date
    until: date | None
    granted: date


@dataclass
class Change:
    id: int
    events: list[tuple[str, str, str | None, Any, Any]]  # (entity, key, milestone, old, new)
    reverts: int | None = None
    undone_by: int | None = None


@dataclass
class Model:
    """The register as plain Python: facilities, milestones and the changes that made them."""

    facilities: dict[str, Facts] = field(default_factory=dict)  # id as the register spells it → facts
    milestones: dict[tuple[str, str], Reached] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)

    def current(self, entity: str, key: str, milestone: str | None) -> Any:
        return self.facilities.get(key) if entity == "facility" else self.milestones.get((key, str(milestone)))

    def put(self, entity: str, key: str, milestone: str | None, value: Any) -> None:
        table: dict[Any, Any] = self.facilities if entity == "facility" else self.milestones
        where = key if entity == "facility" else (key, milestone)
        if value is None:
            table.pop(where, None)
        else:
            table[where] = value

    def record(self, events: list[tuple[str, str, str | None, Any, Any]], reverts: int | None = None) -> None:
        change = Change(len(self.changes) + 1, events, reverts)
        for entity, key, milestone, _old, new in events:
            self.put(entity, key, milestone, new)
        self.changes.append(change)
        if reverts is not None:
            self.changes[reverts - 1].undone_by = change.id

    def registered_id(self, wanted: str) -> str:
        """Ids are compared without regard to case; the register keeps the spelling it has."""
        return next((fid for fid in self.facilities if fid.casefold() == wanted.casefold()), wanted)


def milestone_outcome(known: Reached | None, new: Reached) -> str | None:
    """What recording `new` over what is `known` does, as the README words it: None (it adds nothing: the same
    fact, or a later or equal bound without other evidence), "recorded", "refined" (more precise, or evidence
    where there was none) or "corrected" (contradicts it: needs --correct)."""
    if known is None:
        return "recorded"
    if known == new:
        return None
    if not new.exact:
        if new.date > known.date or (new.date == known.date and known.exact):
            return None  # "a later on-or-before date than the one recorded adds nothing"
        if new.date == known.date and new.source in (None, known.source):
            return None
        if new.date == known.date:
            return "refined" if known.source is None else "corrected"
        return "corrected" if known.exact else "refined"
    if known.exact:
        return "refined" if known.date == new.date and known.source is None else "corrected"
    if new.date < known.date:
        return "refined"
    if new.date == known.date and new.exact == known.exact:
        return "refined" if known.source is None else "corrected"
    return "corrected" if new.date > known.date else "refined"


def in_scope(facts: Facts, selector: tuple[tuple[str, ...], tuple[str, ...]]) -> bool:
    kinds, ownerships = selector
    return (not kinds or facts.kind in kinds) and (not ownerships or facts.ownership in ownerships)


def expected_state(deadline: date, done: Reached | None, verified: date | None, day: date) -> State:
    """A facility's state, from the README's rules: a milestone counts once its date (or bound) has come; a bound is
    on time by its date, late when the facility was verified without it on or after the deadline."""
    if done is None or done.date > day:
        return State.OVERDUE if day > deadline else State.NOT_YET_DUE
    if done.date <= deadline:
        return State.DEPLOYED_ON_TIME
    if done.exact:
        return State.DEPLOYED_LATE
    without = verified if verified is not None and verified < done.date else None
    return State.DEPLOYED_LATE if without is not None and without >= deadline else State.DEPLOYED_UNCONFIRMED


def expected_standings(model: Model, requirement: str, index: int, day: date) -> dict[str, tuple[State, int]]:
    """Every facility's state under one obligation on `day`, from the README's rules: a withdrawn facility is in
    no report; an exception counts from the day it was granted; an exemption (of the whole requirement) leaves
    the facility out while it holds; the last extension granted replaces the principal obligation's deadline."""
    milestone, cohorts, scope = REQUIREMENTS[requirement][index]
    principal = index == _principal(requirement)
    out = {}
    for fid, facts in model.facilities.items():
        if not in_scope(facts, scope) or facts.withdrawn:
            continue
        deadline = next((d for selector, d in cohorts if in_scope(facts, selector)), None)
        if deadline is None:
            continue
        granted = [g for g in facts.exceptions if g.requirement == requirement and g.granted <= day]
        if any(g.kind == "exemption" and g.on <= day and (g.until is None or day <= g.until) for g in granted):
            continue
        extensions = sorted(
            (g for g in enumerate(granted) if g[1].kind == "extension"), key=lambda g: (g[1].granted, g[0])
        )
        if principal and extensions:
            deadline = extensions[-1][1].on
        state = expected_state(deadline, model.milestones.get((fid, milestone)), facts.verified, day)
        out[fid] = (state, (day - deadline).days if state is State.OVERDUE else 0)
    return out


# -- what the rules draw -----------------------------------------------------------------------------------
reached = st.builds(Reached, st.sampled_from(DAYS), st.booleans(), st.sampled_from(SOURCES))
entry = st.fixed_dictionaries(
    {
        "pool": st.integers(0, len(POOL) - 1),
        "name": st.integers(0, 1),
        "kind": st.integers(0, 1),
        "verified": st.none() | st.sampled_from(VERIFIED),
        "milestones": st.dictionaries(st.sampled_from(MILESTONES), reached, max_size=2),
        "upper": st.booleans(),
    }
)
entries = st.lists(entry, min_size=1, max_size=3, unique_by=lambda e: e["pool"])


def _yaml_reached(r: Reached) -> str:
    if r.exact and r.source is None:
        return r.date.isoformat()
    key = "on" if r.exact else "on_or_before"
    return "{" + f"{key}: {r.date.isoformat()}" + (f', source: "{r.source}"' if r.source else "") + "}"


def facility_yaml(fid: str, facts: Facts, milestones: dict[str, Reached]) -> str:
    text = f"  - id: {fid}\n    name: {facts.name}\n    ownership: {facts.ownership}\n    kind: {facts.kind}\n"
    if facts.verified is not None:
        text += f"    verified: {facts.verified.isoformat()}\n"
    if milestones:
        text += "    milestones:\n" + "".join(f"      {m}: {_yaml_reached(r)}\n" for m, r in milestones.items())
    return text


def entry_facts(e: dict[str, Any]) -> tuple[str, Facts, dict[str, Reached]]:
    fid, names, ownership, kinds = POOL[e["pool"]]
    return fid, Facts(names[e["name"]], ownership, kinds[e["kind"]], e["verified"]), e["milestones"]


# -- what the machine found (fixed since) ------------------------------------------------------------------
def test_the_load_that_added_a_facility_marked_since_is_not_undone_alone(dispatch_day_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    path.write_text(
        "facilities:\n  - {id: new-clinic, name: Phòng khám Mới, ownership: public, kind: clinic}\n", encoding="utf-8"
    )
    assert run("load", str(path)).stdout.endswith("Recorded as change #2.\n")
    assert run("mark-deployed", "new-clinic", "--on", "2025-08-20").exit_code == 0  # change #3
    before = table_hash(dispatch_day_db)
    r = run("undo", "--change", "2", "--yes")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr.startswith("emrtrack: cannot undo change #2 alone: change #3 ")
    assert table_hash(dispatch_day_db) == before


def test_status_counts_each_obligation_by_its_own_milestone(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(
        "requirements:\n"
        "  - {id: R1, issued: 2025-07-01, deadline: 2025-08-31}\n"
        "  - id: R3\n    issued: 2025-06-01\n    obligations: [{milestone: appraised, deadline: 2025-08-01}]\n"
        "facilities:\n"
        "  - {id: do-luong, name: Đô Lương, ownership: public, kind: hospital, milestones: {appraised: 2025-07-10}}\n",
        encoding="utf-8",
    )
    assert run("load", "--no-shipped", str(path)).exit_code == 0
    report = json.loads(run("report", "-r", "R1", "--as-of", "2025-09-25", "--format", "json").stdout)
    assert [(f["id"], f["state"]) for f in report["facilities"]] == [("do-luong", "overdue")]
    status = json.loads(run("status", "-r", "R1", "--as-of", "2025-09-25", "--format", "json").stdout)
    counts = status["requirements"][0]
    assert (counts["in_scope"], counts["overdue"], counts["deployed_on_time"]) == (1, 1, 0)


def test_an_open_register_counts_what_another_process_recorded(small: Path) -> None:
    register = Register.open(small)
    try:
        requirement = register.requirement("2898/SYT-VP")
        assert register.status(requirement, date(2025, 9, 1)).total.deployed_on_time == 1
        assert run("mark-deployed", "do luong", "--on", "2025-08-20").exit_code == 0  # another connection
        assert register.status(requirement, date(2025, 9, 1)).total.deployed_on_time == 2
    finally:
        register.close()


# -- the machine -------------------------------------------------------------------------------------------
class Sequences(RuleBasedStateMachine):
    sequences = 0  # how many machines ran, and how many steps in all (see the report of a long run)
    steps = 0

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="emrtrack-sequences-"))
        self.db = self.folder / "register.db"
        self.register = Register.open(self.db)
        self.model = Model()
        self.files = 0
        self.loaded: tuple[list[dict[str, Any]], bool] | None = None
        type(self).sequences += 1

    def teardown(self) -> None:
        self.register.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _file(self, text: str) -> Path:
        self.files += 1
        path = self.folder / f"file-{self.files}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    def _refused(self, action: Any, error: type[Exception] = EmrtrackError) -> None:
        """`action` is refused, and the register (its history too) is exactly as it was."""
        before = table_hash(self.db)
        with pytest.raises(error):
            action()
        assert table_hash(self.db) == before

    @initialize(first=entries)
    def create(self, first: list[dict[str, Any]]) -> None:
        """The register made by a first load: its requirements and a few facilities."""
        text = INITIAL + "facilities:\n"
        events: list[tuple[str, str, str | None, Any, Any]] = []
        for e in first:
            fid, facts, milestones = entry_facts(e)
            text += facility_yaml(fid, facts, milestones)
            events.append(("facility", fid, None, None, facts))
            events += [("milestone", fid, m, None, r) for m, r in milestones.items()]
        summary = load_files(self.register, [self._file(text)], actor="test")
        assert summary.change_id == 1
        self.model.record(events)

    # -- load --------------------------------------------------------------------------------------------
    @rule(given=entries, correct=st.booleans())
    def load(self, given: list[dict[str, Any]], correct: bool) -> None:
        Sequences.steps += 1
        self.loaded = (given, correct)
        self._load(given, correct)

    @precondition(lambda self: self.loaded is not None)
    @rule()
    def reload(self) -> None:
        """The last file loaded, loaded again (perhaps after marks and undos since)."""
        Sequences.steps += 1
        assert self.loaded is not None
        self._load(*self.loaded)

    def _load(self, given: list[dict[str, Any]], correct: bool) -> None:
        model = self.model
        text = "facilities:\n"
        events: list[tuple[str, str, str | None, Any, Any]] = []
        conflict = False
        for e in given:
            fid, facts, milestones = entry_facts(e)
            fid = model.registered_id(fid)
            text += facility_yaml(fid.upper() if e["upper"] else fid, facts, milestones)
            if fid not in model.facilities and e["upper"]:
                fid = fid.upper()  # a new facility keeps the spelling it is given
            held = model.facilities.get(fid)
            if held is not None:  # a load removes no exception, and does not reinstate a withdrawn facility
                facts = Facts(facts.name, facts.ownership, facts.kind, facts.verified, held.exceptions, held.withdrawn)
            if model.facilities.get(fid) != facts:
                events.append(("facility", fid, None, model.facilities.get(fid), facts))
            for m, r in milestones.items():
                known = model.milestones.get((fid, m))
                outcome = milestone_outcome(known, r)
                if outcome == "corrected" and not correct:
                    conflict = True
                elif outcome is not None:
                    events.append(("milestone", fid, m, known, r))
        path = self._file(text)
        if conflict:
            self._refused(lambda: load_files(self.register, [path], actor="test", correct=correct))
            return
        summary = load_files(self.register, [path], actor="test", correct=correct)
        if events:
            assert summary.change_id == len(model.changes) + 1
            model.record(events)
        else:
            assert not summary.changed and summary.change_id is None

    @rule(given=entries, bad=st.sampled_from(INVALID), cli=st.booleans())
    def load_an_invalid_file(self, given: list[dict[str, Any]], bad: str, cli: bool) -> None:
        """A file with something wrong in it, after valid entries: refused as a whole, every time."""
        Sequences.steps += 1
        valid = "".join(facility_yaml(*entry_facts(e)) for e in given if POOL[e["pool"]][0] != "do-luong")
        text = "facilities:\n" + valid
        if bad.startswith("  - id: do-luong\n"):  # the id twice in one file
            text += facility_yaml("do-luong", Facts("Đô Lương", "public", "hospital", None), {})
        path = self._file(text + bad)
        if cli:
            before = table_hash(self.db)
            r = run("--db", str(self.db), "load", str(path))
            assert (r.exit_code, r.stdout) == (1, ""), r.stderr
            assert r.stderr.startswith(f"emrtrack: {path}:") and "Traceback" not in r.stderr
            assert table_hash(self.db) == before
        else:
            self._refused(lambda: load_files(self.register, [path], actor="test"), InputError)

    @precondition(lambda self: len(self.model.facilities) < len(POOL))
    @rule(data=st.data())
    def load_a_twin(self, data: st.DataObject) -> None:
        """A new id under the name of a facility the register holds: most likely that one, so refused."""
        Sequences.steps += 1
        held = sorted(self.model.facilities)
        twin = self.model.facilities[data.draw(st.sampled_from(held))]
        free = [p for p in POOL if self.model.registered_id(p[0]) not in self.model.facilities]
        fid = data.draw(st.sampled_from(free))[0]
        path = self._file("facilities:\n" + facility_yaml(fid, Facts(twin.name, "public", "clinic", None), {}))
        self._refused(lambda: load_files(self.register, [path], actor="test"))

    # -- mark --------------------------------------------------------------------------------------------
    @rule(data=st.data(), milestone=st.sampled_from(MILESTONES), new=reached, correct=st.booleans(), cli=st.booleans())
    def mark(self, data: st.DataObject, milestone: str, new: Reached, correct: bool, cli: bool) -> None:
        Sequences.steps += 1
        model = self.model
        held = sorted(model.facilities)
        picked = data.draw(st.lists(st.sampled_from(held), min_size=1, max_size=2, unique=True))
        outcomes = {fid: milestone_outcome(model.milestones.get((fid, milestone)), new) for fid in picked}
        withdrawn = any(model.facilities[fid].withdrawn for fid in picked)  # refused: reinstate it first
        refused = withdrawn or (not correct and "corrected" in outcomes.values())
        events = [
            ("milestone", fid, milestone, model.milestones.get((fid, milestone)), new)
            for fid, o in outcomes.items()
            if o is not None
        ]
        if cli:  # `emrtrack mark FACILITY... MILESTONE --on[-or-before] DATE [--source S] [--correct] --yes`
            before = table_hash(self.db)
            args = [*picked, milestone, "--on" if new.exact else "--on-or-before", new.date.strftime("%d/%m/%Y")]
            args += ["--source", new.source] if new.source else []
            args += ["--correct"] if correct else []
            r = run("--db", str(self.db), "mark", *args, "--yes", "--by", "test")
            assert (r.exit_code, "Traceback" in r.stderr) == (1 if refused else 0, False), r.stderr
            if refused:  # (several facilities are listed on stdout first, as asked with --yes)
                said = "reinstate it first" if withdrawn else "run the command again with --correct\n"
                assert r.stderr.startswith("emrtrack: ") and said in r.stderr, r.stderr
                assert table_hash(self.db) == before
            elif events:
                model.record(events)
            return

        def mark() -> list[Any]:
            plan = commands.plan_mark(
                self.register,
                picked,
                milestone,
                on=new.date if new.exact else None,
                on_or_before=None if new.exact else new.date,
                source=new.source,
            )
            return commands.mark(self.register, plan, by="test", correct=correct)

        if refused:
            self._refused(mark)
            return
        results = mark()
        assert {r.facility.id: r.changed for r in results} == {fid: o is not None for fid, o in outcomes.items()}
        if events:
            model.record(events)

    @rule(query=st.sampled_from(["nowhere", "benh vien"]))
    def mark_a_facility_not_found(self, query: str) -> None:
        """A name that matches no facility, or several: nothing is marked."""
        Sequences.steps += 1
        if query == "benh vien" and sum(f.name.startswith("Bệnh viện") for f in self.model.facilities.values()) < 2:
            query = "nowhere"
        self._refused(lambda: commands.plan_mark(self.register, [query], "deployed", on=DAYS[0]))

    # -- exceptions and withdrawal -------------------------------------------------------------------------
    @rule(
        data=st.data(),
        kind=st.sampled_from(["extension", "exemption", "commitment"]),
        requirement=st.sampled_from(sorted(REQUIREMENTS)),
        on=st.sampled_from(DAYS),
        until=st.none() | st.sampled_from(DAYS),
        granted=st.sampled_from(DAYS),
    )
    def grant(
        self, data: st.DataObject, kind: str, requirement: str, on: date, until: date | None, granted: date
    ) -> None:
        """An extension, an exemption or a commitment, by a document, from the day it was granted."""
        from emrtrack.model import Basis
        from emrtrack.service import life

        Sequences.steps += 1
        model = self.model
        fid = data.draw(st.sampled_from(sorted(model.facilities)))
        facts = model.facilities[fid]
        if kind != "exemption":
            until = None
        new = Granted(kind, requirement, on, until, granted)

        def grant() -> Any:
            dates = {"start": on, "until": until} if kind == "exemption" else {"on": on}
            return life.grant(
                self.register, fid, kind, requirement=requirement, basis=Basis("X"), granted=granted, **dates
            )

        if facts.withdrawn or new in facts.exceptions or (until is not None and until < on):
            self._refused(grant)
            return
        grant()
        changed = Facts(facts.name, facts.ownership, facts.kind, facts.verified, (*facts.exceptions, new), False)
        model.record([("facility", fid, None, facts, changed)])

    @rule(data=st.data(), cli=st.booleans())
    def withdraw_or_reinstate(self, data: st.DataObject, cli: bool) -> None:
        """A facility withdrawn as entered by mistake, or put back: refused when it already is."""
        from emrtrack.model import Basis
        from emrtrack.service import life

        Sequences.steps += 1
        model = self.model
        fid = data.draw(st.sampled_from(sorted(model.facilities)))
        facts = model.facilities[fid]
        back = data.draw(st.booleans())
        if back != facts.withdrawn:  # reinstating one not withdrawn, or withdrawing one withdrawn
            if cli:
                before = table_hash(self.db)
                args = ["reinstate", fid] if back else ["withdraw", fid, "--basis", "X"]
                r = run("--db", str(self.db), *args)
                assert r.exit_code == 1 and r.stderr.startswith("emrtrack: "), r.stderr
                assert table_hash(self.db) == before
            else:
                self._refused(
                    lambda: (
                        life.reinstate(self.register, fid) if back else life.withdraw(self.register, fid, basis=None)
                    )
                )
            return
        if cli:
            r = run("--db", str(self.db), *(["reinstate", fid] if back else ["withdraw", fid, "--basis", "X"]))
            assert r.exit_code == 0, r.stderr
        elif back:
            life.reinstate(self.register, fid)
        else:
            life.withdraw(self.register, fid, basis=Basis("X"))
        changed = Facts(facts.name, facts.ownership, facts.kind, facts.verified, facts.exceptions, not back)
        model.record([("facility", fid, None, facts, changed)])

    # -- undo --------------------------------------------------------------------------------------------
    def _undoable(self, change_id: int) -> bool:
        changes = self.model.changes
        if not 1 < change_id <= len(changes):
            return False
        change = changes[change_id - 1]
        if change.reverts is not None or change.undone_by is not None:
            return False
        if any(self.model.current(e, k, m) != new for e, k, m, _old, new in change.events):
            return False  # a later change touched these facts since
        # a facility it added goes with it: not while it holds a milestone a later change recorded
        added = {k for e, k, _m, old, _new in change.events if e == "facility" and old is None}
        own = {(k, m) for e, k, m, _old, _new in change.events if e == "milestone"}
        return all(key in own for key in self.model.milestones if key[0] in added)

    def _undo(self, change_id: int, by_number: bool) -> None:
        model = self.model
        if not self._undoable(change_id):
            if by_number:
                self._refused(lambda: commands.undoable(self.register, change_id))
                return
            latest = commands.undoable(self.register)
            assert latest is not None and latest.id == change_id
            self._refused(lambda: commands.undo(self.register, latest, by="test"))
            return
        info = commands.undoable(self.register, change_id if by_number else None)
        assert info is not None and info.id == change_id
        undo_id = commands.undo(self.register, info, by="test")
        assert undo_id == len(model.changes) + 1
        model.record(
            [(e, k, m, new, old) for e, k, m, old, new in reversed(model.changes[change_id - 1].events)], change_id
        )

    @rule()
    def undo(self) -> None:
        """Plain undo: the latest change that is neither an undo nor undone, never the first."""
        Sequences.steps += 1
        latest = next(
            (c.id for c in reversed(self.model.changes[1:]) if c.reverts is None and c.undone_by is None), None
        )
        if latest is None:
            before = table_hash(self.db)
            assert commands.undoable(self.register) is None
            assert table_hash(self.db) == before
            return
        self._undo(latest, by_number=False)

    @rule(data=st.data())
    def undo_a_change(self, data: st.DataObject) -> None:
        """undo --change N, for any N the history has (and one past it)."""
        Sequences.steps += 1
        self._undo(data.draw(st.integers(1, len(self.model.changes) + 1)), by_number=True)

    # -- export and reports ----------------------------------------------------------------------------------
    @rule()
    def export_and_load_back(self) -> None:
        """The YAML export loaded into a new register gives the same content; loaded into this one, nothing."""
        Sequences.steps += 1
        out = io.StringIO()
        write_export_yaml(exports.export(self.register), out)
        path = self._file(out.getvalue())
        fresh = Register.open(self.folder / f"fresh-{self.files}.db")
        try:
            load_files(fresh, [path], actor="test")
            assert fresh.content_hash() == self.register.content_hash()
        finally:
            fresh.close()
        before = table_hash(self.db)
        assert not load_files(self.register, [path], actor="test").changed
        assert table_hash(self.db) == before

    @rule(requirement=st.sampled_from(sorted(REQUIREMENTS)), day=st.sampled_from(AS_OF))
    def report_overdue_through_the_cli(self, requirement: str, day: date) -> None:
        Sequences.steps += 1
        r = run(
            "--db",
            str(self.db),
            "report",
            "--overdue",
            "-r",
            requirement,
            "--as-of",
            day.isoformat(),
            "--format",
            "json",
        )
        assert r.exit_code == 0, r.stderr
        listed = {f["id"] for f in json.loads(r.stdout)["facilities"]}
        expected = expected_standings(self.model, requirement, _principal(requirement), day)
        assert listed == {fid for fid, (state, _days) in expected.items() if state is State.OVERDUE}

    # -- after every step ----------------------------------------------------------------------------------
    @invariant()
    def verify_is_ok(self) -> None:
        result = self.register.verify()
        assert result.ok, result.problem

    @invariant()
    def the_facts_agree(self) -> None:
        held = {
            f.id: Facts(
                f.name,
                f.ownership,
                f.kind,
                f.verified,
                tuple(Granted(e.kind, e.requirement, e.on or e.start, e.until, e.granted) for e in f.exceptions),  # type: ignore[arg-type]
                f.withdrawn is not None,
            )
            for f, _milestones in self.register.facility_facts()
        }
        assert self.register.facility_count() == len(self.model.facilities)
        assert held == self.model.facilities
        recorded = rows(self.db, "SELECT facility_id, milestone, date, exact, source FROM milestones")
        assert {
            (fid, m): Reached(date.fromisoformat(d), bool(exact), source) for fid, m, d, exact, source in recorded
        } == (self.model.milestones)
        assert self.register.last_change_id() == len(self.model.changes)

    @invariant()
    def the_reports_agree(self) -> None:
        requirements = {r.id: r for r in self.register.requirements()}
        for rid, obligations in REQUIREMENTS.items():
            req = requirements[rid]
            for index, (milestone, _cohorts, _scope) in enumerate(obligations):
                obligation = req.obligation(milestone)
                for day in AS_OF:
                    expected = expected_standings(self.model, rid, index, day)
                    _count, rows = self.register.standings(req, day, group_by="none", obligation=obligation)
                    assert {s.facility.id: (s.state, s.days_overdue) for s in rows} == expected, (rid, milestone, day)
                    count, overdue = self.register.standings(
                        req, day, Selection.overdue(), group_by="none", obligation=obligation
                    )
                    ids = {s.facility.id for s in overdue}
                    assert ids == {fid for fid, (state, _days) in expected.items() if state is State.OVERDUE}
                    assert count == len(ids)
        for day in AS_OF:  # `status`: the counts by state under every obligation
            for status in commands.status(self.register, as_of=day).statuses:
                for index, counted in enumerate(status.obligations):
                    states = [
                        state
                        for state, _days in expected_standings(self.model, status.requirement.id, index, day).values()
                    ]
                    assert counted.total == Counts(len(states), *(states.count(s) for s in STATES)), (status, day)


def _principal(requirement: str) -> int:
    return len(REQUIREMENTS[requirement]) - 1  # the last obligation of each is its principal one


Sequences.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
TestSequences = pytest.mark.slow(Sequences.TestCase)
