"""The report's data-quality section: plots and tables from the run directory alone."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import orjson
from typer.testing import CliRunner

from tests.conftest import banking_rows, write_csv
from tuneloop.cli import app
from tuneloop.data.prepare import prepare_dataset
from tuneloop.report.data_quality import findings_by_code
from tuneloop.report.html import build_report
from tuneloop.run_dir import new_run_dir, update_record
from tuneloop.spec import load_spec

PAYLOAD = '<script>alert(1)</script><img src=x onerror="alert(2)">'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
runner = CliRunner()


def _project_with_findings(make_project: Callable[..., Path], rows: int = 90, **overrides: object) -> Path:
    """Real rows tagged with a `channel` slice, plus two exact copies and a row with an e-mail address."""
    source = {"path": "data/train.csv", "format": "csv"}
    fields = {"text": "text", "label": "category", "slices": ["channel"]}
    project = make_project(rows=rows, labels=3, data={"sources": [{**source, "fields": fields}]}, **overrides)
    data = [{**r, "channel": "app" if i % 3 else "web"} for i, r in enumerate(banking_rows(rows, labels=3))]
    data += [dict(data[0]), dict(data[1])]  # exact copies: two clusters of two
    data.append({"text": "Please write to me at jane.roe@example.org about my card", **_rest(data[2])})
    write_csv(project / "data" / "train.csv", data)
    return project


def _rest(row: dict[str, str]) -> dict[str, str]:
    return {"category": row["category"], "channel": row["channel"]}


def _section(html: str) -> str:
    start = html.index("<h2>Data quality</h2>")
    end = html.find("<h2>", start + 1)
    return html[start : end if end > 0 else len(html)]


def test_a_trained_run_reports_data_quality_with_its_four_plots(make_project: Callable[..., Path]) -> None:
    project = _project_with_findings(make_project, max_steps=2)
    result = runner.invoke(app, ["train", str(project), "--json"])
    assert result.exit_code == 0, result.output
    run_dir = Path(orjson.loads(result.stdout)["run_dir"])

    quality = orjson.loads((run_dir / "data" / "manifest.json").read_bytes())["quality"]
    assert quality["duplicate_cluster_sizes"]["exact"].get("2", 0) >= 2
    assert set(quality["slice_label_counts"]["channel"]) == {"app", "web"}
    assert quality["findings_by_code"]["pii_email"] == {"warning": 1}
    assert quality["findings_by_code"]["duplicate"]["warning"] >= 2

    html = build_report(run_dir).read_text()
    section = _section(html)
    assert html.index("<h2>Data</h2>") < html.index("<h2>Data quality</h2>")
    alts = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,', section)
    assert alts == [
        "input length in words per split",
        "rows per label and share of each label per slice value",
        "duplicate cluster sizes, exact and near",
        "findings by code, coloured by severity",
    ]
    assert "<code>pii_email</code>" in section and "<code>duplicate</code>" in section
    assert "Slices: channel." in section
    assert "quarantined by ingest" in section and "No class weights." in section
    assert re.search(r'<p class="ok">0 error findings in 93 rows read \(0\.0%\)', section)


def test_text_from_the_data_is_escaped_in_the_section(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    spec = load_spec(_project_with_findings(make_project, rows=60))
    run_dir = new_run_dir(spec.output_path, spec.path)
    version = prepare_dataset(spec, run_dir / "data")
    manifest = version.manifest
    manifest["label_counts"]["train"] |= {PAYLOAD: 3, "costs $5 or $6": 1}  # `$`: no mathtext either
    manifest["quality"]["slice_label_counts"]["channel"][PAYLOAD] = {PAYLOAD: 2}
    manifest["quality"]["slice_label_counts"][PAYLOAD] = {"web": {PAYLOAD: 1}}
    manifest["quality"]["findings_by_code"][PAYLOAD] = {"error": 1}
    manifest["findings"].insert(0, {**manifest["findings"][0], "message": PAYLOAD, "code": PAYLOAD})
    manifest["class_weights"] = {PAYLOAD: 1.5}
    (run_dir / "data" / "manifest.json").write_bytes(orjson.dumps(manifest))
    gate = {"errors": 1, "read": 63, "error_rate": 0.5, "max_error_rate": 0.05, "passed": False}
    update_record(
        run_dir,
        project=str(spec.root),
        spec=spec.model_dump(mode="json"),
        status="failed",
        data_gate={**gate, "override": PAYLOAD},
    )
    html = build_report(run_dir).read_text()
    assert PAYLOAD not in html and "<script" not in html
    section = _section(html)
    assert section.count(ESCAPED) >= 4  # slice names, findings by code, class weights, the gate's override
    assert "FAILED — trained anyway" in section


def test_an_older_run_without_the_pieces_gets_sentences(make_project: Callable[..., Path]) -> None:
    spec = load_spec(make_project(rows=60, labels=3))
    run_dir = new_run_dir(spec.output_path, spec.path)
    manifest = prepare_dataset(spec, run_dir / "data").manifest
    for key in ("quality", "actions", "findings_summary"):
        manifest.pop(key)
    manifest["findings_summary"] = {"total": 0, "by_severity": {}, "by_code": {}}
    manifest["findings"] = []
    (run_dir / "data" / "manifest.json").write_bytes(orjson.dumps(manifest))
    update_record(run_dir, project=str(spec.root), spec=spec.model_dump(mode="json"), status="preparing data")
    section = _section(build_report(run_dir).read_text())
    assert "does not record duplicate cluster sizes" in section and "No findings." in section
    assert "No policy actions recorded" in section and "No data gate verdict in run.json" in section
    assert section.count("data:image/png;base64,") == 2  # lengths and labels still come from the parts


def test_findings_by_code_counts_a_code_the_quality_summary_lacks_from_the_rows() -> None:
    rows = [
        {"code": "duplicate", "severity": "warning", "message": "a copy"},
        {"code": "empty_text", "severity": "error", "message": "no text"},
        {"code": "empty_text", "severity": "error", "message": "no text either"},
    ]
    grouped = findings_by_code({"duplicate": {"warning": 5}}, rows, shown=1)
    assert [(g["code"], g["count"], g["severities"], g["listed"], len(g["rows"])) for g in grouped] == [
        ("duplicate", 5, {"warning": 5}, 1, 1),
        ("empty_text", 2, {"error": 2}, 2, 1),
    ]
    assert grouped[1]["example"]["message"] == "no text"
