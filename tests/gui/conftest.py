"""GUI tests run on Qt's offscreen platform, set before anything imports Qt."""
import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from pixelrnn_gui.event_loop import loop_inside_qt  # noqa: E402
from pixelrnn_gui.main_window import MainWindow  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def asyncio_loop(qapp):
    """The app's controllers are coroutines on qasync's loop; pytest-qt has no asyncio integration,
    so the loop runs inside the Qt event loop that pytest-qt's waits spin, and tests use signals."""
    return loop_inside_qt(qapp)


@pytest.fixture
def window(qtbot, tmp_path):
    """The real main window, with its settings in a throwaway file. It is closed here (not by
    qtbot, which would close it before this fixture can discard the test's unsaved edits)."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(settings)
    main.resize(1100, 760)
    main.show()
    qtbot.waitExposed(main)
    yield main
    if main.controller.busy:  # a fill the test left running: closing would ask what to do with it
        main.controller.cancel(False)
        qtbot.waitUntil(lambda: not main.controller.busy, timeout=60_000)
    if main.training.busy:  # a run a failed test left: closing would ask whether to stop it, and wait for ever
        main.training.shutdown()
    main.document.undo_stack.setClean()
    main.document.untitled_changes = False
    assert main.close()
    main.deleteLater()


@pytest.fixture
def image_file(tmp_path):
    """An 8x8 RGB test image with distinct pixel values, as PNG."""
    pixels = (np.arange(8 * 8 * 3, dtype=np.uint8).reshape(8, 8, 3) * 5) % 251
    path = tmp_path / "picture.png"
    Image.fromarray(pixels).save(path)
    return path, pixels


def tiny_checkpoint(path, channels: int):
    import pixelrnn_core as prc

    model = prc.build_model("pixelcnn", channels=channels, levels=256, hidden=8, layers=1, out_hidden=8)
    prc.save_checkpoint(path, model, data="random weights (test)")
    return path


@pytest.fixture
def rgb_model_file(tmp_path):
    """A tiny PixelCNN checkpoint for RGB images (random weights)."""
    return tiny_checkpoint(tmp_path / "tiny-rgb.safetensors", 3)


@pytest.fixture
def grey_model_file(tmp_path):
    """A tiny PixelCNN checkpoint for grayscale images (random weights)."""
    return tiny_checkpoint(tmp_path / "tiny-grey.safetensors", 1)


@pytest.fixture
def grey_image_file(tmp_path):
    """A 12x16 grayscale PNG with varied values."""
    pixels = (np.arange(12 * 16, dtype=np.uint8).reshape(12, 16) * 7) % 253
    path = tmp_path / "grey.png"
    Image.fromarray(pixels).save(path)
    return path


def image_folder(path, count: int, shape: tuple, prefix: str):
    """A folder of ``count`` random PNGs of ``shape`` ((H, W) grey or (H, W, 3) RGB)."""
    path.mkdir()
    rng = np.random.default_rng(0)
    for index in range(count):
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(path / f"{prefix}{index:02d}.png")
    return path
