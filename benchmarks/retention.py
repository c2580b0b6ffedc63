"""Speed of retainkit.retention.retention_table against two baselines.

For synthetic event logs of 1M, 3M and 10M events this times the first-cohort, day-N
``mode="on"`` calendar table (the classic sign-up retention table) computed by

- ``retention_table`` (retainkit),
- (a) a plain pandas groupby, the obvious way: floor to days, first day per user by
  ``groupby.transform("min")``, then ``nunique`` users per (cohort, day) and ``unstack``;
- (b) a per-user Python loop (one ``for`` over users, a set of active days each), run on a
  random subsample of users and **extrapolated** linearly to the full log by event count.

Each measurement runs in its own subprocess. Memory is resident set size from
``resource.getrusage``: "data MB" once the event frame is built, "peak MB" the peak during
the computation (the peak counter is reset in between through ``/proc/self/clear_refs``). The groupby worker also checks that both
implementations agree on every cell the baseline fills in.

Usage::

    python benchmarks/retention.py                 # 1M and 3M events
    python benchmarks/retention.py --sizes 1M 3M 10M
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

DAYS = 120
EVENTS_PER_USER = 20
LOOP_USERS = 1_000


def make_events(n_events: int, seed: int = 0) -> pd.DataFrame:
    """A synthetic log: sign-ups spread over DAYS days, heavy-tailed activity per user.

    Each user gets a sign-up moment, a lognormal "staying power" (days) and a
    negative-binomial number of further events placed at exponential offsets after the
    sign-up, so activity clusters early and thins out like a real retention curve. Events
    after the end of the window are dropped, then random non-sign-up events until exactly
    ``n_events`` remain; the log is sorted by user then time.
    """
    rng = np.random.default_rng(seed)
    n_users = max(n_events // EVENTS_PER_USER, 1)
    target, n_events = n_events, int(n_events * 1.25)  # head room for the dropped events
    signup = rng.uniform(0, DAYS * 86_400, n_users)
    stay = rng.lognormal(np.log(6.0), 1.2, n_users) * 86_400
    extra = rng.negative_binomial(1.2, 1.2 / (1.2 + EVENTS_PER_USER), n_users)
    extra = np.floor(extra * (n_events - n_users) / max(extra.sum(), 1)).astype(np.int64)
    user = np.repeat(np.arange(n_users), extra)
    offset = rng.exponential(1.0, len(user)) * stay[user]
    seconds = np.concatenate([signup, signup[user] + offset])
    users = np.concatenate([np.arange(n_users), user])
    keep = seconds < DAYS * 86_400
    surplus = np.flatnonzero(keep[n_users:]) + n_users
    keep[rng.choice(surplus, size=max(keep.sum() - target, 0), replace=False)] = False
    seconds, users = seconds[keep], users[keep]
    order = np.lexsort((seconds, users))
    start = pd.Timestamp("2025-01-06", tz="UTC").value
    timestamp = pd.to_datetime(start + (seconds[order] * 1e9).astype(np.int64), utc=True)
    names = np.array(["session_start", "view", "like", "share"])
    return pd.DataFrame(
        {
            "user_id": (users[order] + 1_000_000).astype(np.int64),
            "timestamp": timestamp,
            "event": names[rng.integers(0, len(names), len(users))],
        }
    )


def groupby_baseline(df: pd.DataFrame) -> pd.DataFrame:
    """Day-N 'on' retention by first-day cohort, written the obvious pandas way."""
    day = df["timestamp"].dt.floor("D")
    first = day.groupby(df["user_id"]).transform("min")
    k = (day - first).dt.days
    counts = df.assign(cohort=first, k=k).groupby(["cohort", "k"])["user_id"].nunique()
    table = counts.unstack()
    return table.div(table[0], axis=0)


def loop_baseline(df: pd.DataFrame) -> dict:
    """The same counts with a Python loop over users (for the subsample)."""
    counts: dict = {}
    for _, times in df.groupby("user_id")["timestamp"]:
        days = {t.floor("D") for t in times}
        cohort = min(days)
        for d in days:
            key = (cohort, (d - cohort).days)
            counts[key] = counts.get(key, 0) + 1
    return counts


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def reset_peak() -> float:
    """Return freed heap to the OS, reset the peak-RSS counter (Linux >= 4.0); RSS in MB."""
    gc.collect()
    try:  # otherwise glibc keeps freed memory resident and the method reuses it unseen
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:  # not Linux: the peak then includes building the data
        pass
    return peak_mb()


def worker(method: str, n_events: int) -> dict:
    from retainkit.retention import retention_table

    df = make_events(n_events)
    out = {"events": len(df), "users": int(df["user_id"].nunique())}
    out["data_mb"] = reset_peak()
    t0 = time.perf_counter()
    if method == "retainkit":
        retention_table(df, period="day", mode="on")
    elif method == "groupby":
        base = groupby_baseline(df)
    else:
        rng = np.random.default_rng(1)
        users = rng.choice(df["user_id"].unique(), size=LOOP_USERS, replace=False)
        sample = df[df["user_id"].isin(users)]
        t0 = time.perf_counter()
        loop_baseline(sample)
        out["sample_events"] = len(sample)
    out["seconds"] = time.perf_counter() - t0
    out["peak_mb"] = peak_mb()
    if method == "loop":
        out["seconds_extrapolated"] = out["seconds"] * len(df) / out["sample_events"]
    if method == "groupby":
        ours = retention_table(df, period="day", mode="on")
        cols = [c for c in base.columns if c in ours.columns]
        a = ours.loc[base.index, cols].to_numpy()
        b = base[cols].to_numpy()
        both = ~np.isnan(a) & ~np.isnan(b)
        out["agree"] = bool(np.allclose(a[both], b[both]))
    return out


def parse_size(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * scale)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1M", "3M"],
                        help="event-log sizes, e.g. 1M 3M 10M (default: 1M 3M)")
    parser.add_argument("--worker", nargs=2, metavar=("METHOD", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]))))
        return

    print("time ratio = retainkit seconds / method seconds (target against (a): <= 1.5)")
    print(f"{'events':>10} {'users':>8} {'method':<22} {'seconds':>9} {'ratio':>7} "
          f"{'data MB':>8} {'peak MB':>8}")
    for size in args.sizes:
        n = parse_size(size)
        results = {}
        for method in ("retainkit", "groupby", "loop"):
            run = subprocess.run([sys.executable, __file__, "--worker", method, str(n)],
                                 capture_output=True, text=True, check=True)
            results[method] = json.loads(run.stdout.strip().splitlines()[-1])
        ours = results["retainkit"]["seconds"]
        rows = [
            ("retainkit", ours, results["retainkit"]),
            ("(a) pandas groupby", results["groupby"]["seconds"], results["groupby"]),
            ("(b) per-user loop*", results["loop"]["seconds_extrapolated"], results["loop"]),
        ]
        for name, seconds, r in rows:
            print(f"{r['events']:>10,} {r['users']:>8,} {name:<22} {seconds:>9.2f} "
                  f"{ours / seconds:>7.3f} {r['data_mb']:>8.0f} {r['peak_mb']:>8.0f}")
        print(f"{'':>10} retainkit agrees with (a) on every cell (a) fills in: "
              f"{results['groupby']['agree']}")
    print(f"* per-user loop timed on {LOOP_USERS:,} random users and extrapolated linearly "
          "by event count; data MB = RSS with the log built, peak MB = peak RSS during the "
          "computation (each method in its own process).")


if __name__ == "__main__":
    main()
