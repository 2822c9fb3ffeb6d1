"""Prompt files, rendered by name and language.

Prompts are package data (``prompts/<name>.<language>.md``), read with importlib.resources so
they ship inside the wheel and can be reviewed like code. Variables are ``$name`` / ``${name}``
(``string.Template``: prompt text is full of braces and JSON, which ``str.format`` would trip
on). Rendering is strict both ways: a variable the file uses but the caller did not give, or
one the caller gave but the file does not use, raises ``PromptError`` - a renamed variable must
fail a test, not silently ship "$shop_name" to customers.
"""

from __future__ import annotations

import functools
import string
from importlib import resources
from typing import Any, Literal

Language = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = ("vi", "en")


class PromptError(Exception):
    """A prompt file is missing or its variables do not match the caller's."""


@functools.cache
def source(name: str, language: Language) -> str:
    """The raw text of ``<name>.<language>.md``; files are read once per process."""
    path = resources.files(__package__).joinpath(f"{name}.{language}.md")
    if not path.is_file():
        raise PromptError(f"there is no prompt {name}.{language}.md")
    return path.read_text(encoding="utf-8")


def variables(name: str, language: Language) -> set[str]:
    """The variable names a prompt file uses."""
    template = string.Template(source(name, language))
    return set(template.get_identifiers())


def render(name: str, language: Language, /, **values: Any) -> str:
    """The prompt with every variable filled; see the module docstring for the strictness."""
    template = string.Template(source(name, language))
    if not template.is_valid():
        raise PromptError(f"{name}.{language}.md has a malformed $ placeholder (use $$ for $)")
    wanted = set(template.get_identifiers())
    missing = sorted(wanted - set(values))
    if missing:
        raise PromptError(f"{name}.{language}.md needs {', '.join(missing)}")
    unused = sorted(set(values) - wanted)
    if unused:
        raise PromptError(f"{name}.{language}.md does not use {', '.join(unused)}")
    return template.substitute({k: str(v) for k, v in values.items()}).strip()


def names() -> list[tuple[str, Language]]:
    """Every (name, language) pair shipped, for tests that render them all."""
    out: list[tuple[str, Language]] = []
    for entry in resources.files(__package__).iterdir():
        parts = entry.name.split(".")
        if len(parts) == 3 and parts[2] == "md" and parts[1] in LANGUAGES:
            out.append((parts[0], parts[1]))  # type: ignore[arg-type]
    return sorted(out)
