// RUN: not cmsis-opt %s 2>&1 | filecheck %s
// An unterminated string is a parse error at its opening quote.

// CHECK: error: {{.*}}unterminated-string.mlir:[[# @LINE + 2]]:32: End of file reached before closing string literal.
// CHECK-NOT: Traceback
func.func @f() attributes {a = "never closed
