/*
 * A persistent helper thread that runs one job at a time for a calling thread, so that the two halves of
 * a large batch are validated on two cores at once (batch-validation.c).
 *
 * The caller posts a job, does its own share of the work, then either takes the job back (the helper had
 * not started it: its core was busy, or it was still waking up) and runs it itself, or waits for the
 * helper to finish it. Whatever the timing the job runs exactly once, and the caller returns only after
 * it ran, so the job may point into memory the caller owns for the duration of the call.
 *
 * One caller at a time (Node.js worker threads may load the addon too): a post fails while another
 * caller's job is in flight, and that caller works alone. The thread starts at the first post and lives
 * as long as the process; no thread is created per call.
 */
#ifndef SLUICE_HELPER_THREAD_H
#define SLUICE_HELPER_THREAD_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*helper_job)(void *argument);

/* Offers `job(argument)` to the helper. Returns false, posting nothing, when the helper is in use by
   another caller or could not start: the caller then does the work itself. After the job the helper
   spins for the next one for `linger_ns`, or HELPER_SPIN_NS if that is longer, before it sleeps: a
   caller that knows more jobs are coming soon keeps it from falling asleep in between. */
bool helper_post(helper_job job, void *argument, int64_t linger_ns);

/* How long the helper spins for the next job, at least, before it sleeps. */
#define HELPER_SPIN_NS INT64_C(50000)

/* After a post: true if the helper had not started the job, which is now the caller's to run (the post
   is over); false if the helper is running it or ran it (then call helper_wait). */
bool helper_take_back(void);

/* After a post that was not taken back: waits until the job has returned, and returns how long it
   waited in nanoseconds (0 when the job was already done). The post is over. */
int64_t helper_wait(void);

/* Counters since the process started, for benchmarks. */
struct helper_statistics {
  int64_t posts;           /* jobs posted */
  int64_t taken_back;      /* jobs the caller took back because the helper had not started them */
  int64_t helper_wakeups;  /* posts that found the helper asleep and woke it */
  int64_t start_delay_ns;  /* total time from post to the helper starting a job */
  int64_t waits;           /* helper_wait calls that found the job still running */
  int64_t wait_ns;         /* total time those calls waited */
};

void helper_statistics(struct helper_statistics *statistics);

#endif
