"""What is known, as it is known: milestones known only as "on or before" a date, obligations, plan targets.

The domain alone (model and rules), without the register or the command line."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from emrtrack.model import Cohort, Facility, Obligation, Reached, Requirement, Selector, State
from emrtrack.rules import (
    cohort_index,
    days_late,
    days_overdue,
    deadline_for,
    known_after,
    standing_under_each,
    state_of,
)

D = date.fromisoformat
DEADLINE = D("2025-08-31")
BOUND = Reached(D("2025-09-24"), exact=False, source="VietNamNet, 26 September 2025")


# -- states against a deadline -------------------------------------------------------------------------
def test_a_bound_on_or_before_the_deadline_is_on_time() -> None:
    assert state_of(DEADLINE, Reached(D("2025-08-31"), exact=False), D("2025-10-01")) is State.DEPLOYED_ON_TIME
    assert state_of(D("2025-09-30"), BOUND, D("2025-10-01")) is State.DEPLOYED_ON_TIME


def test_a_bound_past_the_deadline_is_unconfirmed_unless_it_was_missing_on_the_deadline() -> None:
    as_of = D("2025-10-01")
    assert state_of(DEADLINE, BOUND, as_of) is State.DEPLOYED_UNCONFIRMED  # nothing below the bound
    assert state_of(DEADLINE, BOUND, as_of, after=D("2025-07-09")) is State.DEPLOYED_UNCONFIRMED
    assert state_of(DEADLINE, BOUND, as_of, after=D("2025-08-30")) is State.DEPLOYED_UNCONFIRMED
    # confirmed not deployed on the deadline itself: deployed after it, so late
    assert state_of(DEADLINE, BOUND, as_of, after=DEADLINE) is State.DEPLOYED_LATE
    assert days_late(DEADLINE, BOUND, as_of, after=DEADLINE) == 1
    assert days_late(DEADLINE, BOUND, as_of, after=D("2025-09-10")) == 11  # at least 11 days late
    assert days_late(DEADLINE, BOUND, as_of, after=D("2025-08-30")) == 0  # not proven late


def test_a_bound_counts_as_reached_only_from_its_date() -> None:
    assert state_of(DEADLINE, BOUND, D("2025-09-01")) is State.OVERDUE
    assert days_overdue(DEADLINE, BOUND, D("2025-09-01")) == 1
    assert state_of(DEADLINE, BOUND, D("2025-09-23")) is State.OVERDUE
    assert state_of(DEADLINE, BOUND, D("2025-09-24")) is State.DEPLOYED_UNCONFIRMED
    assert state_of(D("2025-12-31"), BOUND, D("2025-09-23")) is State.NOT_YET_DUE


def test_an_exact_date_late_gives_its_days_late() -> None:
    assert state_of(DEADLINE, D("2025-09-05"), D("2025-10-01")) is State.DEPLOYED_LATE
    assert days_late(DEADLINE, D("2025-09-05"), D("2025-10-01")) == 5
    assert days_late(DEADLINE, D("2025-08-05"), D("2025-10-01")) == 0
    assert days_late(DEADLINE, None, D("2025-10-01")) == 0


def test_verified_is_the_lower_bound_only_before_the_bound() -> None:
    assert known_after(BOUND, D("2025-07-09")) == D("2025-07-09")
    assert known_after(BOUND, D("2025-09-24")) is None  # verified with the milestone reached: no lower bound
    assert known_after(BOUND, None) is None
    assert known_after(Reached(D("2025-09-24")), D("2025-07-09")) is None  # an exact date needs none
    assert known_after(None, D("2025-07-09")) is None


days = st.dates(min_value=D("2024-01-01"), max_value=D("2027-12-31"))


@given(deadline=days, deployed=st.one_of(st.none(), days), as_of=days)
def test_for_exact_dates_the_new_model_gives_exactly_the_old_states(
    deadline: date, deployed: date | None, as_of: date
) -> None:
    if deployed is not None and deployed <= as_of:
        old = State.DEPLOYED_ON_TIME if deployed <= deadline else State.DEPLOYED_LATE
    else:
        old = State.OVERDUE if as_of > deadline else State.NOT_YET_DUE
    reached = Reached(deployed) if deployed is not None else None
    assert state_of(deadline, reached, as_of) is old
    assert state_of(deadline, deployed, as_of) is old
    # whatever lower bound is given: an exact date does not need one
    assert state_of(deadline, reached, as_of, after=as_of - timedelta(days=400)) is old


@given(
    deadline=days,
    bound=days,
    gap=st.one_of(st.none(), st.integers(min_value=1, max_value=400)),
    later=st.integers(min_value=0, max_value=60),
)
def test_a_bound_never_claims_what_some_day_in_its_interval_would_contradict(
    deadline: date, bound: date, gap: int | None, later: int
) -> None:
    """Known: reached after `after` (when given) and on or before `bound`. The state claims on time or late
    only when every day of that interval gives that answer, and its days late are the least of them."""
    after = None if gap is None else bound - timedelta(days=gap)
    as_of = bound + timedelta(days=later)
    state = state_of(deadline, Reached(bound, exact=False), as_of, after)
    first = (after + timedelta(days=1)) if after is not None else D("1990-01-01")
    possible = {state_of(deadline, first + timedelta(days=i), as_of) for i in range((bound - first).days + 1)}
    if state is State.DEPLOYED_ON_TIME:
        assert possible == {State.DEPLOYED_ON_TIME}
    elif state is State.DEPLOYED_LATE:
        assert possible == {State.DEPLOYED_LATE}
        assert days_late(deadline, Reached(bound, exact=False), as_of, after) == min(
            days_late(deadline, first + timedelta(days=i), as_of) for i in range((bound - first).days + 1)
        )
    else:
        assert state is State.DEPLOYED_UNCONFIRMED
        assert possible == {State.DEPLOYED_ON_TIME, State.DEPLOYED_LATE}


# -- obligations and scopes ----------------------------------------------------------------------------
HOSPITAL = Facility(id="nghe-an-lung", name="Bệnh viện Phổi Nghệ An", ownership="public", kind="hospital")
CENTRE = Facility(id="quy-hop", name="Trung tâm Y tế Quỳ Hợp", ownership="public", kind="medical-centre")
DISPATCH = Requirement(
    id="2898/SYT-VP",
    issued=D("2025-07-09"),
    obligations=(
        Obligation("report-submitted", (Cohort(Selector(), D("2025-07-15")),), Selector(facilities=("nghe-an-lung",))),
        Obligation("deployed", (Cohort(Selector(), DEADLINE),), principal=True),
    ),
)


def test_a_requirement_given_only_deadlines_has_one_deployed_obligation() -> None:
    plain = Requirement(id="R", issued=D("2025-07-09"), cohorts=(Cohort(Selector(), DEADLINE),))
    assert plain.obligations == (Obligation("deployed", (Cohort(Selector(), DEADLINE),)),)
    assert plain.principal.milestone == "deployed"
    assert plain.binding and plain.replaces is None


def test_the_principal_obligation_is_the_one_marked_else_deployed_else_the_first() -> None:
    assert DISPATCH.principal.milestone == "deployed"
    assert DISPATCH.cohorts == (Cohort(Selector(), DEADLINE),)
    unmarked = Requirement(id="R", issued=D("2025-07-09"), obligations=(DISPATCH.obligations[0],))
    assert unmarked.principal.milestone == "report-submitted"
    both = Requirement(id="R", issued=D("2025-07-09"), obligations=tuple(reversed(DISPATCH.obligations)))
    assert both.principal.milestone == "deployed"


def test_a_scope_may_name_facilities_by_id() -> None:
    report = DISPATCH.obligations[0]
    assert deadline_for(DISPATCH, "public", "hospital", "nghe-an-lung", report) == D("2025-07-15")
    assert deadline_for(DISPATCH, "public", "medical-centre", "quy-hop", report) is None
    assert cohort_index(DISPATCH, "public", "medical-centre", "quy-hop") == 0  # the principal: everyone
    assert Selector(facilities=("a",)).matches("public", "hospital", None) is False
    assert Selector(facilities=("a",)).as_dict() == {"facilities": ["a"]}


def test_one_facility_under_each_obligation() -> None:
    milestones = {"deployed": BOUND}
    lung = dataclasses.replace(HOSPITAL, verified=D("2025-07-09"))
    got = standing_under_each([DISPATCH], lung, milestones, D("2025-10-01"))
    assert got == [
        (DISPATCH, DISPATCH.obligations[0], D("2025-07-15"), State.OVERDUE, 78),
        (DISPATCH, DISPATCH.obligations[1], DEADLINE, State.DEPLOYED_UNCONFIRMED, 0),
    ]
    centre = standing_under_each([DISPATCH], CENTRE, {"deployed": Reached(D("2025-09-05"))}, D("2025-10-01"))
    assert centre == [
        (DISPATCH, DISPATCH.obligations[0], None, None, 0),
        (DISPATCH, DISPATCH.obligations[1], DEADLINE, State.DEPLOYED_LATE, 5),
    ]
