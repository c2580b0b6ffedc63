"""retainkit: the helper package of the retainkit workbook on user retention.

Each topic is a subpackage (``retainkit/retention/``, ...) that matches a part of the workbook;
its ``__init__.py`` docstring has a table saying which file holds each name, and each public
function names, in its docstring, the notebook that introduces it (docs/helpers.md lists them
all):

============  =================================================================  ========
module        what it does                                                       notebook
============  =================================================================  ========
events        validate an event log; sessions                                    01
simulate      the attention-economy app simulator with known truth               01
datasets      checksummed data: simulated apps, CDNOW, sBG table, MovieLens    01
retention     cohort retention tables, brackets, DAU/MAU, stickiness, lifecycle  02
survival      Kaplan-Meier, Nelson-Aalen, exponential, Weibull, log-rank, sBG    03
features      leakage-free churn snapshots and activity sequences                04
models        Keras churn models: the seed MLP, better MLP, sequence, survival   05
evaluation    metrics for decisions: calibration, thresholds, lift, c-index      06
explain       SHAP explanations, driver tables and reason codes                  07
experiments   A/B tests on retention, SRM, RMST, power, CUPED, peeking, uplift   08
recommend     interaction data, popularity/kNN/ALS/two-tower, ranking metrics    09
clv           customer-base models: RFM, BG/NBD, Pareto/NBD, gamma-gamma, CLV    10
checks        the self-checks of the exercises (student copies keep them)        00-10
plotting      the workbook's figure style and one function per recurring plot    00-07
============  =================================================================  ========

Import the modules you need (``models`` and ``explain`` load TensorFlow, so they are not
imported here)::

    import retainkit as rk
    from retainkit import retention, survival
    rk.set_seed(42)
"""

__version__ = "0.1.0"

from retainkit._seed import set_seed
from retainkit.environment import check_environment

__all__ = ["__version__", "set_seed", "check_environment"]
