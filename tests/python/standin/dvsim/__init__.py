# SPDX-License-Identifier: LGPL-2.1-or-later
"""A stand-in for the few parts of DVSim (github.com/lowRISC/dvsim) that jobd.dvsim uses.

Written here from DVSim's documented interface (its RuntimeBackend docstrings and type names), not
copied: the CI machine has no DVSim. tests/python/conftest.py puts this directory on sys.path only when
the real ``import dvsim`` fails, so the same tests run against the real classes where DVSim is installed.
"""
STANDIN = True
