// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// cmsis.yield: only in the body of a cmsis.patch_stage.

// A function returns with func.return.
func.func @in_a_function(%x: tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>) {
  cmsis.yield %x : tensor<1x4x4x4x!quant.uniform<i8:f32, 0.5:-3>>
}
// CHECK: error: {{.*}}yield-invalid.mlir:6:3: 'cmsis.yield' values: cmsis.yield ends the body of a cmsis.patch_stage only
