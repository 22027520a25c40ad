// RUN: not cmsis-opt %s 2>&1 | filecheck %s
// Memory is planned ahead of time, so every shape is static.

// CHECK: error: {{.*}}dynamic-shape.mlir:[[# @LINE + 1]]:1: 'func.func' argument #0: dynamic dimensions are not supported: tensor<?x4xf32>
func.func @f(%x: tensor<?x4xf32>) {
  func.return
}
