/* The batch harness (batch_harness.c): many generated networks in one
 * program, on an emulated board or the host.
 *
 * The test driver writes batch_nets.c, which includes every network's header
 * and defines the table below, one entry per network, in the order their
 * input files are numbered. Every network's C is compiled with
 * `-include batch_harness.h` and
 * `-DCMSIS_OPT_SCRATCH_REPORT(call,needed,planned)=batch_scratch_report(call,needed,planned)`,
 * so its NAME_check() reports, for every kernel call that has a
 * `*_get_buffer_size`, what the linked library needs and what the plan gives. */
#ifndef BATCH_HARNESS_H
#define BATCH_HARNESS_H

#include <stdint.h>

typedef int8_t *(*batch_buffer_fn)(void);

typedef struct {
    int (*check)(void);
    int (*invoke)(void);
    uint32_t num_inputs;
    const batch_buffer_fn *inputs;
    const uint32_t *input_sizes;
    uint32_t num_outputs;
    const batch_buffer_fn *outputs;
    const uint32_t *output_sizes;
} batch_net;

extern const batch_net batch_nets[];
extern const uint32_t batch_net_count;

/* Prints `scratch=NET CALL NEEDED PLANNED` for the network being checked. */
void batch_scratch_report(int call, int32_t needed, int32_t planned);

/* Kernel call tracing (kernel_trace.c, linked with -Wl,--wrap=FUNCTION for
 * each traced CMSIS-NN function): `call=NET DEPTH FUNCTION` for every call,
 * DEPTH 0 for the generated code's own calls, 1 for what a wrapper calls. */
int batch_trace_enter(const char *function);
void batch_trace_leave(void);

#endif
