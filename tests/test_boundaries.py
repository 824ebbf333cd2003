"""Architecture rules checked on the source: the engine boundary and the module size limit."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "webapp"
FACADE = PACKAGE / "workflow"
ENGINE_PACKAGE = "spiffworkflow"
MAX_LINES = 400


def modules() -> list[Path]:
    found = sorted(PACKAGE.rglob("*.py"))
    assert found, f"no module found under {PACKAGE}"
    return found


def engine_imports(path: Path) -> list[str]:
    """`line: statement` for every import of SpiffWorkflow in a module, however it is spelled."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    hits = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
            func = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if func in ("__import__", "import_module") and node.args and \
                    isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        for name in names:
            if name.split(".")[0].lower() == ENGINE_PACKAGE:
                hits.append(f"{node.lineno}: {name}")
    return hits


def test_the_check_sees_the_facade_imports():
    """Does the import check find SpiffWorkflow where it is allowed (so it can find it elsewhere)?"""
    assert engine_imports(FACADE / "engine.py")
    assert engine_imports(FACADE / "expressions.py")


def test_the_check_sees_every_spelling(tmp_path):
    """Are `import`, `from … import` and dynamic imports of SpiffWorkflow all caught?"""
    sample = tmp_path / "sample.py"
    sample.write_text("import SpiffWorkflow\nfrom SpiffWorkflow.bpmn import workflow\n"
                      "import importlib\nimportlib.import_module('SpiffWorkflow.util')\n"
                      "__import__('SpiffWorkflow')\nfrom .workflow import Instance\nimport json\n")
    assert len(engine_imports(sample)) == 4


@pytest.mark.parametrize("path", [p for p in modules() if FACADE not in p.parents],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_facade_imports_the_engine(path):
    """Does this module stay off SpiffWorkflow (only webapp/workflow/ may import it)?"""
    assert engine_imports(path) == []


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_exceeds_400_lines(path):
    """Is this module within the ~400-line limit of the architecture?"""
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE.parent)} has {lines} lines"
