"""Keras churn models: the seed's MLP, a better MLP, a sequence model, a survival network.

Introduced in notebook 05. Importing this module imports Keras (a few seconds); every other
retainkit module stays light. All classifiers output P(churn) from a sigmoid and are trained
with binary cross-entropy on ``y`` from ``retainkit.features.make_snapshot`` (1 = churned).

Models save and load in the native ``.keras`` format: ``model.save("m.keras")`` and
``retainkit.models.load_model("m.keras")``. The custom pieces (``discrete_hazard_loss``,
``Log1p``) are registered with ``keras.saving.register_keras_serializable`` under the package
name ``retainkit``, so ``keras.saving.load_model`` also works once this module is imported
(the registration is by name, so moving code between files never breaks a saved model).

===========================  ================  ========  =====================================
name                         file              notebook  what it is
===========================  ================  ========  =====================================
build_seed_mlp               ``_mlp.py``       05        the seed code's 64-32-1 network
build_churn_mlp              ``_mlp.py``       05        the better MLP (normalisation, dropout)
fit_model                    ``_mlp.py``       05        training with early stopping
load_model                   ``_mlp.py``       05        load a ``.keras`` file
build_sequence_model         ``_sequence.py``  05        GRU or Conv1D over activity sequences
Log1p                        ``_sequence.py``  05        the log(1 + x) layer of the sequences
discrete_hazard_targets      ``_survival.py``  05        interval targets of a survival network
discrete_hazard_loss         ``_survival.py``  05        its censoring-aware loss
build_discrete_hazard_model  ``_survival.py``  05        the discrete-time survival network
predict_survival             ``_survival.py``  05        S(t) at the cuts from that network
===========================  ================  ========  =====================================

Private: ``_common.py`` (normalisation, dense stacks, metrics).
"""

from retainkit.models._mlp import build_churn_mlp, build_seed_mlp, fit_model, load_model
from retainkit.models._sequence import Log1p, build_sequence_model
from retainkit.models._survival import (
    build_discrete_hazard_model,
    discrete_hazard_loss,
    discrete_hazard_targets,
    predict_survival,
)

__all__ = [
    "build_seed_mlp",
    "build_churn_mlp",
    "fit_model",
    "build_sequence_model",
    "Log1p",
    "discrete_hazard_targets",
    "discrete_hazard_loss",
    "build_discrete_hazard_model",
    "predict_survival",
    "load_model",
]
