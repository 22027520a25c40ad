// cmsis-run runs a hand-written cmsis function on an .npy input and writes the result as .npy.
// RUN: python -c "import numpy as np; np.save(r'%t.x.npy', (np.arange(9) - 1).astype(np.int8).reshape(1, 3, 3, 1))"
// RUN: cmsis-run %s --input %t.x.npy --output %t.y.npy
// RUN: python -c "import numpy as np; y = np.load(r'%t.y.npy'); print(y.dtype, y.shape, y[0, :, :, 0].tolist(), y[0, :, :, 1].tolist())" | filecheck %s

// Input real values 0..8 (zero point -1). Channel 0: 2x2 window sums 27, 37, 57, 67, plus bias 10,
// times 1, plus the output zero point 3. Channel 1: x[i+1][j+1] - x[i][j] - 5 = -1, times 0.5 = -0.5,
// which rounds up to 0, plus 3.
// CHECK: int8 (1, 2, 2, 2) {{\[\[}}40, 50], [70, 80]] {{\[\[}}3, 3], [3, 3]]

// A wrong input shape is one error line, and no output file is written.
// RUN: python -c "import numpy as np; np.save(r'%t.bad.npy', np.zeros((1, 9), np.int8))"
// RUN: rm -f %t.none.npy
// RUN: not cmsis-run %s --input %t.bad.npy --output %t.none.npy 2>&1 | filecheck --check-prefix=ERR %s
// RUN: not ls %t.none.npy
// ERR: error: {{.*}}.bad.npy: input #0: expected shape 1x3x3x1, got 1x9
// ERR-NOT: Traceback

func.func @tiny(%x: tensor<1x3x3x1x!quant.uniform<i8:f32, 0.5:-1>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.25:3>> {
  %0 = cmsis.conv %x {layer = "conv1", filter = dense<[[[[1], [2]], [[3], [4]]], [[[-1], [0]], [[0], [1]]]]> : tensor<2x2x2x1xi8>,
                      bias = dense<[10, -5]> : tensor<2xi32>, multiplier = array<i32: 1073741824, 1073741824>,
                      shift = array<i32: 1, 0>, input_offset = 1 : i32, output_offset = 3 : i32,
                      act_min = -128 : i32, act_max = 127 : i32, stride = array<i64: 1, 1>,
                      padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>}
       : (tensor<1x3x3x1x!quant.uniform<i8:f32, 0.5:-1>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.25:3>>
  func.return %0 : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.25:3>>
}
