/*
 * cmsis-opt host runtime: the CMSIS-NN (v7) public structs and status codes.
 *
 * Field order, field types and enum values match CMSIS-NN's arm_nn_types.h,
 * so code written against CMSIS-NN compiles and links against this runtime
 * unchanged; only the subset the int8 kernels use is declared.
 */
#ifndef ARM_NN_TYPES_H
#define ARM_NN_TYPES_H

#include <stdbool.h>
#include <stdint.h>

/* Status returned by the kernels. */
typedef enum
{
    ARM_CMSIS_NN_SUCCESS = 0,
    ARM_CMSIS_NN_ARG_ERROR = -1,
    ARM_CMSIS_NN_NO_IMPL_ERROR = -2,
    ARM_CMSIS_NN_FAILURE = -3
} arm_cmsis_nn_status;

/* Width and height of a window property (stride, padding, dilation). */
typedef struct
{
    int32_t w;
    int32_t h;
} cmsis_nn_tile;

/* Caller-provided scratch memory; buf may be NULL when the size query said 0. */
typedef struct
{
    void *buf;
    int32_t size;
} cmsis_nn_context;

/* Tensor dimensions; n is the batch (or output channels for conv filters). */
typedef struct
{
    int32_t n;
    int32_t h;
    int32_t w;
    int32_t c;
} cmsis_nn_dims;

/* Per output channel requantization: one multiplier and shift per channel. */
typedef struct
{
    int32_t *multiplier;
    int32_t *shift;
} cmsis_nn_per_channel_quant_params;

/* Per tensor requantization. */
typedef struct
{
    int32_t multiplier;
    int32_t shift;
} cmsis_nn_per_tensor_quant_params;

/* Output clamp range, in output codes. */
typedef struct
{
    int32_t min;
    int32_t max;
} cmsis_nn_activation;

/* Convolution: input_offset is minus the input zero point, output_offset the output zero point. */
typedef struct
{
    int32_t input_offset;
    int32_t output_offset;
    cmsis_nn_tile stride;
    cmsis_nn_tile padding;
    cmsis_nn_tile dilation;
    cmsis_nn_activation activation;
} cmsis_nn_conv_params;

/* Transposed convolution; padding_offsets (the extra bottom/right padding) and dilation are not read. */
typedef struct
{
    int32_t input_offset;
    int32_t output_offset;
    cmsis_nn_tile stride;
    cmsis_nn_tile padding;
    cmsis_nn_tile padding_offsets;
    cmsis_nn_tile dilation;
    cmsis_nn_activation activation;
} cmsis_nn_transpose_conv_params;

/* Depthwise convolution; ch_mult * input channels = output channels. */
typedef struct
{
    int32_t input_offset;
    int32_t output_offset;
    int32_t ch_mult;
    cmsis_nn_tile stride;
    cmsis_nn_tile padding;
    cmsis_nn_tile dilation;
    cmsis_nn_activation activation;
} cmsis_nn_dw_conv_params;

/* Max and average pooling. */
typedef struct
{
    cmsis_nn_tile stride;
    cmsis_nn_tile padding;
    cmsis_nn_activation activation;
} cmsis_nn_pool_params;

/* Fully connected; filter_offset is minus the weight zero point (0 for TFLite int8). */
typedef struct
{
    int32_t input_offset;
    int32_t filter_offset;
    int32_t output_offset;
    cmsis_nn_activation activation;
} cmsis_nn_fc_params;

/* Transpose: result axis i is input axis permutations[i], for num_dims (1 to 4) axes. */
typedef struct
{
    const int32_t num_dims;
    const uint32_t *permutations;
} cmsis_nn_transpose_params;

/* The bias of the int16 convolution: int64 values (TFLite's 16x8 scheme) unless is_int32_bias. */
typedef struct
{
    const void *data;
    const bool is_int32_bias;
} cmsis_nn_bias_data;

/* The two 513-entry tables of arm_softmax_s16: exp(x) on [-10, 0] and 1 / (1 + x) on [0, 1], Q15. */
typedef struct
{
    const int16_t *exp_lut;
    const int16_t *one_by_one_lut;
} cmsis_nn_softmax_lut_s16;

/* The function arm_nn_activation_s16 computes. */
typedef enum
{
    ARM_SIGMOID = 0,
    ARM_TANH = 1
} arm_nn_activation_type;

/* One LSTM gate: int8 weights, int32 effective biases, Q3.12 requantization of both products. */
typedef struct
{
    int32_t input_multiplier;
    int32_t input_shift;
    const void *input_weights;
    const void *input_effective_bias; /* bias + input_offset * row sums of input_weights */

    int32_t hidden_multiplier;
    int32_t hidden_shift;
    const void *hidden_weights;
    const void *hidden_effective_bias; /* -output_offset * row sums of hidden_weights */

    const void *bias;
    arm_nn_activation_type activation_type;
} cmsis_nn_lstm_gate;

/* arm_lstm_unidirectional_s8 / _s16 parameters (the biases int32_t for s8, int64_t for s16). */
typedef struct
{
    int32_t time_major; /* 0: input [batch][time][features]; else [time][batch][features] */
    int32_t batch_size;
    int32_t time_steps;
    int32_t input_size;
    int32_t hidden_size;

    int32_t input_offset;

    int32_t forget_to_cell_multiplier;
    int32_t forget_to_cell_shift;
    int32_t input_to_cell_multiplier;
    int32_t input_to_cell_shift;
    int32_t cell_clip; /* in cell state codes; 0 is no clip */
    int32_t cell_scale_power;

    int32_t output_multiplier;
    int32_t output_shift;
    int32_t output_offset;

    cmsis_nn_lstm_gate forget_gate;
    cmsis_nn_lstm_gate input_gate;
    cmsis_nn_lstm_gate cell_gate;
    cmsis_nn_lstm_gate output_gate;
} cmsis_nn_lstm_params;

/* The int16 buffers of arm_lstm_unidirectional_s8: two gate buffers and the cell state, batch * hidden each. */
typedef struct
{
    void *temp1;
    void *temp2;
    void *cell_state;
} cmsis_nn_lstm_context;

#endif /* ARM_NN_TYPES_H */
