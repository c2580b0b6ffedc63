"""A/B comparison of a retention rate with the right denominator, and the SRM check.

Part of ``retainkit.experiments`` (introduced in notebook 08); import from there.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from retainkit.events import validate_events
from retainkit.experiments._inputs import ARMS, MAX_SHOWN, check_probability

DIFFERENCE_METHODS = ("newcombe", "wald")
RETENTION_MODES = ("day", "within")
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class ProportionsComparison:
    """Result of :func:`compare_proportions`: rates per arm, difference, lift, z-test."""

    control_successes: int
    control_n: int
    control_rate: float
    treatment_successes: int
    treatment_n: int
    treatment_rate: float
    difference: float
    difference_ci: tuple[float, float]
    difference_method: str
    relative_lift: float
    relative_lift_ci: tuple[float, float]
    statistic: float
    p_value: float
    conf_level: float


def _wilson(successes: float, n: float, z: float) -> tuple[float, float]:
    centre = (successes + z**2 / 2) / (n + z**2)
    half = z / (n + z**2) * np.sqrt(successes * (n - successes) / n + z**2 / 4)
    return centre - half, centre + half


def _check_counts(successes, n, arm: str) -> tuple[int, int]:
    name_x, name_n = f"{arm}_successes", f"{arm}_n"
    for name, value in ((name_x, successes), (name_n, n)):
        if isinstance(value, bool) or not float(value).is_integer() or value < 0:
            raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")
    if n == 0:
        raise ValueError(f"{name_n} is 0: the {arm} arm has no users to compare")
    if successes > n:
        raise ValueError(f"{name_x} ({successes}) exceeds {name_n} ({n})")
    return int(successes), int(n)


def compare_proportions(
    control_successes: int,
    control_n: int,
    treatment_successes: int,
    treatment_n: int,
    *,
    conf_level: float = 0.95,
    difference_method: str = "newcombe",
) -> ProportionsComparison:
    """Compare a binary rate (say day-7 retention) between the control and treatment arms.

    Introduced in notebook 08. Effects are **treatment minus control**. With rates
    ``p_t = x_t / n_t`` and ``p_c = x_c / n_c``:

    * ``difference = p_t - p_c``, with either Newcombe's hybrid score interval
      (``difference_method="newcombe"``, the default: Wilson intervals per arm combined,
      Newcombe 1998 method 10; good coverage even for small arms or rates near 0 or 1) or
      the Wald interval ``d +- z sqrt(p_t(1-p_t)/n_t + p_c(1-p_c)/n_c)``
      (``"wald"``), no continuity correction;
    * ``relative_lift = p_t / p_c - 1``, with the delta-method interval on the log scale,
      ``exp(log(p_t/p_c) +- z sqrt(1/x_t - 1/n_t + 1/x_c - 1/n_c)) - 1``, which stays above
      -100 %; NaN (with a warning) when an arm has no successes;
    * ``statistic`` and ``p_value``: the two-sided two-proportion z-test with the pooled
      rate under H0 (NaN, with a warning, when the pooled rate is 0 or 1).

    These equal statsmodels' ``confint_proportions_2indep`` (``method="newcomb"`` or
    ``"wald"``, ``compare="diff"``; ``method="log"``, ``compare="ratio"``, minus 1) and
    ``proportions_ztest`` (checked in the tests to 1e-9).

    Parameters
    ----------
    control_successes, control_n, treatment_successes, treatment_n : int
        Users with the outcome and users counted (the eligible denominator) per arm.
    conf_level : float, default 0.95
    difference_method : {"newcombe", "wald"}, default "newcombe"

    Returns
    -------
    ProportionsComparison

    Examples
    --------
    >>> r = compare_proportions(200, 1000, 240, 1000)
    >>> round(r.difference, 3), [round(b, 3) for b in r.difference_ci]
    (0.04, [0.004, 0.076])
    >>> round(r.relative_lift, 3), round(r.p_value, 4)
    (0.2, 0.0308)
    """
    conf_level = check_probability(conf_level, name="conf_level")
    if difference_method not in DIFFERENCE_METHODS:
        raise ValueError(
            f"difference_method must be one of {DIFFERENCE_METHODS}, got {difference_method!r}"
        )
    x_c, n_c = _check_counts(control_successes, control_n, "control")
    x_t, n_t = _check_counts(treatment_successes, treatment_n, "treatment")
    p_c, p_t = x_c / n_c, x_t / n_t
    z = stats.norm.ppf(0.5 + conf_level / 2)
    difference = p_t - p_c
    if difference_method == "wald":
        half = z * np.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
        difference_ci = (difference - half, difference + half)
    else:
        low_t, high_t = _wilson(x_t, n_t, z)
        low_c, high_c = _wilson(x_c, n_c, z)
        difference_ci = (
            difference - np.sqrt((p_t - low_t) ** 2 + (high_c - p_c) ** 2),
            difference + np.sqrt((high_t - p_t) ** 2 + (p_c - low_c) ** 2),
        )

    if x_c == 0 or x_t == 0:
        warnings.warn(
            "relative_lift's interval is undefined when an arm has no successes "
            f"(control {x_c}, treatment {x_t}); it is reported as NaN",
            stacklevel=2,
        )
        lift = p_t / p_c - 1 if x_c else float("nan")
        lift_ci = (float("nan"), float("nan"))
    else:
        lift = p_t / p_c - 1
        se_log = np.sqrt(1 / x_t - 1 / n_t + 1 / x_c - 1 / n_c)
        lift_ci = tuple(float(np.exp(np.log(p_t / p_c) + s * z * se_log) - 1) for s in (-1, 1))

    pooled = (x_c + x_t) / (n_c + n_t)
    se_pooled = np.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    if se_pooled == 0:
        warnings.warn(
            f"the pooled rate is {pooled:g}: every user has the same outcome, so the z-test "
            "is undefined (statistic and p_value are NaN)",
            stacklevel=2,
        )
        statistic = p_value = float("nan")
    else:
        statistic = difference / se_pooled
        p_value = 2 * stats.norm.sf(abs(statistic))
    return ProportionsComparison(
        control_successes=x_c,
        control_n=n_c,
        control_rate=p_c,
        treatment_successes=x_t,
        treatment_n=n_t,
        treatment_rate=p_t,
        difference=float(difference),
        difference_ci=(float(difference_ci[0]), float(difference_ci[1])),
        difference_method=difference_method,
        relative_lift=float(lift),
        relative_lift_ci=lift_ci,
        statistic=float(statistic),
        p_value=float(p_value),
        conf_level=conf_level,
    )


@dataclass(frozen=True)
class RetentionAB:
    """Result of :func:`retention_ab`.

    ``arms`` has one row per arm (``assigned``, ``not_yet_eligible``, ``eligible``,
    ``retained``, ``rate``); ``users`` one row per assigned user (``arm``, ``start``,
    ``eligible``, ``retained``; ``retained`` is NaN for users not yet eligible);
    ``comparison`` holds the difference, lift and test on the eligible users.
    """

    day: int
    mode: str
    as_of: pd.Timestamp
    n_not_yet_eligible: int
    arms: pd.DataFrame
    users: pd.DataFrame
    comparison: ProportionsComparison

    @property
    def difference(self) -> float:
        return self.comparison.difference

    @property
    def difference_ci(self) -> tuple[float, float]:
        return self.comparison.difference_ci

    @property
    def relative_lift(self) -> float:
        return self.comparison.relative_lift

    @property
    def p_value(self) -> float:
        return self.comparison.p_value


def _as_utc(values, name: str):
    """Timestamps (scalar or Series) in UTC; naive input is taken as UTC, with a warning."""
    if isinstance(values, pd.Series):
        converted = pd.to_datetime(values, errors="coerce")
        bad = converted.isna().to_numpy()
        if bad.any():
            shown = list(values.index[bad][:MAX_SHOWN])
            raise ValueError(
                f"{name} has {int(bad.sum())} missing or unparseable time(s), for user(s) {shown}"
            )
        tz = converted.dt.tz
    else:
        try:
            converted = pd.Timestamp(values)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name} must be a timestamp, got {values!r}") from error
        if pd.isna(converted):
            raise ValueError(f"{name} must be a timestamp, got {values!r}")
        tz = converted.tz
    accessor = converted.dt if isinstance(converted, pd.Series) else converted
    if tz is None:
        warnings.warn(f"{name} is tz-naive; it is taken to be UTC", stacklevel=3)
        return accessor.tz_localize("UTC")
    return accessor.tz_convert("UTC")


def _check_assignment(assignment) -> pd.Series:
    if not isinstance(assignment, pd.Series):
        raise ValueError(
            "assignment must be a pandas Series indexed by user_id holding 'control' or "
            f"'treatment' (as Experiment.assignment), got {type(assignment).__name__}"
        )
    problems = []
    duplicated = assignment.index.duplicated()
    if duplicated.any():
        problems.append(
            f"{int(duplicated.sum())} duplicated user id(s) in its index, e.g. "
            f"{list(assignment.index[duplicated][:MAX_SHOWN])}"
        )
    bad = ~assignment.astype(str).isin(ARMS).to_numpy() | assignment.isna().to_numpy()
    if bad.any():
        problems.append(
            f"{int(bad.sum())} value(s) other than 'control'/'treatment', e.g. user(s) "
            f"{list(assignment.index[bad][:MAX_SHOWN])} with {list(assignment[bad][:MAX_SHOWN])}"
        )
    if problems:
        raise ValueError("assignment has " + "; ".join(problems))
    return assignment.astype(str)


def retention_ab(
    events: pd.DataFrame,
    assignment: pd.Series,
    *,
    start_times,
    day: int,
    as_of,
    mode: str = "day",
    event: str | list[str] | None = None,
    conf_level: float = 0.95,
    difference_method: str = "newcombe",
) -> RetentionAB:
    """A/B test of day-N retention, counting only users whose day N has fully elapsed.

    Introduced in notebook 08. Day ``k`` of a user is the 24-hour window
    ``[start + k days, start + (k + 1) days)`` after their own start time. A user is
    **retained** when they have a qualifying event on day ``day`` (``mode="day"``, classic
    N-day retention) or on any of days 1..``day`` (``mode="within"``). A user is
    **eligible** only when that whole window has elapsed, ``start + (day + 1) days <=
    as_of``; the others are not yet eligible and are left out of both numerator and
    denominator and counted in ``n_not_yet_eligible`` and in ``arms``. Counting them as
    not retained (the GrowthBook #4353 pitfall) biases the rate down, and more so in the
    arm that enrolled later. Assigned users without any event count as not retained;
    events of users who are not in ``assignment`` are not part of the experiment and are
    ignored. The comparison is :func:`compare_proportions` (treatment minus control).

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical event log (read through :func:`retainkit.events.validate_events`).
    assignment : pandas.Series
        Arm (``"control"`` or ``"treatment"``) by ``user_id``, as ``Experiment.assignment``.
    start_times : pandas.Series or timestamp
        Each user's start (sign-up, or first exposure) by ``user_id``, or one timestamp for
        all (the experiment start). Tz-naive times are taken as UTC, with a warning.
    day : int
        N, the day whose retention is measured (>= 0; ``mode="within"`` needs >= 1).
    as_of : timestamp
        When the data end; windows ending after it are not complete.
    mode : {"day", "within"}, default "day"
    event : str or list of str, optional
        Event names that count as activity; default every event. A name absent from the log
        raises ``ValueError``.
    conf_level, difference_method
        Passed to :func:`compare_proportions`.

    Returns
    -------
    RetentionAB

    Examples
    --------
    >>> t0 = pd.Timestamp("2024-01-01", tz="UTC")
    >>> events = pd.DataFrame({"user_id": [1, 2, 3, 4], "event": "visit",
    ...     "timestamp": t0 + pd.to_timedelta([1.5, 9.0, 1.2, 0.5], unit="D")})
    >>> assignment = pd.Series(["control", "control", "treatment", "treatment", "treatment"],
    ...                        index=[1, 2, 3, 4, 5])
    >>> starts = pd.Series([t0, t0, t0, t0, t0 + pd.Timedelta(days=5)], index=[1, 2, 3, 4, 5])
    >>> r = retention_ab(events, assignment, start_times=starts, day=1, as_of=t0 + 6 * DAY)
    >>> r.arms[["eligible", "retained", "rate"]]  # doctest: +NORMALIZE_WHITESPACE
               eligible  retained  rate
    arm
    control           2         1   0.5
    treatment         2         1   0.5
    >>> r.n_not_yet_eligible
    1
    """
    if mode not in RETENTION_MODES:
        raise ValueError(f"mode must be one of {RETENTION_MODES}, got {mode!r}")
    minimum_day = 1 if mode == "within" else 0
    if isinstance(day, bool) or not float(day).is_integer() or day < minimum_day:
        raise ValueError(
            f"day must be a whole number >= {minimum_day} for mode={mode!r}, got {day!r}"
        )
    day = int(day)
    arms_by_user = _check_assignment(assignment)
    log = validate_events(events)
    as_of = _as_utc(as_of, "as_of")
    if isinstance(start_times, pd.Series):
        missing = ~arms_by_user.index.isin(start_times.index)
        if missing.any():
            raise ValueError(
                f"start_times has no time for {int(missing.sum())} assigned user(s), e.g. "
                f"{list(arms_by_user.index[missing][:MAX_SHOWN])}"
            )
        if start_times.index.duplicated().any():
            raise ValueError("start_times has duplicated user ids in its index")
        starts = _as_utc(start_times.loc[arms_by_user.index], "start_times")
    else:
        starts = pd.Series(_as_utc(start_times, "start_times"), index=arms_by_user.index)
    if event is not None:
        wanted = [event] if isinstance(event, str) else list(event)
        absent = sorted(set(wanted) - set(log["event"].unique()))
        if absent:
            raise ValueError(
                f"event {absent} not found in the log; its events are "
                f"{sorted(log['event'].unique())[:10]}"
            )
        log = log[log["event"].isin(wanted)]

    first, last = (day, day + 1) if mode == "day" else (1, day + 1)
    eligible = (starts + last * DAY <= as_of).to_numpy()
    in_experiment = log[log["user_id"].isin(arms_by_user.index)]
    if len(in_experiment) == 0:
        raise ValueError(
            "no assigned user has an event in the log: do the ids match? assignment ids "
            f"look like {list(arms_by_user.index[:3])}, event log ids like "
            f"{list(log['user_id'].unique()[:3])}"
        )
    # pandas arithmetic on tz-aware columns; .to_numpy() would make Timestamp objects
    elapsed = (in_experiment["timestamp"] - in_experiment["user_id"].map(starts)) / DAY
    hit = ((elapsed >= first) & (elapsed < last)).to_numpy()
    retained_users = pd.Index(in_experiment["user_id"].to_numpy()[hit]).unique()
    retained = arms_by_user.index.isin(retained_users)

    users = pd.DataFrame(
        {
            "arm": arms_by_user.to_numpy(),
            "start": starts.array,
            "eligible": eligible,
            "retained": np.where(eligible, retained.astype(float), np.nan),
        },
        index=arms_by_user.index,
    )
    counts = users.groupby("arm").agg(
        assigned=("eligible", "size"), eligible=("eligible", "sum"), retained=("retained", "sum")
    )
    counts = counts.reindex(list(ARMS), fill_value=0).astype("int64")
    counts.insert(1, "not_yet_eligible", counts["assigned"] - counts["eligible"])
    for arm in ARMS:
        if counts.loc[arm, "eligible"] == 0:
            waiting = users.loc[users["arm"] == arm, "start"]
            hint = (
                f"; the first will be eligible at {waiting.min() + last * DAY}"
                if len(waiting)
                else " (the arm has no users)"
            )
            raise ValueError(
                f"no {arm} user has completed day {day} by as_of={as_of}{hint}"
            )
    counts["rate"] = counts["retained"] / counts["eligible"]
    counts.index.name = "arm"
    comparison = compare_proportions(
        counts.loc["control", "retained"],
        counts.loc["control", "eligible"],
        counts.loc["treatment", "retained"],
        counts.loc["treatment", "eligible"],
        conf_level=conf_level,
        difference_method=difference_method,
    )
    return RetentionAB(
        day=day,
        mode=mode,
        as_of=as_of,
        n_not_yet_eligible=int(counts["not_yet_eligible"].sum()),
        arms=counts,
        users=users,
        comparison=comparison,
    )
