"""The second complaint process (examples/complaint_second_process.py), derived from the default
workflow: its own states and triggers work, the default's checks still hold, archiving is final.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import attrs
import pytest

from ecservice.aftersales import Liability, ProblemKind, RemedyKind
from ecservice.complaints import Complaint, ComplaintStatus
from ecservice.errors import InvalidTransition, ValidationError
from tests.complaints.rig import AGENT, START, new_complaint

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "complaint_second_process.py"
S = ComplaintStatus


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return runpy.run_path(str(EXAMPLE))


def analysed(example: dict[str, Any]) -> Complaint:
    kind = example["SecondProcessComplaint"]
    complaint = new_complaint()
    fields = {f.name: getattr(complaint, f.name) for f in attrs.fields(Complaint) if f.init}
    second: Complaint = kind(**fields)
    second.reply(message="On it.", actor=AGENT)
    second.record(problem=ProblemKind.QUALITY, summary="Peels.", actor=AGENT)
    second.judge(valid=True, liability=Liability.SELLER, actor=AGENT)
    second.analyse(cause="Thin coating.", actor=AGENT)
    return second


def test_a_solution_without_a_case_is_implemented_then_archived(example: dict[str, Any]) -> None:
    step = example["Step"]
    complaint = analysed(example)
    complaint.feedback(solution="A new pot.", actor=AGENT)
    assert complaint.status is step.IMPLEMENTING
    assert complaint.can("implement")
    assert not complaint.can("follow_up", satisfaction=5)
    complaint.reply(message="The pot left today.", actor=AGENT)
    complaint.escalate(reason="slow courier", actor=AGENT)
    complaint.implement(actor=AGENT)  # type: ignore[attr-defined]
    complaint.follow_up(satisfaction=4, actor=AGENT)
    complaint.archive(actor=AGENT)  # type: ignore[attr-defined]
    assert complaint.status is step.ARCHIVED
    assert complaint.is_final
    with pytest.raises(InvalidTransition):
        complaint.reopen(actor=AGENT)
    fields = {f.name: getattr(complaint, f.name) for f in attrs.fields(type(complaint)) if f.init}
    assert type(complaint)(**fields) == complaint


def test_a_solution_with_a_case_still_waits_for_the_case(example: dict[str, Any]) -> None:
    complaint = analysed(example)
    complaint.feedback(
        solution="An exchange.", case_id="AS-9", remedy=RemedyKind.EXCHANGE, actor=AGENT
    )
    assert complaint.status is S.AWAITING_CASE
    assert not complaint.can("implement")


def test_the_history_is_checked_with_the_derived_states(example: dict[str, Any]) -> None:
    complaint = analysed(example)
    complaint.feedback(solution="A new pot.", actor=AGENT)
    fields = {f.name: getattr(complaint, f.name) for f in attrs.fields(type(complaint)) if f.init}
    with pytest.raises(ValidationError):
        type(complaint)(**{**fields, "solution": None})
    assert complaint.history[0].at == START
