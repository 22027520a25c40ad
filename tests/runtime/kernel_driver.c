/*
 * Test driver for the runtime: runs one CMSIS-NN call per case read from stdin
 * and prints the status and the output bytes, one line per case.
 *
 * A case is whitespace-separated integers after the kernel name:
 *   <kernel> <kernel parameters...> <arena>
 * where <arena> is: size, size initial bytes, the byte position of each input
 * in the arena, the output position and the number of output bytes to print.
 * Inputs and output live in that one arena, so a case can make the output
 * overlap an input exactly as a memory plan would. Scratch memory is
 * allocated with the size the kernel's *_get_buffer_size answers (NULL when
 * 0), or forced to NULL when the case asks, so the sanitizers see any access
 * beyond it. Output line: "<status> <byte> <byte> ...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm_nnfunctions.h"

static int32_t next_int(void)
{
    long value;
    if (scanf("%ld", &value) != 1)
    {
        fprintf(stderr, "kernel_driver: truncated case\n");
        exit(2);
    }
    return (int32_t)value;
}

/* count integers into a fresh array (freed by the caller). */
static int32_t *read_i32(int32_t count)
{
    int32_t *values = malloc(sizeof(int32_t) * (size_t)(count > 0 ? count : 1));
    for (int32_t i = 0; i < count; i++)
    {
        values[i] = next_int();
    }
    return values;
}

static int8_t *read_i8(int32_t count)
{
    int8_t *values = malloc((size_t)(count > 0 ? count : 1));
    for (int32_t i = 0; i < count; i++)
    {
        values[i] = (int8_t)next_int();
    }
    return values;
}

static cmsis_nn_dims read_dims(void)
{
    cmsis_nn_dims d;
    d.n = next_int();
    d.h = next_int();
    d.w = next_int();
    d.c = next_int();
    return d;
}

typedef struct
{
    int8_t *bytes;
    int32_t inputs[2];
    int32_t output;
    int32_t output_len;
} arena_t;

/* Reads the arena: its bytes, then `inputs` input positions, the output position and length. */
static arena_t read_arena(int inputs)
{
    arena_t a;
    const int32_t size = next_int();
    a.bytes = read_i8(size);
    for (int i = 0; i < inputs; i++)
    {
        a.inputs[i] = next_int();
    }
    a.output = next_int();
    a.output_len = next_int();
    return a;
}

static void finish(arena_t *a, int status)
{
    printf("%d", status);
    for (int32_t i = 0; i < a->output_len; i++)
    {
        printf(" %d", a->bytes[a->output + i]);
    }
    printf("\n");
    free(a->bytes);
}

/* Scratch of `size` bytes (NULL when 0 or when forced). */
static cmsis_nn_context make_ctx(int32_t size, int force_null)
{
    cmsis_nn_context ctx;
    ctx.size = force_null ? 0 : size;
    ctx.buf = (force_null || size <= 0) ? NULL : malloc((size_t)size);
    return ctx;
}

typedef enum
{
    CONV_WRAPPER,
    CONV_S8,
    CONV_1X1_FAST,
    CONV_1X1,
    CONV_1_X_N,
    DW_WRAPPER,
    DW_S8,
    DW_OPT,
    DW_3X3
} conv_kind;

/*
 * Conv-like case: input_offset output_offset ch_mult stride_w stride_h pad_w pad_h dil_w dil_h act_min act_max
 * force_null_scratch, dims input filter output, upscale_w upscale_h (0: NULL), has_bias,
 * multiplier[oc] shift[oc] filter[...] bias[oc]?, arena (one input).
 */
static void run_conv(conv_kind kind)
{
    cmsis_nn_conv_params cp;
    cmsis_nn_dw_conv_params dp;
    cp.input_offset = dp.input_offset = next_int();
    cp.output_offset = dp.output_offset = next_int();
    dp.ch_mult = next_int();
    cp.stride.w = dp.stride.w = next_int();
    cp.stride.h = dp.stride.h = next_int();
    cp.padding.w = dp.padding.w = next_int();
    cp.padding.h = dp.padding.h = next_int();
    cp.dilation.w = dp.dilation.w = next_int();
    cp.dilation.h = dp.dilation.h = next_int();
    cp.activation.min = dp.activation.min = next_int();
    cp.activation.max = dp.activation.max = next_int();
    const int force_null = next_int();
    cmsis_nn_dims in = read_dims(), filter = read_dims(), out = read_dims();
    cmsis_nn_dims upscale;
    upscale.n = 1;
    upscale.c = 1;
    upscale.w = next_int();
    upscale.h = next_int();
    const int has_bias = next_int();
    const int32_t oc = out.c;
    int32_t *mult = read_i32(oc), *shift = read_i32(oc);
    int8_t *weights = read_i8(filter.n * filter.h * filter.w * filter.c);
    int32_t *bias = has_bias ? read_i32(oc) : NULL;
    cmsis_nn_dims bias_dims = {1, 1, 1, oc};
    cmsis_nn_per_channel_quant_params quant = {mult, shift};
    arena_t a = read_arena(1);
    const int8_t *input = a.bytes + a.inputs[0];
    int8_t *output = a.bytes + a.output;

    int32_t size = 0;
    switch (kind)
    {
    case CONV_WRAPPER: size = arm_convolve_wrapper_s8_get_buffer_size(&cp, &in, &filter, &out); break;
    case CONV_S8: size = arm_convolve_s8_get_buffer_size(&in, &filter); break;
    case CONV_1X1_FAST: size = arm_convolve_1x1_s8_fast_get_buffer_size(&in); break;
    case CONV_1X1: size = 0; break;
    case CONV_1_X_N: size = arm_convolve_1_x_n_s8_get_buffer_size(&cp, &in, &filter, &out); break;
    case DW_WRAPPER: size = arm_depthwise_conv_wrapper_s8_get_buffer_size(&dp, &in, &filter, &out); break;
    case DW_OPT: size = arm_depthwise_conv_s8_opt_get_buffer_size(&in, &filter); break;
    case DW_S8:
    case DW_3X3: size = 0; break;
    }
    cmsis_nn_context ctx = make_ctx(size, force_null);
    arm_cmsis_nn_status status = ARM_CMSIS_NN_FAILURE;
    switch (kind)
    {
    case CONV_WRAPPER:
        status = arm_convolve_wrapper_s8(&ctx, &cp, &quant, &in, input, &filter, weights, &bias_dims, bias, &out, output);
        break;
    case CONV_S8:
        status = arm_convolve_s8(&ctx, &cp, &quant, &in, input, &filter, weights, &bias_dims, bias,
                                 upscale.w ? &upscale : NULL, &out, output);
        break;
    case CONV_1X1_FAST:
        status = arm_convolve_1x1_s8_fast(&ctx, &cp, &quant, &in, input, &filter, weights, &bias_dims, bias, &out, output);
        break;
    case CONV_1X1:
        status = arm_convolve_1x1_s8(&ctx, &cp, &quant, &in, input, &filter, weights, &bias_dims, bias, &out, output);
        break;
    case CONV_1_X_N:
        status = arm_convolve_1_x_n_s8(&ctx, &cp, &quant, &in, input, &filter, weights, &bias_dims, bias, &out, output);
        break;
    case DW_WRAPPER:
        status = arm_depthwise_conv_wrapper_s8(&ctx, &dp, &quant, &in, input, &filter, weights, &bias_dims, bias, &out,
                                               output);
        break;
    case DW_S8:
        status = arm_depthwise_conv_s8(&ctx, &dp, &quant, &in, input, &filter, weights, &bias_dims, bias, &out, output);
        break;
    case DW_OPT:
        status = arm_depthwise_conv_s8_opt(&ctx, &dp, &quant, &in, input, &filter, weights, &bias_dims, bias, &out,
                                           output);
        break;
    case DW_3X3:
        status = arm_depthwise_conv_3x3_s8(&ctx, &dp, &quant, &in, input, &filter, weights, &bias_dims, bias, &out,
                                           output);
        break;
    }
    finish(&a, status);
    free(ctx.buf);
    free(mult);
    free(shift);
    free(weights);
    free(bias);
}

/* input_offset filter_offset output_offset act_min act_max multiplier shift batches depth rows has_bias
 * filter[rows*depth] bias[rows]?, arena. */
static void run_fully_connected(void)
{
    cmsis_nn_fc_params p;
    p.input_offset = next_int();
    p.filter_offset = next_int();
    p.output_offset = next_int();
    p.activation.min = next_int();
    p.activation.max = next_int();
    cmsis_nn_per_tensor_quant_params quant;
    quant.multiplier = next_int();
    quant.shift = next_int();
    const int32_t batches = next_int(), depth = next_int(), rows = next_int();
    const int has_bias = next_int();
    int8_t *weights = read_i8(rows * depth);
    int32_t *bias = has_bias ? read_i32(rows) : NULL;
    cmsis_nn_dims in = {batches, 1, 1, depth}, filter = {depth, 1, 1, rows}, bias_dims = {1, 1, 1, rows},
                  out = {batches, 1, 1, rows};
    arena_t a = read_arena(1);
    cmsis_nn_context ctx = make_ctx(arm_fully_connected_s8_get_buffer_size(&filter), 0);
    const arm_cmsis_nn_status status = arm_fully_connected_s8(&ctx, &p, &quant, &in, a.bytes + a.inputs[0], &filter,
                                                              weights, &bias_dims, bias, &out, a.bytes + a.output);
    finish(&a, status);
    free(ctx.buf);
    free(weights);
    free(bias);
}

/* cols rows lhs_offset rhs_offset has_bias data[rows*cols] bias[rows]? -> "status sum0 sum1 ..." */
static void run_vector_sum(void)
{
    const int32_t cols = next_int(), rows = next_int(), lhs_offset = next_int(), rhs_offset = next_int();
    const int has_bias = next_int();
    int8_t *data = read_i8(rows * cols);
    int32_t *bias = has_bias ? read_i32(rows) : NULL;
    int32_t *sums = malloc(sizeof(int32_t) * (size_t)(rows > 0 ? rows : 1));
    const arm_cmsis_nn_status status = arm_vector_sum_s8(sums, cols, rows, data, lhs_offset, rhs_offset, bias);
    printf("%d", status);
    for (int32_t r = 0; r < rows; r++)
    {
        printf(" %d", sums[r]);
    }
    printf("\n");
    free(sums);
    free(data);
    free(bias);
}

/* stride_w stride_h pad_w pad_h act_min act_max, dims input, kernel_h kernel_w, dims output, arena. */
static void run_pool(int is_max)
{
    cmsis_nn_pool_params p;
    p.stride.w = next_int();
    p.stride.h = next_int();
    p.padding.w = next_int();
    p.padding.h = next_int();
    p.activation.min = next_int();
    p.activation.max = next_int();
    cmsis_nn_dims in = read_dims();
    cmsis_nn_dims filter = {1, 1, 1, 1};
    filter.h = next_int();
    filter.w = next_int();
    cmsis_nn_dims out = read_dims();
    arena_t a = read_arena(1);
    cmsis_nn_context ctx = make_ctx(is_max ? 0 : arm_avgpool_s8_get_buffer_size(out.w, in.c), 0);
    const arm_cmsis_nn_status status =
        is_max ? arm_max_pool_s8(&ctx, &p, &in, a.bytes + a.inputs[0], &filter, &out, a.bytes + a.output)
               : arm_avgpool_s8(&ctx, &p, &in, a.bytes + a.inputs[0], &filter, &out, a.bytes + a.output);
    finish(&a, status);
    free(ctx.buf);
}

/* rows row_size mult shift diff_min, arena. */
static void run_softmax(void)
{
    const int32_t rows = next_int(), row_size = next_int(), mult = next_int(), shift = next_int(),
                  diff_min = next_int();
    arena_t a = read_arena(1);
    arm_softmax_s8(a.bytes + a.inputs[0], rows, row_size, mult, shift, diff_min, a.bytes + a.output);
    finish(&a, 0);
}

/* add: 12 parameters in call order then size; mul: 7 then size; arena with two inputs. */
static void run_elementwise(int is_add)
{
    int32_t v[12];
    const int n = is_add ? 12 : 7;
    for (int i = 0; i < n; i++)
    {
        v[i] = next_int();
    }
    const int32_t size = next_int();
    arena_t a = read_arena(2);
    const int8_t *x = a.bytes + a.inputs[0], *y = a.bytes + a.inputs[1];
    int8_t *out = a.bytes + a.output;
    const arm_cmsis_nn_status status =
        is_add ? arm_elementwise_add_s8(x, y, v[0], v[1], v[2], v[3], v[4], v[5], v[6], out, v[7], v[8], v[9], v[10],
                                        v[11], size)
               : arm_elementwise_mul_s8(x, y, v[0], v[1], out, v[2], v[3], v[4], v[5], v[6], size);
    finish(&a, status);
}

/* pad_value, dims input, pre, post, arena. */
static void run_pad(void)
{
    const int8_t value = (int8_t)next_int();
    cmsis_nn_dims in = read_dims(), pre = read_dims(), post = read_dims();
    arena_t a = read_arena(1);
    const arm_cmsis_nn_status status = arm_pad_s8(a.bytes + a.inputs[0], a.bytes + a.output, value, &in, &pre, &post);
    finish(&a, status);
}

/* axis letter, input x y z w, output size along the axis (ignored for w), offset, arena (output position = start). */
static void run_concat(char axis)
{
    const uint16_t x = (uint16_t)next_int(), y = (uint16_t)next_int(), z = (uint16_t)next_int(),
                   w = (uint16_t)next_int(), out_dim = (uint16_t)next_int();
    const uint32_t offset = (uint32_t)next_int();
    arena_t a = read_arena(1);
    const int8_t *in = a.bytes + a.inputs[0];
    int8_t *out = a.bytes + a.output;
    switch (axis)
    {
    case 'x': arm_concatenation_s8_x(in, x, y, z, w, out, out_dim, offset); break;
    case 'y': arm_concatenation_s8_y(in, x, y, z, w, out, out_dim, offset); break;
    case 'z': arm_concatenation_s8_z(in, x, y, z, w, out, out_dim, offset); break;
    default: arm_concatenation_s8_w(in, x, y, z, w, out, offset); break;
    }
    finish(&a, 0);
}

/* conv_params, input, filter, output dims -> the three wrapper sizes; one line "C DSP MVE" (also for dw). */
static void run_sizes(int depthwise)
{
    cmsis_nn_conv_params cp;
    cmsis_nn_dw_conv_params dp;
    memset(&cp, 0, sizeof(cp));
    memset(&dp, 0, sizeof(dp));
    dp.ch_mult = next_int();
    cp.stride.w = dp.stride.w = next_int();
    cp.stride.h = dp.stride.h = next_int();
    cp.padding.w = dp.padding.w = next_int();
    cp.padding.h = dp.padding.h = next_int();
    cp.dilation.w = dp.dilation.w = next_int();
    cp.dilation.h = dp.dilation.h = next_int();
    cmsis_nn_dims in = read_dims(), filter = read_dims(), out = read_dims();
    if (depthwise)
    {
        printf("%d %d %d\n", arm_depthwise_conv_wrapper_s8_get_buffer_size(&dp, &in, &filter, &out),
               arm_depthwise_conv_wrapper_s8_get_buffer_size_dsp(&dp, &in, &filter, &out),
               arm_depthwise_conv_wrapper_s8_get_buffer_size_mve(&dp, &in, &filter, &out));
    }
    else
    {
        printf("%d %d %d\n", arm_convolve_wrapper_s8_get_buffer_size(&cp, &in, &filter, &out),
               arm_convolve_wrapper_s8_get_buffer_size_dsp(&cp, &in, &filter, &out),
               arm_convolve_wrapper_s8_get_buffer_size_mve(&cp, &in, &filter, &out));
    }
}

int main(void)
{
    static const struct
    {
        const char *name;
        conv_kind kind;
    } convs[] = {{"conv_wrapper", CONV_WRAPPER}, {"conv_s8", CONV_S8},   {"conv_1x1_fast", CONV_1X1_FAST},
                 {"conv_1x1", CONV_1X1},         {"conv_1_x_n", CONV_1_X_N}, {"dw_wrapper", DW_WRAPPER},
                 {"dw_s8", DW_S8},               {"dw_opt", DW_OPT},     {"dw_3x3", DW_3X3}};
    char name[64];
    while (scanf("%63s", name) == 1)
    {
        int done = 0;
        for (size_t i = 0; i < sizeof(convs) / sizeof(convs[0]); i++)
        {
            if (strcmp(name, convs[i].name) == 0)
            {
                run_conv(convs[i].kind);
                done = 1;
            }
        }
        if (done)
        {
        }
        else if (strcmp(name, "fully_connected") == 0)
            run_fully_connected();
        else if (strcmp(name, "vector_sum") == 0)
            run_vector_sum();
        else if (strcmp(name, "max_pool") == 0)
            run_pool(1);
        else if (strcmp(name, "avg_pool") == 0)
            run_pool(0);
        else if (strcmp(name, "softmax") == 0)
            run_softmax();
        else if (strcmp(name, "add") == 0)
            run_elementwise(1);
        else if (strcmp(name, "mul") == 0)
            run_elementwise(0);
        else if (strcmp(name, "pad") == 0)
            run_pad();
        else if (strncmp(name, "concat_", 7) == 0)
            run_concat(name[7]);
        else if (strcmp(name, "conv_sizes") == 0)
            run_sizes(0);
        else if (strcmp(name, "dw_sizes") == 0)
            run_sizes(1);
        else
        {
            fprintf(stderr, "kernel_driver: unknown kernel '%s'\n", name);
            return 2;
        }
        fflush(stdout);
    }
    return 0;
}
