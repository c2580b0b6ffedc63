"""The catalogue's views of a Simulation: topic interests, affinity, feed effects (notebook 09).

A mixin of :class:`retainkit.simulate.Simulation`, kept apart so that the simulation's core
stays short; the formulas are in the ``retainkit.simulate`` docstring.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retainkit.simulate import _catalogue as sc


class CatalogueViews:
    """Methods of a Simulation that need its content catalogue (``simulate_app(catalogue=...)``)."""

    def _need_catalogue(self, what: str) -> sc.CatalogueWorld:
        if self._world is None:
            raise ValueError(f"{what} needs a content catalogue: simulate_app(..., catalogue=True)")
        return self._world

    def topic_interests(self) -> pd.DataFrame:
        """Each user's latent topic interests ``x_it`` (users x topics), by ``user_id``.

        Introduced in notebook 09. Standard normal, correlation ``interest_loading`` with
        ``users.true_interest`` (formulas in ``retainkit.simulate``).
        """
        self._need_catalogue("topic_interests")
        return pd.DataFrame(self._pop["topic_interest"], index=self.truth.index,
                            columns=pd.RangeIndex(self.catalogue.n_topics, name="topic"))  # fmt: skip

    def affinity(self) -> pd.DataFrame:
        """True affinity ``a_ij = x_i · y_j`` of every user for every item (users x items).

        Introduced in notebook 09. Indexed by ``user_id``, columns ``item_id``. The view
        probability of an impression is ``expit(view_intercept + view_match a_ij +
        view_clickbait c_j + view_quality q_j)`` (see ``retainkit.simulate``).

        Examples
        --------
        >>> from retainkit.simulate import simulate_app
        >>> sim = simulate_app("social", n_users=200, days=20, seed=1, catalogue=True)
        >>> sim.affinity().shape
        (200, 300)
        """
        world = self._need_catalogue("affinity")
        return pd.DataFrame(world.affinity(self._pop["topic_interest"]), index=self.truth.index,
                            columns=pd.Index(self.items["item_id"].to_numpy(), name="item_id"))

    def view_probability(self) -> pd.DataFrame:
        """True P(view | impression) of every user for every item (users x items).

        Introduced in notebook 09; see :meth:`affinity` for the formula.
        """
        world = self._need_catalogue("view_probability")
        aff = self.affinity()
        return pd.DataFrame(world.view_probability(aff.to_numpy()), index=aff.index,
                            columns=aff.columns)  # fmt: skip

    def policy_effects(self, policy) -> pd.DataFrame:
        """What a feed policy would do to each user, from the truth, by ``user_id``.

        Introduced in notebook 09. Columns: ``ctr`` (expected views per impression under the
        policy) and ``ctr_default`` (under the default feed), the feed's ``pull`` K and
        ``satisfaction`` S, and the resulting ``visit_rate_ratio`` and ``hazard_ratio``
        against the default feed (formulas in ``retainkit.simulate``): what a user treated
        with the policy in ``run_experiment`` gets while it lasts.
        """
        from retainkit.simulate._policies import RecommendationPolicy, policy_effects

        world = self._need_catalogue("policy_effects")
        if isinstance(policy, str):
            policy = _policy_by_name(policy)
        if not isinstance(policy, RecommendationPolicy):
            raise ValueError(f"policy must be a RecommendationPolicy or a name in POLICIES, got "
                             f"{type(policy).__name__}")  # fmt: skip
        index = np.arange(len(self.users))
        fb = policy_effects(policy, world, self._pop["topic_interest"], index, self._default_feed)
        return pd.DataFrame({
            "ctr": fb["ctr"], "ctr_default": fb["ctr_default"], "pull": fb["pull"],
            "satisfaction": fb["satisfaction"], "visit_rate_ratio": np.exp(fb["log_visit_ratio"]),
            "hazard_ratio": np.exp(fb["log_hazard_ratio"]),
        }, index=self.truth.index)  # fmt: skip



def item_column(item_index: np.ndarray) -> pd.arrays.IntegerArray:
    """Item indices (-1 = none) as a nullable Int64 column of item_ids (1-based)."""
    missing = item_index < 0
    return pd.arrays.IntegerArray(np.where(missing, 0, item_index + 1).astype(np.int64), missing)


def _policy_by_name(name: str):
    from retainkit.simulate._policies import POLICIES

    if name not in POLICIES:
        raise ValueError(f"policy must be a RecommendationPolicy or one of {sorted(POLICIES)}, "
                         f"got {name!r}")  # fmt: skip
    return POLICIES[name]

