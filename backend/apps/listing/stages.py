"""The rules of the listing pipeline, free of the database: stage order, runs, buckets, order checks.

A firm's events, sorted by date (then by stage order), form *runs*: a run ends with a withdrawal or
a termination, and the next event starts a new run, which must begin with 入库 or 辅导备案. Within a
run the stages follow the order of SPEC §3.4; 入库 is the exception, because a firm's pool level
can change at any time while it goes through the process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from apps.core.i18n import t
from apps.listing.models import Board, Bucket, CommitteeOutcome, ListingStage

S = ListingStage

ORDER: dict[str, int] = {
    S.POOL: 1,
    S.JOINT_STOCK: 2,
    S.TUTORING_FILED: 3,
    S.TUTORING_ACCEPTED: 4,
    S.APPLICATION_ACCEPTED: 5,
    S.INQUIRY: 6,
    S.COMMITTEE: 7,
    S.REGISTRATION_SUBMITTED: 8,
    S.REGISTRATION_EFFECTIVE: 9,
    S.ISSUANCE: 10,
    S.LISTED: 11,
    # Ending stages sort after anything else on the same day.
    S.WITHDRAWN: 100,
    S.TERMINATED: 100,
}
ENDING = frozenset({S.WITHDRAWN, S.TERMINATED})
RUN_STARTERS = (S.POOL, S.TUTORING_FILED)

# The stage that must already be in the run. Pool, joint-stock conversion, review inquiries and
# issuance may be missing from the records without making the rest impossible.
PREREQUISITE: dict[str, str] = {
    S.TUTORING_ACCEPTED: S.TUTORING_FILED,
    S.APPLICATION_ACCEPTED: S.TUTORING_ACCEPTED,
    S.INQUIRY: S.APPLICATION_ACCEPTED,
    S.COMMITTEE: S.APPLICATION_ACCEPTED,
    S.REGISTRATION_SUBMITTED: S.COMMITTEE,  # and the committee must have passed
    S.REGISTRATION_EFFECTIVE: S.REGISTRATION_SUBMITTED,
    S.ISSUANCE: S.REGISTRATION_EFFECTIVE,
    S.LISTED: S.REGISTRATION_EFFECTIVE,
}

_STAGE_BUCKET: dict[str, str] = {
    S.TUTORING_FILED: Bucket.TUTORING,
    S.TUTORING_ACCEPTED: Bucket.TUTORING,
    S.APPLICATION_ACCEPTED: Bucket.IN_REVIEW,
    S.INQUIRY: Bucket.IN_REVIEW,
    S.REGISTRATION_SUBMITTED: Bucket.APPROVED,
    S.REGISTRATION_EFFECTIVE: Bucket.APPROVED,
    S.ISSUANCE: Bucket.APPROVED,
    S.LISTED: Bucket.LISTED,
}
_COMMITTEE_BUCKET: dict[str, str | None] = {
    CommitteeOutcome.PENDING: Bucket.IN_REVIEW,
    CommitteeOutcome.PASSED: Bucket.APPROVED,
    CommitteeOutcome.FAILED: None,  # a failed committee is not 过审
}


class Step(Protocol):
    """What the rules need of an event: a saved `ListingEvent`, or one about to be saved (id None)."""

    id: Any
    stage: str
    date: dt.date
    outcome: str
    board: str


def label(choice_label: str) -> str:
    """'入库 / Reserve pool' → the half in the caller's language."""
    zh, _, en = str(choice_label).partition(" / ")
    return t(zh, en or zh)


def stage_label(stage: str) -> str:
    return label(ListingStage(stage).label) if stage in ListingStage.values else stage


def bucket_label(bucket: str | None) -> str | None:
    return label(Bucket(bucket).label) if bucket else None


def board_label(board: str) -> str | None:
    return label(Board(board).label) if board in Board.values else None


def event_bucket(stage: str, outcome: str = "") -> str | None:
    """The report bucket an event belongs to in the year it happened."""
    if stage == S.COMMITTEE:
        return _COMMITTEE_BUCKET.get(outcome or CommitteeOutcome.PENDING)
    return _STAGE_BUCKET.get(stage)


def sort_key(step: Step) -> tuple[dt.date, int, int]:
    return (step.date, ORDER.get(step.stage, 50), step.id if step.id is not None else 2**62)


def split_runs(steps: Iterable[Step]) -> list[list[Step]]:
    """Sorted steps, cut after every withdrawal or termination."""
    runs: list[list[Step]] = [[]]
    for step in sorted(steps, key=sort_key):
        runs[-1].append(step)
        if step.stage in ENDING:
            runs.append([])
    return [run for run in runs if run]


# ---------------------------------------------------------------- current stage and bucket


@dataclass(frozen=True)
class ListingStatus:
    firm_id: int
    stage: str
    outcome: str
    board: str
    since: dt.date
    event_id: int
    run_started: dt.date
    ended: bool
    bucket: str | None
    as_of: dt.date


def status_of(firm_id: int, steps: Sequence[Step], *, on: dt.date) -> ListingStatus | None:
    """Where the firm stands on `on`: the furthest stage of its latest run.

    A run that ended (withdrawn / terminated) has no bucket. 新增上市 counts a listing only in the
    year it happened; later the firm is simply listed, outside the buckets.
    """
    runs = split_runs(s for s in steps if s.date <= on)
    if not runs:
        return None
    run = runs[-1]
    last = run[-1]
    if last.stage in ENDING:
        current, ended = last, True
    else:
        current, ended = max(run, key=lambda s: (ORDER.get(s.stage, 0), s.date, s.id or 0)), False
    boards = [s.board for s in run if s.board]
    bucket = None if ended else event_bucket(current.stage, current.outcome)
    if bucket == Bucket.LISTED and current.date.year != on.year:
        bucket = None
    return ListingStatus(
        firm_id=firm_id,
        stage=current.stage,
        outcome=current.outcome,
        board=current.board or (boards[-1] if boards else ""),
        since=current.date,
        event_id=current.id,
        run_started=run[0].date,
        ended=ended,
        bucket=bucket,
        as_of=on,
    )


# ---------------------------------------------------------------- order checks


@dataclass(frozen=True)
class Problem:
    """One break of the stage order. `key` identifies it across two versions of a timeline."""

    code: str
    step: Step
    other: Step | None = None
    missing: str = ""

    @property
    def key(self) -> tuple[str, Any, Any]:
        other = _ident(self.other) if self.other is not None else self.missing
        return (self.code, _ident(self.step), other)

    @property
    def steps(self) -> list[Step]:
        return [self.step] if self.other is None else [self.step, self.other]

    def message(self) -> str:
        a, da = _names(self.step)
        if self.code == "after_listed":
            b, db = _names(self.other)
            return t(
                f"「{a}」（{da}）登记在「{b}」（{db}）之后：企业上市后不再有上市进程的事件。",
                f"{a} ({da}) comes after {b} ({db}): a listed firm has no further pipeline events.",
            )
        if self.code == "nothing_to_end":
            return t(
                f"「{a}」（{da}）之前没有可以结束的上市进程，请先登记「入库」或「辅导备案」。",
                f"{a} ({da}) has no pipeline run to end; record 入库 (pool) or 辅导备案 (tutoring filed) first.",
            )
        if self.code == "run_start":
            b, db = _names(self.other)
            return t(
                f"「{b}」（{db}）之后须以「入库」或「辅导备案」开始新一轮，不能直接登记「{a}」（{da}）。",
                f"After {b} ({db}) a new run starts with 入库 (pool) or 辅导备案 (tutoring filed), "
                f"not with {a} ({da}).",
            )
        if self.code == "committee_not_passed":
            return t(
                f"「{a}」（{da}）之前须有审议通过的「上市委审议」；本轮的上市委审议尚未通过。",
                f"{a} ({da}) needs a passed 上市委审议 (listing committee) first; this run's committee has not passed.",
            )
        if self.code == "before_prerequisite":
            b, db = _names(self.other)
            return t(
                f"「{a}」（{da}）早于其前置阶段「{b}」（{db}），顺序不对。",
                f"{a} ({da}) is dated before {b} ({db}), which must come first.",
            )
        if self.code == "missing_prerequisite":
            b = stage_label(self.missing)
            return t(
                f"「{a}」（{da}）之前须先登记「{b}」。",
                f"{a} ({da}) needs {b} to be recorded first.",
            )
        # date_order: `step` is dated after `other`, although `other` is a later stage.
        b, db = _names(self.other)
        return t(
            f"「{a}」的日期（{da}）晚于其后续阶段「{b}」的日期（{db}），顺序不对。",
            f"{a} is dated {da}, after the later stage {b} dated {db}; the order is wrong.",
        )


def _ident(step: Step) -> Any:
    return step.id if step.id is not None else "new"


def _names(step: Step | None) -> tuple[str, str]:
    if step is None:
        return "", ""
    return str(stage_label(step.stage)), step.date.isoformat()


def timeline_problems(steps: Iterable[Step]) -> list[Problem]:
    """Every break of the stage order in one firm's events."""
    problems: list[Problem] = []
    runs = split_runs(steps)
    previous_end: Step | None = None
    for run in runs:
        seen: list[Step] = []
        for step in run:
            problems.extend(_problems_of(step, seen, run, previous_end))
            seen.append(step)
        previous_end = run[-1] if run[-1].stage in ENDING else None
    return problems


def _problems_of(step: Step, seen: list[Step], run: list[Step], previous_end: Step | None) -> list[Problem]:
    listed = next((s for s in seen if s.stage == S.LISTED), None)
    if listed is not None:
        return [Problem("after_listed", step, listed)]
    if step.stage in ENDING:
        return [] if seen else [Problem("nothing_to_end", step)]
    if not seen and previous_end is not None and step.stage not in RUN_STARTERS:
        return [Problem("run_start", step, previous_end)]
    found: list[Problem] = []
    required = PREREQUISITE.get(step.stage)
    if required is not None:
        # Only what is dated on or before this step counts: a prerequisite dated later is missing here.
        before = [s for s in seen if s.stage == required]
        if required == S.COMMITTEE:
            if not any(s.outcome == CommitteeOutcome.PASSED for s in before):
                code = "committee_not_passed" if before else "missing_prerequisite"
                found.append(Problem(code, step, missing=required))
        elif not before:
            dated_later = next((s for s in run if s.stage == required), None)
            if dated_later is not None:
                found.append(Problem("before_prerequisite", step, dated_later))
            else:
                found.append(Problem("missing_prerequisite", step, missing=required))
    if step.stage != S.POOL:
        for other in seen:
            if other.stage != S.POOL and ORDER[other.stage] > ORDER[step.stage]:
                found.append(Problem("date_order", step, other))
    return found
