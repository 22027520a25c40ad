/*
 * arm_lstm_unidirectional_s8 and arm_lstm_unidirectional_s16: TFLite Micro's
 * UNIDIRECTIONAL_SEQUENCE_LSTM, int8 (int8 input, output and weights, int32
 * biases) and 16x8 (int16 input and output, int8 weights, int64 biases), both
 * with int16 gates and cell state, with the results of CMSIS-NN's kernels of
 * the same names (v7.0.0).
 *
 * Per time step, for every batch (CMSIS-NN's arm_nn_lstm_step_s8 / _s16):
 *   gate = act(requant(W x + input_effective_bias, input mult) +
 *              requant(R h + hidden_effective_bias, hidden mult))   int16, Q3.12 in, Q0.15 out
 *   forget gate into temp1; cell_state = forget * cell_state;
 *   input gate into temp1, cell gate into temp2; cell_state += input * cell;
 *   output gate into temp1; temp2 = tanh(cell_state); output = output gate * temp2.
 * int8: the sums are int32, requantized with the Q31 multiplier; 16x8: int64,
 * requantized as arm_nn_requantize_s64 (the multiplier reduced to Q15), and
 * the output is clamped to int16 instead of int8.
 * The hidden state of step t is step t's output row: step t + 1 reads it
 * back as its recurrent input; the first step has none (zero state). The cell
 * state is zeroed on entry. The effective biases hold bias + input_offset *
 * row sums of W and -output_offset * row sums of R (computed by the caller).
 *
 * Read/write order: step t reads input step t (all of it, four times) and
 * output step t - 1, then writes output step t.
 *
 * The gate activations are arm_nn_activation_s16 (TFLite's int16
 * Logistic / Tanh): a 256-entry table of sigmoid in Q0.16 over [0, 10.67)
 * (TFLite's sigmoid_table_uint16, which CMSIS-NN carries too), linearly
 * interpolated; the runtime's copy is in cmsis_opt_activation_s16.c.
 */
#include "nn_support.h"

static int16_t clamp_s16(int32_t value)
{
    return (int16_t)NN_MIN(NN_MAX(value, NN_Q15_MIN), NN_Q15_MAX);
}

/* arm_nn_vec_mat_mul_result_acc_s8_s16: dst[b][r] = clamp(requant(lhs_b . rhs[r] + bias[r]) + dst[b][r]). */
static void vec_mat_mul_acc(const int8_t *lhs, const int8_t *rhs, const int32_t *effective_bias, int16_t *dst,
                            int32_t multiplier, int32_t shift, int32_t cols, int32_t rows, int32_t batches,
                            int32_t batch_offset)
{
    for (int32_t b = 0; b < batches; b++)
    {
        const int8_t *x = lhs + b * cols * batch_offset;
        for (int32_t r = 0; r < rows; r++)
        {
            uint32_t acc = (uint32_t)effective_bias[r];
            for (int32_t k = 0; k < cols; k++)
            {
                acc += (uint32_t)((int32_t)x[k] * (int32_t)rhs[r * cols + k]);
            }
            const int32_t value = cmsis_opt_multiply_by_quantized_multiplier((int32_t)acc, multiplier, shift) + dst[b * rows + r];
            dst[b * rows + r] = clamp_s16(value);
        }
    }
}

/* arm_nn_lstm_calculate_gate_s8_s16: one gate of every batch into output (int16, after its activation). */
static void gate_s8_s16(const int8_t *data_in, const int8_t *hidden_in, const cmsis_nn_lstm_gate *gate,
                        const cmsis_nn_lstm_params *params, int16_t *output, int32_t batch_offset)
{
    const int32_t size = params->hidden_size * params->batch_size;
    for (int32_t i = 0; i < size; i++)
    {
        output[i] = 0;
    }
    vec_mat_mul_acc(data_in, (const int8_t *)gate->input_weights, (const int32_t *)gate->input_effective_bias,
                    output, gate->input_multiplier, gate->input_shift, params->input_size, params->hidden_size,
                    params->batch_size, batch_offset);
    if (hidden_in != NULL)
    {
        vec_mat_mul_acc(hidden_in, (const int8_t *)gate->hidden_weights, (const int32_t *)gate->hidden_effective_bias,
                        output, gate->hidden_multiplier, gate->hidden_shift, params->hidden_size,
                        params->hidden_size, params->batch_size, batch_offset);
    }
    (void)arm_nn_activation_s16(output, output, size, 0, gate->activation_type);
}

/* arm_elementwise_mul_s16 (accumulate = 0) and arm_elementwise_mul_acc_s16 (accumulate = 1), offsets 0. */
static void mul_s16(const int16_t *a, const int16_t *b, int16_t *output, int32_t multiplier, int32_t shift,
                    int32_t act_min, int32_t act_max, int32_t size, int accumulate)
{
    for (int32_t i = 0; i < size; i++)
    {
        int32_t value = cmsis_opt_multiply_by_quantized_multiplier((int32_t)a[i] * (int32_t)b[i], multiplier, shift);
        if (accumulate)
        {
            value += output[i];
        }
        output[i] = (int16_t)NN_MIN(NN_MAX(value, act_min), act_max);
    }
}

/* arm_nn_vec_mat_mul_result_acc_s16: dst[b][r] = clamp(requant_s64(lhs_b . rhs[r] + bias[r]) + dst[b][r]). */
static void vec_mat_mul_acc_s16(const int16_t *lhs, const int8_t *rhs, const int64_t *effective_bias, int16_t *dst,
                                int32_t multiplier, int32_t shift, int32_t cols, int32_t rows, int32_t batches,
                                int32_t batch_offset)
{
    for (int32_t b = 0; b < batches; b++)
    {
        const int16_t *x = lhs + b * cols * batch_offset;
        for (int32_t r = 0; r < rows; r++)
        {
            int64_t acc = effective_bias[r];
            for (int32_t k = 0; k < cols; k++)
            {
                acc += (int64_t)x[k] * (int64_t)rhs[r * cols + k];
            }
            dst[b * rows + r] = clamp_s16(nn_requantize_s64(acc, multiplier, shift) + dst[b * rows + r]);
        }
    }
}

/* arm_nn_lstm_calculate_gate_s16: one gate of every batch into output (int16, after its activation). */
static void gate_s16(const int16_t *data_in, const int16_t *hidden_in, const cmsis_nn_lstm_gate *gate,
                     const cmsis_nn_lstm_params *params, int16_t *output, int32_t batch_offset)
{
    const int32_t size = params->hidden_size * params->batch_size;
    for (int32_t i = 0; i < size; i++)
    {
        output[i] = 0;
    }
    vec_mat_mul_acc_s16(data_in, (const int8_t *)gate->input_weights, (const int64_t *)gate->input_effective_bias,
                        output, gate->input_multiplier, gate->input_shift, params->input_size, params->hidden_size,
                        params->batch_size, batch_offset);
    if (hidden_in != NULL)
    {
        vec_mat_mul_acc_s16(hidden_in, (const int8_t *)gate->hidden_weights,
                            (const int64_t *)gate->hidden_effective_bias, output, gate->hidden_multiplier,
                            gate->hidden_shift, params->hidden_size, params->hidden_size, params->batch_size,
                            batch_offset);
    }
    (void)arm_nn_activation_s16(output, output, size, 0, gate->activation_type);
}

/* arm_nn_lstm_step_s8 / _s16: one time step of every batch; hidden_out rows batch_offset * hidden_size apart.
 * Exactly one of the s8 and s16 pointer triples is set. */
static void step(const int8_t *data_s8, const int8_t *hidden_in_s8, int8_t *hidden_out_s8, const int16_t *data_s16,
                 const int16_t *hidden_in_s16, int16_t *hidden_out_s16, const cmsis_nn_lstm_params *params,
                 cmsis_nn_lstm_context *buffers, int32_t batch_offset)
{
    int16_t *temp1 = (int16_t *)buffers->temp1;
    int16_t *temp2 = (int16_t *)buffers->temp2;
    int16_t *cell_state = (int16_t *)buffers->cell_state;
    const int32_t size = params->hidden_size * params->batch_size;
    const int32_t clip_max = params->cell_clip > 0 ? params->cell_clip : NN_Q15_MAX;
    const int32_t clip_min = params->cell_clip > 0 ? -params->cell_clip : NN_Q15_MIN;
    const cmsis_nn_lstm_gate *gates[4] = {&params->forget_gate, &params->input_gate, &params->cell_gate,
                                          &params->output_gate};
    int16_t *into[4];
    into[0] = temp1;
    into[1] = temp1;
    into[2] = temp2;
    into[3] = temp1;

    for (int g = 0; g < 4; g++)
    {
        if (data_s16 != NULL)
        {
            gate_s16(data_s16, hidden_in_s16, gates[g], params, into[g], batch_offset);
        }
        else
        {
            gate_s8_s16(data_s8, hidden_in_s8, gates[g], params, into[g], batch_offset);
        }
        if (g == 0)
        {
            mul_s16(temp1, cell_state, cell_state, params->forget_to_cell_multiplier, params->forget_to_cell_shift,
                    NN_Q15_MIN, NN_Q15_MAX, size, 0);
        }
        else if (g == 2)
        {
            mul_s16(temp1, temp2, cell_state, params->input_to_cell_multiplier, params->input_to_cell_shift, clip_min,
                    clip_max, size, 1);
        }
    }
    (void)arm_nn_activation_s16(cell_state, temp2, size, params->cell_scale_power + 12, ARM_TANH);
    /* arm_elementwise_mul_s16_s8 / arm_elementwise_mul_s16_batch_offset */
    for (int32_t b = 0; b < params->batch_size; b++)
    {
        for (int32_t i = 0; i < params->hidden_size; i++)
        {
            const int32_t k = b * params->hidden_size + i;
            const int32_t product = (int32_t)temp1[k] * (int32_t)temp2[k];
            const int32_t at = b * batch_offset * params->hidden_size + i;
            if (hidden_out_s16 != NULL)
            {
                hidden_out_s16[at] = clamp_s16(
                    cmsis_opt_multiply_by_quantized_multiplier(product, params->output_multiplier, params->output_shift) +
                    params->output_offset);
            }
            else
            {
                hidden_out_s8[at] = nn_requantize_to_s8(product, params->output_multiplier, params->output_shift,
                                                        params->output_offset, NN_Q7_MIN, NN_Q7_MAX);
            }
        }
    }
}

static void zero_cell_state(const cmsis_nn_lstm_params *params, cmsis_nn_lstm_context *buffers)
{
    int16_t *cell_state = (int16_t *)buffers->cell_state;
    for (int32_t i = 0; i < params->batch_size * params->hidden_size; i++)
    {
        cell_state[i] = 0;
    }
}

/* time major: [T][B][.], every batch of a step together; else [B][T][.], batches `steps` rows apart */
static int32_t step_offset(const cmsis_nn_lstm_params *params, int32_t t, int32_t width)
{
    return params->time_major ? t * params->batch_size * width : t * width;
}

arm_cmsis_nn_status arm_lstm_unidirectional_s8(const int8_t *input,
                                               int8_t *output,
                                               const cmsis_nn_lstm_params *params,
                                               cmsis_nn_lstm_context *buffers)
{
    const int8_t *hidden_in = NULL;
    zero_cell_state(params, buffers);
    for (int32_t t = 0; t < params->time_steps; t++)
    {
        int8_t *out = output + step_offset(params, t, params->hidden_size);
        step(input + step_offset(params, t, params->input_size), hidden_in, out, NULL, NULL, NULL, params, buffers,
             params->time_major ? 1 : params->time_steps);
        hidden_in = out;
    }
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_lstm_unidirectional_s16(const int16_t *input,
                                                int16_t *output,
                                                const cmsis_nn_lstm_params *params,
                                                cmsis_nn_lstm_context *buffers)
{
    const int16_t *hidden_in = NULL;
    zero_cell_state(params, buffers);
    for (int32_t t = 0; t < params->time_steps; t++)
    {
        int16_t *out = output + step_offset(params, t, params->hidden_size);
        step(NULL, NULL, NULL, input + step_offset(params, t, params->input_size), hidden_in, out, params, buffers,
             params->time_major ? 1 : params->time_steps);
        hidden_in = out;
    }
    return ARM_CMSIS_NN_SUCCESS;
}
