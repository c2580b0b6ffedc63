"""Retention metrics as product analytics defines them, with the edge cases done right.

Introduced in notebook 02.
Every function takes a canonical event log (columns ``user_id``, ``timestamp`` tz-aware
UTC, ``event``; see :func:`retainkit.events.validate_events`) and works on whole arrays
(integer period codes, ``bincount``), never looping over users.

- :func:`retention_table`: cohort x period table, ``on`` or ``on_or_after``, ``first`` or
  ``recurring`` cohorts, ``calendar`` or ``rolling`` periods. Column 0 is 1.0; a cell is
  NaN, never 0, until its period has fully elapsed for the whole cohort.
- :func:`bracket_retention`: retention in brackets of periods (day 1, days 2-7, ...).
- :func:`retention_curve`: the cohort-size-weighted average of the complete cells, with a
  Wilson or bootstrap interval.
- :func:`active_users` (DAU/WAU/MAU), :func:`stickiness` (DAU/MAU and active-days
  histogram), :func:`lifecycle` (new/returning/resurrecting/dormant), :func:`churn_rate`.

Figures for these live in :mod:`retainkit.plotting`.
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
