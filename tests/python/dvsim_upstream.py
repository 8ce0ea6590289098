# SPDX-License-Identifier: LGPL-2.1-or-later
"""A pytest plugin that runs DVSim's own runtime tests (tests/test_runtime.py of a DVSim checkout) with
jobd.dvsim.JobdRuntimeBackend in place of DVSim's LocalRuntimeBackend: the tests that submit jobs and
wait for their completion events then run on jobd. Not part of meson test (no DVSim on CI). Usage, in a
DVSim checkout, with jobd's private bus started by run-pytest.sh:

    PYTHONPATH=src:.:$JOBD_SRC/tests/python  \\
        bash $JOBD_SRC/tests/python/run-pytest.sh PYTHON -p dvsim_upstream -o addopts= tests/test_runtime.py

The tests of LocalRuntimeBackend's private pipe reader (_log_from_pipe) and of registering the local
backend by name test the local backend itself, not a backend's contract; they are deselected here.
"""
import pytest

from jobd.dvsim import JobdRuntimeBackend

_LOCAL_ONLY = ("_log_from_pipe", "decodes_multibyte", "reader_error", "cancellation_is_silent",
               "test_register_backend", "test_lazy_register_backend")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        mod = getattr(item, "module", None)
        if mod is not None and hasattr(mod, "LocalRuntimeBackend"):
            mod.LocalRuntimeBackend = JobdRuntimeBackend
        (drop if any(k in item.name for k in _LOCAL_ONLY) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
