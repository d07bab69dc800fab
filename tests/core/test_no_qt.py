"""The core knows nothing of Qt (docs/design.md, "Principles")."""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pixelrnn_core

QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "qtpy", "qasync", "pixelrnn_gui")
CORE = pathlib.Path(pixelrnn_core.__file__).parent


def imported_modules(path: pathlib.Path) -> set[str]:
    """Top-level modules imported anywhere in a file, at module level or inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_core_module_imports_qt():
    offenders = {
        str(path.relative_to(CORE)): sorted(imported_modules(path) & set(QT_MODULES))
        for path in CORE.rglob("*.py")
        if imported_modules(path) & set(QT_MODULES)
    }
    assert not offenders, f"pixelrnn_core imports Qt: {offenders}"


def test_importing_the_core_loads_no_qt():
    code = (
        "import sys, pixelrnn_core, pixelrnn_core.cli; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
