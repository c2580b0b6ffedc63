"""From an event log to a modelling table: snapshots, churn labels, sequences, temporal splits.

Introduced in notebook 04. A *snapshot* freezes time at a ``cutoff``: features are computed
only from events at or before the cutoff, and the label looks forward over a ``horizon``::

    ---- lookback ----]---- horizon ----]
                   cutoff        cutoff + horizon
    features: events in (cutoff - lookback, cutoff]   (recency and tenure look further back)
    label:    churned = 1 when the user has no activity in (cutoff, cutoff + horizon]

All windows are half-open on the left and closed on the right, measured in 24-hour steps back
from the cutoff (not calendar days). Event logs are read by the events front door, with the
rules of :func:`retainkit.events.validate_events`: string, naive and aware timestamps; naive
ones (and a naive ``cutoff`` or ``as_of``) are wall-clock times in ``tz=``, or UTC with a
warning when no ``tz`` is given. Every time in a result is UTC.

==================  ==================  ========  ============================================
name                file                notebook  what it is
==================  ==================  ========  ============================================
make_snapshot       ``_snapshot.py``    04        features at a cutoff, label over a horizon
Snapshot            ``_snapshot.py``    04        ``(X, y, info)``, what make_snapshot returns
DEFAULT_WINDOWS     ``_snapshot.py``    04        the counting windows, in days
temporal_split      ``_split.py``       04        train and test snapshots that cannot leak
describe_feature    ``_columns.py``     04        description and unit of a snapshot column
FEATURES            ``_columns.py``     04        every feature make_snapshot can produce
COLUMN_KINDS        ``_columns.py``     04        the kinds of column (count, ratio, one_hot...)
DAY                 ``_activity.py``    04        one 24-hour step of the windows
count_columns       ``_columns.py``     05        the heavy-tailed count and duration columns
log_counts          ``_columns.py``     05        ``log1p`` of exactly those columns
activity_sequences  ``_sequences.py``   05        daily counts as a (users, days, channels) array
SEQUENCE_CHANNELS   ``_sequences.py``   05        the channels activity_sequences offers
==================  ==================  ========  ============================================

Private files: ``_input.py`` reads the log and the users' sign-up times through the events
front door, ``_activity.py`` computes the activity features, ``_attributes.py`` turns users
columns into one-hot or numeric columns.
"""

import warnings

from retainkit.features._activity import DAY
from retainkit.features._columns import (
    COLUMN_KINDS,
    FEATURES,
    count_columns,
    describe_feature,
    log_counts,
)
from retainkit.features._sequences import SEQUENCE_CHANNELS, activity_sequences
from retainkit.features._snapshot import DEFAULT_WINDOWS, Snapshot, make_snapshot
from retainkit.features._split import temporal_split

__all__ = [
    "Snapshot",
    "make_snapshot",
    "activity_sequences",
    "temporal_split",
    "count_columns",
    "log_counts",
    "describe_feature",
    "FEATURES",
    "COLUMN_KINDS",
    "DEFAULT_WINDOWS",
    "SEQUENCE_CHANNELS",
    "DAY",
]


def __getattr__(name: str):
    if name == "DEFAULT_ATTRIBUTES":  # removed public name: warn, keep the old value
        warnings.warn("retainkit.features.DEFAULT_ATTRIBUTES is deprecated: the default "
                      "attributes are now every categorical users column with at most "
                      "MAX_LEVELS distinct values (see make_snapshot)", DeprecationWarning,
                      stacklevel=2)
        return ("channel", "device", "region")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
