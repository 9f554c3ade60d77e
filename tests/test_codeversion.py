"""Code versions: a comment is no change, a body is; callees in the project count, libraries do not."""

import importlib.util
import subprocess
import sys
import textwrap

from lineage.capture.codeversion import code_version, function_id, normalise_sql, sql_version

BASE = '''
import json

def helper(x):
    return x + 1

def step(x, factor=2):
    """Double a number."""
    # a comment
    return helper(x) * factor + len(json.dumps(x))
'''


def load(tmp_path, name, source):
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def version(tmp_path, name, source):
    return code_version(load(tmp_path, name, source).step)


def test_identity_is_module_and_qualname(tmp_path):
    module = load(tmp_path, "cv_ident", BASE + "\nclass Job:\n    def run(self):\n        return 1\n")
    assert function_id(module.step) == "cv_ident.step"
    assert function_id(module.Job.run) == "cv_ident.Job.run"


def test_project_local_callees_are_included_and_libraries_are_not(tmp_path):
    hashed, callees = version(tmp_path, "cv_callees", BASE)
    assert hashed.startswith("sha256:") and len(hashed) == 7 + 64
    assert callees == ["cv_callees.helper"]


def test_comments_docstrings_and_formatting_do_not_change_the_version(tmp_path):
    base, _ = version(tmp_path, "cv_a", BASE)
    reformatted = BASE.replace("# a comment", "# another comment\n    # and more") \
        .replace('"""Double a number."""', '"""Multiply."""').replace("helper(x) * factor", "helper( x )*factor")
    same, _ = version(tmp_path, "cv_a", reformatted)
    assert same == base


def test_a_body_change_changes_the_version(tmp_path):
    base, _ = version(tmp_path, "cv_b", BASE)
    changed, _ = version(tmp_path, "cv_b", BASE.replace("* factor", "* factor + 1"))
    assert changed != base
    default, _ = version(tmp_path, "cv_b", BASE.replace("factor=2", "factor=3"))
    assert default != base


def test_a_callee_body_change_changes_the_version(tmp_path):
    base, _ = version(tmp_path, "cv_c", BASE)
    changed, _ = version(tmp_path, "cv_c", BASE.replace("return x + 1", "return x + 2"))
    assert changed != base


def test_the_version_is_the_same_in_another_process(tmp_path):
    here, _ = version(tmp_path, "cv_proc", BASE)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import cv_proc; "
            "from lineage.capture.codeversion import code_version; print(code_version(cv_proc.step)[0])")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                         check=True, env={"PYTHONHASHSEED": "99", "PATH": ""}).stdout.strip()
    assert out == here


def test_recursion_and_closures_terminate(tmp_path):
    module = load(tmp_path, "cv_rec", '''
def a(n):
    return b(n - 1) if n else 0

def b(n):
    return a(n)

def make():
    def inner(x):
        return a(x)
    return inner
''')
    _, callees = code_version(module.a)
    assert callees == ["cv_rec.b"]
    _, callees = code_version(module.make())
    assert "cv_rec.a" in callees


def test_sql_versions_ignore_comments_and_whitespace_but_not_literals():
    a = "SELECT customer_id, COUNT(*)\n  FROM orders -- all of them\n GROUP BY customer_id;"
    b = "/* nightly */ SELECT customer_id,   COUNT(*) FROM orders GROUP BY customer_id"
    assert normalise_sql(a) == "SELECT customer_id, COUNT(*) FROM orders GROUP BY customer_id"
    assert sql_version(a) == sql_version(b)
    assert sql_version("SELECT 'a  b'") != sql_version("SELECT 'a b'")
    assert sql_version(a) != sql_version(a.replace("COUNT(*)", "SUM(amount)"))
