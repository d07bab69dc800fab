"""Models train and evaluate channels-last (pixelrnn_core.training.layout): only the speed may change."""
from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

import pixelrnn_core as prc
from pixelrnn_core.training.layout import to_fast_layout

from .completion_helpers import ARCHS, mask_of, random_image, tiny_model
from .datafiles import write_image_folder


def is_channels_last(model: torch.nn.Module) -> bool:
    return all(p.is_contiguous(memory_format=torch.channels_last) for p in model.parameters() if p.dim() == 4)


@pytest.mark.parametrize("arch", ARCHS)
def test_the_layout_keeps_logits_and_gradients(arch):
    plain = tiny_model(arch)
    fast = to_fast_layout(copy.deepcopy(plain))
    assert is_channels_last(fast)
    x = torch.randint(0, 16, (3, 3, 8, 8), generator=torch.Generator().manual_seed(0))
    losses = [F.cross_entropy(model(x), x) for model in (plain, fast)]
    for loss in losses:
        loss.backward()
    torch.testing.assert_close(losses[1], losses[0], rtol=0, atol=1e-12)
    for (name, p), q in zip(plain.named_parameters(), fast.parameters()):
        torch.testing.assert_close(q.grad, p.grad, rtol=0, atol=1e-12, msg=name)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("arch", ARCHS)
def test_every_convolution_of_a_channels_last_model_reads_channels_last_maps(arch, channels):
    """A convolution that gets contiguous maps with channels-last weights (a grayscale image into the
    first layer, a recurrent block's scanned states into its output layer) reorders its input and
    output on every call, and the layers after it follow its contiguous output."""
    model = to_fast_layout(tiny_model(arch, channels=channels))
    layouts = {}

    def record(module, inputs, output):
        layouts[module] = inputs[0].is_contiguous(memory_format=torch.channels_last)

    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            module.register_forward_hook(record)
    model(torch.randint(0, 16, (2, channels, 8, 8), generator=torch.Generator().manual_seed(0)))
    names = {module: name for name, module in model.named_modules()}
    assert layouts and [names[m] for m, last in layouts.items() if not last] == []


@pytest.mark.parametrize("arch", ARCHS)
def test_a_channels_last_model_completes_like_the_contiguous_one(arch):
    plain = tiny_model(arch)
    fast = to_fast_layout(copy.deepcopy(plain))
    image, mask = random_image(6, 6), mask_of("hole", 6, 6)
    expected = prc.complete(plain, image, mask, samples=2, seed=3)
    assert (prc.complete(fast, image, mask, samples=2, seed=3) == expected).all()


def test_training_runs_channels_last_and_saves_loadable_checkpoints(tmp_path):
    write_image_folder(tmp_path / "images", 12, 6)
    spec = prc.DatasetSpec(str(tmp_path / "images"), size=6, levels=4, val_fraction=0.25)
    config = prc.ModelConfig("pixelcnn", channels=3, levels=4, hidden=4, layers=1, out_hidden=4)
    trainer = prc.new_run(tmp_path / "run", spec, config, prc.TrainSettings(batch_size=4, epochs=1, checkpoint_every=2))
    assert is_channels_last(trainer.model)
    trainer.run()
    saved = prc.load_checkpoint(tmp_path / "run" / "last.safetensors")
    x = torch.randint(0, 4, (2, 3, 6, 6))
    with torch.no_grad():
        torch.testing.assert_close(saved(x), trainer.model.eval()(x))
