// An .npz of stacked inputs: --index picks one; the softmax of four equal inputs is 1/4 each (64/256 - 128).
// RUN: python -c "import numpy as np; np.savez(r'%t.npz', inputs=np.array([[[1, 2, 3, 4]], [[9, 9, 9, 9]]], np.int8))"
// RUN: cmsis-run %s --input %t.npz --index 1 --output %t.out.npy
// RUN: python -c "import numpy as np; print(np.load(r'%t.out.npy').tolist())" | filecheck %s
// CHECK: {{\[\[}}-64, -64, -64, -64]]
// RUN: not cmsis-run %s --input %t.npz --output %t.out2.npy 2>&1 | filecheck --check-prefix=ERR %s
// ERR: error: input: '{{.*}}.npz' is an .npz file: choose one of its 2 inputs with --index

func.func @probabilities(%x: tensor<1x4x!quant.uniform<i8:f32, 0.1:0>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.00390625:-128>> {
  %0 = cmsis.softmax %x {input_multiplier = 1073741824 : i32, input_left_shift = 24 : i32, diff_min = -248 : i32}
       : (tensor<1x4x!quant.uniform<i8:f32, 0.1:0>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.00390625:-128>>
  func.return %0 : tensor<1x4x!quant.uniform<i8:f32, 0.00390625:-128>>
}
