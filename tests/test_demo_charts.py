"""The demo's chart report: built from reports the library's own functions give over small
aggregates made in memory, written as a self-contained HTML page or one PNG image."""

from __future__ import annotations

import base64
import datetime as _dt
import random
import re
import struct
import sys
from pathlib import Path

import attrs
import pendulum
import pytest

from ecservice._demo_charts import (
    ChartFigures,
    ChartsUnavailable,
    CreditScore,
    check_report,
    render_report,
)
from ecservice.aftersales import (
    AfterSalesCase,
    Liability,
    PaidOrder,
    ProblemKind,
    Rate,
    RemedyKind,
    aftersales_report,
)
from ecservice.calendar import ShopCalendar
from ecservice.clock import FixedClock
from ecservice.complaints import Complaint, ComplaintChannel, SlaPolicy, complaint_report
from ecservice.consultation import (
    DEFAULT_ENQUIRY_TYPES,
    ConsultationSession,
    Sender,
    consultation_report,
)
from ecservice.errors import NaiveDatetime, ValidationError
from ecservice.money import Money
from ecservice.ratings import (
    TAOBAO_CREDIT_LEVELS,
    CreditLevel,
    CreditPolicy,
    CreditReport,
    DetailedRatingPolicy,
    DetailedRatingReport,
    DetailedScores,
    GoodReviewRate,
    Grade,
    Rating,
    ScoreAverage,
    credit_level,
    detailed_ratings,
    good_review_rate,
    seller_credit,
)
from ecservice.satisfaction import Purchase, SubjectKind, Survey, rfm_analysis, satisfaction_report
from ecservice.workflow import Actor
from tests.aftersales.case_rig import BUYER as CASE_BUYER
from tests.aftersales.case_rig import SELLER as CASE_SELLER
from tests.aftersales.case_rig import new_case
from tests.consultation.rig import AGENT, CHAT, ShopChecker, details
from tests.ratings.rig import made
from tests.satisfaction.rig import sent_survey

pytest.importorskip("matplotlib")

ZONE = "Asia/Shanghai"
NOW = pendulum.datetime(2026, 6, 1, 9, 30, tz=ZONE)
DAY = _dt.timedelta(days=1)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
KEFU = Actor.staff("kefu-1")


# --- aggregates, made in memory ---------------------------------------------------------------


def ratings(n: int, rng: random.Random) -> list[Rating]:
    """``n`` ratings of one seller by different buyers, most good, rated in the last 90 days."""
    out = []
    for i in range(n):
        grade = rng.choices([Grade.GOOD, Grade.NEUTRAL, Grade.BAD], [90, 6, 4])[0]
        high = 5 if grade is Grade.GOOD else 3
        scores = DetailedScores(
            described=rng.randint(high - 1, high),
            service=rng.randint(high - 2, high),
            logistics=rng.randint(high - 1, high),
        )
        ordered = NOW - _dt.timedelta(days=rng.randint(3, 90), hours=rng.randint(0, 20))
        out.append(
            made(
                f"R{i}",
                grade=grade,
                ordered_at=ordered,
                buyer=f"b-{i}",
                item=f"I-{i % 7}",
                scores=scores,
            )
        )
    return out


def surveys(n: int, rng: random.Random) -> list[Survey]:
    """``n`` surveys sent in the last 30 days, about orders, complaints and cases; a fifth
    unanswered."""
    kinds = [SubjectKind.ORDER] * 6 + [SubjectKind.COMPLAINT] * 2 + [SubjectKind.AFTERSALES_CASE]
    out = []
    for i in range(n):
        kind = rng.choice(kinds)
        sent = NOW - _dt.timedelta(days=rng.randint(2, 28), hours=rng.randint(0, 12))
        if rng.random() < 0.2:
            out.append(sent_survey(kind, i, sent, csat=None, nps=None))
            continue
        happy = rng.random() < (0.5 if kind is SubjectKind.COMPLAINT else 0.8)
        csat = rng.randint(4, 5) if happy else rng.randint(1, 3)
        nps = rng.randint(8, 10) if happy else rng.randint(0, 7)
        out.append(sent_survey(kind, i, sent, csat=csat, nps=nps))
    return out


def purchases(n: int, rng: random.Random) -> list[Purchase]:
    """``n`` orders of about ``n // 3`` customers over the last two years."""
    return [
        Purchase(
            customer_id=f"c-{rng.randint(0, max(n // 3, 1))}",
            order_id=f"O-{i}",
            placed_at=NOW - _dt.timedelta(days=rng.randint(0, 700)),
            amount=Money.from_minor(rng.randint(990, 59_900), "CNY"),
        )
        for i in range(n)
    ]


def sessions(n: int, rng: random.Random) -> list[ConsultationSession]:
    """``n`` chats opened in the last 30 days: answered within seconds to minutes, an enquiry
    or two each, a third ordering."""
    out = []
    for i in range(n):
        opened = NOW - _dt.timedelta(days=rng.randint(2, 28), hours=rng.randint(0, 8))
        clock = FixedClock(opened)
        s = ConsultationSession(id=f"C-{i}", buyer_id=f"b-{i}", opened_at=opened, clock=clock)
        s.message(sender=Sender.BUYER, length=12, actor=CHAT)
        clock.advance(seconds=rng.choice([5, 12, 20, 35, 60, 240]))
        s.message(sender=Sender.AGENT, length=30, actor=CHAT)
        s.greet(actor=AGENT)
        for kind in rng.sample(DEFAULT_ENQUIRY_TYPES, rng.randint(1, 2)):
            s.take_enquiry(type=kind, actor=AGENT)
        if rng.random() < 0.35:
            s.recommend(sku="DRESS-1", actor=AGENT)
            s.confirm_order(details=details(order_id=f"O-{i}"), checker=ShopChecker(), actor=AGENT)
        out.append(s)
    return out


def complaints(n: int, rng: random.Random) -> list[Complaint]:
    """``n`` complaints opened on working mornings of the last 30 days, most answered within
    the hour, some late, each recorded under a problem."""
    problems = [ProblemKind.QUALITY, ProblemKind.LATE_DELIVERY, ProblemKind.COLOUR_DIFFERENCE]
    out = []
    for i in range(n):
        day = NOW - _dt.timedelta(days=rng.randint(2, 28))
        opened = pendulum.datetime(day.year, day.month, day.day, 9, tz=ZONE)
        clock = FixedClock(opened)
        c = Complaint(
            id=f"CP-{i}",
            buyer_id=f"b-{i}",
            text="The kettle leaks.",
            channel=ComplaintChannel.CHAT,
            opened_at=opened,
            clock=clock,
        )
        clock.advance(minutes=rng.choice([20, 40, 50, 150]))
        c.reply(message="Sorry, we are on it.", actor=KEFU)
        c.record(problem=rng.choice(problems), summary="recorded", actor=KEFU)
        if rng.random() < 0.7:
            clock.advance(minutes=rng.choice([30, 90, 240]))
            c.judge(valid=True, liability=Liability.SELLER, actor=KEFU)
            c.analyse(cause="a batch of faulty seals", actor=KEFU)
            c.feedback(solution="a new kettle is on its way", actor=KEFU)
            clock.advance(days=rng.choice([1, 2, 4]))
            c.follow_up(satisfaction=rng.choice([2, 4, 5, 5]), actor=KEFU)
        out.append(c)
    return out


def cases(n: int, rng: random.Random) -> tuple[list[AfterSalesCase], list[PaidOrder]]:
    """``n`` cases on paid orders of the last 30 days: some refunded, some still open."""
    made_cases, paid = [], []
    for i in range(n):
        opened = NOW - _dt.timedelta(days=rng.randint(3, 25))
        paid.append(PaidOrder(f"O-{i}", opened - 2 * DAY))
        clock = FixedClock(opened)
        remedy = rng.choice([RemedyKind.REFUND_ONLY, RemedyKind.COMPENSATION])
        case = new_case(
            remedy,
            id=f"AS-{i}",
            order_id=f"O-{i}",
            opened_at=opened,
            order_shipped=False,
            clock=clock,
        )
        clock.advance(hours=5)
        if i % 3 == 0:
            case.withdraw(actor=CASE_BUYER)
        else:
            amount = Money("15.00", "CNY") if remedy is RemedyKind.COMPENSATION else None
            case.approve(expected_version=case.version, actor=CASE_SELLER, amount=amount)
            if i % 3 == 1:
                clock.advance(hours=20)
                if amount is None:
                    case.refund(actor=CASE_SELLER)
                else:
                    case.compensate(actor=CASE_SELLER)
        made_cases.append(case)
    paid += [PaidOrder(f"P-{i}", NOW - _dt.timedelta(days=i % 25 + 2)) for i in range(4 * n)]
    return made_cases, paid


def sample(scale: int = 1, *, seed: int = 7) -> ChartFigures:
    """Every report of the library over aggregates of ``scale`` times a few dozen."""
    rng = random.Random(seed)
    rated = ratings(30 * scale, rng)
    policy = CreditPolicy()
    found_cases, paid = cases(6 * scale, rng)
    return ChartFigures(
        now=NOW,
        shop="Hangzhou Tea House",
        zone=ZONE,
        days=30,
        credit=seller_credit(rated, policy, now=NOW),
        good_reviews=good_review_rate(rated, policy, now=NOW, days=180),
        detailed=detailed_ratings(rated, DetailedRatingPolicy(), now=NOW),
        satisfaction=satisfaction_report(surveys(25 * scale, rng), now=NOW, zone=ZONE),
        rfm=rfm_analysis(purchases(40 * scale, rng), now=NOW, zone=ZONE),
        consultation=consultation_report(sessions(20 * scale, rng), now=NOW, zone=ZONE),
        complaints=complaint_report(
            complaints(8 * scale, rng),
            SlaPolicy.shop_default(),
            ShopCalendar(),
            now=NOW,
            zone=ZONE,
            days=30,
        ),
        aftersales=aftersales_report(found_cases, paid, now=NOW, zone=ZONE),
    )


@pytest.fixture(scope="module")
def figures() -> ChartFigures:
    return sample()


@pytest.fixture(scope="module")
def small(figures: ChartFigures) -> ChartFigures:
    """Two charts only: the credit and the detailed ratings."""
    return ChartFigures(now=NOW, credit=figures.credit, detailed=figures.detailed)


@pytest.fixture(scope="module")
def small_png(small: ChartFigures, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The two charts as one image, with Chinese labels when a font draws them."""
    return render_report(tmp_path_factory.mktemp("small") / "small.png", small).read_bytes()


@pytest.fixture(scope="module")
def written(figures: ChartFigures, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample drawn once as a page; its survey and consultation charts as an image."""
    folder = tmp_path_factory.mktemp("charts")
    four = ChartFigures(
        now=NOW, satisfaction=figures.satisfaction, consultation=figures.consultation
    )
    return {
        "html": render_report(folder / "report.html", figures),
        "png": render_report(folder / "report.PNG", four),
    }


# --- reading what was written -----------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    """The width and height of a PNG image (its IHDR chunk), checking the signature."""
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def images(page: str) -> list[bytes]:
    return [
        base64.b64decode(m) for m in re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    ]


# --- the tests --------------------------------------------------------------------------------


def test_the_html_page_embeds_one_captioned_png_per_chart(
    figures: ChartFigures, written: dict[str, Path]
) -> None:
    assert written["html"].name == "report.html"
    page = written["html"].read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    pictures = images(page)
    assert len(pictures) == 11
    for data in pictures:
        width, height = png_size(data)
        assert width == 880
        assert 200 < height < 800
    captions = re.findall(r"<figcaption><strong>Figure (\d+)\. ([^<]+)\.</strong>", page)
    assert [int(n) for n, _ in captions] == list(range(1, 12))
    assert [t for _, t in captions] == [
        "Seller credit (信用等级)",
        "Good-review rate (好评率)",
        "Detailed seller ratings (店铺动态评分)",
        "Customer satisfaction (CSAT) (满意度)",
        "Net Promoter Score (NPS) (净推荐值)",
        "Enquiry conversion (询单转化率)",
        "Response times (响应时间)",
        "Complaint SLA attainment (投诉时效达成率)",
        "Complaints by category (投诉类别)",
        "After-sales outcomes (售后结果)",
        "Customer segments (RFM) (RFM客户分层)",
    ]
    assert page.count("Source: <code>ecservice.") == 11
    credit = figures.credit
    assert isinstance(credit, CreditReport)
    counted = f"Counted ratings: {credit.count(Grade.GOOD)} good, {credit.count(Grade.NEUTRAL)}"
    assert counted in page
    assert "Hangzhou Tea House: customer service figures" in page
    assert "figures as of 2026-06-01 09:30 local time" in page
    # The page is self-contained: nothing is fetched from elsewhere.
    assert "http" not in page.replace('name="viewport"', "")


def test_a_report_without_consultations_draws_the_rest(
    figures: ChartFigures, tmp_path: Path
) -> None:
    fewer = ChartFigures(now=NOW, complaints=figures.complaints, aftersales=figures.aftersales)
    page = render_report(tmp_path / "r.html", fewer).read_text("utf-8")
    assert len(images(page)) == 3
    assert "Enquiry conversion" not in page
    assert "RFM" not in page
    assert "Figure 3. After-sales outcomes" in page


def test_the_png_grid_is_one_image_two_charts_wide(written: dict[str, Path]) -> None:
    data = written["png"].read_bytes()
    width, height = png_size(data)
    assert width == 1600  # two charts of 8 inches at 100 dpi
    assert 2 * 250 < height < 2 * 600  # two rows of charts under the title


def test_the_same_figures_give_the_same_bytes(
    small: ChartFigures, small_png: bytes, tmp_path: Path
) -> None:
    """No clock and no software stamp in the file (the pages are compared in
    test_summaries_without_entries_draw_what_the_reports_draw)."""
    assert render_report(tmp_path / "again.png", small).read_bytes() == small_png
    assert b"Software" not in small_png


def test_an_empty_report_says_there_is_nothing_to_draw(tmp_path: Path) -> None:
    empty = ChartFigures(now=NOW)
    assert empty.is_empty
    assert ChartFigures(now=NOW, rfm=[]).is_empty
    page = render_report(tmp_path / "empty.html", empty).read_text("utf-8")
    assert "Nothing to draw" in page
    assert "<img" not in page
    png_size(render_report(tmp_path / "empty.png", empty).read_bytes())
    odd = ChartFigures(now=NOW, shop="Tea & <Co>")
    assert "Tea &amp; &lt;Co&gt;: customer service figures" in render_report(
        tmp_path / "odd.html", odd
    ).read_text("utf-8")


def test_english_labels_only_when_asked_or_without_a_chinese_font(
    small: ChartFigures, small_png: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecservice import _demo_chart_pages as pages

    has_font = pages.cjk_family("店铺动态评分信用等级") is not None
    english = render_report(tmp_path / "en.png", small, chinese=False).read_bytes()
    assert (small_png != english) is has_font
    monkeypatch.setattr(pages, "_charmaps", lambda: ())
    assert render_report(tmp_path / "none.png", small).read_bytes() == english
    with pytest.raises(ChartsUnavailable, match="no installed font"):
        render_report(tmp_path / "must.png", small, chinese=True)
    only_credit = ChartFigures(now=NOW, credit=small.credit)
    page = render_report(tmp_path / "en.html", only_credit, chinese=False).read_text("utf-8")
    assert "Figure 1. Seller credit (信用等级)." in page  # the browser draws it


def test_credit_as_a_summary_of_score_and_level(tmp_path: Path) -> None:
    level = credit_level(287)
    summary = CreditScore(score=287, level=level)
    page = render_report(tmp_path / "c.html", ChartFigures(now=NOW, credit=summary))
    assert len(images(page.read_text("utf-8"))) == 1
    assert "Counted ratings" not in page.read_text("utf-8")  # a score alone counts none
    below = ChartFigures(now=NOW, credit=CreditScore(score=-2))
    assert len(images(render_report(tmp_path / "b.html", below).read_text("utf-8"))) == 1
    with pytest.raises(ValidationError, match="not of level"):
        CreditScore(score=3, level=level)
    with pytest.raises(ValidationError, match="int"):
        CreditScore(score=True)
    with pytest.raises(ValidationError, match="credit must be"):
        ChartFigures(now=NOW, credit=287)  # type: ignore[arg-type]


@attrs.frozen(kw_only=True)
class CreditTotals:
    """A credit counted elsewhere (in a database): points, level and ratings by grade."""

    score: int
    level: CreditLevel | None
    counts: dict[Grade, int]

    def count(self, grade: Grade) -> int:
        return self.counts[grade]


NO_SCORES = ScoreAverage(0, 0)


@attrs.frozen(kw_only=True)
class WindowTotals:
    """A rate or averages counted elsewhere: the report's figures without its entries."""

    days: int
    start: pendulum.DateTime
    end: pendulum.DateTime
    good: int = 0
    neutral: int = 0
    bad: int = 0
    rate: Rate | None = None
    described: ScoreAverage = NO_SCORES
    service: ScoreAverage = NO_SCORES
    logistics: ScoreAverage = NO_SCORES


def test_summaries_without_entries_draw_what_the_reports_draw(
    figures: ChartFigures, tmp_path: Path
) -> None:
    credit, good, detailed = figures.credit, figures.good_reviews, figures.detailed
    assert isinstance(credit, CreditReport)
    assert isinstance(good, GoodReviewRate)
    assert isinstance(detailed, DetailedRatingReport)
    summaries = ChartFigures(
        now=NOW,
        credit=CreditTotals(
            score=credit.score, level=credit.level, counts={g: credit.count(g) for g in Grade}
        ),
        good_reviews=WindowTotals(
            days=good.days,
            start=good.start,
            end=good.end,
            good=good.good,
            neutral=good.neutral,
            bad=good.bad,
            rate=good.rate,
        ),
        detailed=WindowTotals(
            days=detailed.days,
            start=detailed.start,
            end=detailed.end,
            described=detailed.described,
            service=detailed.service,
            logistics=detailed.logistics,
        ),
    )
    reports = ChartFigures(now=NOW, credit=credit, good_reviews=good, detailed=detailed)
    drawn = render_report(tmp_path / "summaries.html", summaries).read_bytes()
    assert drawn == render_report(tmp_path / "reports.html", reports).read_bytes()
    with pytest.raises(ValidationError, match="good_reviews must be a GoodReviewRate or a summary"):
        ChartFigures(now=NOW, good_reviews=WindowTotals(days=1, start=NOW, end=NOW, good=True))


@pytest.mark.parametrize("name", ["report.pdf", "report", "report.html.txt", "report.svg"])
def test_another_suffix_is_refused(figures: ChartFigures, tmp_path: Path, name: str) -> None:
    with pytest.raises(ValidationError, match=r"must end in \.html .* or \.png"):
        check_report(tmp_path / name)
    with pytest.raises(ValidationError, match=r"must end in \.html .* or \.png"):
        render_report(tmp_path / name, figures)
    assert list(tmp_path.iterdir()) == []
    check_report(tmp_path / "report.htm")  # a page of another spelling is fine


def test_an_unwritable_path_is_refused(figures: ChartFigures, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        check_report(tmp_path / "missing" / "report.html")
    with pytest.raises(ValidationError, match="does not exist"):
        render_report(tmp_path / "missing" / "report.html", figures)
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(ValidationError, match="is a directory"):
        render_report(tmp_path / "dir.png", figures)
    (tmp_path / "plain").write_text("a file")
    with pytest.raises(ValidationError, match=r"'.*plain' is not a directory"):
        check_report(tmp_path / "plain" / "report.html")


def test_a_directory_where_nothing_can_be_written_is_found_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check_report makes (and removes) a file where the report goes, so that a read-only
    directory is said before the demo runs, not after."""
    import tempfile

    def refuse(*_: object, **__: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    with pytest.raises(ValidationError, match=r"no file can be written in .*Permission denied"):
        check_report(tmp_path / "report.html")
    monkeypatch.undo()
    check_report(tmp_path / "report.html")
    assert list(tmp_path.iterdir()) == []  # the probe leaves nothing behind


def test_a_failed_write_is_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Path, data: bytes) -> int:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "write_bytes", refuse)
    with pytest.raises(ValidationError, match=r"cannot write the report .*: Permission denied"):
        render_report(tmp_path / "report.html", ChartFigures(now=NOW))


def test_without_matplotlib_the_error_names_the_report_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ChartsUnavailable, match=r"pip install 'ecservice\[report\]'"):
        check_report(tmp_path / "r.html")
    with pytest.raises(ChartsUnavailable, match=r"pip install 'ecservice\[report\]'"):
        render_report(tmp_path / "r.html", ChartFigures(now=NOW))
    assert list(tmp_path.iterdir()) == []


def test_the_figures_are_checked_when_given() -> None:
    with pytest.raises(NaiveDatetime):
        ChartFigures(now=_dt.datetime(2026, 6, 1))  # naive on purpose
    with pytest.raises(ValidationError, match="days must be"):
        ChartFigures(now=NOW, days=0)
    with pytest.raises(ValidationError, match="good_reviews must be"):
        ChartFigures(now=NOW, good_reviews="98%")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="rfm must hold"):
        ChartFigures(now=NOW, rfm=["c-1"])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="zone"):
        ChartFigures(now=NOW, zone="Mars/Olympus")
    with pytest.raises(ValidationError, match="figures must be"):
        render_report(Path("r.html"), "figures")  # type: ignore[arg-type]
    assert ChartFigures(now=NOW).credit_levels == TAOBAO_CREDIT_LEVELS
