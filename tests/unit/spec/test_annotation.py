"""The annotation section: the store and the overlap."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.spec.projects import broken, line_of
from tuneloop.errors import SpecError
from tuneloop.spec import load_spec


def test_annotation_defaults_to_the_project_sqlite_store_and_two_annotators(
    make_project: Callable[..., Path],
) -> None:
    project = make_project()
    spec = load_spec(project)
    assert (spec.annotation.overlap, spec.annotation.route_by_skill) == (2, False)
    assert spec.store_url == f"sqlite:///{spec.root / 'annotations.db'}"
    url = "postgresql+psycopg://tuneloop@db/tuneloop"
    project = broken(project, "seed: 0", f"seed: 0\nannotation:\n  store_url: {url}\n  overlap: 3")
    spec = load_spec(project)
    assert (spec.store_url, spec.annotation.overlap) == (url, 3)


def test_an_overlap_below_two_names_its_line(make_project: Callable[..., Path]) -> None:
    project = broken(make_project(), "seed: 0", "seed: 0\nannotation:\n  route_by_skill: true\n  overlap: 1")
    with pytest.raises(SpecError) as err:
        load_spec(project)
    assert (
        str(err.value) == f"annotation.overlap: must be >= 2 (tuneloop.yaml:{line_of(project, 'overlap: 1')})"
    )
