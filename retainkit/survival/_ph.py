"""Checking proportional hazards: the Schoenfeld-residual test of a Cox model (via lifelines).

Part of ``retainkit.survival`` (introduced in notebook 03). The log(-log S) plot that goes
with it is ``retainkit.plotting.plot_loglog``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.statistics import proportional_hazard_test

from retainkit._validation import Problems, check_choice, check_conf_level
from retainkit.survival._checks import durations_problems, observed_problems

TIME_TRANSFORMS = ("rank", "km", "identity", "log")


def ph_test(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    *,
    covariates=None,
    time_transform: str = "rank",
    conf_level: float = 0.95,
    penalizer: float = 0.0,
) -> pd.DataFrame:
    """Fit a Cox model and test each covariate for proportional hazards (Schoenfeld residuals).

    Introduced in notebook 03. Time is in days; ``event_col`` is 1/True when the churn was
    seen. The Cox model is ``h(t | x) = h0(t) exp(beta' x)``: each covariate multiplies the
    hazard by the **hazard ratio** ``exp(beta)`` at every age, i.e. the effect is constant
    in time (proportional hazards, PH). If the effect drifts, ``beta(t)`` changes with t and
    the scaled Schoenfeld residuals of that covariate trend with ``g(t)``; the
    Grambsch-Therneau test regresses them on ``g(t)`` (``time_transform``: ``"rank"`` of the
    churn times, as lifelines' default; ``"km"``, 1 - Kaplan-Meier, R's default;
    ``"identity"``; ``"log"``) and gives a chi-squared statistic on 1 degree of freedom per
    covariate. The fit is lifelines' ``CoxPHFitter`` (Efron ties) and the test lifelines'
    ``proportional_hazard_test`` (the approximation R's ``cox.zph`` used until 2019).

    **Not rejecting PH does not establish PH.** A large p-value can mean too few churns to
    see a drift; with many users, a tiny and harmless drift is "significant". Read the test
    with the log(-log S) plot (``retainkit.plotting.plot_loglog``: roughly parallel curves
    under PH) and report hazard ratios with their intervals. The test also assumes
    independent censoring, as Kaplan-Meier and the log-rank test do.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per user: durations (days), churn flags and numeric covariates (encode
        categories as 0/1 columns first, e.g. ``pd.get_dummies(df, drop_first=True)``).
    duration_col, event_col : str
        Column names of the durations and churn flags.
    covariates : list of str, optional
        Covariate columns; default every other column of ``df``.
    time_transform : {"rank", "km", "identity", "log"}, default "rank"
    conf_level : float, default 0.95
        Coverage of the hazard-ratio intervals.
    penalizer : float, default 0.0
        Passed to ``CoxPHFitter`` (ridge penalty; 0 is the plain partial likelihood).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``covariate`` with columns ``coef`` (log hazard ratio), ``hazard_ratio``,
        ``hr_ci_lower``, ``hr_ci_upper``, ``ph_statistic`` and ``ph_p_value``; ``attrs``
        hold ``time_transform``, ``conf_level``, ``n_subjects`` and ``n_events``.

    Examples
    --------
    >>> import pandas as pd
    >>> users = pd.DataFrame({
    ...     "days": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    ...     "churned": [1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 0],
    ...     "paid": [1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0]})
    >>> table = ph_test(users, "days", "churned")
    >>> table.round(3)[["hazard_ratio", "ph_statistic", "ph_p_value"]]
               hazard_ratio  ph_statistic  ph_p_value
    covariate
    paid              3.088         0.001       0.972
    """
    conf_level = check_conf_level(conf_level)
    check_choice("time_transform", time_transform, TIME_TRANSFORMS)
    data = _cox_data(df, duration_col, event_col, covariates)
    model = CoxPHFitter(alpha=1 - conf_level, penalizer=penalizer)
    model.fit(data, duration_col=duration_col, event_col=event_col)
    test = proportional_hazard_test(model, data, time_transform=time_transform)
    summary = model.summary
    lower, upper = (c for c in summary.columns if c.startswith("exp(coef) lower")), (
        c for c in summary.columns if c.startswith("exp(coef) upper")
    )
    table = pd.DataFrame(
        {
            "coef": summary["coef"].to_numpy(),
            "hazard_ratio": summary["exp(coef)"].to_numpy(),
            "hr_ci_lower": summary[next(lower)].to_numpy(),
            "hr_ci_upper": summary[next(upper)].to_numpy(),
            "ph_statistic": test.summary.loc[summary.index, "test_statistic"].to_numpy(),
            "ph_p_value": test.summary.loc[summary.index, "p"].to_numpy(),
        },
        index=pd.Index(summary.index.tolist(), name="covariate"),
    )
    table.attrs.update(
        time_transform=time_transform,
        conf_level=conf_level,
        n_subjects=len(data),
        n_events=int(data[event_col].sum()),
    )
    return table


def _cox_data(df, duration_col, event_col, covariates) -> pd.DataFrame:
    """The columns the Cox model needs, checked; every problem reported at once."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    named = {"duration_col": duration_col, "event_col": event_col}
    if covariates is None:
        covariates = [c for c in df.columns if c not in (duration_col, event_col)]
    covariates = list(covariates)
    missing = [f"{c!r} ({arg})" for arg, c in named.items() if c not in df.columns]
    missing += [f"{c!r} (covariates)" for c in covariates if c not in df.columns]
    if missing:
        raise ValueError(f"df has no column(s) {', '.join(missing)}; available columns: "
                         f"{list(df.columns)}")
    if not covariates:
        raise ValueError("ph_test needs at least one covariate column besides duration and event")
    problems = Problems()
    _, more = durations_problems(df[duration_col], name=f"column {duration_col!r}")
    problems.extend(more)
    _, more = observed_problems(df[event_col], len(df), name=f"column {event_col!r}")
    problems.extend(more)
    for column in covariates:
        values = df[column]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            problems.append(
                f"column {column!r} (covariates) is not numeric (dtype {values.dtype}); encode "
                "it as 0/1 columns, e.g. pd.get_dummies(df, columns=[...], drop_first=True)"
            )
        else:
            problems.rows(df, values.isna().to_numpy(), "missing value", column)
    problems.raise_if_any(what="df")
    data = df[[duration_col, event_col, *covariates]].reset_index(drop=True)
    data[event_col] = data[event_col].astype(float).astype(int)
    data[covariates] = data[covariates].astype(float)
    constant = [c for c in covariates if np.ptp(data[c].to_numpy()) == 0]
    if constant:
        raise ValueError(f"covariates {constant} are constant: a Cox model cannot estimate them")
    return data
