/* Runs one generated network on the emulated board.
 *
 * For k = 0, 1, ...: reads input_k.bin (raw int8, the network's input size)
 * through semihosting straight into the network's input buffer in the arena,
 * runs NET_INVOKE(), writes output_k.bin; stops at the first missing input.
 * Then prints the stack high-water mark (the stack region is painted first,
 * the untouched bytes counted afterwards) and the number of inputs run.
 *
 * harness_model.h (written by the test driver) includes the network's
 * header and defines NET_INPUT, NET_OUTPUT, NET_INVOKE, NET_CHECK,
 * NET_LAYER_NAME, NET_INPUT_SIZE and NET_OUTPUT_SIZE (bytes). NET_CHECK() runs first:
 * a library that needs more buffer than the plan gives stops the run.
 *
 * A network compiled with --stream-input declares NAME_read_input_rows instead
 * of NAME_input(); harness_model.h then also defines NET_STREAM_SHAPE (the
 * streamed input's NHWC shape, a brace list) and NET_READ_INPUT_ROWS (the
 * callback's name). input_k.bin is then read into net_streamed_input, a
 * buffer outside the arena standing for the camera or sensor, and the
 * callback defined here serves rows of it (docs/patching.md "--stream-input").
 *
 * Each NET_INVOKE() call stands between the hints `dbg #1` and `dbg #2`,
 * no-ops on the core and on QEMU that compilers never emit: the instruction
 * counting plugin (plugin/icount.c) counts what runs between them. */
#include <stddef.h>
#include <stdint.h>

#include "harness_model.h"
#include "semihost.h"

#define STACK_PAINT 0xC5u
#define COUNT_BEGIN() __asm__ volatile("dbg #1" ::: "memory")
#define COUNT_END() __asm__ volatile("dbg #2" ::: "memory")

extern uint8_t __stack_bottom__, __stack_top__;

static void print_number(const char *label, uint32_t value)
{
    char text[64];
    char digits[12];
    size_t n = 0, d = 0;
    while (label[n] != '\0' && n < 40) {
        text[n] = label[n];
        n++;
    }
    do {
        digits[d++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0u);
    while (d > 0) {
        text[n++] = digits[--d];
    }
    text[n++] = '\n';
    text[n] = '\0';
    semihost_print(text);
}

/* Paint the unused stack below this frame; never inlined, so its own frame is gone afterwards. */
__attribute__((noinline)) static void paint_stack(void)
{
    volatile uint8_t *p = &__stack_bottom__;
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    const uintptr_t limit = sp - 256u;
    while ((uintptr_t)p < limit) {
        *p++ = STACK_PAINT;
    }
}

static uint32_t stack_high_water(void)
{
    const uint8_t *p = &__stack_bottom__;
    while (p < &__stack_top__ && *p == STACK_PAINT) {
        p++;
    }
    return (uint32_t)(&__stack_top__ - p);
}

#ifdef NET_READ_INPUT_ROWS
static int8_t net_streamed_input[NET_INPUT_SIZE];
static const int32_t net_stream_shape[] = NET_STREAM_SHAPE;

/* Rows [first_row, first_row + rows) of the streamed input (NHWC, shape[2] * shape[3] bytes a row) to dst;
 * 1 (no copy) when the range is not within the input's shape[1] rows. */
int NET_READ_INPUT_ROWS(int first_row, int rows, int8_t *dst)
{
    const int32_t height = net_stream_shape[1];
    const size_t row_bytes = (size_t)net_stream_shape[2] * (size_t)net_stream_shape[3];
    if (dst == NULL || first_row < 0 || rows < 0 || first_row > height || rows > height - first_row) {
        return 1;
    }
    const int8_t *src = net_streamed_input + (size_t)first_row * row_bytes;
    for (size_t i = 0; i < (size_t)rows * row_bytes; i++) {
        dst[i] = src[i];
    }
    return 0;
}
#define NET_INPUT_BUFFER() ((void *)net_streamed_input)
#else
#define NET_INPUT_BUFFER() ((void *)NET_INPUT())
#endif

static int run_one(uint32_t index)
{
    char name[] = "input_000.bin";
    name[6] = (char)('0' + (index / 100u) % 10u);
    name[7] = (char)('0' + (index / 10u) % 10u);
    name[8] = (char)('0' + index % 10u);
    int32_t handle = semihost_open(name, SH_MODE_READ_BINARY);
    if (handle < 0) {
        return 1; /* no more inputs */
    }
    size_t got = semihost_read(handle, NET_INPUT_BUFFER(), NET_INPUT_SIZE);
    semihost_close(handle);
    if (got != NET_INPUT_SIZE) {
        semihost_print("error: short input file\n");
        return -1;
    }
    COUNT_BEGIN();
    int status = NET_INVOKE();
    COUNT_END();
    if (status != 0) {
        print_number("error: invoke failed with CMSIS-NN status -", (uint32_t)(-status));
        return -1;
    }
    name[0] = 'o', name[1] = 'u', name[2] = 't', name[3] = 'p', name[4] = 'u';
    char out_name[] = "output_000.bin";
    for (size_t i = 0; i < 3; i++) {
        out_name[7 + i] = name[6 + i];
    }
    handle = semihost_open(out_name, SH_MODE_WRITE_BINARY);
    if (handle < 0 || semihost_write(handle, NET_OUTPUT(), NET_OUTPUT_SIZE) != NET_OUTPUT_SIZE) {
        semihost_print("error: cannot write the output file\n");
        return -1;
    }
    semihost_close(handle);
    return 0;
}

int main(void)
{
    paint_stack();
    const int check = NET_CHECK();
    print_number("check=", (uint32_t)check);
    if (check != 0) {
        semihost_print("error: the linked CMSIS-NN needs more buffer than the plan gives layer ");
        semihost_print(NET_LAYER_NAME(check));
        semihost_print("\n");
        return 3;
    }
    uint32_t count = 0;
    for (;;) {
        int result = run_one(count);
        if (result < 0) {
            return 2;
        }
        if (result > 0) {
            break;
        }
        count++;
    }
    print_number("stack_high_water_bytes=", stack_high_water());
    print_number("inputs_run=", count);
    return count > 0 ? 0 : 1;
}
