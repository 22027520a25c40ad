/*
 * arm_lstm_unidirectional_s8: TFLite Micro's int8 UNIDIRECTIONAL_SEQUENCE_LSTM
 * (int8 input, output and weights, int16 gates and cell state), with the
 * results of CMSIS-NN's arm_lstm_unidirectional_s8 (v7.0.0).
 *
 * Per time step, for every batch (CMSIS-NN's arm_nn_lstm_step_s8):
 *   gate = act(requant(W x + input_effective_bias, input mult) +
 *              requant(R h + hidden_effective_bias, hidden mult))   int16, Q3.12 in, Q0.15 out
 *   forget gate into temp1; cell_state = forget * cell_state;
 *   input gate into temp1, cell gate into temp2; cell_state += input * cell;
 *   output gate into temp1; temp2 = tanh(cell_state); output = output gate * temp2.
 * The hidden state of step t is step t's output row: step t + 1 reads it
 * back as its recurrent input; the first step has none (zero state). The cell
 * state is zeroed on entry. The effective biases hold bias + input_offset *
 * row sums of W and -output_offset * row sums of R (computed by the caller).
 *
 * Read/write order: step t reads input step t (all of it, four times) and
 * output step t - 1, then writes output step t. The compiler never lets the
 * output overlap the input.
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

/* arm_nn_lstm_step_s8: one time step of every batch; hidden_out rows batch_offset * hidden_size apart. */
static void step_s8(const int8_t *data_in, const int8_t *hidden_in, int8_t *hidden_out,
                    const cmsis_nn_lstm_params *params, cmsis_nn_lstm_context *buffers, int32_t batch_offset)
{
    int16_t *temp1 = (int16_t *)buffers->temp1;
    int16_t *temp2 = (int16_t *)buffers->temp2;
    int16_t *cell_state = (int16_t *)buffers->cell_state;
    const int32_t size = params->hidden_size * params->batch_size;
    const int32_t clip_max = params->cell_clip > 0 ? params->cell_clip : NN_Q15_MAX;
    const int32_t clip_min = params->cell_clip > 0 ? -params->cell_clip : NN_Q15_MIN;

    gate_s8_s16(data_in, hidden_in, &params->forget_gate, params, temp1, batch_offset);
    mul_s16(temp1, cell_state, cell_state, params->forget_to_cell_multiplier, params->forget_to_cell_shift,
            NN_Q15_MIN, NN_Q15_MAX, size, 0);
    gate_s8_s16(data_in, hidden_in, &params->input_gate, params, temp1, batch_offset);
    gate_s8_s16(data_in, hidden_in, &params->cell_gate, params, temp2, batch_offset);
    mul_s16(temp1, temp2, cell_state, params->input_to_cell_multiplier, params->input_to_cell_shift, clip_min,
            clip_max, size, 1);
    gate_s8_s16(data_in, hidden_in, &params->output_gate, params, temp1, batch_offset);
    (void)arm_nn_activation_s16(cell_state, temp2, size, params->cell_scale_power + 12, ARM_TANH);
    /* arm_elementwise_mul_s16_s8 */
    for (int32_t b = 0; b < params->batch_size; b++)
    {
        for (int32_t i = 0; i < params->hidden_size; i++)
        {
            const int32_t k = b * params->hidden_size + i;
            hidden_out[b * batch_offset * params->hidden_size + i] = nn_requantize_to_s8(
                (int32_t)temp1[k] * (int32_t)temp2[k], params->output_multiplier, params->output_shift,
                params->output_offset, NN_Q7_MIN, NN_Q7_MAX);
        }
    }
}

arm_cmsis_nn_status arm_lstm_unidirectional_s8(const int8_t *input,
                                               int8_t *output,
                                               const cmsis_nn_lstm_params *params,
                                               cmsis_nn_lstm_context *buffers)
{
    const int32_t batches = params->batch_size;
    const int32_t steps = params->time_steps;
    int16_t *cell_state = (int16_t *)buffers->cell_state;
    const int8_t *hidden_in = NULL;
    for (int32_t i = 0; i < batches * params->hidden_size; i++)
    {
        cell_state[i] = 0;
    }
    for (int32_t t = 0; t < steps; t++)
    {
        /* time major: [T][B][.], every batch of a step together; else [B][T][.], batches `steps` rows apart */
        const int32_t in_step = params->time_major ? t * batches * params->input_size : t * params->input_size;
        const int32_t out_step = params->time_major ? t * batches * params->hidden_size : t * params->hidden_size;
        step_s8(input + in_step, hidden_in, output + out_step, params, buffers, params->time_major ? 1 : steps);
        hidden_in = output + out_step;
    }
    return ARM_CMSIS_NN_SUCCESS;
}
