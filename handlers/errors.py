"""Errors the rules raise for bad input; bot/ turns them into 4xx answers."""

from __future__ import annotations


class InputError(Exception):
    """Bad input in named fields (422)."""

    def __init__(self, fields: dict[str, str], message: str = "invalid input") -> None:
        super().__init__(message)
        self.fields = fields
        self.message = message


class Conflict(Exception):
    """The request clashes with what is stored (409), e.g. a phone number already in use."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(Exception):
    """No such thing (404)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.message = f"{what} not found"
