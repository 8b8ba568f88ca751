"""The one exception family the CLI turns into a one-line message (never a traceback)."""


class TandemError(Exception):
    """A problem a person can fix; ``str()`` says what to do next."""

    exit_code = 1
