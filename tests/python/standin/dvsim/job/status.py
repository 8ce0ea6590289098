# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stand-in of dvsim.job.status: the job states of DVSim's scheduler."""
from enum import Enum


class JobStatus(Enum):
    SCHEDULED = "Scheduled"
    QUEUED = "Queued"
    RUNNING = "Running"
    PASSED = "Passed"
    FAILED = "Failed"
    KILLED = "Killed"

    @property
    def shorthand(self) -> str:
        return self.name[0]

    @property
    def is_terminal(self) -> bool:
        return self in {JobStatus.PASSED, JobStatus.FAILED, JobStatus.KILLED}
