// RUN: cmsis-opt %s --split-input-file --verify-diagnostics --arena-alloc=max-size=400 | filecheck %s
// RUN: cmsis-opt %s --split-input-file --arena-alloc=max-size=432 | filecheck %s --check-prefix=FITS
// max-size: a plan larger than the limit is an error naming the peak step's operator and the bytes.
// Step 0 holds x and wide (416 bytes), step 1 wide and narrow (432): the peak is step 1.

func.func @peak(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x32x!quant.uniform<i8:f32, 0.5:0>> {
  %w = cmsis.fully_connected %x {filter = dense<1> : tensor<400x16xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "wide"} : (tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x400x!quant.uniform<i8:f32, 0.5:0>>
  %n = cmsis.fully_connected %w {filter = dense<1> : tensor<32x400xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "narrow"} : (tensor<1x400x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x32x!quant.uniform<i8:f32, 0.5:0>>
  func.return %n : tensor<1x32x!quant.uniform<i8:f32, 0.5:0>>
}
// CHECK: error: arena-alloc: the arena needs 432 bytes, more than max-size=400: the peak is at step 1 ('narrow', cmsis.fully_connected), where 432 bytes are live (lower bound 432 bytes)
// FITS:  arena.plan = #arena.plan<size = 432,

// -----

// A graph with no operator: its input is its output, live at step 0.
func.func @empty(%x: tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:0>> {
  func.return %x : tensor<1x16x!quant.uniform<i8:f32, 0.5:0>>
}
// CHECK: arena.plan = #arena.plan<size = 16,
// FITS:  arena.plan = #arena.plan<size = 16,
