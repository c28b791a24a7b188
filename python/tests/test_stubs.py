"""The hand-written stubs and the native module agree on every class and method (a quick check
without mypy; `make python-typecheck` runs `mypy.stubtest`, which checks signatures too)."""

import ast
import pathlib

import picoring
from picoring import _picoring

STUBS = pathlib.Path(picoring.__file__).with_name("_picoring.pyi")


def decorator_names(node):
    return {d.id for d in node.decorator_list if isinstance(d, ast.Name)}


def stub_classes():
    """Every class the stubs declare as existing at runtime, with its methods and those of its
    stub-only (``@type_check_only``) bases."""
    tree = ast.parse(STUBS.read_text())
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}

    def methods(node):
        names = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in classes:
                names |= methods(classes[base.id])
        return names

    return {
        name: methods(node)
        for name, node in classes.items()
        if "type_check_only" not in decorator_names(node)
    }


def test_stubs_declare_exactly_the_module_classes():
    stubs = stub_classes()
    assert set(stubs) == {n for n in _picoring.__all__ if isinstance(getattr(_picoring, n), type)}
    assert set(picoring.__all__) <= set(stubs)


def test_every_stubbed_method_exists():
    for name, methods in stub_classes().items():
        cls = getattr(_picoring, name)
        missing = {m for m in methods if not hasattr(cls, m)} - {"__buffer__", "__release_buffer__"}
        assert not missing, (name, missing)


def test_every_public_method_is_stubbed():
    stubs = stub_classes()
    for name in stubs:
        cls = getattr(_picoring, name)
        public = {m for m in vars(cls) if not m.startswith("_")}
        assert public <= stubs[name], (name, public - stubs[name])


def test_classes_are_final_and_stubbed_final():
    """Every class is stubbed @final exactly when it cannot be subclassed (PicoList and PicoListByte
    can, as array.array and bytearray can, and exceptions can)."""
    tree = ast.parse(STUBS.read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in _picoring.__all__:
            cls = getattr(_picoring, node.name)
            try:
                type("Sub", (cls,), {})
            except TypeError:
                subclassable = False
            else:
                subclassable = True
            assert subclassable != ("final" in decorator_names(node)), node.name
