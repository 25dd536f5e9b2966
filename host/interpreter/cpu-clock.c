/*
 * LD_PRELOAD library for the Linux Espruino build: getTime() answers the calling thread's CPU
 * time instead of the wall clock.
 *
 * targets/linux/jshardware.c jshGetSystemTime() reads gettimeofday(); on a shared machine a wall
 * clock charges the interpreter for every other process that ran meanwhile, so timings of the
 * same code swing 2-3x between runs. CLOCK_THREAD_CPUTIME_ID (POSIX clock_gettime) counts only
 * the time this thread ran. Only for synchronous measurements (the bench's SE probe): timers and
 * setTimeout would wait on CPU time.
 */
#define _GNU_SOURCE
#include <sys/time.h>
#include <time.h>

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  (void)tz;
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return -1;
  if (tv != NULL) {
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
  }
  return 0;
}
