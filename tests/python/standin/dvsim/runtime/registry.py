# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stand-in of dvsim.runtime.registry: backends by name, a class or a lazily imported dotted path."""
import importlib
from typing import NewType

BackendType = NewType("BackendType", str)


class BackendRegistry(dict):
    def register(self, name, factory):
        if name in self:
            raise ValueError(f"Backend '{name}' is already registered")
        self[name] = factory

    def create(self, name, *args, **kwargs):
        return self[name](*args, **kwargs)


backend_registry = BackendRegistry()


def register_backend(name, backend_cls):
    if not isinstance(backend_cls, str):
        backend_registry.register(name, backend_cls)
        return
    module, _, cls = backend_cls.rpartition(".")

    def lazy(*args, **kwargs):
        return getattr(importlib.import_module(module), cls)(*args, **kwargs)

    backend_registry.register(name, lazy)
