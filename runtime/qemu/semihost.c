#include "semihost.h"

static size_t length_of(const char *text)
{
    size_t n = 0;
    while (text[n] != '\0') {
        n++;
    }
    return n;
}

int32_t semihost_open(const char *path, int32_t mode)
{
    const uint32_t arguments[3] = {(uint32_t)(uintptr_t)path, (uint32_t)mode, (uint32_t)length_of(path)};
    return semihost_call(SH_SYS_OPEN, arguments);
}

void semihost_close(int32_t handle)
{
    const uint32_t arguments[1] = {(uint32_t)handle};
    (void)semihost_call(SH_SYS_CLOSE, arguments);
}

size_t semihost_read(int32_t handle, void *buffer, size_t length)
{
    const uint32_t arguments[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buffer, (uint32_t)length};
    const int32_t not_read = semihost_call(SH_SYS_READ, arguments);
    return length - (size_t)not_read;
}

size_t semihost_write(int32_t handle, const void *buffer, size_t length)
{
    const uint32_t arguments[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buffer, (uint32_t)length};
    const int32_t not_written = semihost_call(SH_SYS_WRITE, arguments);
    return length - (size_t)not_written;
}

void semihost_print(const char *text)
{
    (void)semihost_call(SH_SYS_WRITE0, text);
}

void semihost_exit(int32_t status)
{
    /* ADP_Stopped_ApplicationExit with the exit status */
    const uint32_t arguments[2] = {0x20026u, (uint32_t)status};
    for (;;) {
        (void)semihost_call(SH_SYS_EXIT_EXTENDED, arguments);
    }
}
