"""retainkit: the helper package of the retainkit workbook on user retention.

Each module matches a part of the workbook and each public function names, in its
docstring, the notebook that introduces it. Import the modules you need::

    import retainkit as rk
    rk.set_seed(42)
    from retainkit import retention, survival
"""

__version__ = "0.1.0"

from retainkit._seed import set_seed
from retainkit.environment import check_environment

__all__ = ["__version__", "set_seed", "check_environment"]
