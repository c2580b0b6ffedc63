"""Speed of retainkit.events.validate_events on local-time strings, against pandas alone.

A meditation-app export has one row per event with US-format local wall-clock times
(``"03/09/2025 01:30:00 PM"``) in America/New_York. For 1M such rows this times

- the baseline: ``pd.to_datetime(strings, format=FORMAT, utc=True)`` alone (parsing only),
- ``validate_events(log, tz=..., format=FORMAT)``: parse, localise with the zone's DST rules
  (nonexistent and ambiguous times resolved forward/earliest), check ids and names, drop
  exact duplicates, sort by user and time,
- ``validate_events(log, tz=...)`` without a format: the format is guessed from the first
  string.

Each is the best of three runs in this process. The ratios are what the front-door issue
asks for (at most 1.5x with a format, 3x without).

Usage::

    python benchmarks/events.py             # 1M rows
    python benchmarks/events.py --rows 200000
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from retainkit.events import validate_events  # noqa: E402

FORMAT = "%m/%d/%Y %I:%M:%S %p"
ZONE = "America/New_York"


def make_log(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` events of ``n // 20`` members over 2025, times as US-format local strings."""
    rng = np.random.default_rng(seed)
    local = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86_400, n), "s")
    return pd.DataFrame({
        "Member ID": rng.integers(0, max(n // 20, 1), n),
        "Event Time (local)": local.strftime(FORMAT),
        "Action": rng.choice(["app_open", "meditation_start", "meditation_end"], n),
    })


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    log = make_log(args.rows)
    names = {"user_col": "Member ID", "time_col": "Event Time (local)", "event_col": "Action"}
    zone = {"tz": ZONE, "nonexistent": "shift_forward", "ambiguous": "earliest"}
    strings = log["Event Time (local)"]

    def validate(**kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate rows are dropped with a warning
            return validate_events(log, **names, **zone, **kw)

    baseline = best_of(lambda: pd.to_datetime(strings, format=FORMAT, utc=True))
    with_format = best_of(lambda: validate(format=FORMAT))
    guessed = best_of(validate)
    print(f"{args.rows:,} US-format local-time strings ({ZONE})")
    print(f"  pd.to_datetime(format=..., utc=True) alone   {baseline:6.2f} s   1.00x (baseline)")
    print(f"  validate_events(tz=..., format=...)          {with_format:6.2f} s   "
          f"{with_format / baseline:.2f}x")
    print(f"  validate_events(tz=...), format guessed      {guessed:6.2f} s   "
          f"{guessed / baseline:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
