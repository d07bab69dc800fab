"""Whether the cached engine's compiled steps (numba) are in numba's on-disk cache, and readying them.

The first completion after installing compiles the per-pixel steps (~12 s for every architecture on a
2-core CPU, 5-6 s for the PixelCNN's alone); numba keeps them in its cache, so later processes only load
them (about a second). A marker per architecture next to numba's cache, named after the compiled
sources and the numba and Python versions, records that a compile finished, so a caller compiles only
the steps its model uses and says what is happening only when it will take long.
"""
from __future__ import annotations

import contextlib
import hashlib
import inspect
import platform
import time
from collections.abc import Callable, Collection, Iterator
from functools import lru_cache
from pathlib import Path

import numba
import numpy as np

from ..models.config import ModelConfig
from ..models.registry import build_model
from . import sampling
from .cached import kernels
from .job import complete

PREPARED_ARCHITECTURES = ("pixelcnn", "row_lstm", "diagonal_bilstm")


def variant_name(arch: str, base_arch: str) -> str:
    return arch if arch != "multiscale" else f"multiscale ({base_arch})"


def completion_variant(config: ModelConfig) -> str:
    """The name under which :func:`prepare_completion` readies the steps a model of ``config`` uses: its
    architecture, or ``"multiscale (BASE)"``."""
    return variant_name(config.arch, config.base_arch)


def prepared_variants() -> list[tuple[str, str, dict[str, str]]]:
    """``(name, arch, options)`` of every variant :func:`prepare_completion` readies, in its order."""
    single = [(arch, arch, {}) for arch in PREPARED_ARCHITECTURES]
    return single + [(variant_name("multiscale", base), "multiscale", {"base_arch": base}) for base in PREPARED_ARCHITECTURES]


def completion_variants() -> list[str]:
    """Every variant's name, in the order :func:`prepare_completion` readies them."""
    return [name for name, _, _ in prepared_variants()]


def prepare_completion(variants: Collection[str] | None = None) -> Iterator[str]:
    """Get the cached engine's compiled per-pixel steps ready, so that a first completion starts at once.

    Returns a generator (iterate it: nothing is readied before): for each architecture (multi-scale on
    each base), or only for ``variants`` (architecture names, "multiscale (BASE)" for a multi-scale
    model on BASE: :func:`completion_variant`), it fills one row with a tiny model, for one candidate
    and for two, and with a tiny logistic-mixture model, marks the variant's steps compiled, then
    yields its name, so a caller can stop between two. The first time after installation this compiles
    the steps (numba keeps them in its cache; about 12 s in all on a 2-core CPU, 5-6 s for the
    PixelCNN's alone); later it loads them (about a second). Run it ahead of time, e.g. on a background
    thread while an app starts.
    """
    return readied_variants(chosen_variants(variants))  # an unknown name is refused at the call, not at the first step


def readied_variants(wanted: list[str]) -> Iterator[str]:
    """Ready each variant of ``wanted`` in turn (see :func:`prepare_completion`), yielding its name."""
    image = np.zeros((4, 4, 3), dtype=np.uint8)
    mask = np.zeros((4, 4), dtype=bool)
    mask[3] = True
    settings = {"channels": 3, "levels": 4, "hidden": 3, "layers": 2, "out_hidden": 6, "upsample_features": 3}
    for name, arch, extra in prepared_variants():
        if name not in wanted:
            continue
        model = build_model(arch, **settings, **extra).eval()
        for samples in (1, 2):
            complete(model, image, mask, samples=samples)
        mixture = build_model(arch, **settings, **extra, output="logistic_mixture", mixtures=2).eval()
        complete(mixture, image, mask)  # its distributions' step (kernels.mixture_log_probs_into)
        mark_compiled(name)
        yield name


def marker_folder() -> Path:
    """The folder numba caches the compiled steps in."""
    return Path(kernels.accumulate_product.stats.cache_path)


@lru_cache(maxsize=1)
def sources_stamp() -> str:
    """A short hash of the compiled sources and the numba and Python versions."""
    sources = "".join(inspect.getsource(module) for module in (kernels, sampling))
    return hashlib.sha256(f"{sources}{numba.__version__}{platform.python_version()}".encode()).hexdigest()[:16]


def marker_path(variant: str) -> Path:
    """The marker file of ``variant``'s steps (see :func:`completion_variant`) for the current
    compiled sources."""
    slug = variant.replace(" (", "-").replace(")", "")
    return marker_folder() / f"pixelrnn-steps-{sources_stamp()}-{slug}.ready"


def chosen_variants(variants: str | Collection[str] | None) -> list[str]:
    """The variants named (one name, several, or None for every one); an unknown name is a ValueError."""
    known = completion_variants()
    chosen = known if variants is None else [variants] if isinstance(variants, str) else list(variants)
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise ValueError(f"unknown completion variant(s) {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    return chosen


def mark_compiled(variant: str) -> None:
    """Record that ``variant``'s steps are in numba's cache (a read-only cache folder: numba falls back
    too, and the first-use note just repeats)."""
    with contextlib.suppress(OSError):
        marker_path(variant).touch()


def completion_steps_cached(variant: str | None = None) -> bool:
    """Whether the compiled steps of ``variant`` (default: of every architecture) were already compiled
    into numba's cache (so readying them is quick)."""
    return all(marker_path(name).exists() for name in chosen_variants(variant))


def ready_completion_steps(report: Callable[[str], None], variant: str | None = None) -> float:
    """Compile (or load) the cached engine's steps, of ``variant`` only if given (the first completion
    with a PixelCNN then compiles in 5-6 s instead of ~12 s); when they are not cached yet, ``report`` a
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
    return seconds
