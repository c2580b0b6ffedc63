"""Repository-wide pytest configuration: nbval must not compare stderr.

nbval 0.11 compares every stream, stderr included, so a library's deprecation warning or a
TensorFlow log line would fail a notebook that is otherwise unchanged. Stored stderr outputs
are kept in the notebooks for readers; only the comparison drops them. (This file sits at the
repository root because a conftest in tests/ does not apply to notebooks/.)
"""


def _without_stderr(outputs):
    return [o for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def pytest_configure(config):
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval not installed: nothing to patch
        return
    if getattr(IPyNbCell.compare_outputs, "_drops_stderr", False):
        return
    compare = IPyNbCell.compare_outputs

    def compare_without_stderr(self, test, ref, skip_compare=None):
        return compare(self, _without_stderr(test), _without_stderr(ref), skip_compare)

    compare_without_stderr._drops_stderr = True
    IPyNbCell.compare_outputs = compare_without_stderr
