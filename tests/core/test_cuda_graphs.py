"""Training steps replayed as CUDA graphs train the same weights as the same steps run op by op."""
from __future__ import annotations

import copy
import warnings

import pytest
import torch

import pixelrnn_core as prc
from pixelrnn_core.models.fused_scan import diagonal_plan
from pixelrnn_core.training import trainer as trainer_module
from pixelrnn_core.training.cuda_graphs import GraphedObjective, uses_cuda_graphs
from pixelrnn_core.training.objective import LogLikelihood

from .datafiles import write_image_folder

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
MODELS = {
    "pixelcnn": {"arch": "pixelcnn"},
    "row_lstm": {"arch": "row_lstm"},
    "diagonal_bilstm": {"arch": "diagonal_bilstm"},
    "multiscale": {"arch": "multiscale", "upsample_features": 4},
    "logistic_mixture": {"arch": "pixelcnn", "output": "logistic_mixture", "mixtures": 3},
}


def test_cuda_graphs_are_used_on_one_cuda_process_only():
    assert uses_cuda_graphs(torch.device("cuda"), 1)
    assert not uses_cuda_graphs(torch.device("cuda", 1), 2)  # DistributedDataParallel
    assert not uses_cuda_graphs(torch.device("cpu"), 1)


def adam_step(objective, optimizer, levels: torch.Tensor) -> float:
    loss = -objective(levels).mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item()


@needs_cuda
@pytest.mark.parametrize("name", MODELS)
def test_cuda_graphs_train_the_same_weights_as_steps_run_op_by_op(name):
    settings = {**MODELS[name]}
    torch.manual_seed(0)
    model = prc.build_model(settings.pop("arch"), channels=3, levels=16, hidden=8, layers=2, out_hidden=16, **settings).cuda()
    eager, graphed = copy.deepcopy(model), copy.deepcopy(model)
    plain, replayed = LogLikelihood(eager), GraphedObjective(graphed)
    optimizers = [torch.optim.Adam(m.parameters(), lr=1e-2) for m in (eager, graphed)]
    generator = torch.Generator().manual_seed(1)
    for batch in (4, 4, 4, 3):  # an epoch's smaller last batch is a graph of its own
        levels = torch.randint(0, 16, (batch, 3, 8, 8), generator=generator).cuda()
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*AccumulateGrad")  # torch's warning about the gradients' streams
            loss = adam_step(replayed, optimizers[1], levels)
        assert loss == adam_step(plain, optimizers[0], levels)
    assert sorted(replayed.graphed) == [(3, 3, 8, 8), (4, 3, 8, 8)]
    for before, after in zip(eager.parameters(), graphed.parameters()):
        torch.testing.assert_close(after, before, rtol=0, atol=1e-6)


@needs_cuda
def test_cuda_graphs_keep_the_diagonal_scan_plans_they_read():
    """A recorded graph reads the Diagonal BiLSTM's index tensors by address: dropping them from the plan
    cache (as 64 other image sizes would) must not free them under it."""
    torch.manual_seed(0)
    model = prc.build_model("diagonal_bilstm", channels=1, levels=4, hidden=4, layers=1, out_hidden=8).cuda()
    eager, graphed = copy.deepcopy(model), copy.deepcopy(model)
    plain, replayed = LogLikelihood(eager), GraphedObjective(graphed)
    optimizers = [torch.optim.Adam(m.parameters(), lr=1e-2) for m in (eager, graphed)]
    levels = torch.randint(0, 4, (2, 1, 6, 5), device="cuda")
    assert adam_step(replayed, optimizers[1], levels) == adam_step(plain, optimizers[0], levels)
    diagonal_plan.cache_clear()
    torch.cuda.empty_cache()
    for side in range(6, 30):  # other plans, allocated where the dropped ones were
        eager(torch.randint(0, 4, (2, 1, side, 5), device="cuda"))
    for _ in range(2):
        assert adam_step(replayed, optimizers[1], levels) == adam_step(plain, optimizers[0], levels)


@needs_cuda
def test_cuda_graphs_check_the_values_before_each_replay():
    objective = GraphedObjective(prc.build_model("row_lstm", channels=1, levels=4, hidden=4, layers=1).cuda())
    objective(torch.randint(0, 4, (2, 1, 5, 5), device="cuda"))
    with pytest.raises(ValueError, match=r"values must lie in \[0, 4\); got min 0, max 9"):
        objective(torch.full((2, 1, 5, 5), 9, device="cuda").index_fill_(2, torch.tensor([0], device="cuda"), 0))


@needs_cuda
@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_cuda_training_with_graphs_reports_the_losses_of_training_without_them(tmp_path, monkeypatch, precision):
    write_image_folder(tmp_path / "images", 20, 6)  # 15 training images in batches of 4: a last batch of 3

    def train(run: str) -> list[float]:
        spec = prc.DatasetSpec(str(tmp_path / "images"), size=6, levels=4, val_fraction=0.25)
        config = prc.ModelConfig("row_lstm", channels=3, levels=4, hidden=4, layers=2, out_hidden=8)
        settings = prc.TrainSettings(batch_size=4, epochs=2, seed=1, precision=precision, log_every=1)
        events = list(prc.new_run(tmp_path / run, spec, config, settings, "cuda").events())
        assert events[-1].reason == "completed"
        return [e.bits_per_dim for e in events if isinstance(e, (prc.TrainStep, prc.Validation))]

    graphed = train("graphed")
    monkeypatch.setattr(trainer_module, "uses_cuda_graphs", lambda device, processes: False)
    plain = train("plain")
    # the same kernels; Adam turns the device's nondeterministic sums in tiny gradients into small weight differences
    assert len(graphed) == 10 and graphed == pytest.approx(plain, rel=1e-3)
