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
 * The gate activations follow arm_nn_activation_s16 (TFLite's int16
 * Logistic / Tanh): a 256-entry table of sigmoid in Q0.16 over [0, 10.67)
 * (TFLite's sigmoid_table_uint16, which CMSIS-NN carries too), linearly
 * interpolated.
 */
#include "nn_support.h"

#define LSTM_SIGMOID_TABLE_ENTRIES 256

/* cmsis-opt: sigmoid table begins */
static const uint16_t lstm_sigmoid_table[LSTM_SIGMOID_TABLE_ENTRIES] = {
    32768u, 33451u, 34133u, 34813u, 35493u, 36169u, 36843u, 37513u, 38180u, 38841u, 39498u, 40149u,
    40794u, 41432u, 42064u, 42688u, 43304u, 43912u, 44511u, 45102u, 45683u, 46255u, 46817u, 47369u,
    47911u, 48443u, 48964u, 49475u, 49975u, 50464u, 50942u, 51409u, 51865u, 52311u, 52745u, 53169u,
    53581u, 53983u, 54374u, 54755u, 55125u, 55485u, 55834u, 56174u, 56503u, 56823u, 57133u, 57433u,
    57724u, 58007u, 58280u, 58544u, 58800u, 59048u, 59288u, 59519u, 59743u, 59959u, 60168u, 60370u,
    60565u, 60753u, 60935u, 61110u, 61279u, 61441u, 61599u, 61750u, 61896u, 62036u, 62172u, 62302u,
    62428u, 62549u, 62666u, 62778u, 62886u, 62990u, 63090u, 63186u, 63279u, 63368u, 63454u, 63536u,
    63615u, 63691u, 63765u, 63835u, 63903u, 63968u, 64030u, 64090u, 64148u, 64204u, 64257u, 64308u,
    64357u, 64405u, 64450u, 64494u, 64536u, 64576u, 64614u, 64652u, 64687u, 64721u, 64754u, 64786u,
    64816u, 64845u, 64873u, 64900u, 64926u, 64950u, 64974u, 64997u, 65019u, 65039u, 65060u, 65079u,
    65097u, 65115u, 65132u, 65149u, 65164u, 65179u, 65194u, 65208u, 65221u, 65234u, 65246u, 65258u,
    65269u, 65280u, 65291u, 65301u, 65310u, 65319u, 65328u, 65337u, 65345u, 65352u, 65360u, 65367u,
    65374u, 65381u, 65387u, 65393u, 65399u, 65404u, 65410u, 65415u, 65420u, 65425u, 65429u, 65433u,
    65438u, 65442u, 65445u, 65449u, 65453u, 65456u, 65459u, 65462u, 65465u, 65468u, 65471u, 65474u,
    65476u, 65479u, 65481u, 65483u, 65485u, 65488u, 65489u, 65491u, 65493u, 65495u, 65497u, 65498u,
    65500u, 65501u, 65503u, 65504u, 65505u, 65507u, 65508u, 65509u, 65510u, 65511u, 65512u, 65513u,
    65514u, 65515u, 65516u, 65517u, 65517u, 65518u, 65519u, 65520u, 65520u, 65521u, 65522u, 65522u,
    65523u, 65523u, 65524u, 65524u, 65525u, 65525u, 65526u, 65526u, 65526u, 65527u, 65527u, 65528u,
    65528u, 65528u, 65529u, 65529u, 65529u, 65529u, 65530u, 65530u, 65530u, 65530u, 65531u, 65531u,
    65531u, 65531u, 65531u, 65532u, 65532u, 65532u, 65532u, 65532u, 65532u, 65533u, 65533u, 65533u,
    65533u, 65533u, 65533u, 65533u, 65533u, 65534u, 65534u, 65534u, 65534u, 65534u, 65534u, 65534u,
    65534u, 65534u, 65534u, 65535u,
};
/* cmsis-opt: sigmoid table ends */

/* floor(value / 2^exponent) for exponent in [0, 31], without shifting a negative number. */
static int32_t floor_shift(int32_t value, int32_t exponent)
{
    if (value >= 0)
    {
        return value >> exponent;
    }
    return -(int32_t)(((uint32_t)(-(value + 1))) >> exponent) - 1;
}

/* The low 16 bits of value as a two's complement int16_t. */
static int16_t low_s16(uint32_t value)
{
    const int32_t low = (int32_t)(value & 0xFFFFu);
    return (int16_t)(low >= 0x8000 ? low - 0x10000 : low);
}

static int16_t clamp_s16(int32_t value)
{
    return (int16_t)NN_MIN(NN_MAX(value, NN_Q15_MIN), NN_Q15_MAX);
}

/* arm_nn_activation_s16: sigmoid or tanh of size int16 values, input scaled by 2^left_shift. */
static void activation_s16(const int16_t *input, int16_t *output, int32_t size, int32_t left_shift,
                           arm_nn_activation_type type)
{
    const int sigmoid = type == ARM_SIGMOID;
    const int32_t abs_input_shift = sigmoid ? 9 : 8;
    const uint32_t max_saturation = sigmoid ? (uint32_t)0x7FFF << 10 : (uint32_t)0xFFFF << 8;
    const int32_t input_multiplier = left_shift < 0 ? 3 : 3 * (1 << left_shift);
    const int32_t abs_left_shift = left_shift < 0 ? -left_shift : 0;
    const int32_t rounding = abs_left_shift > 0 ? 1 << (abs_left_shift - 1) : 0;
    for (int32_t i = 0; i < size; i++)
    {
        const int32_t input_data = floor_shift(input[i] * input_multiplier + rounding, abs_left_shift);
        const uint32_t abs_input = (uint32_t)(input_data > 0 ? input_data : -input_data);
        const uint32_t uh = abs_input >> abs_input_shift;
        uint32_t result;
        if (uh >= 255u)
        {
            result = max_saturation;
        }
        else
        {
            const uint32_t ua = lstm_sigmoid_table[uh];
            const uint32_t ub = lstm_sigmoid_table[uh + 1u];
            const uint32_t ut = abs_input & (sigmoid ? 0x1FFu : 0xFFu);
            result = (ua << abs_input_shift) + ut * (ub - ua);
        }
        if (sigmoid)
        {
            result = input_data >= 0 ? result + (1u << 9) : (1u << 25) - result + (1u << 9) - 1u;
            result >>= 10;
        }
        else
        {
            result = input_data >= 0 ? (result - (1u << 23)) + (1u << 7) : ((0u - result) + (1u << 23)) + (1u << 7) - 1u;
            result >>= 8;
        }
        output[i] = low_s16(result);
    }
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
    activation_s16(output, output, size, 0, gate->activation_type);
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
    activation_s16(cell_state, temp2, size, params->cell_scale_power + 12, ARM_TANH);
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
