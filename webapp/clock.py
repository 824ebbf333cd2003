"""The application's clock: naive UTC datetimes, replaceable in tests."""
from datetime import datetime, timezone


def now() -> datetime:
    """Current time as a naive UTC datetime (the storage convention)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
