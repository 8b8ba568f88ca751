"""The one exception family the CLI turns into a one-line message (never a traceback)."""


class TandemError(Exception):
    """A problem a person can fix; ``str()`` says what to do next."""

    exit_code = 1


class ScriptError(TandemError):
    """A file in ``scripts/`` (an exercise, its banks, the phrases, the replies) that cannot be used, as
    ``file:line: what is wrong``."""
