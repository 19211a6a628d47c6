"""`tuneloop init`: a new project, copied from a runnable example or the commented skeleton.

With `--labels-from FILE` the skeleton's labels are the values of the file's label column (or
the answers of its chat rows), and the file is the project's data source, so `tuneloop check`
runs on the new project at once.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tuneloop.cli.support import err, guarded
from tuneloop.errors import SpecError, TuneloopError

if TYPE_CHECKING:
    from tuneloop.spec import Source

MOST_LABELS = 50  # more distinct values than this, in more than half the rows: free text, not labels


def _examples_root() -> Path:
    packaged = Path(str(files("tuneloop"))) / "_examples"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[3] / "examples"


@guarded
def init(
    directory: Annotated[
        Path, typer.Argument(help="Where to create the project (must not exist or be empty).")
    ],
    example: Annotated[
        str | None,
        typer.Option(
            help="Copy a runnable example project: banking77, nlupp-banking (multi-label), "
            "nlupp-slots (extraction) or e2e-nlg (generation)."
        ),
    ] = None,
    labels_from: Annotated[
        Path | None,
        typer.Option(
            "--labels-from",
            help="A data file: the skeleton's labels become the values of its label column, "
            "and the file its data source.",
        ),
    ] = None,
) -> None:
    """Create a project: a runnable example, or a commented skeleton of tuneloop.yaml (with
    --labels-from FILE: the labels and data of FILE)."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise TuneloopError(f"{directory}: exists and is not an empty directory; choose a new directory")
    if labels_from is not None:
        if example is not None:
            raise TuneloopError("--labels-from fills in the skeleton; an --example brings its own labels")
        _init_with_labels(directory, labels_from)
        return
    if example is None:
        source = _examples_root() / "skeleton"
    else:
        source = _examples_root() / example
        if not (source / "tuneloop.yaml").is_file():
            known = sorted(p.name for p in _examples_root().iterdir() if (p / "tuneloop.yaml").is_file())
            raise TuneloopError(f"unknown example {example!r}; known: {', '.join(known)}")
    shutil.copytree(
        source, directory, dirs_exist_ok=True, ignore=shutil.ignore_patterns("runs", "__pycache__")
    )
    _write_gitignore(directory)
    err.print(f"created {directory} from {'example ' + example if example else 'the skeleton'}")


def _init_with_labels(directory: Path, data: Path) -> None:
    """The skeleton without its sample data, its labels and source taken from `data`."""
    from ruamel.yaml import YAML

    from tuneloop.spec import load_spec
    from tuneloop.spec.data import CONVERSATION_FORMATS

    source, counts = labels_in(data)
    created = not directory.exists()
    shutil.copytree(
        _examples_root() / "skeleton", directory, dirs_exist_ok=True, ignore=shutil.ignore_patterns("data")
    )
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)  # as the skeleton is written
    spec = yaml.load((directory / "tuneloop.yaml").read_text(encoding="utf-8"))
    spec["labels"] = [_label_entry(label, n) for label, n in counts.items()]
    conversation = source.format in CONVERSATION_FORMATS  # the answer is the label: no fields
    fields = {} if conversation else {"fields": {"text": source.fields.text, "label": source.fields.label}}
    path = os.path.relpath(data.resolve(), directory.resolve())
    spec["data"]["sources"] = [{"path": path, "format": source.format, **fields}]
    text = io.StringIO()
    yaml.dump(spec, text)
    (directory / "tuneloop.yaml").write_text(_spaced(text.getvalue(), data), encoding="utf-8")
    _write_gitignore(directory)
    try:
        load_spec(directory)
    except SpecError as exc:  # labels a spec cannot take (two that differ only in case): leave nothing
        _clear(directory, created)
        raise TuneloopError(f"{data}: its labels cannot be a spec's: {exc}") from None
    listed = ", ".join(f"{label} ({n})" for label, n in counts.most_common(10))
    more = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
    err.print(f"created {directory} with the {len(counts)} labels of {data}: {listed}{more}", highlight=False)


GITIGNORE = """\
# tuneloop: never commit the annotation store (it holds password hashes), the web app's key, or runs
annotations.db
annotations.db-*
.tuneloop/
runs/
"""


def _write_gitignore(directory: Path) -> None:
    """A `.gitignore` that keeps the store, the web secret and `runs/` out of git (kept if present)."""
    path = directory / ".gitignore"
    if not path.exists():
        path.write_text(GITIGNORE, encoding="utf-8")


def labels_in(data: Path) -> tuple[Source, Counter[str]]:
    """The source `check` would read `data` as, and its labels with their row counts, in the order
    they first appear; a file whose "labels" look like free text is refused."""
    from tuneloop.data.check_report import LABEL_FIELDS, infer_source
    from tuneloop.data.ingest import ingest_source
    from tuneloop.spec.data import CONVERSATION_FORMATS
    from tuneloop.task_card import TaskCard

    source = infer_source(data)
    column = "the answers" if source.format in CONVERSATION_FORMATS else source.fields.label
    if column is None:
        raise TuneloopError(f"{data}: no label column found (looked for {', '.join(LABEL_FIELDS)})")
    result = ingest_source(source, TaskCard(task="generate", labels=[], system=None), Path.cwd())
    counts = Counter(e.label for e in result.examples if e.label)
    where = f"{data}: {column if column == 'the answers' else repr(column)}"
    if len(counts) < 2:
        raise TuneloopError(f"{where} holds {len(counts)} distinct label(s) in {result.read} rows; need 2")
    if len(counts) > MOST_LABELS and len(counts) > len(result.examples) / 2:
        raise TuneloopError(
            f"{where} holds {len(counts)} distinct values in {result.read} rows: free text, not labels"
        )
    return source, counts


def _label_entry(name: str, rows: int) -> object:
    from ruamel.yaml.comments import CommentedMap

    entry = CommentedMap(name=name)
    entry.yaml_add_eol_comment(f"{rows} rows; add a description: what the label means", "name")
    return entry


def _spaced(text: str, data: Path) -> str:
    """A blank line before each top-level section again (replacing a section drops the one after
    it), and the skeleton's first line saying where the labels came from."""
    text = re.sub(r"(?<=[^\n])\n(?=[a-z_]+:)", "\n\n", text)
    first = "# A tuneloop project. Replace data/examples.csv with your data and the labels with yours,"
    return text.replace(
        first, f"# A tuneloop project, its labels and data from {data.name} (tuneloop init --labels-from);"
    )


def _clear(directory: Path, created: bool) -> None:
    """Undo `init`: the directory it created, or what it wrote into the empty one it was given."""
    if created:
        shutil.rmtree(directory)
        return
    for path in directory.iterdir():
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
