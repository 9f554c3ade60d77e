"""Lineage questions from the command line, on the demo lakehouse, on each backend."""

from __future__ import annotations

import argparse
import json

from cli_support import demo_cli  # noqa: F401 - fixture
from lineage import JanusGraphClient
from lineage._cli import build_parser, main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_upstream_and_downstream_tables_and_json(demo_cli, capsys):
    code, out, _ = run(capsys, "upstream", "gold/customers", "--depth", "3")
    assert code == 0
    rows = [line.split() for line in out.splitlines()[2:]]
    assert [(r[0], r[1]) for r in rows] == [("1", "silver/customers"), ("2", "bronze/customers"),
                                            ("3", "postgres://crm-db:5432/crm.public.customers")]
    code, out, _ = run(capsys, "upstream", "gold/customers", "--json")
    expected = JanusGraphClient(store=demo_cli).get_upstream("gold/customers", 5)
    assert [(n["id"], n["distance"]) for n in json.loads(out)] == [(n["id"], n["distance"]) for n in expected]
    code, out, _ = run(capsys, "downstream", "bronze/sales", "--type", "Model", "--json")
    assert [(n["id"], n["distance"]) for n in json.loads(out)] == [("ltv_model@1", 3)]
    code, out, _ = run(capsys, "downstream", "gold/sales_report")
    assert (code, out.strip()) == (0, "nothing downstream of gold/sales_report within depth 5")


def test_impact_search_and_runs(demo_cli, capsys):
    code, out, _ = run(capsys, "impact", "bronze/sales", "--change", "schema")
    assert code == 0
    assert out.splitlines()[0] == "a schema change to bronze/sales affects 8 nodes: severity HIGH"
    assert "ltv_model@1" in out and "bronze/sales -> silver/sales_aggregated -> gold/sales_aggregated" in out
    code, out, _ = run(capsys, "impact", "bronze/sales", "--change", "data", "--json")
    assert json.loads(out)["total_affected"] == 8 and json.loads(out)["severity"] == "MEDIUM"
    code, out, _ = run(capsys, "search", "gold/")
    assert {line.split()[0] for line in out.splitlines()[1:]} == {
        "gold/customers", "gold/sales_report", "gold/transactions", "gold/sales_aggregated"}
    code, out, _ = run(capsys, "search", "churn", "--type", "Model", "--json")
    assert sorted(n["id"] for n in json.loads(out)) == ["churn_predictor@2", "churn_predictor@3"]
    code, out, _ = run(capsys, "runs", "spark_aggregate_sales")
    assert code == 0 and "COMPLETE" in out and "2026-01-10T02:10:00.000000Z" in out


def test_model_training_inputs_and_verdict(demo_cli, capsys):
    code, out, _ = run(capsys, "model", "churn_predictor@3")
    assert code == 0
    assert out.splitlines()[0] == "churn_predictor@3 (sklearn): reproducible"
    assert "snapshot_def456" in out and "train_churn_predictor" in out
    code, out, _ = run(capsys, "model", "churn_predictor@2")
    assert out.splitlines()[0] == "churn_predictor@2 (sklearn): NOT reproducible"
    assert "- training input gold/customers is not pinned to a version or snapshot" in out
    code, out, _ = run(capsys, "model", "ltv_model", "--json")   # one version: the name is enough
    data = json.loads(out)
    assert data["lineage"]["model"]["id"] == "ltv_model@1" and data["reproducibility"]["reproducible"] is True


def test_unknown_ids_and_bad_input_exit_1_with_the_right_kind_of_id(demo_cli, capsys):
    code, out, err = run(capsys, "model", "churn_predictor@5")
    assert (code, out) == (1, "")
    assert err.strip() == ("lineage: no model version 'churn_predictor@5'; "
                           "churn_predictor has churn_predictor@2, churn_predictor@3")
    code, _, err = run(capsys, "model", "churn_predictor")
    assert code == 1 and "has 2 versions (churn_predictor@2, churn_predictor@3)" in err
    code, _, err = run(capsys, "model", "fraud_model@1")
    assert code == 1 and "model ids are 'name@version'" in err and "namespace/name" not in err
    code, _, err = run(capsys, "runs", "nightly_load")
    assert code == 1 and "no pipeline with id 'nightly_load'" in err and "pipeline ids are" in err
    code, _, err = run(capsys, "upstream", "gold/nope")
    assert code == 1 and err.startswith("lineage: no node with id 'gold/nope'")
    code, _, err = run(capsys, "upstream", "gold/customers", "--depth", "0")
    assert (code, err.strip()) == (1, "lineage: depth must be between 1 and 50; got 0")
    code, _, err = run(capsys, "search", "")
    assert code == 1 and "search needs a text" in err
    code, _, err = run(capsys, "impact", "bronze/sales", "--change", "rename")
    assert code == 1 and "invalid choice: 'rename'" in err


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_command_and_argument_has_help_with_an_example():
    parser = build_parser()
    top = parser.format_help()
    assert "``" not in top and ":mod:" not in top and "examples:" in top
    for name, command in _commands(parser).items():
        assert command.description, f"lineage {name} has no description"
        assert f"lineage {name}" in (command.epilog or ""), f"lineage {name} --help shows no example"
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help and "e.g." in action.help, \
                f"lineage {name} {'/'.join(action.option_strings) or action.dest}: help needs an example"
    for action in parser._actions:
        if action.option_strings and not isinstance(action, argparse._HelpAction):
            assert "e.g." in action.help
