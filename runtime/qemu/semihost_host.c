/* The semihosting calls of semihost.h on a host: standard C files and
 * stdout, so the batch harness runs unchanged as a host program (linked with
 * CMSIS-NN built for the host) beside its QEMU builds. */
#include <stdio.h>
#include <stdlib.h>

#include "semihost.h"

#define MAX_FILES 8

static FILE *files[MAX_FILES];

int32_t semihost_open(const char *path, int32_t mode)
{
    for (int32_t handle = 0; handle < MAX_FILES; handle++) {
        if (files[handle] == NULL) {
            files[handle] = fopen(path, mode == SH_MODE_WRITE_BINARY ? "wb" : "rb");
            return files[handle] != NULL ? handle : -1;
        }
    }
    return -1;
}

void semihost_close(int32_t handle)
{
    if (handle >= 0 && handle < MAX_FILES && files[handle] != NULL) {
        (void)fclose(files[handle]);
        files[handle] = NULL;
    }
}

size_t semihost_read(int32_t handle, void *buffer, size_t length)
{
    return handle >= 0 && handle < MAX_FILES && files[handle] != NULL ? fread(buffer, 1, length, files[handle]) : 0;
}

size_t semihost_write(int32_t handle, const void *buffer, size_t length)
{
    return handle >= 0 && handle < MAX_FILES && files[handle] != NULL ? fwrite(buffer, 1, length, files[handle]) : 0;
}

void semihost_print(const char *text)
{
    (void)fputs(text, stdout);
}

void semihost_exit(int32_t status)
{
    (void)fflush(stdout);
    exit((int)status);
}
