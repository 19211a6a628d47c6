"""Annotations in and out of Label Studio and Argilla, through the store's own rules.

    with store.begin() as session:
        report = import_label_studio(session, "project-1.json", schema)
        export_argilla(session, "records.parquet", schema=schema)

Neither tool is a dependency: each module reads and writes the tool's documented export layout
(the module docstrings give it, with links; `label_studio_tasks.py` reads Label Studio's tasks).
What both share (the parsed records, skipping what cannot be read, loading them through
`claim`/`submit`, the report) is in `common.py`.
"""

from tuneloop.annotate.interop.argilla import export_argilla, import_argilla
from tuneloop.annotate.interop.common import ImportReport, InteropError, Skipped
from tuneloop.annotate.interop.label_studio import (
    export_label_studio,
    import_label_studio,
    label_studio_config,
)

__all__ = [
    "ImportReport",
    "InteropError",
    "Skipped",
    "export_argilla",
    "export_label_studio",
    "import_argilla",
    "import_label_studio",
    "label_studio_config",
]
