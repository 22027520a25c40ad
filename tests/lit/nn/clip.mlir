// RUN: cmsis-opt %s | cmsis-opt | filecheck %s
// nn.clip is clamp(x, min, max); ReLU6 is a clip from 0 to 6.

// CHECK-LABEL: func.func @relu6
// CHECK: %y = nn.clip %x {min = 0.000000e+00 : f32, max = 6.000000e+00 : f32} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
func.func @relu6(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %y = nn.clip %x {min = 0.0 : f32, max = 6.0 : f32} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  func.return %y : tensor<1x8x4x4xf32>
}

// min == max is allowed (a constant output).
// CHECK-LABEL: func.func @degenerate
// CHECK: nn.clip %x {min = -1.500000e+00 : f32, max = -1.500000e+00 : f32}
func.func @degenerate(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = nn.clip %x {min = -1.5 : f32, max = -1.5 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
