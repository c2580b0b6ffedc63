"""Event logs: the front door of retainkit, and sessions (introduced in notebook 01).

The canonical event log has one row per event and the columns ``user_id``, ``timestamp``
(tz-aware, UTC) and ``event`` (str), plus any others you bring along. ``validate_events``
produces it from your own export (your column names, local wall-clock times, string
timestamps), and every helper that takes events reads them with the same rules, so a log
behaves the same everywhere.

================  ==================  ========  =================================================
name              file                notebook  what it does
================  ==================  ========  =================================================
validate_events   ``_validate.py``    01        check a log, parse times (``tz=``, ``format=``),
                                                report every problem at once, canonical shape
sessionize        ``_sessions.py``    01        add ``session_id`` (a new session after a gap)
sessions          ``_sessions.py``    01        one row per session: start, end, duration
================  ==================  ========  =================================================

Private files: ``_timestamps.py`` holds the timestamp rules (naive, aware, strings, DST) and
``_reader.py`` the reader that the other topics use instead of parsing logs themselves.
"""

from retainkit.events._sessions import sessionize, sessions
from retainkit.events._validate import validate_events

__all__ = ["validate_events", "sessionize", "sessions"]
