"""The training loop, shared by the CLI and the GUI (paper §5: maximum likelihood of the discrete
sub-pixel values with RMSProp).

:class:`Trainer` is a generator of events (:mod:`.train_events`): the caller iterates ``events()``
(or calls ``run(callback)``) on whatever thread it likes; ``cancel()``, ``pause()`` and ``resume()``
may be called from any thread and take effect between two steps. Start a run with :func:`new_run`,
continue a stopped or killed one with :func:`resume_run`. Under torchrun the same loop trains with
DistributedDataParallel and only rank 0 writes files.
"""
from __future__ import annotations

import contextlib
import math
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

from ..data import DataError, DatasetSpec, TrainingData, detect_format, load_training_data, model_input
from ..devices import parse_device
from ..io.checkpoints import CheckpointError, checkpoint_metadata, load_checkpoint, save_checkpoint
from ..memory import check_training_memory
from ..models.config import ModelConfig
from ..models.registry import model_from_config
from .averaging import weight_average
from .cuda_graphs import GraphedObjective, uses_cuda_graphs
from .distributed import barrier, is_main_process, rank, sum_over_processes, world_size
from .evaluation import check_eight_bit, check_images_fit_model, default_eval_batch_size, scored_images
from .events import CheckpointSaved, Finished, Paused, Preview, StepDone, TrainStep, Validation
from .layout import to_fast_layout
from .model_names import find_checkpoint
from .objective import LogLikelihood
from .run_config import RunConfig
from .run_folder import RunFolder
from .run_lock import RunLock
from .settings import TrainSettings, autocast_dtype, learning_rate, make_optimizer
from .state import load_training_state, save_training_state

PreviewHook = Callable[[nn.Module, int], Any]
Event = StepDone | TrainStep | Validation | CheckpointSaved | Preview | Paused | Finished


def step_seed(seed: int, step: int, process: int) -> int:
    """Seed of the random choices (augmentation, dynamic binarization) of one step of one process."""
    return (seed * 1_000_003 + step * 7_919 + process * 104_729) % (2**63)


class Trainer:
    """Trains ``model`` on ``data`` into the run folder ``run_dir`` (from step 0, or from a saved
    state after :meth:`restore`)."""

    def __init__(
        self,
        run_dir: str | Path,
        model: nn.Module,
        data: TrainingData,
        settings: TrainSettings,
        device: torch.device,
        preview: PreviewHook | None = None,
        lock: RunLock | None = None,
    ) -> None:
        self.folder = RunFolder(run_dir)
        self.lock = lock
        self.model = to_fast_layout(model.to(device))
        self.data = data
        self.settings = settings
        self.device = device
        self.preview = preview
        self.graphed = uses_cuda_graphs(device, world_size())
        self.autocast = autocast_dtype(settings.precision, device, training=True)
        self.validation_autocast = autocast_dtype(settings.precision, device)
        self.optimizer = make_optimizer(settings, self.model.parameters())
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.autocast == torch.float16)
        self.average = weight_average(self.model, settings.ema)
        self.step = 0
        self.epoch = 0
        self.step_in_epoch = 0
        self.best_bits_per_dim: float | None = None
        self.last_validation: float | None = None
        self.validated_step: int | None = None
        self.saved_step = 0
        self.resumed_from: str | None = None
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._events_taken = False
        self.sampler = DistributedSampler(
            range(len(data.train)), num_replicas=world_size(), rank=rank(), shuffle=True, seed=data.spec.seed
        )

    # --- control, from any thread -------------------------------------------------------------
    def cancel(self) -> None:
        """Stop after the current step; the run saves its last checkpoint and finishes."""
        self._cancel.set()
        self._running.set()

    def pause(self) -> None:
        """Wait after the current step until :meth:`resume` or :meth:`cancel`. The thread taking the
        events is the one that waits: only another thread can resume it (to stop in the loop itself,
        stop taking events, or cancel, and continue later with :func:`resume_run`)."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    # --- sizes ---------------------------------------------------------------------------------
    @property
    def steps_per_epoch(self) -> int:
        return self.settings.steps_per_epoch(len(self.sampler))

    @property
    def total_steps(self) -> int:
        return self.settings.total_steps(len(self.sampler))

    @property
    def evaluated_model(self) -> nn.Module:
        """The weights that are validated, saved as checkpoints and previewed: the moving average
        with ``settings.ema``, else the trained weights themselves."""
        return self.model if self.average is None else self.average.module

    # --- state ---------------------------------------------------------------------------------
    def progress(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "epoch": self.epoch,
            "step_in_epoch": self.step_in_epoch,
            "best_bits_per_dim": self.best_bits_per_dim,
            "last_validation_bits_per_dim": self.last_validation,
            "validated_step": self.validated_step,
        }

    def restore(self, path: Path) -> None:
        """Continue from the training state saved at ``path``."""
        progress = load_training_state(path, self.model, self.optimizer, self.scaler, self.average)
        self.step = progress["step"]
        self.epoch = progress["epoch"]
        self.step_in_epoch = progress["step_in_epoch"]
        self.best_bits_per_dim = progress["best_bits_per_dim"]
        self.last_validation = progress["last_validation_bits_per_dim"]
        self.validated_step = progress["validated_step"]
        self.saved_step = self.step

    def checkpoint_metadata(self) -> dict[str, Any]:
        return {
            "data": self.data.spec.to_dict(),
            "image_size": list(self.data.image_size),
            "training": self.settings.to_dict(),
            "step": self.step,
            "epoch": self.epoch,
            "bits_per_dim": self.last_validation,
        }

    def save(self, kinds: tuple[str, ...]) -> Iterator[CheckpointSaved]:
        """Write, with "last", the training state and then the weights as each of ``kinds`` (rank 0
        only). The state goes first, so a kill in between leaves a state to resume from, never a
        ``last`` checkpoint without one."""
        if is_main_process():
            if "last" in kinds:
                save_training_state(
                    self.folder.state_path, self.model, self.optimizer, self.progress(), self.scaler, self.average
                )
            for kind in kinds:
                path = self.folder.checkpoint_path(kind, self.step)
                save_checkpoint(path, self.evaluated_model, **self.checkpoint_metadata())
                yield CheckpointSaved(self.step, str(path), kind)
        self.saved_step = self.step
        barrier()

    def weights_finite(self) -> bool:
        """Whether every weight is finite (NaN or infinity in any one spreads to every later output)."""
        with torch.no_grad():
            return bool(torch.isfinite(torch.stack([p.sum() for p in self.model.parameters()])).all())

    def release(self) -> None:
        """Free the run folder for another process (done when :meth:`events` ends)."""
        if self.lock is not None:
            self.lock.release()

    # --- the loop ------------------------------------------------------------------------------
    def autocast_context(self):
        if self.autocast is None:
            return contextlib.nullcontext()
        # CUDA graphs record the casts: autocast must not keep cast weights between calls
        return torch.autocast(self.device.type, dtype=self.autocast, cache_enabled=not self.graphed)

    def train_step(self, network: nn.Module, batch: torch.Tensor) -> float:
        """One optimizer step on uint8 images; returns the batch's loss in bits/dim."""
        generator = torch.Generator().manual_seed(step_seed(self.settings.seed, self.step, rank()))
        levels = model_input(batch, self.data.spec, generator, augment=self.data.spec.augment).to(self.device)
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(self.settings, self.step, self.total_steps)
        with self.autocast_context():
            log_likelihood = network(levels)
        loss = -log_likelihood.float().mean()
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.settings.grad_clip > 0:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.settings.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.average is not None:
            self.average.update_parameters(self.model)
        return loss.item() / math.log(2)

    def epoch_batches(self) -> list[torch.Tensor]:
        """This process's index batches of the current epoch (a fixed shuffle per epoch and seed)."""
        self.sampler.set_epoch(self.epoch)
        indices = torch.tensor(list(self.sampler), dtype=torch.long)
        return list(indices.split(self.settings.batch_size))

    def validate(self) -> Validation | None:
        """Validation NLL at the end of an epoch, recorded in the metrics; None without a validation set."""
        if not len(self.data.validation):
            return None
        spec, batch_size = self.data.spec, self.settings.eval_batch_size
        if batch_size is None:
            batch_size = default_eval_batch_size(self.device, beside_training=True)
        result = scored_images(self.evaluated_model, self.data.validation, spec, batch_size, self.validation_autocast, spec.seed)
        self.last_validation = result.bits_per_dim
        self.validated_step = self.step
        best = self.best_bits_per_dim is None or result.bits_per_dim < self.best_bits_per_dim
        if best:
            self.best_bits_per_dim = result.bits_per_dim
        if is_main_process():
            self.folder.append_metrics(
                {"kind": "validation", "step": self.step, "epoch": self.epoch, "bits_per_dim": result.bits_per_dim,
                 "nats_per_image": result.nats_per_image, "time": time.time()}
            )
        return Validation(self.step, self.epoch, result.bits_per_dim, result.nats_per_image, best)

    def cancelled(self) -> bool:
        """Whether any process was asked to stop (all processes must stop at the same step)."""
        flag = torch.tensor([1.0 if self._cancel.is_set() else 0.0], device=self.device)
        return bool(sum_over_processes(flag).item() > 0) if world_size() > 1 else self._cancel.is_set()

    def call_preview(self) -> Preview | None:
        if self.preview is None or not self.settings.preview_every or self.step % self.settings.preview_every:
            return None
        if not is_main_process():
            return None
        model = self.evaluated_model
        model.eval()
        try:
            result = self.preview(model, self.step)
        finally:
            model.train()
        return Preview(self.step, result)

    def report(self, loss: float, steps_per_second: float, seconds_per_step: float) -> TrainStep:
        """The progress event for the last logging window (loss averaged over processes), also
        appended to the metrics."""
        mean_loss = sum_over_processes(torch.tensor([loss], device=self.device)).item() / world_size()
        event = TrainStep(
            self.step, self.total_steps, self.epoch, mean_loss, self.optimizer.param_groups[0]["lr"],
            steps_per_second * self.settings.batch_size * world_size(), seconds_per_step * (self.total_steps - self.step),
        )
        if is_main_process():
            self.folder.append_metrics(
                {"kind": "train", "step": event.step, "epoch": event.epoch, "bits_per_dim": event.bits_per_dim,
                 "learning_rate": event.learning_rate, "images_per_second": event.images_per_second, "time": time.time()}
            )
        return event

    def events(self) -> Iterator[Event]:
        """Train until the planned number of steps, a cancel or diverged weights, yielding what happens;
        the run folder is released at the end. A trainer runs once (two generators would train the
        same weights in turns)."""
        if self._events_taken:
            raise RuntimeError("a trainer runs once and its events were already taken; resume_run continues a run")
        self._events_taken = True
        return self.released_after(self.train_events())

    def released_after(self, events: Iterator[Event]) -> Iterator[Event]:
        try:
            yield from events
        finally:
            self.release()

    def train_events(self) -> Iterator[Event]:
        network = GraphedObjective(self.model) if self.graphed else LogLikelihood(self.model)
        if world_size() > 1:
            device_ids = [self.device.index] if self.device.type == "cuda" else None
            network = DistributedDataParallel(network, device_ids=device_ids)
        self.model.train()
        window_loss, window_steps, window_start = 0.0, 0, time.perf_counter()
        session_start, session_steps = time.perf_counter(), 0
        reason = "completed"
        while self.step < self.total_steps:
            batches = self.epoch_batches()
            while self.step_in_epoch < len(batches) and self.step < self.total_steps:
                if self.paused and not self._cancel.is_set():
                    yield Paused(self.step)
                    self._running.wait()
                    window_start = time.perf_counter()
                if self.cancelled():
                    reason = "cancelled"
                    break
                batch = self.data.train[batches[self.step_in_epoch]]
                window_loss += self.train_step(network, batch)
                if not self.weights_finite():
                    reason = "diverged"
                    break
                window_steps += 1
                session_steps += 1
                self.step += 1
                self.step_in_epoch += 1
                yield StepDone(self.step, self.total_steps)
                if self.step % self.settings.log_every == 0 or self.step == self.total_steps:
                    now = time.perf_counter()
                    yield self.report(window_loss / window_steps, window_steps / (now - window_start), (now - session_start) / session_steps)
                    window_loss, window_steps, window_start = 0.0, 0, time.perf_counter()
                if self.step_in_epoch == len(batches) or self.step == self.total_steps:
                    break
                if self.step % self.settings.checkpoint_every == 0:
                    yield from self.save(("step", "last"))
                preview = self.call_preview()
                if preview is not None:
                    yield preview
            if reason != "completed":
                break
            yield from self.end_of_epoch(batches)
        if reason == "cancelled" and self.step > self.saved_step:  # nothing trained since the last save: nothing to keep
            yield from self.save(("last",))
        step = self.saved_step if reason == "diverged" else self.step
        yield Finished(step, self.epoch, reason, self.best_bits_per_dim)

    def end_of_epoch(self, batches: list[torch.Tensor]) -> Iterator[Event]:
        """Validate, keep the best weights, and start the next epoch when this one is complete."""
        validation = self.validate()
        if validation is not None:
            yield validation
        kinds = ["last"]
        if self.step % self.settings.checkpoint_every == 0:
            kinds.insert(0, "step")
        if validation is not None and validation.best:
            kinds.insert(0, "best")
        if self.step_in_epoch == len(batches):
            self.epoch += 1
            self.step_in_epoch = 0
        yield from self.save(tuple(kinds))
        preview = self.call_preview()
        if preview is not None:
            yield preview

    def run(self, callback: Callable[[Event], None] | None = None) -> Finished:
        """Train to the end, passing every event to ``callback``; returns the :class:`Finished` event."""
        finished = None
        for event in self.events():
            if callback is not None:
                callback(event)
            if isinstance(event, Finished):
                finished = event
        return finished


def data_report(data: TrainingData) -> dict[str, Any]:
    """What was read: counts, the source format and every skipped file with its reason."""
    image_set = data.image_set
    return {
        "source_format": image_set.source_format,
        "train_images": len(data.train),
        "validation_images": len(data.validation),
        "skipped": [{"path": s.path, "reason": s.reason} for s in image_set.skipped],
    }


def check_same_data(data: TrainingData, started_on: dict[str, Any]) -> None:
    """A resumed run reads the data it started on (``started_on``: its run.json's data report): other
    images would give another split, and its best validation figure would be compared across two sets."""
    now, then = data_report(data), started_on

    def described(report: dict[str, Any]) -> tuple:
        return report.get("train_images"), report.get("validation_images"), report.get("source_format")

    if None not in described(then) and described(now) != described(then):
        raise ValueError(
            f"the data at {data.spec.path} is not what the run was trained on: {now['train_images']} training and "
            f"{now['validation_images']} validation images ({now['source_format']}), the run had {then['train_images']} and "
            f"{then['validation_images']} ({then['source_format']}); resume with the run's data, or fine-tune the run's "
            "model on this data in a new run (`pixelrnn train DATA --init RUN_DIR`)"
        )


def check_model_fits_data(config: ModelConfig, data: TrainingData, settings: TrainSettings) -> None:
    """The model's channels and levels must be the data's, the data 8-bit, and its batches must fit in memory."""
    check_images_fit_model(config, data.channels, data.spec)
    check_eight_bit(data.train, data.spec)
    check_training_memory(config, min(settings.batch_size, len(data.train)), *data.image_size)  # no batch is larger than the data


def lock_folder(folder: RunFolder) -> RunLock | None:
    """The run folder's lock, taken by the process that writes files (rank 0 under torchrun)."""
    return RunLock(folder.path) if is_main_process() else None


def refuse_existing_run(folder: RunFolder) -> None:
    """A new run needs a folder of its own: not a run's, not one inside a run's, not a file."""
    if folder.holds_run():
        raise FileExistsError(f"{folder.path} already holds a run; resume it or choose another folder")
    if folder.path.exists() and not folder.path.is_dir():
        raise ValueError(f"{folder.path} is a file, not a folder: choose a folder for the run")
    owner = folder.enclosing_run()
    if owner is not None:
        raise ValueError(f"{folder.path} is inside the run folder {owner}: choose a folder outside it")


def refuse_run_inside_images(folder: RunFolder, spec: DatasetSpec, settings: TrainSettings) -> None:
    """A run that writes previews may not live inside the image folder it trains on: they would be
    read as training images by the next run on that folder."""
    images = Path(spec.path).expanduser().resolve()
    if settings.preview_every and images.is_dir() and detect_format(images) == "images" and folder.path.resolve().is_relative_to(images):
        raise ValueError(f"the run folder {folder.path} is inside the image folder {spec.path}: its preview images would become "
                         "training images of the next run on it; choose a folder outside it")


def initial_model(config: ModelConfig, init: str | None) -> nn.Module:
    """A model of ``config`` with fresh weights, or with those of the checkpoint ``init`` (a file or a
    bundled model's name), whose model must be ``config``'s."""
    model = model_from_config(config)
    if init is not None:
        start = load_checkpoint(find_checkpoint(init))
        if start.config != config:
            raise ValueError(f"{init}: its model differs from the run's ({start.config.arch}, h = {start.config.hidden}, "
                             f"{start.config.layers} layers, {start.config.channels} channel(s), {start.config.levels} levels)")
        model.load_state_dict(start.state_dict())
    return model


def new_run(
    run_dir: str | Path,
    data_spec: DatasetSpec,
    model_config: ModelConfig,
    settings: TrainSettings,
    device: str | torch.device = "cpu",
    preview: PreviewHook | None = None,
    data: TrainingData | None = None,
) -> Trainer:
    """Create the run folder ``run_dir`` (it must not hold a run) and a trainer for a new model.
    ``data`` may be passed when already loaded from ``data_spec``. The trainer holds the folder's lock
    until its events end; run.json is written only once everything was accepted."""
    for name, given, kind in (("data_spec", data_spec, DatasetSpec), ("model_config", model_config, ModelConfig),
                              ("settings", settings, TrainSettings)):
        if not isinstance(given, kind):
            raise TypeError(f"new_run: {name} must be a {kind.__name__}, got a {type(given).__name__}")
    if data is not None and data.spec != data_spec:
        raise ValueError(f"the data was loaded from another dataset spec ({data.spec}) than the run's ({data_spec}); "
                         "a resumed run would read the run's")
    folder = RunFolder(run_dir)
    refuse_existing_run(folder)
    refuse_run_inside_images(folder, data_spec, settings)
    data = data if data is not None else load_training_data(data_spec)
    check_model_fits_data(model_config, data, settings)
    torch.manual_seed(settings.seed)
    model = initial_model(model_config, settings.init)
    trainer = Trainer(folder.path, model, data, settings, parse_device(device), preview)
    barrier()
    if is_main_process():
        trainer.lock = lock_folder(folder)
        try:
            refuse_existing_run(folder)
            folder.write_config(RunConfig(data_spec, model_config, settings), data_report(data))
        except BaseException:
            trainer.release()
            raise
    barrier()
    return trainer


def continue_from_last(trainer: Trainer) -> None:
    """Without a training state, continue from the run's ``last`` checkpoint: its weights, step and
    epoch (the optimizer state starts afresh). A run that never saved starts at step 0."""
    folder = trainer.folder
    last = folder.checkpoint_path("last")
    if not last.is_file():
        return
    model = load_checkpoint(last)
    metadata = checkpoint_metadata(last)
    step, epoch = metadata.get("step"), metadata.get("epoch")
    if model.config != trainer.model.config or not isinstance(step, int) or not isinstance(epoch, int):
        raise CheckpointError(f"{last}: does not belong to this run, and {folder.state_path.name} is missing")
    step_in_epoch = step - epoch * trainer.steps_per_epoch
    if not 0 <= step_in_epoch <= trainer.steps_per_epoch:
        raise CheckpointError(f"{last}: step {step} does not fit epoch {epoch} of this run, and {folder.state_path.name} is missing")
    trainer.model.load_state_dict(model.state_dict())
    trainer.step, trainer.epoch, trainer.step_in_epoch, trainer.saved_step = step, epoch, step_in_epoch, step
    trainer.last_validation = metadata.get("bits_per_dim")
    best = folder.checkpoint_path("best")
    if best.is_file():
        trainer.best_bits_per_dim = checkpoint_metadata(best).get("bits_per_dim")
    trainer.resumed_from = f"{last.name} ({folder.state_path.name} is missing, so the optimizer state starts afresh)"


def resume_run(
    run_dir: str | Path,
    device: str | torch.device = "cpu",
    preview: PreviewHook | None = None,
    data_path: str | None = None,
    epochs: int | None = None,
    max_steps: int | None = None,
    preview_every: int | None = None,
) -> Trainer:
    """A trainer that continues the run in ``run_dir`` from its last saved state, with the same data
    split and schedule. ``data_path`` points at the data if it moved; ``epochs`` extends the run,
    ``max_steps`` sets where it stops and ``preview_every`` how often it previews; run.json remembers
    them for later resumes (new ``epochs`` without ``max_steps`` drop an earlier ``max_steps``). The
    trainer holds the folder's lock until its events end."""
    folder = RunFolder(run_dir)
    if not folder.holds_run():
        owner = folder.enclosing_run()
        if owner is not None:
            raise ValueError(f"{run_dir} is inside the run folder {owner}: resume that folder")
        raise FileNotFoundError(f"{folder.path}: not a run folder (no run.json)")
    lock = lock_folder(folder)
    try:
        trainer = resumed_trainer(folder, device, preview, data_path, epochs, max_steps, preview_every)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    trainer.lock = lock
    return trainer


def resumed_trainer(
    folder: RunFolder,
    device: str | torch.device,
    preview: PreviewHook | None,
    data_path: str | None,
    epochs: int | None,
    max_steps: int | None,
    preview_every: int | None = None,
) -> Trainer:
    config = folder.read_config()
    spec, settings, model_config = config.data, config.training, config.model
    if data_path is not None:
        spec = spec.replace(path=str(data_path))
    elif not Path(spec.path).expanduser().exists():
        raise DataError(f"{spec.path}: the run's data is no longer there; if it moved, give its new place "
                        "(DATA with `pixelrnn train --resume`, data_path= with resume_run)")
    if spec.channels is None:  # the data's own channels chose the model's: read them as the model has them
        spec = spec.replace(channels=model_config.channels)
    if epochs is not None:  # a new length in epochs, without a new cap, drops the old cap
        settings = settings.replace(epochs=epochs, max_steps=max_steps)
    elif max_steps is not None:
        settings = settings.replace(max_steps=max_steps)
    if preview_every is not None:
        settings = settings.replace(preview_every=preview_every)
    data = load_training_data(spec)
    started_on = folder.read_data_report()
    check_same_data(data, started_on)
    torch.manual_seed(settings.seed)
    check_model_fits_data(model_config, data, settings)
    trainer = Trainer(folder.path, model_from_config(model_config), data, settings, parse_device(device), preview)
    if folder.state_path.is_file():
        trainer.restore(folder.state_path)
    else:
        continue_from_last(trainer)
    if max_steps is not None and max_steps < trainer.step:
        raise ValueError(f"max_steps={max_steps} is before the step the run has reached ({trainer.step})")
    if epochs is not None and trainer.total_steps < trainer.step:
        raise ValueError(f"epochs={epochs} ends the run at step {trainer.total_steps}, before the step it has reached ({trainer.step})")
    barrier()
    if is_main_process():
        folder.keep_metrics_until(trainer.step, trainer.validated_step == trainer.step)
        folder.remove_partial_writes()
        if data_path is not None or settings != config.training:  # later resumes find the data and the length given now
            moved = config.data if data_path is None else config.data.replace(path=str(Path(data_path).expanduser().absolute()))
            folder.write_config(RunConfig(moved, model_config, settings), started_on)
    barrier()
    return trainer
