"""Simulated annotators, so the example project exercises the whole annotation stage without people.

`tuneloop annotate simulate` runs overlap, blinding, agreement, adjudication and the export gate on
the store exactly as people would, through the same service functions (claim, submit, adjudicate).
The annotators are marked as what they are: named `simulated-N`, with the skill `simulated`, and
every report that shows them says so.

Each one answers from the item's recorded label with its own reliability. A wrong answer is not
uniform noise: with probability `CONFUSABLE_SHARE` it is one of the labels closest to the true one
(TF-IDF similarity of the labels' names and descriptions, e.g. `card_arrival` and
`card_delivery_estimate`), the way people err on similar intents; otherwise any other label. On a
multilabel item each true label is judged alone: kept with the person's reliability, else swapped
for one of its close labels or left out; and with half the error rate a close label of a true one
is added besides, so answers differ by a label or two, as people's sets do. A
simulated expert (reliability `EXPERT_RELIABILITY`, role reviewer, never one of the annotators)
adjudicates the disputed items and, when asked, reviews the most suspect label issues
`tuneloop assist label-issues` queued. An extract task's people fill records instead
(`simulate_fields.py`: a field missed, a span a word off, a value under the wrong field).

Anchoring can be simulated too (`anchoring`, 0..1): a simulated person shown a suggestion (the
project's `annotation.suggestions`, outside the blind share) who would have answered wrong, being
unsure, takes the suggestion instead with that probability. With 0 (the default) the suggestion
on screen changes nothing, and no random draw is spent on it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import select

from tuneloop.annotate.simulate_fields import RecordConfuser
from tuneloop.annotate.store import add_user, adjudicate, claim_next, disagreements, skip, submit
from tuneloop.annotate.store.engine import Store
from tuneloop.annotate.store.label_issues import open_issues, resolve_issue
from tuneloop.annotate.store.models import Item, LabelIssue, User
from tuneloop.annotate.store.suggestions import suggestion_for
from tuneloop.data.normalise import clean_text
from tuneloop.data.version import DatasetVersion
from tuneloop.errors import TuneloopError
from tuneloop.spec import ProjectSpec

RELIABILITY = (0.95, 0.9, 0.8, 0.65, 0.5)  # the first `annotators` of these
EXPERT_RELIABILITY = 0.97
CONFUSABLE_SHARE = 0.85
NEIGHBOURS = 3
SKILL = "simulated"
EXPERT = "simulated-expert"


@dataclass(frozen=True)
class SimulationReport:
    annotators: dict[str, float]  # name -> reliability
    submitted: int
    closed: int
    adjudicated: int
    anchored: int = 0  # answers that took the shown suggestion instead of the person's own
    issues_reviewed: int = 0  # label issues the simulated expert decided
    issues_corrected: int = 0
    issues_kept: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Confuser:
    """Draws a simulated person's answer: the truth with probability `reliability`, else a confusion."""

    def __init__(self, spec: ProjectSpec, seed: int) -> None:
        self.labels = spec.label_names
        texts = [f"{label.name.replace('_', ' ')} {label.description}" for label in spec.labels]
        vectors = TfidfVectorizer().fit_transform(texts)
        similarity = (vectors @ vectors.T).toarray()
        np.fill_diagonal(similarity, -1)
        self.neighbours = {
            label: [self.labels[j] for j in np.argsort(-similarity[i])[:NEIGHBOURS]]
            for i, label in enumerate(self.labels)
        }
        self.rng = np.random.default_rng(seed)
        self.bounds = spec.label_bounds

    def answer(self, truth: Any, reliability: float, text: str = "") -> str | list[str]:
        """One answer to an item whose recorded answer is `truth` (a label, or a label set); the
        item's `text` matters to records only (`simulate_fields.RecordConfuser`)."""
        if isinstance(truth, tuple):
            return self.answer_set(truth, reliability)
        return self.answer_one(truth, reliability)

    def anchored(self, own: Any, truth: str | tuple[str, ...], shown: Any, anchoring: float) -> Any:
        """The person's `own` answer, or, when it is wrong (they were unsure), the suggestion on
        screen with probability `anchoring`; no draw at all when `anchoring` is 0."""
        wrong = set(own) != set(truth) if isinstance(truth, tuple) else own != truth
        if anchoring > 0 and wrong and self.rng.random() < anchoring:
            return list(shown) if isinstance(shown, list | tuple) else str(shown)
        return own

    def answer_set(self, truth: tuple[str, ...], reliability: float) -> list[str]:
        """A label set near `truth`, within the spec's bounds, in schema order."""
        given: set[str] = set()
        for label in truth:
            if self.rng.random() < reliability:
                given.add(label)
            elif self.rng.random() < CONFUSABLE_SHARE / 2:
                given.add(str(self.rng.choice(self.neighbours[label])))
        if truth and self.rng.random() < (1 - reliability) / 2:
            given.add(str(self.rng.choice(self.neighbours[str(self.rng.choice(truth))])))
        low, high = self.bounds
        for label in [*truth, *self.labels]:  # too few: the truth first, then any label
            if len(given) >= low:
                break
            given.add(label)
        return [label for label in self.labels if label in given][:high]

    def answer_one(self, truth: str, reliability: float) -> str:
        if self.rng.random() < reliability:
            return truth
        if self.rng.random() < CONFUSABLE_SHARE:
            return str(self.rng.choice(self.neighbours[truth]))
        return str(self.rng.choice([label for label in self.labels if label != truth]))


def simulate(
    store: Store,
    spec: ProjectSpec,
    version: DatasetVersion,
    items: int,
    annotators: int,
    seed: int = 0,
    anchoring: float = 0.0,
    label_issues: int = 0,
) -> SimulationReport:
    """Let `annotators` simulated people label until `items` items have closed (or none is left),
    then let the simulated expert adjudicate every disputed one and review up to `label_issues`
    queued label issues."""
    _check(spec, annotators, anchoring)
    reliability = {f"simulated-{i + 1}": RELIABILITY[i] for i in range(annotators)}
    with store.begin() as session:
        people = [simulated_user(session, name, "annotator") for name in reliability]
        expert = simulated_user(session, EXPERT, "reviewer")
    truth = Truth(version)
    confuser = confuser_for(spec, seed)
    submitted = closed = anchored = 0
    shows = (spec.annotation.suggestions, spec.assist.blind_share)
    idle: set[int] = set()
    while closed < items and len(idle) < len(people):
        for person in people:
            if person.id in idle:
                continue
            with store.begin() as session:
                item = claim_next(session, person, queue=spec.assist.queue)
                if item is None:
                    idle.add(person.id)
                    continue
                known = truth.of(item)
                if known is None:  # imported from other data: nothing to answer from
                    skip(session, person, item, "simulated: the item is not in this dataset version")
                    continue
                shown = suggestion_for(session, item, *shows)
                own = confuser.answer(known, reliability[person.name], item.text)
                label = own if shown is None else confuser.anchored(own, known, shown[0], anchoring)
                submit(session, person, item, label, suggestions=shows[0], blind_share=shows[1])
                submitted += 1
                anchored += label is not own
                closed += item.closed_at is not None
    with store.begin() as session:
        queue = disagreements(session, expert)
        for item in queue:
            if (known := truth.of(item)) is None:
                continue
            answer = confuser.answer(known, EXPERT_RELIABILITY, item.text)
            adjudicate(session, expert, item, answer, note="simulated expert")
        reviewed = review_label_issues(session, expert, truth, confuser, label_issues)
    return SimulationReport(
        reliability, submitted, closed, len(queue), anchored, len(reviewed), *_corrected_kept(reviewed)
    )


def confuser_for(spec: ProjectSpec, seed: int) -> Confuser | RecordConfuser:
    """How the spec's simulated people err: on labels, or on an extract task's records."""
    return RecordConfuser(spec, seed) if spec.objective.task == "extract" else Confuser(spec, seed)


def review_label_issues(
    session: Any, expert: User, truth: Truth, confuser: Confuser | RecordConfuser, limit: int
) -> list[LabelIssue]:
    """The simulated expert's session at the label-issue queue: the `limit` most suspect open
    issues, each decided from the row's recorded label (with the expert's reliability, as a
    disputed item is), which keeps the given label or corrects it, as a reviewer does in the web app.
    The recorded label is the simulation's truth: on real data a reviewer can also find the
    recording wrong, which is what the queue is for (benchmarks/noisy_labels.py plants such errors)."""
    decided = []
    for issue in open_issues(session, expert)[:limit]:
        if (known := truth.of(issue.item)) is None:
            continue
        answer = confuser.answer(known, EXPERT_RELIABILITY, issue.item.text)
        decided.append(resolve_issue(session, expert, issue, answer, note="simulated expert"))
    return decided


def _corrected_kept(reviewed: list[LabelIssue]) -> tuple[int, int]:
    corrected = sum(issue.state == "corrected" for issue in reviewed)
    return corrected, len(reviewed) - corrected


def _check(spec: ProjectSpec, annotators: int, anchoring: float) -> None:
    if not 0 <= anchoring <= 1:
        raise TuneloopError(f"--anchoring: a probability within 0..1, not {anchoring}")
    if not 2 <= annotators <= len(RELIABILITY):
        raise TuneloopError(
            f"--annotators: between 2 and {len(RELIABILITY)} simulated annotators, not {annotators}"
        )
    if annotators < spec.annotation.overlap:
        raise TuneloopError(
            f"annotation.overlap is {spec.annotation.overlap}: it takes at least that many annotators, "
            f"not {annotators}"
        )


def simulated_user(session: Any, name: str, role: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        user = add_user(session, name, role, skills=[SKILL])
    elif SKILL not in (user.skills or []):
        raise TuneloopError(f"user {name!r} exists and is not simulated: rename it or use another store")
    return user


class Truth:
    """The recorded label (a multilabel row: its label set) of every row of a dataset version, by
    the item key the store gives the row and by its text: an item routed from the model's use
    (`tuneloop round next`) holds a text the version may have, which a SIMULATED person then knows
    the answer to as they know any other row's."""

    def __init__(self, version: DatasetVersion) -> None:
        self.by_key: dict[str, str | tuple[str, ...]] = {}
        self.by_text: dict[str, str | tuple[str, ...]] = {}
        for part in ("train", "validation", "test"):
            for row, example in enumerate(version.split(part)):
                if example.label is None:
                    continue
                label = example.labels if example.labels is not None else example.label
                self.by_key[f"dataset:{version.hash}:{part}:{row}"] = label
                self.by_text.setdefault(clean_text(example.text), label)

    def of(self, item: Item) -> str | tuple[str, ...] | None:
        known = self.by_key.get(item.source_key)
        return known if known is not None else self.by_text.get(clean_text(item.text))
