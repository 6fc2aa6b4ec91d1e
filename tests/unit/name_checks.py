"""An athlete-name check shared by the name tests and the re-derivation check; written
from the CSV columns' meaning, independently of the fact SQL (sql/facts/_athlete_display.sql)."""

from __future__ import annotations

import re

_INITIAL = re.compile(r"^\w(?:\.\w)*\.?$")


def abbreviated(display: str, name: str, name_tv: str = "") -> bool:
    """`display` abbreviates or swaps a given name that athletes.csv's `name` column spells out:
    an initial stands for it ("Zhu T" for "ZHU Ting"), or a word of an all-capitals TV form
    that `name` lacks replaces it ("Loser Bruno" for "LOSER Agustin"). A mixed-case TV form's
    nickname ("Ben Walker" for "WALKER Benjamin") is how people write the name, and a name
    column that lost a final letter ("ELHAGE Phili") is spelt out by the TV form ("Philip")."""
    shown = [w.casefold().rstrip(".") for w in display.split()]
    given = [w.casefold() for w in name.split() if any(c.islower() for c in w) and not _INITIAL.match(w)]
    missing = [g for g in given if not any(s.startswith(g) for s in shown)]
    initials = {w.casefold()[0] for w in display.split() if _INITIAL.match(w)}
    if any(g[0] in initials for g in missing):
        return True
    capitals_only = bool(name_tv) and not any(c.islower() for c in name_tv)
    foreign = {w.casefold() for w in name_tv.split()} - {w.casefold() for w in name.split()} if capitals_only else set()
    return len(missing) == len(given) > 0 and any(s in foreign for s in shown)
