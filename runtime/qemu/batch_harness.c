/* Runs many generated networks, one after another, in one program.
 *
 * For network k of batch_nets (batch_harness.h): prints `check=k C` with
 * what NAME_check() returns (its `scratch=` reports come before it), reads
 * in_k.bin (every input, concatenated, raw int8) into the network's input
 * buffers, runs NAME_invoke(), prints `status=k S` with what it returns, and
 * on success writes out_k.bin (every output, concatenated). A network whose
 * check fails is not run; a file that cannot be read or written prints
 * `io=k E` (E < 0). Ends with `done=N`, the networks that ran and wrote
 * their outputs.
 *
 * File and console I/O go through semihost.h: semihosting on the emulated
 * boards (semihost.c, started by startup.c), standard C on the host
 * (semihost_host.c). */
#include <stddef.h>
#include <stdint.h>

#include "batch_harness.h"
#include "semihost.h"

static uint32_t current_net;

static size_t append_text(char *line, size_t n, const char *text)
{
    while (*text != '\0' && n < 94u) {
        line[n++] = *text++;
    }
    return n;
}

static size_t append_number(char *line, size_t n, int64_t value)
{
    char digits[24];
    size_t d = 0;
    uint64_t magnitude = value < 0 ? (uint64_t)(-(value + 1)) + 1u : (uint64_t)value;
    if (value < 0 && n < 94u) {
        line[n++] = '-';
    }
    do {
        digits[d++] = (char)('0' + (int)(magnitude % 10u));
        magnitude /= 10u;
    } while (magnitude != 0u);
    while (d > 0 && n < 94u) {
        line[n++] = digits[--d];
    }
    return n;
}

/* Prints `label` and the first `count` of a, b, c, d, separated by spaces. */
static void print_line(const char *label, int64_t a, int64_t b, int64_t c, int64_t d, int count)
{
    char line[100];
    const int64_t values[4] = {a, b, c, d};
    size_t n = append_text(line, 0, label);
    for (int i = 0; i < count; i++) {
        if (i > 0) {
            n = append_text(line, n, " ");
        }
        n = append_number(line, n, values[i]);
    }
    line[n++] = '\n';
    line[n] = '\0';
    semihost_print(line);
}

void batch_scratch_report(int call, int32_t needed, int32_t planned)
{
    print_line("scratch=", (int64_t)current_net, call, needed, planned, 4);
}

static int trace_depth;

int batch_trace_enter(const char *function)
{
    char line[100];
    size_t n = append_text(line, 0, "call=");
    n = append_number(line, n, (int64_t)current_net);
    n = append_text(line, n, " ");
    n = append_number(line, n, trace_depth);
    n = append_text(line, n, " ");
    n = append_text(line, n, function);
    line[n++] = '\n';
    line[n] = '\0';
    semihost_print(line);
    return trace_depth++;
}

void batch_trace_leave(void)
{
    trace_depth--;
}

static void file_name(char *name, const char *prefix, uint32_t index)
{
    size_t n = append_text(name, 0, prefix);
    n = append_number(name, n, (int64_t)index);
    n = append_text(name, n, ".bin");
    name[n] = '\0';
}

/* Reads network `index`'s inputs from in_INDEX.bin, or (`write`) writes its outputs to out_INDEX.bin:
 * 0, or -1 / -3 when the file cannot be opened, -2 / -4 when it is short. */
static int transfer(const batch_net *net, uint32_t index, int write)
{
    char name[32];
    file_name(name, write ? "out_" : "in_", index);
    const int32_t handle = semihost_open(name, write ? SH_MODE_WRITE_BINARY : SH_MODE_READ_BINARY);
    if (handle < 0) {
        return write ? -3 : -1;
    }
    const uint32_t count = write ? net->num_outputs : net->num_inputs;
    const batch_buffer_fn *buffers = write ? net->outputs : net->inputs;
    const uint32_t *sizes = write ? net->output_sizes : net->input_sizes;
    int result = 0;
    for (uint32_t i = 0; i < count && result == 0; i++) {
        const size_t done = write ? semihost_write(handle, buffers[i](), sizes[i])
                                  : semihost_read(handle, buffers[i](), sizes[i]);
        if (done != sizes[i]) {
            result = write ? -4 : -2;
        }
    }
    semihost_close(handle);
    return result;
}

int main(void)
{
    int64_t passed = 0;
    for (current_net = 0; current_net < batch_net_count; current_net++) {
        const batch_net *net = &batch_nets[current_net];
        const int check = net->check();
        print_line("check=", (int64_t)current_net, check, 0, 0, 2);
        if (check != 0) {
            continue;
        }
        int io = transfer(net, current_net, 0);
        if (io != 0) {
            print_line("io=", (int64_t)current_net, io, 0, 0, 2);
            continue;
        }
        const int status = net->invoke();
        print_line("status=", (int64_t)current_net, status, 0, 0, 2);
        if (status != 0) {
            continue;
        }
        io = transfer(net, current_net, 1);
        if (io != 0) {
            print_line("io=", (int64_t)current_net, io, 0, 0, 2);
            continue;
        }
        passed++;
    }
    print_line("done=", passed, 0, 0, 0, 1);
    return 0;
}
