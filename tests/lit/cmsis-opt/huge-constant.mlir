// RUN: not cmsis-opt %s 2>&1 | filecheck %s
// A splat constant names its size without spelling its values: one that could
// not fit in any microcontroller's flash is refused before it is expanded.

// CHECK: error: {{.*}}huge-constant.mlir:[[# @LINE + 2]]:40: a constant of 2000000000 elements is too large (at most 16777216)
func.func @f() {
  %c = nn.constant {value = dense<1> : tensor<2000000000xi8>} : tensor<2000000000xi8>
  func.return
}
