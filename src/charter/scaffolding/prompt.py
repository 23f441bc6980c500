"""Questions at a terminal, on injected streams so that tests can answer them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from .usecase import Choice

MAX_TRIES = 3


class PromptAborted(Exception):
    """No usable answer: end of input, or too many invalid ones."""


class Prompter:
    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self.stdin, self.stdout = stdin, stdout

    def _ask(self, question: str) -> str:
        self.stdout.write(question)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            raise PromptAborted("no answer (end of input)")
        return line.strip()

    def say(self, text: str) -> None:
        self.stdout.write(text + "\n")

    def choose(self, question: str, options: Sequence[Choice]) -> str:
        """An option's id, answered by its number or its id; no default, so nothing is picked silently."""
        if not options:
            raise PromptAborted(f"{question}: there is nothing to choose from")
        self.say(question)
        for i, c in enumerate(options, 1):
            self.say(f"  {i}) {c.id}" + (f" — {c.label}" if c.label != c.id else ""))
        ids = [c.id for c in options]
        for _ in range(MAX_TRIES):
            answer = self._ask(f"choose 1-{len(options)} or an id: ")
            if answer.isdigit() and 1 <= int(answer) <= len(options):
                return ids[int(answer) - 1]
            if answer in ids:
                return answer
            self.say(f"'{answer}' is not one of the choices")
        raise PromptAborted(f"{question}: no valid choice after {MAX_TRIES} tries")

    def confirm(self, question: str, *, default: bool | None = None) -> bool:
        hint = {True: "[Y/n]", False: "[y/N]", None: "[y/n]"}[default]
        for _ in range(MAX_TRIES):
            answer = self._ask(f"{question} {hint} ").lower()
            if not answer and default is not None:
                return default
            if answer in ("y", "yes"):
                return True
            if answer in ("n", "no"):
                return False
            self.say("answer y or n")
        raise PromptAborted(f"{question}: no answer after {MAX_TRIES} tries")

    def pick_many(self, question: str, proposed: Sequence[str], allowed: Sequence[str]) -> list[str]:
        """Accept the proposal (Enter or 'y'), or list other columns separated by commas ('none' for none)."""
        shown = ", ".join(proposed) if proposed else "none"
        for _ in range(MAX_TRIES):
            answer = self._ask(f"{question} [{shown}] (Enter to accept, 'none', or a comma-separated list): ")
            if answer.lower() in ("", "y", "yes"):
                return list(proposed)
            if answer.lower() in ("none", "n", "no", "-"):
                return []
            names = [n.strip() for n in answer.split(",") if n.strip()]
            unknown = [n for n in names if n not in allowed]
            if not unknown:
                return list(dict.fromkeys(names))
            self.say(f"not a column: {', '.join(unknown)}")
        raise PromptAborted(f"{question}: no valid answer after {MAX_TRIES} tries")

    def value(self, question: str, options: Sequence[str]) -> str:
        """One of a few values (a label, a column), typed exactly."""
        for _ in range(MAX_TRIES):
            answer = self._ask(f"{question} ({', '.join(options)}): ")
            if answer in options:
                return answer
            self.say(f"'{answer}' is not one of them")
        raise PromptAborted(f"{question}: no valid answer after {MAX_TRIES} tries")
