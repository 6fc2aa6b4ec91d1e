"""English details the templates cannot know: articles before country names ("the United
States"), possessives ("the United States'", "Barbados'"), and a sentence's first letter.

Applied to every question and answer Podium writes, so a template can say "{country}'s"
and "won by {winners}" whatever the country is.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Country (team) names, as the Paris 2024 tables write them, that English puts "the" before.
NAMES_WITH_THE: tuple[str, ...] = (
    "Bahamas",
    "Cayman Islands",
    "Comoros",
    "Cook Islands",
    "Dominican Republic",
    "Gambia",
    "Maldives",
    "Marshall Islands",
    "Netherlands",
    "Philippines",
    "Refugee Olympic Team",
    "Republic of Moldova",
    "Seychelles",
    "Solomon Islands",
    "UA Emirates",
    "United States",
    "Virgin Islands, B",
    "Virgin Islands, US",
)

# "United States" not already after "the"/"The"; whole words only.
_ALTERNATIVES = "|".join(re.escape(name) for name in sorted(NAMES_WITH_THE, key=len, reverse=True))
_NEEDS_THE = re.compile(rf"(?<![Tt]he )(?<![\w-])({_ALTERNATIVES})(?![\w-])")
# "Bahamas's" → "Bahamas'" (a name ending in s takes the apostrophe alone).
_S_POSSESSIVE = re.compile(r"(?<=[sS])'s(?!\w)")


def polish(text: str) -> str:
    """`text` with articles before country names, s-possessives and a capital first letter."""
    return finish_sentence(add_articles(text))


# A word every name of NAMES_WITH_THE contains: most texts hold none, and one search is cheap.
_KEY_WORDS = ("Bahamas", "Islands", "Comoros", "Republic", "Gambia", "Maldives", "Netherlands", "Philippines")
_KEY_WORDS += ("Refugee", "Moldova", "Seychelles", "Emirates", "United States")
_MAY_NEED_THE = re.compile("|".join(_KEY_WORDS))


@lru_cache(maxsize=4096)  # slot values repeat (countries); a cache hit skips both searches
def add_articles(text: str) -> str:
    """ "the" before the country names in `text` that take it ("won by Netherlands" → "won by
    the Netherlands"). Templates apply it to slot values once per fact, not to every sentence."""
    if _MAY_NEED_THE.search(text) is None:
        return text
    return _NEEDS_THE.sub(r"the \1", text)


def finish_sentence(text: str) -> str:
    """s-possessives ("the United States'") and a capital first letter."""
    if "s's" in text:
        text = _S_POSSESSIVE.sub("'", text)
    if text[:4] == "the ":
        text = "The " + text[4:]
    return text


def capitalize_first(text: str) -> str:
    """`text` with its first letter in capitals ("gold in ..." → "Gold in ..."), the rest as written."""
    return text[:1].upper() + text[1:]


def join_list(items: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


__all__ = ["NAMES_WITH_THE", "add_articles", "capitalize_first", "finish_sentence", "join_list", "polish"]
