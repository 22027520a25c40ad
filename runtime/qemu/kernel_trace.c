/* Which CMSIS-NN functions really run: a `__wrap_` function for each traced
 * kernel, for a link with `-Wl,--wrap=FUNCTION` (GNU ld), which sends every
 * call made from another object file (the generated code's calls, and a
 * wrapper's calls into the kernels it dispatches to) through it. Each one
 * reports the call (batch_trace_enter), then calls the library's function
 * (`__real_`). Calls inside one source file of the library (to its static
 * functions) are not seen. cmsis_opt.netbatch reads the TRACED lines for the
 * list of functions to wrap. */
#include "arm_nnfunctions.h"
#include "batch_harness.h"

/* Declares __real_FUNCTION and defines __wrap_FUNCTION with the parameter list PARAMS, passing ARGS. */
#define TRACED(function, params, args)                                   \
    arm_cmsis_nn_status __real_##function params;                        \
    arm_cmsis_nn_status __wrap_##function params;                        \
    arm_cmsis_nn_status __wrap_##function params                         \
    {                                                                    \
        (void)batch_trace_enter(#function);                              \
        const arm_cmsis_nn_status status = __real_##function args;       \
        batch_trace_leave();                                             \
        return status;                                                   \
    }

#define CONV_PARAMS(params_type, quant_type)                                                                \
    (const cmsis_nn_context *ctx, const params_type *params, const quant_type *quant,                     \
     const cmsis_nn_dims *input_dims, const int8_t *input, const cmsis_nn_dims *filter_dims,              \
     const int8_t *filter, const cmsis_nn_dims *bias_dims, const int32_t *bias, const cmsis_nn_dims *output_dims, \
     int8_t *output)
#define CONV_ARGS (ctx, params, quant, input_dims, input, filter_dims, filter, bias_dims, bias, output_dims, output)
#define PER_CHANNEL(params_type) CONV_PARAMS(params_type, cmsis_nn_per_channel_quant_params)

TRACED(arm_convolve_wrapper_s8, PER_CHANNEL(cmsis_nn_conv_params), CONV_ARGS)
TRACED(arm_convolve_1x1_s8_fast, PER_CHANNEL(cmsis_nn_conv_params), CONV_ARGS)
TRACED(arm_convolve_1x1_s8, PER_CHANNEL(cmsis_nn_conv_params), CONV_ARGS)
TRACED(arm_convolve_1_x_n_s8, PER_CHANNEL(cmsis_nn_conv_params), CONV_ARGS)
TRACED(arm_depthwise_conv_wrapper_s8, PER_CHANNEL(cmsis_nn_dw_conv_params), CONV_ARGS)
TRACED(arm_depthwise_conv_3x3_s8, PER_CHANNEL(cmsis_nn_dw_conv_params), CONV_ARGS)
TRACED(arm_depthwise_conv_s8_opt, PER_CHANNEL(cmsis_nn_dw_conv_params), CONV_ARGS)
TRACED(arm_depthwise_conv_s8, PER_CHANNEL(cmsis_nn_dw_conv_params), CONV_ARGS)
TRACED(arm_fully_connected_s8, CONV_PARAMS(cmsis_nn_fc_params, cmsis_nn_per_tensor_quant_params), CONV_ARGS)

TRACED(arm_convolve_s8,
       (const cmsis_nn_context *ctx, const cmsis_nn_conv_params *params,
        const cmsis_nn_per_channel_quant_params *quant, const cmsis_nn_dims *input_dims, const int8_t *input,
        const cmsis_nn_dims *filter_dims, const int8_t *filter, const cmsis_nn_dims *bias_dims, const int32_t *bias,
        const cmsis_nn_dims *upscale_dims, const cmsis_nn_dims *output_dims, int8_t *output),
       (ctx, params, quant, input_dims, input, filter_dims, filter, bias_dims, bias, upscale_dims, output_dims, output))

TRACED(arm_transpose_s8,
       (const int8_t *input, int8_t *const output, const cmsis_nn_dims *const input_dims,
        const cmsis_nn_dims *const output_dims, const cmsis_nn_transpose_params *const transpose_params),
       (input, output, input_dims, output_dims, transpose_params))

TRACED(arm_avgpool_s8,
       (const cmsis_nn_context *ctx, const cmsis_nn_pool_params *params, const cmsis_nn_dims *input_dims,
        const int8_t *input, const cmsis_nn_dims *filter_dims, const cmsis_nn_dims *output_dims, int8_t *output),
       (ctx, params, input_dims, input, filter_dims, output_dims, output))
