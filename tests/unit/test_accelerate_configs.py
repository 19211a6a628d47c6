"""The accelerate configs the docs point to are valid accelerate configs, and docs/scale-out.md names each."""

from __future__ import annotations

from pathlib import Path

import pytest
from accelerate.commands.config.config_args import ClusterConfig
from accelerate.utils import DistributedType

from tests.conftest import REPO

CONFIGS = sorted((REPO / "examples" / "accelerate").glob("*.yaml"))
EXPECTED = {
    "cpu-2-processes.yaml": DistributedType.MULTI_GPU,
    "ddp-multi-gpu.yaml": DistributedType.MULTI_GPU,
    "deepspeed-zero3.yaml": DistributedType.DEEPSPEED,
    "fsdp.yaml": DistributedType.FSDP,
    "multi-node.yaml": DistributedType.MULTI_GPU,
}


def test_every_shipped_config_is_listed() -> None:
    assert sorted(p.name for p in CONFIGS) == sorted(EXPECTED)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_a_config_loads_as_accelerate_reads_it(path: Path) -> None:
    config = ClusterConfig.from_yaml_file(str(path))
    assert config.distributed_type == EXPECTED[path.name]
    assert path.name in (REPO / "docs" / "scale-out.md").read_text()
    if path.name == "multi-node.yaml":
        assert config.num_machines == 2 and config.main_process_ip
