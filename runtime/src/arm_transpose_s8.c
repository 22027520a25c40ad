/*
 * Transpose: the axes of a tensor of rank 1 to 4 permuted.
 */
#include "nn_support.h"

/*
 * Order: the input is read once, front to back; each byte is written at once
 * to its place in the output, which moves across the whole output. The output
 * may not share a byte with the input.
 */
arm_cmsis_nn_status arm_transpose_s8(const int8_t *input,
                                     int8_t *output,
                                     const cmsis_nn_dims *input_dims,
                                     const cmsis_nn_dims *output_dims,
                                     const cmsis_nn_transpose_params *transpose_params)
{
    const int32_t rank = transpose_params->num_dims;
    const uint32_t *perm = transpose_params->permutations;
    const int32_t in_shape[4] = {input_dims->n, input_dims->h, input_dims->w, input_dims->c};
    const int32_t out_shape[4] = {output_dims->n, output_dims->h, output_dims->w, output_dims->c};
    int32_t in_size[4] = {1, 1, 1, 1};
    int32_t out_step[4] = {0, 0, 0, 0}; /* bytes the output moves per step of each input axis */
    int32_t count[4] = {0, 0, 0, 0};
    int32_t stride = 1;

    if (rank < 1 || rank > 4)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    for (int32_t i = rank - 1; i >= 0; i--)
    {
        if (perm[i] >= (uint32_t)rank)
        {
            return ARM_CMSIS_NN_ARG_ERROR;
        }
        in_size[i] = in_shape[i];
        out_step[perm[i]] = stride; /* output axis i is input axis perm[i] */
        stride *= out_shape[i];
    }

    for (count[0] = 0; count[0] < in_size[0]; count[0]++)
    {
        for (count[1] = 0; count[1] < in_size[1]; count[1]++)
        {
            for (count[2] = 0; count[2] < in_size[2]; count[2]++)
            {
                const int32_t base = count[0] * out_step[0] + count[1] * out_step[1] + count[2] * out_step[2];
                for (count[3] = 0; count[3] < in_size[3]; count[3]++)
                {
                    output[base + count[3] * out_step[3]] = *input++;
                }
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}
