"""Satisfaction (满意度) at a small tea shop: surveys after orders, complaints and after-sales
cases; CSAT, NPS and the response rate of the last 30 days; customers segmented by RFM.

1. Twelve surveys sent over May: most answered, one answered late and refused, one expired
   after a reminder, one cancelled because the customer asked for no more messages.
2. An NPS score of 11 refused with a specific error that changes nothing.
3. The report of the 30 days before 1 June, overall and per subject.
4. The shop's customers scored on recency, frequency and monetary value, with the segment and
   the reason for each score of one customer.

Run: ``python examples/satisfaction_surveys.py``
"""

from __future__ import annotations

import datetime as _dt

import pendulum

from ecservice.clock import FixedClock
from ecservice.errors import PolicyViolation
from ecservice.money import Money
from ecservice.satisfaction import (
    InvalidScore,
    Purchase,
    SubjectKind,
    Survey,
    SurveyChannel,
    SurveySubject,
    rfm_analysis,
    satisfaction_report,
)
from ecservice.workflow import Actor

ZONE = "Asia/Shanghai"
AGENT = Actor.staff("kefu-3")
NOW = pendulum.datetime(2026, 6, 1, 10, tz=ZONE)
# (subject kind, subject id, day of May, CSAT, NPS); None, None: never answered.
ANSWERS = [
    (SubjectKind.ORDER, "O-101", 3, 5, 10),
    (SubjectKind.ORDER, "O-102", 5, 4, 9),
    (SubjectKind.ORDER, "O-103", 8, 5, 8),
    (SubjectKind.ORDER, "O-104", 12, 3, 6),
    (SubjectKind.ORDER, "O-105", 15, 4, 9),
    (SubjectKind.ORDER, "O-106", 20, 5, 10),
    (SubjectKind.COMPLAINT, "TS-7", 9, 2, 3),
    (SubjectKind.COMPLAINT, "TS-8", 18, 4, 7),
    (SubjectKind.AFTERSALES_CASE, "AS-31", 11, 5, 9),
    (SubjectKind.AFTERSALES_CASE, "AS-32", 22, None, None),
]


def survey(n: int, kind: SubjectKind, subject: str, day: int) -> Survey:
    sent = pendulum.datetime(2026, 5, day, 20, tz=ZONE)
    return Survey(
        id=f"SV-{n}",
        customer_id=f"b-{n}",
        subject=SurveySubject(kind=kind, id=subject),
        channel=SurveyChannel.SMS,
        scheduled_at=sent,
        clock=FixedClock(sent),
    )


def send_surveys() -> list[Survey]:
    surveys = []
    for n, (kind, subject, day, csat, nps) in enumerate(ANSWERS, start=1):
        s = survey(n, kind, subject, day)
        s.send(actor=AGENT)
        clock = s.clock
        assert isinstance(clock, FixedClock)
        if csat is not None and nps is not None:
            clock.set(clock.now() + _dt.timedelta(hours=3))
            answers: dict[str, int | str] = {"csat": csat, "nps": nps, "comment": "茶很好"}
            s.answer(answers=answers, actor=Actor.buyer(s.customer_id))
        else:
            clock.set(clock.now() + _dt.timedelta(days=2))
            s.remind(actor=AGENT)
            clock.set(s.expires_at or clock.now())
            try:
                s.answer(answers={"csat": 5}, actor=Actor.buyer(s.customer_id))
            except PolicyViolation as refused:
                print(f"{s.id}: refused, {str(refused).split(';')[0]}")
            s.expire()
        print(f"{s.id} about {s.subject}: {s.status.label_en} ({s.status.label_zh})")
        surveys.append(s)
    quiet = survey(11, SubjectKind.ORDER, "O-107", 25)
    quiet.cancel(actor=Actor.buyer("b-11"), note="no more messages, please")
    print(f"{quiet.id} about {quiet.subject}: {quiet.status.label_en} ({quiet.status.label_zh})")
    surveys.append(quiet)
    return surveys


def bad_score() -> Survey:
    s = survey(12, SubjectKind.ORDER, "O-108", 27)
    s.send(actor=AGENT)
    try:
        s.answer(answers={"nps": 11}, actor=Actor.buyer("b-12"))
    except InvalidScore as error:
        print(f"{s.id}: {error}; still {s.status.label_en}, version {s.version}")
    s.answer(answers={"nps": 10, "csat": 5}, actor=Actor.buyer("b-12"))
    return s


def report(surveys: list[Survey]) -> None:
    result = satisfaction_report(surveys, now=NOW, zone=ZONE)
    start = result.window_start.in_tz(ZONE).date()
    end = result.window_end.in_tz(ZONE).date()
    print(f"\nThe {result.days} days from {start} to {end} (exclusive):")
    rows = [("all", result.overall), *((k.value, f) for k, f in result.by_kind)]
    for name, figures in rows:
        csat = f"{figures.csat.rate.value:.1%}" if figures.csat else "-"
        nps = f"{figures.nps.value.normalize():f}" if figures.nps else "-"
        rate = f"{figures.response_rate.value:.0%}" if figures.response_rate else "-"
        print(
            f"  {name:<16} sent {figures.sent:>2}  answered {figures.answered:>2}  "
            f"response {rate:>4}  CSAT {csat:>6}  NPS {nps}"
        )


def segments() -> None:
    orders = [
        ("b-1", 3, "268.00"), ("b-1", 40, "198.00"), ("b-1", 70, "388.00"), ("b-1", 100, "99.00"),
        ("b-1", 130, "268.00"),
        ("b-2", 2, "59.00"),
        ("b-3", 200, "128.00"), ("b-3", 230, "498.00"), ("b-3", 260, "168.00"),
        ("b-4", 400, "39.00"),
        ("b-5", 20, "88.00"), ("b-5", 50, "76.00"), ("b-5", 80, "128.00"),
    ]  # fmt: skip
    purchases = [
        Purchase(
            customer_id=customer,
            order_id=f"O-{i}",
            placed_at=NOW - _dt.timedelta(days=days),
            amount=Money(amount, "CNY"),
        )
        for i, (customer, days, amount) in enumerate(orders)
    ]
    print("\nRFM segments on 2026-06-01:")
    rows = rfm_analysis(purchases, now=NOW, zone=ZONE)
    for row in rows:
        print(
            f"  {row.customer_id}: {row.recency_days:>3} days, {row.frequency} orders, "
            f"{row.monetary.format('zh_CN'):>9}  RFM {row.scores.code}  {row.segment.name} "
            f"({row.segment.label_zh})"
        )
    print(f"Why {rows[2].customer_id}:")
    for line in rows[2].explanation:
        print(f"  {line}")


def main() -> None:
    surveys = send_surveys()
    surveys.append(bad_score())
    report(surveys)
    segments()


if __name__ == "__main__":
    main()
