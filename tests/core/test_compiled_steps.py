"""The first use of the compiled completion steps says what it does and how long it took, once."""
from __future__ import annotations

from pixelrnn_core.completion import compiled_steps


def test_compile_is_announced_once(tmp_path, monkeypatch):
    monkeypatch.setattr(compiled_steps, "marker_path", lambda: tmp_path / "steps.ready")
    lines: list[str] = []
    assert not compiled_steps.completion_steps_cached()
    compiled_steps.ready_completion_steps(lines.append)
    assert len(lines) == 2 and "compiling" in lines[0] and lines[1].startswith("compiled the completion steps in ")
    assert compiled_steps.completion_steps_cached()
    compiled_steps.ready_completion_steps(lines.append)
    assert len(lines) == 2

