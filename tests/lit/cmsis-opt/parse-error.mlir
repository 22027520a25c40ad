// RUN: not cmsis-opt %s 2>&1 | filecheck %s
// A parse error names the file, line and column and shows the line.

func.func @f() {
  %x = nn.bogus
}
// CHECK: error: {{.*}}parse-error.mlir:5:8: Operation nn.bogus is not registered
// CHECK-NOT: Traceback
