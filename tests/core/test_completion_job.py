"""CompletionJob: the progress stream, cancel, pause/resume, resample-from-here and candidate scores."""
from __future__ import annotations

import itertools
import math
import threading
import tracemalloc

import numpy as np
import pytest

import pixelrnn_core as prc

from .completion_helpers import ARCHS, mask_of, random_image, tiny_model


def finished(job: prc.CompletionJob) -> prc.CompletionJob:
    for _ in job.run():
        pass
    return job


def test_stream_yields_every_masked_subpixel_once_in_raster_order():
    model = tiny_model("row_lstm", 3)
    image, mask = random_image(5, 6, 3), mask_of("two_regions", 5, 6)
    job = prc.CompletionJob(model, image, mask, samples=2, seed=2)
    steps = list(job.run())
    assert job.total == len(steps) == 3 * mask.sum()
    assert [s.index for s in steps] == list(range(job.total)) and all(s.total == job.total for s in steps)
    positions = [(s.row, s.col, s.channel) for s in steps]
    assert positions == sorted(positions)
    assert {(r, c) for r, c, _ in positions} == set(zip(*np.nonzero(mask)))
    images = job.images
    for step in steps:
        assert step.probs.shape == (2, 16)
        np.testing.assert_allclose(step.probs.sum(axis=1), 1.0, atol=1e-5)
        np.testing.assert_array_equal(step.values, images[:, step.row, step.col, step.channel])


def test_images_show_decisions_so_far_and_zero_for_undecided():
    model = tiny_model("pixelcnn", 3)
    image, mask = random_image(4, 4, 3, seed=1), mask_of("bottom_half", 4, 4)
    job = prc.CompletionJob(model, image, mask)
    steps = list(itertools.islice(job.run(), 4))
    partial = job.images[0]
    for step in steps:
        assert partial[step.row, step.col, step.channel] == step.values[0]
    assert (partial[2, 1, 1:] == 0).all() and (partial[3] == 0).all()
    np.testing.assert_array_equal(partial[:2], image[:2])


@pytest.mark.parametrize("engine", ["cached", "naive"])
def test_resume_after_pause_reproduces_the_uninterrupted_result(engine):
    model = tiny_model("diagonal_bilstm", 3)
    image, mask = random_image(5, 5, 3), mask_of("hole", 5, 5)
    uninterrupted = finished(prc.CompletionJob(model, image, mask, samples=2, seed=6, engine=engine))
    job = prc.CompletionJob(model, image, mask, samples=2, seed=6, engine=engine)
    paused = list(itertools.islice(job.run(), 7))
    assert job.decided == 7 and not job.done and job.scores is None
    resumed = list(job.run())
    assert [s.index for s in paused + resumed] == list(range(job.total))
    np.testing.assert_array_equal(job.images, uninterrupted.images)
    np.testing.assert_allclose(job.scores, uninterrupted.scores)


def test_an_older_run_stops_once_a_newer_one_started():
    model = tiny_model("pixelcnn", 3)
    job = prc.CompletionJob(model, random_image(4, 4), mask_of("bottom_half", 4, 4))
    old = job.run()
    next(old)
    new = job.run()
    next(new)
    assert list(old) == []
    assert len(list(new)) == job.total - 2


def test_cancel_from_another_thread_stops_within_one_subpixel():
    model = tiny_model("row_lstm", 3)
    job = prc.CompletionJob(model, random_image(5, 5), mask_of("bottom_half", 5, 5))
    reached, cancelled, seen = threading.Event(), threading.Event(), []

    def worker():
        for step in job.run():
            seen.append(step.index)
            if step.index == 3:
                reached.set()
                cancelled.wait(timeout=30)

    thread = threading.Thread(target=worker)
    thread.start()
    assert reached.wait(timeout=30)
    job.cancel()
    cancelled.set()
    thread.join(timeout=30)
    assert seen == [0, 1, 2, 3] and job.decided == 4 and job.cancelled and job.scores is None
    assert list(job.run()) == []


@pytest.mark.parametrize("arch", ARCHS)
def test_resample_from_keeps_the_prefix_and_redraws_the_rest_identically_in_both_engines(arch):
    model = tiny_model(arch, 3)
    image, mask = random_image(6, 5, 3), mask_of("bottom_half", 6, 5)
    results = {}
    for engine in ("cached", "naive"):
        job = finished(prc.CompletionJob(model, image, mask, samples=2, seed=1, engine=engine))
        first = job.images
        job.resample_from(4, 2, 1)
        assert not job.done and job.scores is None
        redrawn = list(job.run())
        assert (redrawn[0].row, redrawn[0].col, redrawn[0].channel) == (4, 2, 1)
        results[engine] = job.images
        assert job.scores is not None
    cached, naive = results["cached"], results["naive"]
    np.testing.assert_array_equal(cached, naive)
    rank = model.pixel_order(6, 5).numpy()[:, :, None] * 3 + np.arange(3)
    before = rank < rank[4, 2, 1]
    np.testing.assert_array_equal(cached[:, before], first[:, before])
    assert (cached[:, ~before] != first[:, ~before]).any()


@pytest.mark.parametrize("arch", ["pixelcnn", "row_lstm"])
def test_a_resample_can_be_taken_back(arch):
    """The app's Revert of a resample: the job as it was, its candidates, scores and next resample."""
    model = tiny_model(arch, 3)
    image, mask = random_image(6, 5, 3), mask_of("bottom_half", 6, 5)
    twin = finished(prc.CompletionJob(model, image, mask, samples=2, seed=1))
    job = finished(prc.CompletionJob(model, image, mask, samples=2, seed=1))
    images, scores = job.images, job.scores.copy()
    saved = job.snapshot()
    job.resample_from(3, 1, 0)
    for _ in itertools.islice(job.run(), 4):  # stopped part-way
        pass
    job.restore(saved)
    assert job.done and list(job.run()) == []
    np.testing.assert_array_equal(job.images, images)
    np.testing.assert_array_equal(job.scores, scores)
    for resampled in (job, twin):  # a later resample draws as if the first had never run
        resampled.resample_from(4, 0, 2)
        finished(resampled)
    np.testing.assert_array_equal(job.images, twin.images)


@pytest.mark.parametrize("orientation", ["identity", "rotate_90", "auto"])
def test_a_small_hole_in_a_large_photo_costs_the_candidates_memory_and_little_more(orientation):
    """A 24-megapixel photo is 72 MB: the job works on a window around the hole, so what it holds
    beside the K candidates it returns is its own copy of the photo and the window (a pixel-index array
    of the whole image took 5x the photo, and orienting it, choosing the orientation and writing the
    candidates copied it more: 22x in all)."""
    model = tiny_model("pixelcnn", 3)
    image, mask = random_image(900, 1200, 3), np.zeros((900, 1200), bool)
    mask[500:503, 700:702] = True
    job, candidates, peak = filled_measuring_memory(model, image, mask, orientation=orientation)
    assert peak < 3.5 * image.nbytes  # 2 candidates, the copy, the window
    np.testing.assert_array_equal(candidates[:, ~mask], np.stack([image[~mask]] * 2))


def filled_measuring_memory(model, image, mask, **options):
    """A finished job of 2 candidates, its images, and the peak of memory traced while it ran."""
    tracemalloc.start()
    try:
        job = finished(prc.CompletionJob(model, image, mask, samples=2, **options))
        candidates = job.images
        return job, candidates, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("orientation", sorted(prc.ORIENTATIONS))
def test_a_turned_completion_of_a_large_image_reports_and_resamples_in_the_callers_coordinates(orientation):
    model = tiny_model("pixelcnn", 3)
    image, mask = random_image(50, 90, 3), np.zeros((50, 90), bool)
    mask[40:42, 5:8] = True
    job = finished(prc.CompletionJob(model, image, mask, orientation=orientation))
    assert job.completed_region() == ((8, 49), (0, 39))  # the hole and 32 pixels around it, clipped
    assert {tuple(pixel) for pixel in job.generation_order} == {tuple(pixel) for pixel in np.argwhere(mask)}
    row, col = job.generation_order[3]
    job.resample_from(row, col, 2)
    first = next(job.run())
    assert (first.row, first.col, first.channel) == (row, col, 2)
    with pytest.raises(ValueError, match="rows 8 to 49, columns 0 to 39"):
        job.resample_from(2, 60, 0)


@pytest.mark.parametrize("orientation", sorted(prc.ORIENTATIONS))
def test_images_within_a_box_are_the_whole_images_cropped(orientation):
    """An app showing the hole's surroundings asks for that box alone, not K whole photos."""
    model = tiny_model("pixelcnn", 3)
    image, mask = random_image(50, 90, 3), np.zeros((50, 90), bool)
    mask[40:42, 5:8] = True
    job = prc.CompletionJob(model, image, mask, samples=2, orientation=orientation)
    list(itertools.islice(job.run(), 5))
    whole = job.images
    for rows, cols in [(slice(38, 44), slice(3, 10)), (slice(0, 50), slice(30, 60)), (slice(0, 5), slice(80, 90))]:
        np.testing.assert_array_equal(job.images_within(rows, cols), whole[:, rows, cols])


def test_resample_from_outside_the_completed_part_is_refused():
    model = tiny_model("pixelcnn", 3)
    image, mask = random_image(12, 12), np.zeros((12, 12), bool)
    mask[10, 10] = True
    job = prc.CompletionJob(model, image, mask, window=(3, 3))
    with pytest.raises(ValueError, match="outside the part of the image being completed: rows 8 to 10, columns 9 to 11"):
        job.resample_from(0, 0, 0)


def test_scores_are_the_loglikelihood_of_the_known_pixels_after_the_hole():
    """score_k = sum over known sub-pixels after the hole of log p(x | everything before), cross-checked
    with the inspection API; candidates that fit the pixels below better score higher (docs/design.md,
    "Completion with pixels after the hole")."""
    model = tiny_model("diagonal_bilstm", 3)
    image, mask = random_image(6, 6, 3), mask_of("hole", 6, 6)
    job = finished(prc.CompletionJob(model, image, mask, samples=3, seed=0))
    rank = np.arange(36).reshape(6, 6)
    after_hole = (~mask) & (rank > rank[mask].min())
    for k in range(3):
        surprisal = prc.inspect(model, job.images[k]).surprisal_bits
        expected = -surprisal[after_hole].sum() * math.log(2)
        assert job.scores[k] == pytest.approx(expected, rel=1e-5)
    assert len(set(job.scores.round(6))) == 3


@pytest.mark.parametrize("orientation", sorted(prc.ORIENTATIONS))
def test_every_orientation_keeps_known_pixels_and_engines_agree(orientation):
    model = tiny_model("row_lstm", 3)
    image, mask = random_image(4, 6, 3), mask_of("two_regions", 4, 6)
    cached = prc.complete(model, image, mask, seed=2, orientation=orientation)
    naive = prc.complete(model, image, mask, seed=2, orientation=orientation, engine="naive")
    np.testing.assert_array_equal(cached, naive)
    np.testing.assert_array_equal(cached[0][~mask], image[~mask])


def test_orientation_changes_the_order_of_generation():
    model = tiny_model("row_lstm", 3)
    image, mask = random_image(4, 4, 3), mask_of("whole", 4, 4)
    first = next(prc.CompletionJob(model, image, mask, orientation="rotate_180").run())
    assert (first.row, first.col) == (3, 3)
    steps = list(itertools.islice(prc.CompletionJob(model, image, mask, orientation="transpose").run(), 6))
    assert [(s.row, s.col) for s in steps[::3]] == [(0, 0), (1, 0)]


def test_auto_orientation_puts_the_known_part_first():
    """A top-half hole is completed upside down, a left-half hole transposed or rotated: the known half
    comes first, so the first decided pixel has a whole half of context."""
    model = tiny_model("pixelcnn", 3)
    image = random_image(6, 6, 3)
    top = np.zeros((6, 6), bool)
    top[:3] = True
    job = prc.CompletionJob(model, image, top, orientation="auto")
    assert job.orientation in ("flip_vertical", "rotate_180")
    first = next(job.run())
    assert first.row == 2
    assert prc.CompletionJob(model, image, top.T.copy(), orientation="auto").orientation in (
        "rotate_270",
        "antitranspose",
    )
    bottom = np.zeros((6, 6), bool)
    bottom[3:] = True
    assert prc.CompletionJob(model, image, bottom, orientation="auto").orientation == "identity"


@pytest.mark.parametrize(
    "orientation, line_of", [
        ("identity", lambda row, col: row),
        ("transpose", lambda row, col: col),  # a transposed image is filled column by column
        ("rotate_180", lambda row, col: 3 - row),  # bottom row first
    ],
)
@pytest.mark.parametrize("arch", ["pixelcnn", "multiscale"])
def test_generation_order_and_lines_are_those_the_job_decides_in(orientation, line_of, arch):
    model = tiny_model(arch, 3)
    image, mask = random_image(4, 6, 3), mask_of("two_regions", 4, 6)
    job = prc.CompletionJob(model, image, mask, orientation=orientation)
    decided = [(step.row, step.col) for step in job.run() if step.channel == 0]
    assert [tuple(pixel) for pixel in job.generation_order] == decided
    lines, expected = list(job.generation_lines), [line_of(row, col) for row, col in decided]
    assert [a != b for a, b in itertools.pairwise(lines)] == [a != b for a, b in itertools.pairwise(expected)]  # a line ends where one does


def test_each_window_starts_a_new_line_of_the_generation_order():
    """Two holes far apart on the same row: the app's Step row stops at the end of each."""
    model = tiny_model("pixelcnn", 3)
    image, mask = random_image(10, 100, 3), np.zeros((10, 100), bool)
    mask[5, 2:4] = mask[5, 90:92] = True
    job = prc.CompletionJob(model, image, mask)
    assert list(job.generation_lines) == [0, 0, 1, 1]


def test_a_checkpoint_says_which_orientation_completes_it(tmp_path):
    model = tiny_model("pixelcnn", 3)
    for augment, expected in ((True, "auto"), (False, "identity")):
        path = tmp_path / f"{augment}.safetensors"
        prc.save_checkpoint(path, model, data=prc.DatasetSpec("photos", augment=augment).to_dict())
        assert prc.checkpoint_info(path).completion_orientation == expected
    prc.save_checkpoint(tmp_path / "bare.safetensors", model)
    assert prc.checkpoint_info(tmp_path / "bare.safetensors").completion_orientation == "identity"


def far_apart_holes(height: int = 90, width: int = 100) -> np.ndarray:
    """Two small holes farther apart than a window's context: two windows."""
    mask = np.zeros((height, width), bool)
    mask[4:6, 6:9] = True
    mask[height - 5 : height - 3, width - 7 : width - 4] = True
    return mask


def test_holes_far_apart_in_a_large_photo_cost_their_windows_not_the_photo():
    """Two small holes at opposite corners: one window spanning both held the whole photo for every
    candidate (4 candidates of a 1200x1600 photo were refused as needing 47.6 GiB with a real model)."""
    model = tiny_model("pixelcnn", 3)
    image, mask = random_image(900, 1200, 3), np.zeros((900, 1200), bool)
    mask[100:103, 100:102] = True
    mask[800:803, 1100:1102] = True
    job, candidates, peak = filled_measuring_memory(model, image, mask)
    assert peak < 3.5 * image.nbytes  # 2 candidates, the copy, the windows
    np.testing.assert_array_equal(candidates[:, ~mask], np.stack([image[~mask]] * 2))
    assert job.total == 2 * 6 * 3 and job.completed_region() == ((68, 834), (68, 1133))


@pytest.mark.parametrize("arch", ARCHS)
def test_each_window_is_filled_as_if_alone_and_both_engines_agree(arch):
    """The first hole's window is filled exactly as a job with that hole alone fills it (the first
    candidate takes the same draws); the engines give the same images over both windows."""
    model = tiny_model(arch, 3)
    image, mask = random_image(90, 100, 3), far_apart_holes()
    first = np.zeros_like(mask)
    first[:45] = mask[:45]
    cached = prc.complete(model, image, mask, samples=2, seed=4)
    naive = prc.complete(model, image, mask, samples=2, seed=4, engine="naive")
    alone = prc.complete(model, image, first, samples=1, seed=4)
    np.testing.assert_array_equal(cached, naive)
    np.testing.assert_array_equal(cached[0, :45], alone[0, :45])
    assert (cached[:, mask] != image[mask]).any()


def test_scores_sum_the_known_pixels_after_each_hole_in_its_window():
    model = tiny_model("row_lstm", 3)
    image, mask = random_image(90, 100, 3), far_apart_holes()
    job = finished(prc.CompletionJob(model, image, mask, samples=3, seed=0))
    windows = prc.completion_windows(mask)
    assert len(windows) == 2
    for k in range(3):
        expected = 0.0
        for window in windows:
            hole = mask[window.rows, window.cols]
            rank = np.arange(hole.size).reshape(hole.shape)
            after_hole = ~hole & (rank > rank[hole].min())
            surprisal = prc.inspect(model, job.images[k][window.rows, window.cols]).surprisal_bits
            expected -= surprisal[after_hole].sum() * math.log(2)
        assert job.scores[k] == pytest.approx(expected, rel=1e-5)


def test_a_resample_in_the_second_window_keeps_the_first_and_can_be_taken_back():
    model = tiny_model("pixelcnn", 3)
    image, mask = random_image(90, 100, 3), far_apart_holes()
    job = finished(prc.CompletionJob(model, image, mask, samples=2, seed=1))
    images, saved = job.images, job.snapshot()
    job.resample_from(86, 94, 1)
    assert job.decided == 6 * 3 + (3 + 1) * 3 + 1  # the first window, a row of the second and a pixel, R
    finished(job)
    redrawn = job.images
    np.testing.assert_array_equal(redrawn[:, :45], images[:, :45])
    assert (redrawn[:, 45:] != images[:, 45:]).any()
    job.resample_from(4, 6, 0)  # from the first hole on, both windows are redrawn
    assert job.decided == 0
    job.restore(saved)
    np.testing.assert_array_equal(job.images, images)
    with pytest.raises(ValueError, match=r"outside the parts of the image being completed \(the 2 windows around the holes\)"):
        job.resample_from(80, 5, 0)


def test_auto_turns_each_group_of_holes_its_own_way():
    """A hole along the top edge and one along the left edge, far apart: the first is completed upside
    down and the second turned a quarter, each with the most context before it (one orientation for
    both left one of them without any)."""
    model = tiny_model("pixelcnn", 3)
    image, mask = random_image(100, 120, 3), np.zeros((100, 120), bool)
    mask[0:4, 5:10] = True  # along the top edge
    mask[80:85, 0:4] = True  # along the left edge
    job = prc.CompletionJob(model, image, mask, samples=2, seed=3, orientation="auto")
    top, left = job.orientations
    assert top in ("flip_vertical", "rotate_180") and left in ("rotate_90", "antitranspose") and job.orientation is None
    finished(job)
    naive = finished(prc.CompletionJob(model, image, mask, samples=2, seed=3, orientation="auto", engine="naive"))
    np.testing.assert_array_equal(job.images, naive.images)
    alone = np.zeros_like(mask)
    alone[:40] = mask[:40]
    np.testing.assert_array_equal(prc.complete(model, image, alone, seed=3, orientation="auto")[0, :40], job.images[0, :40])
    np.testing.assert_array_equal(job.images[:, ~mask], np.stack([image[~mask]] * 2))
    images = job.images
    job.resample_from(82, 0, 0)
    finished(job)
    np.testing.assert_array_equal(job.images[:, :40], images[:, :40])
