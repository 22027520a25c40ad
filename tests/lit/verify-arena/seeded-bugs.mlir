// RUN: cmsis-opt %s --split-input-file --verify-diagnostics --verify-arena | filecheck %s
// --verify-arena proves a plan or names the first broken rule: seeded bugs, one per chunk.

// A valid plan: a starts 20 bytes below x, as its alias allows; b reuses x's bytes after step 0.
// The checker recomputes every lifetime itself: no first/last needed.
func.func @valid(%x: tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>> attributes {arena.plan = #arena.plan<size = 140, alignment = 4, strategy = "by hand">} {
  arena.buffer %x {name = "input", size = 100 : i64, offset = 20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<100x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %a {name = "a", size = 100 : i64, offset = 0 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.alias %a onto %x {max_delta = -20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %a {filter = dense<1> : tensor<40x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %b {name = "b", size = 40 : i64, offset = 100 : i64} : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  func.return %b : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
}
// CHECK: func.func @valid

// -----

// b moved down onto a, which b's op reads.
func.func @shifted(%x: tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>> attributes {arena.plan = #arena.plan<size = 140, alignment = 4, strategy = "by hand">} {
  arena.buffer %x {name = "input", size = 100 : i64, offset = 20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<100x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %a {name = "a", size = 100 : i64, offset = 0 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.alias %a onto %x {max_delta = -20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %a {filter = dense<1> : tensor<40x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %b {name = "b", size = 40 : i64, offset = 60 : i64} : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  func.return %b : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
}
// CHECK: error: verify-arena: buffers 'a' [0, 100) and 'b' [60, 100) share bytes [60, 100) at step 1 ('b', cmsis.fully_connected)

// -----

// The arena is one byte too small for b.
func.func @shrunk(%x: tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>> attributes {arena.plan = #arena.plan<size = 139, alignment = 4, strategy = "by hand">} {
  arena.buffer %x {name = "input", size = 100 : i64, offset = 20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<100x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %a {name = "a", size = 100 : i64, offset = 0 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.alias %a onto %x {max_delta = -20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %a {filter = dense<1> : tensor<40x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %b {name = "b", size = 40 : i64, offset = 100 : i64} : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  func.return %b : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
}
// CHECK: error: verify-arena: buffer 'b' [100, 140) does not fit in the arena of 139 bytes

// -----

// a starts only 16 bytes below x; the kernel needs 20.
func.func @delta(%x: tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>> attributes {arena.plan = #arena.plan<size = 156, alignment = 4, strategy = "by hand">} {
  arena.buffer %x {name = "input", size = 100 : i64, offset = 16 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<100x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %a {name = "a", size = 100 : i64, offset = 0 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.alias %a onto %x {max_delta = -20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %a {filter = dense<1> : tensor<40x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %b {name = "b", size = 40 : i64, offset = 116 : i64} : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  func.return %b : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
}
// CHECK: error: verify-arena: buffers 'a' [0, 100) and 'input' [16, 116) share bytes [16, 100) at step 0 ('a', cmsis.fully_connected); the alias allows offset('a') - offset('input') <= -20, got -16

// -----

// Without the alias, a and x may not share a byte.
func.func @no_alias(%x: tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>> attributes {arena.plan = #arena.plan<size = 140, alignment = 4, strategy = "by hand">} {
  arena.buffer %x {name = "input", size = 100 : i64, offset = 20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<100x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %a {name = "a", size = 100 : i64, offset = 0 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %a {filter = dense<1> : tensor<40x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %b {name = "b", size = 40 : i64, offset = 100 : i64} : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  func.return %b : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
}
// CHECK: error: verify-arena: buffers 'a' [0, 100) and 'input' [20, 120) share bytes [20, 100) at step 0 ('a', cmsis.fully_connected)

// -----

// A view has no bytes of its own.
func.func @view(%x: tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>> attributes {arena.plan = #arena.plan<size = 140, alignment = 4, strategy = "by hand">} {
  arena.buffer %x {name = "input", size = 100 : i64, offset = 20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<100x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %a {name = "a", size = 100 : i64, offset = 0 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.alias %a onto %x {max_delta = -20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %v = cmsis.reshape %a : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %v {name = "v", size = 100 : i64, offset = 0 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %v {filter = dense<1> : tensor<40x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %b {name = "b", size = 40 : i64, offset = 100 : i64} : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  func.return %b : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
}
// CHECK: error: verify-arena: buffer 'v' is on a cmsis.reshape view: a view shares its source's buffer, it has no bytes of its own

// -----

// Every buffer needs an offset.
func.func @no_offset(%x: tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>> attributes {arena.plan = #arena.plan<size = 140, alignment = 4, strategy = "by hand">} {
  arena.buffer %x {name = "input", size = 100 : i64, offset = 20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<100x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %a {name = "a", size = 100 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.alias %a onto %x {max_delta = -20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %a {filter = dense<1> : tensor<40x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %b {name = "b", size = 40 : i64, offset = 100 : i64} : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  func.return %b : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
}
// CHECK: error: verify-arena: buffer 'a' has no offset

// -----

// Offsets are multiples of the plan's alignment.
func.func @unaligned(%x: tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>> attributes {arena.plan = #arena.plan<size = 140, alignment = 4, strategy = "by hand">} {
  arena.buffer %x {name = "input", size = 100 : i64, offset = 22 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<100x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %a {name = "a", size = 100 : i64, offset = 0 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.alias %a onto %x {max_delta = -20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %a {filter = dense<1> : tensor<40x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %b {name = "b", size = 40 : i64, offset = 100 : i64} : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  func.return %b : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
}
// CHECK: error: verify-arena: buffer 'input' at offset 22 is not aligned to 4 bytes

// -----

// A buffer must hold its whole tensor.
func.func @short(%x: tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>> attributes {arena.plan = #arena.plan<size = 140, alignment = 4, strategy = "by hand">} {
  arena.buffer %x {name = "input", size = 100 : i64, offset = 20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<100x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %a {name = "a", size = 90 : i64, offset = 0 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.alias %a onto %x {max_delta = -20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %a {filter = dense<1> : tensor<40x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %b {name = "b", size = 40 : i64, offset = 100 : i64} : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  func.return %b : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
}
// CHECK: error: verify-arena: buffer 'a' has 90 bytes, its tensor needs 100

// -----

// Every kernel result needs a buffer.
func.func @missing(%x: tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>> attributes {arena.plan = #arena.plan<size = 140, alignment = 4, strategy = "by hand">} {
  arena.buffer %x {name = "input", size = 100 : i64, offset = 20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<100x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %a {name = "a", size = 100 : i64, offset = 0 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.alias %a onto %x {max_delta = -20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %a {filter = dense<1> : tensor<40x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  func.return %b : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
}
// CHECK: error: verify-arena: the result of step 1 ('b', cmsis.fully_connected) has no buffer

// -----

// No #arena.plan: nothing to check against.
func.func @unplanned(%x: tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>> attributes {} {
  arena.buffer %x {name = "input", size = 100 : i64, offset = 20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<100x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %a {name = "a", size = 100 : i64, offset = 0 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.alias %a onto %x {max_delta = -20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %a {filter = dense<1> : tensor<40x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %b {name = "b", size = 40 : i64, offset = 100 : i64} : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  func.return %b : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
}
// CHECK: error: verify-arena: the function has no #arena.plan: run --arena-alloc first

// -----

// A scratch buffer may not overlap anything live at its step.
func.func @scratch(%x: tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>> attributes {arena.plan = #arena.plan<size = 140, alignment = 4, strategy = "by hand">} {
  arena.buffer %x {name = "input", size = 100 : i64, offset = 20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %a = cmsis.fully_connected %x {filter = dense<1> : tensor<100x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "a"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %a {name = "a", size = 100 : i64, offset = 0 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  arena.alias %a onto %x {max_delta = -20 : i64} : tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>
  %b = cmsis.fully_connected %a {filter = dense<1> : tensor<40x100xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "b"} : (tensor<1x100x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  arena.buffer %b {name = "b", size = 40 : i64, offset = 100 : i64} : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  arena.scratch %b {name = "b.scratch", size = 8 : i64, offset = 96 : i64} : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
  func.return %b : tensor<1x40x!quant.uniform<i8:f32, 0.5:0>>
}
// CHECK: error: verify-arena: buffers 'a' [0, 100) and 'b.scratch' [96, 104) share bytes [96, 100) at step 1 ('b', cmsis.fully_connected)
