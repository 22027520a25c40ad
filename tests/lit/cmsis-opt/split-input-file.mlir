// RUN: cmsis-opt %s --split-input-file --verify-diagnostics | filecheck %s
// --split-input-file treats the parts between `// -----` lines as separate
// inputs. With --verify-diagnostics each part's first error becomes one
// `error: FILE:LINE:COL: message` line on stdout, numbered as in the whole
// file; a valid part prints its IR. Parts are separated by `// -----` again.

// A valid part prints normally.
// CHECK: func.func @valid
// CHECK-NEXT: %y = nn.relu %x
// CHECK-NEXT: func.return %y
// CHECK-NEXT: }
func.func @valid(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = nn.relu %x : (tensor<4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// -----

// A verifier error names the line of the op, counted from the top of the file.
// CHECK-NEXT: }
// CHECK-NEXT: // -----
// CHECK-NEXT: error: {{.*}}split-input-file.mlir:[[# @LINE + 2]]:3: 'nn.relu' result: shape [5] does not match the expected [4]
func.func @verifier(%x: tensor<4xf32>) {
  %y = nn.relu %x : (tensor<4xf32>) -> tensor<5xf32>
  func.return
}

// -----

// Only the first error of a part is reported.
// CHECK-NEXT: // -----
// CHECK-NEXT: error: {{.*}}split-input-file.mlir:[[# @LINE + 2]]:3: 'nn.relu' result: shape [6] does not match the expected [4]
func.func @first_only(%x: tensor<4xf32>) {
  %y = nn.relu %x : (tensor<4xf32>) -> tensor<6xf32>
  %z = nn.relu %x : (tensor<4xf32>) -> tensor<7xf32>
  func.return
}

// -----

// A parse error points at the offending token.
// CHECK-NEXT: // -----
// CHECK-NEXT: error: {{.*}}split-input-file.mlir:[[# @LINE + 2]]:8: Operation nn.bogus is not registered
func.func @parse() {
  %x = nn.bogus
}

// -----   

// A marker line may carry trailing blanks; a part may be only comments.
// CHECK-NEXT: // -----
// CHECK-NEXT: error: {{.*}}split-input-file.mlir: the input is empty: expected a module of textual IR

// -----

// Parts after an error are still checked.
// CHECK-NEXT: // -----
// CHECK-NEXT: error: {{.*}}split-input-file.mlir:[[# @LINE + 2]]:3: 'nn.clip' min: 1.0 is greater than max 0.0
func.func @last(%x: tensor<4xf32>) {
  %y = nn.clip %x {min = 1.0 : f32, max = 0.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  func.return
}
// CHECK-NOT: error
