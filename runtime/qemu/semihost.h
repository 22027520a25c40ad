/* Arm semihosting: file and console I/O through the debugger (here QEMU's
 * -semihosting), for the emulated test runs. Calls are `bkpt 0xAB` with the
 * operation in r0 and a pointer to its arguments in r1 (semihost.c). A host
 * build of the same harness gets these functions from semihost_host.c
 * (standard C files and stdout) instead. */
#ifndef SEMIHOST_H
#define SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

enum {
    SH_SYS_OPEN = 0x01,
    SH_SYS_CLOSE = 0x02,
    SH_SYS_WRITE0 = 0x04,
    SH_SYS_WRITE = 0x05,
    SH_SYS_READ = 0x06,
    SH_SYS_EXIT_EXTENDED = 0x20
};

enum { SH_MODE_READ_BINARY = 1, SH_MODE_WRITE_BINARY = 5 };

#if defined(__arm__)
static inline int32_t semihost_call(int32_t operation, const void *arguments)
{
    register int32_t r0 __asm__("r0") = operation;
    register const void *r1 __asm__("r1") = arguments;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}
#endif

/* A handle (>= 0), or -1 when the file cannot be opened. */
int32_t semihost_open(const char *path, int32_t mode);
void semihost_close(int32_t handle);
/* Bytes transferred. */
size_t semihost_read(int32_t handle, void *buffer, size_t length);
size_t semihost_write(int32_t handle, const void *buffer, size_t length);
void semihost_print(const char *text);
void semihost_exit(int32_t status) __attribute__((noreturn));

#endif
