"""Whether the cached engine's compiled steps (numba) are in numba's on-disk cache, and readying them.

The first completion after installing compiles the per-pixel steps (~12 s for every architecture on a
2-core CPU, ~5 s for the PixelCNN's alone); numba keeps them in its cache, so later processes only load
them (about a second). A marker per architecture next to numba's cache, named after the compiled
sources and the numba and Python versions, records that a compile finished, so a caller compiles only
the steps its model uses and says what is happening only when it will take long.
"""
from __future__ import annotations

import hashlib
import inspect
import platform
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numba

from . import sampling
from .cached import kernels
from .job import completion_variants, prepare_completion


def marker_folder() -> Path:
    """The folder numba caches the compiled steps in."""
    return Path(kernels.accumulate_product.stats.cache_path)


@lru_cache(maxsize=1)
def sources_stamp() -> str:
    """A short hash of the compiled sources and the numba and Python versions."""
    sources = "".join(inspect.getsource(module) for module in (kernels, sampling))
    return hashlib.sha256(f"{sources}{numba.__version__}{platform.python_version()}".encode()).hexdigest()[:16]


def marker_path(variant: str) -> Path:
    """The marker file of ``variant``'s steps (see :func:`.job.completion_variant`) for the current
    compiled sources."""
    slug = variant.replace(" (", "-").replace(")", "")
    return marker_folder() / f"pixelrnn-steps-{sources_stamp()}-{slug}.ready"


def chosen_variants(variant: str | None) -> list[str]:
    return completion_variants() if variant is None else [variant]


def completion_steps_cached(variant: str | None = None) -> bool:
    """Whether the compiled steps of ``variant`` (default: of every architecture) were already compiled
    into numba's cache (so readying them is quick)."""
    return all(marker_path(name).exists() for name in chosen_variants(variant))


def ready_completion_steps(report: Callable[[str], None], variant: str | None = None) -> float:
    """Compile (or load) the cached engine's steps, of ``variant`` only if given (the first completion
    with a PixelCNN then compiles in ~5 s instead of ~12 s); when they are not cached yet, ``report`` a
    line before ("compiling ...") and one after with the time taken. Returns the seconds spent."""
    variants = chosen_variants(variant)
    compiling = not completion_steps_cached(variant)
    if compiling:
        which = "" if variant is None else f" of {variant} models"
        report(f"compiling the fast completion steps{which} for their first use (numba; once after installing) ...")
    started = time.perf_counter()
    for _ in prepare_completion(variants):
        pass
    seconds = time.perf_counter() - started
    if compiling:
        report(f"compiled the completion steps in {seconds:.1f} s; later runs load them from numba's cache")
        try:
            for name in variants:
                marker_path(name).touch()
        except OSError:  # a read-only cache folder: numba falls back too, and the note just repeats
            pass
    return seconds
