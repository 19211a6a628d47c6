"""Reading `tuneloop.yaml` into a `ProjectSpec`, and every problem found into one readable message.

Errors never surface as tracebacks: `load_spec` collects every problem and raises one `SpecError`
whose lines read like `phases[1].learning_rate: must be > 0 (tuneloop.yaml:23)`, the line found
in ruamel's round-trip tree.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from tuneloop.errors import SpecError
from tuneloop.spec.project import ProjectSpec

SPEC_FILE = "tuneloop.yaml"
#: A section left out has no line of its own: its message points at what asks for it.
ASKED_BY = {("labels",): ["objective", "task"]}


def load_spec(project: Path | str) -> ProjectSpec:
    """Load and validate `tuneloop.yaml` from a project directory (or the file itself)."""
    path = Path(project)
    if path.is_dir():
        path = path / SPEC_FILE
    if not path.is_file():
        raise SpecError(f"{path}: no such spec file (expected a project directory holding {SPEC_FILE})")
    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path.name}:{mark.line + 1}" if mark is not None else path.name
        raise SpecError(f"invalid YAML: {exc.problem} ({where})") from None
    except YAMLError as exc:  # reader errors (control characters) carry no mark
        raise SpecError(f"invalid YAML: {str(exc).splitlines()[0]} ({path.name})") from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not isinstance(tree, dict):
        raise SpecError(f"{path.name}: the spec must be a mapping of keys such as objective:, data:, phases:")
    root = path.parent.resolve()
    try:
        plain = _plain(tree)
        data = plain.get("data") if isinstance(plain, dict) else None
        has_unlabeled = isinstance(data, dict) and bool(data.get("unlabeled"))
        spec = ProjectSpec.model_validate(plain, context={"root": root, "has_unlabeled": has_unlabeled})
    except ValidationError as exc:
        raise SpecError("\n".join(_describe(exc.errors(), tree, path.name))) from None
    spec.root, spec.path = root, path.resolve()
    return spec


def _plain(node: Any) -> Any:
    """ruamel's commented containers → plain dicts and lists for pydantic."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _describe(errors: Iterable[Any], tree: Any, filename: str) -> list[str]:
    lines = []
    for err in errors:
        loc = [part for part in err["loc"] if not _is_union_tag(part)]
        where = _dotted(loc)
        line = _line_of(tree, loc)
        if line is None and tuple(loc) in ASKED_BY:
            line = _line_of(tree, ASKED_BY[tuple(loc)])
        suffix = f" ({filename}:{line})" if line else f" ({filename})"
        lines.append(f"{where or '<top>'}: {_reason(err)}{suffix}")
    return lines


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (part.startswith("literal[") or part in {"str", "int", "float", "none"})


def _dotted(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(tree: Any, loc: list[Any]) -> int | None:
    """1-based line of the deepest node of `loc` present in the YAML tree."""
    node, line = tree, None
    for part in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, dict) and part in node:
                line = lc.key(part)[0] + 1 if lc is not None else line
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                line = lc.item(part)[0] + 1 if lc is not None else line
            else:
                break
        except (KeyError, TypeError, AttributeError):
            break
        node = node[part]
    if not loc and getattr(tree, "lc", None) is not None:  # a whole-spec problem: point at its start
        line = tree.lc.line + 1
    return line


def _reason(err: Any) -> str:
    kind, ctx = err["type"], err.get("ctx", {})
    bounds = {
        "greater_than": "> {gt}",
        "greater_than_equal": ">= {ge}",
        "less_than": "< {lt}",
        "less_than_equal": "<= {le}",
    }
    if kind in bounds:
        return "must be " + bounds[kind].format(**{k: _number(v) for k, v in ctx.items()})
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field (check the spelling)"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return str(err["msg"][:1].lower() + err["msg"][1:])


def _number(value: Any) -> Any:
    """0.0 → 0 so bounds read as people write them."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
