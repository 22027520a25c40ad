// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// nn.lstm: a rank-3 sequence, four gates of H rows, tanh or sigmoid cell gate, a clip >= 0.

// The recurrence is [4H, H].
func.func @recurrence(%x: tensor<1x3x2xf32>, %w: tensor<8x2xf32>, %r: tensor<8x3xf32>, %b: tensor<8xf32>) {
  %y = nn.lstm %x, %w, %r, %b {cell_activation = "tanh", cell_clip = 0.0 : f32} : (tensor<1x3x2xf32>, tensor<8x2xf32>, tensor<8x3xf32>, tensor<8xf32>) -> tensor<1x3x2xf32>
  func.return
}
// CHECK: error: {{.*}}lstm-invalid.mlir:6:3: 'nn.lstm' recurrence: expected shape [4H, H], got [8, 3]

// -----

// The weight has one row per gate and unit and one column per feature.
func.func @weight(%x: tensor<1x3x2xf32>, %w: tensor<8x3xf32>, %r: tensor<8x2xf32>, %b: tensor<8xf32>) {
  %y = nn.lstm %x, %w, %r, %b {cell_activation = "tanh", cell_clip = 0.0 : f32} : (tensor<1x3x2xf32>, tensor<8x3xf32>, tensor<8x2xf32>, tensor<8xf32>) -> tensor<1x3x2xf32>
  func.return
}
// CHECK: error: {{.*}}lstm-invalid.mlir:15:3: 'nn.lstm' weight: expected shape [8, 2], got [8, 3]

// -----

// The cell gate's activation is one CMSIS-NN's kernels have.
func.func @activation(%x: tensor<1x3x2xf32>, %w: tensor<8x2xf32>, %r: tensor<8x2xf32>, %b: tensor<8xf32>) {
  %y = nn.lstm %x, %w, %r, %b {cell_activation = "relu", cell_clip = 0.0 : f32} : (tensor<1x3x2xf32>, tensor<8x2xf32>, tensor<8x2xf32>, tensor<8xf32>) -> tensor<1x3x2xf32>
  func.return
}
// CHECK: error: {{.*}}lstm-invalid.mlir:24:3: 'nn.lstm' cell_activation: 'relu' is not one of ['tanh', 'sigmoid']

// -----

// The result keeps the sequence and has H features.
func.func @result(%x: tensor<1x3x2xf32>, %w: tensor<8x2xf32>, %r: tensor<8x2xf32>, %b: tensor<8xf32>) {
  %y = nn.lstm %x, %w, %r, %b {cell_activation = "tanh", cell_clip = 0.0 : f32} : (tensor<1x3x2xf32>, tensor<8x2xf32>, tensor<8x2xf32>, tensor<8xf32>) -> tensor<1x3x4xf32>
  func.return
}
// CHECK: error: {{.*}}lstm-invalid.mlir:33:3: 'nn.lstm' result: shape [1, 3, 4] does not match the expected [1, 3, 2]

// -----

// A negative clip means nothing.
func.func @clip(%x: tensor<1x3x2xf32>, %w: tensor<8x2xf32>, %r: tensor<8x2xf32>, %b: tensor<8xf32>) {
  %y = nn.lstm %x, %w, %r, %b {cell_activation = "tanh", cell_clip = -1.0 : f32} : (tensor<1x3x2xf32>, tensor<8x2xf32>, tensor<8x2xf32>, tensor<8xf32>) -> tensor<1x3x2xf32>
  func.return
}
// CHECK: error: {{.*}}lstm-invalid.mlir:42:3: 'nn.lstm' cell_clip: must be >= 0, got -1.0
