"""Turn a finished training run into a bundled model: `resources/models/NAME.safetensors` + `NAME.md`.

Evaluates the run's best checkpoint (or, with `--checkpoint last`, its last) on the full test data (the card's headline figure) and on a quick
subset (the figure `tests/core/test_bundled_models.py` reproduces), then writes the weights with that
metadata and a model card that says how the data was prepared and the model trained, on what machine
and for how long, and the exact commands that measure it.

    python benchmarks/bundle_model.py --run RUN_DIR --name NAME --title "..." --data-note "..." \\
        --train-command "pixelrnn train ..." --test DATA [--quick DATA --quick-limit N]
"""
from __future__ import annotations

import argparse
import json
import platform
from datetime import date
from pathlib import Path

import torch

import pixelrnn_core as prc
from pixelrnn_core.io.bundled import MODELS_FOLDER


def run_duration(run: Path) -> tuple[int, float]:
    """(steps, hours) of a run, from its metrics records."""
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    times = [r["time"] for r in records if "time" in r]
    return max(r["step"] for r in records), (max(times) - min(times)) / 3600


def evaluate(name: str, data: str, limit: int | None) -> dict:
    result, _ = prc.evaluate_checkpoint(MODELS_FOLDER / f"{name}.safetensors", data, limit=limit)
    return {"data": data, "limit": limit, **result.to_dict()}


def output_note(config: prc.ModelConfig) -> str:
    """How the card names the model's output distribution: nothing for the paper's softmax."""
    if config.output == "logistic_mixture":
        return f"; output: a discretized mixture of {config.mixtures} logistics per sub-pixel (PixelCNN++)"
    return ""


def card_text(args, config: prc.ModelConfig, parameters: int, size, steps: int, hours: float, test: dict, quick: dict) -> str:
    limit = f" --limit {quick['limit']}" if quick["limit"] else ""
    return f"""# {args.name}

{args.title}

| | |
|---|---|
| architecture | {config.arch} (paper §3), {config.layers} residual layers, h = {config.hidden}, {config.out_hidden} output maps, residual {config.residual}, skip {config.skip}{output_note(config)} |
| parameters | {parameters:,} |
| images | {size[0]}×{size[1]}, {config.channels} channel(s), {config.levels} levels |
| **test NLL** | **{test['bits_per_dim']:.4f} bits/dim**, {test['nats_per_image']:.2f} nats/image, on {test['images']} test images |
| trained | {steps} steps in {hours:.2f} h on {args.hardware} ({date.today().isoformat()}) |

## Data

{args.data_note}

## Training

```bash
{args.train_command}
```

## Measure it

```bash
pixelrnn eval {args.name} {test['data']} --json
# {json.dumps({k: test[k] for k in ('bits_per_dim', 'nats_per_image', 'images')})}
pixelrnn eval {args.name} {quick['data']}{limit} --json
# {json.dumps({k: quick[k] for k in ('bits_per_dim', 'nats_per_image', 'images')})}   (checked by the tests)
```
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--title", required=True)
    parser.add_argument("--data-note", required=True)
    parser.add_argument("--train-command", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--quick")
    parser.add_argument("--quick-limit", type=int)
    parser.add_argument("--hardware", default=f"a 2-core CPU ({platform.machine()}), shared with other jobs, no GPU")
    parser.add_argument("--checkpoint", choices=("best", "last"), default="best",
                        help="the run's best validation checkpoint, or its last (the end of its schedule)")
    args = parser.parse_args()
    best = args.run / f"{args.checkpoint}.safetensors"
    model, metadata = prc.load_checkpoint(best), prc.checkpoint_metadata(best)
    MODELS_FOLDER.mkdir(parents=True, exist_ok=True)
    keep = {key: metadata[key] for key in ("data", "image_size", "training", "step", "epoch") if key in metadata}
    target = MODELS_FOLDER / f"{args.name}.safetensors"
    prc.save_checkpoint(target, model, **keep)
    test = evaluate(args.name, args.test, None)
    quick = evaluate(args.name, args.quick or args.test, args.quick_limit)
    steps, hours = run_duration(args.run)
    prc.save_checkpoint(target, model, **keep, bits_per_dim=test["bits_per_dim"], test=test, quick_eval=quick, title=args.title)
    parameters = sum(p.numel() for p in model.parameters())
    size = metadata.get("image_size") or [32, 32]
    card = card_text(args, model.config, parameters, size, steps, hours, test, quick)
    (MODELS_FOLDER / f"{args.name}.md").write_text(card, encoding="utf-8")
    print(card)


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    main()
