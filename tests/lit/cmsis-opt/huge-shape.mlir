// RUN: not cmsis-opt %s 2>&1 | filecheck %s
// A shape too large for any microcontroller (or for the compiler's memory) is
// refused while parsing, with its location, before anything is allocated.

// CHECK: error: {{.*}}huge-shape.mlir:[[# @LINE + 3]]:25: a shape of 999999999970000000000299999999999 elements is too large (at most 2147483647)
// CHECK-NEXT: {{^}}func.func @f(%x: tensor<99999999999x99999999999x99999999999xf32>) {
// CHECK-NEXT: {{^}}                        ^
func.func @f(%x: tensor<99999999999x99999999999x99999999999xf32>) {
  func.return
}
