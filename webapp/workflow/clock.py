"""The time the engine's timers see: the application's clock, replaceable in tests.

SpiffWorkflow reads `datetime.now(timezone.utc)` inside its timer module; we give that module
a `datetime` whose `now()` asks the provider set here, so timers follow `webapp.clock`.
"""
from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module

_provider = None


def set_provider(provider) -> None:
    """`provider()` returns the current naive UTC datetime; None restores the system clock."""
    global _provider
    _provider = provider


class _ClockDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        if _provider is None:
            return datetime.now(tz)
        current = _provider().replace(tzinfo=timezone.utc)
        return current.astimezone(tz) if tz else current.replace(tzinfo=None)


_timer_module.datetime = _ClockDatetime
