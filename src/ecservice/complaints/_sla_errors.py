"""Errors of service levels: a policy that cannot be applied, a timeline that runs backwards."""

from __future__ import annotations

from ecservice.errors import ValidationError

__all__ = ["InvalidSlaPolicy", "InvalidTimeline"]


class InvalidSlaPolicy(ValidationError):
    """A service-level target, clock rule, escalation step or policy is malformed.

    Raised by the constructors (nothing is built) and by
    :meth:`~ecservice.complaints.SlaPolicy.check_workflow` (a rule names a trigger or a state
    the workflow does not have). The message says what was wrong and what is allowed.
    """


class InvalidTimeline(ValidationError):
    """The history given to an SLA evaluation cannot be a timeline: a record dated before the
    opening or before the record it follows, a record that is not a
    :class:`~ecservice.workflow.TransitionRecord`, or ``now`` before the last record.

    Nothing was computed.
    """


# Documented and imported under the area's public name.
InvalidSlaPolicy.__module__ = InvalidTimeline.__module__ = "ecservice.complaints"
