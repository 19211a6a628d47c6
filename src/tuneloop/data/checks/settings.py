"""What the checks need to know besides the rows: the spec's `quality:` section and the task.

Plain data, so the same settings reach a worker process or a Ray task unchanged; the tokenizer is
named by path and loaded once per process (`token_counter`). With a spec it is the tokenizer the
run will use (`data/tokenizer.py: project_tokenizer`), trained first for a tiny model not built yet.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from tuneloop.data.example import Example
from tuneloop.spec import LABELLED_TASKS, ProjectSpec, QualitySpec

STANDALONE_MAX_TOKENS = 4096  # a file checked without a spec: a common context length
CHARS_PER_TOKEN = 4  # the usual rule of thumb for English BPE, used when no tokenizer is at hand


@dataclass(frozen=True)
class CheckSettings:
    quality: QualitySpec = field(default_factory=QualitySpec)
    labels: tuple[str, ...] | None = None  # the label schema, when a spec gives one
    labelled: bool | None = None  # answers are labels (classify, multilabel); None: decide from the data
    max_tokens: int = STANDALONE_MAX_TOKENS
    max_tokens_from: str = "the default context; no spec given"
    tokenizer: str | None = None  # a tokenizer.json; None: estimate from characters
    system_prompt: str | None = None  # added by ingest to every row; counted in its length

    def runs(self, check: str) -> bool:
        return check not in self.quality.skip

    @classmethod
    def from_spec(cls, spec: ProjectSpec, parts: dict[str, list[Example]] | None = None) -> CheckSettings:
        """The settings of a run of `spec`; `parts` are its split rows (read here when not given),
        which a tiny model's tokenizer is trained on."""
        from tuneloop.data.tokenizer import project_tokenizer

        sft = [p.max_length for p in spec.phases if p.kind == "sft"] or [p.max_length for p in spec.phases]
        if spec.quality.max_tokens is not None:
            limit, why = spec.quality.max_tokens, "quality.max_tokens"
        else:
            limit, why = min(sft), "the shortest max_length of the spec's phases (training cuts there)"
        labelled = spec.objective.task in LABELLED_TASKS
        return cls(
            quality=spec.quality,
            labels=tuple(spec.label_names) if labelled else None,
            labelled=labelled,
            max_tokens=limit,
            max_tokens_from=why,
            tokenizer=project_tokenizer(spec, parts),
            system_prompt=spec.system_prompt,
        )


def token_counter(tokenizer: str | None) -> Callable[[Sequence[str]], np.ndarray]:
    """Token counts of texts: the tokenizer's (Rust, batched) or a characters/4 estimate."""
    if tokenizer is None:
        return _estimate
    return _tokenizer_counter(tokenizer)


def _estimate(texts: Sequence[str]) -> np.ndarray:
    return np.fromiter((math.ceil(len(t) / CHARS_PER_TOKEN) for t in texts), dtype=np.int64, count=len(texts))


@lru_cache(maxsize=4)
def _tokenizer_counter(path: str) -> Callable[[Sequence[str]], np.ndarray]:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(path)

    def count(texts: Sequence[str]) -> np.ndarray:
        return np.array([len(e.ids) for e in tok.encode_batch(list(texts), add_special_tokens=False)])

    return count
