/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Threads for work that must not hold the event loop (a scan of a large log). Here rather than where they
 * are used: src/sched/sched.h would stand in for <sched.h>, which <pthread.h> includes. */

/* Starts fn(arg) in a detached thread that blocks every signal (signals are the loop's, through
 * signalfd). 0 or a negative errno. */
int thread_spawn_detached(void *(*fn)(void *), void *arg);
