"""GitHub workflow commands (`::error file=…::message`): escaping shared by every reporter."""

from __future__ import annotations


def gh_data(value: str) -> str:
    """Escape a workflow command's message (GitHub's rules: %, CR, LF)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_prop(value: str) -> str:
    """Escape a workflow command's property value (also ':' and ',')."""
    return gh_data(value).replace(":", "%3A").replace(",", "%2C")
