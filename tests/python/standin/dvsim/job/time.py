# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stand-in of dvsim.job.time.JobTime: a duration with a unit."""


class JobTime:
    def __init__(self, time: float = 0.0, unit: str = "s") -> None:
        self.time, self.unit = time, unit

    def set(self, time: float, unit: str) -> None:
        self.time, self.unit = time, unit

    def get(self) -> tuple[float, str]:
        return self.time, self.unit
