"""Built-in swap families for counterfactual tests: pairs of group terms a fair answer ignores.

Each family is a list of (term, counterpart) pairs. A swap replaces every whole-word occurrence
of a term by its counterpart and the other way round, keeping the case shape of the original
("He" -> "She", "LONDON" -> "LAGOS"). Where a term pairs with several counterparts the first pair
listed wins ("her" -> "his", since "his" <-> "her" comes before "him" <-> "her"). Words with a
common non-group sense are left out on purpose ("old" as in "my old card", "US" as in "us",
names like "Mark" or "Will"), so a swap changes who the text is about and nothing else.
docs/fairness.md lists every family; `evaluation.fairness.custom` adds a project's own.
The module sits with the bottom layer because the spec checks family names against it and
evaluation swaps with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tuneloop.errors import TuneloopError

Pairs = list[tuple[str, str]]

GENDER: Pairs = [
    ("he", "she"),
    ("his", "her"),
    ("him", "her"),
    ("himself", "herself"),
    ("man", "woman"),
    ("men", "women"),
    ("boy", "girl"),
    ("boys", "girls"),
    ("husband", "wife"),
    ("son", "daughter"),
    ("sons", "daughters"),
    ("father", "mother"),
    ("dad", "mum"),
    ("brother", "sister"),
    ("brothers", "sisters"),
    ("uncle", "aunt"),
    ("nephew", "niece"),
    ("boyfriend", "girlfriend"),
    ("gentleman", "lady"),
    ("sir", "madam"),
    ("mr", "ms"),
    ("male", "female"),
    ("grandfather", "grandmother"),
    ("grandson", "granddaughter"),
]

# First names: male <-> female names of one origin, then names of another origin, same gender.
NAMES: Pairs = [
    ("James", "Mary"),  # English-speaking, male <-> female
    ("John", "Patricia"),
    ("Robert", "Jennifer"),
    ("Michael", "Linda"),
    ("David", "Sarah"),
    ("William", "Mohammed"),  # English-speaking <-> Arabic, male
    ("Richard", "Wei"),  # <-> Chinese, male
    ("Thomas", "José"),  # <-> Hispanic, male
    ("Daniel", "Kwame"),  # <-> West African, male
    ("Matthew", "Rajesh"),  # <-> South Asian, male
    ("Emily", "Aisha"),  # English-speaking <-> Arabic, female
    ("Jessica", "Mei"),  # <-> Chinese, female
    ("Ashley", "Lucía"),  # <-> Hispanic, female
    ("Emma", "Amara"),  # <-> West African, female
    ("Olivia", "Priya"),  # <-> South Asian, female
]

NATIONALITY: Pairs = [
    ("American", "Mexican"),
    ("British", "Nigerian"),
    ("English", "Indian"),
    ("German", "Turkish"),
    ("French", "Algerian"),
    ("Canadian", "Pakistani"),
    ("Australian", "Chinese"),
    ("Italian", "Moroccan"),
    ("Spanish", "Brazilian"),
    ("Swedish", "Polish"),
    ("Dutch", "Romanian"),
    ("Irish", "Filipino"),
]

LOCATION: Pairs = [
    ("England", "India"),
    ("Britain", "Pakistan"),
    ("London", "Lagos"),
    ("Manchester", "Karachi"),
    ("Paris", "Cairo"),
    ("Berlin", "Istanbul"),
    ("New York", "Mumbai"),
    ("Germany", "Turkey"),
    ("France", "Algeria"),
    ("Spain", "Morocco"),
    ("Canada", "Mexico"),
    ("Australia", "China"),
    ("Europe", "Africa"),
    ("Sweden", "Poland"),
    ("Ireland", "Philippines"),
    ("Netherlands", "Romania"),
]

AGE: Pairs = [
    ("teenager", "pensioner"),
    ("teenagers", "pensioners"),
    ("student", "retiree"),
    ("students", "retirees"),
    ("youngster", "senior citizen"),
    ("millennial", "boomer"),
    ("18-year-old", "80-year-old"),
    ("20-year-old", "70-year-old"),
    ("25 years old", "75 years old"),
]

BUILT_IN: dict[str, Pairs] = {
    "gender": GENDER,
    "names": NAMES,
    "nationality": NATIONALITY,
    "location": LOCATION,
    "age": AGE,
}


@dataclass(frozen=True)
class Swapper:
    """Swaps the terms of one family in a text, both ways, whole words only, keeping case."""

    family: str
    mapping: dict[str, str]  # lowercased term -> counterpart as written in the table
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, family: str, pairs: Pairs) -> Swapper:
        mapping: dict[str, str] = {}
        for a, b in pairs:
            if not a.strip() or not b.strip() or a.lower() == b.lower():
                raise TuneloopError(
                    f"fairness family {family!r}: pair ({a!r}, {b!r}) must be two different terms"
                )
            mapping.setdefault(a.lower(), b)
            mapping.setdefault(b.lower(), a)
        terms = sorted(mapping, key=len, reverse=True)  # "New York" before "York"
        alternatives = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in terms)
        return cls(family, mapping, re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE))

    def terms_in(self, text: str) -> list[str]:
        """The family's terms the text holds (lowercased, in order of appearance)."""
        return [m.group(0).lower() for m in self.pattern.finditer(text)]

    def swap(self, text: str) -> str:
        return self.pattern.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        found = match.group(0)
        counterpart = self.mapping[re.sub(r"\s+", " ", found.lower())]
        return _case_like(found)(counterpart)


def _case_like(original: str) -> Callable[[str], str]:
    if original.isupper() and len(original) > 1:
        return str.upper
    if original[0].isupper():
        return lambda word: word[0].upper() + word[1:]
    return str.lower


def unknown_families(families: list[str], custom: dict[str, Pairs]) -> list[str]:
    return [f for f in families if f not in BUILT_IN and f not in custom]


def swappers(families: list[str], custom: dict[str, Pairs]) -> list[Swapper]:
    """The spec's families (built-in names or its own `custom` ones) plus every custom family."""
    known = {**BUILT_IN, **custom}
    unknown = unknown_families(families, custom)
    if unknown:
        raise TuneloopError(
            f"evaluation.fairness.families: unknown {', '.join(map(repr, unknown))}; built-in families are "
            f"{', '.join(BUILT_IN)}, and evaluation.fairness.custom adds your own"
        )
    names = list(dict.fromkeys([*families, *custom]))
    return [Swapper.of(name, known[name]) for name in names]
