"""Parameter presets of the attention-economy simulator (see ``retainkit.simulate``).

Every number here is documented in the module docstring of ``retainkit.simulate``, which states
the formulas they enter. Units: rates in visits per day, durations in days unless the name says
``minutes``, hazards per day. Weekday lists run Monday (0) to Sunday (6); hours are UTC.
"""

from __future__ import annotations

import copy
from typing import Any

CHANNELS = ("organic", "paid_social", "referral", "search_ads")
DEVICES = ("ios", "android", "web")
REGIONS = ("na", "eu", "latam", "apac")

# Activity by hour of day (UTC), shared by sign-ups and visits: a quiet night, a lunch bump and an
# evening peak that runs past midnight, so some users sign up late at night (notebook 02 uses them
# to contrast calendar with rolling day-1 retention). Normalised to mean 1 when used.
HOURLY_PROFILE = (
    0.75, 0.45, 0.28, 0.18, 0.14, 0.16, 0.30, 0.55, 0.85, 1.00, 1.05, 1.10,
    1.25, 1.20, 1.10, 1.10, 1.15, 1.25, 1.40, 1.60, 1.70, 1.65, 1.45, 1.10,
)  # fmt: skip

_COMMON: dict[str, Any] = {
    # --- acquisition (sign-ups) -------------------------------------------------------------
    "acquisition_fraction": 2 / 3,  # main sign-up period = first 2/3 of the window
    "signup_growth": 0.5,  # sign-up rate grows by 50 % across the main period
    "late_signup_level": 0.3,  # after it: 30 % of the final main-period rate
    "channel_mix": {"organic": 0.40, "paid_social": 0.30, "referral": 0.12, "search_ads": 0.18},
    "device_mix": {"ios": 0.45, "android": 0.45, "web": 0.10},
    "region_mix": {"na": 0.35, "eu": 0.30, "latam": 0.15, "apac": 0.20},
    "push_opt_in": {"ios": 0.55, "android": 0.80, "web": 0.0},  # web cannot receive pushes
    "hourly_profile": HOURLY_PROFILE,
    # --- latent traits ----------------------------------------------------------------------
    "sensitivity_beta": (2.0, 3.0),  # notification sensitivity ~ Beta(a, b), mean 0.4
    # --- content quality: log q_d is a stationary AR(1) with this lag-1 correlation and sd ---
    "quality_ar": 0.8,
    "quality_sd": 0.10,
    # --- pushes -----------------------------------------------------------------------------
    "push_delay_minutes": 15.0,  # mean of the exponential delay from push to open
    # --- sessions ---------------------------------------------------------------------------
    "session_sigma": 1.0,  # sd of log session length (log-normal, heavy right tail)
    "session_attention": 0.3,  # log session length rises by this per sd of attention budget
    "events_dispersion": 1.5,  # negative-binomial shape of engagement events per session
    # --- visits: log-rate shift by acquisition channel (referred users engage more) ---------
    "rate_channel": {"organic": 0.0, "paid_social": -0.25, "referral": 0.25, "search_ads": -0.05},
    # --- churn: log-hazard coefficients (reference levels: organic, ios) --------------------
    "hazard_channel": {"organic": 0.0, "paid_social": 0.45, "referral": -0.5, "search_ads": 0.15},
    "hazard_device": {"ios": 0.0, "android": 0.10, "web": 0.30},
}

PRESETS: dict[str, dict[str, Any]] = {
    "social": {
        **_COMMON,
        "base_rate": 1.6,  # visits/day at signup for a user with all latents at 0 and frailty 1
        "rate_interest": 0.6,
        "rate_attention": 0.4,
        "rate_gamma_shape": 0.8,  # frailty ~ Gamma(shape, scale=1/shape), mean 1
        "boredom_floor": 0.55,
        "boredom_timescale_days": 14.0,
        "weekday_factors": (0.95, 0.95, 0.97, 0.98, 1.00, 1.08, 1.07),
        "push_weekdays": (0, 1, 2, 3, 4, 5, 6),
        "push_hours": (19,),
        "push_open_max": 0.35,
        "session_median_minutes": 6.0,
        "events_per_session": 4.0,
        "event_mix": {"view": 0.70, "like": 0.20, "share": 0.04, "post": 0.06},
        "weibull_shape": 0.38,
        "weibull_scale_days": 5.0,
        "hazard_interest": -0.7,
        "hazard_attention": -0.3,
        "hazard_sensitivity": -0.6,
    },
    "game": {
        **_COMMON,
        "base_rate": 0.9,
        "rate_interest": 0.6,
        "rate_attention": 0.4,
        "rate_gamma_shape": 1.0,
        "boredom_floor": 0.3,
        "boredom_timescale_days": 7.0,
        "weekday_factors": (0.92, 0.92, 0.94, 0.96, 1.02, 1.13, 1.11),
        "push_weekdays": (0, 1, 2, 3, 4, 5, 6),
        "push_hours": (17,),
        "push_open_max": 0.25,
        "session_median_minutes": 10.0,
        "events_per_session": 3.0,
        "event_mix": {"level_complete": 0.93, "purchase": 0.07},
        "weibull_shape": 0.4,
        "weibull_scale_days": 4.0,
        "hazard_interest": -0.6,
        "hazard_attention": -0.3,
        "hazard_sensitivity": -0.5,
    },
    "shop": {
        **_COMMON,
        "base_rate": 0.5,
        "rate_interest": 0.4,
        "rate_attention": 0.2,
        "rate_gamma_shape": 2.0,
        "boredom_floor": 0.22,
        "boredom_timescale_days": 5.0,
        "weekday_factors": (1.02, 0.96, 0.96, 0.98, 1.00, 0.98, 1.10),
        "push_weekdays": (3, 6),
        "push_hours": (10,),
        "push_open_max": 0.25,
        "session_median_minutes": 4.0,
        "events_per_session": 3.0,
        "event_mix": {"product_view": 0.80, "add_to_cart": 0.15, "purchase": 0.05},
        "weibull_shape": 0.4,
        "weibull_scale_days": 150.0,
        "hazard_interest": -0.6,
        "hazard_attention": -0.2,
        "hazard_sensitivity": -0.4,
    },
}


def preset_params(preset: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of the preset's parameters with ``overrides`` applied and checked."""
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    params = copy.deepcopy(PRESETS[preset])
    unknown = sorted(set(overrides) - set(params))
    if unknown:
        raise ValueError(
            f"unknown simulator parameter(s) {unknown}; accepted names are {sorted(params)}"
        )
    params.update(copy.deepcopy(overrides))
    _check(params)
    return params


def _check(p: dict[str, Any]) -> None:
    positive = [
        "base_rate", "rate_gamma_shape", "boredom_timescale_days", "weibull_shape",
        "weibull_scale_days", "session_median_minutes", "session_sigma", "events_per_session",
        "events_dispersion", "push_delay_minutes", "acquisition_fraction",
    ]  # fmt: skip
    for name in positive:
        if not float(p[name]) > 0:
            raise ValueError(f"parameter {name!r} must be > 0, got {p[name]!r}")
    for name in ["boredom_floor", "push_open_max", "acquisition_fraction"]:
        if not 0 <= float(p[name]) <= 1:
            raise ValueError(f"parameter {name!r} must be in [0, 1], got {p[name]!r}")
    if not 0 <= float(p["quality_ar"]) < 1 or float(p["quality_sd"]) < 0:
        raise ValueError("parameters 'quality_ar' must be in [0, 1) and 'quality_sd' >= 0")
    if float(p["late_signup_level"]) < 0 or float(p["signup_growth"]) <= -1:
        raise ValueError("parameters 'late_signup_level' must be >= 0 and 'signup_growth' > -1")
    for name, levels in [
        ("channel_mix", CHANNELS), ("device_mix", DEVICES), ("region_mix", REGIONS),
        ("push_opt_in", DEVICES), ("hazard_channel", CHANNELS), ("hazard_device", DEVICES),
        ("rate_channel", CHANNELS),
    ]:  # fmt: skip
        if set(p[name]) != set(levels):
            raise ValueError(f"parameter {name!r} needs exactly the keys {list(levels)}")
    for name in ["channel_mix", "device_mix", "region_mix", "event_mix"]:
        values = list(p[name].values())
        if min(values) < 0 or sum(values) <= 0:
            raise ValueError(f"parameter {name!r} needs non-negative weights with a positive sum")
    reserved = {"session_start", "notification_open"}
    if not p["event_mix"] or any(not isinstance(k, str) or k in reserved for k in p["event_mix"]):
        raise ValueError(
            "parameter 'event_mix' needs engagement event names (str) other than "
            f"{sorted(reserved)}, got {list(p['event_mix'])}"
        )
    if any(not 0 <= v <= 1 for v in p["push_opt_in"].values()):
        raise ValueError("parameter 'push_opt_in' needs probabilities in [0, 1]")
    if len(p["weekday_factors"]) != 7 or min(p["weekday_factors"]) <= 0:
        raise ValueError("parameter 'weekday_factors' needs 7 positive numbers (Monday..Sunday)")
    if len(p["hourly_profile"]) != 24 or min(p["hourly_profile"]) <= 0:
        raise ValueError("parameter 'hourly_profile' needs 24 positive numbers (UTC hours 0..23)")
    if any(not 0 <= int(d) <= 6 for d in p["push_weekdays"]):
        raise ValueError("parameter 'push_weekdays' needs weekday numbers 0 (Monday)..6 (Sunday)")
    if any(not 0 <= float(h) < 24 for h in p["push_hours"]):
        raise ValueError("parameter 'push_hours' needs hours in [0, 24)")
    a, b = p["sensitivity_beta"]
    if not (a > 0 and b > 0):
        raise ValueError("parameter 'sensitivity_beta' needs two positive numbers (a, b)")
