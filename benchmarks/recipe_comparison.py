"""Which training levers lower test NLL at equal CPU time: each variant of a baseline recipe trains
for the same budget of CPU-seconds on Fashion-MNIST (8-bit, 28x28) with one thread, then scores
test bits/dim on the first test images; prints a Markdown table.

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/recipe_comparison.py --cpu-seconds 180 --out /tmp/recipe

The budget counts process CPU time (``time.process_time``) of the training loop only, so a machine
loaded by other processes gives the same figures. A variant's number of steps is planned from a
short calibration run (its CPU-seconds per step), so that the learning-rate schedule ends with the
budget; a run that is still going when the budget is spent is stopped there. ``--only`` runs some
variants and ``--results`` appends each result as a JSON line, so a table may be gathered over
several processes. The gated-activation variant swaps the PixelCNN's block for one with the Gated
PixelCNN's tanh * sigmoid gate (defined here, not in the library: the cached completion engine has no
kernel for it) and is scored in the same process. Data: Debian package `dataset-fashion-mnist` (/usr/share/datasets/fashion-mnist/).
"""
from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

import pixelrnn_core as prc
from pixelrnn_core.data import load_evaluation_data
from pixelrnn_core.models.masks import MaskedConv2d, gate_groups
from pixelrnn_core.models.pixelcnn import PixelCNN

DATA = Path("/usr/share/datasets/fashion-mnist")
TRAIN_FILE, TEST_FILE = "train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"
BASELINE_MODEL = dict(arch="pixelcnn", channels=1, levels=256, hidden=32, layers=5, out_hidden=32)
BASELINE_TRAINING = dict(
    optimizer="adam", lr=1e-3, batch_size=16, schedule="cosine", warmup_steps=100, precision="fp32", epochs=1000
)
CALIBRATION_STEPS = (8, 24)  # CPU time per step is taken between these two steps of a throwaway run


@dataclass(frozen=True)
class Variant:
    """The baseline with some model and training settings changed."""

    name: str
    lever: str
    setting: str
    model: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    gated: bool = False


class GatedPixelCNNBlock(nn.Module):
    """The PixelCNN block with a gated activation after its k x k convolution (Gated PixelCNN, van den
    Oord et al. 2016): ReLU, 1x1 (2h -> h), ReLU, k x k (h -> 2h), tanh(a) * sigmoid(b), 1x1 (h -> 2h)."""

    def __init__(self, config: prc.ModelConfig) -> None:
        super().__init__()
        h, c = config.hidden, config.channels
        self.reduce = MaskedConv2d(2 * h, h, 1, "B", c)
        self.conv = MaskedConv2d(h, 2 * h, config.kernel, "B", c, out_groups=gate_groups(h, c, gates=2))
        self.expand = MaskedConv2d(h, 2 * h, 1, "B", c)

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        tanh_half, gate_half = self.conv(torch.relu(self.reduce(torch.relu(x)))).chunk(2, dim=1)
        return self.expand(torch.tanh(tanh_half) * torch.sigmoid(gate_half))


class GatedPixelCNN(PixelCNN):
    def make_block(self, config: prc.ModelConfig) -> nn.Module:
        return GatedPixelCNNBlock(config)


VARIANTS = [
    Variant("baseline", "baseline", "pixelcnn h=32 x5, Adam 1e-3, cosine, warm-up 100, batch 16, fp32"),
    Variant("baseline-seed1", "noise", "baseline, seed 1", seed=1),
    Variant("baseline-seed2", "noise", "baseline, seed 2", seed=2),
    Variant("rmsprop", "optimizer", "RMSProp 1e-3 (paper)", training=dict(optimizer="rmsprop")),
    Variant("constant", "schedule", "constant learning rate", training=dict(schedule="constant")),
    Variant("no-warmup", "warm-up", "0 steps", training=dict(warmup_steps=0)),
    Variant("batch64", "batch size", "64", training=dict(batch_size=64)),
    Variant("ema", "EMA of weights", "decay 0.999", training=dict(ema=0.999)),
    Variant("ema-0.99", "EMA of weights", "decay 0.99", training=dict(ema=0.99)),
    Variant("dropout", "dropout", "0.1", model=dict(dropout=0.1)),
    Variant("bf16", "precision", "bf16 autocast", training=dict(precision="bf16")),
    Variant("logistic-mixture", "output", "discretized logistic mixture, 10 components", model=dict(output="logistic_mixture")),
    Variant("gated", "activations", "gated tanh * sigmoid after the 3x3 (h -> 2h maps)", gated=True),
    Variant("row_lstm", "architecture", "row_lstm h=20 x5", model=dict(arch="row_lstm", hidden=20)),
    Variant("diagonal_bilstm", "architecture", "diagonal_bilstm h=21 x5", model=dict(arch="diagonal_bilstm", hidden=21)),
]


def plan(variant: Variant, data: Path) -> tuple[prc.DatasetSpec, prc.ModelConfig, prc.TrainSettings]:
    spec = prc.DatasetSpec(str(data / TRAIN_FILE), levels=256, val_fraction=0.0, seed=variant.seed)
    model = prc.ModelConfig(**{**BASELINE_MODEL, **variant.model})
    training = prc.TrainSettings(**{
        **BASELINE_TRAINING, **variant.training, "seed": variant.seed, "checkpoint_every": 10**9, "log_every": 1,
    })
    return spec, model, training


def start_run(variant: Variant, folder: Path, spec, model, training) -> prc.Trainer:
    """A new run of ``variant``: through ``prc.new_run``, or for the gated block a bare trainer."""
    if not variant.gated:
        return prc.new_run(folder, spec, model, training)
    folder.mkdir(parents=True)
    torch.manual_seed(training.seed)
    return prc.Trainer(folder, GatedPixelCNN(model), prc.load_training_data(spec), training, torch.device("cpu"))


def cpu_seconds_per_step(variant: Variant, data: Path, out: Path) -> float:
    """CPU-seconds per step of ``variant``, from a short throwaway run."""
    spec, model, training = plan(variant, data)
    first, last = CALIBRATION_STEPS
    trainer = start_run(variant, out / f"{variant.name}-calibration", spec, model, training.replace(max_steps=last))
    marks = {}
    for event in trainer.events():
        if isinstance(event, prc.TrainStep) and event.step in (first, last):
            marks[event.step] = time.process_time()
    return (marks[last] - marks[first]) / (last - first)


def train_for(variant: Variant, data: Path, out: Path, cpu_seconds: float, test_images: int) -> dict[str, Any]:
    """Train ``variant`` for ``cpu_seconds`` of CPU time and score its saved model on the test images."""
    steps = max(CALIBRATION_STEPS[1], math.floor(cpu_seconds / cpu_seconds_per_step(variant, data, out)))
    spec, model, training = plan(variant, data)
    trainer = start_run(variant, out / variant.name, spec, model, training.replace(max_steps=steps))
    started = time.process_time()
    for event in trainer.events():
        if isinstance(event, prc.TrainStep) and time.process_time() - started >= cpu_seconds:
            trainer.cancel()
        if isinstance(event, prc.Finished):
            finished = event
    used = time.process_time() - started
    test = score(variant, trainer, data, test_images)
    return {
        "name": variant.name, "lever": variant.lever, "setting": variant.setting, "planned_steps": steps,
        "steps": finished.step, "images_seen": finished.step * training.batch_size, "cpu_seconds": round(used, 1),
        "parameters": sum(p.numel() for p in trainer.model.parameters()),
        "test_bits_per_dim": test.bits_per_dim, "test_images": test.images,
    }


def score(variant: Variant, trainer: prc.Trainer, data: Path, test_images: int) -> prc.Evaluation:
    """Test bits/dim of the run's saved model, or of the gated model in memory (no checkpoint can
    rebuild a block the library does not have)."""
    if not variant.gated:
        test, _ = prc.evaluate_checkpoint(
            trainer.folder.checkpoint_path("last"), data / TEST_FILE, batch_size=16, limit=test_images
        )
        return test
    spec = prc.DatasetSpec(str(data / TEST_FILE), levels=256, limit=test_images)
    images, _ = load_evaluation_data(spec)
    return prc.evaluate_images(trainer.evaluated_model, images, spec, batch_size=16)


def table(rows: list[dict[str, Any]]) -> str:
    """The Markdown table: each lever's test bits/dim and its difference from the baseline's."""
    baseline = next((r["test_bits_per_dim"] for r in rows if r["name"] == "baseline"), None)
    lines = [
        "| lever | setting | parameters | steps (planned) | images seen | CPU s | test bits/dim | Δ vs baseline |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        delta = "" if baseline is None or r["name"] == "baseline" else f"{r['test_bits_per_dim'] - baseline:+.4f}"
        lines.append(
            f"| {r['lever']} | {r['setting']} | {r['parameters']:,} | {r['steps']:,} ({r['planned_steps']:,}) | {r['images_seen']:,} | "
            f"{r['cpu_seconds']:.0f} | {r['test_bits_per_dim']:.4f} | {delta} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-seconds", type=float, default=180.0, help="training CPU time of each variant")
    parser.add_argument("--test-images", type=int, default=1000, help="score the first N test images")
    parser.add_argument("--only", nargs="+", choices=[v.name for v in VARIANTS], help="run only these variants")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, help="folder for the run folders (must not hold them yet)")
    parser.add_argument("--results", type=Path, help="append each result to this JSON-lines file; the table shows all of it")
    parser.add_argument("--table-only", action="store_true", help="print the table of --results without training")
    args = parser.parse_args()
    if args.out is None and not args.table_only:
        parser.error("--out is required to train")
    torch.set_num_threads(1)
    rows = []
    for variant in VARIANTS:
        if args.table_only or (args.only and variant.name not in args.only):
            continue
        rows.append(train_for(variant, args.data, args.out, args.cpu_seconds, args.test_images))
        print(json.dumps(rows[-1]), flush=True)
        if args.results:
            with args.results.open("a") as results:
                results.write(json.dumps(rows[-1]) + "\n")
    if args.results:
        order = [v.name for v in VARIANTS]
        rows = sorted((json.loads(line) for line in args.results.read_text().splitlines()), key=lambda r: order.index(r["name"]))
    print(table(rows))


if __name__ == "__main__":
    main()
