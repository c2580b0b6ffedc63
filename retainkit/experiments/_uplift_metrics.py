"""Uplift metrics from an experiment: uplift and Qini curves, their areas, uplift@k.

Part of ``retainkit.experiments`` (introduced in notebook 08); import from there. The
definitions are scikit-uplift's (0.5.1), so the numbers agree with ``sklift.metrics``.
"""

from __future__ import annotations

import numpy as np

from retainkit.experiments._inputs import as_binary, as_float_array, as_treatment

STRATEGIES = ("overall", "by_group")


def _inputs(y_true, uplift, treatment, *, binary: bool):
    y = as_binary(y_true, name="y_true") if binary else as_float_array(y_true, name="y_true")
    score = as_float_array(uplift, name="uplift")
    if len(score) != len(y):
        raise ValueError(f"uplift has length {len(score)} but y_true has length {len(y)}")
    arm = as_treatment(treatment, name="treatment", n=len(y))
    return y.astype(float), score, arm


def _cumulative_by_threshold(y, score, arm):
    """Running totals down the ranking, at the last row of each distinct score."""
    order = np.argsort(score, kind="mergesort")[::-1]  # best first; scikit-uplift's order
    y, score, arm = y[order], score[order], arm[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    n_all = last_of_tie + 1
    n_treated = np.cumsum(arm)[last_of_tie]
    y_treated = np.cumsum(y * arm)[last_of_tie]
    y_control = np.cumsum(y * (1 - arm))[last_of_tie]
    return n_all, n_treated, n_all - n_treated, y_treated, y_control


def _from_origin(x: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.r_[0, x], np.r_[0.0, values]


def _area(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


def uplift_curve(y_true, uplift, treatment) -> tuple[np.ndarray, np.ndarray]:
    """Uplift curve: the estimated extra outcomes if the top ``n`` users were treated.

    Introduced in notebook 08. Users are ranked by predicted ``uplift`` (best first; tied
    scores enter together). At each cut ``n``, with ``n_t``, ``n_c`` treated and control
    users above it and ``y_t``, ``y_c`` their outcomes, the curve is
    ``(y_t / n_t - y_c / n_c) * n`` (a rate difference scaled to the ``n`` users; a missing
    arm counts as rate 0). It starts at (0, 0). Equal to ``sklift.metrics.uplift_curve``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Users targeted ``n`` and the curve's value there.

    Examples
    --------
    >>> x, y = uplift_curve([1, 0, 1, 0], [0.9, 0.8, 0.4, 0.1], [1, 0, 0, 1])
    >>> x.tolist(), y.round(3).tolist()
    ([0, 1, 2, 3, 4], [0.0, 1.0, 2.0, 1.5, 0.0])
    """
    y, score, arm = _inputs(y_true, uplift, treatment, binary=False)
    n_all, n_t, n_c, y_t, y_c = _cumulative_by_threshold(y, score, arm)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_t = np.where(n_t > 0, y_t / np.maximum(n_t, 1), 0.0)
        rate_c = np.where(n_c > 0, y_c / np.maximum(n_c, 1), 0.0)
    return _from_origin(n_all, (rate_t - rate_c) * n_all)


def qini_curve(y_true, uplift, treatment) -> tuple[np.ndarray, np.ndarray]:
    """Qini curve: extra outcomes among the top ``n`` users, the control scaled to the treated.

    Introduced in notebook 08. Ranking and cuts as in :func:`uplift_curve`; the value is
    ``y_t - y_c * n_t / n_c`` (Radcliffe 2007; 0 for the control term while ``n_c = 0``).
    Starts at (0, 0). Equal to ``sklift.metrics.qini_curve``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Users targeted ``n`` and the curve's value there.

    Examples
    --------
    >>> x, y = qini_curve([1, 0, 1, 0], [0.9, 0.8, 0.4, 0.1], [1, 0, 0, 1])
    >>> x.tolist(), y.round(3).tolist()
    ([0, 1, 2, 3, 4], [0.0, 1.0, 1.0, 0.5, 0.0])
    """
    y, score, arm = _inputs(y_true, uplift, treatment, binary=False)
    n_all, n_t, n_c, y_t, y_c = _cumulative_by_threshold(y, score, arm)
    scale = np.where(n_c > 0, n_t / np.maximum(n_c, 1), 0.0)
    return _from_origin(n_all, y_t - y_c * scale)


def perfect_qini_curve(y_true, treatment, negative_effect: bool = True):
    """The best possible Qini curve for these outcomes (as ``sklift.metrics``).

    Introduced in notebook 08. With ``negative_effect=True`` the ideal ranking puts
    treated responders first and control responders last (score ``y w - y (1 - w)``);
    with ``False`` the curve rises straight to the total uplift and stays there.
    """
    if not isinstance(negative_effect, bool):
        raise ValueError(f"negative_effect must be True or False, got {negative_effect!r}")
    y, _, arm = _inputs(y_true, np.zeros(len(np.asarray(y_true))), treatment, binary=True)
    if negative_effect:
        return qini_curve(y, y * arm - y * (1 - arm), arm)
    total = y[arm == 1].sum() - (arm == 1).sum() * y[arm == 0].sum() / (arm == 0).sum()
    return np.array([0, total, len(y)]), np.array([0, total, total])


def perfect_uplift_curve(y_true, treatment):
    """The best possible uplift curve for these outcomes (as ``sklift.metrics``).

    Introduced in notebook 08.
    """
    y, _, arm = _inputs(y_true, np.zeros(len(np.asarray(y_true))), treatment, binary=True)
    control_responders = np.sum((y == 1) & (arm == 0))
    treated_non_responders = np.sum((y == 0) & (arm == 1))
    summand = y if control_responders > treated_non_responders else arm
    return uplift_curve(y, 2 * (y == arm) + summand, arm)


def _normalised_area(actual, perfect) -> float:
    baseline = _area(np.array([0, perfect[0][-1]]), np.array([0, perfect[1][-1]]))
    best = _area(*perfect) - baseline
    if best == 0:
        raise ValueError("the perfect curve has no area above the random line: score undefined")
    return (_area(*actual) - baseline) / best


def qini_auc_score(y_true, uplift, treatment, negative_effect: bool = True) -> float:
    """Normalised area under the Qini curve (the Qini coefficient), 1 for a perfect ranking.

    Introduced in notebook 08. ``(A - A_random) / (A_perfect - A_random)`` with ``A`` the
    trapezoid area under :func:`qini_curve`, ``A_random`` that of the straight line from
    (0, 0) to the curve's end, and ``A_perfect`` that of :func:`perfect_qini_curve`. 0 is
    no better than random; negative is worse. Needs a 0/1 ``y_true``. Equal to
    ``sklift.metrics.qini_auc_score``.

    Examples
    --------
    >>> round(qini_auc_score([1, 0, 1, 0], [0.9, 0.8, 0.4, 0.1], [1, 0, 0, 1]), 3)
    0.833
    """
    y, score, arm = _inputs(y_true, uplift, treatment, binary=True)
    return _normalised_area(qini_curve(y, score, arm), perfect_qini_curve(y, arm, negative_effect))


def uplift_auc_score(y_true, uplift, treatment) -> float:
    """Normalised area under the uplift curve (AUUC), 1 for a perfect ranking.

    Introduced in notebook 08. As :func:`qini_auc_score`, with :func:`uplift_curve` and
    :func:`perfect_uplift_curve`. Needs a 0/1 ``y_true``. Equal to
    ``sklift.metrics.uplift_auc_score``.

    Examples
    --------
    >>> round(uplift_auc_score([1, 0, 1, 0], [0.9, 0.8, 0.4, 0.1], [1, 0, 0, 1]), 3)
    1.0
    """
    y, score, arm = _inputs(y_true, uplift, treatment, binary=True)
    return _normalised_area(uplift_curve(y, score, arm), perfect_uplift_curve(y, arm))


def uplift_at_k(y_true, uplift, treatment, strategy: str = "overall", k: float | int = 0.3):
    """Observed uplift among the top ``k`` users by predicted uplift.

    Introduced in notebook 08. ``k`` is a share in (0, 1) or a whole number of users.
    ``strategy="overall"``: take the top ``int(k * n)`` users of both arms together and
    return the treated rate minus the control rate among them. ``"by_group"``: take the
    top share ``k`` (or top ``k`` users) of each arm separately. Ranking as scikit-uplift
    (ties at the cut: later rows first), so the value equals ``sklift.metrics.uplift_at_k``.

    Examples
    --------
    >>> round(uplift_at_k([1, 0, 1, 0, 1, 0], [.9, .8, .7, .3, .2, .1], [1, 0, 1, 0, 1, 0],
    ...                   k=0.5), 3)
    1.0
    """
    y, score, arm = _inputs(y_true, uplift, treatment, binary=False)
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    n = len(y)
    is_count = isinstance(k, int | np.integer) and not isinstance(k, bool)
    if is_count and not 0 < k < n or not is_count and not (isinstance(k, float) and 0 < k < 1):
        raise ValueError(f"k must be a share in (0, 1) or a whole number in 1..{n - 1}, got {k!r}")
    order = np.argsort(score, kind="mergesort")[::-1]
    y, arm = y[order], arm[order]
    if strategy == "overall":
        top = int(k) if is_count else int(n * k)
        treated, control = y[:top][arm[:top] == 1], y[:top][arm[:top] == 0]
    else:
        y_t, y_c = y[arm == 1], y[arm == 0]
        top_t = int(k) if is_count else int(len(y_t) * k)
        top_c = int(k) if is_count else int(len(y_c) * k)
        if top_t > len(y_t) or top_c > len(y_c):
            raise ValueError(
                f"k={k} is more users than an arm has ({len(y_t)} treated, {len(y_c)} control)"
            )
        treated, control = y_t[:top_t], y_c[:top_c]
    if len(treated) == 0 or len(control) == 0:
        raise ValueError(
            f"the top k={k} users hold {len(treated)} treated and {len(control)} control "
            "users; both arms are needed for a rate difference (choose a larger k)"
        )
    return float(treated.mean() - control.mean())
