"""``Treatment`` and ``TREATMENTS`` (private; the formulas are in ``retainkit.simulate``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from scipy.special import expit

AUDIENCES = ("active", "new_signups")
# Latent traits a treatment's effect may depend on: name in a coefficient map -> population key.
TRAITS = {"interest": "interest", "attention": "attention", "sensitivity": "sensitivity"}
_TERMS = ("intercept", *TRAITS)
_HOUR = 1 / 24


@dataclass(frozen=True)
class Treatment:
    """An intervention of the simulator, with effects that depend on the latent traits.

    Introduced in notebook 08. A user assigned to the treatment is **contacted** at their entry
    time ``e`` (the experiment's ``start``, or the sign-up time for the audience
    ``"new_signups"``). A contacted user who is still alive **takes it up** with probability
    ``p = expit(uptake · x)`` (always, when ``uptake`` is None), where ``x = (1, z_I, z_A, ν)``
    are the intercept and the latent interest, attention budget and notification sensitivity.
    During ``[e, e + duration_days)`` a taker's churn hazard is multiplied by
    ``exp(hazard_log_ratio · x)``, their organic visit rate by ``visit_rate_ratio`` and they
    receive extra pushes at ``extra_push_hours`` (UTC) every day; a contacted user who does not
    take it up has the hazard multiplied by ``exp(refusal_hazard_log_ratio · x)``. Afterwards
    the hazard and the visits are as before. Rates are per day; a hazard *multiplier* (not a
    rate) is what changes. The formulas, and how churn and events under treatment share the
    random numbers of the plain simulation, are in the docstring of ``retainkit.simulate``.

    Parameters
    ----------
    name, description : str
    audience : {"active", "new_signups"}, default "active"
        ``"active"``: users who signed up before ``start`` (by default those with an event in
        the 28 days before it); ``"new_signups"``: users who sign up in ``[start, start +
        enrol_days)``, each treated from sign-up.
    duration_days : float, default 21
        How long the effect lasts after entry, in whole hours (as days).
    window_days : (float, float), default (21, 28)
        The primary outcome is activity (any event) in ``(e + w0, e + w1]``, days after entry,
        whole hours, ``1 <= w0 < w1``.
    enrol_days : float, default 14
        Enrolment period of the audience ``"new_signups"``.
    push_only : bool, default False
        Only users who can receive pushes (push opt-in) are touched; for the others nothing
        changes.
    uptake : mapping or None, default None
        Logit coefficients of P(take up | contacted, alive); keys ``intercept``, ``interest``,
        ``attention``, ``sensitivity`` (missing keys are 0).
    hazard_log_ratio, refusal_hazard_log_ratio : mapping, default {}
        Log hazard ratios (same keys) for takers and for contacted users who do not take up.
    visit_rate_ratio : float, default 1.0
        Multiplier of a taker's organic visit rate, at least 1 (extra visits are added to the
        control world's; lower engagement is expressed through the hazard).
    extra_push_hours : tuple of float, default ()
        UTC hours of the extra daily pushes for takers (opened like any push).
    cost_per_contact, cost_per_redemption : float, default 0.0
        Cost of contacting one user, and of one take-up (a redeemed voucher, say).

    Examples
    --------
    >>> from dataclasses import replace
    >>> offer = TREATMENTS["retention_offer"]
    >>> offer.duration_days, offer.window_days
    (21.0, (21.0, 28.0))
    >>> replace(offer, cost_per_redemption=1.0).cost_per_redemption
    1.0
    """

    name: str
    description: str
    audience: str = "active"
    duration_days: float = 21.0
    window_days: tuple[float, float] = (21.0, 28.0)
    enrol_days: float = 14.0
    push_only: bool = False
    uptake: Mapping[str, float] | None = None
    hazard_log_ratio: Mapping[str, float] = field(default_factory=dict)
    refusal_hazard_log_ratio: Mapping[str, float] = field(default_factory=dict)
    visit_rate_ratio: float = 1.0
    extra_push_hours: tuple[float, ...] = ()
    cost_per_contact: float = 0.0
    cost_per_redemption: float = 0.0

    def __post_init__(self):
        problems = []
        check_schedule(self, problems)
        for name in ("uptake", "hazard_log_ratio", "refusal_hazard_log_ratio"):
            value = getattr(self, name)
            if value is None and name == "uptake":
                continue
            coefficients = _coefficients(value, name, problems)
            object.__setattr__(self, name, MappingProxyType(coefficients))
        ratio = self.visit_rate_ratio
        if not isinstance(ratio, int | float) or not math.isfinite(ratio) or ratio < 1:
            problems.append(
                f"visit_rate_ratio must be a finite number >= 1 (a treatment adds visits to the "
                f"control world's; express lower engagement through the hazard), got {ratio!r}"
            )
        hours = tuple(self.extra_push_hours)
        if any(not isinstance(h, int | float) or not 0 <= h < 24 for h in hours):
            problems.append(f"extra_push_hours must be UTC hours in [0, 24), got {hours!r}")
        object.__setattr__(self, "extra_push_hours", tuple(sorted(float(h) for h in hours)))
        for name in ("cost_per_contact", "cost_per_redemption"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                problems.append(f"{name} must be a finite number >= 0, got {value!r}")
        if problems:
            raise ValueError(f"Treatment {self.name!r}: " + "; ".join(problems))

    def __hash__(self) -> int:
        maps = [None if m is None else tuple(sorted(m.items())) for m in
                (self.uptake, self.hazard_log_ratio, self.refusal_hazard_log_ratio)]  # fmt: skip
        return hash((self.name, self.audience, self.duration_days, self.window_days, *maps,
                     self.visit_rate_ratio, self.extra_push_hours, self.push_only))  # fmt: skip

    def uptake_probability(self, pop: dict[str, np.ndarray]) -> np.ndarray:
        """P(take up | contacted and alive), per user of ``pop`` (push opt-in for push_only)."""
        n = pop["interest"].size
        p = np.ones(n) if self.uptake is None else expit(linear(self.uptake, pop))
        return p * pop["push_enabled"] if self.push_only else p

    def log_ratios(self, pop: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Log hazard ratios of takers and of contacted non-takers, per user of ``pop``."""
        taken, refused = linear(self.hazard_log_ratio, pop), linear(self.refusal_hazard_log_ratio, pop)
        if self.push_only:  # users without push opt-in are never touched
            taken, refused = taken * pop["push_enabled"], refused * pop["push_enabled"]
        return taken, refused


def linear(coefficients: Mapping[str, float], pop: dict[str, np.ndarray]) -> np.ndarray:
    """intercept + sum of coefficient x trait, per user."""
    out = np.full(pop["interest"].size, float(coefficients.get("intercept", 0.0)))
    for name, key in TRAITS.items():
        if coefficients.get(name, 0.0):
            out = out + float(coefficients[name]) * pop[key]
    return out


def _whole_hours(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    return abs(value * 24 - round(value * 24)) < 1e-9


def check_window(window, name: str, problems: list[str]) -> tuple[float, float] | None:
    """(w0, w1) in days, whole hours, 1 <= w0 < w1; appends a message to ``problems`` if not."""
    try:
        w0, w1 = window
    except (TypeError, ValueError):
        problems.append(f"{name} must be a pair of days (w0, w1), got {window!r}")
        return None
    if not (_whole_hours(w0) and _whole_hours(w1) and 1 <= w0 < w1):
        problems.append(
            f"{name} must be (w0, w1) with 1 <= w0 < w1 in whole hours (days after entry; the "
            f"window starts at least a day after entry so no session of the entry day reaches "
            f"it), got {window!r}"
        )
        return None
    return float(w0), float(w1)


def _coefficients(value, name: str, problems: list[str]) -> dict[str, float]:
    if not isinstance(value, Mapping):
        problems.append(f"{name} must be a mapping with keys among {list(_TERMS)}, got {value!r}")
        return {}
    unknown = sorted(set(value) - set(_TERMS))
    if unknown:
        problems.append(f"{name} has unknown keys {unknown}; accepted keys are {list(_TERMS)}")
    bad = [k for k, v in value.items() if not isinstance(v, int | float) or not math.isfinite(v)]
    if bad:
        problems.append(f"{name} needs finite numbers, not at {sorted(bad)}")
    return {k: float(v) for k, v in value.items() if k in _TERMS and k not in bad}

def check_schedule(design, problems: list[str]) -> None:
    """Check (and normalise in place) the fields a Treatment and a RecommendationPolicy share:
    ``audience``, ``duration_days``, ``enrol_days`` and ``window_days``; append what is wrong."""
    if design.audience not in AUDIENCES:
        problems.append(f"audience must be one of {list(AUDIENCES)}, got {design.audience!r}")
    for name in ("duration_days", "enrol_days"):
        value = getattr(design, name)
        if not _whole_hours(value) or value <= 0:
            problems.append(f"{name} must be a positive number of whole hours, got {value!r}")
        else:
            object.__setattr__(design, name, float(value))
    window = check_window(design.window_days, "window_days", problems)
    if window is not None:
        object.__setattr__(design, "window_days", window)


TREATMENTS: dict[str, Treatment] = {
    "retention_offer": Treatment(
        name="retention_offer",
        description=(
            "A three-week voucher sent to active users: takers (more often the interested "
            "ones) churn at 35 % of their hazard and visit 25 % more while it lasts; for users "
            "short of attention, an offer they ignore is one more demand on it (higher hazard)."
        ),
        duration_days=21.0,
        window_days=(21.0, 28.0),
        uptake={"intercept": -0.5, "interest": 0.8},
        hazard_log_ratio={"intercept": math.log(0.35)},
        refusal_hazard_log_ratio={"intercept": 0.3, "attention": -0.6},
        visit_rate_ratio=1.25,
        cost_per_contact=0.05,
        cost_per_redemption=2.0,
    ),
    "push_cadence": Treatment(
        name="push_cadence",
        description=(
            "Four weeks of two extra pushes a day (08:00 and 13:00 UTC) to users with push "
            "opt-in: more visits now, a lower hazard for users who seldom open notifications "
            "(reminded) and a higher one for those who open many (fatigue)."
        ),
        duration_days=28.0,
        window_days=(28.0, 35.0),
        push_only=True,
        hazard_log_ratio={"intercept": -0.6, "sensitivity": 1.6},
        extra_push_hours=(8.0, 13.0),
    ),
    "onboarding": Treatment(
        name="onboarding",
        description=(
            "A guided first week for new sign-ups (the classic A/B test): a lower hazard and "
            "20 % more visits during the first 7 days, helping users of low interest most; "
            "very interested users find it tedious."
        ),
        audience="new_signups",
        duration_days=7.0,
        window_days=(7.0, 14.0),
        enrol_days=14.0,
        hazard_log_ratio={"intercept": -0.2, "interest": 0.2},
        visit_rate_ratio=1.2,
    ),
}
