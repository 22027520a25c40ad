/*
 * cmsis_opt_activation_s16: TensorFlow Lite Micro's int16 LOGISTIC and TANH
 * (reference_integer_ops::Logistic / Tanh in tensorflow/lite/kernels/
 * internal/reference/integer_ops/logistic.h and tanh.h; parameters from
 * micro/kernels/logistic_common.cc and tanh_common.cc) for any input scale.
 *
 *   x'  = floor((input[i] * input_multiplier + round) / 2^input_shift),
 *         round = 2^(input_shift - 1) (0 for shift 0)              Q3.12 times 3
 *   |x'| indexes a 256-entry sigmoid table (Q0.16 over [0, 10.67)), linearly
 *   interpolated: 9 fraction bits for sigmoid, 8 for tanh (tanh(x) =
 *   2 sigmoid(2x) - 1), the sign folded back, rounded to Q0.15.
 *
 * CMSIS-NN's arm_nn_activation_s16 (v7.0.0) computes the same with the
 * multiplier fixed to 3 << left_shift (or 3 and a right shift): the compiler
 * calls it for input scales that give such a multiplier (powers of two) and
 * this kernel for the others. The product is taken in 64 bits, so no input
 * overflows; TFLite Micro's int32 product equals it wherever TFLite Micro
 * does not overflow (the compiler refuses the scales where it would).
 *
 * Order: element i is read, then output i written, i increasing; the output
 * may sit exactly on the input.
 *
 * The definition between the marker comments is copied, made static, into
 * every generated source that calls it (CMSIS-NN lacks it). The runtime's
 * arm_nn_activation_s16, after it, runs it with CMSIS-NN's multiplier.
 */
#include "arm_nnfunctions.h"

/* cmsis-opt: emitted definition begins */
/* TFLite's sigmoid_table_uint16 (CMSIS-NN's too): sigmoid(k * 10.67 / 256) in Q0.16, k = 0..255. */
/* cmsis-opt: sigmoid table begins */
static const uint16_t cmsis_opt_sigmoid_table_uint16[256] = {
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

arm_cmsis_nn_status cmsis_opt_activation_s16(const int16_t *input,
                                             int16_t *output,
                                             int32_t size,
                                             int32_t input_multiplier,
                                             int32_t input_shift,
                                             arm_nn_activation_type type)
{
    if (size < 0 || input_multiplier < 0 || input_shift < 0 || input_shift > 31)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    const int sigmoid = type == ARM_SIGMOID;
    const uint32_t fraction_bits = sigmoid ? 9u : 8u;
    const uint32_t max_saturation = sigmoid ? (uint32_t)0x7FFF << 10 : (uint32_t)0xFFFF << 8;
    const int64_t rounding = input_shift > 0 ? (int64_t)1 << (input_shift - 1) : 0;
    for (int32_t i = 0; i < size; i++)
    {
        const int64_t product = (int64_t)input[i] * input_multiplier + rounding;
        /* floor division by 2^input_shift without shifting a negative number */
        const int64_t scaled = product >= 0 ? product >> input_shift : -((-(product + 1)) >> input_shift) - 1;
        const int32_t input_data = (int32_t)scaled;
        const uint32_t abs_input = input_data >= 0 ? (uint32_t)input_data : 0u - (uint32_t)input_data;
        const uint32_t uh = abs_input >> fraction_bits;
        uint32_t result;
        if (uh >= 255u)
        {
            result = max_saturation;
        }
        else
        {
            const uint32_t ua = cmsis_opt_sigmoid_table_uint16[uh];
            const uint32_t ub = cmsis_opt_sigmoid_table_uint16[uh + 1u];
            const uint32_t ut = abs_input & ((1u << fraction_bits) - 1u);
            result = (ua << fraction_bits) + ut * (ub - ua);
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
        /* the low 16 bits as two's complement, as TFLite's int32 -> int16_t store */
        const int32_t low = (int32_t)(result & 0xFFFFu);
        output[i] = (int16_t)(low >= 0x8000 ? low - 0x10000 : low);
    }
    return ARM_CMSIS_NN_SUCCESS;
}
/* cmsis-opt: emitted definition ends */

/*
 * CMSIS-NN's arm_nn_activation_s16 (Source/ActivationFunctions/
 * arm_nn_activation_s16.c): the input multiplied by 3 << left_shift, or by 3
 * and divided by 2^-left_shift with rounding when left_shift < 0.
 */
arm_cmsis_nn_status arm_nn_activation_s16(const int16_t *input,
                                          int16_t *output,
                                          const int32_t size,
                                          const int32_t left_shift,
                                          const arm_nn_activation_type type)
{
    if (left_shift > 29 || left_shift < -31)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    if (left_shift >= 0)
    {
        return cmsis_opt_activation_s16(input, output, size, 3 * (1 << left_shift), 0, type);
    }
    return cmsis_opt_activation_s16(input, output, size, 3, -left_shift, type);
}
