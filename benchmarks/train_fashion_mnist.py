"""Each architecture trained with the same step budget on Fashion-MNIST, 8-bit (bits/dim) and
dynamically binarized (nats/image); prints test NLL and training speed as a Markdown table.

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/train_fashion_mnist.py --steps 500 --out /tmp/fm-bench

Data: Debian package `dataset-fashion-mnist` (files under /usr/share/datasets/fashion-mnist/).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pixelrnn_core as prc
from pixelrnn_core.data import load_evaluation_data
from pixelrnn_core.training.evaluation import evaluation_spec

DATA = Path("/usr/share/datasets/fashion-mnist")
MODES = {"8-bit": dict(levels=256, binarize="none"), "binarized": dict(levels=2, binarize="dynamic")}


def train_one(arch: str, mode: str, args: argparse.Namespace) -> dict:
    """Train one model for ``args.steps`` steps and evaluate it on the test images."""
    spec = prc.DatasetSpec(str(args.data / "train-images-idx3-ubyte.gz"), val_fraction=0.01, **MODES[mode])
    config = prc.ModelConfig(arch, channels=1, levels=spec.levels, hidden=args.hidden, layers=args.layers, out_hidden=32)
    settings = prc.TrainSettings(
        optimizer="rmsprop", lr=args.lr, batch_size=16, max_steps=args.steps, epochs=1,
        checkpoint_every=args.steps, log_every=10,
    )
    trainer = prc.new_run(args.out / f"{arch}-{mode}", spec, config, settings, "cpu")
    rates = []
    started = time.perf_counter()
    for event in trainer.events():
        if isinstance(event, prc.TrainStep):
            rates.append(event.images_per_second)
    wall = time.perf_counter() - started
    test_spec = evaluation_spec(prc.checkpoint_info(trainer.folder.checkpoint_path("last")), str(args.data / "t10k-images-idx3-ubyte.gz"))
    images, _ = load_evaluation_data(test_spec.replace(limit=args.test_limit))
    result = prc.evaluate_images(trainer.model, images, test_spec, batch_size=64)
    return {
        "arch": arch, "mode": mode, "steps": args.steps, "parameters": sum(p.numel() for p in trainer.model.parameters()),
        "test_bits_per_dim": result.bits_per_dim, "test_nats_per_image": result.nats_per_image, "test_images": result.images,
        "train_images_per_second": sum(rates) / len(rates), "wall_seconds": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--test-limit", type=int, default=None, help="evaluate on the first N test images")
    parser.add_argument("--archs", nargs="+", default=["pixelcnn", "row_lstm", "diagonal_bilstm"])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, required=True, help="folder for the run folders (must not hold them yet)")
    args = parser.parse_args()
    rows = []
    for mode in MODES:
        for arch in args.archs:
            rows.append(train_one(arch, mode, args))
            print(json.dumps(rows[-1]), flush=True)
    print("\n| data | arch | parameters | test bits/dim | test nats/image | train images/s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['mode']} | {r['arch']} | {r['parameters']:,} | {r['test_bits_per_dim']:.4f} | "
              f"{r['test_nats_per_image']:.2f} | {r['train_images_per_second']:.0f} |")


if __name__ == "__main__":
    main()
