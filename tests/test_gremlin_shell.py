"""``lineage gremlin`` as a user meets it: the lineage guide's recipes, Console
spellings, readable paths, and one-line answers to mistakes, on each backend."""

from __future__ import annotations

import io
import json
import re

import pytest

from cli_support import demo_cli  # noqa: F401 - fixture
from conftest import DATA, REPO
from lineage import JanusGraphClient
from lineage._cli import main
from lineage.cli.groovy import split_terminal, statements, to_python

GUIDE = (DATA / "gremlin" / "guide-recipes.groovy").read_text()
CHAIN = re.compile(r" (<-|-)([A-Z_]+)(->|-) ")


def guide_recipe(title: str) -> str:
    """One recipe of the guide, as written (the block under its comment)."""
    for block in GUIDE.split("\n\n"):
        if block.startswith(f"// {title}"):
            return block
    raise LookupError(title)


def readme_recipe(title: str) -> str:
    """One of the corrected recipes shipped in the README."""
    text = (REPO / "README.md").read_text()
    for block in re.findall(r"```groovy\n(.*?)```", text, re.S):
        if block.startswith(f"// {title}"):
            return block
    raise LookupError(title)


def gremlin(capsys, text: str, *flags: str) -> tuple[int, str, str]:
    code = main(["gremlin", *flags, "-c", text])
    out, err = capsys.readouterr()
    return code, out, err


def chains(out: str) -> list[tuple[list[str], list[str]]]:
    """Each printed path as (ids, edge labels)."""
    found = []
    for line in out.splitlines():
        parts = CHAIN.split(line)
        found.append((parts[0::4], parts[2::4]))
    return found


# -- the guide's recipes, as written and as corrected --------------------------------

def test_paths_from_bronze_to_models(demo_cli, capsys):
    code, out, err = gremlin(capsys, guide_recipe("Find all paths from bronze to model"))
    assert (code, err) == (0, "")
    paths = chains(out)
    assert 1 <= len(paths) <= 10
    for ids, labels in paths:
        assert ids[0].startswith("bronze/") and "@" in ids[-1], ids
        assert len(labels) == len(ids) - 1
    assert any("CONSUMES" in labels for _, labels in paths)  # the guide's walk goes through pipelines

    code, out, err = gremlin(capsys, readme_recipe("Paths from bronze datasets to the models they feed")
                             .replace(".limit(10)", ".limit(1000)"))
    assert (code, err) == (0, "")
    paths = chains(out)
    assert all(set(labels) <= {"DERIVED_FROM", "TRAINED_ON"} for _, labels in paths)
    assert all(" <-" in line and "->" not in line for line in out.splitlines())   # every edge points upstream
    shortest = JanusGraphClient(store=demo_cli).bronze_to_model_paths(limit=1000)
    assert {(ids[0], ids[-1]) for ids, _ in paths} == {(p[0], p[-1]) for p in shortest}
    assert all(p in [ids for ids, _ in paths] for p in shortest)


def test_orphaned_datasets(demo_cli, capsys):
    code, out, _ = gremlin(capsys, guide_recipe("Find datasets with no consumers"))
    assert code == 0
    as_written = out.split()
    assert "bronze/sales" in as_written    # read by spark_aggregate_sales: why the guide's recipe is wrong here
    code, out, _ = gremlin(capsys, readme_recipe("Datasets nothing reads"))
    assert code == 0
    assert sorted(out.split()) == JanusGraphClient(store=demo_cli).orphaned_datasets() == ["gold/sales_report"]


def test_models_without_pinned_inputs(demo_cli, capsys):
    code, out, err = gremlin(capsys, guide_recipe("Find models without reproducible lineage"))
    assert (code, out) == (1, "")
    assert err.strip() == ("lineage: has('version', null) matches nothing: a property that was never set is "
                           "absent, not null; write hasNot('version') for elements without it")
    code, out, _ = gremlin(capsys, readme_recipe("Model versions that cannot be reproduced"))
    assert code == 0
    expected = [m["model_id"] for m in JanusGraphClient(store=demo_cli).unreproducible_models()]
    assert out.split() == expected == ["churn_predictor@2"]


def test_profile(demo_cli, capsys):
    code, out, err = gremlin(capsys, guide_recipe("Slow queries"))
    assert (code, err) == (0, "")
    if demo_cli.backend.kind == "embedded":
        assert re.match(r"1 results in [\d.]+ ms from \d+ SQL statements", out)
        assert "SEARCH quads USING" in out
    else:
        assert "JanusGraphStep" in out and re.search(r"^total [\d.]+ ms$", out, re.M)
    code, out, _ = gremlin(capsys, guide_recipe("Slow queries"), "--json")
    assert json.loads(out)["total_ms"] >= 0


def test_the_whole_guide_file_runs_up_to_the_recipe_that_cannot(demo_cli, capsys, tmp_path):
    recipes = tmp_path / "recipes.groovy"
    recipes.write_text(GUIDE)
    assert main(["gremlin", "-f", str(recipes)]) == 1          # stops at has('version', null), in one line
    out, err = capsys.readouterr()
    assert "<-DERIVED_FROM-" in out and "gold/sales_report" in out
    assert err.count("\n") == 1 and "hasNot('version')" in err


# -- Console spelling, results, mistakes ---------------------------------------------

def test_groovy_spellings_of_python_reserved_steps(demo_cli, capsys):
    code, out, _ = gremlin(capsys, "g.V().has('dataset_id', 'gold/customers').as('d')"
                                   ".in('TRAINED_ON').where(not(has('version', '2')).and(has('framework')))"
                                   ".or(has('model_name', 'churn_predictor'), has('model_name', 'x'))"
                                   ".values('model_id')")
    assert (code, sorted(out.split())) == (0, ["churn_predictor@3"])
    code, out, _ = gremlin(capsys, "g.V().has('model_id', 'churn_predictor@3').outE('TRAINED_ON')"
                                   ".inV().id().toList()")
    assert code == 0 and len(out.split()) == 2


def test_dedup_and_rewritten_steps_agree_on_both_backends(demo_cli, capsys):
    code, out, _ = gremlin(capsys, "g.V().hasLabel('Model').out('TRAINED_ON').in('TRAINED_ON').dedup()"
                                   ".values('model_id')")
    assert (code, sorted(out.split())) == (0, ["churn_predictor@2", "churn_predictor@3", "ltv_model@1"])
    code, out, _ = gremlin(capsys, "g.V().has('model_id', 'ltv_model@1').project('id', 'kind')"
                                   ".by('model_id').by(T.label)")
    assert out.split() == ["id", "kind", "ltv_model@1", "Model"]
    code, out, _ = gremlin(capsys, "g.V().hasLabel('Dataset').has('layer', neq('bronze')).hasNot('version')"
                                   ".has('layer', gt('a')).values('dataset_id')")
    assert sorted(out.split()) == ["gold/sales_report"]
    code, out, _ = gremlin(capsys, "g.V().has('Dataset', 'layer', without('bronze', 'silver', 'gold')).count()")
    assert out.split() == ["4"]       # the four raw sources outside the medallion layers
    code, out, _ = gremlin(capsys, "g.V().has('dataset_id', 'gold/customers').repeat(out('DERIVED_FROM'))"
                                   ".times(2).values('dataset_id')")
    assert out.split() == ["bronze/customers"]


def test_paths_and_elements_print_as_identities_or_json(demo_cli, capsys):
    query = "g.V().has('model_id', 'churn_predictor@3').outE('TRAINED_ON').inV().outE('DERIVED_FROM').inV().path()"
    code, out, _ = gremlin(capsys, query)
    assert sorted(out.splitlines()) == [
        "churn_predictor@3 -TRAINED_ON-> gold/customers -DERIVED_FROM-> silver/customers",
        "churn_predictor@3 -TRAINED_ON-> gold/transactions -DERIVED_FROM-> silver/transactions"]
    code, out, _ = gremlin(capsys, query, "--json")
    first = sorted(json.loads(out), key=lambda p: p["chain"])[0]
    assert first["objects"][1]["label"] == "TRAINED_ON" and first["objects"][2]["identity"] == "gold/customers"
    code, out, _ = gremlin(capsys, "g.V().has('dataset_id', 'gold/customers').out('DERIVED_FROM')")
    header, row = out.splitlines()
    assert header.split() == ["id", "label", "identity"] and row.split()[1:] == ["Dataset", "silver/customers"]


def test_unknown_ids_say_so_and_exit_1(demo_cli, capsys):
    code, out, err = gremlin(capsys, "g.V().has('model_id', 'churn_predictor@5').out('TRAINED_ON')")
    assert (code, out) == (1, "")
    assert err.strip() == ("lineage: no model version 'churn_predictor@5'; "
                           "churn_predictor has churn_predictor@2, churn_predictor@3")
    code, _, err = gremlin(capsys, "g.V().has('dataset_id', 'customers').in('TRAINED_ON')")
    assert code == 1 and "no Dataset has dataset_id 'customers'" in err and "gold/customers" in err
    code, _, err = gremlin(capsys, "g.V().hasLabel('Pipeline').has('pipeline_id', 'nightly').out()")
    assert code == 1 and "no pipeline with id 'nightly'" in err and "dataset ids" not in err
    code, out, _ = gremlin(capsys, "g.V().hasLabel('Model').out('TRAINED_ON').values('layer').toSet()")
    assert out.split() == ["gold"]
    code, _, err = gremlin(capsys, "g.V(987654321)")
    assert code == 1 and "no vertex with id 987654321" in err
    code, out, err = gremlin(capsys, "g.V().has('dataset_id', 'gold/sales_report').in('DERIVED_FROM')")
    assert (code, out, err) == (0, "", "")    # a known id with no results is simply empty


def test_mistakes_are_one_line_and_tracebacks_only_with_debug(demo_cli, capsys):
    code, _, err = gremlin(capsys, "g.V().foo()")
    assert (code, err.strip()) == (1, "lineage: foo() is not a Gremlin step")
    code, _, err = gremlin(capsys, "g.V().hasLable('Model')")
    assert code == 1 and "hasLable() is not a Gremlin step; did you mean hasLabel()?" in err
    code, _, err = gremlin(capsys, "g.V().has('dataset_id', 'gold/customers').in(")
    assert code == 1 and "cannot read" in err and "Traceback" not in err
    code, _, err = gremlin(capsys, "1/0")
    assert code == 1 and err.count("\n") == 1 and "ZeroDivisionError" in err and "--debug" in err
    code, _, err = gremlin(capsys, "1/0", "--debug")
    assert code == 1 and "Traceback (most recent call last)" in err


def test_unsupported_steps_on_the_embedded_engine_explain_themselves(demo_cli, capsys):
    query = "g.V().hasLabel('Dataset').groupCount().by('layer')"
    if demo_cli.backend.kind != "embedded":   # JanusGraph runs every step as sent
        code, out, _ = gremlin(capsys, query, "--json")
        assert code == 0 and json.loads(out)[0]["gold"] == 4
        return
    code, out, err = gremlin(capsys, query)
    assert (code, out) == (1, "")
    assert err.strip() == (
        "lineage: groupCount() is not supported by the embedded engine (gremlite has no groupCount() step); "
        "use project('key').by('<property>') with --json and count the rows, or run it on JanusGraph")
    for query, step, hint in [
        ("g.V().where(out('DERIVED_FROM').dedup())", "dedup()", "main traversal"),
        ("g.V().hasLabel('Model').out('TRAINED_ON').count().is(2)", "is()", "where("),
        ("g.V().hasLabel('Model').values('model_id').tail(1)", "tail()", "order()"),
        ("g.V().has('layer', between('a', 'c'))", "has()", "between()"),
        ("g.V().profile().limit(1)", "profile()", "last"),
        ("g.V().has(T.id, 5)", "has()", "g.V(id1, id2)"),
    ]:
        code, _, err = gremlin(capsys, query)
        assert code == 1 and err.count("\n") == 1, query
        assert err.startswith(f"lineage: {step} is not supported by the embedded engine (") and hint in err, err


def test_interactive_shell_reads_console_spelling(demo_cli, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(
        "g.V().has('dataset_id', 'gold/customers')\n"
        "g.V().has('dataset_id', 'gold/customers').in('TRAINED_ON').\n"
        "  values('model_id')\n"
        "g.V().nope()\n"))
    assert main(["gremlin"]) == 0
    out, err = capsys.readouterr()
    assert "gold/customers" in out and "churn_predictor@3" in out
    assert "nope() is not a Gremlin step" in err and "Traceback" not in err


def test_console_text_becomes_python():
    assert statements("// a comment\ng.V()\n  .out('X') // trailing\n\n  .in('Y')\ng.E()  # py") == [
        "g.V() .out('X') .in('Y')", "g.E()"]
    assert to_python("g.V().not(in('A')).as('a').where(is(null)).or(__.and(x), from('a'))") == \
        "g.V().not_(in_('A')).as_('a').where(is_(None)).or_(__.and_(x), from_('a'))"
    kept = "g.V().has('in', 'not // a string').values('x')"
    assert to_python(kept) == kept
    assert split_terminal("g.V().id().toList()") == ("g.V().id()", "list")
    assert split_terminal("g.V().next()") == ("g.V()", "next")
    assert statements("g.V().has('name', \"it's\")") == ["g.V().has('name', \"it's\")"]


@pytest.mark.parametrize("text", ["g.V().has('x', 'a // b')", "g.V().has('x', 'a # b')"])
def test_comment_markers_inside_strings_are_kept(text):
    assert statements(text) == [text]
