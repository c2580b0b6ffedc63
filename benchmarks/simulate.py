"""Speed of retainkit.simulate.simulate_app against a naive per-user loop.

Runs ``simulate_app`` once at full size (default 50,000 users x 180 days, the issue's target:
at most 30 s on one core) and prints seconds, events, seconds per million events and the
users x days it ran. The baseline is a plain per-user implementation of the same model (a
Python ``for`` over users, and inside it over visits and pushes, with NumPy only for the
random draws of one user), run on the first ``--baseline-users`` users of the same
population and calendar; its seconds per million events are compared with the vectorised
run's (the speed-up is that ratio). Both must produce about the same events per user, which
is printed as a check that the baseline simulates the same model.

Then the experiments of issue 13: ``Simulation.run_experiment`` for each treatment on a
simulation of 50,000 users over 60 days (``--exp-users``, ``--exp-days``), against the plain
``simulate_app`` of the same users and days (the target: at most 2x). Each experiment starts
so that its outcome window ends inside the simulation; the default eligibility is used, and
one heavier run makes every user signed up before the start eligible.

Then the content catalogue of issue 14: ``simulate_app(..., catalogue=True)`` (300 items,
feeds of 10) against the plain ``simulate_app`` of the same users and days (default 3,000
users x 60 days, ``--cat-users``, ``--cat-days``; the target: at most 3x), and one policy
experiment on it.

Usage::

    python benchmarks/simulate.py
    python benchmarks/simulate.py --preset game --users 20000 --days 120 --baseline-users 200
    python benchmarks/simulate.py --only experiment --preset shop
    python benchmarks/simulate.py --only catalogue
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from retainkit.simulate import PRESETS, TREATMENTS, simulate_app
from retainkit.simulate import _process as sp


def naive_events(sim, n_users: int, seed: int = 0) -> int:
    """The baseline: simulate the first ``n_users`` users one by one; returns the event count."""
    rng = np.random.default_rng(seed)
    pop, cal, params = sim._pop, sim._cal, sim.params
    t_end = (sim.end - sim.start).days
    w_max = cal.hourly_factor[: t_end * 24].max()
    r, mu = params["events_dispersion"], params["events_per_session"]
    names = sp.event_names(params)
    mix = np.array(list(params["event_mix"].values()), float)
    rows = []
    for i in range(n_users):
        s, stop = pop["signup"][i], min(sim._churn[i], t_end)
        visits = [(s, False)]
        t = s
        while True:  # thinning, one candidate at a time
            t += rng.exponential(1 / (pop["base_rate"][i] * w_max))
            if t >= stop:
                break
            accept = cal.hourly_factor[int(t * 24)] / w_max * sp.boredom(t - s, params)
            if rng.random() < accept:
                visits.append((t, False))
        if pop["push_enabled"][i]:
            for tau in cal.push_times:
                if s < tau < stop:
                    p = pop["push_response"][i] * sp.boredom(tau - s, params)
                    if rng.random() < p:
                        visits.append((tau + rng.exponential(params["push_delay_minutes"] / 1440),
                                       True))  # fmt: skip
        for t0, pushed in visits:
            events = [(t0, "notification_open")] if pushed else []
            events.append((t0, "session_start"))
            k = rng.negative_binomial(r, r / (r + mu))
            length = np.exp(pop["session_log_median"][i]
                            + params["session_sigma"] * rng.standard_normal()) / 1440  # fmt: skip
            for j, u in enumerate(np.sort(rng.random(k))):
                offset = length if j == k - 1 else u * length
                events.append((t0 + offset, names[2 + rng.choice(mix.size, p=mix / mix.sum())]))
            rows.extend((i, t, e) for t, e in events if t < stop)
    rows.sort()
    return len(rows)


def _best_of(repeats: int, run):
    """(fastest wall time, last result) over ``repeats`` runs: robust on a shared machine."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def experiment_benchmark(preset: str, users: int, days: int, seed: int, repeats: int = 3) -> None:
    """Seconds of run_experiment per treatment against simulate_app of the same users (the
    fastest of ``repeats`` runs of each)."""
    plain, sim = _best_of(repeats, lambda: simulate_app(preset, n_users=users, days=days,
                                                        seed=seed, progress=False))  # fmt: skip
    print(f"experiments on simulate_app({preset!r}, n_users={users:,}, days={days}, seed={seed}): "
          f"plain simulation {plain:.2f} s (best of {repeats})")  # fmt: skip
    runs = [(name, None) for name in TREATMENTS] + [("retention_offer", "everyone")]
    for name, rule in runs:
        treatment = TREATMENTS[name]
        span = treatment.window_days[1] + (treatment.enrol_days
                                           if treatment.audience == "new_signups" else 0)  # fmt: skip
        first = int(max(1, (days - span) // 2) if rule is None else max(1, days - span))
        begin = sim.start + pd.Timedelta(days=first)
        eligible = None if rule is None else (lambda u, h: np.ones(len(u), bool))
        seconds, exp = _best_of(repeats, lambda t=treatment, b=begin, f=eligible:
                                sim.run_experiment(t, start=b, eligible=f, seed=seed))  # fmt: skip
        label = name if rule is None else f"{name} (all signed up)"
        print(f"  {label:34s} start day {first:3d}  {len(exp.assignment):7,} users "
              f"({int(exp.potential['alive_at_entry'].sum()):,} alive)  {seconds:5.2f} s  "
              f"ratio {seconds / plain:.2f}x  (target <= 2x)")  # fmt: skip


def catalogue_benchmark(preset: str, users: int, days: int, seed: int, repeats: int = 3) -> None:
    """Seconds of simulate_app with a catalogue against without (fastest of ``repeats``)."""
    plain, sim = _best_of(repeats, lambda: simulate_app(preset, n_users=users, days=days,
                                                        seed=seed, progress=False))  # fmt: skip
    cat, csim = _best_of(repeats, lambda: simulate_app(preset, n_users=users, days=days, seed=seed,
                                                       progress=False, catalogue=True))  # fmt: skip
    print(f"catalogue on simulate_app({preset!r}, n_users={users:,}, days={days}, seed={seed}) "
          f"(best of {repeats})")  # fmt: skip
    print(f"  plain      {plain:6.2f} s  {len(sim.events):>10,} events")
    print(f"  catalogue  {cat:6.2f} s  {len(csim.events):>10,} events  ratio {cat / plain:.2f}x  "
          f"(target <= 3x)")  # fmt: skip
    begin = csim.start + pd.Timedelta(days=max(1, (days - 35) // 2))
    seconds, exp = _best_of(repeats, lambda: csim.run_experiment("clicks", start=begin, seed=seed))
    print(f"  run_experiment('clicks') {len(exp.assignment):,} users  {seconds:5.2f} s  "
          f"ratio {seconds / plain:.2f}x to the plain simulation")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="social", choices=sorted(PRESETS))
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline-users", type=int, default=300)
    parser.add_argument("--exp-users", type=int, default=50_000)
    parser.add_argument("--exp-days", type=int, default=60)
    parser.add_argument("--cat-users", type=int, default=3_000)
    parser.add_argument("--cat-days", type=int, default=60)
    parser.add_argument("--only", choices=["all", "simulate", "experiment", "catalogue"],
                        default="all")  # fmt: skip
    args = parser.parse_args()
    if args.only in ("all", "simulate"):
        simulate_benchmark(args)
    if args.only in ("all", "experiment"):
        experiment_benchmark(args.preset, args.exp_users, args.exp_days, args.seed)
    if args.only in ("all", "catalogue"):
        catalogue_benchmark(args.preset, args.cat_users, args.cat_days, args.seed)


def simulate_benchmark(args) -> None:
    start = time.perf_counter()
    sim = simulate_app(args.preset, n_users=args.users, days=args.days, seed=args.seed,
                       progress=False)  # fmt: skip
    seconds = time.perf_counter() - start
    n_events = len(sim.events)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    per_million = seconds / (n_events / 1e6)
    print(f"simulate_app({args.preset!r}, n_users={args.users:,}, days={args.days}, "
          f"seed={args.seed})")  # fmt: skip
    print(f"  users x days           {args.users:,} x {args.days} = {args.users * args.days:,}")
    print(f"  seconds                {seconds:.2f}   (target for 50,000 x 180: <= 30 s)")
    print(f"  events                 {n_events:,}  ({n_events / args.users:.1f} per user)")
    print(f"  seconds per 1M events  {per_million:.3f}")
    print(f"  peak memory            {peak_mb:,.0f} MB")

    n_base = min(args.baseline_users, args.users)
    start = time.perf_counter()
    base_events = naive_events(sim, n_base, seed=args.seed)
    base_seconds = time.perf_counter() - start
    base_per_million = base_seconds / (base_events / 1e6)
    same_users = (sim.events["user_id"] <= n_base).sum()
    print(f"baseline: naive per-user loop on the first {n_base} users (same population)")
    print(f"  seconds                {base_seconds:.2f}")
    print(f"  events                 {base_events:,}  (vectorised run, same users: {same_users:,})")
    print(f"  seconds per 1M events  {base_per_million:.3f}")
    print(f"speed-up (seconds per 1M events, baseline / simulate_app): "
          f"{base_per_million / per_million:.0f}x")  # fmt: skip


if __name__ == "__main__":
    main()
