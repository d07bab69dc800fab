"""The document's files: open (dialog, recent, samples, drag and drop, paste), new canvas, save (PNG,
JPEG, WebP), copy, and mask files. Problems go out as ``message``; nothing here blocks on an error."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QMessageBox, QSpinBox, QWidget

import pixelrnn_core as prc

from .document import Document
from .qimages import qimage_to_rgb, rgb_to_qimage
from .settings import AppSettings

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"
# what Save image as… offers; the format follows the file name's suffix
SAVE_FILTERS = {"PNG image (*.png)": ".png", "JPEG image (*.jpg *.jpeg)": ".jpg", "WebP image (*.webp)": ".webp"}
SAVE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
FILL_RUNNING = "A fill is running: let it finish or cancel it (Esc) first."


class NewCanvasDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New canvas")
        self.width_spin, self.height_spin = QSpinBox(), QSpinBox()
        for spin, name in ((self.width_spin, "Width"), (self.height_spin, "Height")):
            spin.setRange(1, 4096)
            spin.setValue(32)
            spin.setSuffix(" px")
            spin.setAccessibleName(name)
            spin.setToolTip(f"{name} of the blank canvas in pixels")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QFormLayout(self)
        layout.addRow("Width", self.width_spin)
        layout.addRow("Height", self.height_spin)
        layout.addRow(buttons)



def is_sample(path: Path) -> bool:
    """Whether ``path`` is one of the sample images that ship with the app (never written over)."""
    return any(path.resolve() == image.resolve() for image, _ in prc.sample_images().values())


def is_bundled_model(path: Path) -> bool:
    """Whether ``path`` is one of the models that ship with the app."""
    return any(path.resolve() == model.resolve() for model in prc.bundled_models().values())


class ImageFiles(QObject):
    """Reads and writes the document's image and mask; ``busy`` says whether a fill forbids it."""

    message = Signal(str, bool)  # text, is it an error
    notice = Signal(str)  # what the user should know about the open file until it is saved or replaced
    status = Signal(str, int)  # a passing status-bar message, milliseconds
    opened = Signal()  # an image was opened from a file
    maskUnread = Signal(str)  # a mask file could not be used (read, or of the image's size), and why
    imageSaved = Signal()  # the image was written to a file

    def __init__(self, document: Document, settings: AppSettings, busy: Callable[[], bool], parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self.document, self.settings, self.busy, self.parent_widget = document, settings, busy, parent_widget
        self.see_through_file: Path | None = None  # the open file had transparency, which saving over it loses
        self.exif = b""  # the open photo's EXIF (camera, date, place), written with it
        document.replaced.connect(lambda: setattr(self, "exif", b""))  # a new or pasted image has none; Open sets it after

    def free(self) -> bool:
        """Whether no fill forbids replacing or writing the image now; says so when one does (its
        pixels are half drawn, and it writes into the image it started on)."""
        if self.busy():
            self.message.emit(FILL_RUNNING, False)
            return False
        return True

    def image_folder(self) -> Path | None:
        """The folder of the open image's file (not of a sample's: the app's own files), if it has one."""
        path = self.document.path
        return None if path is None or is_sample(path) else path.parent

    def dialog_folder(self, key: str) -> Path:
        """Where a dialog for files of the kind ``key`` names starts: where the last one went, else by the image."""
        return Path(self.settings.folder(key, self.image_folder()))

    def remember_folder(self, key: str, path: Path) -> None:
        """Dialogs for files of the kind ``key`` names start in ``path`` from now on."""
        self.settings.set(key, str(path))

    def confirm_discard(self) -> bool:
        """Ask before unsaved changes are lost; True when it is fine to go on."""
        if not self.document.modified:
            return True
        mask_only = self.document.only_mask_modified
        answer = QMessageBox.question(
            self.parent_widget, "Unsaved changes",
            "The mask has changed (the image has not). Save the mask first?" if mask_only
            else "The image has unsaved changes. Save them first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save_mask() if mask_only else self.save_image()
        return answer == QMessageBox.StandardButton.Discard

    def open_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent_widget, "Open image", self.settings.folder("lastImageFolder"), IMAGE_FILTER)
        if path:
            self.open_image(path)

    def open_sample(self, name: str) -> bool:
        """Open one of the sample images that ship with the app, with its mask."""
        image, mask = prc.sample_images()[name]
        return self.open_image(image, mask)

    def open_image(self, path: str | Path, mask_path: str | Path | None = None) -> bool:
        """Open an image (and a mask for it); True when both were read. Errors go to the message bar: an
        unreadable image changes nothing, an unreadable mask leaves the image open without one."""
        if not self.free() or not self.confirm_discard():
            return False
        path = Path(path)
        if not is_sample(path):  # the next Open starts where the user went, whether this one is read or not
            self.remember_folder("lastImageFolder", path.parent)
        try:
            read = prc.read_image_file(path, channels=3)
        except prc.ImageFileError as error:
            self.message.emit(str(error), True)
            return False
        image = read.pixels
        try:
            mask = prc.read_mask(mask_path, image.shape[:2]) if mask_path is not None else None
        except prc.ImageFileError as error:
            mask, problem = None, f"Opened {path.name} without a mask: {error}"
        else:
            problem = None
        self.document.replace(image, path, mask)
        self.see_through_file = path if read.translucent else None
        self.exif = read.exif
        if not is_sample(path):  # a sample opens from its own menu, with its mask
            self.settings.remember("recentFiles", path)
        self.opened.emit()
        if read.translucent and problem is None:
            self.notice.emit(f"{path.name} has transparent pixels: the app shows them, and saves them, on white.")
        if problem is not None:
            self.maskUnread.emit(problem)
            return False
        return True

    def new_canvas(self) -> None:
        if not self.free() or not self.confirm_discard():
            return
        dialog = NewCanvasDialog(self.parent_widget)
        if dialog.exec():
            self.new_blank(dialog.height_spin.value(), dialog.width_spin.value())

    def new_blank(self, height: int, width: int) -> None:
        self.document.replace(np.full((height, width, 3), 255, dtype=np.uint8), None)

    def paste_image(self) -> None:
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self.message.emit("The clipboard holds no image.", False)
            return
        self.take_image(image)

    def take_image(self, image: QImage) -> None:
        """Replace the canvas with ``image`` (pasted or dropped): an untitled image, unsaved."""
        if not self.free() or not self.confirm_discard():
            return
        self.document.replace(qimage_to_rgb(image), None)
        self.document.untitled_changes = True
        self.document.pathChanged.emit()

    def save_image(self) -> bool:
        """Write the image back to its file; an image without one, in a format the app does not write,
        or one of the bundled samples asks where to save instead."""
        if not self.free():
            return False
        path = self.document.path
        if path is None or path.suffix.lower() not in SAVE_SUFFIXES or is_sample(path):
            return self.save_image_as()
        if path == self.see_through_file and not self.confirm_flattening(path):
            return False
        return self.write_image(self.document.path)

    def confirm_flattening(self, path: Path) -> bool:
        """Ask before writing over a file with transparency, which the written image no longer has."""
        answer = QMessageBox.question(
            self.parent_widget, "Save without transparency?",
            f"{path.name} has transparent pixels, which the app shows on white. Saving over it writes them white "
            "and loses its transparency (Save As… keeps the original). Save anyway?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Save

    def save_image_as(self) -> bool:
        if not self.free():
            return False
        start = str(Path(self.settings.folder("lastImageFolder")) / ((self.document.path.stem if self.document.path else "untitled") + ".png"))
        path, chosen = QFileDialog.getSaveFileName(self.parent_widget, "Save image as", start, ";;".join(SAVE_FILTERS))
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() in SAVE_SUFFIXES:
            return self.write_image(path)
        written = path.with_suffix(SAVE_FILTERS.get(chosen, ".png"))
        if not self.write_image(written):
            return False
        asked = f"not {path.suffix}" if path.suffix else "and the name had no suffix"
        self.message.emit(f"Saved as {written.name}: the app writes PNG, JPEG or WebP images, {asked}.", False)
        return True

    def copy_image(self) -> None:
        QGuiApplication.clipboard().setImage(rgb_to_qimage(self.document.image))
        self.status.emit("Copied the image to the clipboard.", 3000)

    def write_image(self, path: Path) -> bool:
        if is_sample(path):
            self.message.emit(f"{path.name} is one of the app's sample images: save under another name or folder.", True)
            return False
        image = self.document.image
        try:
            prc.save_image(path, image[:, :, :1] if prc.is_grey(image) else image, exif=self.exif)
        except prc.ImageFileError as error:
            self.message.emit(str(error), True)
            return False
        self.document.set_path(path)
        if path == self.see_through_file:
            self.see_through_file = None  # written opaque now
        self.remember_folder("lastImageFolder", path.parent)
        self.settings.remember("recentFiles", path)
        self.status.emit(f"Saved {path.name}", 4000)
        self.imageSaved.emit()
        return True

    def save_mask(self, path: str | Path | None = None) -> bool:
        if not path:
            stem = self.document.path.stem if self.document.path else "untitled"
            start = str(self.dialog_folder("lastMaskFolder") / f"{stem}-mask.png")
            path, _ = QFileDialog.getSaveFileName(self.parent_widget, "Save mask as PNG", start, "PNG image (*.png)")
            if not path:
                return False
        path = Path(path)
        try:
            prc.save_image(path, self.document.mask[:, :, None].astype(np.uint8) * 255)
        except prc.ImageFileError as error:
            self.message.emit(str(error), True)
            return False
        self.remember_folder("lastMaskFolder", path.parent)
        self.status.emit(f"Saved the mask to {path.name}", 4000)
        return True

    def load_mask_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent_widget, "Load mask", str(self.dialog_folder("lastMaskFolder")), IMAGE_FILTER)
        if path:
            self.load_mask_file(path)

    def load_mask_file(self, path: str | Path) -> bool:
        if not self.free():
            return False
        try:
            mask = prc.read_mask(path, self.document.image.shape[:2])
        except prc.ImageFileError as error:
            self.maskUnread.emit(str(error))  # a message about the mask: a mask painted or loaded next settles it
            return False
        self.remember_folder("lastMaskFolder", Path(path).parent)
        self.document.edit("Load mask", "mask", mask)
        return True
