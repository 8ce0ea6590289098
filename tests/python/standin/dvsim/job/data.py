# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stand-in of dvsim.job.data: JobSpec (the fields a backend reads) and JobStatusInfo."""
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, kw_only=True)
class JobStatusInfo:
    message: str
    lines: Sequence[Any] | None = None
    context: Sequence[str] | None = None


@dataclass(frozen=True, kw_only=True)
class JobSpec:
    name: str
    full_name: str
    qual_name: str
    cmd: str
    odir: Path
    log_path: Path
    exports: Mapping[str, str] = field(default_factory=dict)
    weight: int = 1
    timeout_mins: float | None = None
    interactive: bool = False
    dry_run: bool = False
    renew_odir: bool = False
    pass_patterns: Sequence[str] = ()
    fail_patterns: Sequence[str] = ()
    pre_launch: Callable[[], None] = lambda: None
    post_finish: Callable[[Any], None] = lambda _status: None
    job_type: str = "stand-in"
    target: str = "run"
    backend: str | None = None
    resources: Any = None
    seed: int | None = None
    dependencies: list[str] = field(default_factory=list)
    needs_all_dependencies_passing: bool = True
    block: Any = None
    tool: Any = None
    workspace_cfg: Any = None

    @property
    def id(self) -> str:
        return self.full_name

    @property
    def timeout_secs(self) -> float | None:
        return None if self.timeout_mins is None else self.timeout_mins * 60
