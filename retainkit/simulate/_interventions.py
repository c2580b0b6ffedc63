"""Simulation.run_experiment: interventions with both potential outcomes known (notebook 08).

A mixin of :class:`retainkit.simulate.Simulation`; the work is done in ``_experiment.py``.
"""

from __future__ import annotations


class Interventions:
    """The experiment method of a Simulation."""

    def run_experiment(self, treatment, *, start, share=0.5, eligible=None, seed=0, window=None):
        """Run a randomised experiment with both potential outcomes known.

        Introduced in notebook 08. Eligible users are randomised, one coin each with
        probability ``share`` of ``"treatment"``, and every eligible user's future from their
        entry time on (``start``, or the sign-up for ``audience="new_signups"``) is known
        under both arms with **common random numbers**: under control the world is exactly
        this simulation (same churn times, same events), and the history before entry is the
        same in both. ``Experiment.events`` holds each user's assigned arm only. The model is
        written out in the docstring of ``retainkit.simulate``.

        Parameters
        ----------
        treatment : Treatment or str
            A :class:`Treatment` or a name in ``TREATMENTS``.
        start : str or pandas.Timestamp
            When the experiment starts; naive values are UTC; strictly inside the window.
        share : float, default 0.5
            Probability of the treatment arm, in (0, 1).
        eligible : callable or None, default None
            The observable rule deciding who is in the experiment. None: for the audience
            ``"active"``, users who signed up before ``start`` with an event in the 28 days
            before it (some of them have already churned: lost causes); for
            ``"new_signups"``, everyone who signs up during enrolment. A callable gets
            ``(users, history)`` (the candidates' observable columns ``user_id``,
            ``signup_time``, ``channel``, ``device``, ``region``, and the events before
            ``start``) and returns a boolean Series by ``user_id`` or one boolean per row.
        seed : int, default 0
            Seeds the assignment, the uptake draws and the treated world's new visits.
        window : (float, float) or None, default None
            Primary outcome window in days after entry; None uses ``treatment.window_days``.

        Returns
        -------
        Experiment

        With a catalogue, ``treatment`` may be a :class:`RecommendationPolicy` (or a name in
        ``POLICIES``): treated users see its feeds during ``[e, e + duration_days)``; control
        is the default feed (the plain simulation).

        Examples
        --------
        >>> from retainkit.simulate import simulate_app
        >>> sim = simulate_app("social", n_users=400, days=60, seed=3)
        >>> exp = sim.run_experiment("retention_offer", start="2026-02-01", seed=1)
        >>> sorted(exp.assignment.unique())
        ['control', 'treatment']
        >>> lost = ~exp.potential["alive_at_entry"]
        >>> bool((exp.potential.loc[lost, "true_effect"] == 0).all())
        True
        """
        from retainkit.simulate._experiment import run_experiment

        return run_experiment(self, treatment, start=start, share=share, eligible=eligible,
                              seed=seed, window=window)  # fmt: skip
