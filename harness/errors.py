"""The one exception type users see: a one-line message that names the thing and the fix."""


class HarnessError(Exception):
    """Bad input or a missing resource; str(e) is a single line meant for the user."""


class ModelUnavailable(HarnessError):
    """Weights are not present locally; callers skip rather than fail."""
