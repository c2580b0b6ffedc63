"""The observed log of an experiment on a simulation with a content catalogue (notebook 09).

Kept apart from ``_experiment.py``: with a catalogue, treated users' events from entry on are
a fresh draw of the treated world, not the control events patched (see
``Simulation.run_experiment``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retainkit.simulate import _catalogue as sc
from retainkit.simulate import _process as sp
from retainkit.simulate._catalogue_views import item_column
from retainkit.simulate._future import regenerated_future
from retainkit.simulate._outcome import extra_push_times


def observed_log_catalogue(sim, index, treated_alive, entry, churn_t, takes_up, visit_ratio,
                            feeds, treatment, days, rng, uid, ns):
    """With a catalogue: the plain log, with treated users' events from entry on replaced by a
    fresh draw of the treated world (its churn time, visit rates, pushes and feeds)."""
    n_users = sim._pop["signup"].size
    sel = np.flatnonzero(treated_alive)
    t_idx = index[sel]
    entry_ns = np.full(n_users, np.iinfo(np.int64).max)
    entry_ns[t_idx] = sim.start.value + np.rint(entry[sel] * sp.DAY_US).astype(np.int64) * 1000
    keep = ns < entry_ns[uid - 1]
    extra_times = extra_push_times(treatment.extra_push_hours, 0, days)
    extra_times = extra_times[extra_times < days]
    if feeds is not None and feeds.shape[0] > 1:
        feeds = feeds[sel]
    new_user, new_us, new_code, new_item = regenerated_future(
        sim._pop, sim.params, sim._cal, sim._world, sim._default_feed, user=t_idx,
        entry=entry[sel], churn_treated=churn_t[sel], taken=takes_up[sel],
        visit_ratio=visit_ratio[sel], duration=treatment.duration_days,
        extra_times=extra_times, feeds=feeds, t_end=days, rng=rng)  # fmt: skip
    names = np.array(sc.event_names(sp.event_names(sim.params)), dtype=object)
    event = sim.events["event"].to_numpy()
    item = sim.events["item_id"].to_numpy(dtype=np.int64, na_value=0) - 1
    rank_of = {names[0]: 0, names[1]: 1}
    old_rank = np.array([rank_of.get(name, 2) for name in names])[
        pd.Categorical(event[keep], categories=names).codes]
    all_user = np.concatenate([uid[keep] - 1, new_user])
    all_us = np.concatenate([(ns[keep] - sim.start.value) // 1000, new_us])
    all_rank = np.concatenate([old_rank, np.minimum(new_code, 2)])
    order = sp._sort_order(all_user.astype(np.int64), all_us, all_rank, n_users, days)
    all_event = np.concatenate([event[keep], names[new_code]])[order]
    all_item = np.concatenate([item[keep], new_item])[order]
    return pd.DataFrame({
        "user_id": all_user[order] + 1,
        "timestamp": pd.DatetimeIndex((sim.start.value + all_us[order] * 1000).view("M8[ns]"))
        .tz_localize("UTC"),
        "event": all_event,
        "item_id": item_column(all_item),
    }, copy=False)  # fmt: skip
