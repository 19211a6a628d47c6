"""The evaluation section: slices."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.spec.projects import broken
from tuneloop.errors import SpecError
from tuneloop.spec import load_spec


def test_a_slice_on_a_field_no_source_tags_is_refused(make_project: Callable[..., Path]) -> None:
    project = broken(
        make_project(), "- name: length", "- name: channel\n    field: channel\n  - name: length"
    )
    with pytest.raises(SpecError, match=r"evaluation: slices\[0\]\.field 'channel' is not a slice field"):
        load_spec(project)


def test_empty_length_buckets_are_refused(make_project: Callable[..., Path]) -> None:
    project = broken(make_project(), "length_words:", "length_words: []\n    old_words:")
    with pytest.raises(SpecError, match=r"evaluation\.slices\[0\]\.length_words: needs at least 1 item"):
        load_spec(project)
