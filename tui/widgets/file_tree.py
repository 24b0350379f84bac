"""Folders to pick a file from: a few places (the home folder, the store's folder) at the top, each a
tree of its folders and of the files of the kinds asked for; hidden files are left out.

Enter or → on a folder opens it, on a file posts ``DirectoryTree.FileSelected``; ← closes a folder, or goes
to the folder above, or (at a place) back from the screen (``screen.back``)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from textual.binding import Binding
from textual.widgets import DirectoryTree
from textual.widgets.directory_tree import DirEntry
from textual.widgets.tree import TreeNode


class FileTree(DirectoryTree):
    # plain marks: an emoji's width differs between terminals (over SSH, in tmux)
    ICON_NODE = "▸ "
    ICON_NODE_EXPANDED = "▾ "
    ICON_FILE = "  "
    BINDINGS = [
        Binding("left", "close_or_up", show=False),
        Binding("right", "select_cursor", show=False),
    ]

    def __init__(self, places: list[tuple[str, Path]], suffixes: Iterable[str], *, hidden: Iterable[Path] = (),
                 **kwargs) -> None:
        """``places``: (label, folder) shown at the top, the last one opened (the others stay one line each,
        above it); ``suffixes``: the files shown (``.xlsx``, …), any case; ``hidden``: files and folders left
        out (the store's own)."""
        self.places = places
        self.suffixes = frozenset(s.lower() for s in suffixes)
        self.hidden = frozenset(path.resolve() for path in hidden)
        super().__init__(places[-1][1], **kwargs)
        self.show_root = False
        self.guide_depth = 2

    def _populate_node(self, node: TreeNode[DirEntry], content: Iterable[Path]) -> None:
        if node is not self.root:
            super()._populate_node(node, content)
            return
        node.remove_children()
        for label, folder in self.places:
            node.add(label, data=DirEntry(folder), allow_expand=True)
        node.expand()
        if node.children:
            node.children[-1].expand()
            self.move_cursor(node.children[0], animate=False)

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [path for path in paths if not path.name.startswith(".") and path not in self.hidden
                and (path.suffix.lower() in self.suffixes or self._safe_is_dir(path))]

    async def action_close_or_up(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)
        else:
            await self.run_action("screen.back")
