"""Errors of satisfaction measurement: a score off its scale, a malformed RFM policy."""

from __future__ import annotations

from ecservice.errors import PolicyViolation, ValidationError

__all__ = ["InvalidRfmPolicy", "InvalidScore", "NotTheCustomer", "invalid_score"]


class InvalidScore(ValidationError):
    """A score that is not a whole number on its question's scale: an NPS score of 11, a CSAT
    score of 0, ``4.5``, ``True``.

    Nothing was recorded or computed. The message names the question, the score given and the
    scale allowed.

    Args:
        question: the key of the question answered (``"nps"``), or a description of the scores
            (``"the NPS scores"``) when no survey is involved.
        given: the score given, as the message shows it: its ``repr`` (``"11"``, ``"4.5"``,
            ``"'9'"``), or its type when the ``repr`` is long.
        low: the lowest score of the scale.
        high: the highest score of the scale.
    """

    def __init__(self, question: str, given: str, low: int, high: int) -> None:
        self.question = question
        self.given = given
        self.low = low
        self.high = high
        super().__init__(
            f"{question}: a score must be a whole number (int) from {low} to {high}, not {given}"
        )


def invalid_score(question: str, score: object, low: int, high: int) -> InvalidScore:
    """:class:`InvalidScore` for ``score``, whatever its type."""
    name = type(score).__name__
    try:  # an int of thousands of digits has a huge repr, or none (sys.set_int_max_str_digits)
        text = "" if isinstance(score, int) and abs(score) >= 10**40 else repr(score)
    except Exception:
        text = ""
    if not text or len(text) > 40:
        text = f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"
    return InvalidScore(question, text, low, high)


class InvalidRfmPolicy(ValidationError):
    """An RFM policy or one of its parts is malformed: thresholds that do not rise, segments
    that leave a combination of scores without a segment or that no customer can reach.

    Nothing was built. The message says what was wrong and what is allowed.
    """


class NotTheCustomer(PolicyViolation):
    """A survey was answered (:meth:`~ecservice.satisfaction.Survey.answer`) by someone other
    than the customer surveyed or the shop's staff: another buyer, a carrier, a system job.

    The answer is the surveyed customer's (``Actor.buyer(customer_id)``), or is recorded on
    their behalf by the shop's staff (an actor of :class:`~ecservice.workflow.ActorKind`
    ``STAFF``) when the survey is taken by phone. As an answer is final, anyone else's would
    silence the customer. The message names who may answer. Nothing changed.
    """


# Documented and imported under the area's public name.
InvalidScore.__module__ = InvalidRfmPolicy.__module__ = "ecservice.satisfaction"
NotTheCustomer.__module__ = "ecservice.satisfaction"
