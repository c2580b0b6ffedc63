"""Several churn models on the same users, with a paired bootstrap for ROC AUC.

Introduced in notebooks 05 and 06; conventions in :mod:`retainkit.evaluation`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from retainkit._validation import (
    binary_labels,
    check_choice,
    check_conf_level,
    check_int,
    labels_and_probabilities,
    score_mapping,
)
from retainkit.evaluation._classification import _roc_auc, classification_summary

_BOOTSTRAP_CELLS = 2_000_000  # replicates x rows drawn at once, to bound memory


def compare_models(
    y_true,
    scores: Mapping[str, object],
    *,
    reference: str | None = None,
    threshold: float = 0.5,
    n_boot: int = 1000,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Metrics of several models on the same users, with bootstrap intervals for ROC AUC.

    Introduced in notebook 05 (explained in 06). Each row holds :func:`classification_summary` of one model,
    a percentile bootstrap interval for its ROC AUC (``roc_auc_lower``, ``roc_auc_upper``)
    and for its AUC difference from the ``reference`` model (``auc_diff`` = model - reference,
    ``auc_diff_lower``, ``auc_diff_upper``). The bootstrap is *paired*: every replicate
    resamples users with replacement once and scores all models on the same rows, so the
    interval of the difference accounts for the models being evaluated on the same users
    (an interval excluding 0 is evidence of a real difference). Replicates that happen to
    contain a single class are skipped and counted in a warning. Cost: a few seconds for
    10^4 users, three models and 1000 replicates on two CPU cores.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed label, 1 = churned; both classes present.
    scores : mapping of str to array-like
        ``{model name: predicted churn probabilities}``, all aligned with ``y_true``.
    reference : str, optional
        Model the differences are taken against; default the first one in ``scores``.
    threshold : float, default 0.5
        Decision threshold for the threshold metrics.
    n_boot : int, default 1000
        Bootstrap replicates (0 skips the intervals).
    conf_level : float, default 0.95
    seed : int, default 0
        Seed of the bootstrap's random generator.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``model``, in the order of ``scores``.

    Examples
    --------
    >>> y = [0, 0, 1, 1, 0, 1]
    >>> scores = {"model A": [0.1, 0.4, 0.35, 0.8, 0.2, 0.9],
    ...           "model B": [0.3, 0.1, 0.2, 0.9, 0.5, 0.6]}
    >>> table = compare_models(y, scores, n_boot=0)  # no bootstrap: intervals are NaN
    >>> table[["roc_auc", "pr_auc", "auc_diff"]].round(3).to_numpy().tolist()
    [[0.889, 0.917, 0.0], [0.778, 0.867, -0.111]]
    """
    score_dict = score_mapping(scores)
    reference = next(iter(score_dict)) if reference is None else reference
    check_choice("reference", reference, score_dict)
    n_boot = check_int("n_boot", n_boot, 0)
    conf_level = check_conf_level(conf_level)
    rows, probs = {}, {}
    for name, p in score_dict.items():
        probs[name] = labels_and_probabilities(y_true, p, p_name=f"scores[{name!r}]")[1]
        rows[name] = classification_summary(y_true, p, threshold=threshold)
    y = binary_labels(y_true)
    table = pd.DataFrame(rows).T.rename_axis("model")
    table["n"] = table["n"].astype(int)
    table["auc_diff"] = table["roc_auc"] - table.at[reference, "roc_auc"]
    boot = _bootstrap_aucs(y, probs, n_boot, np.random.default_rng(seed))
    quantiles = [(1 - conf_level) / 2, (1 + conf_level) / 2]
    for column in ("roc_auc_lower", "roc_auc_upper", "auc_diff_lower", "auc_diff_upper"):
        table[column] = np.nan
    if len(boot):
        for name in score_dict:
            table.loc[name, ["roc_auc_lower", "roc_auc_upper"]] = np.quantile(boot[name], quantiles)
            if name != reference:
                diffs = boot[name] - boot[reference]
                table.loc[name, ["auc_diff_lower", "auc_diff_upper"]] = np.quantile(
                    diffs, quantiles
                )
    return table


def _bootstrap_aucs(y, probs: dict[str, np.ndarray], n_boot: int, rng) -> pd.DataFrame:
    """ROC AUC of every model on the same bootstrap resamples (one column per model)."""
    n = len(y)
    batch = max(1, _BOOTSTRAP_CELLS // n)
    results = {name: [np.empty(0)] for name in probs}
    skipped = 0
    for start in range(0, n_boot, batch):
        size = min(batch, n_boot - start)
        rows = rng.integers(0, n, size=(size, n))  # resampled row numbers, one line each
        replicate = np.repeat(np.arange(size), n)
        counts = np.bincount(replicate * n + rows.ravel(), minlength=size * n).reshape(size, n)
        churners = counts @ y
        both_classes = (churners > 0) & (churners < n)
        skipped += int((~both_classes).sum())
        for name, p in probs.items():
            results[name].append(_roc_auc(y, p, counts[both_classes]))
    if skipped:
        warnings.warn(
            f"compare_models: {skipped} of {n_boot} bootstrap replicates had a single class "
            f"and were skipped",
            stacklevel=3,
        )
    return pd.DataFrame({name: np.concatenate(parts) for name, parts in results.items()})


# --- the fair comparison protocol (issue 15): splits, paired intervals, multi-run tables ------


def stratified_split(y, *, share: float = 0.2, groups=None, seed: int = 0,
                     stratify: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled, stratified hold-out rows: ``(fit_rows, validation_rows)``, row numbers.

    Introduced in notebook 05, where it replaces Keras' ``validation_split`` (which takes the
    last rows, and snapshot rows are in sign-up order). Each class of ``y`` is shuffled with
    ``numpy.random.default_rng(seed)`` and ``round(share * n_class)`` of it is held out, so both
    sides keep the base rate. With ``groups`` (one label per row, e.g. the user id of stacked
    snapshots) whole groups are held out, never part of one: a group counts as positive when
    any of its rows is, and the shares hold for groups rather than rows. ``stratify=False``
    shuffles without looking at ``y`` (for targets that are not 0/1). Both arrays are sorted.

    Examples
    --------
    >>> fit, val = stratified_split([0, 0, 0, 0, 1, 1, 1, 1, 0, 1], share=0.2)
    >>> len(val), sorted(np.asarray([0, 0, 0, 0, 1, 1, 1, 1, 0, 1])[val].tolist())
    (2, [0, 1])
    """
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
        raise ValueError(f"share must be strictly between 0 and 1, got {share!r}")
    labels = np.asarray(y, dtype=float).ravel()
    n = len(labels)
    if n < 2:
        raise ValueError(f"y needs at least 2 rows to split, got {n}")
    if stratify and not np.isin(labels, [0, 1]).all():
        raise ValueError("y must be 0/1 to stratify; pass stratify=False for other targets")
    if groups is None:
        unit = np.arange(n)
    else:
        groups = np.asarray(groups)
        if len(groups) != n:
            raise ValueError(f"groups has {len(groups)} labels for {n} rows of y")
        unit = pd.factorize(groups, sort=True)[0]
    n_units = unit.max() + 1
    unit_label = np.zeros(n_units) if not stratify else \
        np.bincount(unit, weights=labels, minlength=n_units) > 0
    rng = np.random.default_rng(seed)
    held = []
    for value in np.unique(unit_label):
        members = np.flatnonzero(unit_label == value)
        held.append(rng.permutation(members)[: int(round(share * len(members)))])
    held = np.concatenate(held)
    if len(held) == 0 or len(held) == n_units:
        raise ValueError(f"share={share} of {n_units} {'groups' if groups is not None else 'rows'}"
                         " leaves one side empty")
    is_val = np.isin(unit, held)
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def paired_interval(a, b, *, groups=None, conf_level: float = 0.95) -> pd.Series:
    """Mean of the paired differences ``a - b`` with a Student-t interval.

    Introduced in notebook 05. ``a`` and ``b`` are one metric of two models on the same runs
    (same simulation, seed and test users, in the same order). Without ``groups`` the runs are
    taken as independent: the paired t interval ``mean ± t(n-1) · sd / √n`` (as
    ``scipy.stats.ttest_rel``). With ``groups`` (e.g. the simulation of each run) the
    differences are first averaged within each group and the interval is taken over the group
    means, with ``n_groups - 1`` degrees of freedom: seeds of one simulation share its users,
    so they are not independent replicates, and pretending they were would make the interval
    too narrow. Returns ``diff`` (mean difference), ``lower``, ``upper``, ``sd`` (of the
    differences that enter the interval), ``n`` (how many), and ``share_positive`` (share of
    runs with ``a > b``).

    Examples
    --------
    >>> paired_interval([0.80, 0.82, 0.81], [0.79, 0.80, 0.80]).round(4).to_dict()
    {'diff': 0.0133, 'lower': -0.001, 'upper': 0.0277, 'sd': 0.0058, 'n': 3.0, 'share_positive': 1.0}
    """
    from scipy import stats

    conf_level = check_conf_level(conf_level)
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if len(a) != len(b):
        raise ValueError(f"a and b must be paired runs of the same length, got {len(a)} and "
                         f"{len(b)}")
    diff = a - b
    if not np.isfinite(diff).all():
        raise ValueError(f"a - b has missing values in runs {np.flatnonzero(~np.isfinite(diff))}")
    share_positive = float(np.mean(diff > 0)) if len(diff) else np.nan
    if groups is not None:
        groups = np.asarray(groups)
        if len(groups) != len(diff):
            raise ValueError(f"groups has {len(groups)} labels for {len(diff)} runs")
        diff = pd.Series(diff).groupby(groups, sort=True).mean().to_numpy()
    if len(diff) < 2:
        raise ValueError(f"a paired interval needs at least 2 {'groups' if groups is not None else 'runs'}"
                         f", got {len(diff)}")
    mean, sd = diff.mean(), diff.std(ddof=1)
    half = stats.t.ppf((1 + conf_level) / 2, len(diff) - 1) * sd / np.sqrt(len(diff))
    return pd.Series({"diff": mean, "lower": mean - half, "upper": mean + half, "sd": sd,
                      "n": float(len(diff)), "share_positive": share_positive})


def summarize_runs(
    runs: pd.DataFrame,
    *,
    metrics=("roc_auc",),
    reference: str | None = None,
    model_col: str = "model",
    pair_on=("simulation", "seed"),
    cluster: str | None = "simulation",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Mean ± sd of each model's metrics over runs, and its paired difference from a reference.

    Introduced in notebook 05: the table of the fair comparison protocol. ``runs`` has one row
    per model and run, with ``model_col``, the ``pair_on`` columns that identify a run (every
    model must have every run once; a model without seeds, like the oracle, repeats its value
    for each seed) and the ``metrics`` columns. For every model and metric the result holds
    ``<metric>_mean``, ``<metric>_sd`` (over all runs: seeds and simulations), and, against
    ``reference`` (default: the model with the highest mean of the first metric), the
    :func:`paired_interval` of the difference ``<metric>_diff``, ``_diff_lower``,
    ``_diff_upper``, computed over ``cluster`` means (the simulations) when ``cluster`` is
    given (NaN, with a warning, when there are fewer than two clusters), and
    ``<metric>_wins``, the share of runs where the model beats the reference.
    Rows are sorted by the first metric's mean, best first; ``n_runs`` counts the runs. A
    metric that is missing for a model (a Brier score for a score that is not a probability)
    gets NaN differences.
    """
    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics, pair_on = list(metrics), list(pair_on)
    needed = [model_col, *pair_on, *metrics]
    absent = [c for c in needed if c not in runs.columns]
    if absent:
        raise ValueError(f"runs has no column(s) {absent}; available: {list(runs.columns)}")
    if cluster is not None and cluster not in pair_on:
        raise ValueError(f"cluster={cluster!r} must be one of pair_on {pair_on}")
    twice = runs.duplicated([model_col, *pair_on], keep=False)
    if twice.any():
        raise ValueError(f"runs has {int(twice.sum())} rows that repeat a (model, run): rows "
                         f"{list(runs.index[twice][:10])}")
    wide = {m: runs.pivot(index=pair_on, columns=model_col, values=m) for m in metrics}
    missing = wide[metrics[0]].isna().any()
    if missing.any():
        raise ValueError(f"models {list(missing.index[missing])} lack some runs; every model "
                         "needs every run to be paired")
    means = wide[metrics[0]].mean()
    reference = means.idxmax() if reference is None else reference
    check_choice("reference", reference, list(means.index))
    groups = wide[metrics[0]].index.get_level_values(cluster) if cluster is not None else None
    too_few = (len(np.unique(groups)) if groups is not None else len(wide[metrics[0]])) < 2
    if too_few:
        warnings.warn("summarize_runs: fewer than 2 clusters (or runs), so no paired "
                      "intervals: the *_diff_lower/upper columns are NaN", stacklevel=2)
    table = pd.DataFrame(index=pd.Index(means.index, name=model_col))
    table["n_runs"] = len(wide[metrics[0]])
    for m in metrics:
        table[f"{m}_mean"] = wide[m].mean()
        table[f"{m}_sd"] = wide[m].std(ddof=1)
        for name in table.index:
            if wide[m][name].isna().any() or wide[m][reference].isna().any():
                diff = pd.Series({"diff": np.nan, "lower": np.nan, "upper": np.nan,
                                  "share_positive": np.nan})  # metric undefined for a model
            elif name == reference or too_few:
                paired = wide[m][name] - wide[m][reference]
                diff = pd.Series({"diff": paired.mean(), "lower": np.nan, "upper": np.nan,
                                  "share_positive": np.nan if name == reference
                                  else float(np.mean(paired > 0))})
            else:
                diff = paired_interval(wide[m][name], wide[m][reference], groups=groups,
                                       conf_level=conf_level)
            table.loc[name, [f"{m}_diff", f"{m}_diff_lower", f"{m}_diff_upper", f"{m}_wins"]] = \
                diff[["diff", "lower", "upper", "share_positive"]].to_numpy(float)
    table.attrs["reference"] = reference
    return table.sort_values(f"{metrics[0]}_mean", ascending=False)


class BacktestFold(NamedTuple):
    """One fold of :func:`rolling_origin`: stacked training snapshots, their groups, the test."""

    train: Any
    groups: np.ndarray
    test: Any


def rolling_origin(events, users=None, *, cutoffs, horizon="28D", min_train: int = 1,
                   **snapshot_kwargs) -> list[BacktestFold]:
    """Rolling-origin backtest folds: train on cutoffs c1..cj, test on c(j+1).

    Introduced in notebook 05. For ``cutoffs`` c1 < c2 < ... < ck, fold j (for j = ``min_train``
    .. k-1) stacks the ``make_snapshot`` tables at c1..cj into one training ``Snapshot`` and
    tests on the snapshot at c(j+1) (``min_train=1``: the first fold trains on c1 alone). Consecutive cutoffs must be at least ``horizon`` apart
    (checked as in ``temporal_split``), so every training feature and label is computed from
    events at or before the test cutoff. A user appears once per training cutoff: the fold's
    ``groups`` holds the user id of each training row, to pass to ``stratified_split`` (or
    ``fit_model(..., groups=...)``) so that one user's snapshots never sit on both sides of a
    validation split. The training ``X`` keeps ``user_id`` as its (repeated) index;
    ``train.info`` holds ``cutoffs`` (the training cutoffs), ``row_cutoff`` (per row),
    ``population`` and ``base_rate``. Event types are those of the log at or before each
    fold's test cutoff. Other keyword arguments go to ``make_snapshot``.
    """
    from retainkit._validation import positive_duration, to_utc
    from retainkit.features import Snapshot, make_snapshot

    tz = snapshot_kwargs.get("tz")
    cutoffs = [to_utc(c, "cutoffs", tz=tz) for c in cutoffs]
    horizon_td = positive_duration(horizon, "horizon")
    min_train = check_int("min_train", min_train, 1)
    if len(cutoffs) < min_train + 1:
        raise ValueError(f"cutoffs needs at least min_train + 1 = {min_train + 1} cutoffs, got "
                         f"{len(cutoffs)}")
    for earlier, later in zip(cutoffs[:-1], cutoffs[1:], strict=True):
        if earlier + horizon_td > later:
            raise ValueError(f"cutoffs {earlier} and {later} are less than horizon={horizon} "
                             "apart: a training label would look at events the next test "
                             "snapshot uses; space the cutoffs at least one horizon apart")
    folds = []
    for j in range(min_train, len(cutoffs)):
        test = make_snapshot(events, users, cutoff=cutoffs[j], horizon=horizon,
                             **snapshot_kwargs)
        kwargs = dict(snapshot_kwargs, event_types=test.info["event_types"])
        past = [make_snapshot(events, users, cutoff=c, horizon=horizon, **kwargs)
                for c in cutoffs[:j]]
        X = pd.concat([s.X for s in past])
        y = pd.concat([s.y for s in past])
        row_cutoff = np.concatenate([np.repeat(s.info["cutoff"], len(s.X)) for s in past])
        info = {"cutoffs": cutoffs[:j], "row_cutoff": row_cutoff, "population": len(X),
                "base_rate": float(y.mean()) if len(y) else np.nan, "horizon": horizon_td}
        folds.append(BacktestFold(Snapshot(X, y, info), X.index.to_numpy(), test))
    return folds
