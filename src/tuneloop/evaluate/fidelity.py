"""Content fidelity of generated text where the input is structured: which values it states.

An input such as E2E's meaning representation, `name[The Eagle], eatType[coffee shop],
priceRange[cheap]`, lists attributes with values. For each attribute the output either
**states** the value, **omits** it, or **contradicts** it (states another value of the same
attribute); an attribute absent from the input but asserted by the output is **added**. The slot
error rate, by which E2E systems are judged (Dušek, Howcroft and Rieser 2019), is
(omitted + contradicted + added) / the input's attributes.

Matching works on text normalised by `normalise.dedup_text` (case, punctuation and spacing set
aside; £ kept), phrase by phrase as whole words, the longest phrase first, and a matched span is
used once, so "not family friendly" is never also read as "family friendly", and "high customer
rating" never as a high price. The rule per attribute kind:

- `name`, `near` (names): the value's normalised string occurs in the output; never contradicted
  or added (any other name is not another value of this attribute);
- `area`, `eatType`, `food`: the value's own words (and a few fixed variants: "city center",
  "by the river", "fast-food"); contradicted when another value of the kind occurs and this one
  does not;
- `priceRange`, `customer rating`: the surface forms people write for each value ("cheap",
  "inexpensive", "less than £20", "£20-25", "high-priced", "rated 5 out of 5", "highly rated",
  ...), so a high price and a high rating stay apart; a band and its word state each other
  (`EQUIVALENT`: less than £20 is cheap, 5 out of 5 is a high rating);
- "restaurant" is said of any venue: it states eatType[restaurant] but contradicts or adds
  nothing (`GENERIC`);
- `familyFriendly`: yes and no by phrases ("family-friendly", "kid friendly", "welcomes
  children" / "not family-friendly", "adults only", "no kids"); the negative phrases are longer,
  so they win over the positive ones they contain.

Any other attribute (or a value no lexicon knows) is stated when its normalised value occurs,
omitted otherwise. An input that is not a list of `attribute[value]` items has no fidelity.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from tuneloop.data.normalise import dedup_text
from tuneloop.evaluate.predict import Prediction

STATES = ("stated", "omitted", "contradicted", "added")
NAMES = ("name", "near")
_ITEM = re.compile(r"\s*([A-Za-z][\w ]*?)\s*\[([^\[\]]*)\]\s*")

#: Per attribute kind, per value (normalised), the phrases that state it.
LEXICON: dict[str, dict[str, tuple[str, ...]]] = {
    "area": {
        "city centre": ("city centre", "city center", "centre of the city", "center of the city", "city"),
        "riverside": ("riverside", "river side", "by the river", "near the river", "river"),
    },
    "eatType": {
        "coffee shop": ("coffee shop", "coffee house", "coffeeshop", "café", "cafe"),
        "pub": ("pub",),
        "restaurant": ("restaurant",),
    },
    "food": {
        "chinese": ("chinese",),
        "english": ("english", "british"),
        "fast food": ("fast food",),
        "french": ("french",),
        "indian": ("indian",),
        "italian": ("italian",),
        "japanese": ("japanese", "sushi"),
    },
    "priceRange": {
        "cheap": ("cheap", "inexpensive", "low price", "low prices", "low priced", "low cost", "affordable"),
        "moderate": (
            "moderate",
            "moderately priced",
            "moderate price",
            "average price",
            "average priced",
            "mid price",
        ),
        "high": (
            "high price",
            "high prices",
            "high priced",
            "expensive",
            "pricey",
            "price range is high",
            "high price range",
        ),
        "less than £20": ("less than £20", "under £20", "below £20", "cheaper than £20", "less than 20"),
        "£20 25": ("£20 25", "£20 £25", "20 25", "twenty to twenty five"),
        "more than £30": ("more than £30", "over £30", "above £30", "more than 30", "over 30", "£30"),
    },
    "customer rating": {
        "low": (
            "low customer rating",
            "low customer ratings",
            "very low customer rating",
            "low rating",
            "lowly rated",
            "poorly rated",
            "rated low",
            "rating is low",
            "low rated",
            "poor rating",
            "low ratings",
        ),
        "average": (
            "average customer rating",
            "average customer ratings",
            "average rating",
            "rated average",
            "averagely rated",
            "rating is average",
            "average ratings",
            "average rated",
        ),
        "high": (
            "high customer rating",
            "high customer ratings",
            "high rating",
            "highly rated",
            "rated highly",
            "rated high",
            "rating is high",
            "high ratings",
            "high rated",
            "well rated",
        ),
        "1 out of 5": ("1 out of 5", "one out of five", "1 star", "one star", "rating of 1", "rated 1"),
        "3 out of 5": ("3 out of 5", "three out of five", "3 star", "three star", "rating of 3", "rated 3"),
        "5 out of 5": ("5 out of 5", "five out of five", "5 star", "five star", "rating of 5", "rated 5"),
    },
    "familyFriendly": {
        "yes": (
            "family friendly",
            "kid friendly",
            "kids friendly",
            "child friendly",
            "children friendly",
            "for families",
            "welcomes children",
            "welcomes families",
            "for the whole family",
            "families welcome",
        ),
        "no": (
            "not family friendly",
            "not kid friendly",
            "not child friendly",
            "not children friendly",
            "non family friendly",
            "isn t family friendly",
            "isn t kid friendly",
            "is not family friendly",
            "adults only",
            "adult only",
            "no kids",
            "no children",
            "not for families",
            "not suitable for families",
            "not suitable for children",
            "not a family friendly",
            "not suited for families",
            "not suited for children",
            "non kid friendly",
            "non child friendly",
            "not suitable for kids",
            "not kids friendly",
            "no families",
            "aren t family friendly",
            "aren t kid friendly",
            "non children friendly",
            "not good for families",
        ),
    },
}


#: Values that state each other: E2E's bands and their words ("less than £20" is cheap).
EQUIVALENT: dict[str, tuple[frozenset[str], ...]] = {
    "priceRange": (frozenset({"cheap", "less than £20"}), frozenset({"moderate", "£20 25"}),
                   frozenset({"high", "more than £30"})),
    "customer rating": (frozenset({"low", "1 out of 5"}), frozenset({"average", "3 out of 5"}),
                        frozenset({"high", "5 out of 5"})),
}  # fmt: skip
#: Words people use for any venue: they state their own value but contradict or add nothing.
GENERIC: dict[str, set[str]] = {"eatType": {"restaurant"}}


def parse_attributes(text: str) -> dict[str, str] | None:
    """`attribute[value], ...` as {attribute: value} in input order; None for any other text."""
    items = [item for item in text.split("],") if item.strip()]
    found: dict[str, str] = {}
    for k, item in enumerate(items):
        match = _ITEM.fullmatch(item if k == len(items) - 1 else item + "]")
        if match is None:
            return None
        found[match.group(1)] = match.group(2).strip()
    return found or None


def fidelity_of(text: str, output: str) -> dict[str, str] | None:
    """Per attribute of the input `text`, what `output` does with it (`STATES`); None when the
    input is not structured."""
    attributes = parse_attributes(text)
    if attributes is None:
        return None
    said_text = dedup_text(output)
    names = [dedup_text(attributes[a]) for a in NAMES if a in attributes]
    mentioned = _mentions(_masked(said_text, names))  # "Café Rouge" is a name, not a coffee shop
    out = {}
    for attribute, value in attributes.items():
        key = dedup_text(value)
        values = LEXICON.get(attribute, {})
        if attribute in NAMES or key not in values:
            out[attribute] = "stated" if _has(said_text, key) else "omitted"
        else:
            said = mentioned.get(attribute, set())
            other = said - _accepted(attribute, key) - GENERIC.get(attribute, set())
            out[attribute] = (
                "stated" if said & _accepted(attribute, key) else "contradicted" if other else "omitted"
            )
    for attribute in LEXICON:
        if attribute not in attributes and mentioned.get(attribute, set()) - GENERIC.get(attribute, set()):
            out[attribute] = "added"
    return out


def _accepted(attribute: str, value: str) -> set[str]:
    """The value and the values that state the same (a price band and its word)."""
    return next((set(group) for group in EQUIVALENT.get(attribute, ()) if value in group), {value})


def slot_errors(fidelity: dict[str, str]) -> tuple[int, int]:
    """(errors, slots) of one output: omitted, contradicted and added over the input's slots."""
    errors = sum(state != "stated" for state in fidelity.values())
    return errors, sum(state != "added" for state in fidelity.values())


def fidelity_table(predictions: Sequence[Prediction]) -> dict[str, Any] | None:
    """Per attribute, how many outputs state, omit, contradict or add it, and its error rate;
    the slot error rate over all; a few outputs with errors. None without structured inputs."""
    judged = [p for p in predictions if p.fidelity is not None]
    if not judged:
        return None
    counts: dict[str, Counter[str]] = {}
    for p in judged:
        assert p.fidelity is not None
        for attribute, state in p.fidelity.items():
            counts.setdefault(attribute, Counter())[state] += 1
    errors, slots = (sum(x) for x in zip(*(slot_errors(p.fidelity or {}) for p in judged), strict=True))
    return {
        "inputs": len(judged),
        "slots": slots,
        "slot_error_rate": errors / slots if slots else 0.0,
        "attributes": {
            attribute: {**{s: c[s] for s in STATES}, "error_rate": _error_rate(c)}
            for attribute, c in sorted(counts.items(), key=lambda item: -item[1].total())
        },
        "errors": [
            {
                "input": p.text,
                "output": p.output,
                "wrong": {a: s for a, s in (p.fidelity or {}).items() if s != "stated"},
            }
            for p in judged
            if any(s != "stated" for s in (p.fidelity or {}).values())
        ][:5],
    }


def _error_rate(counts: Counter[str]) -> float | None:
    present = counts["stated"] + counts["omitted"] + counts["contradicted"]
    return (counts["omitted"] + counts["contradicted"]) / present if present else None


def _mentions(normalised: str) -> dict[str, set[str]]:
    """The values of every lexicon kind the text states, longest phrase first, each span once."""
    taken = [False] * len(normalised)
    found: dict[str, set[str]] = {}
    for phrase, meanings in _phrases():
        for match in _pattern(phrase).finditer(normalised):
            if not any(taken[match.start() : match.end()]):
                taken[match.start() : match.end()] = [True] * (match.end() - match.start())
                for attribute, value in meanings:
                    found.setdefault(attribute, set()).add(value)
    return found


def _masked(normalised: str, names: list[str]) -> str:
    for name in (n for n in names if n):
        normalised = _pattern(name).sub(lambda m: " " * len(m.group(0)), normalised)
    return normalised


def _has(normalised: str, value: str) -> bool:
    return bool(value) and _pattern(value).search(normalised) is not None


@lru_cache(maxsize=1)
def _phrases() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every lexicon phrase (normalised) with what it states, the longest first."""
    meanings: dict[str, list[tuple[str, str]]] = {}
    for attribute, values in LEXICON.items():
        for value, phrases in values.items():
            for phrase in phrases:
                meanings.setdefault(dedup_text(phrase), []).append((attribute, value))
    return sorted(meanings.items(), key=lambda item: -len(item[0]))


@lru_cache(maxsize=512)
def _pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")
