"""`tuneloop check --engine ray`: the same `scan_shard` on Ray Data, for data on a cluster.

Each shard (rows already parsed by ingest on the driver) becomes one Ray Data row; `scan_shard`
runs on the workers and its `ShardScan`s come back in shard order, so the driver joins them
exactly as the local engine does and the findings are the same. Needs `pip install
'tuneloop[ray]'`; without an address Ray starts a local instance with this machine's cores.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from tuneloop.data.checks.settings import CheckSettings
from tuneloop.data.checks.suite import Shard, ShardScan, scan_shard
from tuneloop.errors import TuneloopError


def ray_scans(shards: Iterable[Shard], settings: CheckSettings) -> Iterator[ShardScan]:
    try:
        import ray
    except ImportError:
        raise TuneloopError("--engine ray needs Ray: pip install 'tuneloop[ray]'") from None
    if not ray.is_initialized():
        ray.init(include_dashboard=False, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # findings in file order, as locally

    def scan(row: dict[str, Any]) -> dict[str, Any]:
        return {"scan": scan_shard(row["shard"], settings)}

    dataset = ray.data.from_items([{"shard": shard} for shard in shards]).map(scan)
    for row in dataset.iter_rows():
        yield row["scan"]
