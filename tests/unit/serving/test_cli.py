"""`tuneloop keys`, `tuneloop serve-model`'s refusal beyond loopback without a key, and its
`--print-vllm` command for a full model and for a LoRA adapter."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import build_project
from tests.unit.serving.conftest import make_run
from tuneloop.annotate.store import open_store
from tuneloop.annotate.store.models import ApiKey
from tuneloop.cli import app
from tuneloop.spec import load_spec
from tuneloop.task_card import TaskCard

runner = CliRunner()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(build_project(tmp_path_factory.mktemp("cli") / "project", rows=60, labels=3))


def test_a_key_is_printed_once_and_only_its_hash_is_stored(tmp_path: Path) -> None:
    project = build_project(tmp_path / "project", rows=30, labels=3)
    added = runner.invoke(app, ["keys", "add", str(project), "crm", "--json"])
    assert added.exit_code == 0, added.output
    token = orjson.loads(added.stdout)["key"]
    assert token.startswith("tlk-") and len(token) > 40
    store = open_store(load_spec(project).store_url)
    with store.read() as session:
        stored = session.scalar(select(ApiKey))
    store.close()
    assert stored is not None and stored.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token.encode() not in (project / "annotations.db").read_bytes()
    assert runner.invoke(app, ["keys", "add", str(project), "crm"]).exit_code == 2  # names are unique
    listed = runner.invoke(app, ["keys", "list", str(project), "--json"])
    assert [k["name"] for k in orjson.loads(listed.stdout)["keys"]] == ["crm"] and token not in listed.output
    assert runner.invoke(app, ["keys", "revoke", str(project), "crm"]).exit_code == 0
    revoked = orjson.loads(runner.invoke(app, ["keys", "list", str(project), "--json"]).stdout)["keys"][0]
    assert revoked["revoked_at"] is not None
    unknown = runner.invoke(app, ["keys", "revoke", str(project), "erp"])
    assert unknown.exit_code == 2 and "no key named 'erp' (keys: crm)" in unknown.output


def test_serving_beyond_loopback_without_a_key_is_refused(run_dir: Path) -> None:
    refused = runner.invoke(app, ["serve-model", str(run_dir), "--host", "0.0.0.0", "--port", "1"])
    assert refused.exit_code == 2 and "refusing to serve on 0.0.0.0" in refused.output
    assert "tuneloop keys add" in refused.output and "serving" not in refused.output.replace("serve on", "")


def test_print_vllm_serves_the_full_model_under_the_same_name(run_dir: Path) -> None:
    shown = runner.invoke(app, ["serve-model", str(run_dir), "--print-vllm", "--port", "9000"])
    model = run_dir / "phases" / "2-task" / "model"
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.strip() == (
        f"vllm serve {model} --served-model-name banking77-intents-run-001 --host 127.0.0.1 --port 9000"
    )


def test_print_vllm_mounts_a_lora_adapter_on_its_base(run_dir: Path, tmp_path: Path) -> None:
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    base = run_dir / "phases" / "2-task" / "model"
    (adapter / "adapter_config.json").write_bytes(
        orjson.dumps({"base_model_name_or_path": str(base), "r": 24})
    )
    TaskCard.load(base).save(adapter)
    project = run_dir.parents[1]
    shown = runner.invoke(app, ["serve-model", str(adapter), "--project", str(project), "--print-vllm"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.strip() == (
        f"vllm serve {base} --enable-lora --lora-modules banking77-intents={adapter} --max-lora-rank 32 "
        "--host 127.0.0.1 --port 8000"
    )
    chained = tmp_path / "chained"
    shutil.copytree(adapter, chained)
    (chained / "adapter_config.json").write_bytes(orjson.dumps({"base_model_name_or_path": str(adapter)}))
    refused = runner.invoke(app, ["serve-model", str(chained), "--project", str(project), "--print-vllm"])
    assert refused.exit_code == 2 and "lora.merge: true" in refused.output
