"""The hand-written stubs and the native module agree on every class and method."""

import ast
import pathlib

import picoring
from picoring import _picoring

STUBS = pathlib.Path(picoring.__file__).with_name("_picoring.pyi")


def stub_classes():
    tree = ast.parse(STUBS.read_text())
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}

    def methods(node):
        names = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in classes:
                names |= methods(classes[base.id])
        return names

    return {name: methods(node) for name, node in classes.items() if not name.startswith("_")}


def test_every_stubbed_method_exists():
    stubs = stub_classes()
    assert set(stubs) == set(picoring.__all__)
    for name, methods in stubs.items():
        cls = getattr(_picoring, name)
        missing = {m for m in methods if not hasattr(cls, m)} - {"__buffer__", "__release_buffer__"}
        assert not missing, (name, missing)


def test_every_public_method_is_stubbed():
    stubs = stub_classes()
    for name in picoring.__all__:
        cls = getattr(_picoring, name)
        public = {m for m in vars(cls) if not m.startswith("_")}
        assert public <= stubs[name], (name, public - stubs[name])
