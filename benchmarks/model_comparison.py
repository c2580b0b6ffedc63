"""The fair comparison protocol of notebook 05 (issue 15): every churn model, several runs.

Regenerate the committed results (7.5 minutes of CPU time, measured; on a shared machine
under load the wall time was 28 minutes)::

    .venv/bin/python benchmarks/model_comparison.py

writes ``benchmarks/results/model_comparison.csv`` (one row per simulation x seed x model)
and prints the summary table and the wall time. ``--sims 3 --seeds 5`` are the defaults;
``--quick`` runs one simulation and two seeds, to try the script (it does not overwrite the
committed file unless ``--out`` says so); ``--summary`` only prints the summary of the
committed file.

The protocol, the same for every model:

- **Data.** ``simulate_app("social", n_users=8000, days=150, seed=s)`` for s = 3, 4, 5 (seed
  3 is notebook 05's simulation). A rolling-origin fold (``retainkit.evaluation.
  rolling_origin``): training snapshots at ``end - 84D`` and ``end - 56D`` stacked, the test
  snapshot at ``end - 28D`` (notebook 05's test cutoff); 28-day horizon, population active
  within 14 days of the cutoff.
- **Validation budget.** For each seed, 20 % of the training users (all their snapshots:
  ``stratified_split(..., groups=user_id)``) are the validation rows of *every* model:
  logistic regression picks C in {0.01, 0.1, 1, 10}; gradient boosting picks one of 8 settings
  (learning_rate in {0.05, 0.1} x max_leaf_nodes in {7, 31} x min_samples_leaf in {20, 80},
  l2_regularization 1, max_features 0.8) and its number of trees by early stopping on the same
  rows (patience 10); the networks early-stop on them (patience 5). The choice is by
  validation log loss. The seed changes the validation rows, the networks' initial weights and
  shuffling, and boosting's feature subsampling.
- **Models.** recency only (``recency_days`` as the score), logistic regression (log1p counts,
  standardised), tuned HistGradientBoosting (raw features), the seed's 64-32-1 MLP (its ten
  features, unscaled, 10 epochs at batch 32, as the seed trained it), the improved MLP
  (``build_churn_mlp``: log1p, normalisation, 64-32, dropout 0.2, Adam 3e-3), a GRU (16 units)
  over 56 days of ``activity_sequences`` with channels visits, events and the ``signed_up``
  mask, plus the static features; and the oracle, ``Simulation.oracle_churn_probability``
  (the simulator's true probability; no seed, repeated for each seed).
- **Metrics** on all test users and on those alive at the cutoff (``Simulation.alive_at``,
  the users a campaign can reach): ROC AUC, PR AUC (average precision) and Brier score, with
  scikit-learn's implementations. Summaries: mean ± sd over the 15 runs, and paired
  differences from the best model with t intervals over the 3 simulation means
  (``retainkit.evaluation.summarize_runs``).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,  # noqa: E402
)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import retainkit as rk  # noqa: E402
import retainkit.models as rm  # noqa: E402
from retainkit.evaluation import rolling_origin, stratified_split, summarize_runs  # noqa: E402
from retainkit.features import activity_sequences, log_counts  # noqa: E402
from retainkit.simulate import simulate_app  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "model_comparison.csv"
SIM_SEEDS = (3, 4, 5, 6, 7)
SEED_FEATURES = ["recency_days", "visits_7d", "visits_28d", "events_7d", "events_28d",
                 "active_days_7d", "active_days_28d", "sessions", "session_length_mean_min",
                 "tenure_days"]
CHANNELS = ("visits", "events", "signed_up")
C_GRID = (0.01, 0.1, 1.0, 10.0)
BOOSTING_GRID = [dict(learning_rate=lr, max_leaf_nodes=leaves, min_samples_leaf=leaf)
                 for lr in (0.05, 0.1) for leaves in (7, 31) for leaf in (20, 80)]
MODELS = ("recency only", "logistic regression", "tuned boosting", "seed MLP 64-32-1",
          "improved MLP", "GRU + sign-up mask", "oracle")


def prepare(sim_seed: int) -> dict:
    """One simulation: the stacked training fold, the test snapshot, sequences, truth."""
    sim = simulate_app("social", n_users=8000, days=150, seed=sim_seed)
    test_cutoff = sim.end - pd.Timedelta("28D")
    cutoffs = [test_cutoff - pd.Timedelta("56D"), test_cutoff - pd.Timedelta("28D"), test_cutoff]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the users columns left out, reported per snapshot
        (fold,) = rolling_origin(sim.events, sim.users, cutoffs=cutoffs, horizon="28D",
                                 min_train=2, active_within="14D", as_of=sim.end)
    train, test = fold.train, fold.test
    row_cutoff = train.info["row_cutoff"]
    seq_train = np.concatenate([
        activity_sequences(sim.events, sim.users, cutoff=c, days=56, channels=CHANNELS,
                           index=train.X.index[row_cutoff == c]) for c in cutoffs[:2]])
    seq_test = activity_sequences(sim.events, sim.users, cutoff=test_cutoff, days=56,
                                  channels=CHANNELS, index=test.X.index)
    return dict(sim=sim, train=train, groups=fold.groups, test=test, seq_train=seq_train,
                seq_test=seq_test, alive=sim.alive_at(test_cutoff).reindex(test.X.index)
                .to_numpy(), oracle=sim.oracle_churn_probability(test_cutoff, "28D")
                .reindex(test.X.index).to_numpy())


def scores_for_seed(d: dict, seed: int) -> dict[str, np.ndarray]:
    """Every model's test scores for one seed (validation rows drawn with that seed)."""
    train, test = d["train"], d["test"]
    fit, val = stratified_split(train.y, share=0.2, groups=d["groups"], seed=seed)
    y_fit, y_val = train.y.iloc[fit], train.y.iloc[val]
    Xl, Xl_test = log_counts(train.X), log_counts(test.X)
    out = {"recency only": test.X["recency_days"].to_numpy(float)}
    with threadpool_limits(1):
        best = None
        for c in C_GRID:
            model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
            model.fit(Xl.iloc[fit], y_fit)
            loss = log_loss(y_val, model.predict_proba(Xl.iloc[val])[:, 1])
            best = min(best or (np.inf, None), (loss, model), key=lambda t: t[0])
        out["logistic regression"] = best[1].predict_proba(Xl_test)[:, 1]
        best = None
        for setting in BOOSTING_GRID:
            model = HistGradientBoostingClassifier(
                max_iter=500, early_stopping=True, n_iter_no_change=10, scoring="loss",
                l2_regularization=1.0, max_features=0.8, random_state=seed, **setting)
            model.fit(train.X.iloc[fit], y_fit, X_val=train.X.iloc[val], y_val=y_val)
            loss = log_loss(y_val, model.predict_proba(train.X.iloc[val])[:, 1])
            best = min(best or (np.inf, None), (loss, model), key=lambda t: t[0])
        out["tuned boosting"] = best[1].predict_proba(test.X)[:, 1]

    rk.set_seed(seed)
    seed_model = rm.build_seed_mlp(len(SEED_FEATURES))
    rm.fit_model(seed_model, train.X[SEED_FEATURES].iloc[fit], y_fit, seed=seed, epochs=10,
                 batch_size=32)
    out["seed MLP 64-32-1"] = seed_model.predict(test.X[SEED_FEATURES], verbose=0).ravel()

    rk.set_seed(seed)
    mlp = rm.build_churn_mlp(Xl.iloc[fit], hidden=(64, 32), dropout=0.2, learning_rate=3e-3)
    rm.fit_model(mlp, Xl.iloc[fit], y_fit, validation_data=(Xl.iloc[val], y_val), seed=seed)
    out["improved MLP"] = mlp.predict(Xl_test, verbose=0).ravel()

    rk.set_seed(seed)
    seq_fit, seq_val = d["seq_train"][fit], d["seq_train"][val]
    gru = rm.build_sequence_model(56, len(CHANNELS), Xl.shape[1], kind="gru", units=16,
                                  learning_rate=3e-3, sequence_data=seq_fit,
                                  static_data=Xl.iloc[fit])
    rm.fit_model(gru, [seq_fit, Xl.iloc[fit]], y_fit, seed=seed,
                 validation_data=([seq_val, Xl.iloc[val]], y_val))
    out["GRU + sign-up mask"] = gru.predict([d["seq_test"], Xl_test], verbose=0).ravel()
    out["oracle"] = d["oracle"]
    return out


def metrics(y: np.ndarray, p: np.ndarray, alive: np.ndarray) -> dict[str, float]:
    row = {}
    for suffix, rows in (("", slice(None)), ("_alive", alive)):
        row[f"roc_auc{suffix}"] = roc_auc_score(y[rows], p[rows])
        row[f"pr_auc{suffix}"] = average_precision_score(y[rows], p[rows])
        # the recency score is not a probability: no Brier score for it
        row[f"brier{suffix}"] = brier_score_loss(y[rows], p[rows]) if p.max() <= 1 else np.nan
    return row


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1 simulation, 2 seeds")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--summary", action="store_true", help="summarise the committed file")
    args = parser.parse_args(argv)
    if args.summary:
        runs = pd.read_csv(RESULTS)
        print_summary(runs)
        return runs
    sims, seeds = (1, 2) if args.quick else (args.sims, args.seeds)
    out = args.out or (None if args.quick else RESULTS)
    start, cpu = time.perf_counter(), time.process_time()
    rows = []
    for sim_seed in SIM_SEEDS[:sims]:
        d = prepare(sim_seed)
        y = d["test"].y.to_numpy()
        for seed in range(seeds):
            for name, p in scores_for_seed(d, seed).items():
                rows.append(dict(simulation=sim_seed, seed=seed, model=name, n_test=len(y),
                                 n_alive=int(d["alive"].sum()),
                                 positives_alive=int(y[d["alive"]].sum()),
                                 **metrics(y, np.asarray(p, float), d["alive"])))
            print(f"simulation {sim_seed}, seed {seed}: {time.perf_counter() - start:.0f} s "
                  f"(CPU {time.process_time() - cpu:.0f} s)", flush=True)
    runs = pd.DataFrame(rows)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        runs.round(6).to_csv(out, index=False)
        print(f"wrote {out}")
    print_summary(runs)
    print(f"wall time {time.perf_counter() - start:.0f} s, CPU time {time.process_time() - cpu:.0f} s "
          f"({sims} simulations x {seeds} seeds x {len(MODELS)} models)")
    return runs


def print_summary(runs: pd.DataFrame) -> None:
    """Mean ± sd per model, and paired differences from the oracle on the reachable users."""
    table = summarize_runs(runs, metrics=["roc_auc_alive", "roc_auc", "pr_auc_alive",
                                          "brier_alive"], reference="oracle")
    cols = [f"{m}_{s}" for m in ("roc_auc_alive", "roc_auc", "pr_auc_alive", "brier_alive")
            for s in ("mean", "sd")] + ["roc_auc_alive_diff", "roc_auc_alive_diff_lower",
                                        "roc_auc_alive_diff_upper"]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table[cols].round(3))


if __name__ == "__main__":
    main()
