/*
 * LD_PRELOAD library for the Linux Espruino build: console input without a data race.
 *
 * targets/linux/jshardware.c reads standard input on a thread of its own (jshInputThread: kbhit(),
 * a select() on descriptor 0, then getch(), a one-byte read()) and queues each byte as a console
 * event (src/jsdevices.c jshPushIOCharEvents), mostly by growing the newest event in place, while
 * the main loop pops events from the same ring buffer. On a microcontroller the push runs in an
 * interrupt and jshInterruptOff() keeps the pop and the push apart; the Linux build's
 * jshInterruptOff() is empty. A pop that reads an event's length just before the input thread grows
 * it leaves the ring's tail on a data byte: that byte is then read as a length, the tail overtakes
 * the head, and the ring's old contents run again as input (console lines replayed or garbled,
 * then garbage events: "Execution Interrupted", OUT OF MEMORY). Typing a line every few
 * milliseconds into an interpreter that runs a busy timer shows it within a minute.
 *
 * Here the two threads take turns. The main thread holds a lock, and lets the input thread in
 * where it cannot be inside an event queue operation: while it sleeps (jshDelayMicroseconds is a
 * select() without descriptors) and when it reads the clock (gettimeofday, every turn of the main
 * loop and every getTime()), if the input thread is waiting. The input thread takes the lock
 * before it reads a byte of standard input and gives it back once the bytes it read are queued:
 * at its next kbhit() (a select() on descriptor 0) that finds no more input, or its own sleep.
 * Bytes wait in the pipe while the interpreter is busy, as a UART's would behind flow control.
 * The interpreter is unchanged.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/select.h>
#include <sys/time.h>
#include <unistd.h>

static pthread_mutex_t turn = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t handedBack = PTHREAD_COND_INITIALIZER;
static pthread_t mainThread;
/* the input thread waits for the lock */
static int waiting;
static __thread int holding;

static int onMainThread(void) {
  return pthread_equal(pthread_self(), mainThread);
}

/* runs in the main thread before the interpreter's main() */
__attribute__((constructor)) static void takeTurn(void) {
  mainThread = pthread_self();
  pthread_mutex_lock(&turn);
  holding = 1;
}

/* main thread, outside any event queue operation: the input thread queues what it has read */
static void letInputIn(void) {
  while (__atomic_load_n(&waiting, __ATOMIC_ACQUIRE)) pthread_cond_wait(&handedBack, &turn);
}

/* input thread: its byte is queued */
static void handBack(void) {
  holding = 0;
  pthread_mutex_unlock(&turn);
  pthread_cond_signal(&handedBack);
}

int select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds, struct timeval *timeout) {
  static int (*next)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
  if (next == NULL) next = (int (*)(int, fd_set *, fd_set *, fd_set *, struct timeval *))dlsym(RTLD_NEXT, "select");
  if (!onMainThread()) {
    if (holding && nfds == 0) handBack(); /* its sleep */
    int r = next(nfds, readfds, writefds, exceptfds, timeout);
    /* kbhit(): while more input is there, the thread keeps its turn and queues it too */
    if (holding && !(r > 0 && readfds != NULL && FD_ISSET(STDIN_FILENO, readfds))) handBack();
    return r;
  }
  if (nfds != 0 || !holding) return next(nfds, readfds, writefds, exceptfds, timeout);
  pthread_mutex_unlock(&turn);
  int r = next(nfds, readfds, writefds, exceptfds, timeout);
  pthread_mutex_lock(&turn);
  return r;
}

int gettimeofday(struct timeval *tv, void *tz) {
  static int (*next)(struct timeval *, void *);
  if (next == NULL) next = (int (*)(struct timeval *, void *))dlsym(RTLD_NEXT, "gettimeofday");
  if (holding && onMainThread()) letInputIn();
  return next(tv, tz);
}

ssize_t read(int fd, void *buf, size_t count) {
  static ssize_t (*next)(int, void *, size_t);
  if (next == NULL) next = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
  if (fd == STDIN_FILENO && !holding && !onMainThread()) {
    __atomic_store_n(&waiting, 1, __ATOMIC_RELEASE);
    pthread_mutex_lock(&turn);
    __atomic_store_n(&waiting, 0, __ATOMIC_RELEASE);
    holding = 1;
  }
  return next(fd, buf, count);
}
