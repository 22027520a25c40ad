// Unsupported graphs are one clear error naming the layer, never a wrong answer.
// RUN: cmsis-opt %s --quantize --split-input-file --verify-diagnostics | filecheck %s

// CHECK: error: pass 'quantize': layer 'sum' (nn.add): broadcasting [1, 2, 2, 2] and [1, 2, 1, 1] is not supported
func.func @broadcast(%x: tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>>, %y: tensor<1x2x1x1x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 1.0:0>> {
  %xf = nn.dequantize %x : (tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x2x2xf32>
  %yf = nn.dequantize %y : (tensor<1x2x1x1x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x1x1xf32>
  %s = nn.add %xf, %yf {layer = "sum"} : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %q = nn.quantize %s {layer = "sum"} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 1.0:0>>
  func.return %q : tensor<1x2x2x2x!quant.uniform<i8:f32, 1.0:0>>
}

// -----

// A float model needs calibration ranges first.
// CHECK: error: pass 'quantize': a float model needs calibration ranges: run `cmsis-calibrate MODEL --data FILE.npz -o calibrated.mlir` first (cmsis-compile --calibration FILE.npz does both)
func.func @float_model(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %r = nn.relu %x {layer = "relu"} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  func.return %r : tensor<1x4xf32>
}

// -----

// Weight scales along the inputs (axis 1 of [M][K]) have no CMSIS-NN kernel: an error, never one scale for all.
// CHECK: error: pass 'quantize': layer 'fc' (nn.fully_connected): weight scales vary along the 2 inputs: only one scale per output (2) or per tensor has a CMSIS-NN kernel
func.func @per_input_fc(%x: tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x!quant.uniform<i8:f32, 1.0:0>> {
  %xf = nn.dequantize %x : (tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2xf32>
  %w = nn.constant {value = dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>} : tensor<2x2x!quant.uniform<i8:f32:1, {0.25:0, 0.5:0}>>
  %wf = nn.dequantize %w : (tensor<2x2x!quant.uniform<i8:f32:1, {0.25:0, 0.5:0}>>) -> tensor<2x2xf32>
  %y = nn.fully_connected %xf, %wf {layer = "fc"} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %q = nn.quantize %y {layer = "fc"} : (tensor<1x2xf32>) -> tensor<1x2x!quant.uniform<i8:f32, 1.0:0>>
  func.return %q : tensor<1x2x!quant.uniform<i8:f32, 1.0:0>>
}
