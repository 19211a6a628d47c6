"""What a preference phase reads: feedback in the store as KTO ratings and DPO pairs, the data's
preference rows from the quarantine, and the KTO weights balancing the ratings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import build_project
from tests.unit.feedback.served import rate, serve
from tuneloop.annotate.store import open_store
from tuneloop.data.preference import Preference
from tuneloop.data.prepare import prepare_dataset
from tuneloop.data.prepare_policy import data_gate
from tuneloop.data.version import DatasetVersion
from tuneloop.errors import CheckFailed
from tuneloop.serving.feedback import import_feedback
from tuneloop.spec import load_spec
from tuneloop.train.preference_rows import (
    feedback_preferences,
    kto_weights,
    phase_preferences,
    preference_dataset,
)
from tuneloop.train.run import source_preferences_of

SYSTEM = "Classify the banking customer's message into one intent."


def _rated(desirable: int, undesirable: int) -> list[Preference]:
    prompt = [{"role": "user", "content": "q"}]
    return [
        Preference(prompt, completion="a", desirable=i < desirable) for i in range(desirable + undesirable)
    ]


@pytest.mark.parametrize(("desirable", "undesirable"), [(3, 9), (9, 3), (1, 20), (20, 1), (7, 6), (6, 7)])
def test_kto_weights_keep_the_weighted_ratio_within_trls_advice(desirable: int, undesirable: int) -> None:
    weights = kto_weights(_rated(desirable, undesirable))
    wd, wu = weights
    assert 1 <= (wd * desirable) / (wu * undesirable) <= 4 / 3  # TRL's advised 1:1 to 4:3
    assert min(weights) == 1.0 and max(weights) >= 1.0  # one side weighted up, none down
    # KTOTrainer's own check (kto_trainer.py): one of the weights within its recommended range
    low, high = round(undesirable * wu / desirable, 2), round(undesirable * wu / desirable * 1.33, 2)
    assert low <= wd <= high


def test_kto_weights_of_balanced_or_one_sided_ratings_are_even() -> None:
    assert kto_weights(_rated(5, 0)) == kto_weights(_rated(0, 5)) == (1.0, 1.0)
    assert kto_weights(_rated(6, 6)) == (round(7 / 6, 4), 1.0)  # even counts: still 7:6


def test_feedback_in_the_store_becomes_ratings_and_pairs(tmp_path: Path) -> None:
    project = build_project(tmp_path / "project", rows=40, labels=2)
    texts = ["card declined", "where is my card", "atm ate my card", "fees?"]
    ids = serve(project, [(t, "card_declined") for t in texts], confidence=0.9)
    ratings: list[tuple[str, Any, str | None]] = [
        (ids[0], "up", None),
        (ids[1], "down", "card_arrival"),
        (ids[2], 3, None),  # neither good nor bad: trains nothing
        (ids[3], 5, "card_declined"),  # a "correction" that is the answer: no pair
    ]
    rate(project, ratings)
    imported = tmp_path / "elsewhere.jsonl"
    line = {
        "prompt": "my card is lost",
        "response": "card_declined",
        "rating": "down",
        "correction": "lost_card",
    }
    imported.write_bytes(orjson.dumps(line) + b"\n")
    store = open_store(load_spec(project).store_url)
    import_feedback(store, imported, False)
    store.close()
    rows = feedback_preferences(load_spec(project).store_url, SYSTEM)

    def asked(text: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]

    assert rows == [
        Preference(asked("card declined"), completion="card_declined", desirable=True),
        Preference(asked("where is my card"), completion="card_declined", desirable=False),
        Preference(asked("where is my card"), chosen="card_arrival", rejected="card_declined"),
        Preference(asked("fees?"), completion="card_declined", desirable=True),
        Preference(asked("my card is lost"), completion="card_declined", desirable=False),
        Preference(asked("my card is lost"), chosen="lost_card", rejected="card_declined"),
    ]
    kto = preference_dataset([r for r in rows if r.kind == "kto"], seed=0)
    assert kto.column_names == ["prompt", "completion", "label"] and sorted(kto["label"]) == [0, 0, 1, 1]
    assert kto[0]["completion"] == [{"role": "assistant", "content": "card_declined"}]
    dpo = preference_dataset([r for r in rows if r.kind == "dpo"], seed=0)
    assert dpo.column_names == ["prompt", "chosen", "rejected"] and len(dpo) == 2


def test_a_project_without_a_store_has_no_feedback(tmp_path: Path) -> None:
    missing = tmp_path / "annotations.db"
    assert feedback_preferences(f"sqlite:///{missing}", None) == [] and not missing.exists()


def test_the_data_preference_rows_reach_a_phase_that_reads_them(tmp_path: Path) -> None:
    pairs = [
        {"prompt": f"my card {i} was declined", "chosen": "card_declined", "rejected": "lost"}
        for i in range(3)
    ]
    sources = [
        {"path": "data/train.csv", "format": "csv", "fields": {"text": "text", "label": "category"}},
        {"path": "data/pairs.jsonl", "format": "jsonl"},
    ]
    phases = [{"name": "pairs", "kind": "dpo", "preference": {"sources": ["data"]}}]
    project = build_project(tmp_path / "project", rows=40, labels=2, data={"sources": sources}, phases=phases)
    (project / "data" / "pairs.jsonl").write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in pairs))
    spec = load_spec(project)
    version = DatasetVersion.load(prepare_dataset(spec, tmp_path / "data").path)
    rows = source_preferences_of(spec, version)
    assert [(r.prompt[-1]["content"], r.chosen, r.rejected) for r in rows] == [
        (p["prompt"], "card_declined", "lost") for p in pairs
    ]
    assert rows[0].prompt[0] == {"role": "system", "content": SYSTEM}
    without = spec.model_copy(update={"phases": spec.phases[:0]})
    assert source_preferences_of(without, version) == []
    # 3 of the 43 rows read are pairs, above quality.max_error_rate (5%) were they errors
    assert data_gate(spec, version).passed and data_gate(spec, version).count == 0
    with pytest.raises(CheckFailed, match="data gate: 3 of the 43 rows"):
        data_gate(without, version)


def test_a_phase_keeps_the_rows_it_read_so_a_resumed_phase_trains_on_the_same(tmp_path: Path) -> None:
    project = build_project(
        tmp_path / "project", rows=40, labels=2, phases=[{"name": "likes", "kind": "kto"}]
    )
    first = serve(project, [("card declined", "card_declined")], confidence=0.9)
    rate(project, [(first[0], "up", None)])
    spec = load_spec(project)
    out_dir = tmp_path / "phase"
    read = phase_preferences(spec, spec.phases[0], out_dir, [])
    later = serve(project, [("fees?", "card_declined")], confidence=0.9)
    rate(project, [(later[0], "down", None)])  # feedback after the phase started
    assert phase_preferences(spec, spec.phases[0], out_dir, []) == read and len(read) == 1
    assert len(phase_preferences(spec, spec.phases[0], tmp_path / "fresh", [])) == 2
