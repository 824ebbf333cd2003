"""The application's clock: naive UTC datetimes, replaceable in tests.

`SPRO_CLOCK_OFFSET_DAYS` (rehearsals and multi-process tests only, never in production) runs a
process as if that many days had passed: a worker started with it fires the timers due by then."""
import os
from datetime import datetime, timedelta, timezone

_OFFSET = timedelta(days=float(os.environ.get("SPRO_CLOCK_OFFSET_DAYS") or 0))


def now() -> datetime:
    """Current time as a naive UTC datetime (the storage convention)."""
    return datetime.now(timezone.utc).replace(tzinfo=None) + _OFFSET
