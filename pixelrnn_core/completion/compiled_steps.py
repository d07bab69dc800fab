"""Whether the cached engine's compiled steps (numba) are in numba's on-disk cache, and readying them.

The first completion after installing compiles the per-pixel steps (several seconds to half a minute
on a 2-core CPU); numba keeps them in its cache, so later processes only load them (about a second).
A marker next to numba's cache, named after the compiled sources and the numba and Python versions,
records that a compile finished, so a caller can say what is happening only when it will take long.
"""
from __future__ import annotations

import hashlib
import inspect
import platform
import time
from pathlib import Path
from typing import Callable

import numba

from . import sampling
from .cached import kernels
from .job import prepare_completion


def marker_path() -> Path:
    """The marker file of the current compiled sources, in the folder numba caches them in."""
    sources = "".join(inspect.getsource(module) for module in (kernels, sampling))
    stamp = hashlib.sha256(f"{sources}{numba.__version__}{platform.python_version()}".encode()).hexdigest()[:16]
    return Path(kernels.accumulate_product.stats.cache_path) / f"pixelrnn-steps-{stamp}.ready"


def completion_steps_cached() -> bool:
    """Whether the compiled steps were already compiled into numba's cache (so readying them is quick)."""
    return marker_path().exists()


def ready_completion_steps(report: Callable[[str], None]) -> float:
    """Compile (or load) the cached engine's steps; when they are not cached yet, ``report`` a line
    before ("compiling ...") and one after with the time taken. Returns the seconds spent."""
    compiling = not completion_steps_cached()
    if compiling:
        report("compiling the fast completion steps for their first use (numba; once after installing) ...")
    started = time.perf_counter()
    for _ in prepare_completion():
        pass
    seconds = time.perf_counter() - started
    if compiling:
        report(f"compiled the completion steps in {seconds:.1f} s; later runs load them from numba's cache")
        try:
            marker_path().touch()
        except OSError:  # a read-only cache folder: numba falls back too, and the note just repeats
            pass
    return seconds
