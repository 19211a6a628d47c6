"""What the spec says about assisted labelling: how many items never show a suggestion (so its
pull on people's answers can be measured), when the anchoring gate switches suggestions off, and
in which order items are served."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tuneloop.spec.strict import Strict


class AnchoringSpec(Strict):
    """The anchoring gate: a label's suggestions go off when its anchoring delta's lower bound
    exceeds `max_delta` while accuracy on gold items does not rise with them; a label is judged
    only once it has `min_answers` answers with its suggestion shown and as many blind."""

    max_delta: float = Field(default=0.15, ge=0, le=1)
    min_answers: int = Field(default=20, ge=1)


class AssistSpec(Strict):
    """`blind_share`: the share of items (chosen by a hash of the item id) that never show their
    suggestion; gold and evaluation items are always blind. `queue`: the order items are served."""

    blind_share: float = Field(default=0.2, ge=0, le=1)
    anchoring: AnchoringSpec = Field(default_factory=AnchoringSpec)
    queue: Literal["uncertainty", "random", "sequential"] = "sequential"
