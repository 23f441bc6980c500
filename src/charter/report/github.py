"""GitHub workflow commands (`::error file=…::message`): escaping shared by every reporter."""

from __future__ import annotations

import re

from .escape import safe_text

# Controls other than CR and LF (which GitHub's own escaping covers, keeping a
# message's intended line breaks) are made visible, as in every other format.
_OTHER_CONTROLS = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def gh_data(value: str) -> str:
    """Escape a workflow command's message (GitHub's rules: %, CR, LF); other control
    characters are shown escaped. A line break inside the message stays inside the
    annotation: the command is one line, so nothing in it can start another."""
    value = _OTHER_CONTROLS.sub(lambda m: safe_text(m.group()), value)
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_prop(value: str) -> str:
    """Escape a workflow command's property value (also ':' and ',')."""
    return gh_data(value).replace(":", "%3A").replace(",", "%2C")
