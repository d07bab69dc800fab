"""The window's menus, tools toolbar and shortcuts as one table: each row names the menu, the text, the
tip, the shortcut and what the action does. :func:`build_actions` makes the menus from it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QToolBar

import pixelrnn_core as prc

from .canvas import Tool

if TYPE_CHECKING:
    from .main_window import MainWindow

Keys = QKeySequence.StandardKey
Shortcut = str | QKeySequence.StandardKey | None


@dataclass(frozen=True)
class Action:
    """One menu entry: ``slot(window)`` is what it runs; ``keep`` names the window attribute that
    holds the action, for those the window uses later; ``idle_only`` marks those a fill disables: they
    replace or write the image it draws into, or its model."""

    text: str
    tip: str
    slot: Callable[[MainWindow], Callable]
    shortcut: Shortcut = None
    checkable: bool = False
    checked: bool = False
    keep: str | None = None
    idle_only: bool = False


# Places in a menu that are not one plain action; build_actions fills them in.
SEPARATOR, RECENT, SAMPLES, UNDO_REDO, TOOLS, PANELS = "separator", "recent files", "samples", "undo and redo", "tools", "panels"

TOOL_KEYS = {Tool.PAINT: "B", Tool.ERASE: "E", Tool.MASK_BRUSH: "M", Tool.MASK_ERASER: "Shift+M", Tool.MASK_RECT: "R", Tool.PICK: "I"}
TOOL_TIPS = {
    Tool.PAINT: "Paint the image with the brush colour ([ ] size)",
    Tool.ERASE: "Paint the image white ([ ] size)",
    Tool.MASK_BRUSH: "Paint the mask: the pixels the model will fill ([ ] size)",
    Tool.MASK_ERASER: "Remove pixels from the mask ([ ] size)",
    Tool.MASK_RECT: "Drag a rectangle to add to the mask",
    Tool.PICK: "Click a pixel to pin it in the inspector",
}

MENUS: tuple[tuple[str, tuple[Action | str, ...]], ...] = (
    ("&File", (
        Action("&New canvas…", "Start a blank canvas of a chosen size", lambda w: w.files.new_canvas, Keys.New, idle_only=True),
        Action("&Open image…", "Open an image to complete", lambda w: w.files.open_image_dialog, Keys.Open, idle_only=True),
        RECENT,
        SAMPLES,
        Action("&Save image", "Save the image (PNG, JPEG or WebP, as its file name says)",
               lambda w: w.files.save_image, Keys.Save, idle_only=True),
        Action("Save image &as…", "Save the image as a new PNG, JPEG or WebP file",
               lambda w: w.files.save_image_as, Keys.SaveAs, idle_only=True),
        Action("Save &mask…", "Save the mask as a black and white PNG", lambda w: w.files.save_mask, "Ctrl+Shift+M"),
        Action("&Load mask…", "Load a mask from an image file (white = fill)",
               lambda w: w.files.load_mask_dialog, "Ctrl+M", idle_only=True),
        SEPARATOR,
        Action("Open &checkpoint…", "Choose a model checkpoint file", lambda w: w.open_checkpoint_dialog, "Ctrl+Shift+O", idle_only=True),
        SEPARATOR,
        Action("&Quit", "Close the window", lambda w: w.close, Keys.Quit),
    )),
    ("&Edit", (
        UNDO_REDO,
        Action("&Copy image", "Copy the image (with its fill) to the clipboard", lambda w: w.files.copy_image, Keys.Copy),
        Action("&Paste image", "Replace the canvas with the image on the clipboard",
               lambda w: w.files.paste_image, Keys.Paste, idle_only=True),
        Action("Brush &colour…", "Choose the colour the brush paints with", lambda w: w.choose_colour, "C"),
    )),
    ("&Tools", (
        TOOLS,
        SEPARATOR,
        Action("&Larger brush", "Widen the current tool's brush by a quarter", lambda w: lambda: w.canvas.change_brush_size(1), "]"),
        Action("&Smaller brush", "Narrow the current tool's brush by a fifth", lambda w: lambda: w.canvas.change_brush_size(-1), "["),
    )),
    ("&Mask", (
        Action("&Invert mask", "Fill everything that is not masked, and nothing that is", lambda w: w.invert_mask, "Ctrl+I"),
        Action("&Clear mask", "Remove the whole mask", lambda w: w.clear_mask, "Ctrl+Shift+Backspace"),
        Action("&Grow mask", "Add a one-pixel border around the mask", lambda w: w.grow_mask, "G"),
        Action("Shrin&k mask", "Remove the mask's outer one-pixel border", lambda w: w.shrink_mask, "Shift+G"),
        Action("Mask the &bottom half", "The paper's completion task: fill the lower half", lambda w: w.mask_bottom_half, "Ctrl+H"),
        Action("&Show mask overlay", "Show or hide the mask (a red tint; a red outline after a fill)", lambda w: w.canvas.set_show_mask, "O",
               checkable=True, checked=True, keep="show_mask_action"),
    )),
    ("&View", (
        Action("&Fit", "Fit the image in the window", lambda w: w.canvas.fit, "F"),
        Action("&Actual size (1:1)", "One screen pixel per image pixel", lambda w: w.canvas.actual_size, "1"),
        Action("Zoom to &mask", "Show the masked region with its surroundings (holes far apart: the next group at each press)",
               lambda w: w.zoom_to_mask, "Z", keep="zoom_to_mask_action"),
        Action("Zoom &in", "Zoom in", lambda w: lambda: w.canvas.zoom_by(1.25), Keys.ZoomIn),
        Action("Zoom &out", "Zoom out", lambda w: lambda: w.canvas.zoom_by(0.8), Keys.ZoomOut),
        Action("&Compare with original", "Show the image as it was before the last fill (or hold Tab)", lambda w: w.canvas.set_comparing,
               "Ctrl+T", checkable=True, keep="compare_action"),
        SEPARATOR,
        PANELS,
    )),
    ("&Complete", (
        Action("&Complete", "Fill the masked pixels", lambda w: lambda: w.panel.start(), "Ctrl+Return"),
        Action("&Pause / resume", "Pause or resume the fill", lambda w: w.panel.toggle_pause, "P"),
        Action("Step &pixel", "Fill one more pixel", lambda w: lambda: w.panel.step(w.controller.step_pixel), "N"),
        Action("Step &row", "Fill to the end of the row", lambda w: lambda: w.panel.step(w.controller.step_row), "Shift+N"),
        Action("C&ancel / unpin", "Stop the fill, or unpin the inspector's pixel", lambda w: w.escape, "Esc"),
    )),
    ("&Help", (
        Action("&Keyboard shortcuts", "List every shortcut", lambda w: w.show_shortcuts, Keys.HelpContents),
        Action("&About pixelrnn", "What this app is, its version, and the paper it implements", lambda w: w.show_about),
    )),
)


def add_action(window: MainWindow, menu: QMenu, action: Action) -> QAction:
    """Make ``action`` in ``menu``; its shortcut works anywhere in the window."""
    made = QAction(action.text, window)
    made.setToolTip(action.tip)
    made.setStatusTip(action.tip)
    if action.shortcut is not None:
        made.setShortcut(QKeySequence(action.shortcut))
    made.setCheckable(action.checkable)
    made.setChecked(action.checked)
    made.triggered.connect(action.slot(window))
    menu.addAction(made)
    window.addAction(made)
    if action.keep is not None:
        setattr(window, action.keep, made)
    if action.idle_only:
        window.idle_only_actions.append(made)
    return made


def build_actions(window: MainWindow) -> None:
    """The menu bar and the tools toolbar from :data:`MENUS`."""
    window.idle_only_actions = []
    for title, entries in MENUS:
        menu = window.menuBar().addMenu(title)
        for entry in entries:
            if isinstance(entry, Action):
                add_action(window, menu, entry)
            elif entry == SEPARATOR:
                menu.addSeparator()
            elif entry == RECENT:
                window.recent_menu = menu.addMenu("Open &recent")
            elif entry == SAMPLES:
                window.samples_menu = menu.addMenu("Open sa&mple")
                add_samples(window, window.samples_menu)
            elif entry == UNDO_REDO:
                add_undo_redo(window, menu)
            elif entry == TOOLS:
                add_tools(window, menu)
            elif entry == PANELS:
                add_panels(window, menu)


def add_samples(window: MainWindow, menu: QMenu) -> None:
    for name in prc.sample_images():
        add_action(window, menu, Action(name, f"Open the sample image {name} with its mask", lambda w, n=name: lambda: w.files.open_sample(n)))


def add_undo_redo(window: MainWindow, menu: QMenu) -> None:
    undo = window.document.undo_stack.createUndoAction(window, "&Undo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = window.document.undo_stack.createRedoAction(window, "&Redo")
    redo.setShortcut(QKeySequence.StandardKey.Redo)
    for action in (undo, redo):
        action.setToolTip(action.text().replace("&", ""))
        menu.addAction(action)
        window.addAction(action)
    window.undo_action, window.redo_action = undo, redo


def add_tools(window: MainWindow, menu: QMenu) -> None:
    """One checkable action per tool, in the menu and in the toolbar, and the brush colour button."""
    window.tool_group = QActionGroup(window)
    window.tool_actions = {}
    toolbar = window.addToolBar("Tools")
    toolbar.setObjectName("toolsToolbar")
    for tool, key in TOOL_KEYS.items():
        action = add_action(window, menu, Action(tool.value, TOOL_TIPS[tool], lambda w, t=tool: lambda: w.set_tool(t), key, checkable=True))
        window.tool_group.addAction(action)
        toolbar.addAction(action)
        toolbar.widgetForAction(action).setAccessibleName(tool.value)
        window.tool_actions[tool] = action
    window.colour_action = QAction(window.colour_icon(), "Colour", window)
    window.colour_action.setToolTip("Brush colour (C)")
    window.colour_action.triggered.connect(window.choose_colour)
    toolbar.addAction(window.colour_action)
    toolbar.widgetForAction(window.colour_action).setAccessibleName("Brush colour")


def add_panels(window: MainWindow, menu: QMenu) -> None:
    """A checkable entry per panel and for the tools toolbar: a closed one comes back from here."""
    panels = menu.addMenu("&Panels")
    for dock in window.findChildren(QDockWidget):
        panels.addAction(dock.toggleViewAction())
    for toolbar in window.findChildren(QToolBar):
        panels.addAction(toolbar.toggleViewAction())
