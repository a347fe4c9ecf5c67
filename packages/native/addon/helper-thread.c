/*
 * The helper thread (see helper-thread.h).
 *
 * One atomic word, `job_word`, says whose the posted job is: the post's sequence number times 4 plus its
 * state, OPEN (posted, nobody started it), HELPER (the helper started it) or CALLER (the caller took it
 * back). Helper and caller each move OPEN to their state with a compare-and-swap, so exactly one of them
 * runs the job; the sequence number keeps a helper that read the word during an earlier post from taking a
 * later one. The caller writes the job before the word that announces it, and posts again only after the
 * job has returned, so a helper whose swap succeeds reads the job of that post. When the job returns the
 * helper stores the post's number in `done_word`.
 *
 * Waiting: after a job the helper spins for HELPER_SPIN_NS in case another comes (appends come in
 * bursts), or for as long as the post asked (a caller with more jobs queued), then sleeps on a condition
 * variable; waking it takes about ten microseconds on a quiet machine, and on a busy one a spinning
 * thread is preempted anyway. On a virtual machine whose idle cores the host takes back, a wake-up
 * sometimes takes hundreds of microseconds, and posting it costs the caller a system call. The caller
 * never waits for the helper to start: it takes the job back instead. It waits only for a job the helper
 * is running, spinning, then sleeping if that lasts (the helper's core was taken from it). Sleeping on
 * either side uses a flag and the mutex: a thread sets its flag, then checks the word it waits for; the
 * other side changes that word, then checks the flag (both sequentially consistent), so at least one of
 * them sees the other and no wake-up is lost.
 */
#include "helper-thread.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

/* How long helper_wait spins before it sleeps. */
#define WAIT_SPIN_NS INT64_C(200000)
/* The helper's stack: its jobs call nothing deep. */
#define HELPER_STACK_BYTES (256 * 1024)

enum job_state { JOB_OPEN = 0, JOB_HELPER = 1, JOB_CALLER = 2 };
#define STATE_BITS 2
#define STATE_MASK ((UINT64_C(1) << STATE_BITS) - 1)

#define CACHE_LINE_BYTES 64

/* Written by both threads: each alone on its cache line. */
static _Alignas(CACHE_LINE_BYTES) _Atomic uint64_t job_word;
static _Alignas(CACHE_LINE_BYTES) _Atomic uint64_t done_word;
/* The posted job: written by the caller before job_word, read by the helper after it. */
static _Alignas(CACHE_LINE_BYTES) _Atomic(helper_job) posted_job;
static _Atomic(void *) posted_argument;
static _Atomic int64_t posted_at_ns;
static _Atomic int64_t posted_linger_ns;

/* The caller side, used by the posting caller only (it holds caller_lock). */
static pthread_mutex_t caller_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t caller_sequence;

/* Sleeping and waking. */
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_posted = PTHREAD_COND_INITIALIZER;
static pthread_cond_t job_done = PTHREAD_COND_INITIALIZER;
static _Atomic bool helper_sleeping;
static _Atomic bool caller_sleeping;

static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static bool helper_started;

static _Atomic int64_t statistics_posts;
static _Atomic int64_t statistics_taken_back;
static _Atomic int64_t statistics_helper_wakeups;
static _Atomic int64_t statistics_start_delay_ns;
static _Atomic int64_t statistics_waits;
static _Atomic int64_t statistics_wait_ns;

static inline uint64_t sequence_of(uint64_t word) { return word >> STATE_BITS; }
static inline uint64_t state_of(uint64_t word) { return word & STATE_MASK; }

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static void count(_Atomic int64_t *counter, int64_t amount) {
  atomic_fetch_add_explicit(counter, amount, memory_order_relaxed);
}

/* Waits for a post after `seen_sequence`, spinning `spin_ns` before it sleeps; returns its job word. */
static uint64_t helper_wait_for_post(uint64_t seen_sequence, int64_t spin_ns) {
  const int64_t deadline_ns = now_ns() + spin_ns;
  for (uint32_t spin = 1;; spin++) {
    const uint64_t word = atomic_load_explicit(&job_word, memory_order_acquire);
    if (sequence_of(word) != seen_sequence) return word;
    if (spin % 64 == 0 && now_ns() > deadline_ns) break;
    cpu_relax();
  }
  pthread_mutex_lock(&sleep_lock);
  atomic_store(&helper_sleeping, true);
  uint64_t word;
  while (sequence_of(word = atomic_load(&job_word)) == seen_sequence) pthread_cond_wait(&job_posted, &sleep_lock);
  atomic_store(&helper_sleeping, false);
  pthread_mutex_unlock(&sleep_lock);
  return word;
}

static void *helper_main(void *unused) {
  (void)unused;
  uint64_t seen_sequence = 0;
  int64_t spin_ns = HELPER_SPIN_NS;
  for (;;) {
    uint64_t word = helper_wait_for_post(seen_sequence, spin_ns);
    seen_sequence = sequence_of(word);
    if (state_of(word) != JOB_OPEN) continue; /* the caller took it back */
    /* Read after the word that announced the post: this post's job, or a later one's, in which case the
       swap fails. */
    const helper_job job = atomic_load_explicit(&posted_job, memory_order_relaxed);
    void *const argument = atomic_load_explicit(&posted_argument, memory_order_relaxed);
    const int64_t posted_ns = atomic_load_explicit(&posted_at_ns, memory_order_relaxed);
    const int64_t linger_ns = atomic_load_explicit(&posted_linger_ns, memory_order_relaxed);
    if (!atomic_compare_exchange_strong(&job_word, &word, (seen_sequence << STATE_BITS) | JOB_HELPER))
      continue;
    count(&statistics_start_delay_ns, now_ns() - posted_ns);
    spin_ns = linger_ns > HELPER_SPIN_NS ? linger_ns : HELPER_SPIN_NS;
    job(argument);
    atomic_store(&done_word, seen_sequence);
    if (atomic_load(&caller_sleeping)) {
      pthread_mutex_lock(&sleep_lock);
      pthread_cond_signal(&job_done);
      pthread_mutex_unlock(&sleep_lock);
    }
  }
  return NULL;
}

static void start_helper(void) {
  pthread_attr_t attributes;
  if (pthread_attr_init(&attributes) != 0) return;
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attributes, HELPER_STACK_BYTES);
  /* Signals go to Node's threads, never to the helper: it starts with all of them blocked. */
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pthread_t thread;
  helper_started = pthread_create(&thread, &attributes, helper_main, NULL) == 0;
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  pthread_attr_destroy(&attributes);
}

bool helper_post(helper_job job, void *argument, int64_t linger_ns) {
  pthread_once(&start_once, start_helper);
  if (!helper_started) return false;
  if (pthread_mutex_trylock(&caller_lock) != 0) return false;
  atomic_store_explicit(&posted_job, job, memory_order_relaxed);
  atomic_store_explicit(&posted_argument, argument, memory_order_relaxed);
  atomic_store_explicit(&posted_at_ns, now_ns(), memory_order_relaxed);
  atomic_store_explicit(&posted_linger_ns, linger_ns, memory_order_relaxed);
  caller_sequence++;
  atomic_store(&job_word, (caller_sequence << STATE_BITS) | JOB_OPEN);
  if (atomic_load(&helper_sleeping)) {
    pthread_mutex_lock(&sleep_lock);
    pthread_cond_signal(&job_posted);
    pthread_mutex_unlock(&sleep_lock);
    count(&statistics_helper_wakeups, 1);
  }
  count(&statistics_posts, 1);
  return true;
}

bool helper_take_back(void) {
  uint64_t word = (caller_sequence << STATE_BITS) | JOB_OPEN;
  if (!atomic_compare_exchange_strong(&job_word, &word, (caller_sequence << STATE_BITS) | JOB_CALLER))
    return false;
  count(&statistics_taken_back, 1);
  pthread_mutex_unlock(&caller_lock);
  return true;
}

int64_t helper_wait(void) {
  int64_t waited_ns = 0;
  if (atomic_load_explicit(&done_word, memory_order_acquire) != caller_sequence) {
    const int64_t started_ns = now_ns();
    const int64_t deadline_ns = started_ns + WAIT_SPIN_NS;
    bool done = false;
    for (uint32_t spin = 1; !done; spin++) {
      done = atomic_load_explicit(&done_word, memory_order_acquire) == caller_sequence;
      if (!done && spin % 64 == 0 && now_ns() > deadline_ns) break;
      cpu_relax();
    }
    if (!done) {
      pthread_mutex_lock(&sleep_lock);
      atomic_store(&caller_sleeping, true);
      while (atomic_load(&done_word) != caller_sequence) pthread_cond_wait(&job_done, &sleep_lock);
      atomic_store(&caller_sleeping, false);
      pthread_mutex_unlock(&sleep_lock);
    }
    waited_ns = now_ns() - started_ns;
    count(&statistics_waits, 1);
    count(&statistics_wait_ns, waited_ns);
  }
  pthread_mutex_unlock(&caller_lock);
  return waited_ns;
}

void helper_statistics(struct helper_statistics *statistics) {
  statistics->posts = atomic_load_explicit(&statistics_posts, memory_order_relaxed);
  statistics->taken_back = atomic_load_explicit(&statistics_taken_back, memory_order_relaxed);
  statistics->helper_wakeups = atomic_load_explicit(&statistics_helper_wakeups, memory_order_relaxed);
  statistics->start_delay_ns = atomic_load_explicit(&statistics_start_delay_ns, memory_order_relaxed);
  statistics->waits = atomic_load_explicit(&statistics_waits, memory_order_relaxed);
  statistics->wait_ns = atomic_load_explicit(&statistics_wait_ns, memory_order_relaxed);
}
