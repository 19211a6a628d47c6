"""Errors of the annotation store: each says which rule a request broke, so a route can show it as is."""

from __future__ import annotations

from tuneloop.errors import TuneloopError


class StoreError(TuneloopError):
    """A request the store refuses; the message names the rule."""


class NotFound(StoreError):
    """A user, item, annotation or guideline version that does not exist."""


class NotAllowed(StoreError):
    """The user's role, or their part in an item, rules the request out."""


class InvalidLabel(StoreError):
    """A label that the item's label schema does not accept."""


class WrongState(StoreError):
    """The item or assignment is not in the state the request needs (closed, not claimed, ...)."""


class LoginRefused(StoreError):
    """A wrong user name or password; the message never says which, so names cannot be probed."""


class TooManyAttempts(StoreError):
    """Too many failed logins for this user name or from this client address; wait and retry."""
