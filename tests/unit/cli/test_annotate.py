"""`tuneloop annotate ...` end to end on a small BANKING77 project, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from tuneloop.annotate.project import find_user, project_store
from tuneloop.annotate.store import claim_next, submit
from tuneloop.cli import app
from tuneloop.spec import load_spec

runner = CliRunner()


def _project(make_project: Callable[..., Path], store_url: str, gate: float = 0.0) -> Path:
    annotation = {"store_url": store_url, "overlap": 3, "gate": {"alpha": gate}}
    return make_project(rows=150, labels=5, annotation=annotation)


def _json(args: list[str], code: int = 0, stdin: str | None = None) -> dict:
    result = runner.invoke(app, [*args, "--json"], input=stdin)
    assert result.exit_code == code, result.output
    return orjson.loads(result.stdout) if code == 0 else {}


def test_simulated_annotators_agree_adjudicate_and_export(
    make_project: Callable[..., Path], store_url: str
) -> None:
    project = _project(make_project, store_url)
    simulated = _json(["annotate", "simulate", str(project), "--items", "30", "--annotators", "4"])
    assert simulated["closed"] == 30 and simulated["submitted"] == 90  # k = 3 answers per item
    status = _json(["annotate", "status", str(project)])
    assert status["items"]["closed"] == 30 and status["guideline_version"] == 1
    assert status["items"]["disputed"] == status["items"]["adjudicated"] == simulated["adjudicated"] > 0
    assert sum(p["submitted"] for p in status["annotators"]) == 90

    agreement = _json(["annotate", "agreement", str(project)])
    alpha = agreement["alpha"]
    assert agreement["items"] == 30 and agreement["ratings"] == 90
    assert -1 <= alpha["low"] <= alpha["estimate"] <= alpha["high"] <= 1
    assert agreement["gate"] == [
        {"check": "alpha", "threshold": 0.0, "actual": alpha["estimate"], "passed": True}
    ]
    reliable = {p["coder"]: p["kappa"] for p in agreement["per_annotator"]}
    assert reliable["simulated-1"] > reliable["simulated-4"]  # 95% vs 65% reliable
    assert agreement["confused"] and len(agreement["pairs"]["kappa"]) == 4

    out = project / "exported"
    exported = _json(["annotate", "export", str(project), "--out", str(out)])
    assert sum(exported["decided_by"].values()) == 30 and exported["gate_passed"]
    assert exported["decided_by"].get("adjudicated", 0) == simulated["adjudicated"]
    provenance = [orjson.loads(line) for line in (out / "label_provenance.jsonl").read_bytes().splitlines()]
    assert len(provenance) == 30 and all(len(p["annotators"]) == 3 for p in provenance)
    train = pq.read_table(out / "train.parquet").to_pylist()
    by_id = {row["id"]: row["label"] for row in train}
    assert all(by_id[p["id"]] == p["label"] for p in provenance if p["part"] == "train")
    again = runner.invoke(app, ["annotate", "export", str(project), "--out", str(out)])
    assert again.exit_code == 2 and "not empty" in again.output  # nothing already stored is overwritten


def test_agreement_below_the_gate_blocks_export_unless_overridden(
    make_project: Callable[..., Path], store_url: str, tmp_path: Path
) -> None:
    project = _project(make_project, store_url, gate=0.99)
    _json(["annotate", "simulate", str(project), "--items", "20", "--annotators", "4"])
    below = runner.invoke(app, ["annotate", "agreement", str(project)])
    assert below.exit_code == 1 and "gate alpha >= 0.99" in below.output and "FAILED" in below.output
    blocked = runner.invoke(app, ["annotate", "export", str(project), "--out", str(tmp_path / "x")])
    assert blocked.exit_code == 1
    assert "Lowest labels:" in blocked.output and "Least agreeing annotators: simulated-4" in blocked.output
    assert not (tmp_path / "x").exists()
    forced = _json(
        ["annotate", "export", str(project), "--out", str(tmp_path / "x"), "--override", "pilot round"]
    )
    assert forced["override"] == "pilot round" and not forced["gate_passed"]


def test_people_adjudicate_from_the_cli(make_project: Callable[..., Path], store_url: str) -> None:
    project = _project(make_project, store_url)
    for name, role in (("ann", "annotator"), ("bob", "annotator"), ("cat", "annotator"), ("rev", "reviewer")):
        _json(
            ["users", "add", name, "--project", str(project), "--role", role, "--password-stdin"],
            stdin="a long pass phrase\n",
        )
    duplicate = runner.invoke(
        app, ["users", "add", "ann", "--project", str(project)], input="secret-pw\nsecret-pw\n"
    )
    assert duplicate.exit_code == 2 and "exists already" in duplicate.output
    assert _json(["annotate", "import", str(project), "--limit", "2"])["new_items"] == 2
    spec = load_spec(project)
    store = project_store(spec)
    for name, label in (("ann", "card_arrival"), ("bob", "card_arrival"), ("cat", "card_linking")):
        with store.begin() as session:
            person = find_user(session, name)
            item = claim_next(session, person)
            assert item is not None
            submit(session, person, item, label)
    queue = _json(["annotate", "adjudicate", str(project), "--user", "rev"])["queue"]
    assert len(queue) == 1
    assert queue[0]["answers"] == {"ann": "card_arrival", "bob": "card_arrival", "cat": "card_linking"}
    by_annotator = runner.invoke(
        app,
        [
            "annotate",
            "adjudicate",
            str(project),
            "--user",
            "cat",
            "--item",
            str(queue[0]["item"]),
            "--label",
            "x",
        ],
    )
    assert by_annotator.exit_code == 2
    decided = _json(
        [
            "annotate",
            "adjudicate",
            str(project),
            "--user",
            "rev",
            "--item",
            str(queue[0]["item"]),
            "--label",
            "card_arrival",
            "--note",
            "the card was ordered",
        ]
    )
    assert decided == {
        "item": queue[0]["item"],
        "label": "card_arrival",
        "adjudicator": "rev",
        "note": "the card was ordered",
    }
    assert _json(["annotate", "status", str(project)])["items"]["adjudicated"] == 1
    store.close()


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_simulated_annotators_need_at_least_overlap_many(
    make_project: Callable[..., Path], store_url: str
) -> None:
    project = _project(make_project, store_url)
    result = runner.invoke(app, ["annotate", "simulate", str(project), "--annotators", "2"])
    assert result.exit_code == 2 and "annotation.overlap is 3" in result.output


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_report_shows_agreement_and_marks_simulated_people(
    make_project: Callable[..., Path], store_url: str
) -> None:
    project = _project(make_project, store_url)
    trained = _json(["train", str(project)])
    without = Path(_json(["report", trained["run_dir"]])["report"]).read_text()
    assert "No closed annotation items" in without
    assert not Path(store_url.removeprefix("sqlite:///")).exists()  # looking does not create a store
    _json(["annotate", "simulate", str(project), "--items", "20", "--annotators", "3"])
    html = Path(_json(["report", trained["run_dir"]])["report"]).read_text()
    section = html[html.index("<h2>Annotation") : html.index("<h2>Data</h2>")]
    assert "SIMULATED annotators: simulated-1, simulated-2, simulated-3" in section
    assert "Krippendorff's alpha <strong>" in section and "gate: alpha" in section
    assert "over 20 closed items and 60 answers of 3 annotators" in section
    assert section.count('src="data:image/png;base64,') == 2  # per-label alpha, annotator pairs
    assert "Most-confused label pairs" in section
    adjudicated = _json(["annotate", "status", str(project)])["items"]["adjudicated"]
    assert f"disputed by their annotators, {adjudicated} adjudicated by an expert" in section


def test_label_studio_and_argilla_files_go_out_and_come_back(
    make_project: Callable[..., Path], store_url: str, tmp_path: Path
) -> None:
    project = _project(make_project, store_url)
    _json(["annotate", "simulate", str(project), "--items", "10", "--annotators", "3"])
    studio, argilla = tmp_path / "tasks.json", tmp_path / "records.parquet"
    assert (
        _json(["annotate", "export", str(project), "--format", "label-studio", "--out", str(studio)])["tasks"]
        == 10
    )
    _json(["annotate", "export", str(project), "--format", "argilla", "--out", str(argilla)])
    refused = runner.invoke(
        app, ["annotate", "export", str(project), "--format", "argilla", "--out", str(argilla)]
    )
    assert refused.exit_code == 2 and "exists" in refused.output

    fresh = project / "tuneloop.yaml"  # the same project on a new, empty store
    fresh.write_text(fresh.read_text().replace(store_url, f"sqlite:///{tmp_path / 'fresh.db'}"))
    studio_in = _json(["annotate", "import", str(project), "--from", str(studio), "--format", "label-studio"])
    assert studio_in["items_added"] == 10 and studio_in["annotations_added"] == 30
    assert _json(["annotate", "agreement", str(project)])["ratings"] == 30  # the answers feed agreement
    again = _json(["annotate", "import", str(project), "--from", str(studio), "--format", "label-studio"])
    assert again["items_added"] == again["annotations_added"] == 0  # importing twice changes nothing
    bad = runner.invoke(
        app, ["annotate", "import", str(project), "--from", str(studio), "--format", "prodigy"]
    )
    assert bad.exit_code == 2 and "label-studio, argilla" in bad.output


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_export_applies_the_decisions_to_the_data_people_saw_after_it_changed(
    make_project: Callable[..., Path], store_url: str, tmp_path: Path
) -> None:
    project = _project(make_project, store_url)
    _json(["annotate", "simulate", str(project), "--items", "10", "--annotators", "3"])
    data = project / "data" / "train.csv"
    data.write_text(data.read_text() + "A brand new message about my card,card_arrival\n")
    exported = _json(["annotate", "export", str(project), "--out", str(tmp_path / "out")])
    assert sum(exported["decided_by"].values()) == 10  # the version the items came from, not a new one


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_import_takes_the_control_field_and_question_names_the_messages_ask_for(
    make_project: Callable[..., Path], store_url: str, tmp_path: Path
) -> None:
    project = _project(make_project, store_url)
    label = load_spec(project).labels[0].name
    result = {"from_name": "intent", "to_name": "body", "type": "choices", "value": {"choices": [label]}}
    tasks = [{"data": {"body": "where is my card"}, "annotations": [{"completed_by": 1, "result": [result]}]}]
    studio = tmp_path / "tasks.json"
    studio.write_bytes(orjson.dumps(tasks))
    base = ["annotate", "import", str(project), "--from", str(studio), "--format", "label-studio"]
    missing_text = runner.invoke(app, base)
    assert missing_text.exit_code == 2 and "pass --field NAME" in missing_text.output
    refused = runner.invoke(app, [*base, "--field", "body"])
    assert refused.exit_code == 2 and "name the control with --from-name" in refused.output
    done = _json([*base, "--from-name", "intent", "--to-name", "body", "--field", "body"])
    assert (done["items_added"], done["annotations_added"]) == (1, 1)
    assert done["notes"][0].startswith("1 task without an id")
    shown = runner.invoke(app, [*base, "--from-name", "intent", "--field", "body"])
    assert shown.exit_code == 0 and "note: 1 task without an id" in shown.output

    records = [
        {
            "id": "r1",
            "fields": {"body": "my card is lost"},
            "responses": {"intent": [{"value": label, "user_id": "u1"}]},
        }
    ]
    argilla = tmp_path / "records.json"
    argilla.write_bytes(orjson.dumps(records))
    base = ["annotate", "import", str(project), "--from", str(argilla), "--format", "argilla"]
    refused = runner.invoke(app, [*base, "--field", "body"])
    assert refused.exit_code == 2 and "pass --question NAME" in refused.output
    assert _json([*base, "--field", "body", "--question", "intent"])["annotations_added"] == 1

    wrong = runner.invoke(app, [*base, "--from-name", "intent"])
    assert wrong.exit_code == 2 and "--from-name: not for --format argilla" in wrong.output
    alone = runner.invoke(app, ["annotate", "import", str(project), "--question", "intent"])
    assert alone.exit_code == 2 and "--question: only with --from FILE" in alone.output


def test_status_before_any_guidelines_says_so_not_vnone(make_project: Callable[..., Path]) -> None:
    result = runner.invoke(app, ["annotate", "status", str(make_project(rows=30, labels=3))])
    assert result.exit_code == 0, result.output
    assert "no guidelines published yet" in result.stdout and "vNone" not in result.stdout


def test_a_spec_whose_labels_changed_under_a_stored_schema_is_refused_and_nothing_is_lost(
    make_project: Callable[..., Path],
) -> None:
    project = make_project(rows=60, labels=3, annotation={"overlap": 2})
    assert _json(["annotate", "simulate", str(project), "--items", "6", "--annotators", "2"])["closed"] >= 6
    before = _json(["annotate", "status", str(project)])
    yaml = YAML()
    spec = yaml.load((project / "tuneloop.yaml").read_text())
    dropped = spec["labels"].pop()["name"]
    with (project / "tuneloop.yaml").open("w") as fh:
        yaml.dump(spec, fh)
    result = runner.invoke(app, ["annotate", "import", str(project), "--limit", "3"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "already holds label schema" in result.output and "labels: stored" in result.output
    assert dropped in result.output and "objective.name" in result.output
    assert _json(["annotate", "status", str(project)]) == before  # nothing added, nothing lost
    spec["labels"].append({"name": dropped})  # restored: the stored schema is the spec's again
    with (project / "tuneloop.yaml").open("w") as fh:
        yaml.dump(spec, fh)
    assert runner.invoke(app, ["annotate", "import", str(project), "--limit", "3"]).exit_code == 0
