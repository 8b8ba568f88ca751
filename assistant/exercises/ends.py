"""How a run of an exercise ends before its last step: exceptions that unwind it to ``Run.run``."""

from __future__ import annotations


class Stopped(Exception):
    """The couple said stop."""


class LeftPaused(Exception):
    """The break ran out without them coming back: the exercise stays paused, to resume later."""


class Drifted(Exception):
    """Nobody has answered for several steps."""


class Closed(Exception):
    """A close step ran: the exercise is complete."""
