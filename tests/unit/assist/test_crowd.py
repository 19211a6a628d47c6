"""CROWDLAB rates the annotators: one who answers at random ranks last, and the items where the
careless majority outvoted the truth are doubted."""

from __future__ import annotations

import numpy as np

from tuneloop.assist.crowd import CROWDLAB, crowd_quality, crowd_suspects

CLASSES = ["a", "b", "c"]


def test_a_bad_annotator_ranks_last_and_doubtful_items_are_flagged() -> None:
    rng = np.random.default_rng(0)
    truth = [CLASSES[i % 3] for i in range(90)]
    reliability = {"ann": 0.95, "bo": 0.9, "cy": 0.85, "dee": 0.3}
    answers = []
    for t in truth:
        row = {}
        for name, r in reliability.items():
            if rng.random() < 0.8:
                row[name] = t if rng.random() < r else str(rng.choice([c for c in CLASSES if c != t]))
        answers.append(row)
    probs = np.full((90, 3), 0.2)
    probs[np.arange(90), [CLASSES.index(t) for t in truth]] = 0.6
    crowd = crowd_quality(answers, probs, CLASSES)
    ranked = [a["annotator"] for a in crowd.annotators]
    assert ranked[-1] == "dee" and crowd.annotators[-1]["quality"] < 0.5 < crowd.annotators[0]["quality"]
    assert sum(c == t for c, t in zip(crowd.consensus, truth, strict=True)) >= 85
    wrong = ["b" if i in (0, 3) else t for i, t in enumerate(truth)]  # two items decided wrongly
    doubted = crowd_suspects(wrong, crowd)
    assert {s.row for s in doubted} >= {0, 3} and all(s.method == CROWDLAB for s in doubted)
    assert next(s for s in doubted if s.row == 0).suggested == "a"
