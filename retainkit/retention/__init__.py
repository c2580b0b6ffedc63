"""Retention metrics as product analytics defines them, with the edge cases done right.

Introduced in notebook 02. Every function takes an event log (canonical columns ``user_id``,
``timestamp``, ``event``; see :func:`retainkit.events.validate_events`, whose rules every
helper here reads it by) and works on whole arrays (integer period codes, ``bincount``), never
looping over users. Calendar periods are cut at local midnight in the reporting zone ``tz``
(default UTC), weeks start on ``week_start``; rolling windows are exact 24-hour steps.

=================  ================  ========  ==============================================
name               file              notebook  what it computes
=================  ================  ========  ==============================================
retention_table    ``_tables.py``    02        cohort x period table: ``on``/``on_or_after``,
                                               ``first``/``recurring``, calendar/rolling, NaN
                                               (never 0) until a period is over, ``by=``
bracket_retention  ``_tables.py``    02        retention in brackets of periods (day 1, 2-7)
retention_curve    ``_curve.py``     02        size-weighted average of the complete cells,
                                               Wilson or bootstrap interval, ``by=``
wilson_interval    ``_curve.py``     02        the Wilson score interval of a proportion
active_users       ``_usage.py``     02        DAU / WAU / MAU on trailing windows, ``by=``
stickiness         ``_usage.py``     02        DAU/MAU by day and the active-days histogram
Stickiness         ``_usage.py``     02        what ``stickiness`` returns
lifecycle          ``_usage.py``     02        new / returning / resurrecting / dormant, ``by=``
churn_rate         ``_usage.py``     02        period-over-period churn of active users
=================  ================  ========  ==============================================

Private files: ``_input.py`` (the reader and period arithmetic), ``_calendar.py`` (local
periods in a time zone), ``_cohorts.py`` (cohort rows and their active periods, vectorised),
``_breakdown.py`` (``by=``). Figures for these live in :mod:`retainkit.plotting`.
"""

from retainkit.retention._curve import retention_curve, wilson_interval
from retainkit.retention._tables import bracket_retention, retention_table
from retainkit.retention._usage import (
    Stickiness,
    active_users,
    churn_rate,
    lifecycle,
    stickiness,
)

__all__ = [
    "retention_table",
    "bracket_retention",
    "retention_curve",
    "wilson_interval",
    "active_users",
    "stickiness",
    "Stickiness",
    "lifecycle",
    "churn_rate",
]
