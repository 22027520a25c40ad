// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.lstm is a unidirectional LSTM over a sequence (TFLite UNIDIRECTIONAL_SEQUENCE_LSTM): input
// [batch, time, features], weight [4H, features] and recurrence [4H, H] with the gates in the order
// input, forget, cell, output, bias [4H]; result [batch, time, H]. cell_scale is the int16 cell
// state's scale of a quantized model.

// A keyword-spotting shape: one batch, the cell state clipped at 10.
// CHECK-LABEL: func.func @batch_major
// CHECK: %y = nn.lstm %x, %w, %r, %b {cell_activation = "tanh", cell_clip = 1.000000e+01 : f32, cell_scale = 6.10351562e-05 : f32} : (tensor<1x3x2xf32>, tensor<8x2xf32>, tensor<8x2xf32>, tensor<8xf32>) -> tensor<1x3x2xf32>
func.func @batch_major(%x: tensor<1x3x2xf32>, %w: tensor<8x2xf32>, %r: tensor<8x2xf32>, %b: tensor<8xf32>) -> tensor<1x3x2xf32> {
  %y = nn.lstm %x, %w, %r, %b {cell_activation = "tanh", cell_clip = 10.0 : f32, cell_scale = 0.00006103515625 : f32} : (tensor<1x3x2xf32>, tensor<8x2xf32>, tensor<8x2xf32>, tensor<8xf32>) -> tensor<1x3x2xf32>
  func.return %y : tensor<1x3x2xf32>
}

// Time major ([time, batch, features]), a sigmoid cell gate, no clip, one unit.
// CHECK-LABEL: func.func @time_major
// CHECK: %y = nn.lstm %x, %w, %r, %b {cell_activation = "sigmoid", cell_clip = 0.000000e+00 : f32, time_major} : (tensor<3x2x4xf32>, tensor<4x4xf32>, tensor<4x1xf32>, tensor<4xf32>) -> tensor<3x2x1xf32>
func.func @time_major(%x: tensor<3x2x4xf32>, %w: tensor<4x4xf32>, %r: tensor<4x1xf32>, %b: tensor<4xf32>) -> tensor<3x2x1xf32> {
  %y = nn.lstm %x, %w, %r, %b {cell_activation = "sigmoid", cell_clip = 0.0 : f32, time_major} : (tensor<3x2x4xf32>, tensor<4x4xf32>, tensor<4x1xf32>, tensor<4xf32>) -> tensor<3x2x1xf32>
  func.return %y : tensor<3x2x1xf32>
}
