// npm run bench's slow disk: preloaded (LD_PRELOAD) into a receiver, it makes every flush to disk take
// SLOW_FLUSH_US microseconds more, one flush at a time, as a disk whose cache flush is slow would: after
// fdatasync(2) and fsync(2), and after a write to a file opened with O_DSYNC (how serve's store writes).
// Only the wait is added; the flush itself is the real one, so nothing is less durable than without it.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

static pthread_mutex_t one_at_a_time = PTHREAD_MUTEX_INITIALIZER;

static void slow_flush(void) {
  static long delay = -1;
  if (delay < 0) {
    const char *value = getenv("SLOW_FLUSH_US");
    delay = value ? atol(value) : 0;
  }
  if (delay <= 0) return;
  pthread_mutex_lock(&one_at_a_time);
  usleep(delay);
  pthread_mutex_unlock(&one_at_a_time);
}

static int writes_through(int fd) {
  int flags = fcntl(fd, F_GETFL);
  return flags != -1 && (flags & O_DSYNC) == O_DSYNC;
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = dlsym(RTLD_NEXT, "fdatasync");
  int result = real(fd);
  slow_flush();
  return result;
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = dlsym(RTLD_NEXT, "fsync");
  int result = real(fd);
  slow_flush();
  return result;
}

ssize_t writev(int fd, const struct iovec *iov, int count) {
  static ssize_t (*real)(int, const struct iovec *, int);
  if (!real) real = dlsym(RTLD_NEXT, "writev");
  ssize_t result = real(fd, iov, count);
  if (result > 0 && writes_through(fd)) slow_flush();
  return result;
}

ssize_t write(int fd, const void *bytes, size_t count) {
  static ssize_t (*real)(int, const void *, size_t);
  if (!real) real = dlsym(RTLD_NEXT, "write");
  ssize_t result = real(fd, bytes, count);
  if (result > 0 && writes_through(fd)) slow_flush();
  return result;
}
