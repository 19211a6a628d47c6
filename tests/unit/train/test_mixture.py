"""A phase's mixture: weighted draws from its sources, in proportion, upsampled only when short."""

from __future__ import annotations

from collections import Counter

from tuneloop.data.example import Example, build_messages
from tuneloop.spec import Phase
from tuneloop.train.mixture import draw_rows


def _examples(n: int, prefix: str, label: str | None) -> list[Example]:
    return [
        Example(build_messages(f"{prefix} {i}", label, None), label, f"{prefix}.csv:{i}") for i in range(n)
    ]


PARTS = {"train": _examples(80, "task", "card_arrival"), "unlabeled": _examples(30, "general", None)}


def test_the_first_source_keeps_every_row_and_the_others_follow_their_weight() -> None:
    phase = Phase(name="task", kind="sft", mix={"task": 0.8, "unlabeled": 0.2})
    rows, mix = draw_rows(phase, PARTS, seed=0)
    assert [(m.source, m.available, m.drawn, m.upsampled) for m in mix] == [
        ("task", 80, 80, False),
        ("unlabeled", 30, 20, False),
    ]
    general = [r for r in rows if r.as_text]
    assert len(general) == 20 and len({r.example.id for r in general}) == 20  # no repeats when enough
    assert all(r.example.label for r in rows if not r.as_text)  # task rows stay chat rows in sft


def test_a_short_source_is_upsampled_and_says_so() -> None:
    phase = Phase(name="task", kind="sft", mix={"task": 0.5, "unlabeled": 0.5})
    rows, mix = draw_rows(phase, PARTS, seed=0)
    assert mix[1].drawn == 80 and mix[1].upsampled
    copies = Counter(r.example.id for r in rows if r.as_text)
    assert set(copies.values()) <= {2, 3} and len(copies) == 30  # every row, then a draw of the rest


def test_max_rows_scales_every_source_and_draws_are_seeded() -> None:
    phase = Phase(name="general", kind="causal_lm", max_rows=55, mix={"task": 3, "unlabeled": 1})
    rows, mix = draw_rows(phase, PARTS, seed=1)
    assert [m.drawn for m in mix] == [41, 13] and all(r.as_text for r in rows)
    assert rows == draw_rows(phase, PARTS, seed=1)[0]
    assert rows != draw_rows(phase, PARTS, seed=2)[0]


def test_without_a_mix_each_kind_reads_its_default_sources() -> None:
    causal = draw_rows(Phase(name="g", kind="causal_lm"), PARTS, seed=0)[1]
    assert [(m.source, m.drawn) for m in causal] == [("task", 80), ("unlabeled", 30)]
    sft = draw_rows(Phase(name="t", kind="sft"), PARTS, seed=0)[1]
    assert [(m.source, m.drawn) for m in sft] == [("task", 80)]


def test_inputs_replay_the_task_text_as_language_modelling_in_a_task_phase() -> None:
    phase = Phase(name="task", kind="sft", mix={"task": 0.75, "inputs": 0.25})
    rows, mix = draw_rows(phase, PARTS, seed=0)
    replayed = [r for r in rows if r.as_text]
    assert [m.drawn for m in mix] == [80, 27] and len(replayed) == 27
    assert {r.example.id for r in replayed} <= {e.id for e in PARTS["train"]}
