/*
 * LD_PRELOAD library for the Linux Espruino build: serves its Storage file from memory.
 *
 * targets/linux/jshardware.c emulates flash with the file "espruino.flash": every jshFlashRead and
 * jshFlashWrite opens it (fopen "r+b"), seeks, reads or writes, and closes it. Code that runs from
 * Storage is a flash string read 16 bytes at a time (src/jsvariterator.h
 * ESPR_JSVAR_FLASH_BUFFER_SIZE), so one boot of the firmware opens the file about a million times.
 * An ESP32 memory-maps its Storage partition and pays nothing of the kind. Here the file is mapped
 * once (MAP_SHARED: every write lands in the file at once, a killed process loses nothing written)
 * and each fopen of it becomes an fmemopen over the mapping; the interpreter is unchanged.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* FAKE_FLASH_FILENAME in targets/linux/jshardware.c, opened relative to the working directory */
#define FLASH_FILE "espruino.flash"

static char *flash;
static size_t flashLength;

static void mapFlash(void) {
  int fd = open(FLASH_FILE, O_RDWR);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m != MAP_FAILED) {
      flash = m;
      flashLength = (size_t)st.st_size;
    }
  }
  if (fd >= 0) close(fd);
}

FILE *fopen(const char *path, const char *mode) {
  static FILE *(*next)(const char *, const char *);
  if (next == NULL) next = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");
  /* only an existing file is mapped; creating it ("wb") stays with the C library */
  if (strcmp(path, FLASH_FILE) == 0 && mode[0] == 'r') {
    if (flash == NULL) mapFlash();
    if (flash != NULL) return fmemopen(flash, flashLength, "r+");
  }
  return next(path, mode);
}
