"""The README's "Your own event log" recipe, run on a generated export of a foreign shape.

The export looks like a real one (a meditation app's): its own column names, US-format local
wall-clock times in America/New_York across a DST change, Title Case event names with spaces,
user attributes on every row, exact duplicate rows and rows without an id. First the
documented errors and warnings; then the README code, exactly as written, on the same file.
"""

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retainkit.events import validate_events
from retainkit.features import make_snapshot
from retainkit.simulate import simulate_app

README = Path(__file__).resolve().parents[1] / "README.md"
ZONE, FORMAT = "America/New_York", "%m/%d/%Y %I:%M:%S %p"
ACTIONS = {"session_start": "App Open", "view": "Meditation Start", "like": "Favorite",
           "post": "Journal Entry", "share": "Share", "notification_open": "Push Open"}


def readme_recipe() -> str:
    text = README.read_text()
    block = re.search(r"<!-- own-log:start -->\n```python\n(.*?)```\n<!-- own-log:end -->",
                      text, re.DOTALL)
    assert block, "README.md lost its own-log block"
    return block.group(1)


@pytest.fixture(scope="module")
def export() -> pd.DataFrame:
    sim = simulate_app("social", n_users=600, days=90, seed=3)  # spans 8 March 2026 (DST)
    ev = sim.events.merge(sim.users[["user_id", "device", "region"]], on="user_id")
    signups = sim.users.assign(event="sign_up", timestamp=sim.users["signup_time"])
    ev = pd.concat([signups[ev.columns], ev]).sort_values(["user_id", "timestamp"],
                                                          kind="mergesort")
    local = ev["timestamp"].dt.tz_convert(ZONE).dt.tz_localize(None)
    raw = pd.DataFrame({
        "Member ID": ev["user_id"].astype("Int64").to_numpy(),
        "Event Time (local)": local.dt.floor("s").dt.strftime(FORMAT).to_numpy(),
        "Action": ev["event"].map({**ACTIONS, "sign_up": "Sign Up"}).to_numpy(),
        "Platform": ev["device"].to_numpy(),
        "Country": ev["region"].map({"na": "US", "eu": "DE", "latam": "BR", "apac": "JP"})
        .to_numpy(),
    })
    raw = raw.drop_duplicates()  # same action in the same second: keep the test's count exact
    rng = np.random.default_rng(0)
    duplicates = raw.iloc[rng.choice(len(raw), 5, replace=False)]
    no_id = raw.iloc[rng.choice(len(raw), 3, replace=False)].assign(**{"Member ID": pd.NA})
    return pd.concat([raw, duplicates, no_id], ignore_index=True)


NAMES = {"user_col": "Member ID", "time_col": "Event Time (local)", "event_col": "Action"}


def test_the_documented_errors_come_first(export):
    with pytest.raises(ValueError, match=r"column 'Member ID': missing user id in 3 row"):
        validate_events(export, **NAMES, tz=ZONE, format=FORMAT)
    clean = export.dropna(subset=["Member ID"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        utc = validate_events(clean, **NAMES)
    assert any(re.search(r"naive timestamps .* taken as UTC", str(w.message)) for w in caught)
    with pytest.warns(UserWarning, match=r"dropped 5 exact duplicate"):
        local = validate_events(clean, **NAMES, tz=ZONE, format=FORMAT)
    # Local evening times are the next UTC day: the zone moves 4-5 hours of every day.
    shift = (utc["timestamp"] - local["timestamp"]).dt.total_seconds().div(3600)
    assert set(shift.round()) == {-5.0, -4.0}
    with pytest.raises(ValueError, match=r"visit_event='session_start' does not occur.*'App Open'"):
        make_snapshot(local, cutoff=local["timestamp"].max() - pd.Timedelta("28D"))


def test_the_readme_recipe_runs_on_the_export(export, tmp_path, monkeypatch, capsys):
    export.to_csv(tmp_path / "export.csv", index=False)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(readme_recipe(), "README.md", "exec"), scope)
    printed = capsys.readouterr().out
    assert printed.startswith("3 rows without a member id")
    messages = [str(w.message) for w in caught]
    assert any("dropped 5 exact duplicate" in m for m in messages)
    assert not any("naive timestamps" in m for m in messages), messages

    table = scope["table"]
    assert table["cohort_size"].sum() == 600 and str(table.index.dtype).endswith(ZONE + "]")
    assert set(scope["curves"]) == {"android", "ios", "web"}
    assert "statistic" in printed.lower() or "p_value" in printed
    X, info = scope["X"], scope["info"]
    assert {"platform_ios", "platform_web", "country_us", "share_app_open"} <= set(X.columns)
    assert X["visits_7d"].gt(0).mean() > 0.5  # the visit event was found: visits counted
    assert info["column_kinds"]["platform_web"] == "one_hot"
