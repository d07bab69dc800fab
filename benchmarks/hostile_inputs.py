"""Measure what a hostile input costs: a crafted-config checkpoint refused (time and peak memory of the
whole `pixelrnn` process), and a second `pixelrnn train` into a run folder another process trains into.

    python benchmarks/hostile_inputs.py [--repeats 5] [--work /tmp/hostile]

Prints one line per measurement; docs/reliability.md records them with the date and load average.
The checkpoint is the bundled Fashion-MNIST model with only its header config changed
(hidden=10**4, layers=10**6, kernel=100001): loading it as written would build a model of tens of GiB.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

import pixelrnn_core as prc
from pixelrnn_core.io.bundled import MODELS_FOLDER

ROOT = Path(__file__).resolve().parents[1]
CRAFTED = {"hidden": 10**4, "layers": 10**6, "kernel": 100001}
WITHIN_LIMITS = {"hidden": 48}  # passes the limits; the meta-device build finds the weights do not fit


def crafted_checkpoint(target: Path, changes: dict[str, int] = CRAFTED) -> Path:
    """The bundled fashion-mnist checkpoint with ``changes`` written into its header config."""
    data = (MODELS_FOLDER / "fashion-mnist.safetensors").read_bytes()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + size])
    config = json.loads(header["__metadata__"]["config"])
    config.update(changes)
    header["__metadata__"]["config"] = json.dumps(config)
    text = json.dumps(header).encode()
    target.write_bytes(struct.pack("<Q", len(text)) + text + data[8 + size :])
    return target


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pixelrnn_gui.command", *args]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def timed_refusal(argv: list[str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in MB, the refusal line) of one run under /usr/bin/time -v."""
    result = subprocess.run(["/usr/bin/time", "-v", *argv], env=environment(), capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1)) // 1024
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", result.stderr).group(1)
    seconds = sum(float(part) * 60**index for index, part in enumerate(reversed(wall.split(":"))))
    line = next(line for line in result.stderr.splitlines() if line.startswith("pixelrnn "))
    return seconds, rss, line


def in_process_refusal(path: Path, repeats: int) -> None:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        try:
            prc.load_checkpoint(path)
        except prc.CheckpointError as error:
            message = str(error)
        times.append(time.perf_counter() - start)
    print(f"load_checkpoint refusal in-process: median {statistics.median(times) * 1000:.1f} ms, first {times[0] * 1000:.1f} ms "
          f"of {repeats}: {message}")


def measure_crafted(work: Path, repeats: int) -> None:
    path = crafted_checkpoint(work / "crafted.safetensors")
    Image.new("L", (28, 28)).save(work / "image.png")
    in_process_refusal(path, repeats)
    in_process_refusal(crafted_checkpoint(work / "within-limits.safetensors", WITHIN_LIMITS), repeats)
    baseline = [timed_refusal(command("sample", str(work / "missing.safetensors"), "--out", str(work / "o.png"))) for _ in range(repeats)]
    runs = {
        "sample": command("sample", str(path), "--out", str(work / "o.png")),
        "complete": command("complete", str(path), str(work / "image.png"), "--mask", str(work / "image.png"), "--out", str(work / "o.png")),
        "eval": command("eval", str(path), str(work / "image.png")),
    }
    print(f"baseline `pixelrnn sample MISSING`: median wall {statistics.median(r[0] for r in baseline):.2f} s, "
          f"median peak RSS {statistics.median(r[1] for r in baseline)} MB")
    for name, argv in runs.items():
        results = [timed_refusal(argv) for _ in range(repeats)]
        print(f"`pixelrnn {name}` crafted: median wall {statistics.median(r[0] for r in results):.2f} s, "
              f"median peak RSS {statistics.median(r[1] for r in results)} MB, max {max(r[1] for r in results)} MB: {results[0][2]}")


def train_command(data: Path, run: Path, *more: str) -> list[str]:
    return command("train", str(data), "--arch", "pixelcnn", "--hidden", "4", "--layers", "1", "--out-hidden", "4",
                   "--size", "8", "--levels", "4", "--batch-size", "2", "--epochs", "1000", "--checkpoint-every", "5",
                   "--log-every", "1", "--preview-every", "0", "--out", str(run), *more)


def train_steps(run: Path) -> int:
    path = run / "metrics.jsonl"
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text().splitlines() if '"train"' in line)


def measure_lock(work: Path) -> None:
    data, run = work / "images", work / "run"
    data.mkdir()
    for index in range(16):
        Image.fromarray(np.random.default_rng(index).integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(data / f"{index}.png")
    first = subprocess.Popen(train_command(data, run), env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while train_steps(run) < 10 or not (run / "training-state.safetensors").exists():
        time.sleep(0.1)
    second = subprocess.run(command("train", "--resume", str(run)), env=environment(), capture_output=True, text=True)
    third = subprocess.run(train_command(data, run), env=environment(), capture_output=True, text=True)
    before = train_steps(run)
    time.sleep(2)
    after = train_steps(run)
    print(f"second `pixelrnn train --resume RUN` while the first trains: exit {second.returncode}: {second.stderr.strip().splitlines()[-1]}")
    print(f"second `pixelrnn train DATA --out RUN`: exit {third.returncode}: {third.stderr.strip().splitlines()[-1]}")
    print(f"the first kept training: {before} -> {after} steps in 2 s (pid {first.pid})")
    first.send_signal(signal.SIGKILL)
    first.wait()
    resumed = subprocess.run(command("train", "--resume", str(run), "--max-steps", str(after + 20)), env=environment(),
                             capture_output=True, text=True)
    print(f"after kill -9 of {first.pid}: `pixelrnn train --resume RUN --max-steps {after + 20}`: exit {resumed.returncode}: "
          + " / ".join(line for line in resumed.stdout.splitlines() if line.startswith(("resuming", "completed"))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/hostile"))
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    print(f"load average: {open('/proc/loadavg').read().strip()}")
    measure_crafted(args.work, args.repeats)
    measure_lock(args.work)
    print(f"load average: {open('/proc/loadavg').read().strip()}")


if __name__ == "__main__":
    main()
