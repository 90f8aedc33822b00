"""Errors of satisfaction measurement: a score off its scale, a malformed RFM policy."""

from __future__ import annotations

from ecservice.errors import ValidationError

__all__ = ["InvalidRfmPolicy", "InvalidScore", "invalid_score"]


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
    text = repr(score)
    return InvalidScore(
        question, text if len(text) <= 40 else f"a {type(score).__name__}", low, high
    )


class InvalidRfmPolicy(ValidationError):
    """An RFM policy or one of its parts is malformed: thresholds that do not rise, segments
    that leave a combination of scores without a segment or that no customer can reach.

    Nothing was built. The message says what was wrong and what is allowed.
    """


# Documented and imported under the area's public name.
InvalidScore.__module__ = InvalidRfmPolicy.__module__ = "ecservice.satisfaction"
