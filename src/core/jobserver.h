/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * GNU make jobservers for jobs with Jobserver=true: `make -j` inside such jobs shares jobd's slots.
 *
 * One jobserver per limiting scope and owner: the scope is the job's group where that group has a limit,
 * else the global limit (MaxParallel); a job nothing limits gets none. Each is a named FIFO,
 * DIR/jobserver/<uid>/<scope>, 0600 and its owner's, in a folder only its owner may enter: reachable by
 * the job's user and nobody else. A job gets it twice in MAKEFLAGS' terms: as inherited fds 3 and 4
 * (--jobserver-auth=3,4, what make 4.3 understands) or, with the fifo style, as fifo:PATH (make >= 4.4).
 *
 * Tokens: the job's own slot is its make's implicit token; every byte in a FIFO is a slot jobd lends to
 * the makes of that scope. jobd counts the tokens it wrote and did not read back ("total"); what makes
 * hold is total minus what is still readable (FIONREAD). No polling: before each scheduler pass jobd takes
 * every unused token back (reads the FIFOs empty), tells the scheduler how many slots the makes hold, lets
 * it start jobs, and then writes one token per slot that is still free (round robin over the jobservers
 * in use, within their group's limit). A make that gives a token back makes the FIFO readable (watched
 * edge-triggered): that starts another pass. So tokens + running jobs never exceed a limit; a raised limit
 * is handed out at once, a lowered one takes effect as tokens come back: a token given back while more
 * are out than the limit allows is read back at once, but a make that gives one back for a recipe and
 * has another to run takes one again in the same breath, so a busy make keeps what it has until it runs
 * out of runnable recipes; meanwhile nothing else starts in that scope.
 *
 * Tokens a killed make held never come back: they are written off when the last job using that jobserver
 * has ended (until then they count as held: the scope runs below its limit, never above).
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct Manager Manager;
typedef struct Job Job;
typedef struct Jobserver Jobserver;

#define JOBSERVER_DIR "jobserver"

/* The jobserver of the job's scope (made on first use), counting the job as one of its users: 1 and *ret,
 * or 0 and NULL when nothing limits the job. */
int jobserver_acquire(Manager *m, Job *j, Jobserver **ret);
/* The job has ended (nothing of it runs any more). */
void jobserver_release(Jobserver *js);

/* A read and a write fd for a job: open file descriptions of its own (blocking, close-on-exec), so that
 * jobd's O_NONBLOCK never reaches the makes. */
int jobserver_open_job_fds(Jobserver *js, int *ret_read, int *ret_write);
/* The FIFO's absolute path, for --jobserver-auth=fifo:PATH. */
const char *jobserver_path(Jobserver *js);

/* Around each scheduler pass (manager.c): take unused tokens back and tell the scheduler what the makes
 * hold; afterwards hand the free slots out. */
void manager_jobservers_collect(Manager *m);
void manager_jobservers_refill(Manager *m);
void manager_jobservers_free(Manager *m);
